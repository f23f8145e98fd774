"""Live outputs equal file outputs: every output sheet the project writes, through both
writers — the package writer into a file (`billing.workbook.write.apply_changes`) and the live
writer into a workbook open in Excel (`macros.live.write_live_outputs`, into the in-project
fake of xlwings' Book, which keeps what Excel would hold) — read back by the same openpyxl
reader and compared: values, number formats, links, highlight rules, the chart (type, title,
series names and ranges, categories, place), the Table, frozen panes and column widths."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import openpyxl
import pytest

from billing.contract import ALLOCATIONS
from billing.pipeline.findings import validation_sheet
from billing.workbook.read import read_book
from billing.workbook.write import BarChart, Changes, Highlight, OutputSheet, apply_changes
from macros.fakebook import FakeBook
from macros.live import write_live_outputs


@pytest.fixture(scope="module")
def closed(tmp_path_factory):
    """A demo workbook and every output sheet the month-end close writes for it."""
    from billing.pipeline.close import CloseOptions, close
    from billing.sample.demo import prepare_demo
    from billing.store import open_store

    folder = tmp_path_factory.mktemp("outputs")
    demo = prepare_demo(folder, invoices=40, seed=7)
    result = close(read_book(demo.workbook, optional=(ALLOCATIONS,)), open_store(f"sqlite:///{folder / 'store.db'}"),
                   CloseOptions(demo.as_of, statements=demo.statements), workbook="demo.xlsx")
    assert result.ok, result.findings
    return demo.workbook, result.changes.outputs


def _invalid_findings(tmp_path, workbook):
    """Findings with cells, for the Validation sheet's links."""
    from validation import validate_book

    bad = tmp_path / "bad.xlsx"
    wb = openpyxl.load_workbook(workbook)
    wb["Invoices"]["E2"] = "not a date"
    wb["Invoices"]["C3"] = None
    wb.save(bad)
    return validate_book(read_book(bad)).findings


TRICKY = OutputSheet(
    "Report", ("what", "1-30", "when", "where", "level"),
    [("=1+2", Decimal("1.50"), dt.date(2026, 10, 31), "Invoices!B2", 3),
     ("", Decimal("0"), None, "'My Sheet'!5:5", 1),
     ("#N/A", None, dt.datetime(2026, 1, 2, 12, 30), "not a place", None),
     ("00123",)],
    number_formats={"1-30": "#,##0.00"}, link_column="where",
    highlights=(Highlight("level", "FFC7CE", above=2), Highlight("1-30", "FFEB9C")),
    chart=BarChart("Levels", ("1-30",), (0, 1), "what"))
EMPTY = OutputSheet("Nothing", ("a", "b"), [], highlights=(Highlight("b", "FFEB9C"),), link_column="a")


def _cases(tmp_path, closed):
    workbook, outputs = closed
    return (*outputs, validation_sheet(_invalid_findings(tmp_path, workbook)), TRICKY, EMPTY)


def test_every_output_sheet_renders_the_same_in_excel_as_in_the_file(tmp_path, closed):
    workbook, _ = closed
    outputs = _cases(tmp_path, closed)
    assert {o.name for o in outputs} >= {"Validation", "Aging", "Dunning", "Allocations", "Unmatched",
                                         "InvoiceTaxSummary", "Statements", "Close"}
    assert any(o.chart for o in outputs) and any(o.highlights for o in outputs) and any(o.link_column for o in outputs)
    file_copy, live_copy = tmp_path / "file.xlsx", tmp_path / "live.xlsx"
    shutil.copy(workbook, file_copy)
    shutil.copy(workbook, live_copy)
    apply_changes(file_copy, Changes(outputs=outputs))
    book = FakeBook(live_copy)
    write_live_outputs(book, outputs)
    book.save()
    _assert_same_outputs(file_copy, live_copy, outputs)


def test_written_again_an_output_sheet_is_replaced_the_same_way(tmp_path, closed):
    """The second run replaces the first one's links, rules, chart and Table, in both writers."""
    workbook, outputs = closed
    aging = next(o for o in outputs if o.name == "Aging")
    smaller = aging._replace(rows=list(aging.rows[-2:]), chart=aging.chart._replace(series_rows=(1,)))
    first = (aging, TRICKY, validation_sheet(_invalid_findings(tmp_path, workbook)))
    second = (smaller, TRICKY._replace(rows=TRICKY.rows[2:], chart=None), validation_sheet(()))
    file_copy, live_copy = tmp_path / "file.xlsx", tmp_path / "live.xlsx"
    shutil.copy(workbook, file_copy)
    shutil.copy(workbook, live_copy)
    for outputs_of_run in (first, second):  # the workbook saved and opened again in between
        apply_changes(file_copy, Changes(outputs=outputs_of_run))
        book = FakeBook(live_copy)
        write_live_outputs(book, outputs_of_run)
        book.save()
    _assert_same_outputs(file_copy, live_copy, second)
    assert not openpyxl.load_workbook(live_copy)["Report"]._charts


def _assert_same_outputs(file_path, live_path, outputs):
    from_file, from_live = openpyxl.load_workbook(file_path), openpyxl.load_workbook(live_path)
    assert from_file.sheetnames == from_live.sheetnames
    for output in outputs:
        file_view, live_view = rendered(from_file[output.name]), rendered(from_live[output.name])
        for part in file_view:
            assert live_view[part] == file_view[part], (output.name, part)


def rendered(ws) -> dict:
    """What a person sees of an output sheet, as openpyxl reads it from the saved file."""
    values = [[c.value for c in row] for row in ws.iter_rows()]
    while values and all(v is None for v in values[-1]):
        values.pop()
    formats = {c.coordinate: c.number_format for row in ws.iter_rows(min_row=2) for c in row if c.value is not None}
    links = {c.coordinate: c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink is not None}
    rules = sorted((str(cf.sqref), rule.type, rule.operator, tuple(float(f) for f in rule.formula),
                    rule.dxf.fill.fgColor.rgb[-6:].upper())
                   for cf in ws.conditional_formatting for rule in cf.rules)
    tables = sorted((t.ref, t.tableStyleInfo.name) for t in ws.tables.values())
    widths = {letter: d.width for letter, d in ws.column_dimensions.items() if d.width}
    return {"values": values, "number formats": formats, "links": links, "highlight rules": rules,
            "charts": [_chart(c) for c in ws._charts], "tables": tables, "frozen": ws.freeze_panes,
            "widths": widths}


def _ref(formula: str) -> str:
    """`'Aging'!$D$1:$D$1` and `Aging!D1` are the same place."""
    sheet, _, cells = formula.replace("$", "").rpartition("!")
    first, _, last = cells.partition(":")
    return f"{sheet.strip(chr(39))}!{first if last in ('', first) else cells}"


def _chart(chart) -> dict:
    title = "".join(r.t for p in chart.title.tx.rich.p for r in (p.r or ())) if chart.title else None
    series = []
    for s in chart.series:
        name = _ref(s.tx.strRef.f) if s.tx.strRef is not None else s.tx.v
        categories = s.cat.strRef or s.cat.numRef
        series.append((name, _ref(s.val.numRef.f), _ref(categories.f)))
    anchor = chart.anchor._from
    return {"kind": (chart.tagname, chart.type, chart.grouping), "title": title, "series": series,
            "value axis format": chart.y_axis.numFmt.formatCode if chart.y_axis.numFmt else None,
            "legend": chart.legend.position if chart.legend else None, "at": (anchor.col, anchor.row)}


def test_the_chart_needs_consecutive_series_rows(tmp_path, closed):
    workbook, _ = closed
    copy = tmp_path / "live.xlsx"
    shutil.copy(workbook, copy)
    spread = TRICKY._replace(chart=TRICKY.chart._replace(series_rows=(0, 2)))
    with pytest.raises(ValueError, match="series rows must follow one another"):
        write_live_outputs(FakeBook(copy), (spread,))


def test_the_live_writer_refuses_what_the_file_writer_refuses(tmp_path, closed):
    workbook, _ = closed
    copy = tmp_path / "live.xlsx"
    shutil.copy(workbook, copy)
    for bad in (TRICKY._replace(link_column="nope"), OutputSheet("X", ("a", "A"), []),
                OutputSheet("X", ("a",), [(1, 2)])):
        with pytest.raises(ValueError):
            apply_changes(copy, Changes(outputs=(bad,)))
        with pytest.raises(ValueError):
            write_live_outputs(FakeBook(copy), (bad,))
