"""The registry under load: 8 processes × 500 allocations, some killed mid-transaction."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from billing.store import numbers, open_store

WORKER = Path(__file__).with_name("registry_worker.py")
WORKERS, COUNT = 8, 500


def start(url: str, worker: int, sleep_ms: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(WORKER), url, str(worker), str(COUNT), str(sleep_ms)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_concurrent_allocation_with_kills_has_no_gap_and_no_duplicate(store_url):
    open_store(store_url).dispose()  # create the schema once, before the crowd arrives
    rng = random.Random(7)
    procs = {w: start(store_url, w, 1) for w in range(WORKERS)}
    kills = 0
    deadline = time.monotonic() + 240
    for victim in rng.sample(range(WORKERS), 3) * 2:  # three workers, each killed twice
        time.sleep(rng.uniform(0.3, 1.0))
        if procs[victim].poll() is None:
            procs[victim].send_signal(signal.SIGKILL)
            procs[victim].wait()
            kills += 1
            procs[victim] = start(store_url, victim, 1)  # restarted: it asks again from key 0
    for proc in procs.values():
        out, err = proc.communicate(timeout=max(1, deadline - time.monotonic()))
        assert proc.returncode == 0, err[-2000:]
    assert kills >= 3  # the kills really happened mid-run

    engine = open_store(store_url)
    with engine.connect() as conn:
        rows = conn.execute(select(numbers.c.number, numbers.c.seq, numbers.c.workbook_id,
                                   numbers.c.invoice_key)).all()
    seqs = sorted(r.seq for r in rows)
    assert len(rows) == WORKERS * COUNT
    assert seqs == list(range(1, WORKERS * COUNT + 1))  # no gap, no duplicate
    assert len({(r.workbook_id, r.invoice_key) for r in rows}) == WORKERS * COUNT
    recorded = {(r.workbook_id, r.invoice_key): r.number for r in rows}

    again = start(store_url, 3, 0)  # a rerun reproduces the same numbers, allocating nothing
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    answers = [line.split() for line in out.splitlines()]
    assert all(new == "False" for _, _, new in answers)
    assert {("w3", key): number for key, number, _ in answers} == {
        k: v for k, v in recorded.items() if k[0] == "w3"}
