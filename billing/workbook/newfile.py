"""A new workbook holding just some output sheets, made with openpyxl: the files xlbilling
hands out (customer statements). It never opens a user's workbook: changes to an existing
workbook go through `billing.workbook.write.apply_changes`.

Each output sheet is an Excel Table with a frozen header, column widths, number formats,
internal links (`link_column`), highlight rules and the bar chart, as the package writer
renders them into an existing workbook: both render the writer contract of `billing.changes`
(`tests/test_writer_contract.py`). openpyxl stores a number as a double of 16 significant
digits, so a Decimal keeps 15 of its digits here (the package writer keeps them all).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.chart import BarChart as OpenpyxlBarChart
from openpyxl.chart import Reference, Series
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from billing.atomic import write_atomically
from billing.cells import column_letter, table_name
from billing.changes import (TABLE_STYLE, TEXT, BarChart, OutputSheet, cell_format, cell_value, check_output,
                             column_widths, output_links)
from billing.contract import CHART_AXIS_FORMAT


def write_workbook(dest: str | os.PathLike, outputs: Sequence[OutputSheet]) -> Path:
    """Write a new workbook holding just `outputs`, atomically (a file the project hands out)."""
    dest = Path(dest)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for output in outputs:
        check_output(output)
        _write_output(wb, output)
    _save_atomically(wb, dest)
    return dest


def _save_atomically(wb, dest: Path) -> None:
    write_atomically(dest, wb.save)


def _put(cell, value: object, own_format: str | None) -> None:
    """Render `cell_value(value)`: text stays text (typed `s`, never a formula or an error
    code), a Decimal becomes a float (openpyxl stores no more digits), an empty value leaves
    the cell unwritten; the number format is `cell_format`'s."""
    written = cell_value(value, cell.coordinate)
    if written is None:
        return
    kind, value = written
    if kind == TEXT:
        cell.value = value
        cell.data_type = "s"
    else:
        cell.value = float(value) if type(value) is Decimal else value
    shown = cell_format(written, own_format)
    if shown:  # after the value: openpyxl gives a date its own format when it is set
        cell.number_format = shown


def _write_output(wb, output: OutputSheet) -> None:
    columns = tuple(output.columns)
    ws = wb.create_sheet(output.name)
    for j, name in enumerate(columns, 1):
        _put(ws.cell(1, j), str(name), None)
    formats = [output.number_formats.get(c) for c in columns]
    links = {(i, j): location for i, j, _, location in output_links(output)}
    for i, row in enumerate(output.rows, 2):
        if len(row) > len(columns):
            raise ValueError(f"{output.name} row {i}: {len(row)} values for {len(columns)} columns")
        for j, value in enumerate(row):
            if value is None or value == "":
                continue
            cell = ws.cell(i, j + 1)
            if (i, j) in links:
                _link(cell, links[i, j])
            _put(cell, value, formats[j])
    last_row = max(len(output.rows), 1) + 1
    ref = f"A1:{column_letter(len(columns) - 1)}{last_row}"
    table = Table(displayName=table_name(output.name, wb._duplicate_name), ref=ref)  # tables and names
    table.tableColumns = [TableColumn(id=j, name=str(c)) for j, c in enumerate(columns, 1)]
    table.autoFilter = AutoFilter(ref=ref)
    table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "A2"
    for j, width in enumerate(column_widths(output)):
        ws.column_dimensions[column_letter(j)].width = width
    for highlight in output.highlights:
        letter = column_letter(columns.index(highlight.column))
        ws.conditional_formatting.add(f"{letter}2:{letter}{last_row}", CellIsRule(
            operator="greaterThan", formula=[repr(highlight.above)],
            fill=PatternFill(fill_type="solid", start_color=highlight.fill, end_color=highlight.fill)))
    if output.chart is not None:
        _add_chart(ws, output.chart, columns)


def _add_chart(ws, spec: BarChart, columns: tuple[str, ...]) -> None:
    first, last = (columns.index(c) + 1 for c in (spec.categories[0], spec.categories[-1]))
    chart = OpenpyxlBarChart()
    chart.type, chart.title, chart.height, chart.width = "col", spec.title, 8, 16
    chart.y_axis.numFmt = CHART_AXIS_FORMAT
    chart.y_axis.delete = chart.x_axis.delete = False  # openpyxl hides both axes by default
    for index in spec.series_rows:
        row = index + 2
        title = ws.cell(row, columns.index(spec.name_column) + 1).value
        chart.series.append(Series(Reference(ws, min_col=first, max_col=last, min_row=row, max_row=row),
                                   title=str(title)))
    chart.set_categories(Reference(ws, min_col=first, max_col=last, min_row=1, max_row=1))
    ws.add_chart(chart, f"{column_letter(len(columns) + 1)}2")


def _link(cell, location: str) -> None:
    """Make `cell` an internal hyperlink to `location` (`output_links`' place)."""
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=location)
    cell.style = "Hyperlink"
