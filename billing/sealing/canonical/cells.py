"""One cell as its canonical line: type, normalised value or formula, number format.

`canonical.py` describes the canonical form; this module implements the per-cell rules
both sheet readers share (`canonical_sheet`'s fast text scanner and its element-by-element
reader), so the two can only agree:

* a formula cell is its formula (`f`), without a leading `=`; an array formula is `fa` with
  its range. Version 1 leaves the cached result out; version 2 adds it (`TYPE:VALUE`,
  normalised like a value: `n:3950.0`), because python-calamine and Excel in manual
  calculation show it;
* otherwise by the cell's type: numbers (`n`) as the shortest text that reads back as the same
  IEEE-754 double (Python's `repr`: `46234.0`, `0.19`, `1e-05`, `1.5e+16`), -0 as 0; text (`s`)
  whether shared, inline or `str`; booleans (`b`) as TRUE/FALSE; errors (`e`) and ISO dates
  (`d`) as written;
* a cell with no value and no formula, or with empty text, is no content and has no line.

What follows the value is the style's part (`cell_looks`): version 1 the number format code;
version 2 the code, TAB, whether the text can be read, TAB, then the cached result of a
formula (empty for other cells). `CellForms` also notes formulas a seal refuses (DDE, other
workbooks: `canonical_links`) by their line, for the sheet reader to name their cells.
"""

from __future__ import annotations

import math
import re
from typing import Callable, NamedTuple, Sequence

from lxml import etree

from billing.sealing.canonical.links import formula_link
from billing.workbook.ns import MAIN
from billing.workbook.package import PARSER, local

_NUMBER = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")
_BOOLEANS = {"1": "TRUE", "true": "TRUE", "0": "FALSE", "false": "FALSE"}
#: the common shapes of a cell's text after its `r` attribute, read without an XML parser:
#: `[ s="N"][ t="T"]` then `/>`, `></c>` or `><v>value</v></c>` (a value without `&` or `<`)
_SIMPLE = re.compile(r'(?: s="([0-9]+)")?(?: t="([a-zA-Z]+)")?(?:/>|></c>|><v>([^<&]*)</v></c>|><v/></c>)')


class CellProblem(Exception):
    """A cell whose content cannot be right (an unknown type, a number that is not one);
    the caller names the cell."""


class Unusual(Exception):
    """A cell the fast scanner does not read; the sheet is read element by element instead."""


class Formula(NamedTuple):
    """A cell's `<f>` element."""

    kind: str  # normal, array, shared, dataTable
    text: str | None
    ref: str | None  # the range of an array or shared formula
    group: str | None  # `si` of a shared formula
    attributes: str  # a data table's inputs, as `name=value;...`


class RawCell(NamedTuple):
    """What a `<c>` element holds, XML-decoded: style index, type, value, formula, inline text."""

    style: str
    kind: str
    value: str | None
    formula: Formula | None
    inline: str | None


def escape(text: str) -> str:
    """Backslash, tab, newline and carriage return as `\\\\`, `\\t`, `\\n`, `\\r`.

    (Four `replace` calls: C-speed on the joined text of a whole string table, where
    `str.translate` with a mapping goes through Python for every character.)

    >>> print(escape("a\\tb\\nc\\\\d"))
    a\\tb\\nc\\\\d
    """
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def xml_text(text: str) -> str:
    """Text read without a parser, line ends normalised as an XML parser does."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def canonical_number(text: str) -> str:
    """The canonical text of a number cell's value.

    >>> canonical_number("46234"), canonical_number("0.190"), canonical_number("-0"), canonical_number("1E-5")
    ('46234.0', '0.19', '0.0', '1e-05')
    """
    if not _NUMBER.fullmatch(text):
        raise CellProblem(f"holds {text[:40]!r}, which is not a number")
    value = float(text)
    if not math.isfinite(value):
        raise CellProblem(f"holds {text[:40]!r}, beyond what a number cell can hold")
    return repr(value + 0.0)  # + 0.0 turns -0.0 into 0.0


def string_text(element) -> str:
    """The text of a shared string item (`<si>`) or inline string (`<is>`): its `<t>`, or the
    `<t>` of each rich-text run in order; phonetic runs (`<rPh>`) are not the text."""
    parts = []
    for child in element:
        name = local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if local(t.tag) == "t")
    return "".join(parts)


def raw_cell(element) -> RawCell:
    """The parts of a parsed `<c>` element."""
    value = formula = inline = None
    for child in element:
        name = local(child.tag)
        if name == "v":
            value = child.text or ""
        elif name == "f":
            kind = child.get("t") or "normal"
            extra = ";".join(f"{k}={child.get(k)}" for k in ("r1", "r2", "dt2D", "dtr", "del1", "del2")
                             if child.get(k) is not None)
            formula = Formula(kind, child.text, child.get("ref"), child.get("si"), extra)
        elif name == "is":
            inline = string_text(child)
    return RawCell(element.get("s") or "", element.get("t") or "n", value, formula, inline)


def parse_cell_text(rest: str) -> RawCell:
    """A cell from its text after `<c r="A1"` (the fast scanner's key); `Unusual` if the text
    is not exactly one well-formed cell element."""
    simple = _SIMPLE.fullmatch(rest)
    if simple:
        style, kind, value = simple.groups()
        return RawCell(style or "", kind or "n", None if value is None else xml_text(value), None, None)
    try:
        element = etree.fromstring(f'<c xmlns="{MAIN}"{rest}', PARSER)
    except etree.XMLSyntaxError:
        raise Unusual(rest[:60]) from None
    if local(element.tag) != "c":
        raise Unusual(rest[:60])
    return raw_cell(element)


class CellForms:
    """Turns raw cells into canonical lines (`\\ttype\\tvalue\\tformat`, '' for no content)."""

    def __init__(self, shared_string: Callable[[int], str], formats: Sequence[str], version: int = 1,
                 looks=None):
        self._string = shared_string
        self.formats = formats
        self.version = version
        self.looks = looks  # the workbook's `canonical_looks.Looks` (version 2)
        self._default = "General" if version < 2 else "General\t1\t"
        self.linked: dict[str, tuple[str, str]] = {}  # line -> (rule, message) of a formula a seal refuses

    def line(self, cell: RawCell, formula_text: str | None = None) -> str:
        """`formula_text`: a shared formula's text already translated to this cell."""
        fmt = self.format(cell.style)
        if cell.formula is not None:
            f = cell.formula
            text = formula_text if formula_text is not None else (f.text or "")
            text = text[1:] if text.startswith("=") else text
            link = formula_link(text)
            text = escape(text)
            cached = self.cached(cell) if self.version >= 2 else ""
            if f.kind == "array":
                line = f"\tfa\t{f.ref or ''} {text}\t{fmt}{cached}"
            elif f.kind == "dataTable":
                line = f"\tft\t{escape(f.attributes)} {text}\t{fmt}{cached}"
            else:
                line = f"\tf\t{text}\t{fmt}{cached}"
            if link is not None:
                self.linked[line] = link
            return line
        typed = self._typed(cell, "")
        return f"\t{typed[0]}\t{typed[1]}\t{fmt}" if typed else ""

    def cached(self, cell: RawCell) -> str:
        """A formula cell's cached result as `TYPE:VALUE` (normalised as values are), '' for none."""
        typed = self._typed(cell, " as its result")
        return f"{typed[0]}:{typed[1]}" if typed else ""

    def _typed(self, cell: RawCell, what: str) -> tuple[str, str] | None:
        """A cell's value (or cached result) as (canonical type, normalised escaped text),
        None when it holds nothing; `what` says which in an error."""
        kind, value = cell.kind, cell.value
        if kind == "inlineStr":
            return ("s", escape(cell.inline)) if cell.inline else None
        if not value:
            return None
        if kind == "n":
            return "n", canonical_number(value)
        if kind == "s":
            text = self._shared(value)
            return ("s", escape(text)) if text else None
        if kind == "str":
            return "s", escape(value)
        if kind == "b":
            if value.strip() not in _BOOLEANS:
                raise CellProblem(f"holds {value[:20]!r}{what}, which is not a boolean")
            return "b", _BOOLEANS[value.strip()]
        if kind in ("e", "d"):
            return kind, escape(value)
        raise CellProblem(f"has the unknown cell type {kind[:20]!r}")

    def format(self, style: str) -> str:
        """What a style index puts after the value (`cell_looks`): the escaped number format
        code, and from version 2 the readability and a TAB."""
        index = int(style) if style else 0
        if index >= len(self.formats):
            if not style:
                return self._default
            raise CellProblem(f"uses cell style {index}, but the workbook defines {len(self.formats)}")
        return self.formats[index]

    def _shared(self, value: str) -> str:
        try:
            index = int(value)
        except ValueError:
            raise CellProblem(f"refers to shared string {value[:20]!r}, which is not an index") from None
        return self._string(index)
