"""billing/documents: the PDF invoice, Factur-X (PDF/A-3 with its CII XML) and the SEPA QR code."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from decimal import Decimal as D

import pikepdf
import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.documents.epc_qr import EpcError, EpcPayment, epc_matrix, epc_payload
from billing.documents.facturx import AF_RELATIONSHIP, embedded_xml, render_facturx, render_pdf_and_facturx
from billing.documents.pdf import grouped, money, quantity_text, render_pdf, sheet_of
from billing.documents.style import StyleError, load_style
from billing.invoicing.document import (Address, InvoiceDocument, Line, Party, PaymentMeans, PaymentTerms, Source,
                                        Totals, VatBreakdown)
from tests.shared_data import missing, shared_set
from tests.tests_support import text_of

ISSUE = dt.date(2026, 1, 15)
SELLER = Party("Muster Consulting GmbH", Address("Hauptstraße 1", "10115", "Berlin", "DE"), "DE123456789", None,
               tax_number="30/123/45678", contact_email="billing@muster.example", contact_phone="+49 30 1234567")
BUYER = Party("Łódź Trading Sp. z o.o.", Address("ul. Piotrkowska 10", "90-001", "Łódź", "PL"), "PL5260001246", None)


def _line(n: int, qty: str, price: str, category="S", rate="19") -> Line:
    net = (D(qty) * D(price)).quantize(D("0.01"))
    tax = (net * D(rate) / 100).quantize(D("0.01"))
    return Line(str(n), f"Consulting, workshop part {n}", D(qty), "HUR", net, D(price), None, category, D(rate),
                "VAT19", net, tax, net + tax)


def document(**changes) -> InvoiceDocument:
    lines = (_line(1, "2", "120.00"), _line(2, "1.5", "80.00"))
    base = InvoiceDocument(
        number="INV-2026-0042", type_code="380", issue_date=ISSUE, currency="EUR", seller=SELLER, buyer=BUYER,
        lines=lines, allowances=(),
        vat=(VatBreakdown("S", D("19.00"), D("360.00"), D("68.40"), None, None, ("VAT19",)),),
        totals=Totals(D("360.00"), D("0"), D("0"), D("360.00"), D("68.40"), D("428.40"), D("0"), D("0"),
                      D("428.40")),
        payment_means=PaymentMeans("58", "RF18539007547034", "DE89370400440532013000", None, "COBADEFFXXX"),
        payment_terms=PaymentTerms("NET30-2/10", "Net 30 days, 2 % within 10 days", dt.date(2026, 2, 14),
                                   D("0.02"), 10, dt.date(2026, 1, 25), D("428.40"), D("419.83")),
        delivery_date=dt.date(2026, 1, 10), buyer_reference="PO-7781", preceding_number=None, preceding_date=None,
        notes=(), price_mode="net", invoice_key="k1", document_format="pdf",
        source=Source("Invoices", 7, "invoice_no"), customer_source=None)
    return dataclasses.replace(base, **changes)


# -- the EPC QR code --------------------------------------------------------------------------------

PAYMENT = EpcPayment("Muster Consulting GmbH", "DE89 3704 0044 0532 0130 00", D("428.40"), "EUR", "COBADEFFXXX",
                     reference="RF18 5390 0754 7034")


def test_epc_payload_exact_with_an_rf_reference():
    assert epc_payload(PAYMENT) == ("BCD\n002\n1\nSCT\nCOBADEFFXXX\nMuster Consulting GmbH\n"
                                    "DE89370400440532013000\nEUR428.40\n\nRF18539007547034")


def test_epc_payload_exact_with_a_text_and_no_bic():
    payment = PAYMENT._replace(bic="", reference="", text="Invoice  INV-7", amount=D("0.01"), purpose="gdds")
    assert epc_payload(payment) == ("BCD\n002\n1\nSCT\n\nMuster Consulting GmbH\nDE89370400440532013000\n"
                                    "EUR0.01\nGDDS\n\nInvoice INV-7")


def test_epc_name_is_cut_at_70_characters():
    name = "Ä" * 80
    assert epc_payload(PAYMENT._replace(name=name)).splitlines()[5] == "Ä" * 70


@pytest.mark.parametrize("change, message", [
    ({"currency": "CHF"}, "euro amounts only"),
    ({"amount": D("0")}, "outside"),
    ({"amount": D("1000000000.00")}, "outside"),
    ({"amount": D("1.005")}, "two decimals"),
    ({"amount": 1.5}, "Decimal"),
    ({"iban": "12345"}, "not an IBAN"),
    ({"bic": "COBADE"}, "8 or 11"),
    ({"text": "x"}, "not both"),
    ({"reference": "RF" + "1" * 34}, "longer than 35"),
    ({"reference": "", "text": "x" * 141}, "longer than 140"),
    ({"purpose": "AB1"}, "4 letters"),
    ({"name": "  "}, "name is empty"),
])
def test_epc_refuses_what_the_standard_does_not_carry(change, message):
    with pytest.raises(EpcError, match=message):
        epc_payload(PAYMENT._replace(**change))


def test_epc_matrix_is_the_qr_code_of_the_payload():
    expected = segno.make(epc_payload(PAYMENT), error="m", encoding="utf-8", micro=False, boost_error=False)
    assert epc_matrix(PAYMENT) == tuple(tuple(bool(m) for m in row) for row in expected.matrix)
    assert expected.error == "M"


@settings(max_examples=60, deadline=None)
@given(st.decimals(min_value=D("0.01"), max_value=D("999999999.99"), places=2),
       st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=140))
def test_epc_payload_fits_the_standard(amount, text):
    if not text.strip():
        return
    payload = epc_payload(PAYMENT._replace(amount=amount, reference="", text=text))
    lines = payload.split("\n")
    assert lines[:4] == ["BCD", "002", "1", "SCT"] and lines[7] == f"EUR{amount:.2f}"
    assert len(payload.encode("utf-8")) <= 331 and not payload.endswith("\n")


# -- the PDF ---------------------------------------------------------------------------------------


def test_the_same_document_gives_the_same_bytes():
    assert render_pdf(document()) == render_pdf(document())
    assert render_pdf(document()) != render_pdf(document(number="INV-2026-0043"))


def test_documents_in_turn_do_not_share_font_state():
    """Each document parses its own copy of the process's fonts (fontTools subsets in place):
    another document in between, or a Factur-X, changes nothing."""
    first = render_pdf(document())
    render_pdf(document(buyer=dataclasses.replace(BUYER, name="Zyxwvut Qjk & Ærø AB")))
    render_facturx(document(), _cii_bytes())
    assert render_pdf(document()) == first


def _cii_bytes() -> bytes:
    from billing.documents.cii import cii_bytes

    return cii_bytes(document())


GREEK = dataclasses.replace(BUYER, name="Αθηνά Εμπορική Α.Ε.")


def test_printed_characters_and_the_working_fonts():
    from billing.documents.pdf import latin_only, printed_characters

    style = load_style()
    sheet = sheet_of(document())
    chars = printed_characters(sheet, style)
    assert {"Ł", "ó", "ź", "I", "4", "-"} <= chars and set(style.texts["qr_caption"]) <= chars
    assert latin_only(sheet, style)
    assert not latin_only(sheet_of(document(buyer=GREEK)), style)
    assert not latin_only(sheet_of(document(notes=("Срок оплаты 30 дней",))), style)


def test_the_working_fonts_give_the_same_bytes_as_the_whole_fonts(monkeypatch):
    import billing.documents.pdf as pdf_module

    working = render_pdf(document())
    monkeypatch.setattr(pdf_module, "latin_only", lambda sheet, style: False)
    assert render_pdf(document()) == working


def test_the_shared_font_objects_give_the_same_bytes_as_fonts_parsed_anew(monkeypatch):
    import billing.documents.pdf as pdf_module

    shared = render_pdf(document()), render_facturx(document(), _cii_bytes())
    monkeypatch.setattr(pdf_module, "_parsed_font", lambda *args: None)
    assert (render_pdf(document()), render_facturx(document(), _cii_bytes())) == shared


def test_a_character_outside_latin_is_printed_with_the_whole_font(caplog):
    text = text_of(render_pdf(document(buyer=GREEK)))
    assert "Αθηνά Εμπορική Α.Ε." in text
    assert "missing" not in caplog.text


def test_a_glyph_the_working_fonts_miss_after_all_is_drawn_again_with_the_whole_fonts(monkeypatch):
    import billing.documents.pdf as pdf_module

    expected = render_pdf(document(buyer=GREEK))
    monkeypatch.setattr(pdf_module, "latin_only", lambda sheet, style: True)  # as if the Greek went unseen
    assert render_pdf(document(buyer=GREEK)) == expected


def test_every_particular_is_on_the_page():
    text = text_of(render_pdf(document()))
    for particular in ("Invoice", "INV-2026-0042", "Muster Consulting GmbH", "Hauptstraße 1", "10115 Berlin",
                       "VAT ID DE123456789", "Tax number 30/123/45678", "Łódź Trading Sp. z o.o.", "90-001 Łódź",
                       "VAT ID PL5260001246", "Invoice date", "2026-01-15", "Date of supply", "2026-01-10",
                       "Due date", "2026-02-14", "PO-7781", "Consulting, workshop part 1", "1.5", "80.00", "120.00",
                       "19 %", "240.00", "360.00", "68.40", "428.40 EUR", "DE89 3704 0044 0532 0130 00",
                       "COBADEFFXXX", "RF18 5390 0754 7034", "Net 30 days, 2 % within 10 days",
                       "2 % discount if paid by 2026-01-25: pay 419.83 EUR", "Scan to pay (SEPA)", "Page 1 of 1"):
        assert particular in text, particular


def test_a_credit_note_says_what_it_corrects_and_has_no_qr():
    doc = document(type_code="381", number="CN-2026-0003", preceding_number="INV-2026-0042",
                   preceding_date=dt.date(2026, 1, 15))
    sheet = sheet_of(doc)
    assert sheet.qr is None and sheet.notes[0] == "Credit note for invoice INV-2026-0042 of 2026-01-15"
    text = text_of(render_pdf(doc))
    assert "Credit note for invoice INV-2026-0042 of 2026-01-15" in text and "Scan to pay" not in text


def test_exemption_and_reverse_charge_wording():
    vat = (VatBreakdown("AE", D("0.00"), D("360.00"), D("0.00"), None, None, ("RC",)),
           VatBreakdown("E", D("0.00"), D("10.00"), D("0.00"), "Exempt under Art. 132(1)(i)", "VATEX-EU-132-1I",
                        ("EX",)))
    sheet = sheet_of(document(vat=vat))
    assert sheet.tax_rows == (("Reverse charge", "360.00", "0.00"), ("Exempt", "10.00", "0.00"))
    assert sheet.notes == ("Reverse charge: VAT to be accounted for by the recipient (Art. 196 Directive "
                           "2006/112/EC)", "Exempt: Exempt under Art. 132(1)(i)")


def test_no_qr_for_another_currency():
    assert sheet_of(document(currency="CHF")).qr is None
    assert sheet_of(document()).qr == EpcPayment("Muster Consulting GmbH", "DE89370400440532013000", D("428.40"),
                                                  "EUR", "COBADEFFXXX", reference="RF18539007547034")


def test_totals_show_the_discount_and_what_is_due():
    totals = Totals(D("400.00"), D("40.00"), D("0"), D("360.00"), D("68.40"), D("428.40"), D("100.00"), D("0"),
                    D("328.40"))
    assert sheet_of(document(totals=totals)).totals == (
        ("sum_of_lines", "400.00"), ("allowances", "-40.00"), ("total_net", "360.00"), ("total_tax", "68.40"),
        ("total_gross", "428.40"), ("prepaid", "-100.00"), ("amount_due", "328.40"))


def test_formatting():
    assert money(D("1234567.50")) == "1,234,567.50" and money(D("-3.1")) == "-3.1"
    assert quantity_text(D("2.000")) == "2" and quantity_text(D("1.50")) == "1.5" and quantity_text(D("10")) == "10"
    assert grouped("RF18539007547034") == "RF18 5390 0754 7034"
    with pytest.raises(TypeError):
        money(1.5)


def test_a_long_invoice_breaks_pages_and_numbers_them():
    lines = tuple(_line(n, "1", "10.00") for n in range(1, 80))
    text = text_of(render_pdf(document(lines=lines)))
    assert "Page 1 of 3" in text and "Page 3 of 3" in text and "workshop part 79" in text


def test_a_logo_is_drawn(tmp_path):
    from PIL import Image

    Image.new("RGB", (200, 80), (31, 78, 121)).save(tmp_path / "logo.png")
    with pikepdf.open(io.BytesIO(render_pdf(document(), logo=tmp_path / "logo.png"))) as pdf:
        assert any(x.get("/Subtype") == "/Image" for x in pdf.pages[0].Resources.XObject.values())


def _logo(folder):
    from PIL import Image

    Image.new("RGB", (200, 80), (31, 78, 121)).save(folder / "logo.png")
    return folder / "logo.png"


@pytest.mark.parametrize("changes", [
    {}, {"buyer": GREEK}, {"lines": tuple(_line(n, "1", "10.00") for n in range(1, 80))},
    {"type_code": "381", "preceding_number": "INV-2026-0001", "preceding_date": dt.date(2026, 1, 2)}, "logo",
], ids=["invoice", "whole fonts", "three pages", "credit note", "logo"])
def test_the_pdf_and_the_facturx_from_one_drawing_are_the_bytes_of_two_drawings(changes, tmp_path):
    """`issue` makes the plain PDF and the Factur-X PDF of an invoice from one drawing: the same
    bytes as each drawn on its own, the Factur-X still PDF/A-3 with its XML and fonts embedded."""
    logo = _logo(tmp_path) if changes == "logo" else None
    doc = document(**(changes if isinstance(changes, dict) else {}))
    cii = _cii_bytes()
    both = render_pdf_and_facturx(doc, cii, logo=logo)
    assert both == (render_pdf(doc, logo=logo), render_facturx(doc, cii, logo=logo))
    assert embedded_xml(both[0]) is None and embedded_xml(both[1]) == cii
    with pikepdf.open(io.BytesIO(both[1])) as pdf:
        assert_pdfa3_fonts_embedded(pdf)
        assert pdf.open_metadata()["pdfaid:part"] == "3"
    assert render_pdf_and_facturx(doc, cii, logo=logo) == both


def test_one_drawing_falls_back_to_the_whole_fonts_for_both_when_a_glyph_is_missed(monkeypatch):
    import billing.documents.pdf as pdf_module

    expected = render_pdf_and_facturx(document(buyer=GREEK), _cii_bytes())
    monkeypatch.setattr(pdf_module, "latin_only", lambda sheet, style: True)  # as if the Greek went unseen
    assert render_pdf_and_facturx(document(buyer=GREEK), _cii_bytes()) == expected


def test_a_user_style_restyles(tmp_path):
    (tmp_path / "style.toml").write_text('[colours]\naccent = "#006400"\n[texts]\ninvoice = "Rechnung"\n',
                                         encoding="utf-8")
    style = load_style(tmp_path / "style.toml")
    assert style.colours["accent"] == (0, 100, 0) and style.texts["invoice"] == "Rechnung"
    assert style.texts["credit_note"] == "Credit note"
    assert "Rechnung" in text_of(render_pdf(document(), style))


@pytest.mark.parametrize("content, message", [
    ("[colour]\naccent = '#000000'\n", r"unknown section \[colour\]"),
    ("[colours]\naccentt = '#000000'\n", "unknown key colours.accentt"),
    ("[colours]\naccent = 'green'\n", "not a colour"),
    ("[sizes]\nbody = 'big'\n", "sizes.body must be like"),
    ("[fonts]\nregular = '/no/such.ttf'\n", "no such file"),
])
def test_a_bad_style_is_refused_by_name(tmp_path, content, message):
    (tmp_path / "style.toml").write_text(content, encoding="utf-8")
    with pytest.raises(StyleError, match=message):
        render_pdf(document(), load_style(tmp_path / "style.toml"))


def assert_pdfa3_fonts_embedded(pdf: pikepdf.Pdf) -> None:
    fonts = [f for page in pdf.pages for f in page.Resources.Font.values()]
    assert fonts
    for font in fonts:
        descendants = font.get("/DescendantFonts")
        descriptor = (descendants[0] if descendants else font).FontDescriptor
        assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.BaseFont
    intents = pdf.Root.OutputIntents
    assert len(intents) == 1 and intents[0].S == "/GTS_PDFA1"
    assert intents[0].DestOutputProfile.read_bytes()[36:40] == b"acsp"  # an ICC profile


def test_the_plain_pdf_is_pdfa3b():
    with pikepdf.open(io.BytesIO(render_pdf(document()))) as pdf:
        assert_pdfa3_fonts_embedded(pdf)
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"
        assert meta["xmp:CreateDate"] == "2026-01-15T00:00:00+00:00"
        assert "/Info" not in pdf.trailer  # fpdf2 writes PDF/A with the XMP alone: nothing to disagree with it
        assert "/AF" not in pdf.Root


# -- Factur-X --------------------------------------------------------------------------------------

CII_EXAMPLE = shared_set("einvoices") / "en16931-examples" / "cii" / "CII_example1.xml"


@pytest.fixture
def cii() -> bytes:
    if not CII_EXAMPLE.is_file():
        pytest.skip(missing("einvoices", f"the official CII examples ({CII_EXAMPLE.name})"))
    return CII_EXAMPLE.read_bytes()


def test_facturx_embeds_the_cii_as_an_associated_file(cii):
    data = render_facturx(document(), cii)
    assert data == render_facturx(document(), cii)
    assert embedded_xml(data) == cii
    with pikepdf.open(io.BytesIO(data)) as pdf:
        af = pdf.Root.AF
        assert len(af) == 1 and af[0].F == "factur-x.xml" and af[0].UF == "factur-x.xml"
        assert af[0].AFRelationship == f"/{AF_RELATIONSHIP}"
        stream = af[0].EF.F
        assert stream.Subtype == "/text/xml" and stream.read_bytes() == cii
        names = pdf.Root.Names.EmbeddedFiles.Names
        assert names[0] == "factur-x.xml" and names[1].objgen == af[0].objgen
        assert_pdfa3_fonts_embedded(pdf)
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"
        fx = "{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}"
        assert meta[f"{fx}DocumentFileName"] == "factur-x.xml" and meta[f"{fx}DocumentType"] == "INVOICE"
        assert meta[f"{fx}ConformanceLevel"] == "EN 16931" and meta[f"{fx}Version"] == "1.0"
        xmp = pdf.Root.Metadata.read_bytes().decode("utf-8")
        assert re.search(r"<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#<", xmp)
        assert pdf.pdf_version >= "1.7"


def test_facturx_needs_a_cii_invoice():
    with pytest.raises(ValueError, match="CrossIndustryInvoice"):
        render_facturx(document(), b"<Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'/>")


def test_a_plain_pdf_has_no_embedded_xml():
    assert embedded_xml(render_pdf(document())) is None


@pytest.mark.parametrize(("price", "currency", "printed"), [
    ("85", "EUR", "85.00"), ("403.91", "EUR", "403.91"), ("0.125", "EUR", "0.125"), ("1250", "EUR", "1,250.00"),
    ("1500", "JPY", "1,500"), ("2.5", "KWD", "2.500"),
])
def test_a_unit_price_shows_at_least_the_currency_decimals(price, currency, printed):
    from billing.documents.pdf import price_text

    assert price_text(D(price), currency) == printed
