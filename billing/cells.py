"""Cell addresses: column letters and the `Sheet!A1` / `Sheet!5:5` forms errors carry;
and the rule for Excel Table names, which must not read as one."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable

_PLAIN_SHEET = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]+)$")


@lru_cache(maxsize=None)
def column_letter(index: int) -> str:
    """Excel letters of a 0-based column index.

    >>> column_letter(0), column_letter(25), column_letter(26), column_letter(16383)
    ('A', 'Z', 'AA', 'XFD')
    """
    if index < 0:
        raise ValueError(f"column index {index} is negative")
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """0-based index of Excel column letters.

    >>> column_index("A"), column_index("AA"), column_index("xfd")
    (0, 26, 16383)
    """
    index = 0
    for ch in letters.upper():
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def parse_a1(ref: str) -> tuple[int, int]:
    """`(row, column)` of an A1 reference, row 1-based and column 0-based.

    >>> parse_a1("E7")
    (7, 4)
    """
    match = _A1.match(ref.strip())
    if not match:
        raise ValueError(f"not an A1 cell reference: {ref!r}")
    return int(match.group(2)), column_index(match.group(1))


def quote_sheet(sheet: str) -> str:
    """The sheet name as Excel writes it in a reference (quoted when it must be).

    >>> quote_sheet("Invoices"), quote_sheet("My Sheet"), quote_sheet("O'Brien")
    ('Invoices', "'My Sheet'", "'O''Brien'")
    """
    if _PLAIN_SHEET.match(sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


def cell_ref(sheet: str, row: int, column: int) -> str:
    """`Sheet!A1` for a 1-based row and 0-based column.

    >>> cell_ref("Invoices", 7, 4)
    'Invoices!E7'
    """
    return f"{quote_sheet(sheet)}!{column_letter(column)}{row}"


def row_ref(sheet: str, row: int) -> str:
    """`Sheet!5:5`, the whole row.

    >>> row_ref("Payments", 5)
    'Payments!5:5'
    """
    return f"{quote_sheet(sheet)}!{row}:{row}"


def split_ref(ref: str) -> tuple[str, str]:
    """`(sheet, address)` of a `Sheet!A1` or `Sheet!5:5` reference, sheet unquoted.

    >>> split_ref("'My Sheet'!B2")
    ('My Sheet', 'B2')
    """
    sheet, _, address = ref.rpartition("!")
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, address


def link_location(ref: str) -> str:
    """Where an in-workbook hyperlink to `Sheet!A1` goes (a row, `Sheet!5:5`, goes to its A5).

    >>> link_location("Invoices!$E$7"), link_location("'My Sheet'!5:5")
    ('Invoices!E7', "'My Sheet'!A5")
    """
    sheet, address = split_ref(ref)
    rows = re.match(r"^\$?([0-9]+):\$?[0-9]+$", address)
    return f"{quote_sheet(sheet)}!{f'A{rows.group(1)}' if rows else address.replace('$', '')}"


_CELL_LIKE = re.compile(r"[A-Za-z]{1,3}\d+|[RrCc]\d*|[Rr]\d+[Cc]\d+")


def table_name(base: str, taken: Callable[[str], bool]) -> str:
    """A valid Excel Table name from `base`, not `taken` (numbered `_2`, `_3`, … when it is).

    Invalid characters become `_`; a name that starts with a digit or reads as a cell
    reference gets a leading `_`.

    >>> table_name("Aging", lambda n: False), table_name("1-30", lambda n: False), table_name("R1C1", lambda n: False)
    ('Aging', '_1_30', '_R1C1')
    >>> table_name("Aging", lambda n: n in {"Aging", "Aging_2"})
    'Aging_3'
    """
    name = re.sub(r"[^\w.]", "_", base) or "Table"
    if not re.match(r"[^\W\d]", name) or _CELL_LIKE.fullmatch(name):
        name = "_" + name
    candidate, n = name, 1
    while taken(candidate):
        n += 1
        candidate = f"{name}_{n}"
    return candidate
