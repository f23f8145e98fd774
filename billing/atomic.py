"""Writing a file so that it is either the old file or the whole new one, never half.

Every file the project writes goes through a temporary file in the destination's folder
(the same file system, so the rename is atomic), flushed to disk, then `os.replace`d into
place. On any failure the temporary file is removed and the destination is untouched. A
replaced file keeps its permissions; a new one gets what `open()` would give it.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Callable

NEW_FILE_MODE = 0o666 & ~os.umask(os.umask(0o022))  # what open() gives a new file under this umask


def write_atomically(dest: str | os.PathLike, write: Callable[[Path], None], mode: int | None = None) -> Path:
    """`write(tmp)` fills a temporary file beside `dest`, which then replaces `dest`."""
    dest = Path(dest)
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        if mode is None:
            mode = stat.S_IMODE(dest.stat().st_mode) if dest.exists() else NEW_FILE_MODE
        os.chmod(tmp, mode)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def write_bytes_atomically(dest: str | os.PathLike, data: bytes, mode: int | None = None) -> Path:
    """`dest` holds exactly `data`, or is as it was."""
    return write_atomically(dest, lambda tmp: tmp.write_bytes(data), mode)
