"""Large billing workbooks for the benchmarks, written fast with xlsxwriter.

The sample generator's data, written as the contract's Tables (every input sheet the
generator fills): by default in the benchmark shape, exactly 3 lines and 1 payment per
invoice (`BENCH_SHAPE`: 100k invoices → 300k lines, 100k payments; 300k → 900k lines, near
Excel's 1,048,576-row sheet limit). A 100k-invoice book takes seconds here instead of the
minutes openpyxl would need.

Books are cached under bench/out/, named by size, seed, shape and a digest of the source
they are made from (the generator, the contract, the settings and this file): a change to
any of them makes a new book, so a cached one never lacks a newer column.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
import time
from decimal import Decimal
from pathlib import Path

import xlsxwriter


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from billing.contract import INPUT_SHEETS, Kind  # noqa: E402
from billing.sample import Shape, generate_sample  # noqa: E402

OUT = ROOT / "bench" / "out"
FORMATS = {Kind.DATE: "yyyy-mm-dd", Kind.MONEY: "#,##0.00", Kind.RATE: "0.00%"}
#: the sizes the performance goals are stated in: 3 lines and 1 payment per invoice
BENCH_SHAPE = Shape(lines_per_invoice=3, payments_per_invoice=1.0)
#: what a cached book is made from: a change here makes a new book
SOURCES = (ROOT / "billing" / "sample", ROOT / "billing" / "contract.py", ROOT / "billing" / "settings.py",
           Path(__file__).resolve())


def _cell(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)  # Excel stores doubles; the reader takes them back through str()
    return value


def source_digest() -> str:
    """SHA-256 (first 12 hex digits) of every source file a book is made from."""
    digest = hashlib.sha256()
    for source in SOURCES:
        for file in sorted(source.rglob("*.py")) if source.is_dir() else [source]:
            digest.update(file.relative_to(ROOT).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def write_big_book(path: Path, invoices: int, seed: int = 1, extra: dict | None = None,
                   shape: Shape = BENCH_SHAPE) -> Path:
    """The sample's sheets in `shape` (`extra`: sheet name -> rows as dicts, in place of the sample's)."""
    data = generate_sample(invoices, seed=seed, shape=shape)
    rows_by_sheet = {spec.name: data.rows(spec.name) for spec in INPUT_SHEETS} | (extra or {})
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


def big_book(invoices: int, seed: int = 1, shape: Shape = BENCH_SHAPE) -> Path:
    """The cached benchmark workbook with that many invoices, in `shape`."""
    OUT.mkdir(parents=True, exist_ok=True)
    lines, payments = shape
    path = OUT / f"book-{invoices}-s{seed}-l{lines or 'n'}-p{payments or 'n'}-{source_digest()}.xlsx"
    if not path.exists():
        started = time.perf_counter()
        write_big_book(path, invoices, seed, shape=shape)
        print(f"  (made {path.name}: {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s)")
    return path


if __name__ == "__main__":  # python bench/books.py 10000 100000: make (or find) the cached books
    for size in (int(a) for a in sys.argv[1:]):
        print(big_book(size))
