"""Editing a workbook package at the XML level, for tests: what openpyxl cannot write (error
values of any code, cells without references, formulas with cached values) or must not rewrite."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from typing import Callable

from billing.workbook.package import sheet_parts


def rewrite_parts(src: Path, dst: Path, edits: dict[str, Callable[[bytes], bytes]]) -> Path:
    """A copy of the package at `dst` with the named parts passed through their edit function;
    every other member copied as it is, in the same order."""
    tmp = dst.with_name(dst.name + ".part")
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename in edits:
                data = edits[info.filename](data)
            new.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    shutil.move(tmp, dst)
    return dst


def sheet_part(path: Path, sheet: str) -> str:
    return sheet_parts(str(path))[sheet].path


def set_cell_xml(path: Path, sheet: str, ref: str, cell: str) -> Path:
    """Replace the cell `ref` of `sheet` (it must exist) with the XML `cell`, in place."""
    pattern = re.compile(rb'<c r="' + ref.encode() + rb'"(?:[^>]*/>|[^>]*>.*?</c>)', re.S)

    def edit(xml: bytes) -> bytes:
        new, count = pattern.subn(lambda _: cell.encode(), xml, count=1)
        assert count == 1, f"no cell {ref} on {sheet}"
        return new

    return rewrite_parts(path, path, {sheet_part(path, sheet): edit})


def error_cell(ref: str, code: str, formula: str | None = None) -> str:
    """A cell holding an error value, typed or as a formula's cached result."""
    f = f"<f>{formula}</f>" if formula else ""
    return f'<c r="{ref}" t="e">{f}<v>{code}</v></c>'
