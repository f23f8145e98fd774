"""billing.atomic: a file is the old one or the whole new one; publish_new never replaces."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import billing.atomic
from billing.atomic import (
    NEW_FILE_MODE,
    publish_new,
    staged,
    write_atomically,
    write_bytes_atomically,
    write_text_atomically,
)

ROOT = Path(__file__).resolve().parents[1]
OLD = b"the old file\x00\xff, every byte"


class Boom(Exception):
    pass


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def old(tmp_path) -> Path:
    path = tmp_path / "book.xlsx"
    path.write_bytes(OLD)
    path.chmod(0o640)
    return path


# --- replace: write_atomically, staged ----------------------------------------------


def test_write_atomically_replaces_and_keeps_the_permissions(old):
    write_bytes_atomically(old, b"new")
    assert old.read_bytes() == b"new" and mode_of(old) == 0o640
    assert names(old.parent) == ["book.xlsx"]


def test_a_new_file_gets_the_umask_not_mkstemps_0600(tmp_path):
    write_bytes_atomically(tmp_path / "new.txt", b"x")
    publish_new(tmp_path / "published.txt", lambda tmp: tmp.write_bytes(b"x"))
    assert mode_of(tmp_path / "new.txt") == mode_of(tmp_path / "published.txt") == NEW_FILE_MODE
    assert NEW_FILE_MODE == 0o666 & ~_umask()


def test_an_explicit_mode_wins(old):
    write_text_atomically(old, "record\n")
    assert old.read_bytes() == b"record\n" and mode_of(old) == 0o644  # files handed out: 0644
    write_bytes_atomically(old, b"x", mode=0o600)
    assert mode_of(old) == 0o600


def test_the_temporary_file_is_private_while_it_is_written(tmp_path):
    seen = []
    write_atomically(tmp_path / "a", lambda tmp: seen.append((tmp.name, mode_of(tmp))))
    publish_new(tmp_path / "b", lambda tmp: seen.append((tmp.name, mode_of(tmp))))
    assert [m for _, m in seen] == [0o600, 0o600]
    assert seen[0][0].startswith(".a.") and seen[0][0].endswith(".tmp")
    assert seen[1][0].startswith(".b.") and seen[1][0].endswith(".tmp")


def test_a_failing_write_leaves_the_old_file_and_no_temporary(old):
    def half(tmp: Path) -> None:
        tmp.write_bytes(b"half a workbook")
        raise Boom

    with pytest.raises(Boom):
        write_atomically(old, half)
    assert old.read_bytes() == OLD and mode_of(old) == 0o640
    assert names(old.parent) == ["book.xlsx"]


@pytest.mark.parametrize("when", ["before write", "after write", "after other work"])
def test_staged_failure_between_write_and_commit_changes_nothing(old, when):
    with pytest.raises(Boom):
        with staged(old, suffix=".sealing") as stage:
            assert stage.path.parent == old.parent and stage.path.name.endswith(".sealing")
            if when == "before write":
                raise Boom
            stage.write(lambda tmp: tmp.write_bytes(b"the new file"))
            if when == "after write":
                raise Boom
            assert stage.path.read_bytes() == b"the new file" and old.read_bytes() == OLD  # other work
            raise Boom
    assert old.read_bytes() == OLD and mode_of(old) == 0o640
    assert names(old.parent) == ["book.xlsx"]


def test_staged_commits_after_the_block(old):
    with staged(old) as stage:
        stage.write(lambda tmp: tmp.write_bytes(b"the new file"))
        assert old.read_bytes() == OLD  # not yet: the other work may still fail
    assert old.read_bytes() == b"the new file" and mode_of(old) == 0o640
    assert names(old.parent) == ["book.xlsx"]


def test_staged_written_directly_is_still_flushed(old, monkeypatch):
    synced = []
    real = os.fsync
    monkeypatch.setattr(billing.atomic.os, "fsync", lambda fd: (synced.append(fd), real(fd)))
    with staged(old) as stage:
        stage.path.write_bytes(b"direct")
    assert old.read_bytes() == b"direct" and len(synced) == 1


def test_a_full_disk_at_flush_changes_nothing(old, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(billing.atomic.os, "fsync", full)
    with pytest.raises(OSError, match="No space"):
        write_bytes_atomically(old, b"new")
    with pytest.raises(OSError, match="No space"):
        publish_new(old.with_name("other.xlsx"), lambda tmp: tmp.write_bytes(b"new"))
    with pytest.raises(OSError, match="No space"):
        with staged(old) as stage:
            stage.write(lambda tmp: tmp.write_bytes(b"new"))
            pytest.fail("the other work must not run on a file that did not reach the disk")
    assert old.read_bytes() == OLD
    assert names(old.parent) == ["book.xlsx"]


_KILLED = """
import os, sys
from billing.atomic import staged
with staged(sys.argv[1]) as stage:
    stage.write(lambda tmp: tmp.write_bytes(b"the new file"))
    os._exit(9)  # killed between write and commit: no cleanup runs
"""


def test_killed_between_write_and_commit_leaves_the_old_file(old):
    done = subprocess.run([sys.executable, "-c", _KILLED, str(old)], cwd=ROOT, capture_output=True)
    assert done.returncode == 9, done.stderr
    assert old.read_bytes() == OLD
    # what is left is a temporary named for billing.workbook.lock's clean-up
    (left,) = [p for p in old.parent.iterdir() if p != old]
    assert left.name.startswith(".book.xlsx.") and left.name.endswith(".tmp")
    assert left.read_bytes() == b"the new file"


# --- publish_new --------------------------------------------------------------------


def test_publish_new_creates_with_its_mode(tmp_path):
    dest = tmp_path / "ab" / "key.pem"
    dest.parent.mkdir()
    assert publish_new(dest, lambda tmp: tmp.write_bytes(b"secret"), mode=0o600) == dest
    assert dest.read_bytes() == b"secret" and mode_of(dest) == 0o600 and dest.stat().st_nlink == 1
    assert names(dest.parent) == ["key.pem"]


def test_publish_new_refuses_an_existing_file(old):
    with pytest.raises(FileExistsError):
        publish_new(old, lambda tmp: tmp.write_bytes(b"intruder"), mode=0o444)
    assert old.read_bytes() == OLD and mode_of(old) == 0o640
    assert names(old.parent) == ["book.xlsx"]


def test_publish_new_failing_write_leaves_nothing(tmp_path):
    def half(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise Boom

    with pytest.raises(Boom):
        publish_new(tmp_path / "new.xlsx", half)
    assert names(tmp_path) == []


def test_concurrent_publish_new_of_one_name_one_wins(tmp_path):
    dest = tmp_path / "signing-key.pem"
    racers = 8
    all_written = threading.Barrier(racers)
    outcome: dict[int, str] = {}

    def racer(n: int) -> None:
        def write(tmp: Path) -> None:
            tmp.write_bytes(f"racer {n} ".encode() * 10_000)
            all_written.wait()  # every racer links at the same moment

        try:
            publish_new(dest, write, mode=0o600)
            outcome[n] = "won"
        except FileExistsError:
            outcome[n] = "refused"

    threads = [threading.Thread(target=racer, args=(n,)) for n in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (winner,) = [n for n, what in outcome.items() if what == "won"]
    assert sorted(outcome.values()).count("refused") == racers - 1
    assert dest.read_bytes() == f"racer {winner} ".encode() * 10_000  # whole, and the winner's
    assert names(tmp_path) == ["signing-key.pem"]


_RACER = """
import sys
from billing.atomic import publish_new
try:
    publish_new(sys.argv[1], lambda tmp: tmp.write_bytes(sys.argv[2].encode() * 100_000))
    print("won")
except FileExistsError:
    print("refused")
"""


def test_concurrent_publish_new_across_processes(tmp_path):
    dest = tmp_path / "sealed.xlsx"
    procs = [subprocess.Popen([sys.executable, "-c", _RACER, str(dest), f"p{n}"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True) for n in range(4)]
    said = [p.communicate()[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sorted(said) == ["refused", "refused", "refused", "won"]
    assert dest.read_bytes() == f"p{said.index('won')}".encode() * 100_000
    assert names(tmp_path) == ["sealed.xlsx"]


def _no_links(src, dst, *args, **kwargs):
    raise OSError(errno.EPERM, "Operation not permitted")


def test_without_hard_links_publish_new_refuses_unless_links_are_optional(tmp_path, monkeypatch):
    monkeypatch.setattr(billing.atomic.os, "link", _no_links)
    dest = tmp_path / "archived.xlsx"
    with pytest.raises(PermissionError):
        publish_new(dest, lambda tmp: tmp.write_bytes(b"x"), mode=0o444)
    assert names(tmp_path) == []
    publish_new(dest, lambda tmp: tmp.write_bytes(b"x"), links_optional=True)
    assert dest.read_bytes() == b"x" and names(tmp_path) == ["archived.xlsx"]
    with pytest.raises(FileExistsError):
        publish_new(dest, lambda tmp: tmp.write_bytes(b"y"), links_optional=True)
    assert dest.read_bytes() == b"x" and names(tmp_path) == ["archived.xlsx"]


# --- the callers keep their rules ---------------------------------------------------


def test_create_workbook_never_clobbers_a_file_that_appears_meanwhile(tmp_path, monkeypatch):
    from billing.workbook import create

    target = tmp_path / "book.xlsx"
    real_save = create.Workbook.save

    def save_then_someone_else_creates(self, filename):
        real_save(self, filename)
        target.write_bytes(OLD)  # another program, between our check and our publish

    monkeypatch.setattr(create.Workbook, "save", save_then_someone_else_creates)
    with pytest.raises(FileExistsError, match="already exists; pass overwrite=True to replace it"):
        create.create_workbook(target)
    assert target.read_bytes() == OLD and names(tmp_path) == ["book.xlsx"]


def test_create_workbook_overwrite_gives_a_new_files_permissions(tmp_path):
    from billing.workbook.create import create_workbook

    target = tmp_path / "book.xlsx"
    target.write_bytes(OLD)
    target.chmod(0o600)
    create_workbook(target, overwrite=True)
    assert target.read_bytes()[:2] == b"PK" and mode_of(target) == NEW_FILE_MODE
    assert names(tmp_path) == ["book.xlsx"]


def test_init_key_made_meanwhile_by_another_process_is_loaded_not_replaced(tmp_path, monkeypatch):
    from billing.sealing import keys

    target = tmp_path / "keys" / "signing-key.pem"
    theirs, _ = keys.init_key(tmp_path / "theirs.pem")
    real_publish = keys.publish_new

    def another_process_first(dest, write, mode=None, **kwargs):
        os.link(theirs.path, dest)  # their key lands between our check and our link
        return real_publish(dest, write, mode, **kwargs)

    monkeypatch.setattr(keys, "publish_new", another_process_first)
    key, created = keys.init_key(target)
    assert not created and key.key_id == theirs.key_id
    assert mode_of(target) == 0o600 and names(target.parent) == ["signing-key.pem"]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
