"""Marks: the problems a run shows on input cells, added and removed again exactly.

A `Mark` names a cell (`Sheet!E7`) or a row (`Sheet!7:7`) and a message. It is written as
two things, neither of which touches the user's own cell styles:

- a cell note (author ``xlbilling``) holding the messages, on the marked cell or, for a
  row, on the row's first cell in the table holding it (else column A); a cell that already
  carries a note of the user's keeps it, and a merged cell gets none;
- one conditional-formatting rule per sheet, a red fill over every marked cell and row
  span (a row is highlighted across the table holding it, else across the used columns).
  Its formula ``"xlbilling"="xlbilling"`` is always true, so the rule always shows, and it
  doubles as the rule's signature.

The highlight is what makes a problem visible at a glance, even where no note can go; the
note says what it is.

Removal (`replace_marks`) finds exactly what an earlier run added: notes whose author is
``xlbilling`` and rules whose formula contains ``"xlbilling"``. Every other note and rule
stays, and kept rules keep their priorities. Marks naming a sheet that does not exist (or
is a chart sheet), or an address that cannot be read, are skipped: they are display only.

`tidy_legacy_drawings` works around openpyxl's handling of note drawings (VML) in macro
workbooks, see its docstring. `find_sheet` is shared with
`billing.xlsx_write`.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from typing import NamedTuple

from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.comments.shape_writer import vmlns
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formatting.rule import Rule
from openpyxl.styles import Font, PatternFill
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.utils import range_boundaries
from openpyxl.xml.functions import fromstring, tostring

from billing.cells import column_letter, parse_a1, split_ref

AUTHOR = "xlbilling"
MARK_FORMULA = '"xlbilling"="xlbilling"'
ROW_ADDRESS = re.compile(r"^\$?([0-9]+):\$?([0-9]+)$")  # a whole row, `5:5`


class Mark(NamedTuple):
    """A problem shown on an input cell (`Sheet!E7`) or row (`Sheet!7:7`)."""

    ref: str
    message: str


def find_sheet(wb, name: str):
    """The sheet of that name (Excel compares sheet names case-insensitively), or None."""
    wanted = name.casefold()
    return next((ws for ws in wb._sheets if ws.title.casefold() == wanted), None)


def replace_marks(wb, marks: Sequence[Mark]) -> None:
    """Remove the marks an earlier run added (nothing else), then add `marks`."""
    _clear_marks(wb)
    _add_marks(wb, marks)


def _is_mark_rule(rule) -> bool:
    return any('"xlbilling"' in (f or "") for f in (rule.formula or ()))


def _clear_marks(wb) -> None:
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
    rows = ROW_ADDRESS.match(address)
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
    notes: dict[tuple[object, int, int], dict[str, None]] = {}  # dicts as ordered sets
    spans: dict[object, dict[str, None]] = {}
    for mark in marks:
        sheet, address = split_ref(mark.ref)
        ws = find_sheet(wb, sheet)
        found = _mark_range(ws, address) if hasattr(ws, "_cells") else None
        if found is None:
            continue
        row, first, last = found
        notes.setdefault((ws, row, first), {})[mark.message] = None
        span = f"{column_letter(first - 1)}{row}"
        if last != first:
            span += f":{column_letter(last - 1)}{row}"
        spans.setdefault(ws, {})[span] = None
    for (ws, row, col), messages in notes.items():
        cell = ws.cell(row, col)
        if isinstance(cell, MergedCell) or cell.comment is not None:
            continue  # the user's own note stays; the highlight still shows the problem
        text = "\n".join(messages)
        lines = sum(1 + len(line) // 48 for line in text.splitlines())
        cell.comment = Comment(text, AUTHOR, height=min(40 + 18 * lines, 400), width=320)
    fill = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
    style = DifferentialStyle(fill=fill, font=Font(color="FF9C0006"))
    for ws, sheet_spans in spans.items():
        # add() gives the rule the next priority, below every rule already there
        ws.conditional_formatting.add(
            " ".join(sheet_spans), Rule(type="expression", formula=[MARK_FORMULA], dxf=style)
        )


def tidy_legacy_drawings(wb) -> None:
    """Work around openpyxl's keep_vba handling of note drawings (VML).

    Notes are drawn by a VML part. Loading with keep_vba, openpyxl keeps the old parts and,
    on save, appends the sheet's notes to its old VML part (stale note shapes included) or,
    for a sheet with no notes left, still links the old part, which it copies only when it
    is named `vmlDrawingN.vml`, so the link can dangle; an old `commentsDrawingN.vml` can
    also collide with the new one openpyxl writes for another sheet.

    So: a VML holding only note shapes is dropped (openpyxl writes a fresh one for the notes
    left); one with other shapes (form controls) is kept, minus its note shapes when the
    sheet has no notes any more. Call this last, just before saving.
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
