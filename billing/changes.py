"""What a run changes in a workbook, as plain immutable records: output sheets to replace
(`OutputSheet`, with its `Highlight`s and `BarChart`), input cells to fill (`CellUpdate`,
`HeaderAdd`) and problems to show on input cells (`Mark`), bundled in `Changes`.

The domain and the pipeline say *what* changes in these terms and import no workbook
library; the writers render them: the package writer into a file
(`billing.xlsx_write.apply_changes`) and the live writer into the open workbook
(`macros.live`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple


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
