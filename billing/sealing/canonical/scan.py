"""The fast scanner's cell lookup: each distinct cell text worked out once.

The scanner splits a sheet into each cell's reference and the rest of its text (the key:
` t="s"><v>17</v></c>`, ` s="2"><v>46234</v></c>`). Keys repeat — string 17 wherever it
is used, a date in every row of a day — so `KeyedForms` maps each distinct key to its
canonical line once and is then read from C (`map(dict.__getitem__, keys)`). A big book
still has hundreds of thousands of distinct keys (unique descriptions, amounts): the plain
ones, a shared string or a number with an optional style, are worked out with a few string
operations; anything else goes through the rules every cell follows (`CellForms`).
"""

from __future__ import annotations

import re
from typing import Sequence

from billing.sealing.canonical.cells import (_SIMPLE, CellForms, CellProblem, Unusual, canonical_number, escape,
                                             parse_cell_text)

_INLINE_START = "><is><t>"
_INLINE_START_PRESERVE = '><is><t xml:space="preserve">'
_INLINE_END = "</t></is></c>"
#: what text read without a parser may not hold: markup, entities, CR (an XML parser changes
#: it) and characters XML does not allow (a parser refuses them)
_NOT_PLAIN_TEXT = re.compile("[<>&\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class KeyedForms(dict):
    """Canonical lines (ending in `\\n`, '' for no content) by the fast scanner's key."""

    def __init__(self, forms: CellForms, escaped_strings: Sequence[str] = ()):
        super().__init__()
        self.forms = forms
        self._strings = escaped_strings  # every shared string, escaped
        self._heads: dict[str, tuple[str, str | None]] = {}  # ` s="3" t="s"` -> (format, type or None)

    def lines(self, keys: list[str]) -> list[str]:
        """The line of each key, in order (a key seen for the first time goes to `__missing__`)."""
        return list(map(self.__getitem__, keys))

    def __missing__(self, key: str) -> str:
        line = None
        if key.endswith("</v></c>"):
            head, found, value = key[:-8].partition("><v>")
            if found and value and not ("<" in value or "&" in value or "\r" in value):
                fmt, kind = self._plain(head)
                if kind == "n":
                    digits = value[1:] if value[0] == "-" else value
                    number = repr(float(value) + 0.0) if digits.replace(".", "", 1).isdigit() else None
                    line = f"\tn\t{number or canonical_number(value)}\t{fmt}\n"
                elif kind == "s" and value.isdigit() and int(value) < len(self._strings):
                    text = self._strings[int(value)]
                    line = f"\ts\t{text}\t{fmt}\n" if text else ""
        elif key.endswith(_INLINE_END):
            # an inline string as the close's writers and xlsxwriter write it: `<is><t>TEXT</t></is>`
            head, found, text = key[:-len(_INLINE_END)].partition(_INLINE_START)
            if not found:
                head, found, text = key[:-len(_INLINE_END)].partition(_INLINE_START_PRESERVE)
            if found and not _NOT_PLAIN_TEXT.search(text):
                fmt, kind = self._plain(head)
                if kind == "inlineStr":
                    line = f"\ts\t{escape(text)}\t{fmt}\n" if text else ""
        if line is None:
            line = self._any(key)
        self[key] = line
        return line

    def _plain(self, head: str) -> tuple[str, str | None]:
        """(format, type) of a cell's attributes when they are plain (a style and a type), else ('', None)."""
        known = self._heads.get(head)
        if known is None:
            known = self._heads[head] = self._head(head)
        return known

    def _head(self, head: str) -> tuple[str, str | None]:
        simple = _SIMPLE.fullmatch(head + "/>")
        if simple is None:
            return "", None
        try:
            return self.forms.format(simple.group(1) or ""), simple.group(2) or "n"
        except CellProblem:
            return "", None

    def _any(self, key: str) -> str:
        cell = parse_cell_text(key)
        if cell.formula is not None and cell.formula.kind == "shared":
            raise Unusual("a shared formula")  # its text depends on where the cell is
        line = self.forms.line(cell)
        return line + "\n" if line else ""
