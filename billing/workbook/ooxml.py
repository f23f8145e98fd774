"""An .xlsx/.xlsm package opened for reading by the seal: parts, relationships, sheets.

The seal reads workbooks at the level of their zip parts (not through a workbook library)
because it must see exactly what the file holds and must be fast on big books. Every file
passes `billing.workbook.safety.check_workbook_file` before it is opened here, and every XML part
is parsed without entity resolution, network access or huge-tree mode; anything that does
not parse is a `BadFile` with a one-line reason. Part names are matched as OPC says
(ECMA-376 Part 2, §9.1.1.1: ASCII case-insensitively), so a relationship to
`sharedStrings.xml` finds the part `xl/SharedStrings.xml` as Excel and calamine do.
"""

from __future__ import annotations

import os
import posixpath
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

from lxml import etree

from billing.errors import BadFile
from billing.workbook.safety import check_workbook_file

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_REL_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "[Content_Types].xml"
#: the kind of sheet a `<sheet>` entry's relationship points to, by the relationship type's last word
SHEET_KINDS = ("worksheet", "chartsheet", "dialogsheet", "macrosheet", "xlMacrosheet", "xlIntlMacrosheet")

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


class SheetEntry(NamedTuple):
    """One `<sheet>` of the workbook, in workbook order."""

    name: str
    state: str  # visible, hidden or veryHidden
    kind: str  # worksheet, chartsheet, dialogsheet, macrosheet
    part: str | None  # the zip part holding it (None: a dangling relationship)
    sheet_id: str
    rel_id: str


def parse_xml(data: bytes, part: str):
    """The root element of an XML part, parsed safely; BadFile if it is not well-formed."""
    try:
        return etree.fromstring(data, PARSER)
    except etree.XMLSyntaxError as exc:
        raise BadFile(f"damaged workbook: part {part!r} is not well-formed XML ({exc})") from None


def local(tag: object) -> str:
    """An element's name without its namespace (comments and PIs have none)."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def rel_attr(element, name: str = "id") -> str | None:
    """An `r:id`-style attribute, in the transitional or the strict namespace."""
    return element.get(f"{{{REL_NS}}}{name}") or element.get(f"{{{STRICT_REL_NS}}}{name}")


class Package:
    """A workbook package, read part by part (each part inflated once and kept)."""

    def __init__(self, path: str | os.PathLike, checked: bool = False):
        self.path = Path(path)
        if not checked:
            check_workbook_file(self.path)
        try:
            self.zip = zipfile.ZipFile(self.path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise BadFile(f"cannot read the workbook: {exc}") from None
        self.infos = self.zip.infolist()
        self._names = {info.filename: info for info in self.infos}
        self._folded = {}
        for info in self.infos:  # the first of names that differ only in case, as zip readers take it
            self._folded.setdefault(info.filename.lower(), info.filename)
        self._cache: dict[str, bytes] = {}

    def __enter__(self) -> "Package":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the zip file."""
        self.zip.close()

    def actual(self, part: str) -> str:
        """The part's name as the zip spells it (part names compare case-insensitively)."""
        return part if part in self._names else self._folded.get(part.lower(), part)

    def has(self, part: str) -> bool:
        """Whether the package holds this part."""
        return self.actual(part) in self._names

    def info(self, part: str) -> zipfile.ZipInfo:
        """The zip entry of a part (its sizes, CRC)."""
        return self._names[self.actual(part)]

    def read(self, part: str) -> bytes:
        """The part's bytes, inflated (and kept for the next reader)."""
        part = self.actual(part)
        data = self._cache.get(part)
        if data is None:
            if part not in self._names:
                raise BadFile(f"damaged workbook: part {part!r} is missing")
            try:
                data = self.zip.read(part)
            except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise BadFile(f"damaged workbook: part {part!r} cannot be read ({exc})") from None
            self._cache[part] = data
        return data

    def xml(self, part: str):
        """A part parsed as XML (safely), its root element."""
        return parse_xml(self.read(part), part)

    def relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, target part) of a part; external targets left out."""
        folder, name = posixpath.split(part)
        rels = self.actual(posixpath.join(folder, "_rels", name + ".rels"))
        if not self.has(rels):
            return {}
        found = {}
        for rel in self.xml(rels):
            if local(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target", "")
            absolute = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join(folder, target))
            found[rel.get("Id", "")] = (rel.get("Type", ""), self.actual(absolute))
        return found

    def workbook_part(self) -> str:
        """The workbook part the package's relationships name (usually `xl/workbook.xml`)."""
        for kind, target in self.relationships("").values():
            if kind.endswith("/officeDocument") and self.has(target):
                return target
        return "xl/workbook.xml"

    def related(self, part: str, kind: str) -> str | None:
        """The first part related to `part` by a relationship whose type ends in `/kind`."""
        for rel_type, target in self.relationships(part).values():
            if rel_type.rsplit("/", 1)[-1] == kind and self.has(target):
                return target
        return None

    def sheets(self, workbook=None) -> list[SheetEntry]:
        """The workbook's sheets in their order, with their parts."""
        book_part = self.workbook_part()
        root = workbook if workbook is not None else self.xml(book_part)
        rels = self.relationships(book_part)
        entries = []
        for group in root:
            if local(group.tag) != "sheets":
                continue
            for sheet in group:
                if local(sheet.tag) != "sheet":
                    continue
                rel_id = rel_attr(sheet) or ""
                rel_type, target = rels.get(rel_id, ("", None))
                kind = rel_type.rsplit("/", 1)[-1] if rel_type else "worksheet"
                kind = "macrosheet" if kind in ("xlMacrosheet", "xlIntlMacrosheet") else kind
                part = target if target and self.has(target) else None
                entries.append(SheetEntry(sheet.get("name", ""), sheet.get("state") or "visible", kind, part,
                                          sheet.get("sheetId", ""), rel_id))
        return entries
