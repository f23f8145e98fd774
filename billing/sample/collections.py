"""The sample's collections history: reference rates, disputes, holds, promises to pay and
reminders already sent.

Everything here is added to rows the other parts made, never changed in them: no invoice,
line or payment is added or altered, so the sample's totals, matching and aging buckets are
what they were. The choices come from their own generator (`part_rng(seed, "collections")`),
so they do not shift any other part's draws.

- InterestRates: the ECB reference rates a new workbook ships (`billing.collections.reference_rates`).
- Disputes (one each where there are enough overdue open invoices): an `open` one on the
  whole open amount, an `open` one on a quarter of the gross, a `resolved` and a `rejected`
  one; and an `open` one on a third of an invoice a reminder still asks for (chosen after
  everything else, without a draw), so a letter shows a disputed part kept out. A `credited`
  dispute needs a credit note, which would change the figures: none here.
- Holds and promises: one customer and one invoice on hold, one customer and one invoice
  with a promise to pay after the as-of date.
- Reminder history: about a third of the invoices overdue 14 days or more carry the level
  their days past due reached (`dunning_levels` 14, 28, 42) and the day it was reached.
- Languages: customers in German-speaking countries `de`, the others `en`.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Mapping, Sequence

from billing.collections.reference_rates import reference_rate_rows
from billing.contract import CUSTOMERS, DISPUTES, INTEREST_RATES, INVOICES, SheetSpec
from billing.invoicing.terms import TermsError, due_date
from billing.money import quantize
from billing.sample.data import PaidShare, Row
from billing.sample.invoice import Invoice
from billing.sample.timeline import terms_of
from billing.settings import Settings

_GERMAN_SPEAKING = frozenset({"DE", "AT", "CH", "LI"})
_DISPUTES = (("open", "quality", None), ("open", "price", Decimal("0.25")), ("resolved", "quantity", None),
             ("rejected", "not_received", None))


def _overdue(invoices: Sequence[Invoice], truth: Mapping[str, tuple[PaidShare, ...]], as_of: date) \
        -> list[tuple[Invoice, date, Decimal]]:
    """The numbered, issued invoices still partly open and past due on `as_of`: (invoice, due, open)."""
    paid: dict[str, Decimal] = {}
    for shares in truth.values():
        for key, amount in shares:
            paid[key] = paid.get(key, Decimal(0)) + amount
    out = []
    for inv in invoices:
        if not inv.open_item or inv.issue_date > as_of:
            continue
        try:
            due = due_date(inv.issue_date, terms_of(inv.effective_terms))
        except TermsError:
            continue
        still_open = inv.gross - paid.get(inv.key, Decimal(0))
        if due < as_of and still_open > 0:
            out.append((inv, due, still_open))
    return out


def add_collections(customers: tuple[Row, ...], invoices: Sequence[Invoice], invoice_rows: tuple[Row, ...],
                    truth: Mapping[str, tuple[PaidShare, ...]], as_of: date, rng: random.Random) \
        -> tuple[tuple[Row, ...], tuple[Row, ...], tuple[Row, ...], tuple[Row, ...]]:
    """(customers, invoices, disputes, interest_rates) rows with the collections history added."""
    customers = tuple({**row, "language": "de" if row.get("country") in _GERMAN_SPEAKING else "en"}
                      for row in customers)
    rows = {row["invoice_key"]: dict(row) for row in invoice_rows}
    overdue = _overdue(invoices, truth, as_of)
    disputed = rng.sample(overdue, min(len(_DISPUTES), len(overdue)))
    disputes = []
    for (inv, due, _), (status, reason, share) in zip(disputed, _DISPUTES):
        opened = min(due + timedelta(days=rng.randint(1, 10)), as_of)
        amount = None if share is None else quantize(inv.gross * share, inv.customer.currency)
        disputes.append({"invoice_no": inv.number, "opened": opened, "reason": reason, "amount": amount,
                         "status": status, "owner": rng.choice(("Anna", "Jonas", "Mira")),
                         "note": f"{reason.replace('_', ' ')} questioned by the customer"})
    taken = {inv.key for inv, _, _ in disputed}
    rest = [entry for entry in overdue if entry[0].key not in taken]
    bounds = Settings().dunning_levels
    for inv, due, _ in rest:
        days = (as_of - due).days
        level = sum(1 for bound in bounds if bound <= days)
        if level and rng.random() < 0.35:
            rows[inv.key]["dunning_level"] = level
            rows[inv.key]["last_reminder"] = due + timedelta(days=bounds[level - 1])
    held = [entry for entry in rest if "dunning_level" not in rows[entry[0].key]]
    if held:
        inv = rng.choice(held)[0]
        rows[inv.key]["on_hold"] = "yes"
        held = [entry for entry in held if entry[0] is not inv]
    if held:
        inv = rng.choice(held)[0]
        rows[inv.key]["promise_date"] = as_of + timedelta(days=10)
    customers = list(customers)
    if len(customers) >= 2:
        first, second = rng.sample(range(len(customers)), 2)
        customers[first] = {**customers[first], "on_hold": "yes"}
        customers[second] = {**customers[second], "promise_date": as_of + timedelta(days=7)}
    disputes.extend(_dispute_in_a_letter(customers, rest, rows, as_of, bounds[0]))
    return (_shaped(customers, CUSTOMERS), _shaped(rows.values(), INVOICES), _shaped(disputes, DISPUTES),
            _shaped(reference_rate_rows(), INTEREST_RATES))


def _dispute_in_a_letter(customers: Sequence[Row], rest: Sequence[tuple[Invoice, date, Decimal]],
                         rows: Mapping[str, Row], as_of: date, first_level: int) -> list[Row]:
    """An open dispute on a third of the open amount of the longest overdue invoice that a
    reminder will still ask for (its customer and itself neither on hold, promised nor reminded
    before, at level 1 or more), so a letter shows a disputed part kept out. Chosen without a
    draw, after every other choice: adding it changes nothing else."""
    stopped = {c["customer_id"] for c in customers if c.get("on_hold") or c.get("promise_date")}
    free = [(inv, due, still_open) for inv, due, still_open in rest
            if inv.customer.customer_id not in stopped and (as_of - due).days >= first_level
            and not any(rows[inv.key].get(k) for k in ("on_hold", "promise_date", "dunning_level"))]
    if not free:
        return []
    inv, due, still_open = max(free, key=lambda e: ((as_of - e[1]).days, e[0].number))
    return [{"invoice_no": inv.number, "opened": min(due + timedelta(days=3), as_of), "reason": "terms",
             "amount": quantize(still_open / 3, inv.customer.currency), "status": "open", "owner": "Mira",
             "note": "payment terms questioned: a third held back until agreed"}]


def _shaped(rows, spec: SheetSpec) -> tuple[Row, ...]:
    """Rows with exactly the sheet's contract columns, in its order (blank: None)."""
    return tuple({name: row.get(name) for name in spec.column_names} for row in rows)
