"""The error path against the happy path: a big Payments sheet with one column wrongly formatted.

Run: uv run python bench/bench_errors.py [rows]
Builds (and caches under bench/out/) two workbooks with `rows` payments each: one sound, one
whose `value_date` column holds text like `31.12.2025` instead of dates, so every row is
wrong in the same way. Prints the time of read + validation of each, and the number of
findings the bad one reports (capped per rule and column, see `validation.limits`).
"""

from __future__ import annotations

import datetime as dt
import resource
import sys
import time
from pathlib import Path

import xlsxwriter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from billing.contract import INPUT_SHEETS, PAYMENTS  # noqa: E402
from billing.workbook.read import read_book  # noqa: E402
from validation import validate_book  # noqa: E402

OUT = ROOT / "bench" / "out"


def payments_book(rows: int, bad: bool) -> Path:
    """A workbook whose Payments sheet has `rows` rows; with `bad`, every value_date is text."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"payments-{rows}-{'bad' if bad else 'good'}.xlsx"
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp.xlsx")
    book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_numbers": False,
                                          "strings_to_urls": False, "constant_memory": True})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    fixed = {
        "Settings": [("key", "value"), ("workbook_id", "0b8f4c2e-54a0-4a61-9d0e-3a5e1f1c2b77")],
        "Customers": [("customer_id", "name"), ("K1", "Kunde")],
        "TaxRates": [("tax_code", "rate", "kind"), ("S", 0.19, "standard")],
        "Invoices": [("invoice_key", "customer_id", "issue_date", "tax_code", "net"),
                     ("I1", "K1", dt.datetime(2025, 1, 2), "S", 100.0)],
        "InvoiceLines": [("invoice_key", "quantity", "unit_price", "tax_code")],
    }
    for spec in INPUT_SHEETS:
        ws = book.add_worksheet(spec.name)
        if spec is PAYMENTS:
            for c, name in enumerate(PAYMENTS.column_names[:4]):
                ws.write_string(0, c, name)
            day = dt.datetime(2025, 12, 31)
            for r in range(1, rows + 1):
                ws.write_string(r, 0, f"P{r:07d}")
                if bad:
                    ws.write_string(r, 1, "31.12.2025")
                else:
                    ws.write_datetime(r, 1, day, date)
                ws.write_number(r, 2, 10.5)
                ws.write_string(r, 3, "EUR")
            continue
        for r, row in enumerate(fixed[spec.name]):
            for c, value in enumerate(row):
                if isinstance(value, dt.datetime):
                    ws.write_datetime(r, c, value, date)
                else:
                    ws.write(r, c, value)
    book.close()
    tmp.replace(path)
    return path


def run(path: Path) -> tuple[float, float, int]:
    started = time.perf_counter()
    book = read_book(path)
    read = time.perf_counter() - started
    started = time.perf_counter()
    result = validate_book(book)
    return read, time.perf_counter() - started, len(result.findings)


def main(rows: int = 1_000_000) -> None:
    for bad in (False, True):
        path = payments_book(rows, bad)
        read, validate, findings = run(path)
        print(f"{'bad ' if bad else 'good'} {path.name}: read {read:6.2f} s, validate {validate:6.2f} s, "
              f"{findings:,} findings")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
