"""Seal and verify of the closed benchmark workbook, end to end from the command line, against
one python-calamine read of it — all measured side by side in one run.

Run: uv run python bench/bench_seal.py [invoices] [repeats]     (default: 100000 1)

The workbook: the benchmark book of `bench/books.py`, closed once with `xlbilling close` and
cached beside it (`closed-<the book's name>`). Each run works on copies in a temporary folder with its own
store, archive and signing key. Printed, best of `repeats`:

- one read (the 1x): python-calamine reading every sheet of the closed workbook into rows;
- `xlbilling seal` end to end (a child process: imports, the safety gate, read, validation
  with the computed totals checked, then the seal: canonical digest, each sheet protected,
  the record signed, the sealed file written, archived, indexed);
- the sealing core in this process after validation (`seal_workbook`), as `xlbilling seal`
  runs it — its canonical reading started in a forked process beside validation — and alone,
  with all of its reading after validation (what one core gives);
- `xlbilling verify` end to end of the intact sealed workbook (a child process): its parts
  are the sealed parts, so the record's parts digest vouches for its content;
- `xlbilling verify` of the same parts in another zip container, one part with a byte of
  whitespace more (what saving again without a change does): the content is read again;
- `xlbilling verify` of a copy with one cell changed (then with the cell-level diff);
- and the ratios of the goals of issue 21: seal + verify <= 3x the read, sealing core +
  verify <= 2x, verify of an intact workbook <= 1.2x.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from books import big_book

AS_OF = "2026-10-31"


def timed(work):
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def command(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "billing", *args], env=env, capture_output=True, text=True)


def closed_book(invoices: int) -> Path:
    """The closed benchmark workbook (made and closed once, then cached)."""
    book = big_book(invoices)
    path = book.with_name(f"closed-{book.name}")  # the book's name holds its size, shape and source digest
    if path.exists():
        return path
    with tempfile.TemporaryDirectory(prefix="bench-seal-close-") as folder:
        work = Path(folder) / "book.xlsx"
        shutil.copyfile(book, work)
        done = command("close", str(work), "--as-of", AS_OF, "--db", f"sqlite:///{folder}/store.db", "--json",
                       env=os.environ.copy())
        if done.returncode != 0:
            raise SystemExit(f"the close of {book.name} failed:\n{done.stdout[:2000]}{done.stderr[-2000:]}")
        shutil.copyfile(work, path)
    return path


def calamine_read(path: Path) -> int:
    """Every sheet read into rows of Python values: the 1x."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    return sum(len(book.get_sheet_by_name(name).to_python()) for name in book.sheet_names)


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


def rezipped(path: Path, dest: Path) -> Path:
    """The same parts in another zip container (as a program that saves without changing
    anything might write them): verify cannot take the parts shortcut and reads the content."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info in src.infolist():
            out.writestr(info.filename, src.read(info.filename) + (b" " if info.filename == "xl/workbook.xml" else b""))
    return dest


def core_seal(path: Path, work: Path) -> tuple[float, float]:
    """`xlbilling seal`'s work in this process, as the command does it: the canonical reading
    started in a forked process (`PreReading`), validation here, then `seal_workbook`.
    (seconds from the end of validation to the sealed file, the same alone: no pre-reading)."""
    from billing.pipeline import checked
    from billing.sealing.archive import file_sha256
    from billing.sealing.keys import init_key
    from billing.sealing.seal import PreReading, seal_facts, seal_workbook
    from billing.store import open_store
    from billing.workbook.read import read_book

    engine = open_store(f"sqlite:///{work / 'core.db'}")
    signing_key, _ = init_key(work / "core-key.pem")
    copy = work / "core-alone.xlsx"
    shutil.copyfile(path, copy)
    seconds = []
    for target, early in ((path, True), (copy, False)):
        pre_reading = PreReading.start(target) if early else None
        validated = file_sha256(target)
        valid = checked(read_book(target), check_computed=True)
        assert valid.valid, valid.validation.errors[:3]
        facts = seal_facts(valid.tables, None)
        del valid
        took, _ = timed(lambda: seal_workbook(target, facts, engine=engine, archive_root=work / "core-archive",
                                              signing_key=signing_key, validated_sha256=validated,
                                              pre_reading=pre_reading))
        seconds.append(took)
    engine.dispose()
    return seconds[0], seconds[1]


def main(invoices: int = 100_000, repeats: int = 1) -> None:
    source = closed_book(invoices)
    best: dict[str, float] = {}

    def keep(name: str, seconds: float) -> None:
        best[name] = min(seconds, best.get(name, seconds))

    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="bench-seal-") as folder:
            work = Path(folder)
            env = {**os.environ, "XLBILLING_KEY_FILE": str(work / "key.pem")}
            store = ["--db", f"sqlite:///{work / 'store.db'}", "--archive", str(work / "archive")]
            path = work / "book.xlsx"
            shutil.copyfile(source, path)
            seconds, rows = timed(lambda: calamine_read(path))
            keep("read", seconds)
            seconds, done = timed(lambda: command("seal", str(path), *store, "--json", env=env))
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
            keep("seal", seconds)
            seconds, done = timed(lambda: command("verify", str(path), *store, "--json", env=env))
            assert done.returncode == 0 and '"intact": true' in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
            keep("verify", seconds)
            assert '"checked": "parts"' in done.stdout
            resaved = rezipped(path, work / "resaved.xlsx")
            seconds, done = timed(lambda: command("verify", str(resaved), *store, "--json", env=env))
            assert done.returncode == 0 and '"checked": "content"' in done.stdout, done.stdout[-2000:]
            keep("verify resaved", seconds)
            forged = one_cell_changed(path, work / "forged.xlsx")
            seconds, done = timed(lambda: command("verify", str(forged), *store, "--json", env=env))
            assert done.returncode == 1 and '"InvoiceLines!E2"' in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
            keep("verify forged", seconds)
            core = work / "core.xlsx"
            shutil.copyfile(source, core)
            after_validation, alone = core_seal(core, work)
            keep("core", after_validation)
            keep("core alone", alone)
            sealed_size = path.stat().st_size
    read, seal, verify, core = best["read"], best["seal"], best["verify"], best["core"]
    print(f"closed workbook: {source.name}, {source.stat().st_size / 1e6:.1f} MB, {rows:,} rows; "
          f"sealed: {sealed_size / 1e6:.1f} MB; best of {repeats}")
    print(f"  one read (python-calamine, every sheet):       {read:6.2f} s   (1x)")
    print(f"  xlbilling seal, end to end (validates first):   {seal:6.2f} s")
    print(f"    the sealing core after validation (its reading began beside validation): {core:6.2f} s")
    print(f"    the sealing core alone (all its reading after validation): {best['core alone']:6.2f} s   = "
          f"{best['core alone'] / read:.2f}x read")
    print(f"  xlbilling verify, intact, end to end:           {verify:6.2f} s   = {verify / read:.2f}x read "
          f"(goal <= 1.2x)")
    print(f"  xlbilling verify, intact, saved again (content read again): {best['verify resaved']:6.2f} s   = "
          f"{best['verify resaved'] / read:.2f}x read")
    print(f"  xlbilling verify, one cell forged (+ diff):     {best['verify forged']:6.2f} s   -> InvoiceLines!E2")
    print(f"  seal + verify, end to end:                      {seal + verify:6.2f} s   = {(seal + verify) / read:.2f}x "
          f"read (goal <= 3x)")
    print(f"  sealing core + verify:                          {core + verify:6.2f} s   = {(core + verify) / read:.2f}x "
          f"read (goal <= 2x); with the core alone {(best['core alone'] + verify) / read:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, int(sys.argv[2]) if len(sys.argv) > 2 else 1)
