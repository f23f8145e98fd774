"""The package structure of an .xlsx: which part holds which sheet, and where its Tables are.

Read straight from the zip's small XML parts (workbook, relationships, table parts) so
that finding a Table costs microseconds instead of a parse of its whole sheet. The file
has passed `billing.workbook.safety` first, so these parts carry no DTD or entity declarations.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator
from typing import NamedTuple
from xml.etree import ElementTree

from billing.book import TableRange  # the read model's record of a Table
from billing.cells import parse_a1

NS = {
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
TABLE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/table"


class SheetPart(NamedTuple):
    name: str
    path: str  # e.g. "xl/worksheets/sheet1.xml"
    tables: tuple[TableRange, ...]


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, absolute target part) of a part."""
    folder, name = posixpath.split(part)
    rels_path = posixpath.join(folder, "_rels", name + ".rels")
    if rels_path not in archive.NameToInfo:
        return {}
    root = ElementTree.fromstring(archive.read(rels_path))
    found = {}
    for rel in root.findall("rel:Relationship", NS):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        absolute = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        found[rel.get("Id")] = (rel.get("Type", ""), absolute)
    return found


def _table(archive: zipfile.ZipFile, part: str) -> TableRange | None:
    root = ElementTree.fromstring(archive.read(part))
    ref = root.get("ref", "")
    if ":" not in ref:
        return None
    (top, left), (bottom, right) = (parse_a1(end) for end in ref.split(":"))
    headers = int(root.get("headerRowCount", "1"))
    totals = int(root.get("totalsRowCount", "0"))
    name = root.get("displayName") or root.get("name") or ""
    header_row = top if headers else top - 1  # a Table without a header row: none to match
    return TableRange(name, header_row, left, bottom - totals, right)


def sheet_parts(path: str) -> dict[str, SheetPart]:
    """Each worksheet by name, with its part and its Tables."""
    with zipfile.ZipFile(path) as archive:
        workbook = "xl/workbook.xml"
        rels = _relationships(archive, workbook)
        root = ElementTree.fromstring(archive.read(workbook))
        sheets: dict[str, SheetPart] = {}
        for sheet in root.iterfind("main:sheets/main:sheet", NS):
            rel = rels.get(sheet.get(R_ID, ""))
            if rel is None or rel[1] not in archive.NameToInfo:
                continue
            part = rel[1]
            tables = []
            for kind, target in _relationships(archive, part).values():
                if kind == TABLE_REL and target in archive.NameToInfo:
                    table = _table(archive, target)
                    if table is not None:
                        tables.append(table)
            sheets[sheet.get("name", "")] = SheetPart(sheet.get("name", ""), part, tuple(tables))
        return sheets


def part_chunks(archive: zipfile.ZipFile, part: str, size: int = 1 << 20) -> Iterator[bytes]:
    """A part's bytes, inflated `size` bytes at a time (a sheet is never held whole)."""
    with archive.open(part) as stream:
        while chunk := stream.read(size):
            yield chunk
