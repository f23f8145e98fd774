"""Validation throughput: read + validate a 100k-invoice / ~300k-line workbook.

Run: uv run python bench/bench_validate.py [invoices]
Prints rows per second for validation alone (the goal: ≥ 200k rows/s), with the check of
typed totals against the computation, and for the whole `xlbilling validate` work (safety
gate + calamine read + validation with the totals check).
"""

from __future__ import annotations

import sys
import time

from books import big_book

from billing.workbook.safety import check_workbook_file
from billing.workbook.read import read_book
from validation import validate_book


def main(invoices: int = 100_000) -> None:
    path = big_book(invoices)
    started = time.perf_counter()
    check_workbook_file(path)
    gate = time.perf_counter() - started
    started = time.perf_counter()
    book = read_book(path)
    read = time.perf_counter() - started - gate  # read_book runs the gate too
    rows = sum(len(book[s]) for s in ("Invoices", "InvoiceLines"))
    all_rows = sum(len(t) for t in book)
    started = time.perf_counter()
    result = validate_book(book, check_computed=False)
    validate = time.perf_counter() - started
    started = time.perf_counter()
    full = validate_book(book)
    with_totals = time.perf_counter() - started
    print(f"workbook: {path.name}, {path.stat().st_size / 1e6:.1f} MB, {all_rows:,} rows "
          f"({rows:,} invoices + lines), {len(result.findings)} findings")
    print(f"safety gate:        {gate:6.2f} s")
    print(f"calamine read:      {read:6.2f} s  ({all_rows / read:,.0f} rows/s)")
    print(f"validation:         {validate:6.2f} s  ({all_rows / validate:,.0f} rows/s over all sheets)")
    print(f"  + computed totals checked: {with_totals:6.2f} s  ({all_rows / with_totals:,.0f} rows/s), "
          f"{len(full.findings)} findings")
    total = gate + read + with_totals
    print(f"validate, end to end: {total:6.2f} s  ({all_rows / total:,.0f} rows/s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
