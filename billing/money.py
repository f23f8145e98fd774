"""Exact money: Decimal amounts rounded to the currency's minor unit with a named mode.

Every amount enters through `to_decimal` (a float goes through `str()`, so the 0.1 a cell
shows is Decimal('0.1'), never 0.1000000000000000055511…) and is rounded by `quantize`
with a rounding mode the workbook names (`half_up` or `half_even`). The minor unit comes
from the CLDR/ISO 4217 table babel ships, not from a hand-written list.

`Money` is the strict value type: it refuses to add, subtract or compare across
currencies, and its arithmetic never touches a float.

>>> quantize(Decimal("2.675"), "EUR")
Decimal('2.68')
>>> quantize(Decimal("2.665"), "EUR", "half_even")
Decimal('2.66')
>>> to_money(0.1 + 0.2, "EUR")
Decimal('0.30')
>>> to_money("1500.5", "JPY")
Decimal('1501')
>>> Money("10.00", "EUR") + Money("0.05", "EUR")
Money('10.05', 'EUR')
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Iterable

from babel.numbers import get_currency_precision, list_currencies

#: The rounding modes a workbook may name (Settings `rounding`), by their contract names.
ROUNDING_MODES: dict[str, str] = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}
DEFAULT_ROUNDING = "half_up"


class MoneyError(ValueError):
    """A value that is not an amount, or an operation that would mix currencies."""


#: ISO 4217 codes that are not money to bill in: precious metals, units of account and
#: funds, the test and "no currency" codes.
NON_CURRENCIES = frozenset({
    "XAU", "XAG", "XPT", "XPD",  # gold, silver, platinum, palladium
    "XDR", "XSU", "XUA", "XBA", "XBB", "XBC", "XBD",  # units of account
    "BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "USS", "UYI", "UYW",  # funds
    "XTS", "XXX",  # testing, no currency
})


@lru_cache(maxsize=None)
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def is_currency(code: object) -> bool:
    """True for a known ISO 4217 code (upper case, as the contract writes them).

    >>> is_currency("EUR"), is_currency("eur"), is_currency("XYZ"), is_currency(None)
    (True, False, False, False)
    """
    return isinstance(code, str) and code in _known_currencies()


@lru_cache(maxsize=None)
def minor_unit(currency: str) -> int:
    """Decimal places of the currency's minor unit.

    >>> minor_unit("EUR"), minor_unit("JPY"), minor_unit("KWD")
    (2, 0, 3)
    """
    if not is_currency(currency):
        raise MoneyError(f"unknown currency code {currency!r}")
    return get_currency_precision(currency)


@lru_cache(maxsize=None)
def _exponent(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def rounding_mode(name: str) -> str:
    """The `decimal` rounding constant for a contract rounding name."""
    try:
        return ROUNDING_MODES[name]
    except KeyError:
        raise MoneyError(f"unknown rounding {name!r}; use one of {', '.join(ROUNDING_MODES)}") from None


def to_decimal(value: object) -> Decimal:
    """An exact Decimal from what a cell gives: Decimal, int, float (via `str`) or text.

    >>> to_decimal(1.1), to_decimal(3), to_decimal(" 12.50 ")
    (Decimal('1.1'), Decimal('3'), Decimal('12.50'))
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool) or isinstance(value, (dt.date, dt.time)):
        raise MoneyError(f"{value!r} is not a number")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise MoneyError(f"{value!r} is not a number") from None
    else:
        raise MoneyError(f"{value!r} is not a number")
    if not result.is_finite():
        raise MoneyError(f"{value!r} is not a finite number")
    return result


def quantize(amount: Decimal, currency: str, rounding: str = DEFAULT_ROUNDING) -> Decimal:
    """Round an exact amount to the currency's minor unit with the named rounding mode."""
    return amount.quantize(_exponent(currency), rounding=rounding_mode(rounding))


def to_money(value: object, currency: str, rounding: str = DEFAULT_ROUNDING) -> Decimal:
    """`quantize(to_decimal(value))`: the one way a cell's value becomes an amount."""
    return quantize(to_decimal(value), currency, rounding)


def format_amount(amount: Decimal, currency: str) -> str:
    """The JSON form of an amount: a string with exactly the currency's decimals.

    >>> format_amount(Decimal("1190"), "EUR"), format_amount(Decimal("5"), "KWD")
    ('1190.00', '5.000')
    """
    return f"{amount.quantize(_exponent(currency)):f}"


class Money:
    """An amount in one currency. Immutable; arithmetic refuses to mix currencies."""

    __slots__ = ("amount", "currency")
    amount: Decimal
    currency: str

    def __init__(self, amount: object, currency: str):
        if not is_currency(currency):
            raise MoneyError(f"unknown currency code {currency!r}")
        object.__setattr__(self, "amount", to_decimal(amount))
        object.__setattr__(self, "currency", currency)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Money is immutable")

    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise MoneyError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, (float, bool)) or not isinstance(factor, (Decimal, int)):
            raise MoneyError("Money multiplies only by Decimal or int, never float")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and (self.currency, self.amount) == (other.currency, other.amount)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency}')"

    def __str__(self) -> str:
        return f"{format_amount(self.amount, self.currency)} {self.currency}"

    def rounded(self, rounding: str = DEFAULT_ROUNDING) -> Money:
        """The amount rounded to the minor unit."""
        return Money(quantize(self.amount, self.currency, rounding), self.currency)

    @classmethod
    def total(cls, items: Iterable[Money], currency: str) -> Money:
        """Sum of amounts that must all be in `currency` (zero when empty)."""
        result = cls(0, currency)
        for item in items:
            result = result + item
        return result
