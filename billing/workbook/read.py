"""Reading a billing workbook: every contract table as a DataFrame that knows its cells.

The file first passes `billing.workbook.safety.check_workbook_file` (hostile and broken files are
refused with a one-line reason before any parser sees them); python-calamine then reads
the sheets. For each contract sheet the reader takes the Excel Table (ListObject) on it,
or, when the sheet has none, the block whose headers start in A1. Headers are matched as
the contract says (case-insensitive, spaces and underscores alike); column order is free
and unknown columns are kept.

Each `SheetTable.frame` holds the raw cell values (str, float, bool, date, datetime;
blank cells as None; a cell holding an Excel error as `ErrorValue("#N/A")`, never as blank)
under the normalised header names, indexed by the 1-based Excel row number, so any value can
be traced back to its cell: `table.cell("net", 7)` → `'Invoices!E7'`. python-calamine shows
error cells as empty text and no formulas, so the reader also reads each contract sheet's XML
for its error cells and for formulas that reach out of the workbook (DDE, other workbooks):
`billing.workbook.cellscan`; the table keeps those within its range (`error_cells`, `links`).
Typing and checking the values is validation's job, not the reader's.

Only contract sheets are read, each within the used area the gate has bounded
(`billing.workbook.safety_area.MAX_AREA`), so python-calamine is never asked for a huge dense grid.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import pandas as pd
import python_calamine as calamine

from billing.cells import cell_ref, row_ref
from billing.cellvalues import ErrorValue
from billing.contract import INPUT_SHEETS, SheetSpec, normalize_header
from billing.errors import BadFile, one_line
from billing.gcpause import gc_paused
from billing.workbook.safety import check_workbook_file
from billing.workbook.safety_area import MAX_AREA
from billing.workbook import cellscan as xlsx_cellscan
from billing.workbook.cellscan import EMPTY, NO_CODE, CellScan, Link, cut_point, scan_cells
from billing.workbook.package import SheetPart, TableRange, part_chunks, sheet_parts


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


def read_book(path: str | os.PathLike, specs: tuple[SheetSpec, ...] = INPUT_SHEETS,
              optional: tuple[SheetSpec, ...] = ()) -> Book:
    """Read the contract tables of a workbook; `BadFile` when it cannot be used.

    `optional` sheets (e.g. Allocations, which a run writes) are read when present and
    never counted as missing."""
    path = Path(path)
    check_workbook_file(path)
    workbook = None
    try:
        parts = sheet_parts(str(path))
        workbook = calamine.CalamineWorkbook.from_path(str(path))
        sheet_names = tuple(workbook.sheet_names)
        by_name = {normalize_header(name): name for name in sheet_names}
        wanted = {spec: by_name.get(normalize_header(spec.name)) for spec in specs + optional}
        missing = [spec.name for spec, actual in wanted.items() if actual is None and spec not in optional]
        if len(missing) == len(specs):
            raise BadFile(
                f"{path.name}: not a billing workbook (none of the sheets "
                f"{', '.join(s.name for s in specs)}); create one with `xlbilling new`"
            )
        with zipfile.ZipFile(path) as archive:
            scans = {actual: scan_cells(lambda: part_chunks(archive, parts[actual].path))
                     for actual in wanted.values() if actual in parts}
        tables: dict[str, SheetTable] = {}
        with _readable_by_calamine(path, parts, scans) as readable:
            if readable != path:  # python-calamine reads the copy with known error codes only
                workbook.close()
                workbook = calamine.CalamineWorkbook.from_path(str(readable))
            for spec, actual in wanted.items():
                if actual is None:
                    continue
                part = parts.get(actual)
                scan = scans.get(actual, EMPTY)
                with gc_paused():
                    sheet = workbook.get_sheet_by_name(actual)
                    _check_area(path, actual, sheet.end)
                    grid = sheet.to_python(skip_empty_area=False)
                    _place_errors(grid, scan.errors)
                    tables[spec.name] = read_table(grid, spec, actual, part.tables if part else (), scan)
    except BadFile:
        raise
    except Exception as exc:  # calamine's and the zip's errors mean nothing to a user
        raise BadFile(f"{path.name}: cannot be read as a workbook ({one_line(exc, 200)})") from None
    finally:
        if workbook is not None:
            workbook.close()
    return Book(path=path, sheet_names=sheet_names, tables=tables, missing=tuple(missing))


#: The error values python-calamine 0.9 reads; it refuses a sheet with any other
#: (#SPILL!, #CALC!, #GETTING_DATA, #FIELD!, …) as a whole.
CALAMINE_ERRORS = frozenset({"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"})
#: An error cell's opening tag and value: group 1 up to the value, group 2 the code (an empty
#: cell or the next cell's tag ends the search).
_ERROR_CELL_VALUE = re.compile(rb"""(<(?:[\w.-]+:)?c\s(?=[^>]*\bt\s*=\s*["']e["'])[^>]*(?<!/)>"""
                               rb"""(?:(?!</(?:[\w.-]+:)?c\s*>|<(?:[\w.-]+:)?c[\s/>]).)*?<(?:[\w.-]+:)?v\s*>)([^<]*)<""",
                               re.S)


@contextmanager
def _readable_by_calamine(path: Path, parts: Mapping[str, SheetPart], scans: Mapping[str, CellScan]):
    """The workbook itself, or, when a contract sheet holds an error value python-calamine
    refuses, a temporary copy in which those cells hold `#N/A` (the scan keeps the true code,
    which validation reports; the user's file is never changed)."""
    newer = {parts[name].path for name, scan in scans.items()
             if any(e.code not in CALAMINE_ERRORS and e.code != NO_CODE for e in scan.errors.values())}
    if not newer:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="xlbilling-") as folder:
        copy = Path(folder) / "readable.xlsx"
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(copy, "w", zipfile.ZIP_STORED) as target:
            for info in source.infolist():
                with target.open(info.filename, "w", force_zip64=True) as dst:
                    if info.filename in newer:
                        for piece in _known_errors_only(part_chunks(source, info.filename)):
                            dst.write(piece)
                    else:
                        with source.open(info) as src:
                            shutil.copyfileobj(src, dst, 1 << 20)
        yield copy


def _known_errors_only(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """A sheet's XML, streamed, with every error code python-calamine refuses made `#N/A`."""
    carry = b""
    for chunk in chunks:
        buf = carry + chunk
        if len(buf) <= xlsx_cellscan.CARRY:
            carry = buf
            continue
        cut = cut_point(buf)
        done, end = _with_known_errors(buf, cut if cut > 0 else len(buf) - xlsx_cellscan.CARRY)
        yield done
        carry = buf[end:]
    yield _with_known_errors(carry, len(carry))[0]


def _with_known_errors(buf: bytes, cut: int) -> tuple[bytes, int]:
    """The buffer up to `cut` (or the end of an error cell that starts before it) patched, and
    where that is."""
    pieces, at = [], 0
    for m in _ERROR_CELL_VALUE.finditer(buf):
        if m.start() >= cut:
            break
        pieces += (buf[at:m.start()], _known_error(m))
        at = m.end()
    end = max(cut, at)
    return b"".join(pieces) + buf[at:end], end


def _known_error(m: re.Match) -> bytes:
    code = m.group(2).decode("utf-8", "replace").strip()
    return m.group(0) if code in CALAMINE_ERRORS else m.group(1) + b"#N/A<"


def _check_area(path: Path, sheet: str, end: tuple[int, int] | None) -> None:
    """The gate bounds every sheet's area; this keeps the reader's own promise if it did not."""
    rows, columns = (end[0] + 1, end[1] + 1) if end else (0, 0)
    if rows * columns > MAX_AREA:
        raise BadFile(f"{path.name}: sheet {sheet!r} is too large to read ({rows:,} rows × {columns:,} columns)")


def _place_errors(grid: list[list], errors: Mapping[tuple[int, int], ErrorValue]) -> None:
    """Error values where python-calamine left an empty string."""
    for (row, column), value in errors.items():
        if row <= len(grid) and column < len(grid[row - 1]) and grid[row - 1][column] == "":
            grid[row - 1][column] = value


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
        bottom = len(grid) - 1
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
