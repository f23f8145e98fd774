"""Amounts as a bank file writes them, read strictly: a number is what its format says or refused.

- CSV: the declared format's locale decides (babel's `parse_decimal(strict=True)`): its
  decimal mark is the decimal mark, its group separator is accepted only between correct
  groups of three. Before babel, the text must be ASCII digits with those two marks between
  digits and at most a leading minus — so `1e3`, `NaN`, `Infinity`, `+5`, `,5`, `5,`,
  `1_000` and non-ASCII digits, which babel alone lets through, are refused.
- CAMT: `xs:decimal` as ISO 20022 uses it: digits, optionally a point and digits; no sign
  (the direction is `CdtDbtInd`).
- MT940: SWIFT `15d`: digits, a mandatory decimal comma, digits; at most 15 characters.

Every amount then has at most as many decimals as its currency's minor unit (written
decimals count: `12.500` EUR is refused, never rounded) and at most 15 digits (what an
Excel cell holds exactly).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import NumberFormatError, get_decimal_symbol, get_group_symbol, parse_decimal

from billing.money import NON_CURRENCIES, is_currency, minor_unit

#: the most significant digits an amount may have: a cell (a double) holds 15 exactly
MAX_DIGITS = 15

_XML_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)
_SWIFT_AMOUNT = re.compile(r"[0-9]+,[0-9]*", re.ASCII)


class AmountError(ValueError):
    """Why a text is not an amount; `str()` is the reason, without the place."""


def locale_amount(text: str, locale: str) -> Decimal:
    """A CSV amount in the number format of `locale` (babel, strict).

    >>> locale_amount("1.500", "de_DE"), locale_amount("1.234,56", "de_DE"), locale_amount("-5,00", "de_DE")
    (Decimal('1500'), Decimal('1234.56'), Decimal('-5.00'))
    >>> locale_amount("1,234.56", "en_US"), locale_amount("12.5", "en_US")
    (Decimal('1234.56'), Decimal('12.5'))
    """
    decimal, group = get_decimal_symbol(locale), get_group_symbol(locale)
    marks = re.escape(decimal + group)
    if not re.fullmatch(rf"-?[0-9]+(?:[{marks}][0-9]+)*", text, re.ASCII):
        raise AmountError(f"'{text}' is not an amount ({_format_hint(decimal, group)})")
    try:
        value = parse_decimal(text, locale=locale, strict=True)
    except NumberFormatError:
        raise AmountError(f"'{text}' is not an amount ({_format_hint(decimal, group)})") from None
    return value


def _format_hint(decimal: str, group: str) -> str:
    return f"decimal mark '{decimal}', '{group}' only between groups of three digits"


def xml_amount(text: str | None) -> Decimal:
    """A CAMT amount: unsigned digits with an optional decimal point."""
    value = (text or "").strip()
    if not value:
        raise AmountError("the amount is empty")
    if value.startswith("-") and _XML_DECIMAL.fullmatch(value[1:]):
        raise AmountError(f"'{value}' is negative: CAMT amounts are unsigned, the direction is CdtDbtInd")
    if not _XML_DECIMAL.fullmatch(value):
        raise AmountError(f"'{value}' is not an amount (digits and a decimal point)")
    return Decimal(value)


def swift_amount(text: str) -> Decimal:
    """An MT940 amount (`15d`): digits, a decimal comma, digits; 15 characters at most."""
    if not _SWIFT_AMOUNT.fullmatch(text) or len(text) > 15:
        raise AmountError(f"'{text}' is not an MT940 amount (digits, a decimal comma, 15 characters at most)")
    return Decimal(text.replace(",", "."))


def currency_of(code: str | None) -> str:
    """A known ISO 4217 code, else AmountError."""
    if not code:
        raise AmountError("no currency")
    if not is_currency(code):
        raise AmountError(f"unknown currency '{code}'")
    if code in NON_CURRENCIES:
        raise AmountError(f"'{code}' is an ISO 4217 code for no money one is paid in (metal, fund, test)")
    return code


def exact(value: Decimal, currency: str, text: str | None = None) -> Decimal:
    """The amount with the currency's decimals — refused, never rounded, if it has more, or
    has more digits than a cell holds exactly.

    >>> exact(Decimal("12.5"), "EUR"), exact(Decimal("7"), "KWD")
    (Decimal('12.50'), Decimal('7.000'))
    """
    shown = str(value) if text is None else text
    try:
        if not value.is_finite():
            raise AmountError(f"'{shown}' is not a finite amount")
        places = minor_unit(currency_of(currency))
        written = -value.as_tuple().exponent if value.as_tuple().exponent < 0 else 0
        if written > places:
            raise AmountError(f"'{shown}' has {written} decimals, {currency} has {places}")
        result = value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        raise AmountError(f"'{shown}' is too large to be an amount") from None
    if len(result.as_tuple().digits) > MAX_DIGITS:
        raise AmountError(f"'{shown}' has more than {MAX_DIGITS} digits: too large to be an amount")
    return result
