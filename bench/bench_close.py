"""Month-end close of a big workbook, side by side with the floor and a naive pipeline.

Run: uv run python bench/bench_close.py [invoices ...]   (default: 10000 100000)

For each size, on a fresh copy of the benchmark workbook (`bench/books.py`):
- close:  `xlbilling close BOOK --as-of 2026-10-31` end to end, as a user runs it (a child
          process: its wall time and peak memory);
- floor:  reading the same sheets with python-calamine plus writing the same output sheets
          (the close's own rows) to a new file with xlsxwriter: what any tool must at least do;
- naive:  the in-house way without this project's I/O: pandas `read_excel` (openpyxl
          engine) for the tables, openpyxl to load the workbook, write the output sheets
          and computed cells cell by cell, and save (the domain results are the close's,
          not timed, so only I/O differs). Skipped with --no-naive.
"""

from __future__ import annotations

import datetime as dt
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from book_apart import big_book_made_apart
from books import ROOT

from billing.pipeline.close import CloseOptions, close
from billing.changes import cell_updates
from billing.contract import ALLOCATIONS, INPUT_SHEETS
from billing.store import open_store
from billing.workbook.read import read_book

AS_OF = "2026-10-31"


def run_close(path: Path, store: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of the close command in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "billing", "close", str(path), "--as-of", AS_OF, "--db", store, "--json"],
                   check=True, capture_output=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) / 1024


def close_outputs(path: Path, store: str):
    book = read_book(path, optional=(ALLOCATIONS,))
    return close(book, open_store(store), CloseOptions(dt.date.fromisoformat(AS_OF))).changes


def excel_value(value):
    return float(value) if isinstance(value, Decimal) else value


def floor(path: Path, changes, out: Path) -> float:
    import xlsxwriter

    started = time.perf_counter()
    read_book(path, optional=(ALLOCATIONS,))
    book = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_formulas": False,
                                          "strings_to_numbers": False, "strings_to_urls": False})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for output in changes.outputs:
        ws = book.add_worksheet(output.name)
        ws.write_row(0, 0, output.columns)
        for r, row in enumerate(output.rows, 1):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date)
                elif value is not None:
                    ws.write(r, c, excel_value(value))
    book.close()
    return time.perf_counter() - started


def naive(path: Path, changes) -> float:
    import openpyxl
    import pandas as pd

    started = time.perf_counter()
    pd.read_excel(path, sheet_name=[s.name for s in INPUT_SHEETS], engine="openpyxl")
    wb = openpyxl.load_workbook(path)
    for output in changes.outputs:
        if output.name in wb.sheetnames:
            wb.remove(wb[output.name])
        ws = wb.create_sheet(output.name)
        for c, name in enumerate(output.columns, 1):
            ws.cell(1, c, name)
        for r, row in enumerate(output.rows, 2):
            for c, value in enumerate(row, 1):
                ws.cell(r, c, excel_value(value))
    for update in cell_updates((*changes.headers, *changes.updates)):
        ws = wb[update.sheet]
        ws.cell(update.row, update.column + 1, excel_value(getattr(update, "value", getattr(update, "name", None))))
    wb.save(path)
    return time.perf_counter() - started


def main(sizes: list[int], with_naive: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-close-"))
    try:
        for invoices in sizes:
            source = big_book_made_apart(invoices)
            copy = work / f"close-{invoices}.xlsx"
            shutil.copy(source, copy)
            seconds, peak = run_close(copy, f"sqlite:///{work}/close-{invoices}.db")
            shutil.copy(source, copy)
            changes = close_outputs(copy, f"sqlite:///{work}/outputs-{invoices}.db")
            rows = sum(len(o.rows) for o in changes.outputs)
            print(f"{invoices:,} invoices ({source.stat().st_size / 1e6:.1f} MB; the close writes {rows:,} output rows "
                  f"and {sum(1 for _ in cell_updates(changes.updates)):,} input cells):")
            print(f"  xlbilling close   {seconds:7.1f} s   peak memory {peak:,.0f} MB")
            floor_seconds = floor(copy, changes, work / "floor.xlsx")
            print(f"  floor             {floor_seconds:7.1f} s   close / floor = {seconds / floor_seconds:.1f}x")
            if with_naive:
                naive_seconds = naive(copy, changes)
                print(f"  naive pipeline    {naive_seconds:7.1f} s   naive / close = {naive_seconds / seconds:.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main([int(a) for a in args] or [10_000, 100_000], "--no-naive" not in sys.argv)
