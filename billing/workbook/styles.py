"""The style sheet as the package writer needs it: a cell style per number format (and one
for hyperlinks), and highlight fills for conditional formatting, each found or added once
and used by index.

Rules:
- An entry equal to one already there (the one an earlier run added) is reused, so running
  the same command again leaves the style sheet as it was and it never grows run by run.
- The style sheet is the part the workbook's relationships name; a workbook without one
  (some generators write none) gets a minimal one, and a missing list (fonts, cell
  formats) is created with its default entry first, so index 0 keeps meaning "default".
- Nothing is read or written until a style is asked for.
"""

from __future__ import annotations

from lxml import etree

from billing.workbook.ns import BUILTIN_FORMAT_IDS, MAIN, STYLES_CT, STYLES_REL
from billing.workbook.package import Package, q

#: where a missing child goes: after the last of these present (the schema's order)
_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs", "tableStyles",
          "colors", "extLst")
#: the default first entry of a list that must have one (index 0 is what unstyled cells use)
_DEFAULTS = {
    "fonts": '<font xmlns="{ns}"><sz val="11"/><name val="Calibri"/></font>',
    "fills": '<fill xmlns="{ns}"><patternFill patternType="none"/></fill>',
    "borders": '<border xmlns="{ns}"><left/><right/><top/><bottom/><diagonal/></border>',
    "cellStyleXfs": '<xf xmlns="{ns}" numFmtId="0" fontId="0" fillId="0" borderId="0"/>',
    "cellXfs": '<xf xmlns="{ns}" numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
}
_MINIMAL = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
            '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            '<dxfs count="0"/><tableStyles count="0"/></styleSheet>')  # what Excel writes for a new workbook
_HYPERLINK_COLOR = "FF0563C1"


def same(a, b) -> bool:
    """Two style entries alike: the same element names, attributes and text, all the way down."""
    if etree.QName(a).localname != etree.QName(b).localname or dict(a.attrib) != dict(b.attrib):
        return False
    if (a.text or "").strip() != (b.text or "").strip() or len(a) != len(b):
        return False
    return all(same(x, y) for x, y in zip(a, b))


class Styles:
    """Cell styles and highlight fills found in or added to a package's style sheet on demand."""

    def __init__(self, pkg: Package, workbook_part: str):
        self._pkg = pkg
        self._workbook = workbook_part
        self._root = None
        self._xfs: dict[tuple[str | None, bool], int | None] = {(None, False): None}
        self._dxfs: dict[tuple[str, str | None], int] = {}

    @property
    def root(self):
        if self._root is None:
            part = next((t for _, kind, t in self._pkg.rels(self._workbook) if kind == STYLES_REL
                         and self._pkg.has(t)), None)
            if part is None:  # a workbook without a style sheet gets a minimal one
                part = "xl/styles.xml" if not self._pkg.has("xl/styles.xml") else \
                    self._pkg.free_name("xl/styles{n}.xml")
                self._pkg.write(part, _MINIMAL.encode())
                self._pkg.add_rel(self._workbook, STYLES_REL, part)
                self._pkg.content_type(part, STYLES_CT)
            self._root = self._pkg.tree(part)
        return self._root

    def _child(self, tag: str):
        """The style sheet's `tag` element, created in schema order (with its default entry) when missing."""
        node = self.root.find(q(tag))
        if node is None:
            node = self.root.makeelement(q(tag), {"count": "0"})
            before = _ORDER[:_ORDER.index(tag)]
            anchor = None
            for child in self.root:
                if isinstance(child.tag, str) and etree.QName(child).localname in before:
                    anchor = child
            if anchor is None:
                self.root.insert(0, node)
            else:
                anchor.addnext(node)
            if tag in _DEFAULTS:
                node.append(etree.fromstring(_DEFAULTS[tag].format(ns=MAIN)))
                node.set("count", "1")
        return node

    def _find_or_append(self, tag: str, element) -> int:
        parent = self._child(tag)
        entries = [c for c in parent if isinstance(c.tag, str)]
        for i, entry in enumerate(entries):
            if same(entry, element):
                return i
        parent.append(element)
        parent.set("count", str(len(entries) + 1))
        return len(entries)

    def _number_format(self, code: str) -> int:
        if code in BUILTIN_FORMAT_IDS:
            return BUILTIN_FORMAT_IDS[code]
        formats = self._child("numFmts")
        for node in formats:
            if isinstance(node.tag, str) and node.get("formatCode") == code:
                return int(node.get("numFmtId"))
        number = max([163, *(int(n.get("numFmtId", 0)) for n in formats if isinstance(n.tag, str))]) + 1
        formats.append(formats.makeelement(q("numFmt"), {"numFmtId": str(number), "formatCode": code}))
        formats.set("count", str(len([n for n in formats if isinstance(n.tag, str)])))
        return number

    def _hyperlink_font(self) -> int:
        font = self.root.makeelement(q("font"), {})
        etree.SubElement(font, q("u"))
        etree.SubElement(font, q("sz"), val="11")
        etree.SubElement(font, q("color"), rgb=_HYPERLINK_COLOR)
        etree.SubElement(font, q("name"), val="Calibri")
        return self._find_or_append("fonts", font)

    def xf(self, number_format: str | None, hyperlink: bool = False) -> int | None:
        """The cell style index for a number format (None: the default style, no index)."""
        key = (number_format, hyperlink)
        if key not in self._xfs:
            attrs = {"numFmtId": str(self._number_format(number_format)) if number_format else "0",
                     "fontId": str(self._hyperlink_font()) if hyperlink else "0",
                     "fillId": "0", "borderId": "0", "xfId": "0"}
            if number_format:
                attrs["applyNumberFormat"] = "1"
            if hyperlink:
                attrs["applyFont"] = "1"
            self._xfs[key] = self._find_or_append("cellXfs", self.root.makeelement(q("xf"), attrs))
        return self._xfs[key]

    def dxf(self, fill: str, font_color: str | None = None) -> int:
        """The differential style (for a conditional format) that fills a cell with `fill`
        (RGB hex) and, if given, colours its text `font_color`."""
        key = (fill, font_color)
        if key not in self._dxfs:
            dxf = self.root.makeelement(q("dxf"), {})
            if font_color:
                etree.SubElement(etree.SubElement(dxf, q("font")), q("color"), rgb=f"FF{font_color}")
            pattern = etree.SubElement(etree.SubElement(dxf, q("fill")), q("patternFill"), patternType="solid")
            etree.SubElement(pattern, q("fgColor"), rgb=f"FF{fill}")
            etree.SubElement(pattern, q("bgColor"), rgb=f"FF{fill}")
            self._dxfs[key] = self._find_or_append("dxfs", dxf)
        return self._dxfs[key]
