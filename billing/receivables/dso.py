"""Days sales outstanding: how many days of sales the open receivables represent.

    DSO = receivables on D / credit sales in the period (D − N, D] × N

Receivables on D are the aging total (open invoices, less credit notes and unapplied
cash); credit sales are the gross of invoices issued in the period less the credit notes
issued in it (drafts and voids left out). N is the period length in days (default 90).
Computed per customer and currency and per currency over all customers; undefined (None)
when the period's sales are not positive. Rounded to one decimal, half up.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Sequence

from billing.receivables.aging import ZERO, AgingRow, Item

DEFAULT_PERIOD_DAYS = 90
_TENTH = Decimal("0.1")


def sales_in_period(items: Sequence[Item], as_of: dt.date, days: int) -> dict[tuple[str, str], Decimal]:
    """(customer, currency) -> gross invoiced less credited in (as_of − days, as_of]."""
    start = as_of - dt.timedelta(days=days)
    sales: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for item in items:
        if item.status in ("draft", "void") or not start < item.issue_date <= as_of:
            continue
        sales[(item.customer_id, item.currency)] += -item.gross if item.kind == "credit_note" else item.gross
    return sales


def dso(receivables: Decimal, sales: Decimal, days: int) -> Decimal | None:
    """DSO of one balance.

    >>> dso(Decimal("5000.00"), Decimal("15000.00"), 90)
    Decimal('30.0')
    >>> dso(Decimal("100"), Decimal("0"), 90) is None
    True
    """
    if sales <= 0:
        return None
    return (receivables / sales * days).quantize(_TENTH, rounding=ROUND_HALF_UP)


def dso_figures(rows: Sequence[AgingRow], items: Sequence[Item], as_of: dt.date,
                days: int = DEFAULT_PERIOD_DAYS) -> tuple[dict[tuple[str, str], Decimal | None], dict[str, Decimal | None]]:
    """DSO of each aging row (customer, currency) and of each currency as a whole."""
    sales = sales_in_period(items, as_of, days)
    by_customer = {(r.customer_id, r.currency): dso(r.total, sales.get((r.customer_id, r.currency), ZERO), days)
                   for r in rows}
    open_total: dict[str, Decimal] = defaultdict(lambda: ZERO)
    sold: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for r in rows:
        open_total[r.currency] += r.total
    for (_, currency), amount in sales.items():
        sold[currency] += amount
    by_currency = {c: dso(open_total[c], sold[c], days) for c in sorted(open_total)}
    return by_customer, by_currency
