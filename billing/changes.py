"""What a run changes in a workbook, as plain immutable records: output sheets to replace
(`OutputSheet`, with its `Highlight`s and `BarChart`), input cells to fill (`CellUpdate`,
`ColumnRun` — a run of one column's cells — and `HeaderAdd`) and problems to show on input cells (`Mark`), bundled in `Changes`.

The domain and the pipeline say *what* changes in these terms and import no workbook
library; the writers render them: the package writer into a file
(`billing.workbook.write.apply_changes`), the openpyxl writer into a new file
(`billing.workbook.newfile.write_workbook`) and the live writer into the open workbook
(`macros.live`).

The writer contract: what the writers must agree on is decided here, once, and each writer
only renders the decision in its own engine —
- `cell_value`: what a value becomes in a cell (text always text, exact numbers, dates,
  an empty cell), and `cell_format`: the number format a cell is shown with;
- `grown_bounds`: how an Excel Table grows over the cells written just below or right of it;
- `column_widths`: an output sheet's column widths; `output_links`: its links;
- `Unsupported`: a writer's refusal of a change it cannot render (in this workbook, or at
  all), raised before it would be dropped silently.
`tests/test_writer_contract.py` renders the same `Changes` through every writer and reads
them back cell by cell.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple

from billing.cells import link_location
from billing.contract import FORMATS, Kind
from billing.errors import BadFile

#: How every writer renders an output sheet: its Table style, the widest column (characters)
#: and the longest text a cell holds (Excel's limit; longer text is cut).
TABLE_STYLE = "TableStyleMedium2"
MAX_WIDTH = 60
MAX_TEXT = 32767
#: What a date cell without a number format of its own is shown with (a date-time too).
DATE_FORMAT = FORMATS[Kind.DATE]
#: Characters a cell cannot hold (XML 1.0 forbids them): dropped from text.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Unsupported(ValueError):
    """A writer cannot render a change: raised before anything is written, never a change
    dropped silently. A `ValueError`, as every writer promises for changes it cannot take."""


class DoesNotFit(BadFile, Unsupported):
    """The changes cannot be written into this workbook as it is (a value inside merged
    cells or into part of an array formula, a table column name taken): a `BadFile`, so the
    user gets one line naming the cell and the file stays as it was, and a `ValueError`,
    as `apply_changes` promises for changes that do not fit."""


class Mark(NamedTuple):
    """A problem shown on an input cell (`Sheet!E7`) or row (`Sheet!7:7`)."""

    ref: str
    message: str


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


class ColumnRun(NamedTuple):
    """Values for consecutive cells of one input column: `values[i]` goes to row
    `first_row + i` (1-based rows, 0-based column). A step that fills a whole column (a
    close computes a million cells) says so in one record per run of rows, not one per cell;
    every writer takes it as the `CellUpdate`s it stands for (`cell_updates`)."""

    sheet: str
    column: int
    first_row: int
    values: tuple[object, ...]


def column_runs(sheet: str, column: int, rows: Sequence[int], values: Sequence[object],
                breaks: Iterable[int] | None = None) -> list[ColumnRun]:
    """The cells `rows[i]` := `values[i]` of one column (rows ascending) as one `ColumnRun`
    per run of consecutive rows. `breaks`: where each run after the first starts (the `i`
    whose row does not follow the one before), when the caller has found them faster."""
    if breaks is None:
        breaks = [i for i, (a, b) in enumerate(zip(rows, rows[1:]), 1) if b - a != 1]
    runs, start = [], 0
    for end in (*breaks, len(rows)):
        if end > start:
            runs.append(ColumnRun(sheet, column, int(rows[start]), tuple(values[start:end])))
        start = end
    return runs


def cell_updates(updates: Iterable) -> Iterable:
    """Every update as single cells: a `ColumnRun` as the `CellUpdate`s it stands for, in
    row order; a `CellUpdate` or `HeaderAdd` as it is."""
    for update in updates:
        if type(update) is ColumnRun:
            sheet, column = update.sheet, update.column
            for row, value in enumerate(update.values, update.first_row):
                yield CellUpdate(sheet, row, column, value)
        else:
            yield update


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
    updates: tuple[CellUpdate | ColumnRun, ...] = ()
    headers: tuple[HeaderAdd, ...] = ()
    marks: tuple[Mark, ...] | None = None


def check_output(output: OutputSheet) -> None:
    """An output sheet's definition must fit itself (every writer checks it before writing)."""
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


# --- the writer contract -------------------------------------------------------------------

TEXT, NUMBER, BOOL, DATE, DATETIME = "text", "number", "bool", "date", "datetime"


class CellValue(NamedTuple):
    """What a writer puts into a cell: `kind` (`TEXT`, `NUMBER`, `BOOL`, `DATE`, `DATETIME`)
    and `value` — text as the cell holds it, a number as it is given (a `Decimal` stays
    exact: a writer that can store its digits writes them, one that cannot gives a float),
    a bool, a date or a date-time."""

    kind: str
    value: object


def clean_text(value: str) -> str:
    """Text as a cell holds it: characters Excel cannot store dropped, cut at its 32,767."""
    return _ILLEGAL.sub("", value)[:MAX_TEXT]


def cell_value(value: object, where: str = "") -> CellValue | None:
    """What `value` becomes in a cell; None: the cell stays empty (None, or empty text, which
    Excel keeps as an empty cell).

    Text is always text, never a formula (`=1+2`), an error value (`#N/A`), a number
    (`00123`), a boolean (`TRUE`) or a date (`1/2`), whatever it looks like: a payer's
    remittance text from a bank statement must not run as a formula. A number must be
    finite; a type that is no cell value is refused (`ValueError`, naming `where`).

    >>> cell_value("=1+2"), cell_value(""), cell_value(Decimal("-0.125"))
    (CellValue(kind='text', value='=1+2'), None, CellValue(kind='number', value=Decimal('-0.125')))
    """
    kind = type(value)
    if kind is str or isinstance(value, str):
        return CellValue(TEXT, clean_text(value)) if value else None
    if value is None:
        return None
    if isinstance(value, bool):
        return CellValue(BOOL, value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{where}: {value} cannot be stored in Excel")
        return CellValue(NUMBER, value if kind is Decimal else Decimal(value))
    if isinstance(value, dt.datetime):
        return CellValue(DATETIME, value)
    if isinstance(value, dt.date):
        return CellValue(DATE, value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{where}: {value} cannot be stored in Excel")
        return CellValue(NUMBER, value)
    raise ValueError(f"{where}: {type(value).__name__} values cannot be stored in a cell")


def cell_format(cell: CellValue | None, own: str | None) -> str | None:
    """The number format a written cell is shown with: its own (the column's, or the one the
    cell has), else `DATE_FORMAT` for a date or date-time, else none (General)."""
    if own:
        return own
    return DATE_FORMAT if cell is not None and cell.kind in (DATE, DATETIME) else None


def grown_bounds(bounds: tuple[int, int, int, int], cells: Iterable[tuple[int, int]],
                 totals: bool = False) -> tuple[int, int, int, int]:
    """A Table's bounds (first column, first row, last column, last row; 1-based) grown over
    the written `cells` ((row, 1-based column)) just below or just right of it, as often
    as each grown edge meets more of them: new rows (imported payments) and new columns (a
    header added) become part of the Table, so the next run reads them as its data. A Table
    with a totals row does not grow downwards (the row below it is not its data).
    Excel grows a Table by itself only for what a person types, never for what a program
    writes: every writer applies this rule.

    >>> grown_bounds((1, 1, 3, 4), [(5, 1), (6, 2), (2, 4), (8, 1)])
    (1, 1, 4, 6)
    """
    min_col, min_row, max_col, max_row = bounds
    cells = sorted(cells)
    grown = True
    while grown:
        grown = False
        for r, c in cells:
            if c == max_col + 1 and min_row <= r <= max_row:
                max_col, grown = c, True
            elif r == max_row + 1 and min_col <= c <= max_col and not totals:
                max_row, grown = r, True
    return min_col, min_row, max_col, max_row


def output_columns(output: OutputSheet) -> list[list[object]]:
    """An output sheet's rows as columns (a short row's missing values are None): the
    writers walk a table column by column, each column's values of one kind."""
    width, rows = len(output.columns), output.rows
    for i, row in enumerate(rows, 2):
        if len(row) > width:
            raise ValueError(f"row {i}: {len(row)} values for {width} columns")
    if set(map(len, rows)) - {width}:
        rows = [(*row, *(None,) * (width - len(row))) for row in rows]
    columns = [list(values) for values in zip(*rows)]
    return columns if columns else [[] for _ in range(width)]


def column_widths(output: OutputSheet, columns: list[list[object]] | None = None) -> list[float]:
    """Each column of an output sheet as wide as its longest value shown as text plus 2, the
    header's plus 4 (room for the filter button), at most `MAX_WIDTH` characters.
    `columns`: the sheet's `output_columns`, when the caller has them."""
    values = output_columns(output) if columns is None else columns
    widths = []
    for name, column in zip(output.columns, values):
        shown = [v for v in column if v is not None]
        widest = max(map(len, map(str, shown)), default=0) + 2 if shown else 0
        widths.append(min(max(len(str(name)) + 4, widest), MAX_WIDTH))
    return widths


def output_links(output: OutputSheet) -> list[tuple[int, int, str, str]]:
    """The links of an output sheet: each text of its `link_column` that names a place
    (`Sheet!A1`, `'My Sheet'!5:5`) links there, as (1-based row, 0-based column, the text,
    the place — a row goes to its first cell); any other text is plain text."""
    if output.link_column is None:
        return []
    j = tuple(output.columns).index(output.link_column)
    return [(i, j, row[j], link_location(row[j])) for i, row in enumerate(output.rows, 2)
            if j < len(row) and isinstance(row[j], str) and "!" in row[j]]
