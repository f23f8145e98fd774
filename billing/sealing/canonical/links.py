"""What a seal refuses: DDE formulas and links to other workbooks.

A sealed workbook must show the same numbers to whoever opens it. A DDE formula
(`=cmd|'/c calc'!A0`, the `server|topic!item` form) asks another program for its value
(and runs it), and a reference to another workbook (`[1]Sheet!A1`, `'C:\\x\\[b.xlsx]S'!A1`,
an `xl/externalLinks/` part) takes its value from a file the seal does not cover: the
seal cannot vouch for either, so `xlbilling seal` refuses the workbook, naming each place
(exit 1, rules `dde_formula` and `external_link`).

Formula text is looked at outside its string literals (`"a|b"` is text, not DDE) and
outside quoted sheet names for the `|` (a sheet may be called `a|b`); a bracket right before
a sheet name and `!` (`[1]Sheet1!`, `[Book.xlsx]S!`, `[1]!Name`), or a bracket inside a
quoted sheet name, is another workbook. Table references (`Table1[Amount]`, `[@Amount]`)
are never followed by `!`, so they are not mistaken for one.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_STRING = re.compile(r'"(?:[^"]|"")*"')
_QUOTED = re.compile(r"'(?:[^']|'')*'")
_UNQUOTED_BOOK = re.compile(r"\[[^\[\]]+\][\w.]*!", re.UNICODE)
DDE = "dde_formula"
EXTERNAL = "external_link"


class Link(NamedTuple):
    """A place that makes a workbook unsealable."""

    cell: str  # Sheet!A1, a defined name (`name Foo`) or a part
    rule: str  # dde_formula or external_link
    message: str


def formula_link(formula: str) -> tuple[str, str] | None:
    """(rule, message) when a formula (without its `=`) is DDE or refers to another workbook.

    >>> formula_link("cmd|'/c calc'!A0")[0], formula_link("[1]Sheet1!A1")[0], formula_link("'a|b'!A1")
    ('dde_formula', 'external_link', None)
    >>> formula_link('SUM(Table1[Amount])+S!A1'), formula_link('"x|y"&A1')
    (None, None)
    """
    if "|" not in formula and "[" not in formula:
        return None
    plain = _STRING.sub('""', formula)
    quoted = _QUOTED.findall(plain)
    bare = _QUOTED.sub("''", plain)
    shown = formula if len(formula) <= 80 else formula[:77] + "..."
    if "|" in bare:
        return DDE, f"a DDE formula (={shown}) starts another program to get its value"
    if any("[" in q for q in quoted) or _UNQUOTED_BOOK.search(bare):
        return EXTERNAL, f"a formula refers to another workbook (={shown})"
    return None

