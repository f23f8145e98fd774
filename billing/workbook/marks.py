"""Marks: the problems a run shows on input cells, added and removed again exactly.

A `Mark` names a cell (`Sheet!E7`) or a row (`Sheet!7:7`) and a message. On the sheet a
mark is a highlight and nothing else: one conditional-formatting rule per sheet, a red
fill (with dark red text) over every marked cell and row span (a row is highlighted across
the table holding it, else across the sheet's used columns). Its formula
``"xlbilling"="xlbilling"`` is always true, so the rule always shows, and it doubles as
the rule's signature. The message is on the Validation sheet, whose `cell` column links to
each marked cell; marks add no notes, so they never touch the user's comments, threaded
comments or drawings, and the user's own cell styles are never changed.

The rule goes where the worksheet schema puts conditional formats (after the last one
already there), with the next free priority, so every rule of the user's keeps its place
and precedence; its fill is one differential style, found or added once.

Removal (`clear_marks`) finds exactly what an earlier run added: rules whose formula
contains ``"xlbilling"``; a conditional format left without rules goes with them. Every
other rule stays, with its priority. Marks naming a sheet that does not exist (or is a
chart sheet) or an address that cannot be read are skipped: they are display only.

Earlier versions also wrote a note per marked cell (author ``xlbilling``, in the sheet's
comments part, drawn by its VML part). `clear_legacy_notes` removes those notes and their
note shapes and nothing else: other people's notes and shapes (form controls) stay, and
the comments and drawing parts go only when nothing is left in them. A note drawing that
cannot be read keeps its notes (shown, harmless) rather than guessing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from lxml import etree

from billing.cells import column_letter, parse_a1, split_ref
from billing.changes import Mark
from billing.errors import BadFile
from billing.workbook.ns import COMMENTS_REL, REL, VML_REL
from billing.workbook.package import Package, q
from billing.workbook.sheettext import SheetText

AUTHOR = "xlbilling"
MARK_FORMULA = '"xlbilling"="xlbilling"'
SIGNATURE = b"xlbilling"  # what a sheet holding a mark (or a legacy note part) must contain
MARK_FILL, MARK_TEXT = "FFC7CE", "9C0006"  # Excel's "light red fill with dark red text"
ROW_ADDRESS = re.compile(r"^\$?([0-9]+):\$?([0-9]+)$")  # a whole row, `5:5`
_MAX_ROW, _MAX_COLUMN = 1048576, 16384
_VML = "urn:schemas-microsoft-com:vml"
_VML_EXCEL = "urn:schemas-microsoft-com:office:excel"
_REL_ID = q("id", REL)


def marks_by_sheet(marks: Sequence[Mark]) -> dict[str, list[str]]:
    """The addresses marked on each sheet (casefolded sheet name), in order, once each."""
    found: dict[str, dict[str, None]] = {}
    for mark in marks:
        sheet, address = split_ref(mark.ref)
        found.setdefault(sheet.casefold(), {})[address] = None
    return {sheet: list(addresses) for sheet, addresses in found.items()}


def is_mark_rule(rule) -> bool:
    return any('"xlbilling"' in (f.text or "") for f in rule.iter(q("formula")))


def clear_marks(text: SheetText) -> None:
    """Remove the highlight rules an earlier run added to this sheet (nothing else)."""
    root = text.skeleton()
    for formats in root.findall(q("conditionalFormatting")):
        rules = formats.findall(q("cfRule"))
        marked = [rule for rule in rules if is_mark_rule(rule)]
        if not marked:
            continue
        for rule in marked:
            formats.remove(rule)
        if len(marked) == len(rules):
            root.remove(formats)
        text.touch()


def add_marks(text: SheetText, addresses: Sequence[str], tables: Sequence[tuple[int, int, int, int]],
              dxf: int) -> None:
    """Highlight `addresses` (`E7`, `7:7`) of this sheet with one rule using style `dxf`.
    `tables` are the sheet's tables as (first column, first row, last column, last row), 1-based."""
    spans = {}
    last_used = _last_used_column(text)
    for address in addresses:
        found = _mark_range(address, tables, last_used)
        if found is None:
            continue
        row, first, last = found
        span = f"{column_letter(first - 1)}{row}"
        spans[span if last == first else f"{span}:{column_letter(last - 1)}{row}"] = None
    if not spans:
        return
    root = text.skeleton()
    priorities = [int(p) for rule in root.iter() if isinstance(rule.tag, str)
                  and etree.QName(rule).localname == "cfRule" and (p := rule.get("priority", "")).isdigit()]
    formats = root.makeelement(q("conditionalFormatting"), {"sqref": " ".join(spans)})
    rule = etree.SubElement(formats, q("cfRule"), type="expression", dxfId=str(dxf),
                            priority=str(max(priorities, default=0) + 1))  # below every rule already there
    etree.SubElement(rule, q("formula")).text = MARK_FORMULA
    text.insert(formats)


def _last_used_column(text: SheetText) -> int:
    """The last column (1-based) of the sheet's used range, as its `<dimension>` says (1 without one)."""
    node = text.find("dimension")
    ref = (node.get("ref", "") if node is not None else "").split(":")[-1]
    try:
        return parse_a1(ref)[1] + 1
    except ValueError:
        return 1


def _mark_range(address: str, tables, last_used: int) -> tuple[int, int, int] | None:
    """`(row, first_col, last_col)` (1-based) a mark covers, or None if unreadable."""
    rows = ROW_ADDRESS.match(address)
    if rows:
        row = int(rows.group(1))
        first, last = next(((c1, c2) for c1, r1, c2, r2 in tables if r1 <= row <= r2), (1, last_used))
    else:
        try:
            row, col = parse_a1(address)
        except ValueError:
            return None
        first = last = col + 1
    if not (1 <= row <= _MAX_ROW and 1 <= first <= last <= _MAX_COLUMN):
        return None
    return row, first, last


# --- notes of earlier versions -------------------------------------------------------------


def clear_legacy_notes(pkg: Package, part: str, sheet_text) -> None:
    """Remove the notes an earlier version wrote on the worksheet `part` (author
    ``xlbilling``) with their note shapes; `sheet_text()` gives the sheet's `SheetText`
    when its drawing link must go."""
    for rel_id, kind, comments_part in pkg.rels(part):
        if kind != COMMENTS_REL or not pkg.has(comments_part) or SIGNATURE not in pkg.read(comments_part):
            continue
        comments = pkg.tree(comments_part)
        authors = comments.find(q("authors"))
        ours = {str(i) for i, a in enumerate(authors if authors is not None else ()) if (a.text or "") == AUTHOR}
        notes = comments.find(q("commentList"))
        if not ours or notes is None:
            continue
        marked = [n for n in notes if isinstance(n.tag, str) and n.get("authorId") in ours]
        if not marked:
            continue
        cells = set()
        for note in marked:
            try:
                cells.add(parse_a1(note.get("ref", "")))
            except ValueError:
                pass
        vml = _note_drawing(pkg, part)
        if vml is not None and vml[2] is None:
            continue  # a drawing that cannot be read: keep the notes rather than leave shapes without them
        for note in marked:
            notes.remove(note)
        if not any(isinstance(n.tag, str) for n in notes):
            pkg.drop_rels(part, ids={rel_id})
            pkg.remove(comments_part)
        if vml is not None:
            _remove_note_shapes(pkg, part, vml, cells, sheet_text)


def _note_drawing(pkg: Package, part: str):
    """(relationship id, VML part, its tree or None if unreadable) of the sheet's note drawing, or None."""
    for rel_id, kind, target in pkg.rels(part):
        if kind == VML_REL and pkg.has(target):
            try:
                return rel_id, target, pkg.tree(target)
            except BadFile:  # VML is often not quite XML
                return rel_id, target, None
    return None


def _remove_note_shapes(pkg: Package, part: str, vml, cells: set[tuple[int, int]], sheet_text) -> None:
    rel_id, target, root = vml
    for shape in root.findall(f"{{{_VML}}}shape"):
        data = shape.find(f"{{{_VML_EXCEL}}}ClientData")
        if data is None or data.get("ObjectType") != "Note":
            continue
        row, column = (data.findtext(f"{{{_VML_EXCEL}}}{tag}", "").strip() for tag in ("Row", "Column"))
        if row.isdigit() and column.isdigit() and (int(row) + 1, int(column)) in cells:
            root.remove(shape)
    kept = [c for c in root if isinstance(c.tag, str) and etree.QName(c).localname not in ("shapetype", "shapelayout")]
    if kept:
        return  # other shapes (form controls, other notes) keep the drawing
    pkg.drop_rels(part, ids={rel_id})
    pkg.remove(target)
    text: SheetText = sheet_text()
    for node in text.skeleton().findall(q("legacyDrawing")):
        if node.get(_REL_ID) == rel_id:
            text.skeleton().remove(node)
            text.touch()

