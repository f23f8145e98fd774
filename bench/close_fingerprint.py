"""The close's written workbook as one digest per zip member, to prove a change of the
close's code leaves its output byte for byte the same.

Run: python bench/close_fingerprint.py BOOK [BOOK ...] > digests.txt
Each book is copied, closed (`--as-of 2026-10-31`, a fresh numbering store) and every
member of the result is hashed. The one value that differs from run to run — the Close
sheet's `closed_at_utc` — is masked first. Run it with the old code and the new
(`PYTHONPATH=<old checkout> python bench/close_fingerprint.py ...`) and `diff` the two.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

_CLOSED_AT = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")


def fingerprint(book: Path) -> list[str]:
    from billing.contract import ALLOCATIONS
    from billing.pipeline.close import CloseOptions, close
    from billing.store import open_store
    from billing.workbook.read import read_book
    from billing.workbook.write import apply_changes

    work = Path(tempfile.mkdtemp(prefix="close-fp-"))
    try:
        copy = work / book.name
        shutil.copy(book, copy)
        result = close(read_book(copy, optional=(ALLOCATIONS,)), open_store(f"sqlite:///{work}/store.db"),
                       CloseOptions(dt.date(2026, 10, 31)))
        apply_changes(copy, result.changes)
        lines = [f"{book.name} ok={result.ok} updates={sum(1 for _ in _cells(result.changes.updates))}"]
        with zipfile.ZipFile(copy) as z:
            for info in sorted(z.infolist(), key=lambda i: i.filename):
                data = _CLOSED_AT.sub(b"CLOSED_AT", z.read(info))
                lines.append(f"{hashlib.sha256(data).hexdigest()[:16]} {len(data):>10} {info.filename}")
        return lines
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _cells(updates):
    """Each written cell, whatever record the updates use."""
    for u in updates:
        values = getattr(u, "values", None)
        yield from (values if values is not None else (u.value,))


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print("\n".join(fingerprint(Path(arg))), flush=True)
