"""The real-world spreadsheets of ../shared/testdata/real-world, as they are and with their
first sheets renamed to the billing sheets, for the test that feeds them to every command.

    from realworld import REAL_WORLD, real_world_files, renamed_copy
    for path in real_world_files(): ...                     # skips visibly without ../shared
    renamed_copy(path, tmp_path / "renamed.xlsx")            # first sheets: Invoices, Payments, ...

Renaming rewrites only the `name` attributes of `<sheet>` elements in `xl/workbook.xml` (every
other member is copied byte for byte), so the readers go deeper into each file than its own
sheet names would let them. Run as a script, it is the worker `test_realworld` runs in a child
process (a crash in a native reader must not take pytest with it):

    python tests/realworld.py COMMAND[,COMMAND...] FILE...   # one JSON line per file, variant and command
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from xlsx_edit import rewrite_parts  # noqa: E402
from shared_data import shared_set  # noqa: E402

REAL_WORLD = shared_set("real-world")
#: The order the first sheets of a file are renamed in: the sheets that hold the most rules first.
BILLING_SHEETS = ("Invoices", "Payments", "Customers", "InvoiceLines", "TaxRates", "Settings", "Allocations")
_SHEET_NAME = re.compile(rb"""(<(?:[\w.-]+:)?sheet\b[^>]*?\bname\s*=\s*)(["'])(.*?)\2""", re.S)


def real_world_files() -> list[Path]:
    """Every .xlsx/.xlsm of the shared real-world set; skips the test (visibly) without it."""
    if not REAL_WORLD.is_dir():
        pytest.skip(f"real-world spreadsheets not found: {REAL_WORLD}")
    return sorted(p for p in REAL_WORLD.rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm") and p.is_file())


def renamed_copy(src: Path, dst: Path, names: tuple[str, ...] = BILLING_SHEETS) -> Path | None:
    """A copy of `src` whose first sheets are called `names`; None when the file has no
    readable `xl/workbook.xml` to rename in (it is then tested as it is only)."""
    try:
        with zipfile.ZipFile(src) as archive:
            if "xl/workbook.xml" not in archive.NameToInfo:
                return None
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    wanted = iter(names)

    def rename(xml: bytes) -> bytes:
        def one(m: re.Match) -> bytes:
            name = next(wanted, None)
            return m.group(0) if name is None else m.group(1) + m.group(2) + name.encode() + m.group(2)
        return _SHEET_NAME.sub(one, xml)

    try:
        return rewrite_parts(src, dst, {"xl/workbook.xml": rename})
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
        return None


def _run_one(command: list[str]) -> tuple[int, str, str]:
    import contextlib
    import io

    from billing.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(command)
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 2
        except BaseException as exc:  # noqa: BLE001 - a traceback is what the test looks for
            import traceback

            traceback.print_exc(file=err)
            code = -1
            del exc
    return code, out.getvalue(), err.getvalue()


#: Every command, in the order a user runs them, on the same copy: later ones see what earlier ones wrote.
COMMANDS = ("validate", "compute", "number", "match", "aging --as-of 2026-10-31", "close --as-of 2026-10-31", "issue",
            "remind --as-of 2026-10-31", "send --dry-run", "seal", "verify")
#: Commands that must leave the file byte for byte as it was.
READ_ONLY = ("validate", "verify")


def worker(commands: list[str], files: list[str]) -> None:
    """Run `commands` one after the other on a private copy of each file, as it is and
    renamed; one JSON line per file, variant and command (with whether the file changed)."""
    import hashlib
    import shutil

    _run_one(["keys", "init"])  # seal and verify need the (test's private) signing key
    with tempfile.TemporaryDirectory() as folder:
        for n, name in enumerate(files):
            path = Path(name)
            as_is = Path(folder) / f"{n}-as-is{path.suffix}"
            shutil.copyfile(path, as_is)  # never write beside the shared originals
            variants = [("as is", as_is)]
            renamed = renamed_copy(path, Path(folder) / f"{n}-renamed{path.suffix}")
            if renamed is not None:
                variants.append(("renamed", renamed))
            for variant, target in variants:
                for command in commands:
                    words = command.split()
                    before = hashlib.sha256(target.read_bytes()).hexdigest()
                    started = time.perf_counter()
                    code, out, errors = _run_one([words[0], str(target), *words[1:]])
                    changed = hashlib.sha256(target.read_bytes()).hexdigest() != before
                    print(json.dumps({"file": name, "variant": variant, "command": words[0], "code": code,
                                      "changed": changed, "stdout": out[-2000:], "stderr": errors[-4000:],
                                      "seconds": round(time.perf_counter() - started, 2)}), flush=True)


if __name__ == "__main__":
    worker(sys.argv[1].split(","), sys.argv[2:])
