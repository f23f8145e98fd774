"""A numbering client for the concurrency tests and the benchmark: N allocations, one per transaction.

    python tests/registry_worker.py URL WORKER COUNT [SLEEP_MS]

Asks for numbers for keys 0..COUNT-1 of workbook `w<WORKER>`, each in its own
transaction, printing one line per number. With SLEEP_MS the transaction waits that long
after taking the counter lock and before committing, so a kill lands mid-transaction.
Rerun after a kill, it asks again from key 0: the registry answers the keys it already
recorded with their numbers, and continues.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from billing.numbering import registry  # noqa: E402
from billing.store import open_store  # noqa: E402


def main(url: str, worker: str, count: int, sleep_ms: float = 0) -> None:
    if sleep_ms:
        assign_inside = registry._assign

        def slow(*args, **kwargs):
            result = assign_inside(*args, **kwargs)
            time.sleep(sleep_ms / 1000)  # still inside the transaction: the counter row is locked
            return result

        registry._assign = slow
    engine = open_store(url)
    for n in range(count):
        request = registry.Request(f"w{worker}", f"k{n}", "invoice", "C1", dt.date(2026, 10, 1), None, "EUR",
                                   "INV-{yyyy}-{seq:06d}", f"w{worker}/k{n}")
        (assignment,), _ = registry.assign(engine, [request], user=f"worker{worker}")
        print(assignment.invoice_key, assignment.number, assignment.new, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]) if len(sys.argv) > 4 else 0)
