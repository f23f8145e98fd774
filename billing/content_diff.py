"""What changed between two workbooks' canonical contents, cell by cell.

Sheets are matched by name; a sheet that disappeared under one name while one with the
same content (or, failing that, at the same position) appeared under another was renamed.
Within a matched sheet every cell whose type, value, formula or number format differs is
a `CellChange`, and rows, hidden rows and columns and merged ranges are compared as sets.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from billing.canonical import Content
from billing.canonical_sheet import SheetParts
from billing.cells import quote_sheet

_ROW_NUMBERS = re.compile(r"^[A-Z]+([0-9]+)\t", re.M)
_UNESCAPE = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}


class CellChange(NamedTuple):
    """A cell whose value, formula or number format changed, or that was added or removed."""

    cell: str  # Sheet!A1
    what: str  # value, formula, format, added, removed
    old: str | None
    new: str | None

    def render(self) -> str:
        """`Sheet!A1: old → new`."""
        if self.what == "format":
            return f"{self.cell}: number format {self.old!r} → {self.new!r}"
        return f"{self.cell}: {self.old if self.old is not None else '(empty)'} → " \
               f"{self.new if self.new is not None else '(empty)'}"


class SheetChange(NamedTuple):
    """A change to a sheet as a whole: added, removed, renamed, rows, hidden rows or columns."""

    sheet: str
    what: str  # added, removed, renamed, state, hidden_rows, hidden_columns, merged, rows_added, rows_removed
    detail: str

    def render(self) -> str:
        """`Sheet: what changed`."""
        return f"{quote_sheet(self.sheet)}: {self.detail}"


class Diff(NamedTuple):
    """Everything that changed between two contents."""

    cells: tuple[CellChange, ...]
    sheets: tuple[SheetChange, ...]
    workbook: tuple[str, ...]  # defined names, macros, date system

    @property
    def empty(self) -> bool:
        """Nothing changed."""
        return not (self.cells or self.sheets or self.workbook)


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        pair = text[i:i + 2]
        if pair in _UNESCAPE:
            out.append(_UNESCAPE[pair])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def shown(kind: str, value: str) -> str:
    """A canonical value as a person reads it: numbers without a bare `.0`, text quoted,
    formulas with their `=`."""
    if kind == "n":
        return value[:-2] if value.endswith(".0") else value
    if kind == "s":
        return repr(_unescape(value))
    if kind in ("f", "ft"):
        return "=" + _unescape(value)
    if kind == "fa":
        area, _, formula = value.partition(" ")
        return "{=" + _unescape(formula) + "} over " + area
    return value


def _lines_by_ref(lines) -> dict[str, tuple[str, str, str]]:
    cells = {}
    for line in lines:
        if line:
            ref, kind, value, fmt = line.split("\t")
            cells[ref] = (kind, value, fmt)
    return cells


def _ref_key(ref: str) -> tuple[int, int, str]:
    letters = ref.rstrip("0123456789")
    return int(ref[len(letters):]), len(letters), letters


def _rows(cells: str) -> set[str]:
    return set(_ROW_NUMBERS.findall(cells))


def _runs_text(runs) -> set[str]:
    return {f"{a}" if a == b else f"{a}-{b}" for a, b in runs}


def diff_sheet(name: str, old: SheetParts, new: SheetParts) -> tuple[list[CellChange], list[SheetChange]]:
    """The cell and row changes of one sheet.

    Only the lines that differ are looked at (a set difference of the two sheets' lines,
    done in C), so one changed cell in a million costs two splits and two sets."""
    old_lines, new_lines = set(old.cells.split("\n")), set(new.cells.split("\n"))
    before, after = _lines_by_ref(old_lines - new_lines), _lines_by_ref(new_lines - old_lines)
    label = quote_sheet(name)
    cells: list[CellChange] = []
    for ref in sorted(before.keys() | after.keys(), key=_ref_key):
        a, b = before.get(ref), after.get(ref)
        place = f"{label}!{ref}"
        if a is None:
            cells.append(CellChange(place, "added", None, shown(b[0], b[1])))
        elif b is None:
            cells.append(CellChange(place, "removed", shown(a[0], a[1]), None))
        elif a[:2] != b[:2]:
            what = "formula" if a[0].startswith("f") or b[0].startswith("f") else "value"
            cells.append(CellChange(place, what, shown(a[0], a[1]), shown(b[0], b[1])))
        else:
            cells.append(CellChange(place, "format", _unescape(a[2]), _unescape(b[2])))
    sheets: list[SheetChange] = []
    touched_new = {_ref_key(r)[0] for r in after.keys() - before.keys()}
    touched_old = {_ref_key(r)[0] for r in before.keys() - after.keys()}
    if touched_new or touched_old:
        rows_old, rows_new = _rows(old.cells), _rows(new.cells)
        for what, rows in (("rows_added", {r for r in touched_new if str(r) not in rows_old}),
                           ("rows_removed", {r for r in touched_old if str(r) not in rows_new})):
            if rows:
                listed = ", ".join(str(r) for r in sorted(rows)[:20]) + (" …" if len(rows) > 20 else "")
                sheets.append(SheetChange(name, what, f"{len(rows)} rows {what.split('_')[1]}: {listed}"))
    for what, a, b in (("hidden_rows", old.hidden_rows, new.hidden_rows),
                       ("hidden_columns", old.hidden_columns, new.hidden_columns)):
        if a != b:
            hidden, unhidden = _runs_text(b) - _runs_text(a), _runs_text(a) - _runs_text(b)
            label_what = what.replace("_", " ")
            detail = "; ".join(part for part in (
                f"{label_what} now hidden: {', '.join(sorted(hidden))}" if hidden else "",
                f"{label_what} no longer hidden: {', '.join(sorted(unhidden))}" if unhidden else "") if part)
            sheets.append(SheetChange(name, what, detail or f"{label_what} changed"))
    if old.rows_hidden_by_default != new.rows_hidden_by_default:
        sheets.append(SheetChange(name, "hidden_rows", "rows hidden by default changed"))
    if old.merged != new.merged:
        sheets.append(SheetChange(name, "merged", f"merged ranges {', '.join(old.merged) or 'none'} → "
                                                  f"{', '.join(new.merged) or 'none'}"))
    return cells, sheets


class Pairing(NamedTuple):
    """How the sheets of two contents correspond."""

    pairs: list[tuple[str, str]]  # (old name, new name), renamed ones included
    renamed: list[tuple[str, str]]
    gone: list[str]
    came: list[str]


def pair_sheets(old: Content, new: Content) -> Pairing:
    """Sheets matched by name; a sheet gone under one name while one with the same content
    (or, failing that, at the same position) came under another was renamed."""
    new_names = {s.name for s in new.sheets}
    old_names = {s.name for s in old.sheets}
    pairs = [(s.name, s.name) for s in old.sheets if s.name in new_names]
    gone = [s for s in old.sheets if s.name not in new_names]
    came = [s for s in new.sheets if s.name not in old_names]
    renamed = []
    for s in list(gone):
        position = old.sheets.index(s)
        twin = next((c for c in came if c.digest == s.digest), None)
        if twin is None and position < len(new.sheets) and new.sheets[position] in came:
            twin = new.sheets[position]
        if twin is not None:
            gone.remove(s)
            came.remove(twin)
            pairs.append((s.name, twin.name))
            renamed.append((s.name, twin.name))
    return Pairing(pairs, renamed, [s.name for s in gone], [s.name for s in came])


def sheets_to_read(old: Content, new: Content) -> tuple[set[str], set[str]]:
    """The sheets of each side whose cells a comparison needs: changed pairs and added sheets."""
    pairing = pair_sheets(old, new)
    old_digest = {s.name: s.digest for s in old.sheets}
    new_digest = {s.name: s.digest for s in new.sheets}
    changed = [(a, b) for a, b in pairing.pairs if old_digest[a] != new_digest[b]]
    return {a for a, _ in changed}, {b for _, b in changed} | set(pairing.came)


def diff_contents(old: Content, old_parts: dict[str, SheetParts], new: Content,
                  new_parts: dict[str, SheetParts]) -> Diff:
    """Every change from `old` to `new`; cell by cell where both sides' parts are given
    (`sheets_to_read` says which are needed), else sheet by sheet from the digests."""
    old_sheets = {s.name: s for s in old.sheets}
    new_sheets = {s.name: s for s in new.sheets}
    pairing = pair_sheets(old, new)
    sheet_changes = [SheetChange(a, "renamed", f"renamed to {quote_sheet(b)}") for a, b in pairing.renamed]
    cells: list[CellChange] = []
    for before, after in pairing.pairs:
        a, b = old_sheets[before], new_sheets[after]
        if a.state != b.state:
            sheet_changes.append(SheetChange(after, "state", f"{a.state} → {b.state}"))
        if a.digest != b.digest:
            if before in old_parts and after in new_parts:
                changed, other = diff_sheet(after, old_parts[before], new_parts[after])
                cells += changed
                sheet_changes += other
            else:
                sheet_changes.append(SheetChange(after, "changed", "content changed (which cells: only a "
                                                                   "comparison with the archived original tells)"))
    empty = SheetParts((), (), False, (), "")
    for name in pairing.gone:
        sheet_changes.append(SheetChange(name, "removed", "sheet removed"))
    for name in pairing.came:
        sheet_changes.append(SheetChange(name, "added", f"sheet added ({new_sheets[name].state})"))
        if name in new_parts:
            cells += diff_sheet(name, empty, new_parts[name])[0]
    workbook = []
    if old.names_digest != new.names_digest:
        workbook.append("defined names changed")
    if old.vba_digest != new.vba_digest:
        workbook.append("macro project (VBA) changed")
    if old.date1904 != new.date1904:
        workbook.append("date system changed (1900/1904): every date shifts by four years")
    if [s.name for s in old.sheets if s.name in new_sheets] != [s.name for s in new.sheets if s.name in old_sheets]:
        workbook.append("sheet order changed")
    return Diff(tuple(cells), tuple(sheet_changes), tuple(workbook))


def sheet_level_diff(sealed: Content, current: Content) -> Diff:
    """Without the archived original: what the per-sheet digests of the record tell."""
    return diff_contents(sealed, {}, current, {})
