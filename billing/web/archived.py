"""The file the archive holds for an index row — an archive entry or an issued document, named
by the `sha256` and `suffix` the store records — only while its bytes still have that SHA-256.

The path is made from the index's values alone (`billing.sealing.archive.archived_path`), so
nothing from a request reaches the file system, and an altered or missing file is never served.
"""

from __future__ import annotations

from pathlib import Path


def intact_file(root: Path, row) -> Path | None:
    """The archived file of `row` if it is there with the bytes the index names."""
    from billing.sealing.archive import archived_path, file_sha256

    stored = archived_path(root, row.sha256, row.suffix)
    return stored if stored.is_file() and file_sha256(stored) == row.sha256 else None
