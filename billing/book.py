"""The read model: a workbook's contract tables as plain records, whatever read them.

A `Book` holds one `SheetTable` per contract sheet found. Each `SheetTable.frame` holds the raw
cell values (str, float, bool, date, datetime; blank cells as None; a cell holding an Excel
error as `ErrorValue("#N/A")`, never as blank) under the normalised header names, indexed by
the 1-based Excel row number, so any value can be traced back to its cell:
`table.cell("net", 7)` → `'Invoices!E7'`. The table also keeps, within its range, the cells
holding an error value (`error_cells`) and those whose formula reaches out of the workbook
(`links`), where its source knows them. Typing and checking the values is validation's job.

For each contract sheet the table is the Excel Table (ListObject) on it — the one named like
the sheet, else the first — or, when the sheet has none, the block whose headers start in A1.
Headers are matched as the contract says (case-insensitive, spaces and underscores alike);
column order is free and unknown columns are kept.

`book_from_grids` is the one way a `Book` is built: from each sheet's cells as rows, its Tables
and its scanned error/link cells. Its sources are the file reader (`billing.workbook.read`,
python-calamine) and the live reader (`macros.live`, xlwings); this module imports neither,
so the domain can hold a `Book` without loading a workbook library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, NamedTuple

import pandas as pd

from billing.cells import cell_ref, row_ref
from billing.cellvalues import ErrorValue
from billing.contract import SheetSpec, normalize_header
from billing.errors import BadFile
from billing.gcpause import gc_paused


class TableRange(NamedTuple):
    """An Excel Table: its name and its cells, 1-based rows and 0-based columns."""

    name: str
    header_row: int  # the header row (1-based)
    first_column: int
    last_row: int  # the last data row, totals row excluded
    last_column: int


class Link(NamedTuple):
    """A formula reaching out of the workbook: `kind` is `dde` or `external`."""

    kind: str
    formula: str


class CellScan(NamedTuple):
    """What a sheet's cells hold beyond their values, by (1-based row, 0-based column): the
    cells holding an Excel error value, and the cells whose formula reaches out of the workbook."""

    errors: dict[tuple[int, int], ErrorValue]
    links: dict[tuple[int, int], Link]


EMPTY = CellScan({}, {})


class SheetGrid(NamedTuple):
    """One sheet as a source gives it: its cells from A1 as rows of values (row 1 first,
    column A first; an error cell an `ErrorValue`), its Excel Tables and its scanned cells."""

    cells: list[list]
    tables: tuple[TableRange, ...] = ()
    scan: CellScan = EMPTY


@dataclass(frozen=True)
class SheetTable:
    """One contract table as read: raw values by column, and where each came from."""

    spec: SheetSpec
    sheet: str  # the sheet's name as spelled in the file
    header_row: int  # 1-based
    columns: Mapping[str, int]  # normalised header -> 0-based column index
    headers: Mapping[str, str]  # normalised header -> header text as written
    frame: pd.DataFrame  # normalised header -> raw values; index: Excel row numbers
    table_name: str | None = None  # the Excel Table it came from, if any
    last_row: int = 0  # last row of the table's range (the header row when empty)
    duplicate_headers: tuple[tuple[str, int], ...] = ()  # (header, column) seen twice
    rows_outside: tuple[int, ...] = ()  # non-blank rows just below an Excel Table
    #: cells of the table's range (header row included) holding an Excel error value, and
    #: cells whose formula reaches out of the workbook: by (1-based row, 0-based column)
    error_cells: Mapping[tuple[int, int], ErrorValue] = field(default_factory=dict)
    links: Mapping[tuple[int, int], Link] = field(default_factory=dict)
    #: values derived from the frame (e.g. a column read as text), kept so work is done once
    derived: dict = field(default_factory=dict, compare=False, repr=False)

    def has(self, column: str) -> bool:
        return column in self.columns

    def cell(self, column: str, row: int) -> str:
        """`Sheet!A1` of a column's cell on an Excel row (the row when the column is absent)."""
        index = self.columns.get(column)
        if index is None:
            return row_ref(self.sheet, row)
        return cell_ref(self.sheet, row, index)

    def header_cell(self, column: str) -> str:
        return self.cell(column, self.header_row)

    def row(self, row: int) -> str:
        return row_ref(self.sheet, row)

    def __len__(self) -> int:
        return len(self.frame)


@dataclass(frozen=True)
class Book:
    """The contract tables of one workbook file."""

    path: Path
    sheet_names: tuple[str, ...]
    tables: Mapping[str, SheetTable]  # by contract sheet name
    missing: tuple[str, ...] = field(default=())  # contract input sheets not in the file

    def __getitem__(self, sheet: str) -> SheetTable:
        return self.tables[sheet]

    def __iter__(self) -> Iterator[SheetTable]:
        return iter(self.tables.values())

    def get(self, sheet: str) -> SheetTable | None:
        return self.tables.get(sheet)


def contract_sheets(source: str, sheet_names: Iterable[str], specs: tuple[SheetSpec, ...],
                    optional: tuple[SheetSpec, ...] = (), hint: str = "") -> dict[SheetSpec, str]:
    """Each contract sheet the workbook has (`specs`, then `optional`) → its name as spelled
    there (matched like a header). `BadFile` naming `source` when it has none of `specs`:
    it is not a billing workbook (`hint` says what to do instead)."""
    by_name = {normalize_header(name): name for name in sheet_names}
    found = {spec: by_name.get(normalize_header(spec.name)) for spec in specs + optional}
    required = [spec for spec in specs if not spec.optional]
    if required and all(found[spec] is None for spec in required):
        raise BadFile(f"{source}: not a billing workbook (none of the sheets {', '.join(s.name for s in required)}){hint}")
    return {spec: actual for spec, actual in found.items() if actual is not None}


def _missing(found: Mapping[SheetSpec, str | None], specs: tuple[SheetSpec, ...],
             optional: tuple[SheetSpec, ...]) -> tuple[str, ...]:
    """The contract input sheets not found (an optional sheet, `optional` here or a spec
    marked `optional` by the contract, is never missing)."""
    return tuple(spec.name for spec in specs if found.get(spec) is None and spec not in optional and not spec.optional)


def book_from_grids(path: Path, sheet_names: tuple[str, ...], grid_of: Callable[[str], SheetGrid],
                    specs: tuple[SheetSpec, ...], optional: tuple[SheetSpec, ...] = (), *,
                    source: str | None = None, hint: str = "") -> Book:
    """The `Book` of a workbook whose sheets are `sheet_names`: `grid_of(name)` gives the
    cells of each contract sheet found (asked once per sheet, in contract order).

    `optional` sheets (e.g. Allocations, which a run writes) are read when present and
    never counted as missing; when none of `specs` is there, `BadFile` (see `contract_sheets`)."""
    found = contract_sheets(source or path.name, sheet_names, specs, optional, hint)
    tables: dict[str, SheetTable] = {}
    for spec, actual in found.items():
        with gc_paused():  # a sheet's cells are many small acyclic objects
            grid = grid_of(actual)
            tables[spec.name] = read_table(grid.cells, spec, actual, grid.tables, grid.scan)
    return Book(path=path, sheet_names=sheet_names, tables=tables, missing=_missing(found, specs, optional))


def read_table(grid: list[list], spec: SheetSpec, sheet: str, tables: tuple[TableRange, ...],
               scan: CellScan = EMPTY) -> SheetTable:
    """One contract table from a sheet's cells (row 1 first, column A first) and its Excel
    Tables: the reader's one way, for files and for live workbooks alike. `scan` holds the
    sheet's error cells and linking formulas, where the cells' source knows them."""
    # Prefer the Table named like the sheet, else the first Table on it, else A1 headers.
    wanted = normalize_header(spec.name)
    chosen = next((t for t in tables if normalize_header(t.name) == wanted), tables[0] if tables else None)
    if chosen is not None:
        table_name, top, left = chosen.name, chosen.header_row - 1, chosen.first_column
        bottom, right = chosen.last_row - 1, chosen.last_column
    else:
        table_name, top, left = None, 0, 0
        # the last row holding a value: Excel's used range (the live reader's) also counts
        # rows that are only formatted, a file reader's does not — neither is data
        bottom = len(grid) - 1
        while bottom > 0 and all(v is None or v == "" for v in grid[bottom]):
            bottom -= 1
        right = (len(grid[0]) if grid else 0) - 1
    header_cells = grid[top][left : right + 1] if 0 <= top < len(grid) else []

    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    duplicates: list[tuple[str, int]] = []
    for offset, text in enumerate(header_cells):
        key = normalize_header(text) if not isinstance(text, ErrorValue) else ""
        if not key:
            continue
        if key in columns:
            duplicates.append((str(text), left + offset))
            continue
        columns[key] = left + offset
        headers[key] = str(text)

    body = grid[top + 1 : bottom + 1]
    by_column = list(zip(*body)) if body else []
    data = {key: _blank_to_none(by_column[col]) if col < len(by_column) else [None] * len(body)
            for key, col in columns.items()}
    index = pd.RangeIndex(top + 2, top + 2 + len(body), name="row")  # Excel rows are 1-based
    frame = pd.DataFrame(data, index=index, dtype=object)
    contract_cols = [c for c in spec.column_names if c in columns]
    if contract_cols and len(frame):
        frame = frame[~frame[contract_cols].isna().all(axis=1)]

    outside = _rows_outside(grid, bottom + 1, left, right) if table_name is not None else ()

    def within(cells: Mapping[tuple[int, int], object]) -> dict:
        return {(r, c): v for (r, c), v in cells.items() if top + 1 <= r <= bottom + 1 and left <= c <= right}

    return SheetTable(
        spec=spec,
        sheet=sheet,
        header_row=top + 1,
        columns=columns,
        headers=headers,
        frame=frame,
        table_name=table_name,
        last_row=bottom + 1,
        duplicate_headers=tuple(duplicates),
        rows_outside=outside,
        error_cells=within(scan.errors),
        links=within(scan.links),
    )


def _blank_to_none(values: tuple) -> list:
    """A column's values with blank cells (empty or whitespace-only text) as None."""
    return [None if (v == "" or (type(v) is str and v.isspace())) else v for v in values]


def _rows_outside(grid: list[list], start: int, left: int, right: int) -> tuple[int, ...]:
    """Rows right below a Table with something typed in its columns (data Excel did not take in)."""
    rows = []
    for offset, row in enumerate(grid[start:]):
        cells = row[left : right + 1]
        if any(v not in ("", None) for v in cells):
            rows.append(start + offset + 1)
    return tuple(rows)
