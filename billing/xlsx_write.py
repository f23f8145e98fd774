"""Apply a set of changes to a workbook file, safely: the one place that writes a workbook.

The rest of the project computes *what* changes, as plain immutable records free of any
openpyxl type: output sheets to replace (`OutputSheet`), input cells to fill (`CellUpdate`,
`HeaderAdd`) and problems to show on input cells (`Mark`), bundled in `Changes`.
`apply_changes` loads the workbook, applies them and writes the result atomically: a
temporary file in the destination's folder, then `os.replace`, so a failure at any point
leaves the original file untouched and no temporary file behind.

This implementation uses openpyxl (load with formulas, rich text and, for `.xlsm`/`.xltm`,
the VBA project; save). A load+save of a 100k-row book takes ~30 s, so a second writer is
planned behind the same interface: it copies untouched zip parts raw and rewrites only the
changed parts. Keep callers on these records only.

Choices:
- Output sheets are dropped and recreated at the same position and are always an Excel
  Table; with no rows the table covers the header and one empty row (Excel needs a data
  row), which readers skip as a blank row.
- Marks are a cell note (author ``xlbilling``) plus one conditional-formatting rule per
  sheet whose formula contains ``"xlbilling"="xlbilling"``, so the user's cell styles are
  never changed and both are found and removed again exactly. A cell that already carries
  a note of the user's keeps it and gets only the highlight. Marks naming a sheet that
  does not exist, or an address that cannot be read, are skipped (they are display only).
- Strings are always written as text (never a formula or an error code); control
  characters Excel cannot store are dropped and text is cut at Excel's 32,767 characters.
"""

from __future__ import annotations

import io
import math
import os
import re
import stat
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.comments.shape_writer import vmlns
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formatting.rule import Rule
from openpyxl.styles import Font, PatternFill
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.utils import range_boundaries
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.xml.functions import fromstring, tostring

from billing.cells import column_letter, parse_a1, quote_sheet, split_ref
from billing.errors import BadFile

AUTHOR = "xlbilling"
MARK_FORMULA = '"xlbilling"="xlbilling"'
TABLE_STYLE = "TableStyleMedium2"
_MACRO_SUFFIXES = {".xlsm", ".xltm"}
_MAX_TEXT = 32767
_MAX_WIDTH = 60
_NEW_FILE_MODE = 0o666 & ~os.umask(os.umask(0o022))  # what open() would give a new file
_CELL_LIKE = re.compile(r"[A-Za-z]{1,3}\d+|[RrCc]\d*|[Rr]\d+[Cc]\d+")
_ROW_ADDRESS = re.compile(r"^\$?([0-9]+):\$?([0-9]+)$")


class OutputSheet(NamedTuple):
    """A sheet the project writes, replaced as a whole on each run."""

    name: str
    columns: tuple[str, ...]
    rows: Sequence[Sequence[object]]
    number_formats: Mapping[str, str] = {}
    link_column: str | None = None


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


class Mark(NamedTuple):
    """A problem shown on an input cell (`Sheet!E7`) or row (`Sheet!7:7`)."""

    ref: str
    message: str


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

    The result is written to a temporary file beside `dest` and moved into place with
    `os.replace`; on any error the temporary file is removed and `dest` is untouched.
    A macro workbook (`.xlsm`, `.xltm`) keeps its VBA project and must be written to a
    macro extension again. Raises `BadFile` when the source cannot be read as a workbook,
    `ValueError` when the changes do not fit it. Returns the destination path.
    """
    src = Path(path)
    dest = Path(dest) if dest is not None else src
    keep_vba = src.suffix.lower() in _MACRO_SUFFIXES
    if (dest.suffix.lower() in _MACRO_SUFFIXES) != keep_vba:
        raise ValueError(f"{dest.name}: the extension must match the source's ({src.suffix})")
    wb = _load(src, keep_vba)
    for output in changes.outputs:
        _write_output(wb, output)
    _apply_cells(wb, changes.headers, changes.updates)
    if changes.marks is not None:
        _clear_marks(wb)
        _add_marks(wb, changes.marks)
    _tidy_legacy_drawings(wb)
    _save_atomically(wb, dest)
    return dest


def _load(src: Path, keep_vba: bool):
    try:
        data = src.read_bytes()
        return openpyxl.load_workbook(io.BytesIO(data), keep_vba=keep_vba, rich_text=True)
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
        raise BadFile(f"{src.name}: cannot be read as a workbook ({exc})") from exc


def _tidy_legacy_drawings(wb) -> None:
    """Work around openpyxl's keep_vba handling of note drawings (VML).

    With keep_vba openpyxl re-uses each sheet's old VML part: a sheet whose notes were all
    removed keeps a link to a part it no longer writes, and an old `commentsDrawingN.vml`
    can collide with a new one. A VML holding only note shapes is dropped (openpyxl writes
    a fresh one for the notes left); one with other shapes (form controls) is kept, minus
    its note shapes when the sheet has no notes any more.
    """
    if wb.vba_archive is None:
        return
    replaced: dict[str, bytes] = {}
    for ws in wb.worksheets:
        if not ws.legacy_drawing:
            continue
        try:
            root = fromstring(wb.vba_archive.read(ws.legacy_drawing))
        except Exception:  # unreadable VML: leave it as openpyxl would
            continue
        notes = root.findall(f"{{{vmlns}}}shape[@type='#_x0000_t202']")
        if len(notes) == len(root.findall(f"{{{vmlns}}}shape")):
            ws.legacy_drawing = None
        elif notes and not any(c.comment for c in ws._cells.values()):
            for shape in notes:
                root.remove(shape)
            replaced[ws.legacy_drawing] = tostring(root)
    if replaced:
        old = wb.vba_archive
        wb.vba_archive = zipfile.ZipFile(io.BytesIO(), "a", zipfile.ZIP_DEFLATED)
        for name in old.namelist():
            wb.vba_archive.writestr(name, replaced.get(name) or old.read(name))


def _save_atomically(wb, dest: Path) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        wb.save(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(dest.stat().st_mode) if dest.exists() else _NEW_FILE_MODE)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _put(cell, value: object) -> None:
    """Write one value: text stays text, Decimal becomes a number, None empties the cell."""
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value[:])[:_MAX_TEXT]
        cell.data_type = "s"  # never a formula ('=1+2') or an error code ('#N/A')
        return
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{cell.coordinate}: {value} cannot be stored in Excel")
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{cell.coordinate}: {value} cannot be stored in Excel")
    cell.value = value  # openpyxl gives a date a date format unless it has one


def _table_name(wb, base: str) -> str:
    """A valid table name from `base`, unique among tables and defined names."""
    name = re.sub(r"[^\w.]", "_", base) or "Table"
    if not re.match(r"[^\W\d]", name) or _CELL_LIKE.fullmatch(name):
        name = "_" + name  # a table name must not start with a digit or look like a cell
    candidate, n = name, 1
    while wb._duplicate_name(candidate):
        n += 1
        candidate = f"{name}_{n}"
    return candidate


def _write_output(wb, output: OutputSheet) -> None:
    columns = tuple(output.columns)
    folded = [str(c).casefold() for c in columns]
    if not columns or "" in folded or len(set(folded)) != len(folded):
        raise ValueError(f"{output.name}: column names must be non-empty and unique: {columns}")
    unknown = set(output.number_formats) - set(columns)
    if unknown or (output.link_column is not None and output.link_column not in columns):
        raise ValueError(f"{output.name}: unknown columns {sorted(unknown) or output.link_column}")
    index, old = None, _find_sheet(wb, output.name)
    if old is not None:
        index = wb.index(old)
        wb.remove(old)
    ws = wb.create_sheet(output.name, index)
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
    table = Table(displayName=_table_name(wb, output.name), ref=ref)
    table.tableColumns = [TableColumn(id=j, name=str(c)) for j, c in enumerate(columns, 1)]
    table.autoFilter = AutoFilter(ref=ref)
    table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "A2"
    for j, width in enumerate(widths):
        ws.column_dimensions[column_letter(j)].width = min(width, _MAX_WIDTH)


def _link(cell, ref: str) -> None:
    """Make `cell` an internal hyperlink to `Sheet!A1` (a row `Sheet!5:5` goes to A5)."""
    sheet, address = split_ref(ref)
    rows = _ROW_ADDRESS.match(address)
    target = f"A{rows.group(1)}" if rows else address.replace("$", "")
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"{quote_sheet(sheet)}!{target}")
    cell.style = "Hyperlink"


def _find_sheet(wb, name: str):
    """The sheet of that name (Excel compares sheet names case-insensitively), or None."""
    wanted = name.casefold()
    return next((ws for ws in wb._sheets if ws.title.casefold() == wanted), None)


def _apply_cells(wb, headers: Sequence[HeaderAdd], updates: Sequence[CellUpdate]) -> None:
    touched: dict[object, list[tuple[int, int]]] = {}
    for change in (*headers, *updates):
        ws = _find_sheet(wb, change.sheet)
        if ws is None or not hasattr(ws, "_cells"):
            raise ValueError(f"no worksheet {change.sheet!r} in the workbook")
        cell = ws.cell(change.row, change.column + 1)
        if isinstance(cell, MergedCell):
            raise ValueError(f"{change.sheet}!{cell.coordinate} is inside merged cells")
        _put(cell, change.name if isinstance(change, HeaderAdd) else change.value)
        touched.setdefault(ws, []).append((change.row, change.column + 1))
    for ws, cells in touched.items():
        _grow_tables(ws, sorted(cells))


def _grow_tables(ws, cells: list[tuple[int, int]]) -> None:
    """Extend each table by the written cells just below it or just right of it."""
    for table in ws.tables.values():
        min_col, min_row, max_col, max_row = start = range_boundaries(table.ref)
        grown = True
        while grown:
            grown = False
            for row, col in cells:
                if col == max_col + 1 and min_row <= row <= max_row:
                    _add_table_column(ws, table, col, min_row)
                    max_col, grown = col, True
                elif row == max_row + 1 and min_col <= col <= max_col and not table.totalsRowCount:
                    max_row, grown = row, True
        if (min_col, min_row, max_col, max_row) == start:
            continue
        first, last = column_letter(min_col - 1), column_letter(max_col - 1)
        table.ref = f"{first}{min_row}:{last}{max_row}"
        if table.autoFilter is not None:  # the filter never covers a totals row
            table.autoFilter.ref = f"{first}{min_row}:{last}{max_row - (table.totalsRowCount or 0)}"


def _add_table_column(ws, table, col: int, header_row: int) -> None:
    names = {c.name.casefold() for c in table.tableColumns}
    has_header = table.headerRowCount != 0
    value = ws.cell(header_row, col).value if has_header else None
    name = "" if value is None else str(value)
    if not name:
        n = len(names) + 1
        while f"column{n}" in names:
            n += 1
        name = f"Column{n}"
        if has_header:
            _put(ws.cell(header_row, col), name)
    if name.casefold() in names:
        raise ValueError(f"{ws.title}: table {table.displayName} already has a column {name!r}")
    next_id = max((c.id for c in table.tableColumns), default=0) + 1
    table.tableColumns.append(TableColumn(id=next_id, name=name))


def _is_mark_rule(rule) -> bool:
    return any('"xlbilling"' in (f or "") for f in (rule.formula or ()))


def _clear_marks(wb) -> None:
    """Remove the notes and highlight rules an earlier run added, nothing else."""
    for ws in wb.worksheets:
        for cell in ws._cells.values():
            if cell.comment is not None and cell.comment.author == AUTHOR:
                cell.comment = None
        kept = ConditionalFormattingList()
        for cf in ws.conditional_formatting:
            for rule in cf.rules:
                if not _is_mark_rule(rule):
                    kept.add(cf, rule)
                    kept.max_priority = max(kept.max_priority, rule.priority or 0)
        ws.conditional_formatting = kept


def _mark_range(ws, address: str) -> tuple[int, int, int] | None:
    """`(row, first_col, last_col)` (1-based) a mark covers, or None if unreadable."""
    rows = _ROW_ADDRESS.match(address)
    if not rows:
        try:
            row, col = parse_a1(address)
        except ValueError:
            return None
        return row, col + 1, col + 1
    row = int(rows.group(1))
    for table in ws.tables.values():
        min_col, min_row, max_col, max_row = range_boundaries(table.ref)
        if min_row <= row <= max_row:
            return row, min_col, max_col
    return row, 1, max(ws.max_column, 1)


def _add_marks(wb, marks: Sequence[Mark]) -> None:
    notes: dict[tuple[object, int, int], list[str]] = {}
    ranges: dict[object, dict[str, None]] = {}
    for mark in marks:
        sheet, address = split_ref(mark.ref)
        ws = _find_sheet(wb, sheet)
        found = _mark_range(ws, address) if hasattr(ws, "_cells") else None
        if found is None:
            continue
        row, first, last = found
        messages = notes.setdefault((ws, row, first), [])
        if mark.message not in messages:
            messages.append(mark.message)
        span = f"{column_letter(first - 1)}{row}"
        if last != first:
            span += f":{column_letter(last - 1)}{row}"
        ranges.setdefault(ws, {})[span] = None
    for (ws, row, col), messages in notes.items():
        cell = ws.cell(row, col)
        if isinstance(cell, MergedCell) or cell.comment is not None:
            continue  # the user's own note stays; the highlight still shows the problem
        text = "\n".join(messages)
        lines = sum(1 + len(line) // 48 for line in text.splitlines())
        cell.comment = Comment(text, AUTHOR, height=min(40 + 18 * lines, 400), width=320)
    for ws, spans in ranges.items():
        cf = ws.conditional_formatting
        fill = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
        style = DifferentialStyle(fill=fill, font=Font(color="FF9C0006"))
        rule = Rule(type="expression", formula=[MARK_FORMULA], dxf=style)
        rule.priority = cf.max_priority + 1
        cf.add(" ".join(spans), rule)
