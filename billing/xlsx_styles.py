"""The style sheet (`xl/styles.xml`) as the fast writer needs it: a cell style per number
format (and one for hyperlinks), and highlight fills for conditional formatting, each
added once and reused by index."""

from __future__ import annotations

from lxml import etree

from billing.xlsx_package import Package, q

PART = "xl/styles.xml"
#: the built-in number formats the project uses (ECMA-376 §18.8.30), by their code
BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10}
#: where a missing child goes: after the last of these present (the schema's order)
_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs", "tableStyles",
          "colors", "extLst")
_HYPERLINK_COLOR = "FF0563C1"


class Styles:
    """Cell styles and highlight fills added to a package's style sheet on demand."""

    def __init__(self, pkg: Package):
        self._pkg = pkg
        self._root = None
        self._xfs: dict[tuple[str | None, bool], int | None] = {(None, False): None}
        self._dxfs: dict[str, int] = {}

    @property
    def root(self):
        if self._root is None:
            self._root = self._pkg.tree(PART)
        return self._root

    def _child(self, tag: str):
        """The style sheet's `tag` element, created in schema order when missing."""
        node = self.root.find(q(tag))
        if node is None:
            node = self.root.makeelement(q(tag), {"count": "0"})
            before = _ORDER[:_ORDER.index(tag)]
            anchor = None
            for child in self.root:
                if etree.QName(child).localname in before:
                    anchor = child
            if anchor is None:
                self.root.insert(0, node)
            else:
                anchor.addnext(node)
        return node

    def _append(self, tag: str, element) -> int:
        parent = self._child(tag)
        parent.append(element)
        parent.set("count", str(len(parent)))
        return len(parent) - 1

    def _number_format(self, code: str) -> int:
        if code in BUILTIN_FORMATS:
            return BUILTIN_FORMATS[code]
        formats = self._child("numFmts")
        for node in formats:
            if node.get("formatCode") == code:
                return int(node.get("numFmtId"))
        number = max([163, *(int(n.get("numFmtId")) for n in formats)]) + 1
        self._append("numFmts", formats.makeelement(q("numFmt"), {"numFmtId": str(number), "formatCode": code}))
        return number

    def _hyperlink_font(self) -> int:
        font = self.root.makeelement(q("font"), {})
        etree.SubElement(font, q("u"))
        etree.SubElement(font, q("sz"), val="11")
        etree.SubElement(font, q("color"), rgb=_HYPERLINK_COLOR)
        etree.SubElement(font, q("name"), val="Calibri")
        return self._append("fonts", font)

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
            self._xfs[key] = self._append("cellXfs", self.root.makeelement(q("xf"), attrs))
        return self._xfs[key]

    def dxf(self, fill: str) -> int:
        """The differential style (for a conditional format) that fills a cell with `fill` (RGB hex)."""
        if fill not in self._dxfs:
            dxf = self.root.makeelement(q("dxf"), {})
            pattern = etree.SubElement(etree.SubElement(dxf, q("fill")), q("patternFill"), patternType="solid")
            etree.SubElement(pattern, q("fgColor"), rgb=f"FF{fill}")
            etree.SubElement(pattern, q("bgColor"), rgb=f"FF{fill}")
            self._dxfs[fill] = self._append("dxfs", dxf)
        return self._dxfs[fill]
