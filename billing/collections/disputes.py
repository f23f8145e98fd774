"""Disputes: how much of each invoice an open dispute keeps out of dunning and interest,
and the dispute list with each dispute's age.

An `open` dispute keeps its `amount` out of the invoice's open amount; a blank amount
disputes the whole open amount, and no dispute keeps out more than is open (a part paid
since leaves less to dispute). `resolved`, `credited` and `rejected` disputes keep nothing
out: a credited one is settled by its credit note, which reduces the open amount itself.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Iterable, Mapping, NamedTuple

ZERO = Decimal(0)
OPEN = "open"


class Dispute(NamedTuple):
    """One Disputes row as typed (`billing.tables.Tables.disputes`)."""

    invoice_no: str
    opened: dt.date
    reason: str | None
    amount: Decimal | None  # None: the whole open amount
    status: str
    owner: str | None = None
    note: str | None = None


def disputes_of(rows: Iterable[Mapping[str, object]]) -> list[Dispute]:
    """Disputes from typed rows (dicts or a frame's records), in their order."""
    return [Dispute(*(row.get(name) for name in Dispute._fields)) for row in rows]


def open_disputed(disputes: Iterable[Dispute], open_amounts: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """invoice_no -> the amount its open dispute keeps out: the dispute's amount (blank: the
    whole open amount), at most the invoice's open amount; invoices with nothing open, or no
    open dispute, are left out."""
    out: dict[str, Decimal] = {}
    for dispute in disputes:
        if dispute.status != OPEN:
            continue
        still_open = open_amounts.get(dispute.invoice_no, ZERO)
        if still_open <= ZERO:
            continue
        wanted = still_open if dispute.amount is None else dispute.amount
        out[dispute.invoice_no] = min(out.get(dispute.invoice_no, ZERO) + wanted, still_open)
    return out


class DisputeLine(NamedTuple):
    """A row of the DisputeList sheet."""

    invoice_no: str
    customer_id: str | None
    currency: str | None
    opened: dt.date
    age_days: int
    reason: str | None
    amount: Decimal | None
    status: str
    owner: str | None
    note: str | None


def dispute_list(disputes: Iterable[Dispute], customer_of: Mapping[str, str], currency_of: Mapping[str, str],
                 as_of: dt.date) -> list[DisputeLine]:
    """Every dispute with its age in days on `as_of` (0 when opened that day or later), open
    ones first, oldest first."""
    lines = [DisputeLine(d.invoice_no, customer_of.get(d.invoice_no), currency_of.get(d.invoice_no), d.opened,
                         max((as_of - d.opened).days, 0), d.reason, d.amount, d.status, d.owner, d.note)
             for d in disputes]
    return sorted(lines, key=lambda line: (line.status != OPEN, line.opened, line.invoice_no))
