"""An .xlsx/.xlsm package, part by part: the one reader and editor of a workbook's zip parts,
for the seal (which must see exactly what the file holds, and fast on big books) and for
the package writer (which changes a few parts and copies the rest).

Reading. Every file passes `billing.workbook.safety.check_workbook_file` before it is
opened here (unless the caller says it has: `checked=True`), and every XML part is parsed
with the one safe parser (`PARSER`: no entity resolution, network access or huge-tree
mode); anything that does not parse is a `BadFile` with a one-line reason. Part names are
matched as OPC says (ECMA-376 Part 2, §9.1.1.1: ASCII case-insensitively), so a
relationship to `sharedStrings.xml` finds the part `xl/SharedStrings.xml` as Excel and
calamine do. A part's relationships are found and resolved in one place (`rels`).

Editing. Parts are read on demand; untouched parts are copied to the new file as they are
(their compressed bytes, never inflated: `billing.workbook.zipout`), the changed and new
parts written, removed parts left out. A part parsed as a tree counts as changed only when
its serialization differs from the one it had when parsed, so looking at a part (the
workbook, the content types) never rewrites it: every part a run does not change is byte
for byte the one it read.

This is what lets a run that changes a few output sheets of a 100k-row workbook write it
in about the time it takes to write those sheets: the big input sheets a run does not
touch are copied byte for byte. The small XML parts (workbook, relationships, content
types, styles, tables) are edited as trees with lxml; big sheets are edited as text
(`billing.workbook.sheettext`, `billing.workbook.sheet_rows`).
"""

from __future__ import annotations

import io
import os
import posixpath
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO, NamedTuple

from lxml import etree

from billing.atomic import write_atomically
from billing.book import TableRange
from billing.cells import parse_a1
from billing.errors import BadFile
from billing.workbook.ns import rels_part, rels_source, resolve
from billing.workbook.ns import CONTENT_TYPES, CT, DEFAULT_WORKBOOK, MAIN, PKG_REL, REL, STRICT_REL, TABLE_REL
from billing.workbook.safety import check_workbook_file
from billing.workbook.zipout import Deflated, ZipOut, deflate

#: the one XML parser for a workbook's parts
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
#: a part read up to this size (inflated) is kept for the next reader; a big sheet is read
#: once (by the seal's job, or the writer's run) and would only hold memory
_KEEP = 1 << 20


def q(tag: str, ns: str = MAIN) -> str:
    """`{namespace}tag`."""
    return f"{{{ns}}}{tag}"


def local(tag: object) -> str:
    """An element's name without its namespace (comments and PIs have none)."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def rel_attr(element, name: str = "id") -> str | None:
    """An `r:id`-style attribute, in the transitional or the strict namespace."""
    return element.get(f"{{{REL}}}{name}") or element.get(f"{{{STRICT_REL}}}{name}")


def parse_xml(data: bytes, part: str, where: str = ""):
    """The root element of an XML part, parsed safely; BadFile if it is not well-formed."""
    try:
        return etree.fromstring(data, PARSER)
    except etree.XMLSyntaxError as exc:
        raise BadFile(f"{where}damaged workbook: part {part!r} is not well-formed XML ({exc})") from None


def iterparse(data: bytes, events: tuple[str, ...]):
    """A big part's elements as they are parsed (`lxml.etree.iterparse`), with `PARSER`'s
    settings (iterparse takes options, not a parser)."""
    return etree.iterparse(io.BytesIO(data), events=events, resolve_entities=False, no_network=True,
                           huge_tree=False, load_dtd=False)


def serialize(root) -> bytes:
    """An XML part's bytes, as this project writes every part it edits."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


class Rel(NamedTuple):
    """One internal relationship of a part."""

    id: str
    type: str
    target: str  # the target part, as the zip spells it when it has it


class SheetEntry(NamedTuple):
    """One `<sheet>` of the workbook, in workbook order."""

    name: str
    state: str  # visible, hidden or veryHidden
    kind: str  # worksheet, chartsheet, dialogsheet, macrosheet
    part: str | None  # the zip part holding it (None: a dangling relationship)
    sheet_id: str
    rel_id: str


class SheetPart(NamedTuple):
    name: str
    path: str  # e.g. "xl/worksheets/sheet1.xml"
    tables: tuple[TableRange, ...]


class Package:
    """A workbook package: read part by part, changed, and written anew by `save(dest)` or
    `write_to(stream)`. `named`: error messages start with the file's name."""

    def __init__(self, path: str | os.PathLike, checked: bool = False, named: bool = False,
                 hashed: bool = False):
        self.path = Path(path)
        self._where = f"{self.path.name}: " if named else ""
        #: `hashed`: the SHA-256 of every part's inflated bytes as the safety gate saw them, by name
        self.part_digests: dict[str, str] | None = {} if hashed else None
        if hashed and checked:
            raise ValueError("part digests come from the safety gate's pass: a hashed package is checked here")
        if not checked:
            check_workbook_file(self.path, self.part_digests)
        try:
            self.zip = zipfile.ZipFile(self.path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise BadFile(f"{self._where}cannot read the workbook: {exc}") from None
        self.infos = self.zip.infolist()
        self._infos = {info.filename: info for info in self.infos}
        self._folded: dict[str, str] = {}
        for info in self.infos:  # the first of names that differ only in case, as zip readers take it
            self._folded.setdefault(info.filename.lower(), info.filename)
        self._cache: dict[str, bytes] = {}
        self._written: dict[str, bytes | Deflated] = {}  # Deflated: a big part, compressed when written
        self._trees: dict[str, etree._Element] = {}
        self._removed: set[str] = set()
        self._added: dict[str, None] = {}  # parts the package did not have, in the order they came
        self._planned: set[str] = set()  # names handed out by free_name, written later
        self._pristine: dict[str, bytes] = {}  # a parsed part's serialization as read

    def __enter__(self) -> "Package":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the zip file."""
        self.zip.close()

    # --- reading --------------------------------------------------------------------

    def actual(self, part: str) -> str:
        """The part's name as the zip spells it (part names compare case-insensitively)."""
        return part if part in self._infos else self._folded.get(part.lower(), part)

    def has(self, part: str) -> bool:
        """Whether the package holds this part (as changed so far)."""
        part = self.actual(part)
        if part in self._written or part in self._trees:
            return True
        return part not in self._removed and part in self._infos

    def info(self, part: str) -> zipfile.ZipInfo:
        """The zip entry of a part as read (its sizes, CRC)."""
        return self._infos[self.actual(part)]

    def read(self, part: str) -> bytes:
        """The part's bytes, inflated (or as changed so far)."""
        part = self.actual(part)
        if part in self._trees:
            return serialize(self._trees[part])
        if part in self._written:
            data = self._written[part]
            return zlib.decompress(data.data, -zlib.MAX_WBITS) if isinstance(data, Deflated) else data
        data = self._cache.get(part)
        if data is None:
            if part in self._removed or part not in self._infos:
                raise BadFile(f"{self._where}damaged workbook: part {part!r} is missing")
            try:
                data = self.zip.read(part)
            except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise BadFile(f"{self._where}damaged workbook: part {part!r} cannot be read ({exc})") from None
            if len(data) <= _KEEP:
                self._cache[part] = data
        return data

    def xml(self, part: str):
        """A part parsed as XML (safely), its root element: a copy of its own, for reading."""
        return parse_xml(self.read(part), part, self._where)

    def workbook_part(self) -> str:
        """The workbook part the package's relationships name (usually `xl/workbook.xml`)."""
        for _, kind, target in self.rels(""):
            if kind.endswith("/officeDocument") and self.has(target):
                return target
        return DEFAULT_WORKBOOK

    def related(self, part: str, kind: str) -> str | None:
        """The first part related to `part` by a relationship whose type ends in `/kind`."""
        for _, rel_type, target in self.rels(part):
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

    def sheet_parts(self) -> dict[str, SheetPart]:
        """Each sheet with a part, by name, with its part and its Excel Tables: read from the
        small table parts, so that finding a Table costs microseconds, not a parse of its sheet."""
        found = {}
        for entry in self.sheets():
            if entry.part is None:
                continue
            tables = (self._table(target) for _, kind, target in self.rels(entry.part)
                      if kind == TABLE_REL and self.has(target))
            found[entry.name] = SheetPart(entry.name, entry.part, tuple(t for t in tables if t is not None))
        return found

    def _table(self, part: str) -> TableRange | None:
        root = self.xml(part)
        ref = root.get("ref", "")
        if ":" not in ref:
            return None
        (top, left), (bottom, right) = (parse_a1(end) for end in ref.split(":"))
        headers = int(root.get("headerRowCount", "1"))
        totals = int(root.get("totalsRowCount", "0"))
        name = root.get("displayName") or root.get("name") or ""
        header_row = top if headers else top - 1  # a Table without a header row: none to match
        return TableRange(name, header_row, left, bottom - totals, right)

    # --- relationships ------------------------------------------------------------

    def rels(self, part: str) -> list[Rel]:
        """Each internal relationship of `part` (`` for the package's own), external ones left out."""
        name = rels_part(part)
        if not self.has(name):
            return []
        return [Rel(r.get("Id", ""), r.get("Type", ""), self.actual(resolve(part, r.get("Target", ""))))
                for r in self.tree(self.actual(name)) if local(r.tag) == "Relationship"
                and r.get("TargetMode") != "External"]

    def relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, target part) of a part; external targets left out."""
        return {rel.id: (rel.type, rel.target) for rel in self.rels(part)}

    def add_rel(self, part: str, kind: str, target_part: str, rel_id: str | None = None) -> str:
        """Add a relationship from `part` to `target_part`; its id (`rel_id`, kept as it is when
        `part` has a relationship with that id already, or the first free `rIdN`)."""
        name = self.actual(rels_part(part))
        if not self.has(name):
            self.set_tree(name, etree.Element(q("Relationships", PKG_REL), nsmap={None: PKG_REL}))
        root = self.tree(name)
        ids = {r.get("Id") for r in root if isinstance(r.tag, str)}
        if rel_id is None:
            n = len(ids) + 1
            while f"rId{n}" in ids:
                n += 1
            rel_id = f"rId{n}"
        elif rel_id in ids:
            return rel_id
        target = posixpath.relpath(target_part, posixpath.dirname(part))
        etree.SubElement(root, q("Relationship", PKG_REL), Id=rel_id, Type=kind, Target=target)
        return rel_id

    def drop_rels(self, part: str, kinds: set[str] | None = None, ids: set[str] | None = None) -> list[str]:
        """Remove `part`'s relationships (of `kinds` or with `ids`, default all, external links
        included); the internal target parts they named."""
        name = self.actual(rels_part(part))
        if not self.has(name):
            return []
        root = self.tree(name)
        targets = []
        for r in list(root):
            if not isinstance(r.tag, str):
                continue
            if (kinds is None or r.get("Type") in kinds) and (ids is None or r.get("Id") in ids):
                if r.get("TargetMode") != "External":
                    targets.append(self.actual(resolve(part, r.get("Target", ""))))
                root.remove(r)
        if not any(isinstance(r.tag, str) for r in root):
            self.remove(name)
        return targets

    def remove_unreferenced(self, parts: list[str]) -> None:
        """Remove each of `parts` no relationship of the package names any more (a picture
        two drawings share stays while one of them does), and what only they named."""
        pending = list(parts)
        while pending:
            named = self._named_parts()
            part = pending.pop()
            if part in named or not self.has(part) or part == CONTENT_TYPES:
                continue
            pending += [target for _, _, target in self.rels(part)]
            self.remove(part)

    def _named_parts(self) -> set[str]:
        named = set()
        for name in [*self._infos, *self._written, *self._trees]:
            if name.endswith(".rels") and self.has(name):
                named.update(target for _, _, target in self.rels(rels_source(name)))
        return named

    # --- editing --------------------------------------------------------------------

    def tree(self, part: str) -> etree._Element:
        """A small XML part as a tree; changes to it are saved."""
        part = self.actual(part)
        if part not in self._trees:
            root = parse_xml(self.read(part), part, self._where)
            if part not in self._written:
                self._pristine[part] = etree.tostring(root)
            self._trees[part] = root
            self._written.pop(part, None)
        return self._trees[part]

    def changed(self, part: str) -> bool:
        """Whether `part` will be written (new or different from what was read)."""
        part = self.actual(part)
        if part in self._removed:
            return False
        if part in self._trees:
            return part not in self._pristine or etree.tostring(self._trees[part]) != self._pristine[part]
        return part in self._written

    def write(self, part: str, data: bytes | Deflated, level: int | None = None) -> None:
        """`part` holds `data` (new, or instead of what it held). `level`: deflate it now, at
        this level, and keep only the compressed bytes until the save: a big sheet's XML is
        then held a few MB strong instead of tens (the save writes the same bytes it would
        have deflated at that level itself). `data` may come deflated already
        (`billing.workbook.zipout.deflate_pieces`)."""
        part = self._edited(part)
        self._trees.pop(part, None)
        self._written[part] = data if level is None or isinstance(data, Deflated) else deflate(data, level)

    def set_tree(self, part: str, root: etree._Element) -> None:
        """`part` holds the XML tree `root`."""
        part = self._edited(part)
        self._written.pop(part, None)
        self._trees[part] = root

    def _edited(self, part: str) -> str:
        part = self.actual(part)
        self._removed.discard(part)
        self._cache.pop(part, None)
        if part not in self._infos:
            self._added.setdefault(part)
        return part

    def remove(self, part: str) -> None:
        """Leave `part` out, with its content type and its own relationships."""
        part = self.actual(part)
        self._written.pop(part, None)
        self._trees.pop(part, None)
        self._cache.pop(part, None)
        self._removed.add(part)
        self.content_types_remove(part)
        self.drop_rels(part)  # a removed part's own relationships go with it

    def free_name(self, pattern: str) -> str:
        """The first unused part name of `pattern` (with `{n}`), e.g. `xl/tables/table{n}.xml`."""
        n = 1
        while self.has(pattern.format(n=n)) or pattern.format(n=n) in self._planned:
            n += 1
        self._planned.add(pattern.format(n=n))
        return pattern.format(n=n)

    # --- content types ------------------------------------------------------------

    def content_type_of(self, part: str) -> str | None:
        """The content type an `<Override>` gives `part`, if one does."""
        for node in self.tree(CONTENT_TYPES):
            if local(node.tag) == "Override" and node.get("PartName") == f"/{part}":
                return node.get("ContentType")
        return None

    def content_type(self, part: str, kind: str) -> None:
        """`part` is of content type `kind` (an `<Override>`, replacing any it had)."""
        root = self.tree(CONTENT_TYPES)
        self.content_types_remove(part)
        etree.SubElement(root, q("Override", CT), PartName=f"/{part}", ContentType=kind)

    def content_types_remove(self, part: str) -> None:
        if self.actual(part) == self.actual(CONTENT_TYPES):
            return
        root = self.tree(CONTENT_TYPES)
        for node in root.findall(q("Override", CT)):
            if node.get("PartName") == f"/{part}":
                root.remove(node)

    # --- writing --------------------------------------------------------------------

    def save(self, dest: Path, level: int = 6) -> None:
        """Write the package to `dest` atomically (`billing.atomic`); `level`: the deflate
        level of the parts written."""

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as out:
                self.write_to(out, level=level)

        write_atomically(dest, write)

    def part_names(self) -> list[str]:
        """The parts `write_to` writes, in its order."""
        return ([i.filename for i in self.infos if i.filename not in self._removed]
                + [name for name in self._added if self.has(name)])

    def written(self, part: str) -> bytes:
        """The part's bytes exactly as `write_to` writes them, inflated (an unchanged part's as
        read, not as its parsed tree would serialize)."""
        part = self.actual(part)
        if self.changed(part) or part not in self._infos:
            return self.read(part)
        return self._cache.get(part) or self.zip.read(part)

    def write_to(self, out: BinaryIO, deflated: Mapping[str, Deflated] | None = None, level: int = 6) -> None:
        """Write the package to the binary stream `out`: its parts in their order, then the new
        ones in the order they came. `deflated`: parts whose new content comes deflated already."""
        deflated = deflated or {}
        zip_out = ZipOut(out, level)
        with open(self.path, "rb") as source:
            for info in self.infos:
                name = info.filename
                if name in self._removed:
                    continue
                if name in deflated:
                    zip_out.add(name, deflated[name])
                elif self.changed(name):
                    zip_out.add(name, self._content(name))
                else:
                    zip_out.copy(source, info)
        for name in self._added:
            if self.has(name):
                zip_out.add(name, deflated[name] if name in deflated else self._content(name))
        zip_out.close()

    def _content(self, part: str) -> bytes | Deflated:
        """A changed part's new content as the zip writer takes it (deflated already or not)."""
        data = self._written.get(part)
        return data if isinstance(data, Deflated) else self.read(part)


def sheet_parts(path: str | os.PathLike) -> dict[str, SheetPart]:
    """Each sheet of the workbook at `path` (past the safety gate already) by name, with its
    part and its Tables."""
    with Package(path, checked=True) as pkg:
        return pkg.sheet_parts()


def part_chunks(archive: zipfile.ZipFile, part: str, size: int = 1 << 20) -> Iterator[bytes]:
    """A part's bytes, inflated `size` bytes at a time (a sheet is never held whole)."""
    with archive.open(part) as stream:
        while chunk := stream.read(size):
            yield chunk
