"""Conversions at the Excel boundary, shared by every worksheet function.

In: what Excel hands a UDF — float, int, str, bool, `datetime` (xlwings converts date
cells), None for an empty cell, an error value (`#N/A` arrives as its text: every argument
is read with xlwings' `err_to_str=True`; an error xlwings has no text for arrives as its COM
number) and lists for ranges. An error value is never taken for an empty cell: the result
says `argument amount holds #N/A`. Out: Decimal amounts become floats only
here, after they were rounded; dates stay dates; every problem becomes the text
`#XLB: <reason>`, which Excel shows in the cell instead of a Python traceback.

`udf` wraps a domain function so that it never raises and is array-aware: when any
argument is a range (a list), the function is applied element by element — scalars
broadcast, ranges must have the same shape — and a spilled range of results comes back,
one call per range, not one per cell: a column gives a column, a row a row (xlwings is
asked for 2-D lists, see `_two_dimensional`), a single cell a single value.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from decimal import Decimal
from typing import Callable

from billing.cellvalues import COM_ERRORS, EXCEL_ERRORS  # noqa: F401 (the functions' error values)
from billing.money import MoneyError, to_decimal

PREFIX = "#XLB: "


class UdfError(ValueError):
    """A readable reason, shown in the cell as `#XLB: reason`."""


def excel_error(value: object) -> str | None:
    """The Excel error value `value` is (`#N/A`, …), or None: xlwings hands an error cell over as
    its text (`err_to_str=True`, which every argument asks for) or, for the errors xlwings has no
    text for, as the COM error number."""
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        return value.strip().upper()
    if type(value) is int:
        return COM_ERRORS.get(value)
    return None


def _check_not_error(value: object, name: str) -> None:
    error = excel_error(value)
    if error:
        raise UdfError(f"argument {name} holds {error}")


def number(value: object, name: str) -> Decimal:
    """A number argument as an exact Decimal (a float through its shortest repr)."""
    _check_not_error(value, name)
    if value is None or value == "":
        raise UdfError(f"{name} is empty")
    if isinstance(value, (bool, dt.date)):
        raise UdfError(f"{name} must be a number, not {'a date' if isinstance(value, dt.date) else 'TRUE/FALSE'}")
    try:
        return to_decimal(value)
    except MoneyError:
        raise UdfError(f"{name} must be a number, not {str(value)[:40]!r}") from None


def day(value: object, name: str) -> dt.date:
    """A date argument: an Excel date, or ISO text `2026-10-31`."""
    _check_not_error(value, name)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    if value is None or value == "":
        raise UdfError(f"{name} is empty")
    raise UdfError(f"{name} must be a date, not {str(value)[:40]!r}")


def text(value: object, name: str, default: str | None = None) -> str:
    """A text argument (a whole number written as a number is taken as its digits)."""
    _check_not_error(value, name)
    if value is None or value == "":
        if default is not None:
            return default
        raise UdfError(f"{name} is empty")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value).strip()
    raise UdfError(f"{name} must be text, not {str(value)[:40]!r}")


def excel(value: object) -> object:
    """A result as Excel takes it: Decimal → float (it was rounded first), None → empty."""
    if isinstance(value, Decimal):
        return float(value)
    return "" if value is None else value


def _one_cell(value: object) -> object:
    """A range of one cell is that cell's value (xlwings hands it over as [[v]])."""
    if isinstance(value, (list, tuple)) and len(value) == 1:
        inner = value[0]
        if not isinstance(inner, (list, tuple)):
            return inner
        if len(inner) == 1 and not isinstance(inner[0], (list, tuple)):
            return inner[0]
    return value


def _shape(value: object) -> tuple[int, int] | None:
    if not isinstance(value, (list, tuple)):
        return None
    if value and isinstance(value[0], (list, tuple)):
        width = len(value[0])
        if any(not isinstance(row, (list, tuple)) or len(row) != width for row in value):
            return -1, -1  # ragged: not a range Excel would send
        return len(value), width
    return len(value), 1  # a column arrives as a flat list


def _cell(value: object, shape: tuple[int, int] | None, r: int, c: int) -> object:
    if shape is None:
        return value
    row = value[r]
    return row[c] if isinstance(row, (list, tuple)) else row


def udf(function: Callable | None = None, *, tables: tuple[str, ...] = ()) -> Callable:
    """Never raise; map over ranges. The wrapped function takes and returns plain values.

    An argument named in `tables` is a whole table (a rate table, say): handed over as the
    range it is, never mapped over cell by cell."""
    if function is None:
        return lambda f: udf(f, tables=tables)
    names = list(inspect.signature(function).parameters)
    whole = [n in tables for n in names]

    def one(*args):
        error = first_error(names, args)
        if error:
            return PREFIX + error
        try:
            return excel(function(*args))
        except UdfError as exc:
            return PREFIX + str(exc)
        except ArithmeticError:  # decimal's messages name a class, not the problem
            return PREFIX + "a number too large (or not a number) to compute with"
        except Exception as exc:  # the domain's own readable errors (terms, money, …) and any bug
            return PREFIX + (str(exc) or type(exc).__name__)

    @functools.wraps(function)
    def wrapper(*args):
        args = tuple(a if w else _one_cell(a) for a, w in zip(args, whole))
        shapes = [None if w else _shape(a) for a, w in zip(args, whole)]
        ranges = [s for s in shapes if s is not None]
        if not ranges:
            return one(*args)
        empty = [n for n, s in zip(names, shapes) if s is not None and min(s) <= 0]
        if empty:  # an empty list, or rows of different lengths: no range Excel would send
            return PREFIX + f"{', '.join(empty)} must be a rectangular range of cells"
        if any(s != ranges[0] for s in ranges):
            wrong = [n for n, s in zip(names, shapes) if s is not None]
            return PREFIX + f"the ranges {', '.join(wrong)} must have the same shape"
        rows, cols = ranges[0]
        return [[one(*(_cell(a, s, r, c) for a, s in zip(args, shapes))) for c in range(cols)] for r in range(rows)]

    return _two_dimensional(wrapper, names)


def first_error(names: list[str], args: tuple) -> str | None:
    """`argument <name> holds #N/A` for the first single-value argument that is an Excel error."""
    for name, value in zip(names, args):
        error = None if isinstance(value, (list, tuple)) else excel_error(value)
        if error:
            return f"argument {name} holds {error}"
    return None


def _two_dimensional(wrapper: Callable, names: list[str]) -> Callable:
    """Ask xlwings for every argument as a 2-D list (`ndim=2`): by default a row and a column
    both arrive as the same flat list, and a row's results would spill down a column. A
    single cell then arrives as [[v]], which `wrapper` takes as the value itself. (The
    reserved `caller` argument is the calling cell, not a value. Off Windows xlwings'
    decorators do nothing.) Error cells arrive as their text (`err_to_str`, see
    `excel_arguments`)."""
    return excel_arguments(wrapper, names, ndim=2)


def excel_arguments(wrapper: Callable, names: list[str], ndim: int | None = None) -> Callable:
    """Every argument read with `err_to_str=True`: without it xlwings turns an error cell into
    None, and `#N/A` would be reported as an empty argument."""
    import xlwings as xw

    options = {"err_to_str": True, **({"ndim": ndim} if ndim else {})}
    for name in names:
        if name != "caller":
            wrapper = xw.arg(name, **options)(wrapper)
    return wrapper
