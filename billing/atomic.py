"""Writing a file so that it is either the old file or the whole new one, never half.

Every file the project writes goes through a temporary file in the destination's folder
(the same file system, so the final rename or link is atomic), flushed to disk, then put in
place. On any failure the temporary file is removed and the destination is untouched.

Three ways to put it in place, one implementation:

* `write_atomically` — replace: the destination, if there is one, is replaced.
* `publish_new` — never replace: the temporary file is hard-linked to the final name, which
  fails if that name exists, even if another process made it a moment ago (the archive, the
  signing key, a new workbook).
* `staged` — write the temporary file, do other work with it (the seal archives and indexes
  it), and only then replace the destination; a failure in the other work leaves the
  destination as it was.

Permissions: the temporary file is made by `mkstemp` (0600, readable by its owner only while
it is half written) and given its final mode just before it is put in place: the `mode`
argument, else — for a replace — the replaced file's own mode, else what `open()` would give
a new file under the umask (not mkstemp's 0600).

Temporary files are named `.NAME.<random>.tmp` (the seal's `.NAME.<random>.sealing`), the
names `billing.workbook.lock` clears when a killed run left one behind.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

NEW_FILE_MODE = 0o666 & ~os.umask(os.umask(0o022))  # what open() gives a new file under this umask
#: A text file the project hands out (a seal record, a public key): readable by everyone.
PUBLIC_FILE_MODE = 0o644


class Staged:
    """The temporary file of `staged`, beside its destination."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._synced = False

    def write(self, write: Callable[[Path], None]) -> Path:
        """`write(path)` fills the temporary file, which is then flushed to disk — before the
        other work reads it, so a full disk shows here and not after that work is done."""
        write(self.path)
        _sync(self.path)
        self._synced = True
        return self.path


@contextmanager
def staged(dest: str | os.PathLike, mode: int | None = None, suffix: str = ".tmp") -> Iterator[Staged]:
    """A temporary file beside `dest` (`.path`; fill it with `.write`) that replaces `dest`
    when the block ends normally; if the block raises, it is removed and `dest` is untouched.

    The replace happens after the block, so whatever the block opened (the original file
    itself, on Windows) is closed by then."""
    dest = Path(dest)
    stage = Staged(_temporary(dest, suffix))
    try:
        yield stage
        if not stage._synced:
            _sync(stage.path)
        os.chmod(stage.path, _final_mode(dest, mode))
        os.replace(stage.path, dest)
    except BaseException:
        stage.path.unlink(missing_ok=True)
        raise


def write_atomically(dest: str | os.PathLike, write: Callable[[Path], None], mode: int | None = None) -> Path:
    """`write(tmp)` fills a temporary file beside `dest`, which then replaces `dest`."""
    with staged(dest, mode) as stage:
        stage.write(write)
    return Path(dest)


def write_bytes_atomically(dest: str | os.PathLike, data: bytes, mode: int | None = None) -> Path:
    """`dest` holds exactly `data`, or is as it was."""
    return write_atomically(dest, lambda tmp: tmp.write_bytes(data), mode)


def write_text_atomically(dest: str | os.PathLike, text: str, mode: int = PUBLIC_FILE_MODE) -> Path:
    """A small text file (UTF-8, LF as given) the project hands out, 0644 unless told otherwise."""
    return write_bytes_atomically(dest, text.encode("utf-8"), mode)


def publish_new(dest: str | os.PathLike, write: Callable[[Path], None], mode: int | None = None, *,
                links_optional: bool = False) -> Path:
    """`write(tmp)` fills a temporary file beside `dest`, which then becomes `dest` unless
    `dest` exists: `FileExistsError` then, and the existing file is never replaced, even
    one another process published a moment ago (`os.link` is atomic and refuses an
    existing name, where `os.replace` would overwrite it).

    `links_optional`: on a file system without hard links (some network shares, FAT), fall
    back to "replace if it does not exist yet", which leaves a moment in which a file made
    meanwhile by someone else could be replaced; without it, the `OSError` of `os.link`
    is raised."""
    dest = Path(dest)
    tmp = _temporary(dest, ".tmp")
    try:
        write(tmp)
        _sync(tmp)
        os.chmod(tmp, NEW_FILE_MODE if mode is None else mode)
        try:
            os.link(tmp, dest)
        except FileExistsError:
            raise
        except OSError:
            if not links_optional:
                raise
            if dest.exists():
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dest)) from None
            os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)  # after a link, `dest` is the file's other name
    return dest


def sync_folders(folders) -> None:
    """Flush each folder's entries (names made, linked, renamed in it) to disk, each folder once:
    after a batch of `publish_new`s, before anything records that the files are there. (A
    platform whose folders cannot be opened — Windows — makes them durable with the file.)"""
    for folder in dict.fromkeys(Path(f) for f in folders):
        try:
            fd = os.open(folder, os.O_RDONLY)
        except (PermissionError, IsADirectoryError):
            continue
        try:
            os.fsync(fd)
        except OSError as exc:  # a file system that cannot sync a folder (some network shares)
            if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
                raise
        finally:
            os.close(fd)


def _temporary(dest: Path, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=suffix, dir=dest.parent)  # mode 0600
    os.close(fd)
    return Path(name)


def _sync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _final_mode(dest: Path, mode: int | None) -> int:
    if mode is not None:
        return mode
    try:
        return stat.S_IMODE(dest.stat().st_mode)  # a replaced file keeps its permissions
    except FileNotFoundError:
        return NEW_FILE_MODE
