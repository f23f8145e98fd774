"""What a run changes in a workbook, as plain immutable records: output sheets to replace
(`OutputSheet`, with its `Highlight`s and `BarChart`), input cells to fill (`CellUpdate`,
`HeaderAdd`) and problems to show on input cells (`Mark`), bundled in `Changes`.

The domain and the pipeline say *what* changes in these terms and import no workbook
library; the writers render them: the package writer into a file
(`billing.workbook.write.apply_changes`) and the live writer into the open workbook
(`macros.live`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

#: How every writer renders an output sheet: its Table style, the widest column (characters)
#: and the longest text a cell holds (Excel's limit; longer text is cut).
TABLE_STYLE = "TableStyleMedium2"
MAX_WIDTH = 60
MAX_TEXT = 32767


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
