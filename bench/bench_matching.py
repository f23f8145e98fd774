"""Matching speed and quality on labelled sample data, from 10k to 100k payments.

Run: uv run python bench/bench_matching.py
For each size the sample generator makes invoices and the payments that pay them (with
their truth); the timer covers building the indexes and all four passes. Precision and
recall are measured against the truth (goals: ≥ 0.995 and ≥ 0.95; ≤ 5 s at 100k).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from tests_support import tables_of  # noqa: E402

from billing.compute import compute  # noqa: E402
from billing.matching import match_tables  # noqa: E402
from billing.matching.quality import quality  # noqa: E402
from billing.sample import generate_sample  # noqa: E402


def main() -> None:
    print(f"{'payments':>9} {'open items':>10} {'match s':>8} {'precision':>9} {'recall':>7} {'unmatched':>9}")
    for invoices in (22_000, 66_000, 220_000):
        data = generate_sample(invoices, seed=11)
        tables = tables_of(data)
        computed = compute(tables)
        started = time.perf_counter()
        result = match_tables(tables, computed)
        elapsed = time.perf_counter() - started
        measured = quality(result.allocations, data.truth)
        open_items = int(((tables.invoices["status"] == "issued") & tables.invoices["invoice_no"].notna()).sum())
        print(f"{len(tables.payments):>9,} {open_items:>10,} {elapsed:>8.2f} {measured.precision:>9.4f} "
              f"{measured.recall:>7.4f} {len(result.unmatched):>9,}")


if __name__ == "__main__":
    main()
