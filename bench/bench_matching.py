"""Matching speed and quality on labelled sample data, from 10k to 100k payments.

Run: uv run python bench/bench_matching.py [--passes]
For each size the sample generator makes invoices and the payments that pay them (with
their truth); the timer covers building the indexes and all three passes. Precision and
recall are measured against the truth (goals: ≥ 0.995 and ≥ 0.95; ≤ 5 s at 100k).
With --passes each size also prints where the time went: the three passes (timed around
the Matcher's pass methods) and the rest (reading the tables, building the indexes).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from tests_support import tables_of  # noqa: E402

from billing.invoicing.compute import compute  # noqa: E402
from billing.matching import match_tables  # noqa: E402
from billing.matching.engine import Matcher  # noqa: E402
from billing.matching.quality import quality  # noqa: E402
from billing.sample import generate_sample  # noqa: E402


PASSES = {"_by_reference": "reference", "_by_number": "number", "_by_amount": "amount"}


def timed_passes() -> dict[str, float]:
    """Wrap the Matcher's pass methods with timers; the seconds per pass, filled as they run."""
    spent: dict[str, float] = defaultdict(float)
    for method, name in PASSES.items():
        def timed(self, payment, _pass=getattr(Matcher, method), _name=name):
            started = time.perf_counter()
            try:
                return _pass(self, payment)
            finally:
                spent[_name] += time.perf_counter() - started
        setattr(Matcher, method, timed)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", action="store_true", help="print the seconds of each pass too")
    args = parser.parse_args()
    spent = timed_passes() if args.passes else {}
    print(f"{'payments':>9} {'open items':>10} {'match s':>8} {'precision':>9} {'recall':>7} {'unmatched':>9}")
    for invoices in (22_000, 66_000, 220_000):
        data = generate_sample(invoices, seed=11)
        tables = tables_of(data)
        computed = compute(tables)
        spent.clear()
        started = time.perf_counter()
        result = match_tables(tables, computed)
        elapsed = time.perf_counter() - started
        measured = quality(result.allocations, data.truth)
        open_items = int(((tables.invoices["status"] == "issued") & tables.invoices["invoice_no"].notna()).sum())
        print(f"{len(tables.payments):>9,} {open_items:>10,} {elapsed:>8.2f} {measured.precision:>9.4f} "
              f"{measured.recall:>7.4f} {len(result.unmatched):>9,}")
        if args.passes:
            print(" " * 10 + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in spent.items())
                  + f", the rest {elapsed - sum(spent.values()):.2f} s")


if __name__ == "__main__":
    main()
