"""Changing cells of an input sheet in place, for the package writer.

Only the rows that get a value are rewritten; every other row of the sheet's XML is copied
as it was, so a 300k-row sheet with a few thousand changed rows costs one pass of a
regular expression. A changed cell keeps its style (the user's formatting); a new date
cell gets a date format. New rows go in row order, the `<dimension>` grows, and each
Excel Table grows over the cells written just below it or just right of it (the writer
contract's `billing.changes.grown_bounds`; a cell renders `billing.changes.cell_value`).

What real files hold, and how it is met:
- rows and cells without their address (`r`, optional in the format) have the implicit
  one (the row after the previous row, the column after the previous cell); a rewritten
  row gets every address written out;
- a namespace prefix on the sheet's elements (`<x:row>`) is kept for the cells written;
- a shared formula whose first cell (the one holding its text) is overwritten is expanded:
  each other cell of it gets the formula as seen from where it is (`billing.workbook.formulas`);
- a value inside merged cells (not their first) or into an array formula spanning several
  cells is refused (`DoesNotFit`, naming the cell): Excel itself refuses both;
- a table growing a column takes the header written in the same run, else the header cell
  already there, else names it as Excel does (`Column4`) and writes that header.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal
from functools import lru_cache
from xml.sax.saxutils import escape

from lxml import etree

from billing.cells import column_index as _column_index, column_letter as _column_letter
from billing.changes import DATE_FORMAT, DoesNotFit, grown_bounds
from billing.workbook.formulas import moved_formula
from billing.workbook.ns import SHARED_STRINGS_REL, TABLE_REL
from billing.workbook.package import Package, q
from billing.workbook.sheetxml import cell_xml
from billing.workbook.sheettext import SheetText

_REF = re.compile(r'\br="([A-Za-z]{1,3})(\d+)"')
_ROW_NUMBER = re.compile(r'\br="(\d+)"')
_STYLE = re.compile(r'\bs="(\d+)"')
_TYPE = re.compile(r'\bt="(\w+)"')
_SPANS = re.compile(r'\s+spans="[^"]*"')
_MERGE = re.compile(r'<(?:[\w.-]+:)?mergeCell\b[^>]*\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_ATTR = re.compile(r'\b(t|ref|si)="([^"]*)"')
_MISSING = object()
# a column's letters and index, looked up once per column, not worked out per cell (millions)
column_index = lru_cache(maxsize=None)(_column_index)
column_letter = lru_cache(maxsize=None)(_column_letter)


class _Syntax:
    """The regular expressions for one namespace prefix (`` or `x:`)."""

    def __init__(self, p: str):
        self.p = p
        self.row_open, self.row_close = f"<{p}row", f"</{p}row>"
        self.row = re.compile(rf"<{re.escape(p)}row\b([^>]*?)(?:/>|>(.*?)</{re.escape(p)}row>)", re.S)
        self.cell = re.compile(rf"<{re.escape(p)}c\b([^>]*?)(?:/>|>(.*?)</{re.escape(p)}c>)", re.S)
        self.formula = re.compile(rf"<{re.escape(p)}f\b([^>]*?)(?:/>|>(.*?)</{re.escape(p)}f>)", re.S)
        self.value = re.compile(rf"<{re.escape(p)}v>(.*?)</{re.escape(p)}v>", re.S)
        self.text = re.compile(rf"<{re.escape(p)}t(?:\s[^>]*)?>(.*?)</{re.escape(p)}t>", re.S)
        self.cell_starts = (f"<{p}c ", f"<{p}c>", f"<{p}c/>")
        self.formula_open = f"<{p}f"
        self.cell_close = f"</{p}c>"

    def prefixed(self, xml: str) -> str:
        """Cells the writer made (unprefixed) in this sheet's prefix."""
        return re.sub(r"<(/?)(c|v|is|t|f)\b", rf"<\1{self.p}\2", xml) if self.p else xml


@lru_cache(maxsize=4)
def _syntax(prefix: str) -> _Syntax:
    return _Syntax(prefix)


class SharedStrings:
    """The workbook's shared strings, read only when a cell's text is needed."""

    def __init__(self, pkg: Package, workbook_part: str):
        self._pkg, self._workbook, self._items = pkg, workbook_part, None

    def __getitem__(self, index: int) -> str:
        if self._items is None:
            part = next((t for _, kind, t in self._pkg.rels(self._workbook) if kind == SHARED_STRINGS_REL
                         and self._pkg.has(t)), None)
            self._items = []
            if part is not None:
                root = self._pkg.xml(part)
                for item in root.iter(q("si")):
                    self._items.append("".join(t.text or "" for t in item.iter(q("t"))
                                               if t.getparent().tag != q("rPh")))
        return self._items[index] if 0 <= index < len(self._items) else ""


def update_sheet(pkg: Package, part: str, sheet: str, text: SheetText, rows: dict[int, dict[int, object]],
                 styles, shared: SharedStrings) -> None:
    """Write `rows` ({row: {0-based column: value}}) into the worksheet `text` (of `part`)."""
    syntax = _syntax(text.prefix)
    _refuse_merged(text.tail, sheet, rows)
    if 't="array"' in text.body:
        _refuse_array_parts(text.body, syntax, sheet, rows)
    _grow_tables(pkg, part, sheet, text, rows, shared)
    date_style = styles.xf(DATE_FORMAT)  # found, not added, after the first run
    pending = sorted(rows)
    out, p = [], 0
    anchors: dict[str, tuple[str, str]] = {}  # shared formulas whose first cell is overwritten
    for r, attrs, inner, raw in _rows(text.take_body().split(syntax.row_close), syntax):
        if r is None:
            out.append(raw)
            continue
        while p < len(pending) and pending[p] < r:  # new rows before this one
            out.append(_row_xml(pending[p], "", "", rows[pending[p]], date_style, syntax, anchors, sheet))
            p += 1
        if p < len(pending) and pending[p] == r:
            out.append(_row_xml(r, _SPANS.sub("", attrs), inner, rows[r], date_style, syntax, anchors, sheet))
            p += 1
        else:
            out.append(raw)
    out += [_row_xml(r, "", "", rows[r], date_style, syntax, anchors, sheet) for r in pending[p:]]
    body = "".join(out)
    if anchors:
        body = _expand_shared(body, syntax, anchors, sheet)
    text.set_body(body)
    _grow_dimension(text, rows)


def _rows(pieces: list[str], syntax: _Syntax):
    """(row number, attributes, cells, the row's text as written) of each row, in order;
    (None, "", "", text) for what lies between rows, from the rows' text split at `</row>`
    (each piece is let go of once read: the sheet is not held twice over while it is
    rewritten). A row without its number has the one after the previous row's.

    Splitting at `</row>` is the fast way through a big sheet; a piece holding more than
    one row (rows without cells are written `<row …/>`) is split by the full pattern.
    """
    previous = 0
    opening = syntax.row_open
    for n in range(len(pieces)):
        piece, pieces[n] = pieces[n], None
        last = n == len(pieces) - 1
        start = piece.find(opening)
        if start < 0:
            if piece:
                yield None, "", "", piece if last else piece + syntax.row_close
            continue
        if last or piece.find(opening, start + len(opening)) >= 0:
            chunk = piece if last else piece + syntax.row_close
            at = 0
            for match in syntax.row.finditer(chunk):
                if match.start() > at:
                    yield None, "", "", chunk[at:match.start()]
                previous = _number(match.group(1), previous)
                yield previous, match.group(1), match.group(2) or "", match.group(0)
                at = match.end()
            if at < len(chunk):
                yield None, "", "", chunk[at:]
            continue
        if start:
            yield None, "", "", piece[:start]
        close = piece.index(">", start)
        previous = _number(piece[start + len(opening):close], previous)
        yield previous, piece[start + len(opening):close], piece[close + 1:], piece[start:] + syntax.row_close


def _number(attrs: str, previous: int) -> int:
    found = _ROW_NUMBER.search(attrs)
    return int(found.group(1)) if found is not None else previous + 1


def _cells(inner: str, r: int, syntax: _Syntax) -> tuple[dict[int, str], str]:
    """Each cell of a row's content by 0-based column, its address written out; and what
    follows the last cell (a row's extension list)."""
    cells: dict[int, str] = {}
    column, end = -1, 0
    opening = f"<{syntax.p}c"
    for match in syntax.cell.finditer(inner):
        ref = _REF.search(match.group(1))
        if ref is None:
            column += 1
            cells[column] = f'{opening} r="{column_letter(column)}{r}"{match.group(0)[len(opening):]}'
        else:
            column = column_index(ref.group(1))
            cells[column] = match.group(0)
        end = match.end()
    return cells, inner[end:]


def _new_cell(column: int, r: int, value: object, style: int | None, date_style: int | None,
              syntax: _Syntax) -> str:
    if style is None and type(value) is Decimal and value.is_finite():  # the common case, no call
        xml = f'<c r="{column_letter(column)}{r}"><v>{value:f}</v></c>'
    else:
        xml = cell_xml(f"{column_letter(column)}{r}", value, style, date_style)
    return syntax.prefixed(xml) if syntax.p else xml


def _row_xml(r: int, attrs: str, inner: str, values: dict[int, object], date_style: int | None,
             syntax: _Syntax, anchors: dict[str, tuple[str, str]], sheet: str) -> str:
    if not _ROW_NUMBER.search(attrs):
        attrs = f' r="{r}"{attrs}'
    last = _last_cell_start(inner, syntax)
    if last >= 0:
        ref = _REF.search(inner, last, inner.find(">", last))
        appendable = ref is not None and column_index(ref.group(1)) < min(values) and \
            inner.endswith((syntax.cell_close, "/>"))
    else:
        appendable = "<" not in inner  # a row without cells (and without an extension list)
    if appendable:  # the common case: new cells right of the row's last one, appended as they are
        if syntax.p:
            added = "".join(_new_cell(c, r, v, None, date_style, syntax) for c, v in sorted(values.items()))
        else:  # inline: this runs for every row a run appends to
            added = "".join(f'<c r="{column_letter(c)}{r}"><v>{v:f}</v></c>' if type(v) is Decimal and v.is_finite()
                            else cell_xml(f"{column_letter(c)}{r}", v, None, date_style)
                            for c, v in sorted(values.items()))
        return f"{syntax.row_open}{attrs}>{inner}{added}{syntax.row_close}"
    cells, rest = _cells(inner, r, syntax)
    formula_tag = syntax.formula_open
    for column, value in values.items():
        old = cells.get(column)
        style = None
        if old is not None:
            if formula_tag in old:
                _note_shared_anchor(old, syntax, f"{column_letter(column)}{r}", anchors)
            style = _STYLE.search(old, 0, old.find(">"))
        cells[column] = _new_cell(column, r, value, int(style.group(1)) if style else None, date_style, syntax)
    return f"{syntax.row_open}{attrs}>{''.join(cells[c] for c in sorted(cells))}{rest}{syntax.row_close}"


def _last_cell_start(inner: str, syntax: _Syntax) -> int:
    """Where the row's last cell starts (-1: no cell); a cell without attributes counts."""
    last = inner.rfind(syntax.cell_starts[0])
    for bare in syntax.cell_starts[1:]:
        if inner.find(bare, last + 1) >= 0:
            last = max(last, inner.rfind(bare))
    return last


def _note_shared_anchor(cell: str, syntax: _Syntax, ref: str, anchors: dict[str, tuple[str, str]]) -> None:
    """If `cell` holds the text of a shared formula, remember it: its other cells need it."""
    found = syntax.formula.search(cell)
    if found is None:
        return
    attrs = dict(_ATTR.findall(found.group(1)))
    if attrs.get("t") == "shared" and "ref" in attrs and "si" in attrs:
        anchors[attrs["si"]] = (ref, html.unescape(found.group(2) or ""))


def _expand_shared(body: str, syntax: _Syntax, anchors: dict[str, tuple[str, str]], sheet: str) -> str:
    """Give every cell of the shared formulas in `anchors` its own formula."""
    out = []
    for r, attrs, inner, raw in _rows(body.split(syntax.row_close), syntax):
        if r is None or 'si="' not in inner:
            out.append(raw)
            continue
        cells, rest = _cells(inner, r, syntax)
        changed = False
        for column, cell in cells.items():
            found = syntax.formula.search(cell)
            if found is None:
                continue
            formula_attrs = dict(_ATTR.findall(found.group(1)))
            si = formula_attrs.get("si")
            if formula_attrs.get("t") != "shared" or "ref" in formula_attrs or si not in anchors:
                continue
            origin, formula = anchors[si]
            here = f"{column_letter(column)}{r}"
            try:
                moved = moved_formula(formula, origin, here)
            except ValueError as exc:
                raise DoesNotFit(f"{sheet}!{origin} holds a shared formula that cannot be given to {here} "
                                 f"when {origin} is overwritten ({exc})") from None
            cells[column] = f"{cell[:found.start()]}<{syntax.p}f>{escape(moved)}</{syntax.p}f>{cell[found.end():]}"
            changed = True
        if not changed:
            out.append(raw)
            continue
        if not _ROW_NUMBER.search(attrs):
            attrs = f' r="{r}"{attrs}'
        out.append(f"{syntax.row_open}{attrs}>{''.join(cells[c] for c in sorted(cells))}{rest}{syntax.row_close}")
    return "".join(out)


def _refuse_merged(tail: str, sheet: str, rows: dict[int, dict[int, object]]) -> None:
    """A value inside merged cells (not their first) is refused: Excel would not show it."""
    for match in _MERGE.finditer(tail):
        c1, r1, c2, r2 = column_index(match.group(1)), int(match.group(2)), column_index(match.group(3)), \
            int(match.group(4))
        for r in range(r1, r2 + 1):
            for c in rows.get(r, ()):
                if c1 <= c <= c2 and (r, c) != (r1, c1):
                    raise DoesNotFit(f"{sheet}!{column_letter(c)}{r} is inside merged cells "
                                     f"({match.group(1)}{r1}:{match.group(3)}{r2}); unmerge them to let it be written")


def _refuse_array_parts(body: str, syntax: _Syntax, sheet: str, rows: dict[int, dict[int, object]]) -> None:
    """A value into an array formula over several cells is refused, as Excel refuses it."""
    for found in syntax.formula.finditer(body):
        attrs = dict(_ATTR.findall(found.group(1)))
        if attrs.get("t") != "array" or ":" not in attrs.get("ref", ""):
            continue
        c1, r1, c2, r2 = range_bounds(attrs["ref"])
        if (c1, r1) == (c2, r2):
            continue
        for r in range(r1, r2 + 1):
            for c in rows.get(r, ()):
                if c1 <= c + 1 <= c2:
                    raise DoesNotFit(f"{sheet}!{column_letter(c)}{r} is part of the array formula over "
                                     f"{attrs['ref']}; remove the array formula to let it be written")


def _grow_dimension(text: SheetText, rows: dict[int, dict[int, object]]) -> None:
    node = text.find("dimension")
    if node is None or not node.get("ref"):
        return
    try:
        min_col, min_row, max_col, max_row = range_bounds(node.get("ref"))
    except ValueError:
        return
    last_col = max([max_col, *(c + 1 for cols in rows.values() for c in cols)])
    last_row = max(max_row, max(rows))
    ref = f"{column_letter(min_col - 1)}{min_row}:{column_letter(last_col - 1)}{last_row}"
    if ref != node.get("ref"):
        node.set("ref", ref)
        text.touch()


def _grow_tables(pkg: Package, part: str, sheet: str, text: SheetText, rows: dict[int, dict[int, object]],
                 shared: SharedStrings) -> None:
    """Grow each table over the cells written just below or right of it; a new column's
    header cell is added to `rows` when it must be written."""
    cells = [(r, c + 1) for r, cols in rows.items() for c in cols]
    for _, kind, target in pkg.rels(part):
        if kind != TABLE_REL or not pkg.has(target):
            continue
        table = pkg.tree(target)
        start = range_bounds(table.get("ref"))
        totals = int(table.get("totalsRowCount", "0") or 0)
        min_col, min_row, max_col, max_row = grown_bounds(start, cells, bool(totals))
        if (min_col, min_row, max_col, max_row) == start:
            continue
        for column in range(start[2], max_col):  # each new column, left to right, gets its name
            _add_column(table, sheet, text, rows, min_row, column, shared)
        ref = f"{column_letter(min_col - 1)}{min_row}:{column_letter(max_col - 1)}{max_row}"
        table.set("ref", ref)
        auto = table.find(q("autoFilter"))
        if auto is not None:  # the filter never covers a totals row
            auto.set("ref", f"{column_letter(min_col - 1)}{min_row}:{column_letter(max_col - 1)}{max_row - totals}")


def range_bounds(ref: str) -> tuple[int, int, int, int]:
    """`A1:C9` → (1, 1, 3, 9): first column (1-based), first row, last column, last row."""
    first, _, last = ref.replace("$", "").partition(":")
    a = re.fullmatch(r"([A-Za-z]{1,3})(\d+)", first)
    b = re.fullmatch(r"([A-Za-z]{1,3})(\d+)", last or first)
    if a is None or b is None:
        raise ValueError(f"not a cell range: {ref!r}")
    return column_index(a.group(1).upper()) + 1, int(a.group(2)), column_index(b.group(1).upper()) + 1, \
        int(b.group(2))


def _add_column(table, sheet: str, text: SheetText, rows: dict[int, dict[int, object]], header_row: int,
                column: int, shared: SharedStrings) -> None:
    columns = table.find(q("tableColumns"))
    if columns is None:
        columns = etree.SubElement(table, q("tableColumns"))
    names = {c.get("name", "").casefold() for c in columns if isinstance(c.tag, str)}
    has_header = table.get("headerRowCount", "1") != "0"
    value = rows.get(header_row, {}).get(column, _MISSING) if has_header else None
    if value is _MISSING:
        value = _cell_text(text, header_row, column, shared)
    name = "" if value is None else str(value)
    if not name:
        n = len(names) + 1
        while f"column{n}" in names:
            n += 1
        name = f"Column{n}"  # Excel's name for a column without a header
        if has_header:
            rows.setdefault(header_row, {})[column] = name
    if name.casefold() in names:
        raise DoesNotFit(f"{sheet}!{column_letter(column)}{header_row}: table {table.get('displayName')} "
                         f"already has a column {name!r}")
    ids = [int(c.get("id", 0)) for c in columns if isinstance(c.tag, str)]
    columns.append(columns.makeelement(q("tableColumn"), {"id": str(max(ids, default=0) + 1), "name": name}))
    columns.set("count", str(len(ids) + 1))


def _cell_text(text: SheetText, row: int, column: int, shared: SharedStrings) -> str | None:
    """The text a cell already holds (None if empty): what Excel would take as a header."""
    syntax = _syntax(text.prefix)
    for r, _, inner, _ in _rows(text.body.split(syntax.row_close), syntax):
        if r is None or r < row:
            continue
        if r > row:
            return None
        cell = _cells(inner, r, syntax)[0].get(column)
        if cell is None:
            return None
        kind = _TYPE.search(cell.split(">", 1)[0])
        kind = kind.group(1) if kind else "n"
        if kind == "inlineStr":
            return html.unescape("".join(syntax.text.findall(cell))) or None
        value = syntax.value.search(cell)
        if value is None:
            return None
        raw = html.unescape(value.group(1))
        if kind == "s":
            return shared[int(raw)] if raw.strip().isdigit() else None
        return raw or None
    return None
