"""Apply a set of changes to a workbook file, safely: the one place that writes a workbook.

The rest of the project computes *what* changes, as plain immutable records free of any
openpyxl type: output sheets to replace (`OutputSheet`), input cells to fill (`CellUpdate`,
`HeaderAdd`) and problems to show on input cells (`Mark`), bundled in `Changes`.
`apply_changes` loads the workbook, applies them and writes the result atomically: a
temporary file in the destination's folder, then `os.replace`, so a failure at any point
leaves the original file untouched and no temporary file behind.

Rule: openpyxl never re-saves a user's workbook. `apply_changes` changes an existing
workbook through the package writer (`billing.workbook.package_writer`), which rewrites only the parts
the changes touch and copies every other zip member byte for byte: pictures, threaded
comments, pivot tables, charts, VBA, calcChain (unless cells change), thumbnails and
whatever future Excel versions add survive every run, including a failed `close` and
`validate --write`. openpyxl only builds NEW workbooks (`billing.workbook.newfile`, statements
handed out as files; `billing.workbook.create`, the template). The records live in `billing.changes`.

Choices:
- Output sheets are replaced in place (same position, same part) and are always an Excel
  Table; with no rows the table covers the header and one empty row (Excel needs a data
  row), which readers skip as a blank row.
- Marks are highlight rules, added and removed again exactly; the messages are on the
  Validation sheet (`billing.workbook.marks`).
- Strings are always written as text (never a formula or an error code); control
  characters Excel cannot store are dropped and text is cut at Excel's 32,767 characters.
"""

from __future__ import annotations

import os
from pathlib import Path


from billing.workbook.package_writer import apply_to_package
from billing.changes import (MAX_WIDTH, TABLE_STYLE, BarChart, CellUpdate, Changes, HeaderAdd,  # noqa: F401
                             Highlight, Mark, OutputSheet, check_output)

_MACRO_SUFFIXES = {".xlsm", ".xltm"}


def apply_changes(
    path: str | os.PathLike, changes: Changes, dest: str | os.PathLike | None = None
) -> Path:
    """Apply `changes` to the workbook at `path` and write it to `dest` (default: `path`).

    The package writer (`billing.workbook.package_writer`) does it: every part the changes do not touch
    is copied byte for byte. The result is written to a temporary file beside `dest` and
    moved into place with `os.replace`; on any error the temporary file is removed and
    `dest` is untouched. A macro workbook (`.xlsm`, `.xltm`) keeps its VBA project and must
    be written to a macro extension again. Raises `BadFile` when the source cannot be read
    as a workbook or the changes cannot be written into it as it is (`DoesNotFit`, also a
    ValueError, naming the cell), `ValueError` when the changes do not fit themselves.
    Returns the destination path.
    """
    src = Path(path)
    dest = Path(dest) if dest is not None else src
    keep_vba = src.suffix.lower() in _MACRO_SUFFIXES
    if (dest.suffix.lower() in _MACRO_SUFFIXES) != keep_vba:
        raise ValueError(f"{dest.name}: the extension must match the source's ({src.suffix})")
    for output in changes.outputs:
        check_output(output)
    apply_to_package(src, changes, dest)
    return dest
