"""How the commands scale: 10k, 30k, 100k and 300k invoices, each command a fresh process.

Run: uv run python bench/bench_scaling.py [--quick] [--only STEP,STEP] [invoices ...]
(default 10000 30000 100000 300000; `--quick`: 10000 30000; `--only seal,verify`: measure
just these steps, running the steps they need first — the close before the seal — untimed).

For each size, as a user runs them, each `xlbilling` command in a new process in a temporary
folder with its own store (SQLite), archive and signing key:

- `new --sample N` — the generator's natural mix of lines and payments, written as the file
  a user gets (timed on its own: its book is not the one the other commands use);
- `validate`, `close --as-of`, `seal`, `verify` — on the benchmark book of `bench/books.py`:
  N invoices with exactly 3 lines and 1 payment each (100k: 300k lines, 100k payments;
  300k: 900k lines, near Excel's 1,048,576-row limit); close on a copy, seal and verify of
  the closed copy.

Printed: wall seconds, processor seconds (user + system) and peak resident memory of each
command (the child's own, from `os.wait4`), time per invoice, and the ratio of the largest
size's time per invoice to 30k's (goal: at most 1.2, cost growing no worse than linearly) —
of processor time, which, on a machine other work shares, does not count the waits for a core
that wall time does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from book_apart import big_book_made_apart

AS_OF = "2026-10-31"
SIZES = (10_000, 30_000, 100_000, 300_000)
QUICK = (10_000, 30_000)
STEPS = ("new --sample", "validate", "close", "seal", "verify")
BASE = 30_000  # the size per-invoice times are compared with


class Cost(NamedTuple):
    """What one command took."""

    wall: float  # seconds
    cpu: float  # processor seconds, user + system
    peak: int  # resident bytes at most


def run(argv: list[str], env: dict[str, str], cwd: Path) -> Cost:
    """Wall and processor seconds and peak resident bytes of one command in its own process;
    stops on failure."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage, not all children's
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv[2:])} failed ({process.returncode}):\n{error[-2000:]}")
    return Cost(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024)  # Linux: kilobytes


#: what a step works on: the steps before it that must have run
NEEDS = {"seal": ("close",), "verify": ("close", "seal")}


def measure(invoices: int, only: tuple[str, ...] = STEPS) -> dict[str, Cost]:
    """The cost of each step of `only` on `invoices` invoices."""
    book = big_book_made_apart(invoices)
    cli = [sys.executable, "-m", "billing"]
    with tempfile.TemporaryDirectory(prefix="bench-scaling-") as folder:
        tmp = Path(folder)
        env = os.environ | {"XLBILLING_DATABASE_URL": f"sqlite:///{tmp / 'store.sqlite'}",
                            "XLBILLING_ARCHIVE_DIR": str(tmp / "archive"),
                            "XLBILLING_KEY_FILE": str(tmp / "signing-key.pem")}
        subprocess.run(cli + ["keys", "init"], env=env, cwd=tmp, check=True, capture_output=True)
        work = tmp / "book.xlsx"
        shutil.copyfile(book, work)
        steps = {
            "new --sample": cli + ["new", "--sample", str(invoices), "--seed", "1", str(tmp / "new.xlsx")],
            "validate": cli + ["validate", str(work)],
            "close": cli + ["close", str(work), "--as-of", AS_OF],
            "seal": cli + ["seal", str(work), "--sealer", "bench"],
            "verify": cli + ["verify", str(work)],
        }
        results = {}
        needed = {need for step in only for need in NEEDS.get(step, ())}
        for name in STEPS:
            if name not in only:
                if name in needed:
                    run(steps[name], env, tmp)
                continue
            results[name] = run(steps[name], env, tmp)
            cost = results[name]
            print(f"  {invoices:>7,} {name:<13} {cost.wall:7.1f} s wall {cost.cpu:7.1f} s cpu "
                  f"{cost.peak / 2**20:7.0f} MiB", flush=True)
        return results


def table(results: dict[int, dict[str, Cost]]) -> str:
    """The Markdown table: per step and size, wall and processor time, peak memory and
    processor µs per invoice; the per-invoice ratio of processor time."""
    sizes = sorted(results)
    head = "| step | " + " | ".join(f"{n:,} invoices" for n in sizes) + " |"
    largest = sizes[-1]
    ratio = BASE in results and largest > BASE
    if ratio:
        head += f" {largest:,} / {BASE:,}, cpu per invoice |"
    lines = [head, "|---" * (len(sizes) + 1 + ratio) + "|"]
    for step in (s for s in STEPS if s in results[largest]):
        cells = []
        for n in sizes:
            cost = results[n][step]
            cells.append(f"{cost.wall:.1f} s ({cost.cpu:.1f} s cpu, {cost.cpu / n * 1e6:.0f} µs/inv), "
                         f"{cost.peak / 2**20:,.0f} MiB")
        row = f"| `{step}` | " + " | ".join(cells) + " |"
        if ratio:
            row += f" {(results[largest][step].cpu / largest) / (results[BASE][step].cpu / BASE):.2f} |"
        lines.append(row)
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    sizes = QUICK if "--quick" in argv else tuple(int(a) for a in argv if a.isdigit()) or SIZES
    only = tuple(argv[argv.index("--only") + 1].split(",")) if "--only" in argv else STEPS
    if not set(only) <= set(STEPS):
        raise SystemExit(f"--only takes steps of {', '.join(STEPS)}")
    results = {}
    for invoices in sizes:
        print(f"{invoices:,} invoices (book: {big_book_made_apart(invoices).name})", flush=True)
        results[invoices] = measure(invoices, only)
        print(table(results), flush=True)  # after each size: a long run still leaves figures
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main(sys.argv[1:])
