"""One writer at a time (`billing.workbook.lock`): other runs, spreadsheet programs that have
the workbook open, read-only files, leftovers of killed runs, a full disk."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from billing.errors import BadFile
from billing.workbook.lock import WorkbookBusy, hold_for_writing, lock_file, owner_files
from builders import base_sheets, write_book
from test_cli import ROOT, run


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def book(tmp_path):
    return write_book(tmp_path / "book.xlsx", base_sheets())


def statement(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """A bank CSV export (the contract's column names): (value_date, amount, reference) rows."""
    lines = ["value_date,amount,currency,payer_name,payer_iban,reference_text"]
    lines += [f"{day},{amount},EUR,Payer,,{text}" for day, amount, text in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def payment_count(path: Path) -> int:
    rows = openpyxl.load_workbook(path)["Payments"].iter_rows(min_row=2, values_only=True)
    return sum(1 for r in rows if r[0])


def excel_owner_file(user: str) -> bytes:
    """An owner file as Office writes it: length byte + ANSI name padded to 54, then length + UTF-16 name."""
    ansi = user.encode("cp1252")
    wide = user.encode("utf-16-le")
    data = bytes([len(ansi)]) + ansi.ljust(54, b" ") + len(user).to_bytes(2, "little") + wide
    return data.ljust(165, b" ")


def test_a_second_run_is_refused_naming_the_holder(book):
    before = digest(book)
    with hold_for_writing(book, command="close"):
        result = run("compute", str(book))
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "book.xlsx is being changed by xlbilling close by" in line and f"process {os.getpid()}" in line
    assert "--wait" in line
    assert digest(book) == before
    assert not lock_file(book).exists()  # released and removed


def test_wait_waits_until_the_holder_is_done(book):
    with hold_for_writing(book, command="close"):
        waiter = subprocess.Popen([sys.executable, "-m", "billing", "compute", str(book), "--wait"], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert waiter.poll() is None  # still waiting
    out, err = waiter.communicate(timeout=120)
    assert waiter.returncode == 0, err
    assert "waiting: book.xlsx is being changed by xlbilling close" in err


def test_two_imports_at_once_lose_nothing(book, tmp_path):
    first = statement(tmp_path / "a.csv", [("2026-10-20", f"{10 + i}.00", f"A{i}") for i in range(5)])
    second = statement(tmp_path / "b.csv", [("2026-10-21", f"{20 + i}.00", f"B{i}") for i in range(7)])
    runs = [subprocess.Popen([sys.executable, "-m", "billing", "match", str(book), "--statement", str(s), "--wait",
                              "--json"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for s in (first, second)]
    results = [(r.wait(timeout=300), r.communicate()) for r in runs]
    assert [code for code, _ in results] == [0, 0], [e for _, (_, e) in results]
    assert sorted(json.loads(out)["imported"] for _, (out, _) in results) == [5, 7]
    assert payment_count(book) == 1 + 5 + 7


def test_without_wait_the_loser_is_refused_and_nothing_is_lost(book, tmp_path):
    files = [statement(tmp_path / f"{n}.csv", [("2026-10-20", f"{i + 1}.{n}0", f"{n}{i}") for i in range(3)])
             for n in range(1, 5)]
    runs = [subprocess.Popen([sys.executable, "-m", "billing", "match", str(book), "--statement", str(s), "--json"],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for s in files]
    codes = [r.wait(timeout=300) for r in runs]
    assert set(codes) <= {0, 2} and 0 in codes
    refused = [r.communicate()[1] for r, c in zip(runs, codes) if c == 2]
    assert all("is being changed by" in e and len(e.splitlines()) == 1 for e in refused)
    assert payment_count(book) == 1 + 3 * codes.count(0)  # every run that said it imported, imported


@pytest.mark.parametrize(("owner", "content", "who"), [
    ("~$book.xlsx", excel_owner_file("Jane Doe"), "open in Excel by Jane Doe (owner file ~$book.xlsx)"),
    ("~$book.xlsx", b"\x04Hans" + b" " * 50, "open in Excel by Hans"),
    ("~$ng-workbook-name.xlsx", excel_owner_file("Jane Doe"), "open in Excel by Jane Doe"),
    (".~lock.book.xlsx#", ",Hans Muster,host,30.11.2026 10:00,file:///home/hans;", "open in LibreOffice by Hans Muster"),
    ("~$book.xlsx", b"", "open in Excel (owner file ~$book.xlsx)"),
])
def test_a_workbook_open_in_a_spreadsheet_program_is_not_written(tmp_path, owner, content, who):
    name = "long-workbook-name.xlsx" if owner.startswith("~$ng") else "book.xlsx"
    path = write_book(tmp_path / name, base_sheets())
    (tmp_path / owner).write_bytes(content if isinstance(content, bytes) else content.encode())
    before = digest(path)
    result = run("compute", str(path))
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert who in line and "close it there first" in line and f"delete {owner}" in line
    assert digest(path) == before
    assert run("validate", str(path)).returncode == 0  # reading is fine


def test_owner_file_names_follow_office():
    assert [p.name for p in owner_files(Path("Book1.xlsx"))] == ["~$Book1.xlsx", ".~lock.Book1.xlsx#"]
    assert [p.name for p in owner_files(Path("Billing.xlsx"))] == ["~$Billing.xlsx", "~$illing.xlsx",
                                                                   ".~lock.Billing.xlsx#"]  # 7: one shorter
    assert [p.name for p in owner_files(Path("November.xlsx"))][1] == "~$vember.xlsx"  # 8 or more: two


def test_ribbon_seal_expects_excels_owner_file(book):
    (book.parent / "~$book.xlsx").write_bytes(excel_owner_file("Jane"))
    with pytest.raises(WorkbookBusy):
        with hold_for_writing(book):
            pass
    with hold_for_writing(book, excel_may_have_it=True):
        with pytest.raises(WorkbookBusy, match="being changed by"):
            with hold_for_writing(book, excel_may_have_it=True):
                pass


def test_a_lock_left_by_a_killed_run_is_taken_over(book):
    lock_file(book).write_text(json.dumps({"user": "ghost", "pid": 999999, "command": "close"}))
    leftover = book.with_name(f".{book.name}.k1ll3d.tmp")
    leftover.write_bytes(b"half a workbook")
    half_sealed = book.with_name(f".{book.name}.k1ll3d.sealing")
    half_sealed.write_bytes(b"half a sealed workbook")
    other = book.with_name(".other.xlsx.k1ll3d.tmp")
    other.write_bytes(b"not ours")
    result = run("compute", str(book))
    assert result.returncode == 0, result.stderr
    assert not leftover.exists() and not half_sealed.exists() and other.exists() and not lock_file(book).exists()


def test_kill_9_in_the_middle_then_rerun(tmp_path):
    path = tmp_path / "big.xlsx"
    assert run("new", str(path), "--sample", "2000").returncode == 0
    victim = subprocess.Popen([sys.executable, "-m", "billing", "close", str(path), "--as-of", "2026-10-31"],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not lock_file(path).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    victim.kill()
    victim.wait()
    assert openpyxl.load_workbook(path, read_only=True)  # the old or the new workbook, whole
    again = run("close", str(path), "--as-of", "2026-10-31", "--json")
    assert again.returncode in (0, 1), again.stderr
    assert not list(tmp_path.glob(".big.xlsx.*.tmp")) and not lock_file(path).exists()


def test_read_only_workbook_is_refused_unless_forced(book):
    book.chmod(0o444)
    before = digest(book)
    refused = run("compute", str(book))
    assert refused.returncode == 2
    assert refused.stderr.strip() == ("xlbilling: book.xlsx is read-only; nothing was written "
                                      "(add --force to replace it all the same)")
    assert digest(book) == before
    forced = run("compute", str(book), "--force")
    assert forced.returncode == 0, forced.stderr
    assert oct(book.stat().st_mode & 0o777) == "0o444"  # still read-only


def test_disk_full_is_one_line_and_changes_nothing(book, monkeypatch, capsys):
    import billing.atomic
    from billing.cli import main

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(billing.atomic.os, "fsync", full)
    before = digest(book)
    with pytest.raises(SystemExit) as done:
        main(["compute", str(book)])
    assert done.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == "xlbilling: no space left on device; files being written were left as they were"
    assert digest(book) == before
    assert sorted(p.name for p in book.parent.iterdir()) == ["book.xlsx"]


def test_busy_is_a_bad_file():
    assert issubclass(WorkbookBusy, BadFile)  # one line, exit 2, like every unusable file


#: every command that writes its workbook, with what it needs to get as far as writing
WRITERS = {
    "validate --write": ["validate", "{book}", "--write"],
    "compute": ["compute", "{book}"],
    "number": ["number", "{book}"],
    "match": ["match", "{book}"],
    "aging": ["aging", "{book}", "--as-of", "2026-10-31"],
    "close": ["close", "{book}", "--as-of", "2026-10-31"],
    "bill": ["bill", "{book}", "--period", "2026-10"],
    "issue": ["issue", "{book}"],
    "remind": ["remind", "{book}", "--as-of", "2026-10-31"],
    "send": ["send", "{book}"],
    "seal": ["seal", "{book}"],
}


def test_the_list_of_writers_is_every_command_that_holds_its_workbook():
    held = {m[1] for path in (ROOT / "billing" / "cli").glob("*.py")
            for m in re.finditer(r'@writes_workbook\("([^"]+)"', path.read_text(encoding="utf-8"))}
    assert held == set(WRITERS)


@pytest.mark.parametrize("command", list(WRITERS))
def test_every_writer_is_refused_while_another_run_holds_the_workbook(book, command):
    """Whatever the command, a workbook another run is changing is left alone: one line, exit 2."""
    before = digest(book)
    with hold_for_writing(book, command="close"):
        result = run(*(a.format(book=book) for a in WRITERS[command]))
    assert result.returncode == 2, (command, result.stderr)
    (line,) = result.stderr.splitlines()
    assert "book.xlsx is being changed by xlbilling close by" in line
    assert digest(book) == before
