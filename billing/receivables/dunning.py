"""The dunning list: every overdue invoice on a date, grouped by customer, with a level.

An invoice is overdue when it is open (see `billing.receivables.aging.open_items`) and its due date has
passed, whatever the aging basis. Its level is the overdue aging bucket it is in: with
buckets `30,60,90`, 1–30 days past due is level 1, 31–60 level 2, 61–90 level 3, more than
90 level 4. A customer's level is the highest of its items: the letter to send.
Open credit notes and unapplied cash are not dunned.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from decimal import Decimal
from typing import NamedTuple, Sequence

from billing.receivables.aging import open_items
from billing.receivables.ledger import Ledger


class Overdue(NamedTuple):
    customer_id: str
    currency: str
    invoice_no: str
    issue_date: dt.date
    due_date: dt.date
    days_past_due: int
    open_amount: Decimal
    level: int
    customer_level: int
    last_reminder: dt.date | None


def level_of(days_past_due: int, bounds: Sequence[int]) -> int:
    """The dunning level of an overdue item (0 when not overdue).

    >>> [level_of(d, (30, 60, 90)) for d in (0, 1, 30, 31, 60, 61, 90, 91, 400)]
    [0, 1, 1, 2, 2, 3, 3, 4, 4]
    """
    if days_past_due <= 0:
        return 0
    return bisect_left(bounds, days_past_due) + 1


def dunning_list(ledger: Ledger, as_of: dt.date, bounds: Sequence[int]) -> list[Overdue]:
    """Overdue invoices on `as_of`, by customer and currency, the longest overdue first."""
    found = []
    for o in open_items(ledger.items, ledger.applied, as_of, basis="due_date"):
        if o.item.kind == "invoice" and o.days_past_due > 0:
            found.append(o)
    highest: dict[tuple[str, str], int] = {}
    for o in found:
        key = (o.item.customer_id, o.item.currency)
        highest[key] = max(highest.get(key, 0), level_of(o.days_past_due, bounds))
    reminders = ledger.last_reminder or {}
    rows = [Overdue(o.item.customer_id, o.item.currency, o.item.number, o.item.issue_date, o.item.due_date,
                    o.days_past_due, o.amount, level_of(o.days_past_due, bounds),
                    highest[(o.item.customer_id, o.item.currency)], reminders.get(o.item.number))
            for o in found]
    return sorted(rows, key=lambda r: (r.customer_id, r.currency, -r.days_past_due, r.invoice_no))
