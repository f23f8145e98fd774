"""The bridge between a live workbook and the pipeline (`macros.live`), run against the
in-project fake of xlwings' Book (`macros.fakebook`) over real workbook files: it reads the
very records the file reader reads, writes each output sheet in one array write, writes
input cells one write per run of a column, and what it writes reads back exactly — text
stays text even when Excel would take it for a formula, a number, a boolean or a date."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.worksheet.table import Table

from billing.contract import ALLOCATIONS
from billing.pipeline.match import ALLOCATION_COLUMNS
from billing.workbook.read import read_book
from billing.workbook.write import CellUpdate, HeaderAdd, OutputSheet
from macros import fakebook
from macros.fakebook import FakeBook
from macros.live import alert, apply_live_updates, read_live_book, status, write_live_outputs
from test_cli import run

TABLE_FIELDS = ("spec", "sheet", "header_row", "columns", "headers", "table_name", "last_row",
                "duplicate_headers", "rows_outside", "error_cells")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("live") / "sample.xlsx"
    result = run("new", str(path), "--sample", "30", "--seed", "3")
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def workbook(sample, tmp_path):
    copy = tmp_path / "book.xlsx"
    shutil.copy(sample, copy)
    return copy


def assert_same_book(live, from_file, type_of=type):
    """Same sheets, tables and cells; `type_of` says which value types count as the same."""
    assert (live.sheet_names, live.missing) == (from_file.sheet_names, from_file.missing)
    assert set(live.tables) == set(from_file.tables)
    for name, table in from_file.tables.items():
        other = live.tables[name]
        for field in TABLE_FIELDS:
            assert getattr(other, field) == getattr(table, field), (name, field)
        assert other.frame.equals(table.frame), name
        # equal values of another type (a datetime for a date, 1 for 1.0) would type differently
        assert other.frame.map(type_of).equals(table.frame.map(type_of)), name


def test_the_sample_workbook_reads_as_from_the_file(workbook):
    from_file = read_book(workbook)
    assert len(from_file["Invoices"]) == 30 and len(from_file["Payments"]) > 0
    assert_same_book(read_live_book(FakeBook(workbook)), from_file)


def test_the_shapes_a_user_makes_read_as_from_the_file(workbook):
    """A sheet without a Table (read from A1) with a header twice, a Table that does not
    start in A1, a value typed below a Table, a blank row and whitespace-only text."""
    wb = openpyxl.load_workbook(workbook)
    customers = wb["Customers"]
    del customers.tables[next(iter(customers.tables))]
    customers.cell(1, customers.max_column + 1, "Customer ID")
    customers["B3"] = "   "
    rates = wb["TaxRates"]
    rows = [list(r) for r in rates.iter_rows(values_only=True)]
    del rates.tables[next(iter(rates.tables))]
    rates.delete_rows(1, rates.max_row)
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            rates.cell(3 + i + (i >= 2), 2 + j, value)  # a blank row after the first rate
    rates.add_table(Table(displayName="Rates", ref=f"B3:{chr(ord('B') + len(rows[0]) - 1)}{3 + len(rows)}"))
    invoices = wb["Invoices"]
    invoices.cell(invoices.max_row + 1, 2, "typed below the table")
    wb.save(workbook)

    from_file = read_book(workbook)
    assert from_file["Customers"].table_name is None and from_file["Customers"].duplicate_headers
    assert from_file["TaxRates"].header_row == 3 and from_file["Invoices"].rows_outside
    assert_same_book(read_live_book(FakeBook(workbook)), from_file)


@pytest.mark.parametrize("engine, codes", [("windows", ("#N/A", "#DIV/0!", "#SPILL!", "#CALC!")),
                                           ("mac", ("#N/A", "#DIV/0!", "#REF!"))])
def test_error_values_are_errors_at_their_cells_as_in_the_file(workbook, monkeypatch, engine, codes):
    """`#N/A` in Invoices.status is an `error_value` finding at its cell, from the open workbook
    as from the file — never read as an empty cell (which would make the invoice a draft).
    Text that only looks like an error (`'#N/A`) stays text. (On macOS xlwings knows the seven
    classic error values only; the newer ones are not tried there.)"""
    from macros import engine as engines
    from validation import validate_book

    monkeypatch.setattr(engines, "PLATFORM", "darwin" if engine == "mac" else "win32")
    wb = openpyxl.load_workbook(workbook)
    invoices = wb["Invoices"]
    header = {c.value: c.column for c in invoices[1]}
    for row, code in enumerate(codes, 2):
        cell = invoices.cell(row, header["status"])
        cell.value, cell.data_type = code, "e"
    text = wb["Customers"].cell(2, 2)
    text.value, text.data_type = "#N/A", "s"
    wb.save(workbook)

    from_file = read_book(workbook)
    live = read_live_book(FakeBook(workbook, engine=engine))
    assert_same_book(live, from_file)
    assert [str(v) for v in from_file["Invoices"].error_cells.values()] == list(codes)
    assert from_file["Customers"].frame.iat[0, 1] == "#N/A"
    file_errors = [f for f in validate_book(from_file).findings if f.rule == "error_value"]
    live_errors = [f for f in validate_book(live).findings if f.rule == "error_value"]
    assert live_errors == file_errors
    letter = openpyxl.utils.get_column_letter(header["status"])
    assert [f.cell for f in live_errors] == [f"Invoices!{letter}{row}" for row in range(2, 2 + len(codes))]



@pytest.fixture
def writes(monkeypatch):
    """Every `range.value = …` the bridge makes: (sheet, first row, first column, rows)."""
    made = []
    original = fakebook.FakeRange.value

    def record(self, rows):
        made.append((self._sheet.name, self.row, self.column, len(rows) if isinstance(rows, list) else 1))
        original.fset(self, rows)

    monkeypatch.setattr(fakebook.FakeRange, "value", property(original.fget, record))
    return made


TRICKY = ("=1+2", "00123", "TRUE", "#N/A", "1-30", "'quoted")


def test_outputs_are_one_array_write_each_and_read_back_exactly(workbook, writes):
    book = FakeBook(workbook)
    allocations = OutputSheet("Allocations", ALLOCATION_COLUMNS, [
        ("00123", "INV-2026-000001", Decimal("1190.00"), "invoice_no", 0.98, "=HYPERLINK(\"x\")", None),
        ("P2", "INV-2026-000002", Decimal("0.10"), "manual", None, "TRUE", Decimal("0.05")),
    ], number_formats={"amount": "#,##0.00", "settled": "#,##0.00"})
    report = OutputSheet("Report", ("what", "1-30", "when"), [(t, Decimal(n), dt.date(2026, 10, n + 1))
                                                             for n, t in enumerate(TRICKY)],
                         number_formats={"1-30": "#,##0.00", "when": "yyyy-mm-dd"})
    write_live_outputs(book, (allocations, report))
    assert writes == [("Allocations", 1, 1, 3), ("Report", 1, 1, 1 + len(TRICKY))]

    live = read_live_book(book, optional=(ALLOCATIONS,))["Allocations"]
    book.save()
    from_file = read_book(workbook, optional=(ALLOCATIONS,))["Allocations"]
    assert live.frame.equals(from_file.frame)
    assert from_file.frame.to_dict("records") == [
        {"payment_id": "00123", "invoice_no": "INV-2026-000001", "amount": 1190.0, "method": "invoice_no",
         "confidence": 0.98, "explanation": "=HYPERLINK(\"x\")", "settled": None},
        {"payment_id": "P2", "invoice_no": "INV-2026-000002", "amount": 0.1, "method": "manual",
         "confidence": None, "explanation": "TRUE", "settled": 0.05}]
    ws = openpyxl.load_workbook(workbook)["Report"]
    assert [c.value for c in ws[1]] == ["what", "1-30", "when"]
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=2)] == \
        [[t, n, dt.datetime(2026, 10, n + 1)] for n, t in enumerate(TRICKY)]
    assert all(c.data_type == "s" for c in ws["A"][1:])  # text, never a formula or an error
    assert {c.number_format for c in ws["B"][1:]} == {"#,##0.00"}
    assert {c.number_format for c in ws["C"][1:]} == {"yyyy-mm-dd"}
    assert [t.ref for t in ws.tables.values()] == [f"A1:C{1 + len(TRICKY)}"]


def test_writing_an_output_again_replaces_it(workbook):
    book = FakeBook(workbook)
    rows = [(f"P{n}", f"INV-{n}", Decimal(n), "amount", 0.9, "", None) for n in range(1, 6)]
    write_live_outputs(book, (OutputSheet("Allocations", ALLOCATION_COLUMNS, rows),))
    write_live_outputs(book, (OutputSheet("Allocations", ALLOCATION_COLUMNS, rows[:2]),))
    book.save()
    wb = openpyxl.load_workbook(workbook)
    ws = wb["Allocations"]
    assert wb.sheetnames.count("Allocations") == 1 and [t.ref for t in ws.tables.values()] == ["A1:G3"]
    assert [r[0] for r in ws.iter_rows(min_row=2, values_only=True) if any(v is not None for v in r)] == ["P1", "P2"]
    assert list(read_book(workbook, optional=(ALLOCATIONS,))["Allocations"].frame["payment_id"]) == ["P1", "P2"]


def test_cell_updates_are_one_write_per_run_of_a_column(workbook, writes):
    book = FakeBook(workbook)
    before = read_live_book(book)["Invoices"]
    number, due = before.columns["invoice_no"], before.columns["due_date"]
    last = before.last_row
    updates = [CellUpdate("Invoices", row, number, f"=X{row}") for row in (2, 3, 4, 7)]
    updates += [CellUpdate("Invoices", 5, due, dt.date(2027, 1, 2)), CellUpdate("Invoices", 6, due, None),
                HeaderAdd("Invoices", 1, max(before.columns.values()) + 1, "last_reminder"),
                CellUpdate("Invoices", last + 1, number, "INV-NEW")]  # a row right below the table
    apply_live_updates(book, updates)
    assert sorted(writes) == sorted([("Invoices", 2, number + 1, 3), ("Invoices", 7, number + 1, 1),
                                     ("Invoices", last + 1, number + 1, 1), ("Invoices", 5, due + 1, 2),
                                     ("Invoices", 1, max(before.columns.values()) + 2, 1)])
    book.save()
    after = read_book(workbook)["Invoices"]
    assert [after.frame.at[r, "invoice_no"] for r in (2, 3, 4, 7)] == ["=X2", "=X3", "=X4", "=X7"]
    assert after.frame.at[5, "due_date"] == dt.date(2027, 1, 2) and after.frame.at[6, "due_date"] is None
    # the Table took in the new column and the new row, as Excel would not have by itself
    assert after.headers["last_reminder"] == "last_reminder"
    assert (after.last_row, after.rows_outside, after.frame.at[last + 1, "invoice_no"]) == (last + 1, (), "INV-NEW")
    with pytest.raises(ValueError, match="NaN cannot be stored"):
        apply_live_updates(book, [CellUpdate("Invoices", 2, number, Decimal("NaN"))])


class _NoDesktop:
    """An engine without a status bar or message boxes."""

    def __setattr__(self, key, value):
        raise AttributeError(f"{key} is not available")

    def alert(self, *args, **kwargs):
        raise NotImplementedError("no message boxes here")


def test_status_and_alert_work_where_the_engine_allows(workbook, capsys):
    book = FakeBook(workbook)
    status(book, "reading")
    status(book, None)
    alert(book, "done")
    assert book.app.status_history[-2:] == ["reading", False] and book.app.alerts == ["done"]
    book.app = _NoDesktop()
    status(book, "reading")  # no status bar: progress is optional
    alert(book, "done")
    assert capsys.readouterr().out == "xlbilling: done\n"


def test_imported_payments_land_inside_the_payments_table(tmp_path):
    """The Import statement button appends rows below the Payments table: they must be in it,
    or the next run would find them outside it and never match them."""
    import macros
    from billing.sample.demo import prepare_demo

    demo = prepare_demo(tmp_path, invoices=40, seed=5)
    book = FakeBook(demo.workbook, files=[str(s) for s in demo.statements])
    before = read_live_book(book)["Payments"]
    macros.import_statement(book)
    assert "payments imported" in book.app.alerts[0], book.app.alerts
    after = read_live_book(book)["Payments"]
    added = int(book.app.alerts[0].split()[0])
    assert added > 0 and after.rows_outside == ()
    assert (len(after), after.last_row) == (len(before) + added, before.last_row + added)
