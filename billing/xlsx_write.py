"""Apply a set of changes to a workbook file, safely: the one place that writes a workbook.

The rest of the project computes *what* changes, as plain immutable records free of any
openpyxl type: output sheets to replace (`OutputSheet`), input cells to fill (`CellUpdate`,
`HeaderAdd`) and problems to show on input cells (`Mark`), bundled in `Changes`.
`apply_changes` loads the workbook, applies them and writes the result atomically: a
temporary file in the destination's folder, then `os.replace`, so a failure at any point
leaves the original file untouched and no temporary file behind.

Rule: openpyxl never re-saves a user's workbook. `apply_changes` changes an existing
workbook through the package writer (`billing.xlsx_fast`), which rewrites only the parts
the changes touch and copies every other zip member byte for byte: pictures, threaded
comments, pivot tables, charts, VBA, calcChain (unless cells change), thumbnails and
whatever future Excel versions add survive every run, including a failed `close` and
`validate --write`. openpyxl only builds NEW workbooks (`write_workbook`, statements
handed out as files). Keep callers on these records only.

Choices:
- Output sheets are replaced in place (same position, same part) and are always an Excel
  Table; with no rows the table covers the header and one empty row (Excel needs a data
  row), which readers skip as a blank row.
- Marks are highlight rules, added and removed again exactly; the messages are on the
  Validation sheet (`billing.xlsx_marks`).
- Strings are always written as text (never a formula or an error code); control
  characters Excel cannot store are dropped and text is cut at Excel's 32,767 characters.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import openpyxl
from openpyxl.chart import BarChart as OpenpyxlBarChart
from openpyxl.chart import Reference, Series
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from billing.atomic import write_atomically
from billing.cells import column_letter, link_location, table_name
from billing.xlsx_fast import apply_to_package
from billing.xlsx_marks import Mark

TABLE_STYLE = "TableStyleMedium2"
_MACRO_SUFFIXES = {".xlsm", ".xltm"}
_MAX_TEXT = 32767
_MAX_WIDTH = 60


class Highlight(NamedTuple):
    """Conditional formatting on an output column: its cells above `above` get `fill` (RGB hex)."""

    column: str
    fill: str
    above: float = 0


class BarChart(NamedTuple):
    """A native clustered bar chart beside an output table: the headers of `categories`
    are the categories, each of `series_rows` (0-based indices into the rows) one series,
    named by its value in `name_column`."""

    title: str
    categories: tuple[str, ...]
    series_rows: tuple[int, ...]
    name_column: str


class OutputSheet(NamedTuple):
    """A sheet the project writes, replaced as a whole on each run."""

    name: str
    columns: tuple[str, ...]
    rows: Sequence[Sequence[object]]
    number_formats: Mapping[str, str] = {}
    link_column: str | None = None
    highlights: tuple[Highlight, ...] = ()
    chart: BarChart | None = None


class CellUpdate(NamedTuple):
    """A value for one input cell: 1-based row, 0-based column."""

    sheet: str
    row: int
    column: int
    value: object


class HeaderAdd(NamedTuple):
    """A new column header appended to an input table (1-based row, 0-based column)."""

    sheet: str
    row: int
    column: int
    name: str


class Changes(NamedTuple):
    """Everything one run changes. `marks`: None keeps earlier marks, () removes them,
    otherwise they replace the earlier ones."""

    outputs: tuple[OutputSheet, ...] = ()
    updates: tuple[CellUpdate, ...] = ()
    headers: tuple[HeaderAdd, ...] = ()
    marks: tuple[Mark, ...] | None = None


def apply_changes(
    path: str | os.PathLike, changes: Changes, dest: str | os.PathLike | None = None
) -> Path:
    """Apply `changes` to the workbook at `path` and write it to `dest` (default: `path`).

    The package writer (`billing.xlsx_fast`) does it: every part the changes do not touch
    is copied byte for byte. The result is written to a temporary file beside `dest` and
    moved into place with `os.replace`; on any error the temporary file is removed and
    `dest` is untouched. A macro workbook (`.xlsm`, `.xltm`) keeps its VBA project and must
    be written to a macro extension again. Raises `BadFile` when the source cannot be read
    as a workbook or the changes cannot be written into it as it is (`DoesNotFit`, also a
    ValueError, naming the cell), `ValueError` when the changes do not fit themselves.
    Returns the destination path.
    """
    src = Path(path)
    dest = Path(dest) if dest is not None else src
    keep_vba = src.suffix.lower() in _MACRO_SUFFIXES
    if (dest.suffix.lower() in _MACRO_SUFFIXES) != keep_vba:
        raise ValueError(f"{dest.name}: the extension must match the source's ({src.suffix})")
    for output in changes.outputs:
        _check_output(output)
    apply_to_package(src, changes, dest, TABLE_STYLE, _MAX_WIDTH)
    return dest


def write_workbook(dest: str | os.PathLike, outputs: Sequence[OutputSheet]) -> Path:
    """Write a new workbook holding just `outputs`, atomically (a file the project hands out)."""
    dest = Path(dest)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for output in outputs:
        _write_output(wb, output)
    _save_atomically(wb, dest)
    return dest


def _save_atomically(wb, dest: Path) -> None:
    write_atomically(dest, wb.save)


def _put(cell, value: object) -> None:
    """Write one value: text stays text, Decimal becomes a number, None empties the cell."""
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)[:_MAX_TEXT]
        cell.data_type = "s"  # never a formula ('=1+2') or an error code ('#N/A')
        return
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{cell.coordinate}: {value} cannot be stored in Excel")
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{cell.coordinate}: {value} cannot be stored in Excel")
    cell.value = value  # openpyxl gives a date a date format unless it has one


def _check_output(output: OutputSheet) -> None:
    """An output sheet's definition must fit itself (both writers rely on it)."""
    columns = tuple(output.columns)
    folded = [str(c).casefold() for c in columns]
    if not columns or "" in folded or len(set(folded)) != len(folded):
        raise ValueError(f"{output.name}: column names must be non-empty and unique: {columns}")
    unknown = (set(output.number_formats) | {h.column for h in output.highlights}
               | set(output.chart.categories + (output.chart.name_column,) if output.chart else ())) - set(columns)
    if unknown or (output.link_column is not None and output.link_column not in columns):
        raise ValueError(f"{output.name}: unknown columns {sorted(unknown) or output.link_column}")
    for i, row in enumerate(output.rows, 2):
        if len(row) > len(columns):
            raise ValueError(f"{output.name} row {i}: {len(row)} values for {len(columns)} columns")


def _write_output(wb, output: OutputSheet) -> None:
    columns = tuple(output.columns)
    ws = wb.create_sheet(output.name)
    widths = [len(str(c)) + 4 for c in columns]  # room for the filter button
    for j, name in enumerate(columns, 1):
        _put(ws.cell(1, j), str(name))
    formats = [output.number_formats.get(c) for c in columns]
    link = columns.index(output.link_column) if output.link_column is not None else None
    for i, row in enumerate(output.rows, 2):
        if len(row) > len(columns):
            raise ValueError(f"{output.name} row {i}: {len(row)} values for {len(columns)} columns")
        for j, value in enumerate(row):
            if value is None:
                continue
            cell = ws.cell(i, j + 1)
            if j == link and isinstance(value, str) and "!" in value:
                _link(cell, value)
            if formats[j]:
                cell.number_format = formats[j]
            _put(cell, value)
            widths[j] = max(widths[j], len(str(value)) + 2)
    last_row = max(len(output.rows), 1) + 1
    ref = f"A1:{column_letter(len(columns) - 1)}{last_row}"
    table = Table(displayName=table_name(output.name, wb._duplicate_name), ref=ref)  # tables and names
    table.tableColumns = [TableColumn(id=j, name=str(c)) for j, c in enumerate(columns, 1)]
    table.autoFilter = AutoFilter(ref=ref)
    table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "A2"
    for j, width in enumerate(widths):
        ws.column_dimensions[column_letter(j)].width = min(width, _MAX_WIDTH)
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
    chart.y_axis.numFmt = "#,##0"
    chart.y_axis.delete = chart.x_axis.delete = False  # openpyxl hides both axes by default
    for index in spec.series_rows:
        row = index + 2
        title = ws.cell(row, columns.index(spec.name_column) + 1).value
        chart.series.append(Series(Reference(ws, min_col=first, max_col=last, min_row=row, max_row=row),
                                   title=str(title)))
    chart.set_categories(Reference(ws, min_col=first, max_col=last, min_row=1, max_row=1))
    ws.add_chart(chart, f"{column_letter(len(columns) + 1)}2")


def _link(cell, ref: str) -> None:
    """Make `cell` an internal hyperlink to `Sheet!A1` (a row `Sheet!5:5` goes to A5)."""
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=link_location(ref))
    cell.style = "Hyperlink"
