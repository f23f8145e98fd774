"""The benchmark workbooks as the close takes them: `bench/books.py`'s data, with the
header row written on every optional input sheet the data leaves empty (a sheet without
its headers is refused by validation, so a close of such a book stops at `validate`)."""

from __future__ import annotations

from pathlib import Path

from books import OUT, write_big_book

from billing.contract import INPUT_SHEETS

FILLED = {"Settings", "Customers", "TaxRates", "Invoices", "InvoiceLines", "Payments"}


def closable_book(invoices: int, seed: int = 1) -> Path:
    """The cached closable benchmark workbook with that many invoices."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"closable-{invoices}-{seed}.xlsx"
    if not path.exists():
        write_big_book(path, invoices, seed, extra={s.name: [] for s in INPUT_SHEETS if s.name not in FILLED})
    return path
