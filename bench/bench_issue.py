"""Issue 1,000 invoices as PDF + Factur-X + UBL, every XML checked by the official rules, on all cores.

    uv run python bench/bench_issue.py [--invoices 1000] [--workers 2]

One run, side by side, on the same closed sample workbook (`xlbilling new --sample N`, then
`close`), the same documents and the same process pool (`spawn`, `rules.warm` in each
worker's initializer):

* end to end: `billing.pipeline.issue.issue` — particulars, three documents per invoice made
  and checked on the pool, written, archived, recorded in the store, the Documents sheet;
* validation alone: the UBL and the Factur-X CII made and checked (EN 16931 UBL, Factur-X
  EN 16931), nothing drawn;
* rendering alone: the PDF and the Factur-X PDF drawn (one drawing for both, as `issue`
  makes them), nothing checked.

Memory: the end-to-end run is repeated in a fresh process for a quarter of the invoices and
for all of them; the peak resident size (ru_maxrss of the process and of its largest
worker) should not grow with the number of invoices (the documents go to staging files, not
memory).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FORMATS = ("pdf", "facturx", "ubl")


def closed_sample(folder: Path, invoices: int) -> Path:
    """A sample workbook of `invoices` invoices, numbered and closed with its own store."""
    book = folder / f"sample-{invoices}.xlsx"
    env = {**os.environ, "XLBILLING_DATABASE_URL": f"sqlite:///{folder / f'numbers-{invoices}.db'}"}
    for args in (["new", str(book), "--sample", str(invoices)],
                 ["close", str(book), "--as-of", "2026-12-31", "--json"]):
        subprocess.run([sys.executable, "-m", "billing", *args], check=True, capture_output=True, cwd=ROOT, env=env)
    return book


def prepared(book: Path):
    from billing.pipeline import checked
    from billing.pipeline.steps import compute_step
    from billing.workbook.read import read_book

    read = read_book(book)
    step = compute_step(read, checked(read).tables)
    return read, step


def validate_only(job) -> int:
    """A worker: the UBL and the Factur-X CII of one invoice, made and checked; the failures."""
    from billing.documents import rules
    from billing.documents.cii import cii_bytes
    from billing.pipeline.issue import make

    failures = make(job.document, "ubl", job.rules_dir, check=True)[1]
    failures += [f for f in rules.check(cii_bytes(job.document, "facturx"), "cii", ("facturx",)) if f.fatal]
    return len(failures)


def render_only(job) -> int:
    """A worker: the PDF and the Factur-X PDF of one invoice, without any check, as `issue` makes
    them (one drawing for both); bytes."""
    from billing.documents.cii import cii_bytes
    from billing.documents.facturx import render_pdf_and_facturx

    return sum(map(len, render_pdf_and_facturx(job.document, cii_bytes(job.document, "facturx"))))


def pooled(fn, jobs, workers: int) -> float:
    """Seconds to map `fn` over `jobs` on a warmed pool (the pool's start and warm-up not counted)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from billing.pipeline.issue import rule_needs, warm_worker

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=warm_worker, initargs=(rule_needs(FORMATS), None)) as pool:
        list(pool.map(abs, range(workers * 4)))  # every worker started and warmed
        start = time.perf_counter()
        results = list(pool.map(fn, jobs, chunksize=8))
        seconds = time.perf_counter() - start
    assert not any(r < 0 for r in results)
    return seconds


def end_to_end(book: Path, folder: Path, workers: int) -> dict:
    """`issue` on a prepared workbook with a fresh store, archive and out folder."""
    from billing.pipeline.issue import IssueOptions, issue
    from billing.store import open_store

    read, step = prepared(book)
    engine = open_store(f"sqlite:///{folder / 'issued.db'}")
    start = time.perf_counter()
    result = issue(read, step.tables, step.computed, engine, folder / "archive",
                   IssueOptions(folder / "out", formats=FORMATS, workers=workers))
    seconds = time.perf_counter() - start
    assert result.ok, [r.as_dict() for r in result.refused[:5]]
    invoices = len({p.invoice_no for p in result.issued})
    return {"invoices": invoices, "documents": len(result.issued), "seconds": round(seconds, 2),
            "invoices_per_s": round(invoices / seconds, 1),
            "maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "worker_maxrss_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--end-to-end-only", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.end_to_end_only:  # the memory run, in a process of its own
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(end_to_end(args.end_to_end_only, Path(tmp), args.workers)))
        return

    from billing.invoicing.document import document_of
    from billing.pipeline.issue import Job
    from validation.particulars import issued_numbers

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        book = closed_sample(folder, args.invoices)
        quarter = closed_sample(folder, args.invoices // 4)
        print(f"sample workbooks made and closed in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        read, step = prepared(book)
        documents = [document_of(step.tables, step.computed, n) for n in issued_numbers(step.tables)]
        jobs = [Job(d, "facturx", "", None, None) for d in documents]
        n = len(documents)
        validation = pooled(validate_only, jobs, args.workers)
        rendering = pooled(render_only, jobs, args.workers)
        runs = {}
        for label, path in (("quarter", quarter), ("all", book)):
            done = subprocess.run([sys.executable, __file__, "--end-to-end-only", str(path), "--workers",
                                   str(args.workers)], check=True, capture_output=True, text=True, cwd=ROOT)
            runs[label] = json.loads(done.stdout.strip().splitlines()[-1])
        report = {
            "invoices": n, "workers": args.workers, "formats": list(FORMATS),
            "end_to_end": runs["all"],
            "validation_alone": {"seconds": round(validation, 2), "invoices_per_s": round(n / validation, 1),
                                 "ms_per_invoice_per_core": round(1000 * validation * args.workers / n, 1)},
            "rendering_alone": {"seconds": round(rendering, 2), "invoices_per_s": round(n / rendering, 1),
                                "ms_per_invoice_per_core": round(1000 * rendering * args.workers / n, 1)},
            "memory": {f"{runs['quarter']['invoices']} invoices": [runs["quarter"]["maxrss_mib"],
                                                                   runs["quarter"]["worker_maxrss_mib"]],
                       f"{runs['all']['invoices']} invoices": [runs["all"]["maxrss_mib"],
                                                               runs["all"]["worker_maxrss_mib"]],
                       "unit": "MiB peak resident: [main process, largest worker]"},
        }
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
