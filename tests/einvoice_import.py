"""An official EN 16931 example (UBL 2.1 or CII D16B) read back into billing-workbook rows.

`read_einvoice(xml)` reads what the round trip compares and what a workbook could hold into
an `EInvoice` record, from either syntax; the test reads the original and the document made
again from the workbook with it, and compares the two. `import_einvoice(xml)` turns an
example into the rows of the input sheets (a `SampleData`, what `create_workbook` writes), or
raises `Unexpressible` with the reason the workbook cannot say what the document says
(line-level allowances, several payment means, a VAT category without a tax
kind, a VAT amount the workbook's rounding does not give, a value its validation refuses...).

What the workbook has no column for and the comparison leaves out is not imported: notes,
references (order, contract, project, the corrected invoice), the invoice period, delivery
details, item attributes (BG-32), trading names, second address lines, payment references
that are not RF references.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, localcontext

from lxml import etree
from pydantic import ValidationError

from billing.documents.formats import EN16931, PEPPOL_BIS3, XRECHNUNG_3
from billing.money import quantize
from billing.sample.data import SampleData
from billing.settings import default_settings
from validation.models import CustomerRow, InvoiceLineRow, InvoiceRow
from validation.settings import SettingsInput

UBL_ROOTS = {"Invoice", "CreditNote"}
CII_ROOT = "CrossIndustryInvoice"
#: the specification identifiers (BT-24) the writers produce, per syntax: format and rule profiles
FORMATS = {
    ("ubl", EN16931): ("ubl", ("en16931",)),
    ("ubl", PEPPOL_BIS3): ("peppol", ("en16931", "peppol")),
    ("ubl", XRECHNUNG_3): ("xrechnung-ubl", ("en16931", "xrechnung")),
    ("cii", EN16931): ("cii", ("en16931",)),
    ("cii", XRECHNUNG_3): ("xrechnung-cii", ("en16931", "xrechnung")),
}
#: the workbook tax kind of each VAT category (BT-151) it has one for
KIND_OF_CATEGORY = {"S": "standard", "Z": "zero", "E": "exempt", "AE": "reverse_charge", "K": "intra_eu",
                    "G": "export"}
INVOICE_KEY = "INV-1"


class Unexpressible(ValueError):
    """The workbook cannot say what the document says; the message is the reason."""


@dataclass(frozen=True)
class Party:
    name: str | None  # BT-27 / BT-44 (the legal name)
    vat_id: str | None  # BT-31 / BT-48
    tax_number: str | None  # BT-32
    registration: str | None  # BT-30 / BT-47
    identifier: str | None  # BT-29 / BT-46
    street: str | None
    postcode: str | None
    city: str | None
    country: str | None
    endpoint: tuple[str, str] | None  # BT-34 / BT-49: scheme, identifier
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None


@dataclass(frozen=True)
class Line:
    line_id: str
    name: str | None
    quantity: Decimal
    base_quantity: Decimal  # BT-149, 1 when not stated
    net_price: Decimal  # BT-146
    gross_price: Decimal | None  # BT-148
    price_discount: Decimal | None  # BT-147
    net_amount: Decimal  # BT-131
    category: str
    rate: Decimal  # percent
    allowances_charges: int  # BG-27 / BG-28
    attributes: int  # BG-32


@dataclass(frozen=True)
class AllowanceCharge:
    charge: bool
    amount: Decimal  # BT-92 / BT-99
    base: Decimal | None
    percent: Decimal | None
    category: str
    rate: Decimal


@dataclass(frozen=True)
class Vat:
    category: str  # BT-118
    rate: Decimal  # BT-119
    taxable: Decimal  # BT-116
    tax: Decimal  # BT-117


@dataclass(frozen=True)
class Means:
    code: str
    iban: str | None
    bic: str | None


@dataclass(frozen=True)
class EInvoice:
    syntax: str
    customization: str  # BT-24
    number: str  # BT-1
    type_code: str  # BT-3
    issue_date: dt.date  # BT-2
    due_date: dt.date | None  # BT-9
    currency: str  # BT-5
    tax_currency: str | None  # BT-6
    buyer_reference: str | None  # BT-10
    remittance: str | None  # BT-83
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    allowances_charges: tuple[AllowanceCharge, ...]  # BG-20 / BG-21
    vat: tuple[Vat, ...]  # BG-23
    totals: dict[str, Decimal | None]  # BT-106 ... BT-115
    means: tuple[Means, ...]  # BG-16

    @property
    def format_name(self) -> str | None:
        found = FORMATS.get((self.syntax, self.customization))
        return found[0] if found else None

    @property
    def profiles(self) -> tuple[str, ...]:
        return FORMATS[(self.syntax, self.customization)][1]


# -- reading -------------------------------------------------------------------------------


def _path(path: str) -> str:
    return "/".join(f"*[local-name()='{step}']" for step in path.split("/"))


def _all(element, path: str) -> list:
    return element.xpath(_path(path))


def _one(element, path: str):
    found = _all(element, path)
    return found[0] if found else None


def _text(element, path: str | None = None) -> str | None:
    node = element if path is None else _one(element, path)
    if node is None or node.text is None or not node.text.strip():
        return None
    return node.text.strip()


def _dec(element, path: str | None = None) -> Decimal | None:
    text = _text(element, path)
    return None if text is None else Decimal(text)


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    return dt.date.fromisoformat(text) if "-" in text else dt.datetime.strptime(text, "%Y%m%d").date()


def read_einvoice(xml: bytes) -> EInvoice:
    """The figures and particulars of a UBL or CII invoice or credit note."""
    root = etree.fromstring(xml)
    name = etree.QName(root).localname
    if name in UBL_ROOTS:
        return _read_ubl(root)
    if name == CII_ROOT:
        return _read_cii(root)
    raise ValueError(f"{name} is neither a UBL Invoice/CreditNote nor a CII CrossIndustryInvoice")


def _ubl_party(party) -> Party:
    vat = tax = None
    for scheme in _all(party, "PartyTaxScheme"):
        if _text(scheme, "TaxScheme/ID") == "VAT":
            vat = _text(scheme, "CompanyID")
        else:
            tax = _text(scheme, "CompanyID")
    endpoint = _one(party, "EndpointID")
    return Party(
        name=_text(party, "PartyLegalEntity/RegistrationName"), vat_id=vat, tax_number=tax,
        registration=_text(party, "PartyLegalEntity/CompanyID"),
        identifier=_text(party, "PartyIdentification/ID"),
        street=_text(party, "PostalAddress/StreetName"), postcode=_text(party, "PostalAddress/PostalZone"),
        city=_text(party, "PostalAddress/CityName"), country=_text(party, "PostalAddress/Country/IdentificationCode"),
        endpoint=(endpoint.get("schemeID"), _text(endpoint)) if endpoint is not None else None,
        contact_name=_text(party, "Contact/Name"), contact_phone=_text(party, "Contact/Telephone"),
        contact_email=_text(party, "Contact/ElectronicMail"),
    )


def _read_ubl(root) -> EInvoice:
    credit = etree.QName(root).localname == "CreditNote"
    currency = _text(root, "DocumentCurrencyCode")
    lines = []
    for line in _all(root, "CreditNoteLine" if credit else "InvoiceLine"):
        price = _one(line, "Price")
        discount = _one(price, "AllowanceCharge")
        category = _one(line, "Item/ClassifiedTaxCategory")
        lines.append(Line(
            line_id=_text(line, "ID"), name=_text(line, "Item/Name"),
            quantity=_dec(line, "CreditedQuantity" if credit else "InvoicedQuantity"),
            base_quantity=_dec(price, "BaseQuantity") or Decimal(1), net_price=_dec(price, "PriceAmount"),
            gross_price=_dec(discount, "BaseAmount") if discount is not None else None,
            price_discount=_dec(discount, "Amount") if discount is not None else None,
            net_amount=_dec(line, "LineExtensionAmount"), category=_text(category, "ID"),
            rate=_dec(category, "Percent") or Decimal(0),
            allowances_charges=len(_all(line, "AllowanceCharge")),
            attributes=len(_all(line, "Item/AdditionalItemProperty")),
        ))
    charges = tuple(AllowanceCharge(
        charge=_text(ac, "ChargeIndicator") == "true", amount=_dec(ac, "Amount"), base=_dec(ac, "BaseAmount"),
        percent=_dec(ac, "MultiplierFactorNumeric"), category=_text(ac, "TaxCategory/ID"),
        rate=_dec(ac, "TaxCategory/Percent") or Decimal(0),
    ) for ac in _all(root, "AllowanceCharge"))
    vat = tuple(Vat(_text(sub, "TaxCategory/ID"), _dec(sub, "TaxCategory/Percent") or Decimal(0),
                    _dec(sub, "TaxableAmount"), _dec(sub, "TaxAmount"))
                for sub in _all(root, "TaxTotal/TaxSubtotal"))
    vat_total = None
    for total in _all(root, "TaxTotal/TaxAmount"):
        if total.get("currencyID") == currency:
            vat_total = _dec(total)
    sums = _one(root, "LegalMonetaryTotal")
    totals = {
        "BT-106": _dec(sums, "LineExtensionAmount"), "BT-107": _dec(sums, "AllowanceTotalAmount"),
        "BT-108": _dec(sums, "ChargeTotalAmount"), "BT-109": _dec(sums, "TaxExclusiveAmount"),
        "BT-110": vat_total, "BT-112": _dec(sums, "TaxInclusiveAmount"), "BT-113": _dec(sums, "PrepaidAmount"),
        "BT-114": _dec(sums, "PayableRoundingAmount"), "BT-115": _dec(sums, "PayableAmount"),
    }
    means = tuple(Means(_text(m, "PaymentMeansCode"), _text(m, "PayeeFinancialAccount/ID"),
                        _text(m, "PayeeFinancialAccount/FinancialInstitutionBranch/ID"))
                  for m in _all(root, "PaymentMeans"))
    due = _text(root, "DueDate") or _text(root, "PaymentMeans/PaymentDueDate")
    return EInvoice(
        syntax="ubl", customization=_text(root, "CustomizationID"), number=_text(root, "ID"),
        type_code=_text(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode"),
        issue_date=_date(_text(root, "IssueDate")), due_date=_date(due), currency=currency,
        tax_currency=_text(root, "TaxCurrencyCode"), buyer_reference=_text(root, "BuyerReference"),
        remittance=_text(root, "PaymentMeans/PaymentID"),
        seller=_ubl_party(_one(root, "AccountingSupplierParty/Party")),
        buyer=_ubl_party(_one(root, "AccountingCustomerParty/Party")),
        lines=tuple(lines), allowances_charges=charges, vat=vat, totals=totals, means=means,
    )


def _cii_party(party) -> Party:
    vat = tax = None
    for registration in _all(party, "SpecifiedTaxRegistration/ID"):
        if registration.get("schemeID") == "VA":
            vat = _text(registration)
        else:
            tax = _text(registration)
    endpoint = _one(party, "URIUniversalCommunication/URIID")
    return Party(
        name=_text(party, "Name"), vat_id=vat, tax_number=tax,
        registration=_text(party, "SpecifiedLegalOrganization/ID"), identifier=_text(party, "ID"),
        street=_text(party, "PostalTradeAddress/LineOne"), postcode=_text(party, "PostalTradeAddress/PostcodeCode"),
        city=_text(party, "PostalTradeAddress/CityName"), country=_text(party, "PostalTradeAddress/CountryID"),
        endpoint=(endpoint.get("schemeID"), _text(endpoint)) if endpoint is not None else None,
        contact_name=_text(party, "DefinedTradeContact/PersonName"),
        contact_phone=_text(party, "DefinedTradeContact/TelephoneUniversalCommunication/CompleteNumber"),
        contact_email=_text(party, "DefinedTradeContact/EmailURIUniversalCommunication/URIID"),
    )


def _read_cii(root) -> EInvoice:
    header = _one(root, "ExchangedDocument")
    transaction = _one(root, "SupplyChainTradeTransaction")
    agreement = _one(transaction, "ApplicableHeaderTradeAgreement")
    settlement = _one(transaction, "ApplicableHeaderTradeSettlement")
    currency = _text(settlement, "InvoiceCurrencyCode")
    lines = []
    for item in _all(transaction, "IncludedSupplyChainTradeLineItem"):
        trade = _one(item, "SpecifiedLineTradeAgreement")
        gross = _one(trade, "GrossPriceProductTradePrice")
        net = _one(trade, "NetPriceProductTradePrice")
        tax = _one(item, "SpecifiedLineTradeSettlement/ApplicableTradeTax")
        lines.append(Line(
            line_id=_text(item, "AssociatedDocumentLineDocument/LineID"),
            name=_text(item, "SpecifiedTradeProduct/Name"),
            quantity=_dec(item, "SpecifiedLineTradeDelivery/BilledQuantity"),
            base_quantity=_dec(net, "BasisQuantity") or Decimal(1), net_price=_dec(net, "ChargeAmount"),
            gross_price=_dec(gross, "ChargeAmount") if gross is not None else None,
            price_discount=_dec(gross, "AppliedTradeAllowanceCharge/ActualAmount") if gross is not None else None,
            net_amount=_dec(item, "SpecifiedLineTradeSettlement/SpecifiedTradeSettlementLineMonetarySummation/"
                                  "LineTotalAmount"),
            category=_text(tax, "CategoryCode"), rate=_dec(tax, "RateApplicablePercent") or Decimal(0),
            allowances_charges=len(_all(item, "SpecifiedLineTradeSettlement/SpecifiedTradeAllowanceCharge")),
            attributes=len(_all(item, "SpecifiedTradeProduct/ApplicableProductCharacteristic")),
        ))
    charges = tuple(AllowanceCharge(
        charge=_text(ac, "ChargeIndicator/Indicator") == "true", amount=_dec(ac, "ActualAmount"),
        base=_dec(ac, "BasisAmount"), percent=_dec(ac, "CalculationPercent"),
        category=_text(ac, "CategoryTradeTax/CategoryCode"),
        rate=_dec(ac, "CategoryTradeTax/RateApplicablePercent") or Decimal(0),
    ) for ac in _all(settlement, "SpecifiedTradeAllowanceCharge"))
    vat = tuple(Vat(_text(tax, "CategoryCode"), _dec(tax, "RateApplicablePercent") or Decimal(0),
                    _dec(tax, "BasisAmount"), _dec(tax, "CalculatedAmount"))
                for tax in _all(settlement, "ApplicableTradeTax"))
    sums = _one(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    vat_total = None
    for total in _all(sums, "TaxTotalAmount"):
        if total.get("currencyID") in (currency, None):
            vat_total = _dec(total)
    totals = {
        "BT-106": _dec(sums, "LineTotalAmount"), "BT-107": _dec(sums, "AllowanceTotalAmount"),
        "BT-108": _dec(sums, "ChargeTotalAmount"), "BT-109": _dec(sums, "TaxBasisTotalAmount"),
        "BT-110": vat_total, "BT-112": _dec(sums, "GrandTotalAmount"), "BT-113": _dec(sums, "TotalPrepaidAmount"),
        "BT-114": _dec(sums, "RoundingAmount"), "BT-115": _dec(sums, "DuePayableAmount"),
    }
    means = tuple(Means(_text(m, "TypeCode"), _text(m, "PayeePartyCreditorFinancialAccount/IBANID"),
                        _text(m, "PayeeSpecifiedCreditorFinancialInstitution/BICID"))
                  for m in _all(settlement, "SpecifiedTradeSettlementPaymentMeans"))
    return EInvoice(
        syntax="cii",
        customization=_text(root, "ExchangedDocumentContext/GuidelineSpecifiedDocumentContextParameter/ID"),
        number=_text(header, "ID"), type_code=_text(header, "TypeCode"),
        issue_date=_date(_text(header, "IssueDateTime/DateTimeString")),
        due_date=_date(_text(settlement, "SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString")),
        currency=currency, tax_currency=_text(settlement, "TaxCurrencyCode"),
        buyer_reference=_text(agreement, "BuyerReference"), remittance=_text(settlement, "PaymentReference"),
        seller=_cii_party(_one(agreement, "SellerTradeParty")), buyer=_cii_party(_one(agreement, "BuyerTradeParty")),
        lines=tuple(lines), allowances_charges=charges, vat=vat, totals=totals, means=means,
    )


# -- into workbook rows --------------------------------------------------------------------


def tax_code(category: str, rate: Decimal) -> str:
    """The workbook tax code of a VAT category and rate: `S19`, `S5.5`, `E0`."""
    return f"{category}{rate.normalize():f}"


def import_einvoice(xml: bytes) -> SampleData:
    """The workbook rows of an example; `Unexpressible` with the reason when there are none."""
    doc = read_einvoice(xml)
    refuse = _refusal(doc)
    if refuse:
        raise Unexpressible(refuse)
    discount = _invoice_discount(doc)
    seller, buyer = doc.seller, doc.buyer
    means = doc.means[0] if doc.means else None
    settings = dict(default_settings(workbook_id="00000000-0000-4000-8000-000000000017"))
    settings.update({
        "company_name": seller.name, "base_currency": doc.currency, "price_mode": "net",
        "tax_rounding": "invoice", "rounding": "half_up",
        "company_street": seller.street, "company_postcode": seller.postcode, "company_city": seller.city,
        "company_country": seller.country, "company_vat_id": seller.vat_id,
        "company_registration": seller.registration, "company_tax_number": seller.tax_number,
        "company_iban": means.iban if means else None, "company_bic": means.bic if means else None,
        "company_email": seller.contact_email, "company_phone": seller.contact_phone,
        "company_contact": seller.contact_name,
        "company_endpoint_id": ":".join(seller.endpoint) if seller.endpoint else None,
        "document_format": doc.format_name,
    })
    customer_id = buyer.identifier or "C1"
    customer = {
        "customer_id": customer_id, "name": buyer.name, "vat_id": buyer.vat_id, "email": buyer.contact_email,
        "currency": doc.currency, "street": buyer.street, "postcode": buyer.postcode, "city": buyer.city,
        "country": buyer.country, "buyer_reference": doc.buyer_reference,
        "endpoint_id": ":".join(buyer.endpoint) if buyer.endpoint else None, "document_format": doc.format_name,
    }
    rates = {}
    for item in (*doc.lines, *doc.vat):
        rates.setdefault(tax_code(item.category, item.rate), {
            "tax_code": tax_code(item.category, item.rate), "rate": item.rate / 100,
            "kind": KIND_OF_CATEGORY[item.category], "description": f"VAT category {item.category} {item.rate:f} %",
        })
    invoice = {
        "invoice_key": INVOICE_KEY, "invoice_no": doc.number,
        "kind": "credit_note" if doc.type_code == "381" else "invoice", "customer_id": customer_id,
        "issue_date": doc.issue_date, "due_date": doc.due_date, "currency": doc.currency,
        "discount_pct": discount or None, "status": "issued",
        "payment_reference": doc.remittance if _is_rf(doc.remittance) else None,
    }
    lines = []
    for n, line in enumerate(doc.lines, start=1):
        unit, line_discount = _unit_price(line)
        lines.append({
            "invoice_key": INVOICE_KEY, "line_no": int(line.line_id) if line.line_id.isdigit() else n,
            "description": line.name, "quantity": line.quantity, "unit_price": unit,
            "discount_pct": line_discount or None, "tax_code": tax_code(line.category, line.rate),
        })
    _check_fields(settings, customer, invoice, lines)
    return SampleData(settings=tuple(settings.items()), customers=(customer,), tax_rates=tuple(rates.values()),
                      invoices=(invoice,), lines=tuple(lines), payments=())


def _is_rf(text: str | None) -> bool:
    from billing.invoicing.rf_reference import is_rf_reference

    return bool(text) and is_rf_reference(text.replace(" ", "").upper())


def _refusal(doc: EInvoice) -> str | None:
    """Why the workbook cannot express the document, or None."""
    if doc.format_name is None:
        return f"specification identifier {doc.customization} (BT-24): none the writers produce"
    if doc.type_code not in ("380", "381"):
        return f"document type {doc.type_code} (BT-3): the workbook has invoices (380) and credit notes (381)"
    if doc.tax_currency and doc.tax_currency != doc.currency:
        return "a VAT accounting currency (BT-6)"
    if len(set(doc.means)) > 1:  # the same means stated twice is one
        return "several payment means"
    if any(ac.charge for ac in doc.allowances_charges):
        return "document-level charges"
    if any(line.allowances_charges for line in doc.lines):
        return "line-level allowances or charges"
    if doc.totals["BT-113"]:
        return "a prepaid amount (BT-113)"
    if doc.totals["BT-114"]:
        return "a rounding amount (BT-114)"
    for category in dict.fromkeys(item.category for item in (*doc.lines, *doc.vat)):
        if category not in KIND_OF_CATEGORY:
            return f"VAT category {category}: no workbook tax kind"
    if not doc.lines:
        return "no lines"
    for line in doc.lines:
        reason = _line_refusal(line, doc.currency)
        if reason:
            return f"line {line.line_id}: {reason}"
    try:
        discount = _invoice_discount(doc)
    except Unexpressible as e:
        return str(e)
    for vat in doc.vat:
        members = [line.net_amount for line in doc.lines if (line.category, line.rate) == (vat.category, vat.rate)]
        total = sum(members, Decimal(0))
        base = total - quantize(total * discount, doc.currency, "half_up")
        if base != vat.taxable:
            return f"VAT {vat.category} {vat.rate:f} %: the taxable amount is not its lines' less the discount"
        if quantize(base * vat.rate / 100, doc.currency, "half_up") != vat.tax:
            return f"VAT {vat.category} {vat.rate:f} %: the tax is not the taxable amount × rate rounded once"
    return None


def _unit_price(line: Line) -> tuple[Decimal, Decimal]:
    """The workbook's unit price and line discount (a fraction) of a line."""
    with localcontext() as ctx:
        ctx.prec = 60
        if line.gross_price is not None and line.price_discount:
            return line.gross_price / line.base_quantity, line.price_discount / line.gross_price
        return line.net_price / line.base_quantity, Decimal(0)


def _line_refusal(line: Line, currency: str) -> str | None:
    with localcontext() as ctx:
        ctx.prec = 60
        unit, discount = _unit_price(line)
        if unit * line.base_quantity != (line.gross_price if discount else line.net_price) or \
                len(unit.normalize().as_tuple().digits) > 15:
            return "the price over its base quantity is not an exact decimal"
        if discount and line.gross_price - line.price_discount != line.net_price:
            return "the net price is not the gross price less the price discount"
        if quantize(line.quantity * unit * (1 - discount), currency, "half_up") != line.net_amount:
            return "the net amount is not quantity × net price rounded once"
    return None


def _invoice_discount(doc: EInvoice) -> Decimal:
    """The workbook's invoice discount (a fraction) that gives the document's allowances."""
    allowances = [ac for ac in doc.allowances_charges if not ac.charge]
    if not allowances:
        return Decimal(0)
    with localcontext() as ctx:
        ctx.prec = 60
        candidates = [ac.percent / 100 for ac in allowances if ac.percent is not None]
        candidates += [ac.amount / ac.base for ac in allowances if ac.base]
        groups: dict[tuple[str, Decimal], Decimal] = {}
        for line in doc.lines:
            key = (line.category, line.rate)
            groups[key] = groups.get(key, Decimal(0)) + line.net_amount
        taken: dict[tuple[str, Decimal], Decimal] = {}
        for ac in allowances:
            taken[(ac.category, ac.rate)] = taken.get((ac.category, ac.rate), Decimal(0)) + ac.amount
        if not candidates and len(groups) == 1:
            (only, total), = groups.items()
            candidates = [taken.get(only, Decimal(0)) / total] if total else []
        for discount in dict.fromkeys(candidates):
            if all(quantize(total * discount, doc.currency, "half_up") == taken.get(key, Decimal(0))
                   for key, total in groups.items()) and set(taken) <= set(groups):
                return discount
    raise Unexpressible("document-level allowances that are not one percentage of every VAT group")


def _check_fields(settings: dict, customer: dict, invoice: dict, lines: list[dict]) -> None:
    """The values the workbook's validation refuses (a VAT id without its checksum, an
    electronic address scheme it does not know...): the document cannot be a workbook."""
    checks = [("Settings", SettingsInput, {k: v for k, v in settings.items() if v is not None}),
              ("Customers", CustomerRow, customer), ("Invoices", InvoiceRow, invoice)]
    checks += [("InvoiceLines", InvoiceLineRow, line) for line in lines]
    for sheet, model, row in checks:
        try:
            model.model_validate({k: v for k, v in row.items() if v is not None})
        except ValidationError as e:
            first = e.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise Unexpressible(f"{sheet} {field} {row.get(first['loc'][0])!r}: {first['msg']}") from None
