"""Invoice computation: 100k invoices with their lines, every rule, exact Decimals.

Run: uv run python bench/bench_compute.py [invoices]
Prints the time of the typed tables and of the computation itself (lines, invoice
discounts, tax per code shared over the lines, due dates, tax summary), on the benchmark
workbook of `bench/books.py`; the workbook is read and validated first, untimed.
"""

from __future__ import annotations

import sys
import time

from books import big_book

from billing.invoicing.compute import compute
from billing.tables import typed_tables
from billing.workbook.read import read_book
from validation import validate_book


def main(invoices: int = 100_000) -> None:
    path = big_book(invoices)
    book = read_book(path)
    settings = validate_book(book, check_computed=False).settings
    for tax_rounding in ("invoice", "line"):
        started = time.perf_counter()
        tables = typed_tables(book, settings.model_copy(update={"tax_rounding": tax_rounding}))
        typed = time.perf_counter() - started
        started = time.perf_counter()
        result = compute(tables)
        elapsed = time.perf_counter() - started
        n_lines, n_invoices = len(result.lines), len(result.invoices)
        print(f"tax_rounding={tax_rounding}: {n_invoices:,} invoices, {n_lines:,} lines, "
              f"{len(result.tax_summary):,} tax summary rows")
        print(f"  typed tables: {typed:5.2f} s")
        print(f"  compute:      {elapsed:5.2f} s  ({(n_lines + n_invoices) / elapsed:,.0f} rows/s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
