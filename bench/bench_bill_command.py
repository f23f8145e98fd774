"""`xlbilling bill` end to end on a workbook with 10,000 contract lines (the goal: ≤ 2 s for
the billing beside the read).

Run: uv run python bench/bench_bill_command.py [lines]
The contract lines are `bench/bench_bill.py`'s (every period kind, timing, proration, stubs,
end dates, steps, index clauses, a tenth metered), written with xlsxwriter into the sample's
workbook (`bench/books.py`) under bench/out/. Timed, each in a fresh copy: reading and
validating the workbook (`checked_book`), the billing itself (records, `bill_month`, the store's
look-up, the drafts and their cells: `billing.pipeline.bill.bill`), recording and writing
(`record_pending`, `apply_changes`, `mark_done`), and the whole command in a new process.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_bill import book as contract_lines  # noqa: E402
from books import OUT, source_digest, write_big_book  # noqa: E402

from billing.sample import Shape, generate_sample  # noqa: E402


def _rows(count: int):
    data = generate_sample(20, seed=1)
    customers = [c["customer_id"] for c in data.customers]
    tax = data.tax_rates[0]["tax_code"]
    lines, usage, tiers, index = contract_lines(count)
    period = {1: "monthly", 3: "quarterly", 6: "half_yearly", 12: "yearly"}
    contracts = [{"contract_id": x.contract_id, "customer_id": customers[n % len(customers)],
                  "description": x.description, "quantity": x.quantity, "unit_price": x.unit_price,
                  "currency": x.currency, "tax_code": tax,
                  "period": period.get(x.period_months, f"every_{x.period_months}_months"),
                  "start_date": x.start_date, "end_date": x.end_date, "anchor_day": x.anchor_day,
                  "timing": x.timing, "proration": x.proration,
                  "price_change": None if x.price_change is None else
                  f"{x.price_change[1]}%" if x.price_change[0] == "percent" else f"index:{x.price_change[1]}",
                  "on_hold": "yes" if x.on_hold else None, "usage_pricing": x.usage_pricing}
                 for n, x in enumerate(lines)]
    return {"Disputes": list(data.disputes), "InterestRates": list(data.interest_rates), "Contracts": contracts,
            "Usage": [{"contract_id": u.contract_id, "date": u.date, "quantity": u.quantity} for u in usage],
            "PriceTiers": [{"contract_id": t.contract_id, "from_quantity": t.from_quantity,
                            "unit_price": t.unit_price} for t in tiers],
            "PriceIndex": [{"index": name, "month": month, "value": value} for (name, month), value in index.items()]}


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    OUT.mkdir(parents=True, exist_ok=True)
    source = OUT / f"contracts-{count}-{source_digest()}.xlsx"  # never a book of older source
    if not source.exists():
        began = time.perf_counter()
        # the generator's natural mix, as _rows' disputes are of that sample's invoices
        write_big_book(source, 20, 1, _rows(count), shape=Shape())
        print(f"  (made {source.name}: {source.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - began:.1f} s)")
    from billing.cli.common import checked_book
    from billing.contract import ALLOCATIONS
    from billing.pipeline.bill import Month, bill
    from billing.schedules.billed import mark_done, record_pending
    from billing.store import open_store
    from billing.workbook.write import apply_changes

    month = Month(2027, 3)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(shutil.copy(source, Path(tmp) / "book.xlsx"))
        engine = open_store(f"sqlite:///{tmp}/store.db")
        began = time.perf_counter()
        book, found = checked_book(path, True, optional=(ALLOCATIONS,))
        read = time.perf_counter() - began
        began = time.perf_counter()
        result = bill(book, found.tables, month, {})
        billing = time.perf_counter() - began
        began = time.perf_counter()
        record_pending(engine, result.workbook_id, result.entries)
        apply_changes(path, result.changes)
        mark_done(engine, result.workbook_id, {b.invoice_key for b in result.entries})
        write = time.perf_counter() - began
        print(f"bill {month}: {count} contract lines → {result.billed} lines on {len(result.drafts)} drafts, "
              f"{len(result.skipped)} skipped; ok={result.ok}")
        print(f"  read + validate {read:.2f} s, billing {billing:.2f} s, record + write {write:.2f} s")
        path = Path(shutil.copy(source, Path(tmp) / "cli.xlsx"))
        env = {**os.environ, "XLBILLING_DATABASE_URL": f"sqlite:///{tmp}/cli.db"}
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "billing", "bill", str(path), "--period", str(month), "--json"],
                              capture_output=True, text=True, env=env, cwd=ROOT)
        print(f"  the whole command (new process): {time.perf_counter() - began:.2f} s, exit {done.returncode}")
        if done.returncode not in (0, 1):
            print(done.stderr[-2000:])


if __name__ == "__main__":
    main()
