"""One job per sheet, spread over processes when the book is big enough to be worth it.

Reading a sheet's cells is Python work (the GIL allows one thread at a time), so a big
workbook's sheets are shared out to forked worker processes, each reading its sheets from
the file itself, while the parent takes its share. The job function and its
state are not sent to the workers: they are inherited by `fork`, which is why this only
runs in parallel where `fork` is the way processes start (Linux); elsewhere, and for small
books, the jobs run one after the other in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import zipfile
from typing import Callable, NamedTuple, Sequence

from billing.config import ENV_WORKERS, workers  # noqa: F401 (ENV_WORKERS: for the tests)
from billing.errors import BadFile

#: below this many bytes of sheet XML a process costs more than it saves
PARALLEL_MIN_BYTES = 8 << 20


class Job(NamedTuple):
    """One sheet to work on."""

    name: str
    part: str
    size: int  # bytes of XML, for sharing the jobs out evenly


_inherited: tuple | None = None  # (path, work, jobs, counter) for the forked workers


def workers_for(jobs: Sequence[Job], most: int | None = None) -> int:
    """How many processes to use: 1 (this one) unless the book is big and `fork` is at hand;
    at most `most`, else `XLBILLING_WORKERS`, else the cores up to 4."""
    limit = most or workers() or min(os.cpu_count() or 1, 4)
    if not sys.platform.startswith("linux") or sum(j.size for j in jobs) < PARALLEL_MIN_BYTES:
        return 1
    return max(1, min(limit, sum(1 for j in jobs if j.size >= PARALLEL_MIN_BYTES // 8)))


def run_jobs(path: str, jobs: Sequence[Job], work: Callable[[Job, bytes], object],
             read: Callable[[str], bytes], most: int | None = None) -> list[object]:
    """`work(job, xml)` for every job, results in the jobs' order. `read(part)` gives this
    process's XML; workers read theirs from the file at `path`.

    The biggest jobs go first and each process takes the next job when it is free (a shared
    counter), so a sheet with many distinct values does not leave the others waiting."""
    workers = workers_for(jobs, most)
    if workers <= 1:
        return [work(job, read(job.part)) for job in jobs]
    global _inherited
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i].size)
    context = multiprocessing.get_context("fork")
    counter = context.Value("i", 0)
    results: list[object] = [None] * len(jobs)
    _inherited = (path, work, [jobs[i] for i in order], counter)
    try:
        with context.Pool(workers - 1, initializer=_default_signals) as pool:
            pending = [pool.apply_async(_worker) for _ in range(workers - 1)]
            for index, result in _take_jobs(_inherited[2], counter, work, read):
                results[order[index]] = result
            for outcome in pending:
                for index, result in outcome.get():
                    results[order[index]] = result
    finally:
        _inherited = None
    return results


def _default_signals() -> None:
    """A worker ends on SIGTERM, whatever its parent made of that signal: the pool ends its
    workers with SIGTERM when it closes, and a parent such as the portal's server (uvicorn
    catches SIGTERM to shut down gracefully) would otherwise hand its handler down to the
    fork, whose worker then never ends and the pool's close waits for it forever."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _take_jobs(jobs: list[Job], counter, work, read) -> list[tuple[int, object]]:
    done = []
    while True:
        with counter.get_lock():
            index = counter.value
            counter.value += 1
        if index >= len(jobs):
            return done
        done.append((index, work(jobs[index], read(jobs[index].part))))


def _worker() -> list[tuple[int, object]]:
    path, work, jobs, counter = _inherited
    try:
        with zipfile.ZipFile(path) as archive:
            return _take_jobs(jobs, counter, work, archive.read)
    except BadFile:
        raise
    except (OSError, zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise BadFile(f"damaged workbook: {exc}") from None
