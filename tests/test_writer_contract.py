"""The writer contract (`billing.changes`): one set of `Changes` — values of every kind, links,
highlight rules, a chart, marks, cells that grow a Table — rendered by every writer that
takes it: the package writer into a file (`billing.workbook.write.apply_changes`), the
openpyxl writer into a new file (`billing.workbook.newfile.write_workbook`: output sheets
only) and the live writer into an open workbook (`macros.live.apply_live_changes`, into the
in-project fake of xlwings' Book). Each result is read back by the same openpyxl reader and
compared cell by cell with what the contract decides (`cell_value`, `cell_format`,
`grown_bounds`, `column_widths`, `output_links`) and with the other writers. What a writer
cannot render it refuses (`Unsupported`) before writing anything."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.worksheet.table import Table, TableStyleInfo

from billing.changes import (DATE, DATETIME, DATE_FORMAT, MAX_TEXT, MAX_WIDTH, NUMBER, TEXT, BarChart, CellUpdate,
                             Changes, CellValue, DoesNotFit, HeaderAdd, Highlight, Mark, OutputSheet, Unsupported,
                             cell_format, cell_updates, cell_value, column_runs, column_widths, grown_bounds,
                             output_links)
from billing.errors import BadFile
from billing.workbook.newfile import write_workbook
from billing.workbook.write import apply_changes
from macros.fakebook import FakeBook
from macros.live import apply_live_changes, write_live_outputs
from test_outputs import rendered

LONG = "x" * (MAX_TEXT + 100)
REPORT = OutputSheet(
    "Report", ("text", "amount", "day", "flag", "where", "level"),
    [("=1+2", Decimal("1234.567890123456789"), dt.date(2026, 10, 31), True, "Data!B2", 3),
     ("", Decimal("-0.125"), dt.datetime(2026, 1, 2, 12, 30), False, "'My Sheet'!5:5", 1),
     (None, Decimal("-1E+3"), None, None, "not a place", None),
     ("#N/A", Decimal("0.10"), dt.date(1900, 3, 1), None, "Data!$A$1", 2.5),
     ("00123", Decimal("12345678901234.56")),
     ("TRUE", -7, None, None, None, -0.5),
     ("  spaced  ", None, None, None, "Data!3:3"),
     ("bad\x01char\ufffe", Decimal("0")),
     (LONG,)],
    number_formats={"amount": "#,##0.00"}, link_column="where",
    highlights=(Highlight("level", "FFC7CE", above=2), Highlight("amount", "FFEB9C")),
    chart=BarChart("Levels", ("amount", "level"), (0, 1), "where"))
UPDATES = (
    CellUpdate("Data", 4, 0, "=SUM(1)"),  # just below the Table: it grows a row
    CellUpdate("Data", 4, 1, Decimal("-12.345678901234567")),
    CellUpdate("Data", 4, 2, dt.date(2026, 11, 1)),  # a date into a General cell: DATE_FORMAT
    HeaderAdd("Data", 1, 3, "extra"),  # just right of it: it grows a column
    CellUpdate("Data", 3, 3, True),
    CellUpdate("Data", 2, 1, None),  # emptied
    CellUpdate("Data", 2, 2, ""),  # empty text: an empty cell
    CellUpdate("Data", 3, 2, dt.date(2026, 12, 24)),  # into a cell with a format of its own: kept
    CellUpdate("Data", 7, 0, "far"),  # not next to the Table: outside it
)
MARKS = (Mark("Data!B3", "error: a mark"),)


@pytest.fixture
def book(tmp_path):
    """A workbook with a Table `tblData` (A1:C3) on Data, and a stale Report sheet."""
    path = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for row in (("a", "b", "c"), ("k1", 1, "old"), ("k2", 2, dt.datetime(2026, 1, 1))):
        ws.append(row)
    ws["C3"].number_format = "dd.mm.yyyy"
    table = Table(displayName="tblData", ref="A1:C3")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(table)
    wb.create_sheet("My Sheet")["B5"] = "target"
    wb.create_sheet("Report")["Z9"] = "stale"
    wb.save(path)
    return path


def _expected(value):
    """What openpyxl reads back from a cell holding `cell_value(value)`, and its format. A
    number is a double in Excel, and openpyxl (the new-file writer; the fake's `save`) keeps
    16 significant digits of it: equal to 15 digits (the package writer keeps them all)."""
    cell = cell_value(value)
    if cell is None:
        return None, None
    kind, v = cell
    if kind == NUMBER and not isinstance(v, int):
        v = pytest.approx(float(v), rel=1e-15, abs=0)
    elif kind == DATE:
        v = dt.datetime.combine(v, dt.time())
    return v, cell_format(cell, None)


def _values(ws) -> list[list]:
    """Every cell's value, a double to 15 significant digits (see `_expected`)."""
    return [[float(f"{c.value:.15g}") if type(c.value) is float else c.value for c in row] for row in ws.iter_rows()]


def _check_report(ws, output: OutputSheet) -> None:
    """`ws` holds `output` exactly as the contract decides it."""
    assert [c.value for c in ws[1]][:len(output.columns)] == list(output.columns)
    for i, row in enumerate(output.rows, 2):
        for j, value in enumerate(row):
            cell = ws.cell(i, j + 1)
            want, fmt = _expected(value)
            assert cell.value == want, (cell.coordinate, value)
            if want is None:
                continue
            if isinstance(want, str):
                assert cell.data_type == "s", cell.coordinate  # text, never a formula or an error
            own = output.number_formats.get(output.columns[j])
            assert cell.number_format == (cell_format(cell_value(value), own) or "General"), cell.coordinate
    assert ws.max_row == len(output.rows) + 1  # the stale Z9 is gone
    assert [t.ref for t in ws.tables.values()] == [f"A1:F{len(output.rows) + 1}"]
    widths = {letter: d.width for letter, d in ws.column_dimensions.items() if d.width}
    assert widths == {chr(65 + j): w for j, w in enumerate(column_widths(output))}
    links = {c.coordinate: c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink is not None}
    assert links == {f"{chr(65 + j)}{i}": place for i, j, _, place in output_links(output)}
    assert ws.freeze_panes == "A2"


def test_the_contract_decides_each_value_once():
    assert cell_value("=1+2") == CellValue(TEXT, "=1+2")
    assert cell_value("") is None and cell_value(None) is None
    assert cell_value("bad\x01char\ufffe") == CellValue(TEXT, "badchar")
    assert cell_value(LONG).value == LONG[:MAX_TEXT]
    assert cell_value(Decimal("1234.567890123456789")).value == Decimal("1234.567890123456789")  # exact
    assert cell_value(True) == CellValue("bool", True)  # a bool, not the number 1
    assert cell_value(dt.datetime(2026, 1, 2, 12, 30)).kind == DATETIME
    assert cell_format(cell_value(dt.date(2026, 1, 2)), None) == DATE_FORMAT
    assert cell_format(cell_value(dt.date(2026, 1, 2)), "dd.mm.yyyy") == "dd.mm.yyyy"
    assert cell_format(cell_value(Decimal(1)), None) is None
    for bad in (Decimal("NaN"), float("inf"), object()):
        with pytest.raises(ValueError, match="Report!A2"):
            cell_value(bad, "Report!A2")
    assert grown_bounds((1, 1, 3, 3), [(4, 1), (1, 4), (7, 1)]) == (1, 1, 4, 4)
    assert grown_bounds((1, 1, 3, 3), [(4, 1)], totals=True) == (1, 1, 3, 3)
    assert grown_bounds((1, 1, 3, 3), [(5, 1)]) == (1, 1, 3, 3)  # a gap: not next to it
    assert column_widths(REPORT)[0] == MAX_WIDTH and column_widths(REPORT)[3] == len("flag") + 4
    assert issubclass(DoesNotFit, Unsupported) and issubclass(DoesNotFit, BadFile)
    assert issubclass(Unsupported, ValueError)


def test_the_same_changes_render_the_same_through_every_writer(book, tmp_path):
    changes = Changes(outputs=(REPORT,), updates=tuple(u for u in UPDATES if isinstance(u, CellUpdate)),
                      headers=tuple(u for u in UPDATES if isinstance(u, HeaderAdd)), marks=MARKS)
    file_copy, live_copy, new_file = tmp_path / "file.xlsx", tmp_path / "live.xlsx", tmp_path / "new.xlsx"
    file_copy.write_bytes(book.read_bytes())
    live_copy.write_bytes(book.read_bytes())

    apply_changes(file_copy, changes)
    fake = FakeBook(live_copy)
    apply_live_changes(fake, changes._replace(marks=None))  # marks: see the next test
    fake.save()
    write_workbook(new_file, changes.outputs)

    from_file, from_live = openpyxl.load_workbook(file_copy), openpyxl.load_workbook(live_copy)
    from_new = openpyxl.load_workbook(new_file)
    for wb in (from_file, from_live, from_new):
        _check_report(wb["Report"], REPORT)
    file_view = rendered(from_file["Report"])
    for other in (from_live, from_new):
        view = rendered(other["Report"])
        for part in file_view:
            assert view[part] == file_view[part], part
    # the package writer keeps every digit of a Decimal (openpyxl and Excel hold a double)
    sheet = next(n for n in zipfile.ZipFile(file_copy).namelist() if n.startswith("xl/worksheets/")
                 and b"1234.567890123456789" in zipfile.ZipFile(file_copy).read(n))
    assert sheet

    # input cells: the same values and formats, the Table grown the same way
    expected_bounds = grown_bounds((1, 1, 3, 3), [(u.row, u.column + 1) for u in UPDATES])
    assert expected_bounds == (1, 1, 4, 4)
    for wb in (from_file, from_live):
        ws = wb["Data"]
        assert [t.ref for t in ws.tables.values()] == ["A1:D4"]
        assert ws["D1"].value == "extra"
        for update in changes.updates:
            cell = ws.cell(update.row, update.column + 1)
            want, fmt = _expected(update.value)
            assert cell.value == want, cell.coordinate
            if want is not None:
                own = "dd.mm.yyyy" if cell.coordinate == "C3" else None
                assert cell.number_format == (cell_format(cell_value(update.value), own) or "General"), \
                    cell.coordinate
        assert ws["A7"].value == "far" and ws["A2"].value == "k1"
    assert _values(from_file["Data"]) == _values(from_live["Data"])

    # marks: the package writer renders them as a highlight rule
    rules = [(str(cf.sqref), r.formula) for cf in from_file["Data"].conditional_formatting for r in cf.rules]
    assert rules == [("B3", ['"xlbilling"="xlbilling"'])]


def test_what_the_live_writer_cannot_render_it_refuses_before_writing(book):
    fake = FakeBook(book)
    for changes in (Changes(outputs=(REPORT,), marks=MARKS),  # marks: no conditional formats by formula live
                    Changes(outputs=(REPORT,), marks=()),  # nor removing them
                    Changes(outputs=(REPORT._replace(chart=REPORT.chart._replace(series_rows=(0, 2))),),
                            updates=UPDATES[:1])):  # a chart's series from rows apart: one source range
        with pytest.raises(Unsupported):
            apply_live_changes(fake, changes)
    with pytest.raises(Unsupported, match="series rows must follow one another"):
        write_live_outputs(fake, (REPORT._replace(chart=REPORT.chart._replace(series_rows=(0, 2))),))
    fake.save()
    wb = openpyxl.load_workbook(book)
    assert wb["Report"]["Z9"].value == "stale" and wb["Data"]["A4"].value is None  # nothing written


def test_every_writer_refuses_what_no_cell_can_hold(book, tmp_path):
    bad = REPORT._replace(rows=[("x", Decimal("NaN"))], chart=None)
    with pytest.raises(ValueError, match="NaN cannot be stored"):
        apply_changes(book, Changes(outputs=(bad,)))
    with pytest.raises(ValueError, match="NaN cannot be stored"):
        write_workbook(tmp_path / "new.xlsx", (bad,))
    with pytest.raises(ValueError, match="NaN cannot be stored"):
        write_live_outputs(FakeBook(book), (bad,))
    assert not (tmp_path / "new.xlsx").exists()


@pytest.mark.parametrize("rows, values, expected", [
    ([2, 3, 4], "abc", [(2, ("a", "b", "c"))]),
    ([2, 3, 5, 6, 9], "abcde", [(2, ("a", "b")), (5, ("c", "d")), (9, ("e",))]),
    ([7], "x", [(7, ("x",))]),
    ([], "", []),
])
def test_column_runs_are_the_runs_of_consecutive_rows(rows, values, expected):
    runs = column_runs("S", 4, rows, list(values))
    assert [(r.sheet, r.column, r.first_row, r.values) for r in runs] == [("S", 4, f, v) for f, v in expected]
    breaks = [i for i in range(1, len(rows)) if rows[i] != rows[i - 1] + 1]
    assert column_runs("S", 4, rows, list(values), breaks) == runs  # the caller's breaks: the same runs
    assert list(cell_updates(runs)) == [CellUpdate("S", r, 4, v) for r, v in zip(rows, values)]


def test_a_column_run_writes_exactly_what_its_cells_write(book, tmp_path):
    """Through the package writer (byte for byte) and the live writer (cell for cell)."""
    cells = [CellUpdate("Data", r, 1, v) for r, v in
             ((2, Decimal("1.50")), (3, "text"), (4, dt.date(2026, 1, 2)), (5, None), (7, Decimal("-9")))]
    runs = column_runs("Data", 1, [c.row for c in cells], [c.value for c in cells])
    assert len(runs) == 2
    by_cells, by_runs = tmp_path / "cells.xlsx", tmp_path / "runs.xlsx"
    for path, updates in ((by_cells, cells), (by_runs, runs)):
        path.write_bytes(book.read_bytes())
        apply_changes(path, Changes(updates=tuple(updates)))
    with zipfile.ZipFile(by_cells) as a, zipfile.ZipFile(by_runs) as b:
        assert a.namelist() == b.namelist()
        assert all(a.read(n) == b.read(n) for n in a.namelist())
    assert openpyxl.load_workbook(by_runs)["Data"]["B4"].value == dt.datetime(2026, 1, 2)
    live = []
    for n, updates in enumerate((cells, runs)):
        copy = tmp_path / f"live{n}.xlsx"
        copy.write_bytes(book.read_bytes())
        fake = FakeBook(copy)
        apply_live_changes(fake, Changes(updates=tuple(updates)))
        fake.save()
        live.append(_values(openpyxl.load_workbook(copy)["Data"]))
    assert live[0] == live[1] and live[0][2][1] == "text"
