"""The close summary of a sealed workbook: the figures of its Close sheet (`xlbilling close`'s
month-end summary: section, item, currency, amount, note), read from the archived file.

Only the Close sheet is read, through the project's reader (`billing.workbook.read.read_book`:
the hostile-file gate, then python-calamine), and only from a file whose bytes still have the
SHA-256 the archive index names. An archived file never changes, so the figures are kept in
memory per SHA-256 (`CACHE_SIZE` workbooks) and a second look reads nothing.

Amounts are Decimal (`billing.money.to_decimal`: a cell's number via its shortest text, never
float arithmetic). A figure with a currency is money and is shown with exactly the currency's
decimals (`1190.00`); one without is a count (`12`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from billing.errors import BadFile
from billing.money import MoneyError, format_amount, is_currency, to_decimal
from billing.web.archived import intact_file

CACHE_SIZE = 512


class Figure(NamedTuple):
    """One row of the Close sheet: `amount` exact (None for a row without one), `shown` its text."""

    section: str
    item: str
    currency: str
    amount: Decimal | None
    shown: str
    note: str


class CloseSummary(NamedTuple):
    """The figures of one sealed workbook, or why there are none (`problem`)."""

    figures: tuple[Figure, ...]
    problem: str | None = None


_cache: OrderedDict[str, CloseSummary] = OrderedDict()
_lock = threading.Lock()


def shown(amount: Decimal | None, currency: str) -> str:
    """How an amount is shown: money with its currency's decimals, a count as it is.

    >>> shown(Decimal("2000.0"), "EUR"), shown(Decimal("6.0"), ""), shown(Decimal("137.8"), ""), shown(None, "")
    ('2000.00', '6', '137.8', '')
    """
    if amount is None:
        return ""
    if is_currency(currency):
        money = format_amount(amount, currency)
        if Decimal(money) == amount:  # never round: more decimals than the currency has are shown as they are
            return money
    if amount == amount.to_integral_value():
        return f"{amount.to_integral_value():f}"
    return f"{amount.normalize():f}"


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def figures_of(book) -> CloseSummary:
    """The figures of a `Book` read with the Close sheet."""
    table = book.get("Close")
    if table is None:
        return CloseSummary((), "this workbook has no Close sheet: it was sealed without a close (xlbilling close)")
    figures = []
    for row in table.frame.itertuples(index=False):
        values = row._asdict()
        currency = _text(values.get("currency"))
        raw = values.get("amount")
        try:
            amount = None if raw is None or raw == "" else to_decimal(raw)
        except MoneyError:
            amount = None
        figures.append(Figure(_text(values.get("section")), _text(values.get("item")), currency, amount,
                              shown(amount, currency) if amount is not None else _text(raw), _text(values.get("note"))))
    return CloseSummary(tuple(figures))


def close_summary(root: Path, entry) -> CloseSummary:
    """The Close sheet's figures of the archive entry `entry` (from the cache when read before)."""
    with _lock:
        if entry.sha256 in _cache:
            _cache.move_to_end(entry.sha256)
            return _cache[entry.sha256]
    from billing.contract import CLOSE
    from billing.workbook.read import read_book

    stored = intact_file(root, entry)
    if stored is None:  # not cached: it may be put back
        return CloseSummary((), "the archived file is missing or altered: run xlbilling archive check")
    try:
        summary = figures_of(read_book(stored, specs=(), optional=(CLOSE,)))
    except BadFile as exc:
        summary = CloseSummary((), str(exc))  # names the file by its SHA-256 only
    with _lock:
        _cache[entry.sha256] = summary
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return summary
