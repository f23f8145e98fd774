"""An invoice or credit note as EN 16931 sees it: the record every document is made from.

`document_of(tables, computed, invoice_no)` turns one numbered row of a computed workbook
into an `InvoiceDocument`: immutable records of the seller and buyer, the lines, the
document-level allowance (the invoice discount), the VAT breakdown per category and rate,
the totals BT-106…BT-115, the payment means and terms. The PDF, UBL and CII writers
(`billing.documents`) only lay these out; they compute nothing. The record is pure data
(Decimals, dates, text): no XML here.

How the workbook maps to EN 16931 (the comments on the fields name the business terms):

* A line's net amount (BT-131) is its amount before the invoice discount: with net prices
  `round(quantity × unit_price × (1 − discount_pct))` as the workbook computes it, the price
  shown as gross price (BT-148), price discount (BT-147) and net price (BT-146). The
  invoice's `discount_pct` becomes one document-level allowance (BG-20) per VAT category and
  rate, of exactly the amount the workbook took off that group, so the VAT breakdown's
  taxable amounts (BT-116) and the totals are the workbook's to the cent.
* With gross prices (`price_mode` gross) EN 16931 has no VAT-inclusive amounts: a line's net
  amount is the workbook's computed net (the invoice discount already in it), its net price
  that over the quantity, and a note (BT-22) says so.
* Tax kinds map to VAT categories (BT-151, BT-118): standard and reduced → `S`, zero → `Z`,
  exempt → `E`, reverse_charge → `AE`, intra_eu → `K`, export → `G`. The VAT amount of a
  category is the workbook's tax of its tax codes.
* An invoice without lines is one line of quantity 1.
* The workbook records no separate date of supply, so the date of supply (BT-72) is the
  issue date (Art. 226(7) of Directive 2006/112/EC: it is stated when it differs).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import NamedTuple

import pandas as pd

from billing.invoicing.arithmetic import ONE, ZERO
from billing.invoicing.compute import TAX_NOTES, Computed
from billing.invoicing.terms import discount_date, early_payment_amount, parse_terms
from billing.money import minor_unit, quantize, rounding_mode
from billing.tables import Tables

#: EN 16931 VAT category code (UNCL5305) of each workbook tax kind
CATEGORY_OF_KIND: dict[str, str] = {
    "standard": "S",
    "reduced": "S",
    "zero": "Z",
    "exempt": "E",
    "reverse_charge": "AE",
    "intra_eu": "K",
    "export": "G",
}
#: VATEX exemption reason codes (BT-121) of the categories that have a single one
EXEMPTION_CODES: dict[str, str] = {"AE": "VATEX-EU-AE", "K": "VATEX-EU-IC", "G": "VATEX-EU-G"}
#: categories whose breakdown must not state an exemption reason (BR-S-10, BR-Z-10)
TAXED_CATEGORIES = frozenset({"S", "Z"})
#: the unit of measure of every line (UN/ECE Rec. 20 "one"): the workbook records none
UNIT_CODE = "C62"
#: the document type codes (UNCL1001, BT-3)
INVOICE_TYPE, CREDIT_NOTE_TYPE = "380", "381"
#: payment means codes (UNCL4461, BT-81)
SEPA_CREDIT_TRANSFER, CREDIT_TRANSFER, NOT_DEFINED = "58", "30", "1"
#: places of a net price derived in gross mode (a quantity's share of a cent)
PRICE_PLACES = 6
#: allowance reason code "Discount" (UNCL5189, BT-98)
DISCOUNT_REASON_CODE = "95"


class Source(NamedTuple):
    """The workbook cell a value comes from: sheet, Excel row, contract column."""

    sheet: str
    row: int
    column: str


@dataclass(frozen=True)
class Address:
    street: str | None  # BT-35 / BT-50
    postcode: str | None  # BT-38 / BT-53
    city: str | None  # BT-37 / BT-52
    country: str | None  # BT-40 / BT-55, ISO 3166-1 alpha-2


@dataclass(frozen=True)
class Endpoint:
    """An electronic address (BT-34 / BT-49): an EAS scheme and an identifier in it."""

    scheme: str
    identifier: str


@dataclass(frozen=True)
class Party:
    name: str  # BT-27 / BT-44
    address: Address  # BG-5 / BG-8
    vat_id: str | None  # BT-31 / BT-48
    endpoint: Endpoint | None  # BT-34 / BT-49
    identifier: str | None = None  # BT-29 / BT-46 (the buyer: its customer_id)
    registration: str | None = None  # BT-30, the seller's legal registration
    tax_number: str | None = None  # BT-32, the seller's tax registration (scheme FC)
    contact_name: str | None = None  # BT-41 / BT-56
    contact_phone: str | None = None  # BT-42 / BT-57
    contact_email: str | None = None  # BT-43 / BT-58


@dataclass(frozen=True)
class Line:
    line_id: str  # BT-126
    name: str  # BT-153 item name
    quantity: Decimal  # BT-129
    unit_code: str  # BT-130
    net_amount: Decimal  # BT-131, before the document-level allowance
    net_price: Decimal  # BT-146
    gross_price: Decimal | None  # BT-148, when a price discount is taken (BT-147 = gross − net)
    category: str  # BT-151
    rate: Decimal  # BT-152, percent
    tax_code: str  # the workbook's code
    # the workbook's own figures, after the invoice discount (for the PDF and the checks)
    net: Decimal
    tax: Decimal
    gross: Decimal
    source: Source | None = None  # the InvoiceLines row (None for an invoice without lines)

    @property
    def price_discount(self) -> Decimal | None:
        """BT-147: gross price − net price, when there is a gross price."""
        return None if self.gross_price is None else self.gross_price - self.net_price


@dataclass(frozen=True)
class Allowance:
    """A document-level allowance (BG-20): the invoice discount on one VAT category and rate."""

    amount: Decimal  # BT-92
    # BT-93 and BT-94, stated when amount = round(base × percent / 100) (with `tax_rounding` line
    # the discount is rounded per line, and the sum may differ from the rounded whole)
    base: Decimal | None
    percent: Decimal | None
    category: str  # BT-95
    rate: Decimal  # BT-96
    reason: str  # BT-97
    reason_code: str = DISCOUNT_REASON_CODE  # BT-98


@dataclass(frozen=True)
class VatBreakdown:
    """One VAT category and rate (BG-23)."""

    category: str  # BT-118
    rate: Decimal  # BT-119, percent
    taxable: Decimal  # BT-116
    tax: Decimal  # BT-117
    exemption_reason: str | None  # BT-120
    exemption_code: str | None  # BT-121
    tax_codes: tuple[str, ...]  # the workbook's codes in it


@dataclass(frozen=True)
class Totals:
    """The document totals (BG-22)."""

    line_net: Decimal  # BT-106 Σ line net amounts
    allowances: Decimal  # BT-107
    charges: Decimal  # BT-108
    without_vat: Decimal  # BT-109 = BT-106 − BT-107 + BT-108
    vat: Decimal  # BT-110
    with_vat: Decimal  # BT-112 = BT-109 + BT-110
    prepaid: Decimal  # BT-113
    rounding: Decimal  # BT-114
    payable: Decimal  # BT-115 = BT-112 − BT-113 + BT-114


@dataclass(frozen=True)
class PaymentMeans:
    code: str  # BT-81
    remittance: str | None  # BT-83, the ISO 11649 RF reference
    iban: str | None  # BT-84
    account_name: str | None  # BT-85
    bic: str | None  # BT-86


@dataclass(frozen=True)
class PaymentTerms:
    code: str  # the workbook's terms code
    text: str  # BT-20
    due_date: dt.date | None  # BT-9
    discount_pct: Decimal | None = None  # the early-payment discount, a fraction
    discount_days: int | None = None
    discount_date: dt.date | None = None  # the last day it applies
    discount_base: Decimal | None = None  # the amount it is taken on (the total with VAT)
    discounted_amount: Decimal | None = None  # what settles the invoice within the period


@dataclass(frozen=True)
class InvoiceDocument:
    number: str  # BT-1
    type_code: str  # BT-3: 380 invoice, 381 credit note
    issue_date: dt.date  # BT-2
    currency: str  # BT-5
    seller: Party  # BG-4
    buyer: Party  # BG-7
    lines: tuple[Line, ...]  # BG-25
    allowances: tuple[Allowance, ...]  # BG-20
    vat: tuple[VatBreakdown, ...]  # BG-23
    totals: Totals  # BG-22
    payment_means: PaymentMeans  # BG-16
    payment_terms: PaymentTerms  # BT-20, BT-9
    delivery_date: dt.date  # BT-72
    buyer_reference: str | None  # BT-10
    preceding_number: str | None  # BT-25, the invoice a credit note corrects
    preceding_date: dt.date | None  # BT-26
    notes: tuple[str, ...]  # BT-22
    price_mode: str  # the workbook's: net or gross
    invoice_key: str  # the Invoices row's identity
    document_format: str  # the customer's format, else the Settings'
    source: Source  # the Invoices row (column: invoice_no)
    customer_source: Source | None  # the Customers row (column: customer_id)

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == CREDIT_NOTE_TYPE

    @property
    def minor_unit(self) -> int:
        return minor_unit(self.currency)


class DocumentError(ValueError):
    """The workbook has no such issued document (an unknown number, a draft)."""


def split_endpoint(text: str | None) -> Endpoint | None:
    """`scheme:id` as an `Endpoint`; None for a blank text.

    >>> split_endpoint("0088:5790000435975")
    Endpoint(scheme='0088', identifier='5790000435975')
    >>> split_endpoint("EM:ap@example.com")
    Endpoint(scheme='EM', identifier='ap@example.com')
    """
    if not text:
        return None
    scheme, sep, identifier = str(text).partition(":")
    if not sep or not scheme.strip() or not identifier.strip():
        raise ValueError(f"{text!r} is not an electronic address written scheme:id (e.g. 0088:5790000435975)")
    return Endpoint(scheme.strip().upper(), identifier.strip())


def compact(text: str | None) -> str | None:
    """An IBAN, BIC or VAT id without spaces, in capitals.

    >>> compact("de89 3704 0044 0532 0130 00")
    'DE89370400440532013000'
    """
    return "".join(str(text).split()).upper() if text else None


def percent(rate: Decimal | None) -> Decimal:
    """A workbook rate (a fraction) as an EN 16931 percentage, two decimals.

    >>> percent(Decimal("0.19")), percent(Decimal("0.055")), percent(None)
    (Decimal('19.00'), Decimal('5.50'), Decimal('0.00'))
    """
    return ((rate or ZERO) * 100).quantize(Decimal("0.01"))


def plain(number: Decimal) -> Decimal:
    """A price or quantity without trailing zeros, never in exponent form.

    >>> plain(Decimal("120.00")), plain(Decimal("16.99150")), plain(Decimal("1E+2"))
    (Decimal('120'), Decimal('16.9915'), Decimal('100'))
    """
    reduced = number.normalize()
    return reduced.quantize(ONE) if reduced.as_tuple().exponent > 0 else reduced


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def seller_of(tables: Tables) -> Party:
    """The seller (BG-4) from the Settings particulars."""
    s = tables.settings
    email = _text(s.company_email)
    endpoint = split_endpoint(s.company_endpoint_id) or (Endpoint("EM", email) if email else None)
    return Party(
        name=_text(s.company_name) or "",
        address=Address(_text(s.company_street), _text(s.company_postcode), _text(s.company_city),
                        compact(s.company_country)),
        vat_id=compact(s.company_vat_id),
        endpoint=endpoint,
        registration=_text(s.company_registration),
        tax_number=_text(s.company_tax_number),
        contact_name=_text(s.company_contact),
        contact_phone=_text(s.company_phone),
        contact_email=email,
    )


def buyer_of(customer: pd.Series | None, customer_id: str) -> Party:
    """The buyer (BG-7) from its Customers row; a customer not on the sheet has only its id."""
    get = (lambda name: _text(customer.get(name))) if customer is not None else (lambda name: None)
    email = get("invoice_email") or get("email")
    endpoint = split_endpoint(get("endpoint_id")) or (Endpoint("EM", email) if email else None)
    return Party(
        name=get("name") or customer_id,
        address=Address(get("street"), get("postcode"), get("city"), compact(get("country"))),
        vat_id=compact(get("vat_id")),
        endpoint=endpoint,
        identifier=customer_id,
        contact_email=email,
    )


def _row_of(frame: pd.DataFrame, column: str, value: str) -> tuple[int, pd.Series] | None:
    hits = frame.index[frame[column] == value]
    return (int(hits[0]), frame.loc[hits[0]]) if len(hits) else None


def document_of(tables: Tables, computed: Computed, invoice_no: str) -> InvoiceDocument:
    """The EN 16931 document of the invoice or credit note numbered `invoice_no`.

    `tables` are a validated workbook's typed tables and `computed` their computation
    (`billing.invoicing.compute.compute(tables)`); the document's amounts are the
    computation's, to the cent. A number no row has, or a row that is not issued, is a
    `DocumentError`.
    """
    found = _row_of(tables.invoices, "invoice_no", invoice_no)
    if found is None:
        raise DocumentError(f"no invoice or credit note is numbered {invoice_no!r}")
    row_no, invoice = found
    if invoice["status"] != "issued":
        raise DocumentError(f"{invoice_no} is {invoice['status']}, not issued")
    settings = tables.settings
    key, currency = invoice["invoice_key"], invoice["currency"]
    rates = tables.tax_rates.drop_duplicates("tax_code").set_index("tax_code")
    kind_of = dict(zip(rates.index, rates["kind"]))
    rate_of = dict(zip(rates.index, rates["rate"]))

    # -- lines ---------------------------------------------------------------------------
    line_rows = tables.lines[tables.lines["invoice_key"] == key]
    if "line_no" in line_rows and line_rows["line_no"].notna().all():
        line_rows = line_rows.sort_values("line_no", kind="stable")
    lines: list[Line] = []
    gross_mode = settings.price_mode == "gross"
    for n, (excel_row, line) in enumerate(line_rows.iterrows(), start=1):
        amounts = computed.lines.loc[excel_row]
        lines.append(_line(
            line_id=str(int(line["line_no"])) if line["line_no"] is not None else str(n),
            name=_text(line["description"]) or "",
            quantity=line["quantity"], unit_price=line["unit_price"], discount=line["discount_pct"] or ZERO,
            tax_code=line["tax_code"], kind=kind_of.get(line["tax_code"]), rate=rate_of.get(line["tax_code"]),
            amounts=(amounts["net"], amounts["tax"], amounts["gross"]), currency=currency, rounding=settings.rounding,
            gross_mode=gross_mode, source=Source("InvoiceLines", int(excel_row), "description"),
        ))
    totals_row = computed.invoices.loc[row_no]
    if not lines:  # an invoice without lines: one line of its own amount
        code = invoice["tax_code"]
        unit = invoice["gross"] if gross_mode else invoice["net"]
        corrects = _text(invoice["corrects"])
        name = f"Credit for invoice {corrects}" if invoice["kind"] == "credit_note" and corrects else \
            f"Invoice {invoice_no}"
        lines.append(_line(
            line_id="1", name=name, quantity=ONE, unit_price=unit, discount=ZERO, tax_code=code,
            kind=kind_of.get(code), rate=rate_of.get(code),
            amounts=(totals_row["net"], totals_row["tax"], totals_row["gross"]), currency=currency,
            rounding=settings.rounding,
            gross_mode=gross_mode, source=None,
        ))

    # -- VAT breakdown and the invoice discount, per category and rate -----------------------
    groups: dict[tuple[str, Decimal], list[Line]] = {}
    for line in lines:
        groups.setdefault((line.category, line.rate), []).append(line)
    invoice_discount = invoice["discount_pct"] or ZERO
    vat, allowances = [], []
    for (category, rate), members in groups.items():
        before = sum((m.net_amount for m in members), ZERO)
        taxable = sum((m.net for m in members), ZERO)
        codes = tuple(dict.fromkeys(m.tax_code for m in members))
        reason = None
        if category not in TAXED_CATEGORIES:
            notes = [TAX_NOTES.get(kind_of.get(c)) or _text(rates["description"].get(c)) for c in codes]
            reason = "; ".join(dict.fromkeys(n for n in notes if n)) or None
        vat.append(VatBreakdown(category, rate, taxable, sum((m.tax for m in members), ZERO), reason,
                                EXEMPTION_CODES.get(category), codes))
        if before != taxable:
            taken = before - taxable
            exact = quantize(before * invoice_discount, currency, settings.rounding) == taken
            allowances.append(Allowance(
                amount=taken, base=before if exact else None, percent=plain(invoice_discount * 100) if exact else None,
                category=category, rate=rate, reason="Discount",
            ))

    zero = quantize(ZERO, currency)
    line_net = sum((line.net_amount for line in lines), zero)
    allowed = sum((a.amount for a in allowances), zero)
    tax_total = sum((v.tax for v in vat), ZERO)
    without_vat = line_net - allowed
    with_vat = without_vat + tax_total
    totals = Totals(line_net, allowed, zero, without_vat, tax_total, with_vat, zero, zero, with_vat)
    if (without_vat, tax_total, with_vat) != (totals_row["net"], totals_row["tax"], totals_row["gross"]):
        raise AssertionError(f"{invoice_no}: the document's totals {without_vat}/{tax_total}/{with_vat} are not "
                             f"the workbook's {totals_row['net']}/{totals_row['tax']}/{totals_row['gross']}")

    # -- parties, references, payment ------------------------------------------------------
    found_customer = _row_of(tables.customers, "customer_id", invoice["customer_id"])
    customer = found_customer[1] if found_customer else None
    buyer = buyer_of(customer, invoice["customer_id"])
    seller = seller_of(tables)
    credit = invoice["kind"] == "credit_note"
    preceding = _text(invoice["corrects"])
    preceding_date = None
    if preceding:
        earlier = _row_of(tables.invoices, "invoice_no", preceding)
        preceding_date = earlier[1]["issue_date"] if earlier else None
    terms = _terms(invoice, totals_row["due_date"], with_vat, currency, settings.rounding, credit, preceding)
    iban = compact(settings.company_iban)
    means_code = (SEPA_CREDIT_TRANSFER if currency == "EUR" else CREDIT_TRANSFER) if iban else NOT_DEFINED
    means = PaymentMeans(means_code, _text(invoice["payment_reference"]), iban,
                         seller.name if iban else None, compact(settings.company_bic) if iban else None)
    notes = []
    if credit and preceding:
        when = f" of {preceding_date.isoformat()}" if preceding_date else ""
        notes.append(f"This credit note corrects invoice {preceding}{when}.")
    if gross_mode:
        notes.append("Prices include VAT; the line amounts are shown net of it"
                     + (f", after the invoice discount of {plain(invoice_discount * 100):f} %." if invoice_discount
                        else "."))
    fmt = (_text(customer.get("document_format")) if customer is not None else None) or settings.document_format
    return InvoiceDocument(
        number=invoice_no,
        type_code=CREDIT_NOTE_TYPE if credit else INVOICE_TYPE,
        issue_date=invoice["issue_date"],
        currency=currency,
        seller=seller,
        buyer=buyer,
        lines=tuple(lines),
        allowances=tuple(allowances),
        vat=tuple(vat),
        totals=totals,
        payment_means=means,
        payment_terms=terms,
        delivery_date=invoice["issue_date"],
        buyer_reference=_text(customer.get("buyer_reference")) if customer is not None else None,
        preceding_number=preceding,
        preceding_date=preceding_date,
        notes=tuple(notes),
        price_mode=settings.price_mode,
        invoice_key=key,
        document_format=fmt.lower(),
        source=Source("Invoices", row_no, "invoice_no"),
        customer_source=Source("Customers", found_customer[0], "customer_id") if found_customer else None,
    )


def _line(*, line_id: str, name: str, quantity: Decimal, unit_price: Decimal, discount: Decimal, tax_code: str,
          kind: str | None, rate: Decimal | None, amounts: tuple[Decimal, Decimal, Decimal], currency: str,
          rounding: str, gross_mode: bool, source: Source | None) -> Line:
    net, tax, gross = amounts
    category = CATEGORY_OF_KIND.get(kind or "", "S")
    shown_rate = percent(rate) if category == "S" else Decimal("0.00")
    with localcontext() as ctx:
        ctx.prec = 60
        if gross_mode:
            net_amount = net
            net_price = (net / quantity).quantize(Decimal(1).scaleb(-PRICE_PLACES), rounding=rounding_mode(rounding)) \
                if quantity else ZERO
            gross_price = None
        else:
            net_amount = quantize(quantity * unit_price * (ONE - discount), currency, rounding)
            net_price = unit_price * (ONE - discount)
            gross_price = plain(unit_price) if discount else None
    return Line(line_id, name, plain(quantity), UNIT_CODE, net_amount, plain(net_price), gross_price, category,
                shown_rate,
                tax_code, net, tax, gross, source)


def _terms(invoice: pd.Series, due: dt.date | None, gross: Decimal, currency: str, rounding: str, credit: bool,
           preceding: str | None) -> PaymentTerms:
    """BT-20 in words, with the early-payment discount (its last day and the amount it leaves)."""
    code = invoice["terms"]
    if credit:
        what = f"invoice {preceding}" if preceding else "an earlier invoice"
        return PaymentTerms(code, f"Credit note for {what}: the amount is refunded or set off.", due)
    terms = parse_terms(code)
    due_text = f"due on {due.isoformat()}" if due else "due on receipt"
    last = discount_date(invoice["issue_date"], terms)
    if last is None or terms.discount_pct is None:
        text = f"Payable without deduction, {due_text}." if terms.days else f"Payable on receipt, {due_text}."
        return PaymentTerms(terms.code, text, due)
    settles = early_payment_amount(gross, terms, invoice["issue_date"], last, currency, rounding)
    pct = f"{terms.discount_pct * 100:f}".rstrip("0").rstrip(".")
    text = (f"{pct} % early-payment discount if paid by {last.isoformat()} ({currency} {settles:,f}); "
            f"otherwise payable without deduction, {due_text}.")
    return PaymentTerms(terms.code, text, due, terms.discount_pct, terms.discount_days, last, gross, settles)
