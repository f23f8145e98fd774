"""Seal and verify of the 100k-invoice benchmark workbook, against one calamine read of it.

Run: uv run python bench/bench_seal.py [invoices] [repeats]
Works on a copy of the cached benchmark workbook (`bench/books.py`) in a temporary folder
with its own store, archive and key. Prints, best of `repeats` runs:

- the safety gate and the python-calamine read into tables (what `bench_validate` calls
  the read), and validation, which `xlbilling seal` runs first;
- seal: the canonical digest, each sheet protected and deflated, the record signed, the
  sealed file written, archived and indexed (the gate already ran in validation's read);
- verify: the gate, the digest, the signature and the archive lookup, of the intact
  sealed workbook and of one with a single changed cell (then with the cell-level diff);
- seal + verify against the read (the goal: at most 2x).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from books import big_book

from billing.sealing.archive import file_sha256
from billing.sealing.keys import init_key
from billing.workbook.safety import check_workbook_file
from billing.sealing.seal import seal_facts, seal_workbook
from billing.store import open_store
from billing.sealing.verify import verify_workbook
from billing.workbook.read import read_book
from validation import validate_book


def timed(work):
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def one_cell_changed(path: Path, dest: Path) -> Path:
    """A copy with one amount changed in the InvoiceLines sheet's XML (as a forger would)."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet5.xml":
                start = data.index(b'<c r="E2" s="')
                value = data.index(b"<v>", start) + 3
                data = data[:value] + b"9" + data[value:]
            out.writestr(info, data)
    return dest


def main(invoices: int = 100_000, repeats: int = 1) -> None:
    source = big_book(invoices)
    best: dict[str, float] = {}

    def keep(name: str, seconds: float) -> None:
        best[name] = min(seconds, best.get(name, seconds))

    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="bench-seal-") as folder:
            work = Path(folder)
            path = work / "book.xlsx"
            shutil.copyfile(source, path)
            engine = open_store(f"sqlite:///{work / 'store.db'}")
            signing_key, _ = init_key(work / "key.pem")
            keep("gate", timed(lambda: check_workbook_file(path))[0])
            validated = file_sha256(path)
            seconds, book = timed(lambda: read_book(path))
            keep("read", seconds - best["gate"])
            seconds, result = timed(lambda: validate_book(book))
            keep("validate", seconds)
            facts = seal_facts(result.tables, None)
            seconds, sealed = timed(lambda: seal_workbook(path, facts, engine=engine, archive_root=work / "archive",
                                                          signing_key=signing_key, validated_sha256=validated))
            keep("seal", seconds)
            sealed_size = sealed.path.stat().st_size
            seconds, report = timed(lambda: verify_workbook(path, signing_key.public, engine=engine,
                                                            archive_root=work / "archive"))
            assert report.intact, report.problems
            keep("verify", seconds)
            forged = one_cell_changed(path, work / "forged.xlsx")
            seconds, forged_report = timed(lambda: verify_workbook(forged, signing_key.public, engine=engine,
                                                                   archive_root=work / "archive"))
            assert forged_report.changed_cells == ["InvoiceLines!E2"], forged_report.changed_cells
            keep("verify forged", seconds)
            engine.dispose()
    rows = sum(len(t) for t in book)
    print(f"workbook: {source.name}, {source.stat().st_size / 1e6:.1f} MB, {rows:,} rows; "
          f"sealed: {sealed_size / 1e6:.1f} MB; best of {repeats}")
    print(f"safety gate:                 {best['gate']:6.2f} s")
    print(f"calamine read (the 1x):      {best['read']:6.2f} s")
    print(f"validation (seal runs it):   {best['validate']:6.2f} s")
    print(f"seal (digest, protect, sign, write, archive): {best['seal']:6.2f} s")
    print(f"verify, intact (gate, digest, signature, archive): {best['verify']:6.2f} s")
    print(f"verify, one cell forged (+ cell-level diff):  {best['verify forged']:6.2f} s  -> InvoiceLines!E2")
    total = best["seal"] + best["verify"]
    print(f"seal + verify: {total:6.2f} s = {total / best['read']:.1f}x the calamine read (goal <= 2x)")
    print(f"xlbilling seal end to end (gate, read, validate, seal): "
          f"{best['gate'] + best['read'] + best['validate'] + best['seal']:6.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, int(sys.argv[2]) if len(sys.argv) > 2 else 1)
