"""Large billing workbooks for the benchmarks, written fast with xlsxwriter.

The sample generator's data, written as the contract's Tables:
a 100k-invoice book (≈300k lines, 100k payments) takes seconds here instead of the
minutes openpyxl would need. Files are cached under bench/out/ by size and seed.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from decimal import Decimal
from pathlib import Path

import xlsxwriter


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from billing.contract import INPUT_SHEETS, Kind  # noqa: E402
from billing.sample import generate_sample  # noqa: E402

OUT = ROOT / "bench" / "out"
FORMATS = {Kind.DATE: "yyyy-mm-dd", Kind.MONEY: "#,##0.00", Kind.RATE: "0.00%"}


def _cell(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)  # Excel stores doubles; the reader takes them back through str()
    return value


def write_big_book(path: Path, invoices: int, seed: int = 1, extra: dict | None = None) -> Path:
    """The sample's sheets (`extra`: sheet name -> rows as dicts, in place of the sample's)."""
    data = generate_sample(invoices, seed=seed)
    rows_by_sheet = {
        "Settings": [{"key": k, "value": v} for k, v in data.settings],
        "Customers": data.customers,
        "TaxRates": data.tax_rates,
        "Invoices": data.invoices,
        "InvoiceLines": data.lines,
        "Payments": data.payments,
        **(extra or {}),
    }
    tmp = path.with_suffix(".tmp.xlsx")
    book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False,
                                          "strings_to_numbers": False, "strings_to_urls": False})
    formats = {kind: book.add_format({"num_format": f}) for kind, f in FORMATS.items()}
    for spec in INPUT_SHEETS:
        ws = book.add_worksheet(spec.name)
        if spec.name not in rows_by_sheet:
            continue  # an optional sheet the benchmark does not fill
        rows = rows_by_sheet[spec.name]
        names = spec.column_names
        for c, name in enumerate(names):
            ws.write_string(0, c, name)
        for r, row in enumerate(rows, start=1):
            for c, name in enumerate(names):
                value = row.get(name)
                if value is None:
                    continue
                kind = spec.columns[c].kind
                if isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), formats[Kind.DATE])
                elif isinstance(value, str):
                    ws.write_string(r, c, value)
                else:
                    ws.write_number(r, c, _cell(value), formats.get(kind))
        last = max(len(rows), 1)
        ws.add_table(0, 0, last, len(names) - 1,
                     {"name": spec.name, "columns": [{"header": n} for n in names], "autofilter": True})
    book.close()
    tmp.replace(path)
    return path


def big_book(invoices: int, seed: int = 1) -> Path:
    """The cached benchmark workbook with that many invoices."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"book-{invoices}-{seed}.xlsx"
    if not path.exists():
        started = time.perf_counter()
        write_big_book(path, invoices, seed)
        print(f"  (made {path.name}: {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s)")
    return path



