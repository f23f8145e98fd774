"""The invoice book: who buys when, drafts, voids and credit notes, gap-free numbers.

Invoices are spread over the office days before `as_of`, some customers buying far more
often than others. Issued invoices and credit notes are numbered per series and year
without gaps, except the most recent ones (not numbered yet) and drafts.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from itertools import accumulate

from billing.sample.customers import Customer
from billing.invoicing.rf_reference import rf_reference
from billing.sample.invoice import Invoice, set_gross
from billing.sample.line_items import credit_items, invoice_items
from billing.sample.timeline import HISTORY_DAYS, UNNUMBERED_DAYS, SampleCalendar
from billing.settings import DEFAULT_CREDIT_NOTE_SERIES, DEFAULT_INVOICE_SERIES

_VOID_REASONS = (
    "Duplicate of an invoice already sent",
    "Issued to the wrong customer",
    "Order cancelled before delivery",
    "Wrong prices, reissued",
    "Entered in error",
)


def make_invoices(
    count: int, customers: list[Customer], as_of: date, cal: SampleCalendar, rng: random.Random,
    lines: int | None = None,
) -> list[Invoice]:
    """`count` invoices and credit notes K000001, ... in issue-date order, with lines and gross
    (`lines`: exactly that many on each)."""
    days = cal.issue_days(as_of - timedelta(days=HISTORY_DAYS), as_of) or [as_of]
    # some customers buy much more often than others
    activity = list(accumulate(rng.lognormvariate(0, 0.7) for _ in customers))
    buyers = rng.choices(customers, cum_weights=activity, k=count)
    drawn = sorted((days[int(rng.random() * len(days))], i, buyer) for i, buyer in enumerate(buyers))
    unnumbered_after = as_of - timedelta(days=UNNUMBERED_DAYS)
    counters: dict[tuple[str, int], int] = {}
    history: dict[str, list[Invoice]] = {}  # numbered invoices per customer, in order
    invoices = []
    for n, (issue, _, customer) in enumerate(drawn, start=1):
        inv = Invoice(f"K{n:06d}", customer, issue)
        numbered = issue <= unnumbered_after
        recent = (as_of - issue).days <= 14
        earlier = [e for e in history.get(customer.customer_id, [])[-6:] if not e.corrected]
        r = rng.random()
        if r < (0.2 if recent else 0.02):
            inv.status = "draft"
        elif numbered and r < (0.2 if recent else 0.02) + 0.02:
            inv.status = "void"
            inv.void_reason = rng.choice(_VOID_REASONS)
        elif earlier and rng.random() < 0.055:
            inv.kind = "credit_note"
            inv.corrects = rng.choice(earlier)
            inv.corrects.corrected = True
        if inv.kind == "credit_note":
            credit_items(inv, rng, lines)
        else:
            invoice_items(inv, rng, lines)
        if inv.status != "draft" and numbered:
            series = DEFAULT_CREDIT_NOTE_SERIES if inv.kind == "credit_note" else DEFAULT_INVOICE_SERIES
            inv.number = _next_number(series, issue, counters)
            inv.reference = rf_reference(inv.number)
            if inv.kind == "invoice" and inv.status == "issued":
                history.setdefault(customer.customer_id, []).append(inv)
        if rng.random() < 0.07:
            inv.terms = rng.choice(("NET14", "NET30", "NET60", "DUE", "2/10 NET30"))
        invoices.append(inv)
    set_gross(invoices)
    return invoices


def _next_number(series: str, issue: date, counters: dict[tuple[str, int], int]) -> str:
    """The next number of `series` in the issue year; `counters` holds the last one per series and year.

    >>> counters = {}
    >>> [_next_number("INV-{yyyy}-{seq:06d}", date(y, 5, 1), counters) for y in (2026, 2026, 2027)]
    ['INV-2026-000001', 'INV-2026-000002', 'INV-2027-000001']
    """
    seq = counters.get((series, issue.year), 0) + 1
    counters[(series, issue.year)] = seq
    return series.replace("{yyyy}", f"{issue.year:04d}").format(seq=seq)
