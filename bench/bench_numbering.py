"""Numbering throughput: allocations per second, 1 and 8 concurrent processes, SQLite and PostgreSQL.

Run: uv run python bench/bench_numbering.py
Each allocation is its own transaction (the hardest case: `number` on a workbook takes all
of its invoices in one). Processes start together behind a barrier; the rate is all
allocations over the wall time from the barrier to the last process done. PostgreSQL:
$XLBILLING_TEST_DATABASE_URL or the local default, on a fresh schema.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

from billing.numbering import registry  # noqa: E402
from billing.store import open_store  # noqa: E402

TOTAL = 2000
PG = os.environ.get("XLBILLING_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def worker(url: str, worker_id: int, count: int, barrier, results) -> None:
    engine = open_store(url)
    barrier.wait()
    for n in range(count):
        request = registry.Request(f"b{worker_id}", f"k{n}", "invoice", "C1", dt.date(2026, 10, 1), None, "EUR",
                                   "INV-{yyyy}-{seq:06d}", "")
        registry.assign(engine, [request], user="bench")
    results.put(time.perf_counter())


def rate(url: str, processes: int) -> float:
    open_store(url).dispose()
    barrier, results = mp.Barrier(processes + 1), mp.Queue()
    procs = [mp.Process(target=worker, args=(url, w, TOTAL // processes, barrier, results)) for w in range(processes)]
    for p in procs:
        p.start()
    barrier.wait()
    started = time.perf_counter()
    ends = [results.get() for _ in procs]
    for p in procs:
        p.join()
    return TOTAL / (max(ends) - started)


def main() -> None:
    print(f"{'store':<12} {'processes':>9} {'allocations/s':>14}")
    with tempfile.TemporaryDirectory() as folder:
        for processes in (1, 8):
            url = f"sqlite:///{Path(folder) / f'bench{processes}.sqlite'}"
            print(f"{'SQLite':<12} {processes:>9} {rate(url, processes):>14,.0f}")
    admin = create_engine(PG)
    for processes in (1, 8):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            url = f"{PG}{'&' if '?' in PG else '?'}options=-csearch_path%3D{schema}"
            print(f"{'PostgreSQL':<12} {processes:>9} {rate(url, processes):>14,.0f}")
        finally:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
