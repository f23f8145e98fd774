"""Reading a billing workbook file: its contract tables as the `billing.book.Book` read model.

The file first passes `billing.workbook.safety.check_workbook_file` (hostile and broken files are
refused with a one-line reason before any parser sees them); python-calamine then reads
the sheets, and `billing.book.book_from_grids` makes the `Book` of their cells — the one
builder, shared with the live workbook's reader (`macros.live`). How a table is found on its
sheet (Excel Table, else A1 headers) and what its frame holds is said in `billing.book`.

python-calamine shows error cells as empty text and no formulas, so the reader also reads each
contract sheet's XML for its error cells and for formulas that reach out of the workbook (DDE,
other workbooks): `billing.workbook.cellscan`; the table keeps those within its range
(`error_cells`, `links`). Typing and checking the values is validation's job, not the reader's.

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
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import python_calamine as calamine

from billing.book import EMPTY, Book, CellScan, SheetGrid, book_from_grids, contract_sheets
from billing.cellvalues import ErrorValue
from billing.contract import INPUT_SHEETS, SheetSpec
from billing.errors import BadFile, one_line
from billing.workbook.safety import check_workbook_file
from billing.workbook.safety_area import MAX_AREA
from billing.workbook import cellscan as xlsx_cellscan
from billing.workbook.cellscan import NO_CODE, cut_point, scan_cells
from billing.workbook.package import SheetPart, part_chunks, sheet_parts

#: What the refusal of a workbook without any contract sheet adds.
NOT_A_BILLING_WORKBOOK = "; create one with `xlbilling new`"


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
        # the sheets to scan before python-calamine reads any (book_from_grids finds the same ones)
        found = contract_sheets(path.name, sheet_names, specs, optional, hint=NOT_A_BILLING_WORKBOOK)
        with zipfile.ZipFile(path) as archive:
            scans = {actual: scan_cells(lambda: part_chunks(archive, parts[actual].path))
                     for actual in found.values() if actual in parts}
        with _readable_by_calamine(path, parts, scans) as readable:
            if readable != path:  # python-calamine reads the copy with known error codes only
                workbook.close()
                workbook = calamine.CalamineWorkbook.from_path(str(readable))

            def grid_of(actual: str) -> SheetGrid:
                part = parts.get(actual)
                scan = scans.get(actual, EMPTY)
                sheet = workbook.get_sheet_by_name(actual)
                _check_area(path, actual, sheet.end)
                cells = sheet.to_python(skip_empty_area=False)
                _place_errors(cells, scan.errors)
                return SheetGrid(cells, part.tables if part else (), scan)

            return book_from_grids(path, sheet_names, grid_of, specs, optional, hint=NOT_A_BILLING_WORKBOOK)
    except BadFile:
        raise
    except Exception as exc:  # calamine's and the zip's errors mean nothing to a user
        raise BadFile(f"{path.name}: cannot be read as a workbook ({one_line(exc, 200)})") from None
    finally:
        if workbook is not None:
            workbook.close()


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


