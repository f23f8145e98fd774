"""Reading a billing workbook: every contract table as a DataFrame that knows its cells.

The file first passes `billing.safety.check_workbook_file` (hostile and broken files are
refused with a one-line reason before any parser sees them); python-calamine then reads
the sheets. For each contract sheet the reader takes the Excel Table (ListObject) on it,
or, when the sheet has none, the block whose headers start in A1. Headers are matched as
the contract says (case-insensitive, spaces and underscores alike); column order is free
and unknown columns are kept.

Each `SheetTable.frame` holds the raw cell values (str, float, bool, date, datetime;
blank cells as None) under the normalised header names, indexed by the 1-based Excel row
number, so any value can be traced back to its cell: `table.cell("net", 7)` →
`'Invoices!E7'`. Typing and checking the values is validation's job, not the reader's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

import pandas as pd
import python_calamine as calamine

from billing.cells import cell_ref, row_ref
from billing.contract import INPUT_SHEETS, SheetSpec, normalize_header
from billing.errors import BadFile
from billing.gcpause import gc_paused
from billing.safety import check_workbook_file
from billing.xlsx_parts import TableRange, sheet_parts


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


def read_book(path: str | os.PathLike, specs: tuple[SheetSpec, ...] = INPUT_SHEETS,
              optional: tuple[SheetSpec, ...] = ()) -> Book:
    """Read the contract tables of a workbook; `BadFile` when it cannot be used.

    `optional` sheets (e.g. Allocations, which a run writes) are read when present and
    never counted as missing."""
    path = Path(path)
    check_workbook_file(path)
    try:
        parts = sheet_parts(str(path))
        workbook = calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine's and the zip's errors mean nothing to a user
        raise BadFile(f"{path.name}: cannot be read as a workbook ({_one_line(exc)})") from None
    try:
        sheet_names = tuple(workbook.sheet_names)
        by_name = {normalize_header(name): name for name in sheet_names}
        tables: dict[str, SheetTable] = {}
        missing: list[str] = []
        for spec in specs + optional:
            actual = by_name.get(normalize_header(spec.name))
            if actual is None:
                if spec not in optional:
                    missing.append(spec.name)
                continue
            with gc_paused():
                grid = workbook.get_sheet_by_name(actual).to_python(skip_empty_area=False)
                part = parts.get(actual)
                tables[spec.name] = read_table(grid, spec, actual, part.tables if part else ())
    except BadFile:
        raise
    except Exception as exc:
        raise BadFile(f"{path.name}: cannot be read as a workbook ({_one_line(exc)})") from None
    finally:
        workbook.close()
    if len(missing) == len(specs):
        raise BadFile(
            f"{path.name}: not a billing workbook (none of the sheets "
            f"{', '.join(s.name for s in specs)}); create one with `xlbilling new`"
        )
    return Book(path=path, sheet_names=sheet_names, tables=tables, missing=tuple(missing))


def read_table(grid: list[list], spec: SheetSpec, sheet: str, tables: tuple[TableRange, ...]) -> SheetTable:
    """One contract table from a sheet's cells (row 1 first, column A first) and its Excel
    Tables: the reader's one way, for files and for live workbooks alike."""
    # Prefer the Table named like the sheet, else the first Table on it, else A1 headers.
    wanted = normalize_header(spec.name)
    chosen = next((t for t in tables if normalize_header(t.name) == wanted), tables[0] if tables else None)
    if chosen is not None:
        table_name, top, left = chosen.name, chosen.header_row - 1, chosen.first_column
        bottom, right = chosen.last_row - 1, chosen.last_column
    else:
        table_name, top, left = None, 0, 0
        bottom = len(grid) - 1
        right = (len(grid[0]) if grid else 0) - 1
    header_cells = grid[top][left : right + 1] if 0 <= top < len(grid) else []

    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    duplicates: list[tuple[str, int]] = []
    for offset, text in enumerate(header_cells):
        key = normalize_header(text)
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


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__
