"""The sealed workbook as a package: what the seal writes into it, and reads back out.

Sealing rewrites the package part by part (`billing.workbook.package`): every worksheet gets a
`<sheetProtection>` and the workbook a `<workbookProtection lockStructure="1">` — a
courtesy against slips, not the security (the signature is) — the signed record goes into
cell A1 of a very-hidden sheet `_seal` and, shortened, into the custom document property
`xlbilling_seal`. All other parts are copied byte for byte.

A big sheet's XML is not re-parsed to add its protection: the `<sheetData>` is cut out,
the small rest is edited with lxml and the cells are spliced back in, so the work is one
deflate per sheet (done by the seal in the same job that reads the sheet's cells).

The record signs a digest of the SHA-256 of every part of the sealed file but its two
record parts (`parts_digest`; `prepare_sealed` makes every other change first, so those
bytes are final before the record is signed). A file whose parts all still hash the same
is the sealed file, part for part, whatever zip container holds them: `xlbilling verify`
then needs no canonical reading (`billing.sealing.verify`).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import NamedTuple

from lxml import etree

from billing.sealing.canonical import SEAL_SHEET
from billing.sealing.canonical.cells import string_text
from billing.sealing.canonical.parts import SharedStrings
from billing.workbook.ns import CUSTOM_PROPERTIES as CUSTOM_NS, CUSTOM_PROPERTIES_CT, CUSTOM_PROPERTIES_REL, MAIN, \
    REL, STRICT_MAIN, VT as VT_NS, WORKSHEET_CT, WORKSHEET_REL
from billing.workbook.package import Package, local, parse_xml, serialize
from billing.workbook.zipout import Deflated, deflate

PROPERTY = "xlbilling_seal"
SEAL_PART = "xl/worksheets/xlbilling-seal.xml"
SEAL_REL_ID = "rIdXlbillingSeal"
PROPS_REL_ID = "rIdXlbillingProps"
CUSTOM_PART = "docProps/custom.xml"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
NOTE = ("This workbook is sealed by xlbilling. Cell A1 holds the signed seal record; "
        "check the workbook with: xlbilling verify FILE")
#: CT_Worksheet's children that come before sheetProtection (ECMA-376 Part 1, §18.3.1.99)
_BEFORE_PROTECTION = ("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr")
_SHEET_DATA = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?sheetData\b[^>]*?(/?)>")
_DECLARED = re.compile(rb"<\?xml[^>]*encoding\s*=\s*[\"']([^\"']*)[\"']")


class Protected(NamedTuple):
    """A worksheet as the sealed file holds it: deflated, and the SHA-256 of its XML."""

    deflated: Deflated
    sha256: str


def protected_sheet(xml: bytes, part: str) -> Protected:
    """A worksheet protected, deflated and hashed (in the job that reads its cells)."""
    sheet = protect_sheet(xml, part)
    # level 1: a third of level 6's time on a big book's sheets, the file a quarter bigger
    return Protected(deflate(sheet, level=1), hashlib.sha256(sheet).hexdigest())


class Embedded(NamedTuple):
    """What a workbook carries of a seal: the record text (A1 of `_seal`) and the property."""

    record: str | None
    property: str | None


def _insert_protection(root) -> None:
    ns = etree.QName(root).namespace or MAIN
    for old in [c for c in root if local(c.tag) == "sheetProtection"]:
        root.remove(old)
    position = 0
    for index, child in enumerate(root):
        if local(child.tag) in _BEFORE_PROTECTION:
            position = index + 1
    root.insert(position, etree.Element(f"{{{ns}}}sheetProtection", sheet="1", objects="1", scenarios="1"))


def protect_sheet(xml: bytes, part: str) -> bytes:
    """A worksheet's XML with its sheet protection on."""
    declared = _DECLARED.match(xml)
    plain = (xml[:2] not in (b"\xff\xfe", b"\xfe\xff") and b"<!--" not in xml and b"<![CDATA[" not in xml
             and (declared is None or declared.group(1).lower() in (b"utf-8", b"utf8")))
    found = _SHEET_DATA.search(xml) if plain else None
    if found is not None and not found.group(2):
        close = b"</" + (found.group(1) + b":" if found.group(1) else b"") + b"sheetData>"
        end = xml.rfind(close)
        if end > found.end():
            marker = f"xlbilling-cells-{uuid.uuid4().hex}".encode()
            root = parse_xml(xml[:found.end()] + marker + xml[end:], part)
            _insert_protection(root)
            before, hit, after = serialize(root).partition(marker)
            if hit:
                return before + xml[found.end():end] + after
    root = parse_xml(xml, part)
    _insert_protection(root)
    return serialize(root)


def _workbook(pkg: Package, book_part: str, seal_rel: str | None) -> bytes:
    root = pkg.xml(book_part)
    ns = etree.QName(root).namespace or MAIN
    for old in [c for c in root if local(c.tag) == "workbookProtection"]:
        root.remove(old)
    names = [local(c.tag) for c in root]
    position = names.index("bookViews") if "bookViews" in names else names.index("sheets") if "sheets" in names else 0
    root.insert(position, etree.Element(f"{{{ns}}}workbookProtection", lockStructure="1"))
    sheets = next(c for c in root if local(c.tag) == "sheets")
    seal = [s for s in sheets if local(s.tag) == "sheet" and s.get("name") == SEAL_SHEET]
    if seal:
        seal[0].set("state", "veryHidden")
    else:
        ids = [int(s.get("sheetId")) for s in sheets if (s.get("sheetId") or "").isdigit()]
        element = etree.SubElement(sheets, f"{{{ns}}}sheet", name=SEAL_SHEET, sheetId=str(max(ids, default=0) + 1),
                                   state="veryHidden")
        element.set(f"{{{_id_namespace(sheets)}}}id", seal_rel)
    return serialize(root)


def _id_namespace(sheets) -> str:
    """The namespace the other sheets' `r:id` is in (transitional or strict)."""
    for sheet in sheets:
        for key in sheet.attrib:
            name = etree.QName(key)
            if name.localname == "id" and name.namespace:
                return name.namespace
    return REL


def _seal_sheet(record: str) -> bytes:
    root = etree.Element(f"{{{MAIN}}}worksheet", nsmap={None: MAIN})
    data = etree.SubElement(root, f"{{{MAIN}}}sheetData")
    for number, text in ((1, record), (2, NOTE)):
        row = etree.SubElement(data, f"{{{MAIN}}}row", r=str(number))
        cell = etree.SubElement(row, f"{{{MAIN}}}c", r=f"A{number}", t="inlineStr")
        etree.SubElement(etree.SubElement(cell, f"{{{MAIN}}}is"), f"{{{MAIN}}}t").text = text
    etree.SubElement(root, f"{{{MAIN}}}sheetProtection", sheet="1", objects="1", scenarios="1")
    return serialize(root)


def custom_part(pkg: Package) -> str | None:
    """The package's custom document properties part, if it has one."""
    return pkg.related("", "custom-properties")


def _custom_properties(pkg: Package, part: str | None, value: str) -> bytes:
    if part is not None:
        root = pkg.xml(part)
    else:
        root = etree.Element(f"{{{CUSTOM_NS}}}Properties", nsmap={None: CUSTOM_NS, "vt": VT_NS})
    for old in [p for p in root if p.get("name") == PROPERTY]:
        root.remove(old)
    pids = [int(p.get("pid")) for p in root if (p.get("pid") or "").isdigit()]
    prop = etree.SubElement(root, f"{{{CUSTOM_NS}}}property", fmtid=_FMTID, pid=str(max(pids + [1]) + 1),
                            name=PROPERTY)
    etree.SubElement(prop, f"{{{VT_NS}}}lpwstr").text = value
    return serialize(root)


class Layout(NamedTuple):
    """Where a sealed package keeps its record: the parts that alone may differ between two
    packages with the same signed record (everything else is in the record's `parts_digest`)."""

    seal_part: str  # the `_seal` sheet's part: the record in A1
    props_part: str  # the custom document properties: the record's short form
    props_existed: bool  # the workbook had custom properties of its own (they are kept)

    @property
    def record_parts(self) -> tuple[str, str]:
        return self.seal_part, self.props_part


def prepare_sealed(pkg: Package) -> Layout:
    """Make every change the seal makes to the package but writing the record itself
    (workbook protection, the `_seal` sheet's entry, relationships, content types): after
    this, every part but the layout's two record parts is as the sealed file will hold it."""
    book_part = pkg.workbook_part()
    existing = next((e for e in pkg.sheets() if e.name == SEAL_SHEET and e.part), None)
    seal_part, seal_rel = (existing.part, existing.rel_id) if existing else (_free_part(pkg), SEAL_REL_ID)
    pkg.write(book_part, _workbook(pkg, book_part, seal_rel))
    props = custom_part(pkg)
    layout = Layout(seal_part, props or CUSTOM_PART, props is not None)
    pkg.write(seal_part, b"")  # placeholders, in the order the parts are added: the record comes last
    if props is None:
        pkg.write(CUSTOM_PART, b"")
    for part, content_type in ((seal_part, WORKSHEET_CT), (layout.props_part, CUSTOM_PROPERTIES_CT)):
        if pkg.content_type_of(part) is None:  # one a part has already stays as it is
            pkg.content_type(part, content_type)
    if not existing:
        pkg.add_rel(book_part, WORKSHEET_REL, seal_part, rel_id=seal_rel)
    if props is None:
        pkg.add_rel("", CUSTOM_PROPERTIES_REL, CUSTOM_PART, rel_id=PROPS_REL_ID)
    return layout


def part_digests(pkg: Package, layout: Layout, protected: dict[str, Protected]) -> dict[str, str]:
    """The SHA-256 of every part the sealed file will hold but the record parts, by name, of
    its inflated bytes (what the safety gate hashes when `verify` opens the file): the
    protected sheets' from the jobs that made them, the others' read here (small parts)."""
    skip = set(layout.record_parts)
    return {name: protected[name].sha256 if name in protected else hashlib.sha256(pkg.written(name)).hexdigest()
            for name in pkg.part_names() if name not in skip}


def write_sealed(pkg: Package, layout: Layout, out, protected: dict[str, Protected], record: str,
                 property_value: str) -> None:
    """Write the sealed package to the binary file `out` (after `prepare_sealed`); `protected`:
    every worksheet but `_seal`, protected and deflated, by part."""
    pkg.write(layout.seal_part, _seal_sheet(record))
    pkg.write(layout.props_part, _custom_properties(pkg, layout.props_part if layout.props_existed else None,
                                                    property_value))
    pkg.write_to(out, deflated={part: p.deflated for part, p in protected.items()})


def _free_part(pkg: Package) -> str:
    part, number = SEAL_PART, 1
    while pkg.has(part):
        number += 1
        part = f"xl/worksheets/xlbilling-seal{number}.xml"
    return part


def read_embedded(pkg: Package) -> Embedded:
    """The seal a workbook carries, if any (the record as text, not yet checked)."""
    book_part = pkg.workbook_part()
    record = None
    entry = next((e for e in pkg.sheets() if e.name == SEAL_SHEET and e.part), None)
    if entry is not None:
        record = _cell_a1(pkg, entry.part, book_part)
    prop = None
    props = custom_part(pkg)
    if props is not None:
        for p in pkg.xml(props):
            if p.get("name") == PROPERTY:
                prop = "".join(p.itertext())
    return Embedded(record, prop)


def _cell_a1(pkg: Package, part: str, book_part: str) -> str | None:
    """The text of cell A1 of a sheet (inline or shared string), None if it has none."""
    for element in pkg.xml(part).iter(f"{{{MAIN}}}c", f"{{{STRICT_MAIN}}}c"):
        if (element.get("r") or "").upper() != "A1":
            continue
        kind = element.get("t")
        for child in element:
            if local(child.tag) == "is":
                return string_text(child)
            if local(child.tag) == "v" and kind in ("s", "str"):
                text = child.text or ""
                if kind == "str":
                    return text
                strings = SharedStrings(pkg, book_part)
                return strings.texts[int(text)] if text.isdigit() and int(text) < len(strings) else None
        return None
    return None


def property_value(record: dict) -> str:
    """The short form of the record kept as a document property (Excel shows up to 255 characters)."""
    return json.dumps({"content_digest": record["content_digest"], "key_id": record["key_id"],
                       "sealed_at": record["sealed_at"]}, sort_keys=True, separators=(",", ":"))
