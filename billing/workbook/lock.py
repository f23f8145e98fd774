"""One writer at a time: the exclusive hold a command takes on a workbook it writes.

A command that changes a workbook reads it, works, and replaces it. Two such runs at once
would each replace the file with their own result, and one run's work would be lost
without a word. `hold_for_writing(path)` is taken around the whole read-modify-write and
refuses (or, with ``wait``, waits) while:

* another xlbilling run holds the workbook. The hold is an operating-system lock on a lock
  file beside the workbook (``.NAME.xlbilling-lock``): ``fcntl.flock`` on POSIX, a byte-range
  lock through ``msvcrt.locking`` on Windows. The system releases it when its process ends,
  however it ends, so a lock file left behind by a killed run is never mistaken for a live
  one: it is simply taken over. The file records who holds it (user, host, process id,
  command, since when) so the refusal can name them.
* a spreadsheet program has the workbook open: Excel's owner file ``~$NAME`` (Excel and Word
  shorten long names, so ``~$`` over the first one or two characters is looked for too) or
  LibreOffice's ``.~lock.NAME#``. Whoever saves from that program next would silently
  overwrite what xlbilling wrote. The owner file's user name is read and named. A program
  that crashed leaves its owner file behind; the message says to delete it then.
* the workbook is read-only, unless the caller passes ``force`` (the file is then replaced
  and keeps its read-only permission).

Inside the hold, temporary files that a killed run of xlbilling left beside the workbook
(``.NAME.*.tmp`` of `billing.atomic`, ``.NAME.*.sealing`` of the seal) are removed: while the hold is ours, no other run
can be writing them.

Known limit: a lock on a network share protects runs on one machine reliably; across
machines it is as good as the share's lock support (SMB: yes; some NFS setups: no).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import socket
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from billing.errors import BadFile

POLL_SECONDS = 0.2
_WINDOWS_LOCK_OFFSET = 1 << 30  # lock a byte far past the holder's note, so others can still read the note


class WorkbookBusy(BadFile):
    """The workbook is held by another run or open in a spreadsheet program."""


def lock_file(path: Path) -> Path:
    return path.with_name(f".{path.name}.xlbilling-lock")


def owner_files(path: Path) -> tuple[Path, ...]:
    """Where Excel (``~$`` before the name; Office shortens a stem of seven characters by
    one and a longer one by two) and LibreOffice (``.~lock.NAME#``) put the file that says
    a workbook is open."""
    name, stem = path.name, path.stem
    shortened = name[2:] if len(stem) >= 8 else name[1:] if len(stem) == 7 else name
    names = dict.fromkeys((f"~${name}", f"~${shortened}", f".~lock.{name}#"))
    return tuple(path.with_name(n) for n in names)


def open_elsewhere(path: Path) -> str | None:
    """Why the workbook is open in a spreadsheet program (naming who), or None."""
    for owner in owner_files(path):
        try:
            data = owner.read_bytes()[:4096]
        except FileNotFoundError:
            continue
        except OSError:
            data = b""
        program = "LibreOffice" if owner.name.startswith(".~lock.") else "Excel"
        user = _libreoffice_user(data) if program == "LibreOffice" else _excel_user(data)
        who = f" by {user}" if user else ""
        return (f"{path.name} is open in {program}{who} (owner file {owner.name}); close it there first, "
                f"else {program}'s next save overwrites what xlbilling writes. If {program} is not running "
                f"(it crashed), delete {owner.name}")
    return None


def _excel_user(data: bytes) -> str:
    """Office's owner file: a length byte, then the user name in the ANSI code page; newer
    versions add a UTF-16 copy (a 2-byte length at offset 54 or 55, Word and Excel differ),
    preferred when it reads as a name."""
    for at in (55, 54):
        if len(data) >= at + 2:
            length = data[at] | data[at + 1] << 8
            if 0 < length <= 54 and len(data) >= at + 2 + 2 * length:
                wide = data[at + 2:at + 2 + 2 * length].decode("utf-16-le", "replace").strip()
                if wide and wide.isprintable() and "\ufffd" not in wide:
                    return wide
    if data and 0 < data[0] <= 54:
        return data[1:1 + data[0]].decode("cp1252", "replace").strip()
    return ""


def _libreoffice_user(data: bytes) -> str:
    """LibreOffice's lock file: ``Name,SystemUser,Host,Date,Profile;`` in UTF-8."""
    fields = data.decode("utf-8", "replace").split(",")
    return next((f.strip() for f in fields[:2] if f.strip()), "")


def holder_of(path: Path) -> str:
    """Who the lock file says holds the workbook, as a phrase."""
    try:
        note = json.loads(lock_file(path).read_text("utf-8") or "{}")
    except (OSError, ValueError):
        return "another xlbilling run"
    if not isinstance(note, dict) or not note:
        return "another xlbilling run"
    return (f"xlbilling {note.get('command', '')} by {note.get('user', '?')} on {note.get('host', '?')} "
            f"(process {note.get('pid', '?')}, since {note.get('since', '?')})").replace("  ", " ")


@contextmanager
def hold_for_writing(path: str | os.PathLike, *, command: str = "", wait: bool = False, force: bool = False,
                     excel_may_have_it: bool = False,
                     on_wait: Callable[[str], None] | None = None) -> Iterator[Path]:
    """Hold `path` for one read-modify-write; `WorkbookBusy` (a `BadFile`) when it cannot be.

    `wait`: wait until the other run or program lets go instead of refusing.
    `force`: replace a read-only workbook all the same.
    `excel_may_have_it`: the caller is Excel itself (the ribbon), so Excel's owner file is expected.
    `on_wait(reason)` is told once when waiting starts."""
    path = Path(path)
    told = False
    while True:
        reason = None if excel_may_have_it else open_elsewhere(path)
        if reason is None:
            fd = _try_lock(path)
            if fd is not None:
                break
            reason = f"{path.name} is being changed by {holder_of(path)}; try again when it has finished, or add --wait"
        if not wait:
            raise WorkbookBusy(reason)
        if not told and on_wait is not None:
            on_wait(reason)
            told = True
        time.sleep(POLL_SECONDS)
    try:
        _check_writable(path, force)
        _write_note(fd, command)
        remove_leftovers(path)
        yield path
    finally:
        _release(fd, path)


def _check_writable(path: Path, force: bool) -> None:
    # the mode bits too: root may write anything, but a file nobody may write is meant to stay
    if path.exists() and not force and (not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222):
        raise BadFile(f"{path.name} is read-only; nothing was written (add --force to replace it all the same)")


def remove_leftovers(path: Path) -> tuple[Path, ...]:
    """Remove the temporary files a killed run left beside `path` (call only while holding it)."""
    removed = []
    name = _glob_escape(path.name)
    for leftover in (*path.parent.glob(f".{name}.*.tmp"), *path.parent.glob(f".{name}.*.sealing")):
        try:
            leftover.unlink()
            removed.append(leftover)
        except OSError:
            pass  # not ours to judge: leave it
    return tuple(removed)


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _write_note(fd: int, command: str) -> None:
    note = {"user": getpass.getuser(), "host": socket.gethostname(), "pid": os.getpid(), "command": command,
            "since": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
    data = json.dumps(note).encode("utf-8")
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    os.write(fd, data)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(path: Path) -> int | None:
        fd = os.open(lock_file(path), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            os.close(fd)
            return None
        return fd

    def _release(fd: int, path: Path) -> None:
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        finally:
            os.close(fd)
        try:
            lock_file(path).unlink()
        except OSError:
            pass  # another run has it open already: it will take it over

else:
    import fcntl

    def _try_lock(path: Path) -> int | None:
        target = lock_file(path)
        fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        # The holder before us may have removed the file after we opened it: then we hold a
        # lock on a file nobody else will find. Only a lock on the file at the path counts.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(target))
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
            return _try_lock(path)
        return fd

    def _release(fd: int, path: Path) -> None:
        try:
            lock_file(path).unlink()  # while still locked, so no one takes a file about to vanish
        except OSError:
            pass
        finally:
            os.close(fd)
