"""The portal under load: N users browsing a 10,000-entry archive for D seconds, SQLite and PostgreSQL.

Run: uv run python bench/bench_web_load.py [--users 20] [--seconds 60] [--entries 10000]
                                          [--think 0.5] [--db URL] [--sqlite-only]
Builds a store with `--entries` archive entries (real sealed files, a valid hash chain:
`tests/portal_store.py`), starts `xlbilling serve` on it in a process of its own on a free
loopback port, and lets `--users` virtual users (each its own login and session; finance,
auditor, billing and admin in turn) browse, search, sort, open entries and download
workbooks and seal records at once (`tests/web_load.py`). Prints, per store, requests,
errors and p50/p95/p99/max latency per route kind, and exits 1 on any error or when an
archive page kind's p95 is over 200 ms.

Stores: SQLite always; PostgreSQL on a fresh schema of `--db` or $XLBILLING_TEST_DATABASE_URL
when one is given (the files are shared: the archive is content-addressed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from portal_store import build_portal_store  # noqa: E402
from web_load import over_budget, pg_schema, run_load, serving, table  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between a user's requests (s; 0: none)")
    parser.add_argument("--db", default=os.environ.get("XLBILLING_TEST_DATABASE_URL"),
                        help="PostgreSQL URL (a fresh schema is made in it); default $XLBILLING_TEST_DATABASE_URL")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()

    runs, problems = {}, []
    with tempfile.TemporaryDirectory(prefix="xlbilling-load-") as tmp, \
            (pg_schema(args.db) if args.db and not args.sqlite_only else _none()) as pg:
        home = Path(tmp)
        stores = {"SQLite": f"sqlite:///{home / 'sqlite' / 'store.sqlite'}"} | ({"PostgreSQL": pg} if pg else {})
        for name, url in stores.items():
            started = time.perf_counter()
            store = build_portal_store(home / name.lower(), url, args.entries, args.users, archive=home / "archive")
            print(f"{name}: {args.entries} entries, {args.users} users built in {time.perf_counter() - started:.1f} s",
                  file=sys.stderr)
            with serving(store) as base:
                figures, errors = run_load(base, store, args.users, args.seconds, args.think)
            runs[name] = figures
            problems += [f"{name} {p}" for p in over_budget(figures)] + [f"{name} {e}" for e in errors]
    print(f"{args.users} users, {args.seconds:.0f} s, {args.entries} entries, think time {args.think} s, "
          f"{os.cpu_count()} cores")
    print(table(runs))
    for problem in problems:
        print("FAIL", problem)
    return 1 if problems else 0


class _none:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    sys.exit(main())
