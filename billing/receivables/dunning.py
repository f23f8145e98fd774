"""The dunning list: every overdue invoice on a date, grouped by customer, with a level.

An invoice is overdue when it is open (see `billing.receivables.aging.open_items`) and its due date has
passed, whatever the aging basis. Its level is the dunning policy's (the caller passes
`billing.collections.policy`'s rule, so the Dunning sheet and the reminder letters agree):
with Settings `dunning_levels` `14,28,42` and no grace days, 1–13 days past due is level 0
(overdue, no reminder yet), 14–27 level 1, 28–41 level 2, 42 and more level 3. A customer's
level (per currency) is the highest of its items: the letter to send.
Open credit notes and unapplied cash are not dunned.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Callable, NamedTuple, Sequence

from billing.receivables.aging import OpenItem, open_items
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


def dunning_list(ledger: Ledger, as_of: dt.date, level_of: Callable[[int], int],
                 opened: Sequence[OpenItem] | None = None) -> list[Overdue]:
    """Overdue invoices on `as_of`, by customer and currency, the longest overdue first;
    `level_of(days_past_due)` is the dunning level of an item (the policy's rule).
    `opened`: the ledger's `open_items` on that date by due date, when the caller has them."""
    found = []
    for o in open_items(ledger.items, ledger.applied, as_of, basis="due_date") if opened is None else opened:
        if o.item.kind == "invoice" and o.days_past_due > 0:
            found.append(o)
    highest: dict[tuple[str, str], int] = {}
    for o in found:
        key = (o.item.customer_id, o.item.currency)
        highest[key] = max(highest.get(key, 0), level_of(o.days_past_due))
    reminders = ledger.last_reminder or {}
    rows = [Overdue(o.item.customer_id, o.item.currency, o.item.number, o.item.issue_date, o.item.due_date,
                    o.days_past_due, o.amount, level_of(o.days_past_due),
                    highest[(o.item.customer_id, o.item.currency)], reminders.get(o.item.number))
            for o in found]
    return sorted(rows, key=lambda r: (r.customer_id, r.currency, -r.days_past_due, r.invoice_no))
