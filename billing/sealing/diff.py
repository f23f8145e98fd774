"""What changed between two workbooks' canonical contents, cell by cell.

Sheets are matched by name; a sheet that disappeared under one name while one with the
same content (or, failing that, at the same position) appeared under another was renamed.
Within a matched sheet every cell whose type, value, formula, cached result, number format
or readability differs is a `CellChange` (one per cell, the first of these that changed),
and rows, hidden, low and narrow rows and columns, merged ranges and conditional formats
are compared as sets. Workbook-wide: defined names (each one named, when both sides' names
are at hand), the macro project, the date system, the calculation mode and the sheet order
(the sheets that moved, with their places).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from billing.sealing.canonical import Content
from billing.sealing.canonical.sheet import SheetParts
from billing.cells import column_letter, quote_sheet

_ROW_NUMBERS = re.compile(r"^[A-Z]+([0-9]+)\t", re.M)
_UNESCAPE = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}


class CellChange(NamedTuple):
    """A cell whose value, formula, cached result, number format or readability changed, or
    that was added or removed."""

    cell: str  # Sheet!A1
    what: str  # value, formula, cached, format, readable, added, removed
    old: str | None
    new: str | None

    def render(self) -> str:
        """`Sheet!A1: old → new`."""
        if self.what == "format":
            hides = " (the value is no longer shown)" if hides_value(self.new or "") else ""
            return f"{self.cell}: number format {self.old!r} → {self.new!r}{hides}"
        if self.what == "cached":
            return (f"{self.cell}: cached result {self.old if self.old is not None else '(none)'} → "
                    f"{self.new if self.new is not None else '(none)'} (what python-calamine, and Excel without "
                    "recalculating, show)")
        if self.what == "readable":
            return (f"{self.cell}: text made {self.new} (its font against its fill, or its size)"
                    if self.new == "unreadable" else f"{self.cell}: text made readable again")
        return f"{self.cell}: {self.old if self.old is not None else '(empty)'} → " \
               f"{self.new if self.new is not None else '(empty)'}"


def hides_value(code: str) -> bool:
    """Whether a number format code shows numbers as nothing (`;;;`, `;;`).

    >>> hides_value(";;;"), hides_value("#,##0.00"), hides_value("0;-0;")
    (True, False, False)
    """
    return code.split(";")[:3] == ["", "", ""]


class SheetChange(NamedTuple):
    """A change to a sheet as a whole: added, removed, renamed, rows, hidden rows or columns."""

    sheet: str
    what: str  # added, removed, renamed, state, changed, hidden_rows, hidden_columns, low_rows, narrow_columns,
    # merged, rows_added, rows_removed, zeros, conditional_formats, tables
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


def _lines_by_ref(lines) -> dict[str, tuple[str, str, str, str, str]]:
    """(type, value, format, readable, cached) by cell (version 1 lines: readable, no cache)."""
    cells = {}
    for line in lines:
        if line:
            fields = line.split("\t")
            ref, kind, value, fmt = fields[:4]
            cells[ref] = (kind, value, fmt, fields[4] if len(fields) > 4 else "1",
                          fields[5] if len(fields) > 5 else "")
    return cells


def _cached(text: str) -> str | None:
    """A cached result (`n:3950.0`) as a person reads it (`3950`); None for none."""
    if not text:
        return None
    kind, _, value = text.partition(":")
    return shown(kind, value)


def _ref_key(ref: str) -> tuple[int, int, str]:
    letters = ref.rstrip("0123456789")
    return int(ref[len(letters):]), len(letters), letters


def _rows(cells: str) -> set[str]:
    return set(_ROW_NUMBERS.findall(cells))


def _runs_text(runs, columns: bool = False) -> set[str]:
    """Runs as `3`/`3-5`, or for columns in letters, `O`/`C:E`."""
    if columns:
        return {column_letter(a - 1) if a == b else f"{column_letter(a - 1)}:{column_letter(b - 1)}"
                for a, b in runs if 1 <= a <= b <= 16384}
    return {f"{a}" if a == b else f"{a}-{b}" for a, b in runs}


def _run_key(text: str) -> tuple[int, str]:
    """Rows by number, columns by letters (`B` before `AA`)."""
    if text[:1].isdigit():
        return int(text.split("-")[0]), ""
    first = text.split(":")[0]
    return len(first), first


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
        elif a[4] != b[4]:
            cells.append(CellChange(place, "cached", _cached(a[4]), _cached(b[4])))
        elif a[2] != b[2]:
            cells.append(CellChange(place, "format", _unescape(a[2]), _unescape(b[2])))
        else:
            cells.append(CellChange(place, "readable", *("readable" if x[3] == "1" else "unreadable" for x in (a, b))))
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
    for what, a, b, noun, size in (("low_rows", old.low_rows, new.low_rows, "rows", "low"),
                                   ("narrow_columns", old.narrow_columns, new.narrow_columns, "columns", "narrow")):
        if a != b:
            columns = what == "narrow_columns"
            now = _runs_text(b, columns) - _runs_text(a, columns)
            before = _runs_text(a, columns) - _runs_text(b, columns)
            detail = "; ".join(part for part in (
                f"{noun} now too {size} to show anything: {', '.join(sorted(now, key=_run_key))}" if now else "",
                f"{noun} no longer too {size}: {', '.join(sorted(before, key=_run_key))}" if before else "")
                if part)
            sheets.append(SheetChange(name, what, detail or f"{noun} too {size} to show anything changed"))
    if old.rows_hidden_by_default != new.rows_hidden_by_default:
        sheets.append(SheetChange(name, "hidden_rows", "rows hidden by default changed"))
    if old.columns_hidden_by_default != new.columns_hidden_by_default:
        sheets.append(SheetChange(name, "hidden_columns", "columns hidden by default changed"))
    if old.merged != new.merged:
        sheets.append(SheetChange(name, "merged", f"merged ranges {', '.join(old.merged) or 'none'} → "
                                                  f"{', '.join(new.merged) or 'none'}"))
    if old.zeros_shown != new.zeros_shown:
        sheets.append(SheetChange(name, "zeros", "zero values shown again" if new.zeros_shown
                                  else "zero values no longer shown (a cell holding 0 looks empty)"))
    if old.conditional != new.conditional:
        sheets.append(SheetChange(name, "conditional_formats", _conditional_changes(old.conditional,
                                                                                    new.conditional)))
    if old.tables != new.tables:
        sheets.append(SheetChange(name, "tables", _table_changes(old.tables, new.tables)))
    return cells, sheets


def _table_changes(old: tuple[str, ...], new: tuple[str, ...]) -> str:
    """What changed among two sheets' Excel Tables (which rows xlbilling reads as their data)."""
    def by_name(lines):
        return {fields[1]: fields[2:] for fields in (line.split("\t") for line in lines)}

    def shown(fields):
        display, ref, headers, totals = (_unescape(f) for f in fields)
        return f"{ref} ({headers} header rows, {totals} totals rows, shown as {display})"

    before, after = by_name(old), by_name(new)
    parts = []
    for name in sorted(before.keys() | after.keys()):
        a, b = before.get(name), after.get(name)
        if a == b:
            continue
        label = f"Excel Table {_unescape(name)}"
        parts.append(f"{label} added: {shown(b)}" if a is None else f"{label} removed: was {shown(a)}"
                     if b is None else f"{label} changed: {shown(a)} → {shown(b)}")
    return "; ".join(parts) or "Excel Tables changed"


def _conditional_changes(old: tuple[str, ...], new: tuple[str, ...]) -> str:
    """What changed among two lists of `SQREF TAB RULE` lines: rules changed, added, removed, reordered."""
    gone = [tuple(line.split("\t", 1)) for line in old if line not in new]
    came = [tuple(line.split("\t", 1)) for line in new if line not in old]
    parts = []
    for area, rule in list(gone):
        twin = next((c for c in came if c[0] == area), None)
        if twin is not None:
            gone.remove((area, rule))
            came.remove(twin)
            parts.append(f"conditional format on {area} changed: {_unescape(rule)} → {_unescape(twin[1])}")
    parts += [f"conditional format added on {area}: {_unescape(rule)}" for area, rule in came]
    parts += [f"conditional format removed from {area}: {_unescape(rule)}" for area, rule in gone]
    return "; ".join(parts) or "conditional formats reordered (which rule applies first changed)"


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
                  new_parts: dict[str, SheetParts], old_names: tuple[str, ...] | None = None,
                  new_names: tuple[str, ...] | None = None) -> Diff:
    """Every change from `old` to `new`; cell by cell where both sides' parts are given
    (`sheets_to_read` says which are needed), else sheet by sheet from the digests; each
    defined name where both sides' names block lines are given."""
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
        named = names_changes(old_names, new_names) if old_names is not None and new_names is not None else []
        workbook += named or ["defined names changed (which ones: only a comparison with the archived original "
                              "tells)"]
    if old.vba_digest != new.vba_digest:
        workbook.append("macro project (VBA) changed")
    if old.date1904 != new.date1904:
        workbook.append("the workbook's date system changed to 1904: every date moves by four years and a day"
                        if new.date1904 else
                        "the workbook's date system changed to 1900: every date moves back by four years and a day")
    if min(old.version, new.version) >= 2 and old.calculation != new.calculation:
        workbook.append(f"calculation changed from {old.calculation} to {new.calculation}"
                        + (": Excel shows the formulas' cached results without recalculating"
                           if new.calculation == "manual" else ""))
    moved = _moved_sheets(old, new, pairing)
    if moved:
        workbook.append("sheet order changed: " + moved)
    return Diff(tuple(cells), tuple(sheet_changes), tuple(workbook))


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _moved_sheets(old: Content, new: Content, pairing: Pairing) -> str:
    """The sheets (present on both sides) whose place among them changed, with their places:
    `InvoiceLines moved from 5th to 6th place, Payments from 6th to 5th`; '' when none moved."""
    paired = dict(pairing.pairs)
    old_order = [s.name for s in old.sheets if s.name in paired]
    new_place = {name: i for i, name in enumerate((s.name for s in new.sheets if s.name in paired.values()), 1)}
    moves = [(paired[name], i, new_place[paired[name]]) for i, name in enumerate(old_order, 1)
             if new_place[paired[name]] != i]
    return ", ".join(f"{quote_sheet(name)} moved from {_ordinal(a)} to {_ordinal(b)} place" if k == 0 else
                     f"{quote_sheet(name)} from {_ordinal(a)} to {_ordinal(b)}" for k, (name, a, b) in enumerate(moves))


def names_changes(old_lines, new_lines) -> list[str]:
    """Each defined name added, removed or changed, from two names blocks' lines
    (`NAME TAB SCOPE TAB HIDDEN TAB FORMULA`)."""
    def by_key(lines):
        found = {}
        for line in lines:
            name, scope, hidden, formula = (line.split("\t", 3) + ["", "", ""])[:4]
            found[(name, scope)] = (hidden, formula)
        return found

    def label(key, hidden):
        name, scope = key
        where = f" of sheet {_unescape(scope)}" if scope else ""
        return f"defined name {_unescape(name)}{where}" + (" (hidden)" if hidden == "1" else "")

    before, after = by_key(old_lines), by_key(new_lines)
    changes = []
    for key in sorted(before.keys() | after.keys()):
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        if a is None:
            changes.append(f"{label(key, b[0])} added (={_unescape(b[1])})")
        elif b is None:
            changes.append(f"{label(key, a[0])} removed (was ={_unescape(a[1])})")
        elif a[1] != b[1]:
            changes.append(f"{label(key, b[0])} changed: ={_unescape(a[1])} → ={_unescape(b[1])}")
        else:
            changes.append(f"{label(key, b[0])} {'hidden' if b[0] == '1' else 'no longer hidden'}")
    return changes


def sheet_level_diff(sealed: Content, current: Content) -> Diff:
    """Without the archived original: what the per-sheet digests of the record tell."""
    return diff_contents(sealed, {}, current, {})
