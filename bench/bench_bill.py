"""Billing 10,000 contract lines for one month: the pure domain part of `xlbilling bill`.

Run: uv run python bench/bench_bill.py [lines]
Builds contract lines with a fixed seed — every period kind, in advance and in arrears,
every proration rule, stubs, end dates, yearly steps, index clauses, a tenth metered with
graduated or volume tiers and a few usage records each — then times `bill_month` for
2027-03 and `plan` for the twelve months of 2027 (each line's periods worked out once over
the year), best of 3 each; then the check every run makes of the store's billed periods
for end dates moved since (upgrades and downgrades, `moved_ends`). The whole command's goal is ≤ 2 s (reading and writing the
workbook included); the domain should take well under 1 s; the plan's goal is ≤ 2 s.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from decimal import Decimal

from billing.schedules.billing import bill_month, plan
from billing.schedules.records import ContractLine, Tier, UsageRecord


def book(count: int, seed: int = 19):
    rng = random.Random(seed)
    lines, usage, tiers, index = [], [], [], {}
    for month in range(12 * 6):
        index[("CPI", dt.date(2022 + month // 12, month % 12 + 1, 1))] = Decimal(100) + Decimal(month) / 4
    for n in range(count):
        start = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(5 * 365))
        metered = n % 10 == 0
        contract = f"K{n:05d}"
        change = rng.choice([None, None, ("percent", Decimal("3")), ("index", "CPI")])
        lines.append(ContractLine(
            contract, f"C{n % 2000:04d}", "Service", Decimal(rng.randint(1, 5)),
            Decimal(rng.randint(100, 500000)) / 100, rng.choice(["EUR", "EUR", "EUR", "USD"]), "S",
            rng.choice([1, 1, 1, 3, 6, 12, 2]), start,
            rng.choice([None, None, None, start + dt.timedelta(days=rng.randrange(60, 2000))]),
            rng.choice([None, 1, 15, 31]), rng.choice(["advance", "arrears"]), rng.choice(["none", "days", "months"]),
            None if metered else change, rng.random() < 0.02, rng.choice(["volume", "graduated"]) if metered else None,
            n + 2))
        if metered:
            tiers += [Tier(contract, Decimal(0), Decimal("0.10")), Tier(contract, Decimal(1000), Decimal("0.08"))]
            for _ in range(6):
                usage.append(UsageRecord(contract, dt.date(2027, 1, 1) + dt.timedelta(days=rng.randrange(90)),
                                         Decimal(rng.randint(1, 900))))
    return lines, usage, tiers, index


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    lines, usage, tiers, index = book(count)
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        result = bill_month(lines, usage, tiers, index, (2027, 3), rounding="half_up", base_currency="EUR")
        best = min(best, time.perf_counter() - began)
    print(f"bill_month: {count} contract lines → {len(result.lines)} billed, {len(result.skipped)} skipped "
          f"in {best:.3f} s (best of 3)")
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        planned = plan(lines, usage, tiers, index, (2027, 1), (2027, 12), rounding="half_up", base_currency="EUR")
        best = min(best, time.perf_counter() - began)
    print(f"plan: 12 months of {count} contract lines → {len(planned.rows)} month/customer/currency rows, "
          f"{len(planned.skipped)} periods left out in {best:.3f} s (best of 3; goal ≤ 2 s)")
    moved_ends(lines, usage, tiers, index)


def moved_ends(lines, usage, tiers, index) -> None:
    """What every `bill` run adds for upgrades and downgrades: the store's billed periods
    (here 18 months of the lines) checked for an end date moved since, once as billed and
    once with every twentieth open-ended line ended mid-March 2027 (credits pro rata)."""
    from billing.pipeline.bill import Month
    from billing.pipeline.schedule_records import Records, _line_of, adjustments_of
    from billing.schedules.billed import DONE
    from billing.schedules.billing import months_between

    billed = {}
    for month in months_between((2026, 1), (2027, 6)):
        for b in bill_month(lines, usage, tiers, index, month, rounding="half_up", base_currency="EUR").lines:
            line = _line_of(b)
            billed[line.key] = line.entry(b.invoice_key)._replace(state=DONE)
    ended = [line._replace(end_date=dt.date(2027, 3, 15)) if n % 20 == 1 and line.end_date is None else line
             for n, line in enumerate(lines)]
    for label, these in (("as billed", lines), ("1 in 20 ended 2027-03-15", ended)):
        began = time.perf_counter()
        out, _ = adjustments_of(Records(tuple(these), tuple(usage), tuple(tiers), index), billed, Month(2027, 7),
                                "half_up", "EUR")
        print(f"moved end dates ({label}): {len(billed)} billed periods checked → {len(out)} credits and charges "
              f"in {time.perf_counter() - began:.3f} s")


if __name__ == "__main__":
    main()
