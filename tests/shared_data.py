"""The optional test data beside the repository, in `../shared/testdata/<set>`.

A clone on its own has none of it: a test that needs a set skips, naming the folder it looked
in (like the PostgreSQL tests without a server), and never passes silently with nothing to check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_TESTDATA = Path(__file__).resolve().parents[2] / "shared" / "testdata"


def shared_set(name: str) -> Path:
    """The folder of one shared set (it may be missing)."""
    return SHARED_TESTDATA / name


def missing(name: str, what: str) -> str:
    """The skip reason of a test that needs the set `name` (`what`: what the set holds)."""
    return f"{shared_set(name)} is missing: {what} are not here (optional test data beside the repository)"


def files_or_skip(name: str, what: str, pattern: str = "*") -> list:
    """The files of a set matching `pattern`, sorted, as parameters; without the set one parameter
    that skips with `missing(...)`, so a collection never turns silently empty."""
    folder = shared_set(name)
    if not folder.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=missing(name, what)), id="missing")]
    return sorted(folder.glob(pattern))
