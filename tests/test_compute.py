"""`xlbilling compute` end to end, and against the EN 16931 example invoices."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest

from builders import base_sheets, set_cell, write_book
from test_cli import run
from shared_data import files_or_skip

NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
KINDS = {"S": "standard", "E": "exempt", "O": "exempt", "Z": "zero", "AE": "reverse_charge"}


def ubl_workbook(path: Path, xml: Path) -> tuple[Path, dict[str, str]]:
    """A billing workbook holding the UBL document, and the document's own totals."""
    root = ElementTree.parse(xml).getroot()
    currency = root.findtext("cbc:DocumentCurrencyCode", namespaces=NS)
    sheets = base_sheets()
    sheets["Invoices"] = [sheets["Invoices"][0]]
    sheets["InvoiceLines"] = [sheets["InvoiceLines"][0]]
    sheets["TaxRates"] = [sheets["TaxRates"][0]]
    sheets["Payments"] = [sheets["Payments"][0]]
    kind = "credit_note" if root.tag.endswith("CreditNote") else "invoice"
    sheets["Invoices"].append(["U1", None, kind, "C1", dt.date(2026, 10, 1), "NET30", None, currency, None,
                               "draft", None, None, None, None, None, None, None])
    codes = {}
    lines = root.findall("cac:InvoiceLine", NS) + root.findall("cac:CreditNoteLine", NS)
    for number, line in enumerate(lines, start=1):
        quantity = line.find("cbc:InvoicedQuantity", NS)
        if quantity is None:
            quantity = line.find("cbc:CreditedQuantity", NS)
        price = Decimal(line.findtext("cac:Price/cbc:PriceAmount", namespaces=NS))
        base = Decimal(line.findtext("cac:Price/cbc:BaseQuantity", default="1", namespaces=NS))
        category = line.find("cac:Item/cac:ClassifiedTaxCategory", NS)
        cat = category.findtext("cbc:ID", namespaces=NS)
        percent = Decimal(category.findtext("cbc:Percent", default="0", namespaces=NS))
        code = f"{cat}{percent.normalize()}"
        codes[code] = (str(percent / 100), KINDS[cat])
        sheets["InvoiceLines"].append(["U1", number, None, str(Decimal(quantity.text)), str(price / base), None,
                                       code, None, None, None])
    for code, (rate, kind_name) in codes.items():
        sheets["TaxRates"].append([code, float(rate), kind_name, None])
    totals = root.find("cac:LegalMonetaryTotal", NS)
    expected = {
        "net": totals.findtext("cbc:TaxExclusiveAmount", namespaces=NS),
        "gross": totals.findtext("cbc:TaxInclusiveAmount", namespaces=NS),
        "tax": root.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=NS),
    }
    return write_book(path, sheets), expected


@pytest.mark.parametrize("xml", files_or_skip("einvoices", "the EN 16931 example invoices", "*.xml"),
                         ids=lambda p: p.stem)
def test_en16931_examples_totals(tmp_path, xml):
    path, expected = ubl_workbook(tmp_path / "u.xlsx", xml)
    result = run("compute", str(path), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    (invoice,) = json.loads(result.stdout)["invoices"]
    assert {k: invoice[k] for k in ("net", "tax", "gross")} == expected


def test_compute_fills_cells_and_keeps_inputs(tmp_path):
    sheets = base_sheets()
    set_cell(sheets, "Invoices", 2, "discount_pct", 0.1)
    path = write_book(tmp_path / "c.xlsx", sheets)
    result = run("compute", str(path), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"invoices": [
        # K1: 2.5 × 120 = 300.00 (S19) and 3 × 19.99 × 0.9 = 53.97 (R7), then 10 % off each code
        {"invoice_key": "K1", "net": "318.57", "tax": "54.70", "gross": "373.27", "due_date": "2026-10-31"},
        # K2: typed due date kept; 500 × 0.95 = 475.00 at 19 %
        {"invoice_key": "K2", "net": "475.00", "tax": "90.25", "gross": "565.25", "due_date": "2026-10-29"},
        # K3: a credit note without lines, entered net 10 at S19
        {"invoice_key": "K3", "net": "10.00", "tax": "1.90", "gross": "11.90", "due_date": "2026-11-04"},
    ]}
    wb = openpyxl.load_workbook(path)
    invoices = list(wb["Invoices"].iter_rows(min_row=2, values_only=True))
    assert [r[6] for r in invoices] == [dt.datetime(2026, 10, 31), dt.datetime(2026, 10, 29), dt.datetime(2026, 11, 4)]
    assert [r[14:17] for r in invoices] == [(318.57, 54.7, 373.27), (475, 90.25, 565.25), (10, 1.9, 11.9)]
    lines = list(wb["InvoiceLines"].iter_rows(min_row=2, values_only=True))
    assert [r[7:10] for r in lines] == [(270, 51.3, 321.3), (48.57, 3.4, 51.97), (475, 90.25, 565.25)]
    summary = list(wb["InvoiceTaxSummary"].iter_rows(values_only=True))
    assert summary[0] == ("invoice_key", "invoice_no", "tax_code", "rate", "kind", "base", "tax", "currency", "note")
    assert [r[:7] for r in summary[1:]] == [
        ("K1", "INV-2026-000001", "S19", 0.19, "standard", 270, 51.3),
        ("K1", "INV-2026-000001", "R7", 0.07, "reduced", 48.57, 3.4),
        ("K2", None, "S19", 0.19, "standard", 475, 90.25),
        ("K3", "CN-2026-000001", "S19", 0.19, "standard", 10, 1.9),
    ]
    # a second run changes nothing and the workbook validates
    before = [list(ws.iter_rows(values_only=True)) for ws in wb.worksheets]
    assert run("compute", str(path)).returncode == 0
    after = [list(ws.iter_rows(values_only=True)) for ws in openpyxl.load_workbook(path).worksheets]
    assert after == before
    assert run("validate", str(path)).returncode == 0


def test_stale_totals_are_reported_with_both_values(tmp_path):
    path = write_book(tmp_path / "s.xlsx", base_sheets())
    assert run("compute", str(path)).returncode == 0
    wb = openpyxl.load_workbook(path)
    wb["InvoiceLines"]["D2"] = 3  # quantity 2.5 → 3 without recomputing
    wb.save(path)
    result = run("validate", str(path), "--json")
    assert result.returncode == 1
    errors = [(e["cell"], e["rule"], e["message"]) for e in json.loads(result.stdout)["errors"]]
    assert errors == [
        ("Invoices!O2", "computed_mismatch", "net 353.97 differs from the computed 413.97; run `xlbilling compute` to refresh it"),
        ("Invoices!P2", "computed_mismatch", "tax 60.78 differs from the computed 72.18; run `xlbilling compute` to refresh it"),
        ("Invoices!Q2", "computed_mismatch", "gross 414.75 differs from the computed 486.15; run `xlbilling compute` to refresh it"),
        ("InvoiceLines!H2", "computed_mismatch", "net 300.00 differs from the computed 360.00; run `xlbilling compute` to refresh it"),
        ("InvoiceLines!I2", "computed_mismatch", "tax 57.00 differs from the computed 68.40; run `xlbilling compute` to refresh it"),
        ("InvoiceLines!J2", "computed_mismatch", "gross 357.00 differs from the computed 428.40; run `xlbilling compute` to refresh it"),
    ]
    assert run("compute", str(path)).returncode == 0  # compute is not blocked by stale totals
    assert run("validate", str(path)).returncode == 0


def test_gross_prices_and_lineless_gross_invoice(tmp_path):
    sheets = base_sheets()
    sheets["Settings"].append(["price_mode", "gross"])
    set_cell(sheets, "Invoices", 4, "net", None)
    set_cell(sheets, "Invoices", 4, "gross", 11.90)
    path = write_book(tmp_path / "g.xlsx", sheets)
    result = run("compute", str(path), "--json")
    assert result.returncode == 0, result.stderr
    k3 = json.loads(result.stdout)["invoices"][2]
    assert (k3["net"], k3["tax"], k3["gross"]) == ("10.00", "1.90", "11.90")
    wb = openpyxl.load_workbook(path)
    assert wb["Invoices"]["Q4"].value == 11.9  # the entered gross is the user's, untouched


def test_compute_refuses_invalid_workbook_and_writes_nothing(tmp_path):
    sheets = base_sheets()
    set_cell(sheets, "InvoiceLines", 2, "quantity", "two")
    path = write_book(tmp_path / "bad.xlsx", sheets)
    before = path.read_bytes()
    result = run("compute", str(path), "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["errors"][0]["cell"] == "InvoiceLines!D2"
    assert path.read_bytes() == before


def test_business_day_terms_use_the_country_calendar(tmp_path):
    sheets = base_sheets()
    sheets["Settings"].append(["business_days_country", "DE"])
    set_cell(sheets, "Invoices", 3, "issue_date", dt.date(2026, 12, 23))
    set_cell(sheets, "Invoices", 3, "terms", "NET3BD")
    set_cell(sheets, "Invoices", 3, "due_date", None)
    path = write_book(tmp_path / "bd.xlsx", sheets)
    result = run("compute", str(path), "--json")
    assert result.returncode == 0, result.stderr
    # 24 Dec (Thu) is a business day in DE; 25 and 26 Dec are holidays, 27 Dec a Sunday
    assert json.loads(result.stdout)["invoices"][1]["due_date"] == "2026-12-29"


def test_untaxed_codes_in_the_tax_summary(tmp_path):
    sheets = base_sheets()
    sheets["TaxRates"].append(["RC", 0, "reverse_charge", "EU B2B services"])
    sheets["InvoiceLines"].append(["K2", 2, "Consulting abroad", 1, 1000, None, "RC", None, None, None])
    sheets["InvoiceLines"].append(["K2", 3, "Training", 1, 200, None, "EX", None, None, None])
    path = write_book(tmp_path / "rc.xlsx", sheets)
    assert run("compute", str(path)).returncode == 0
    rows = list(openpyxl.load_workbook(path)["InvoiceTaxSummary"].iter_rows(min_row=2, values_only=True))
    k2 = [(r[2], r[4], r[5], r[6], r[8]) for r in rows if r[0] == "K2"]
    assert k2 == [
        ("S19", "standard", 475, 90.25, None),
        ("RC", "reverse_charge", 950, 0, "Reverse charge: VAT to be accounted for by the recipient "
                                         "(Article 196 of Directive 2006/112/EC)"),
        ("EX", "exempt", 190, 0, "Exempt from VAT"),
    ]
