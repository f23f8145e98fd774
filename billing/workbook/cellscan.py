"""What python-calamine does not show of a worksheet's cells: error values, and formulas that
reach out of the workbook.

python-calamine (0.9) gives a cell holding an Excel error value — typed, or the cached result
of a formula: `<c t="e"><v>#N/A</v></c>` — as an empty string, exactly like a blank cell, and
never shows a cell's formula. `scan_cells` reads a worksheet's XML once, streaming, and
returns, each by (1-based row, 0-based column):

* `errors`: every error cell with its code (`ErrorValue("#N/A")`, `#DIV/0!`, `#SPILL!`, …);
* `links`: every cell whose formula calls another program through DDE (`cmd|' /C calc'!A0`)
  or refers to another workbook (`[1]Sheet1!A1`, `'C:\\x\\[Book.xlsx]S'!A1`, `[1]!Name`),
  including the cells sharing such a formula.

A sheet without `t="e"` and without `|` or `[` in a formula costs a few byte searches per
megabyte. Cells are placed by their `r` reference; when an error or linking cell does not
name its place, or the quick look cannot follow the XML, the sheet is walked with expat and
every cell placed as python-calamine places it (`billing.workbook.safety_area.CellPlacer`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from xml.parsers import expat

from billing.book import CellScan, Link  # the records a scan yields: the read model's
from billing.cellvalues import ErrorValue
from billing.workbook.safety_area import CellPlacer, column_number

#: Bytes kept from one buffer to the next: an error or formula cell is shorter (a formula
#: holds at most 8,192 characters, ~50 KiB escaped); a longer cell is walked.
CARRY = 64 << 10
#: Shown for an error cell without a code.
NO_CODE = "#ERROR"


# -- what a formula reaches ------------------------------------------------------------------

_STRING = re.compile(r'"(?:[^"]|"")*"')
_QUOTED_NAME = re.compile(r"'(?:[^']|'')*'")
#: `[1]Sheet1!A1`, `[Book.xlsx]Sheet1!A1`, `[1]!Name`: a bracketed book, then a sheet name
#: (no operators, no spaces) and `!`. Structured references (`Table1[col]`) are never
#: followed by `!`.
_BOOK_REFERENCE = re.compile(r"\[[^\[\]]+\][^\s!,()+\-*/^&=<>;:{}\[\]'\"]*!")


def formula_link(formula: str) -> str | None:
    """`dde`, `external` or None for a formula's text (as stored, without the leading `=`).

    >>> formula_link("cmd|' /C calc'!A0"), formula_link("[1]Sheet1!A1"), formula_link("'[2]My data'!B2")
    ('dde', 'external', 'external')
    >>> formula_link('SUM(Table1[amount])&"a|b"'), formula_link("'a|b'!A1+[1]!Rate")
    (None, 'external')
    """
    text = _STRING.sub('""', formula)
    for name in _QUOTED_NAME.finditer(text):
        if "[" in name.group() and text[name.end():name.end() + 1] == "!":
            return "external"
    rest = _QUOTED_NAME.sub("''", text)
    if "|" in rest:
        return "dde"
    if _BOOK_REFERENCE.search(rest):
        return "external"
    return None


# -- the quick look ----------------------------------------------------------------------------

class _Lost(Exception):
    """The quick look cannot place a cell: walk the sheet instead."""


_ERROR_TYPE = re.compile(rb"""t\s*=\s*["']e["']""")
_CELL_TAG = re.compile(rb"<(?:[\w.-]+:)?c(?=[\s/>])[^>]*>")
_CELL_REF = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]{1,3})(\d{1,7})["']""")
_CELL_END = re.compile(rb"</(?:[\w.-]+:)?c\s*>")
_VALUE = re.compile(rb"<(?:[\w.-]+:)?v\s*>([^<]*)<")
#: A formula whose text holds `|` or `[`: a candidate; `formula_link` decides.
_FORMULA = re.compile(rb"<f(\s[^>]*)?>([^<|\[]*[|\[][^<]*)<")
_PREFIXED_FORMULA = re.compile(rb":f(\s[^>]*)?>([^<|\[]*[|\[][^<]*)<")
_SHARED_INDEX = re.compile(rb"""\bsi\s*=\s*["'](\d+)["']""")
_SHARED_FOLLOWER = re.compile(rb"""<(?:[\w.-]+:)?f\s[^>]*?\bsi\s*=\s*["'](\d+)["'][^>]*/>""")
_SPACE = (b" ", b"\t", b"\r", b"\n")


def scan_cells(open_chunks: Callable[[], Iterable[bytes]]) -> CellScan:
    """The error cells and linking formulas of a worksheet; `open_chunks()` yields its XML
    (called a second time when the sheet must be walked)."""
    try:
        return _quick(open_chunks())
    except _Lost:
        return _walk(open_chunks())


def _quick(chunks: Iterable[bytes]) -> CellScan:
    found = CellScan({}, {})
    shared: dict[bytes, Link] = {}
    carry = b""
    for buf, cut in buffers(chunks):
        _look(buf, cut, found, shared)
    return found


def buffers(chunks: Iterable[bytes]) -> Iterable[tuple[bytes, int]]:
    """(buffer, cut) pairs over a part's bytes: each buffer is looked at before `cut`, and what
    follows is kept in front of the next one. `cut` is a tag's start, so no tag spans it —
    unless a tag or comment is longer than `CARRY`: a comment or text is cut anywhere (no tag
    begins in it), a longer cell is left to the walk."""
    carry = b""
    for chunk in chunks:
        buf = carry + chunk
        if len(buf) <= CARRY:
            carry = buf
            continue
        cut = cut_point(buf)
        if cut < 0:
            raise _Lost
        yield buf, cut
        carry = buf[cut:]
    yield carry, len(carry)


def cut_point(buf: bytes) -> int:
    """Where to cut a buffer longer than `CARRY` (see `buffers`); -1 for a cell longer than that."""
    cut = buf.rfind(b"<", 0, len(buf) - CARRY)
    if cut <= 0:
        return -1 if _LONG_CELL.match(buf) else len(buf) - CARRY
    return cut


_LONG_CELL = re.compile(rb"<(?:[\w.-]+:)?c[\s/>]")


def _look(buf: bytes, limit: int, found: CellScan, shared: dict[bytes, Link]) -> None:
    """Error and linking cells that start before `limit` (the rest is seen with the next buffer)."""
    for m in _ERROR_TYPE.finditer(buf):
        if m.start() >= limit:
            break
        if buf[m.start() - 1:m.start()] not in _SPACE:
            continue  # an attribute whose name only ends in t
        tag = _tag_around(buf, m.start())
        if tag is None:
            continue  # `t="e"` on another element
        found.errors[_place(tag)] = ErrorValue(_error_code(buf, tag))
    has_plain, has_prefixed = b"<f" in buf, b":f" in buf
    if not (has_plain or has_prefixed):
        return
    for pattern, present in ((_FORMULA, has_plain), (_PREFIXED_FORMULA, has_prefixed)):
        for m in pattern.finditer(buf) if present else ():
            if m.start() >= limit:
                break
            formula = html.unescape(m.group(2).decode("utf-8", "replace"))
            kind = formula_link(formula)
            if kind is None:
                continue
            tag = _cell_before(buf, m.start())
            found.links[_place(tag)] = link = Link(kind, formula)
            index = _SHARED_INDEX.search(m.group(1) or b"")
            if index and b"shared" in (m.group(1) or b""):
                shared[index.group(1)] = link
    if shared:
        for m in _SHARED_FOLLOWER.finditer(buf):
            if m.start() < limit and m.group(1) in shared:
                found.links[_place(_cell_before(buf, m.start()))] = shared[m.group(1)]


def _tag_around(buf: bytes, at: int) -> re.Match | None:
    start = buf.rfind(b"<", 0, at)
    tag = _CELL_TAG.match(buf, start) if start >= 0 else None
    return tag if tag is not None and tag.end() > at else None


def _cell_before(buf: bytes, at: int) -> re.Match:
    """The tag of the cell a formula at `at` belongs to."""
    tags = list(_CELL_TAG.finditer(buf, max(0, at - CARRY), at))
    if not tags:
        raise _Lost
    return tags[-1]


def _place(tag: re.Match) -> tuple[int, int]:
    ref = _CELL_REF.search(tag.group())
    if ref is None:
        raise _Lost
    return int(ref.group(2)), column_number(ref.group(1)) - 1


def _error_code(buf: bytes, tag: re.Match) -> str:
    if tag.group().endswith(b"/>"):
        return NO_CODE
    end = _CELL_END.search(buf, tag.end())
    if end is None:
        raise _Lost
    value = _VALUE.search(buf, tag.end(), end.start())
    return _code(value.group(1).decode("utf-8", "replace") if value else "")


def _code(text: str) -> str:
    code = " ".join(html.unescape(text).split())[:40]
    return code or NO_CODE


# -- the walk ----------------------------------------------------------------------------------

def _walk(chunks: Iterable[bytes]) -> CellScan:
    found = CellScan({}, {})
    placer = CellPlacer()
    shared: dict[str, Link] = {}
    cell: dict = {}
    text: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local == "row":
            placer.start_row(attrs)
        elif local == "c":
            row, column = placer.place_cell(attrs)
            cell.clear()
            cell.update(place=(row, column - 1), error=attrs.get("t", "").strip() == "e")
        elif local in ("v", "f") and cell:
            text.clear()
            cell["reading"] = local
            if local == "f":
                cell["formula"] = attrs

    def data(chars: str) -> None:
        if cell.get("reading"):
            text.append(chars)

    def end(name: str) -> None:
        local = name.rpartition(":")[2]
        if local in ("v", "f") and cell.get("reading") == local:
            cell[local] = "".join(text)
            cell["reading"] = None
        elif local == "c" and cell:
            _record(cell, found, shared)
            cell.clear()

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler, parser.CharacterDataHandler, parser.EndElementHandler = start, data, end
    for chunk in chunks:
        parser.Parse(chunk, False)
    parser.Parse(b"", True)
    return found


def _record(cell: dict, found: CellScan, shared: dict[str, Link]) -> None:
    place = cell["place"]
    if cell["error"]:
        found.errors[place] = ErrorValue(_code(cell.get("v", "")))
    attrs = cell.get("formula")
    if attrs is None:
        return
    formula = cell.get("f", "")
    kind = formula_link(formula) if formula else None
    index = attrs.get("si")
    if kind is not None:
        found.links[place] = link = Link(kind, formula)
        if attrs.get("t") == "shared" and index is not None:
            shared[index] = link
    elif not formula and index in shared:
        found.links[place] = shared[index]
