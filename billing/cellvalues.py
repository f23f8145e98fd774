"""Cell values as the contract reads them, a whole column at a time.

python-calamine gives str, float, bool, date and datetime; the reader adds `ErrorValue` for a
cell holding an Excel error (#N/A, #DIV/0!, …), which python-calamine shows as blank. These
functions turn a column
of such values into the contract's form where the value is readable (text as shown, codes
case-folded, ISO date strings as dates, amounts as exact Decimals) and leave any value
they cannot read as it is, for validation to report with its cell. Validation and the
typed tables the domain works on both read cells through here, so they cannot disagree.

>>> text_column(["  K1 ", 1001.0, 2.5, None])
['K1', '1001', '2.5', None]
>>> date_column(["2026-10-31", "31.10.2026", None])
[datetime.date(2026, 10, 31), '31.10.2026', None]
>>> decimal_column([0.1, 3, "12.50", "x"])
[Decimal('0.1'), Decimal('3'), Decimal('12.50'), 'x']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Sequence


#: Excel's error values by their `XlCVError` number (Excel VBA reference, "XlCVError enumeration").
_XL_ERRORS = {2000: "#NULL!", 2007: "#DIV/0!", 2015: "#VALUE!", 2023: "#REF!", 2029: "#NAME?", 2036: "#NUM!",
              2042: "#N/A", 2043: "#GETTING_DATA", 2045: "#SPILL!", 2046: "#CONNECT!", 2047: "#BLOCKED!",
              2048: "#UNKNOWN!", 2049: "#FIELD!", 2050: "#CALC!"}
#: COM (Windows) hands an error cell to Python as the HRESULT 0x800A0000 + that number, a negative int.
COM_ERRORS = {0x800A0000 + number - 2**32: code for number, code in _XL_ERRORS.items()}
#: The error values as text: what xlwings hands over with `err_to_str=True` (and #BUSY!, which has no number).
EXCEL_ERRORS = frozenset({*_XL_ERRORS.values(), "#BUSY!"})


@dataclass(frozen=True, slots=True)
class ErrorValue:
    """An Excel error value in a cell (`#N/A`, `#DIV/0!`, `#SPILL!`, …): not data, never blank.

    Every reading below leaves it as it is, so validation finds it in its cell.

    >>> str(ErrorValue("#N/A")), text_column([ErrorValue("#REF!")])
    ('#N/A', [ErrorValue(code='#REF!')])
    """

    code: str

    def __str__(self) -> str:
        return self.code


#: A number typed into a text column is read as shown when Excel kept all its digits (it
#: keeps 15); a longer one is left as a number, for validation to refuse.
_EXACT_DIGITS = 1e15


def _text(value: object) -> object:
    if type(value) is float:
        if not abs(value) < _EXACT_DIGITS:
            return value
        return str(int(value)) if value.is_integer() else repr(value)
    if type(value) is int:
        return str(value)
    return value


def text_column(values: Sequence[object]) -> list[object]:
    """Text stripped; a number typed into a text column as it is shown (1001, not 1001.0)."""
    return [v.strip() if type(v) is str else _text(v) for v in values]


def code_column(values: Sequence[object]) -> list[object]:
    """Coded values (status, kind, …) compared case-insensitively: case-folded text."""
    return [v.strip().casefold() if type(v) is str else _text(v) for v in values]


def upper_column(values: Sequence[object]) -> list[object]:
    """Codes written in capitals (currencies)."""
    return [v.strip().upper() if type(v) is str else v for v in values]


def _date(value: object) -> object:
    if type(value) is dt.datetime:
        return value.date()
    if type(value) is str:
        text = value.strip()
        if len(text) == 10:
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
    return value


def date_column(values: Sequence[object]) -> list[object]:
    """Dates as `date`: Excel dates, date-times (the day), ISO `YYYY-MM-DD` strings."""
    return [v if type(v) is dt.date else _date(v) for v in values]


def _decimal(value: object) -> object:
    if type(value) is float:
        return Decimal(repr(value)) if value else _ZERO  # -0.0 is 0
    if type(value) is int:
        return Decimal(value)
    if type(value) is str:
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return value
        if not number.is_finite():
            return value
        return number.copy_abs() if number.is_zero() else number
    return value


_ZERO = Decimal(0)


def decimal_column(values: Sequence[object]) -> list[object]:
    """Numbers as exact Decimals (a float through its shortest repr, as Excel shows it);
    a negative zero is zero.

    >>> decimal_column([-0.0, "-0.00", 1e308])
    [Decimal('0'), Decimal('0.00'), Decimal('1E+308')]
    """
    return [_decimal(v) for v in values]
