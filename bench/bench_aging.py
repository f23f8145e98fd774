"""Aging, DSO, dunning and customer statements of 100k invoices with 150k allocations.

Run: uv run python bench/bench_aging.py [invoices]
Builds a ledger of plain records (5k customers; 100k invoices and credit notes issued over
a year; 150k allocations from 120k payments, some partial, some after the aging date;
20k unallocated payments) with a fixed seed, then times each report as of one date.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from decimal import Decimal

from billing.receivables.aging import Applied, Item, Received, age
from billing.receivables.report import receivables
from billing.receivables.customer_statements import statements
from billing.receivables.ledger import Ledger
from billing.settings import Settings

START = dt.date(2026, 1, 1)
AS_OF = dt.date(2026, 10, 31)


def ledger(invoices: int, allocations: int, seed: int = 7) -> Ledger:
    rng = random.Random(seed)
    customers = [f"C{n:05d}" for n in range(invoices // 20)]
    items = []
    for n in range(invoices):
        issued = START + dt.timedelta(days=rng.randrange(330))
        kind = "credit_note" if n % 50 == 0 else "invoice"
        corrects = items[-1].number if kind == "credit_note" and items else None
        items.append(Item(f"INV-{n:06d}", rng.choice(customers), "EUR", kind, "issued", issued,
                          issued + dt.timedelta(days=30), Decimal(rng.randrange(1000, 500_000)) / 100, corrects))
    applied, received = [], []
    payers = [i for i in items if i.kind == "invoice"]
    while len(applied) < allocations:
        n = len(received)
        paid = rng.sample(payers, rng.choice((1, 1, 2)))
        day = max(i.issue_date for i in paid) + dt.timedelta(days=rng.randrange(1, 90))
        total = Decimal(0)
        for i in paid:
            amount = i.gross if rng.random() < 0.8 else (i.gross / 2).quantize(Decimal("0.01"))
            applied.append(Applied(f"P{n:06d}", i.number, amount, Decimal(0), day))
            total += amount
        received.append(Received(f"P{n:06d}", paid[0].customer_id, "EUR", total, day))
    for n in range(len(received), len(received) + invoices // 5):
        received.append(Received(f"P{n:06d}", rng.choice(customers), "EUR", Decimal(rng.randrange(100, 10_000)),
                                 START + dt.timedelta(days=rng.randrange(330))))
    return Ledger(items, applied, received, {c: c for c in customers}, None)


def timed(label: str, work):
    started = time.perf_counter()
    result = work()
    print(f"  {label:<38} {time.perf_counter() - started:6.2f} s")
    return result


def main(invoices: int = 100_000, allocations: int = 150_000) -> None:
    data = ledger(invoices, allocations)
    print(f"{len(data.items):,} items, {len(data.applied):,} allocations, {len(data.received):,} payments, "
          f"{len(data.names):,} customers; as of {AS_OF}")
    rows = timed("aging (buckets, unapplied)", lambda: age(data.items, data.applied, data.received, AS_OF))
    report = timed("aging + DSO + dunning list", lambda: receivables(data, Settings(), AS_OF))
    found = timed("statements of every customer (month)", lambda: statements(data, AS_OF.replace(day=1), AS_OF))
    print(f"  → {len(rows):,} aging rows, {len(report.overdue):,} overdue items, {len(found):,} statements")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
