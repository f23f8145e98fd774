"""The committed workbooks are what `workbooks/build.py` says they are, and they validate."""

from pathlib import Path

from billing.workbook.read import read_book
from validation import validate_book

WORKBOOKS = Path(__file__).resolve().parents[1] / "workbooks"


def test_template_is_empty_and_valid_but_for_its_identity():
    book = read_book(WORKBOOKS / "template.xlsx")
    findings = [(f.severity, f.cell, f.rule) for f in validate_book(book).findings]
    assert findings == [("warning", "Settings!B2", "missing_workbook_id")]
    assert [len(book[s]) for s in ("Customers", "Invoices", "InvoiceLines", "Payments")] == [0, 0, 0, 0]


def test_sample_is_valid():
    book = read_book(WORKBOOKS / "sample.xlsx")
    assert validate_book(book).findings == ()
    assert len(book["Invoices"]) == 60
