"""`xlbilling issue` killed (SIGKILL) at chosen points, then run again.

Each kill lands at a deterministic call (`tests/kill_runner.py` wraps one function in the
child process). After the kill the workbook is the original bytes or the complete new
workbook, never half of one, and `xlbilling archive check` passes; the rerun completes
the work: every document issued exactly once in the store, the bytes of a clean run,
the same files in the documents folder and the archive, the Documents sheet complete."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import create_engine, text

from tests.test_issue import ROOT, closed, files_below  # noqa: F401 (closed: the sample workbook fixture)

RUNNER = Path(__file__).resolve().with_name("kill_runner.py")


def env_for(folder: Path) -> dict[str, str]:
    """A store and an archive of the run's own."""
    env = {k: v for k, v in os.environ.items() if k != "XLBILLING_DEBUG"}
    return {**env, "XLBILLING_DATABASE_URL": f"sqlite:///{folder / 'store.db'}",
            "XLBILLING_ARCHIVE_DIR": str(folder / "archive")}


def xlbilling(env, *args: str, kill: tuple[str, str, int, str] | None = None) -> subprocess.CompletedProcess:
    head = [str(RUNNER), *map(str, kill), "--"] if kill else ["-m", "billing"]
    return subprocess.run([sys.executable, *head, *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300)


def issue(env, book: Path, out: Path, kill=None) -> subprocess.CompletedProcess:
    # PDF only: it needs no rules files, so this runs on a clone without ../shared
    return xlbilling(env, "issue", str(book), "--format", "pdf", "--out", str(out), "--json", kill=kill)


def documents_rows(book: Path) -> list[tuple] | None:
    wb = openpyxl.load_workbook(book, read_only=True)
    if "Documents" not in wb.sheetnames:
        return None
    return [tuple(row) for row in wb["Documents"].iter_rows(values_only=True)]


def store_rows(env) -> list[tuple]:
    engine = create_engine(env["XLBILLING_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT invoice_no, format, file_name, sha256 FROM issued_documents ORDER BY seq"))]
    finally:
        engine.dispose()


def archive_check(env) -> tuple[int, list[dict]]:
    done = xlbilling(env, "archive", "check", "--json")
    return done.returncode, json.loads(done.stdout)["findings"]


@pytest.fixture(scope="module")
def clean(closed, tmp_path_factory):
    """A clean run on a copy of the sample: its documents folder, archive, store and sheet."""
    folder = tmp_path_factory.mktemp("clean")
    book = Path(shutil.copy(closed, folder / "book.xlsx"))
    env = env_for(folder)
    done = issue(env, book, folder / "out")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["issued"]) >= 8
    return {"files": files_below(folder / "out"), "archive": files_below(folder / "archive"),
            "store": store_rows(env), "sheet": documents_rows(book)}


#: where the run is killed: (function, before/after, which call, counting only calls that mention)
KILLS = {
    "the documents archived and recorded": ("billing.sealing.issued:archive_documents", "after", 1, "-"),
    "documents archived, not yet recorded": ("billing.sealing.issued:store_file", "after", 2, "-"),
    "every file archived, the batch not yet recorded": ("billing.sealing.issued:append_chained_many", "before", 1,
                                                        "-"),
    "a document moved into place, not archived": ("os:replace", "after", 2, ".xlbilling-issue-"),
    "all archived, before the workbook is written": ("billing.workbook.write:apply_changes", "before", 1, "-"),
    "the workbook half written": ("billing.workbook.zipout:ZipOut._write", "before", 5, "-"),
    "the workbook written, not yet in place": ("os:replace", "before", 1, "book.xlsx"),
}


@pytest.mark.parametrize("where", list(KILLS))
def test_killed_issue_then_rerun_is_a_clean_run(where, closed, clean, tmp_path):
    book = Path(shutil.copy(closed, tmp_path / "book.xlsx"))
    original = book.read_bytes()
    env, out = env_for(tmp_path), tmp_path / "out"
    killed = issue(env, book, out, kill=KILLS[where])
    assert killed.returncode == -9, (killed.returncode, killed.stderr)
    # the workbook: the original bytes, or the whole new one
    if book.read_bytes() != original:
        assert documents_rows(book) == clean["sheet"]
    code, findings = archive_check(env)
    assert code == 0, findings
    if "not yet recorded" in where:  # files archived (a few at a time): the rerun records them, warnings until then
        assert findings and all((f["severity"], f["kind"]) == ("warning", "unindexed_file") for f in findings)
        assert all("issuing its workbook again records it" in f["message"] for f in findings)
    else:
        assert findings == []
    # the rerun finishes the work
    again = issue(env, book, out)
    assert again.returncode == 0, again.stderr
    rows = store_rows(env)
    assert rows == clean["store"] and len({(r[0], r[1]) for r in rows}) == len(rows)
    assert files_below(out) == clean["files"]
    # a kill while files were being copied (a few at a time) can leave their temporary copies
    # (`.<name>.<random>.tmp`): never read, never indexed, reported by nothing — the README says so
    archived = {name: digest for name, digest in files_below(tmp_path / "archive").items()
                if not Path(name).name.endswith(".tmp")}
    assert archived == clean["archive"]
    assert documents_rows(book) == clean["sheet"]
    assert archive_check(env) == (0, [])
