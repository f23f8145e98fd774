"""A worksheet's XML split in two for editing: its rows as text, everything else as a tree.

A sheet's `<sheetData>` (its rows) is nearly all of its size; what comes before and after
it (dimension, views, columns, merged cells, conditional formats, hyperlinks, drawings,
tables) is small. So the rows stay text, edited row by row by `billing.workbook.sheet_rows`, and
the rest — the *skeleton*, the sheet with an empty placeholder where its rows were — is an
lxml tree on demand, where elements are found and inserted by name and in the order the
schema (CT_Worksheet) demands, whatever namespace prefix the file uses.

Rule: `to_chunks()` gives back the sheet's bytes (in pieces) exactly as read unless the rows
were changed or the skeleton was marked changed (`touch()`); a sheet a run looks at but
does not change is never rewritten.
"""

from __future__ import annotations

import re
from typing import Iterator

from lxml import etree

from billing.errors import BadFile
from billing.workbook.ns import MAIN, STRICT_NAMESPACES
from billing.workbook.package import PARSER

_SHEET_DATA = re.compile(r"<((?:[A-Za-z_][\w.-]*:)?)sheetData\b[^>]*?(/?)>")
_PLACEHOLDER_ATTR = "xlbillingRowsGoHere"
_PLACEHOLDER = re.compile(r"<[^<>]*\b" + _PLACEHOLDER_ATTR + r'="1"\s*/>')
#: CT_Worksheet's children in the order the schema requires (ECMA-376 §18.3.1.99)
WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr", "sheetProtection",
    "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate", "customSheetViews", "mergeCells",
    "phoneticPr", "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions", "pageMargins",
    "pageSetup", "headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors",
    "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
    "webPublishItems", "tableParts", "extLst",
)
_RANK = {name: i for i, name in enumerate(WORKSHEET_ORDER)}


def q(tag: str) -> str:
    return f"{{{MAIN}}}{tag}"


class SheetText:
    """One worksheet being changed: `head`, `body` (the rows), `tail` as text; `skeleton()`."""

    def __init__(self, data: bytes, where: str):
        self.where = where  # the sheet's name, for messages
        self._original = data
        try:
            xml = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadFile(f"sheet {where!r} is not UTF-8 XML; open and save the workbook in Excel") from None
        if any(ns in xml[:2000] for ns in STRICT_NAMESPACES):
            raise BadFile(f"sheet {where!r} is Strict Open XML, which xlbilling does not write; "
                          "save the workbook in Excel as 'Excel Workbook (*.xlsx)'")
        found = _SHEET_DATA.search(xml)
        if found is None:  # a sheet without rows at all: give it its empty sheetData first
            xml = _with_empty_sheet_data(xml, where)
            found = _SHEET_DATA.search(xml)
        self.prefix = found.group(1)
        self.head = xml[:found.start()]
        if found.group(2):  # <sheetData/>
            self.body, self.tail = "", xml[found.end():]
        else:
            close = xml.find(f"</{self.prefix}sheetData>", found.end())
            if close < 0:
                raise BadFile(f"sheet {where!r} is damaged (its rows never end)")
            self.body, self.tail = xml[found.end():close], xml[close + len(f"</{self.prefix}sheetData>"):]
        self._rows_changed = False
        self._skeleton = None
        self._skeleton_changed = False

    def take_body(self) -> str:
        """The rows as text, handed over to be rewritten and given back by `set_body`: the
        sheet holds neither them nor its original bytes meanwhile (on a 70 MB sheet, the two
        are ~140 MB at the write's peak)."""
        body, self.body = self.body, ""
        self._rows_changed = True
        self._original = None
        return body

    def set_body(self, body: str) -> None:
        self.body = body
        self._rows_changed = True
        self._original = None  # never given back once the rows changed: tens of MB on a big sheet

    def skeleton(self):
        """The sheet without its rows as a tree (the rows' place held by a placeholder)."""
        if self._skeleton is None:
            text = f'{self.head}<{self.prefix}sheetData {_PLACEHOLDER_ATTR}="1"/>{self.tail}'
            try:
                self._skeleton = etree.fromstring(text.encode("utf-8"), PARSER)
            except etree.XMLSyntaxError as exc:
                raise BadFile(f"sheet {self.where!r} is not well-formed XML ({exc})") from None
        return self._skeleton

    def touch(self) -> None:
        """The skeleton was changed: write it back."""
        self._skeleton_changed = True

    @property
    def changed(self) -> bool:
        return self._rows_changed or self._skeleton_changed

    def to_chunks(self, size: int = 1 << 22) -> Iterator[bytes]:
        """The sheet's bytes in pieces of about `size`: the rows are encoded a slice at a time
        (a 70 MB sheet is not made a second and a third time over as one text and its bytes)."""
        if not self.changed:
            yield self._original
            return
        rows_open, rows_close = f"<{self.prefix}sheetData>", f"</{self.prefix}sheetData>"
        if not self._skeleton_changed:
            before, after = self.head, self.tail
        else:
            text = etree.tostring(self._skeleton, xml_declaration=True, encoding="UTF-8",
                                  standalone=True).decode("utf-8")
            found = _PLACEHOLDER.search(text)
            before, after = text[:found.start()], text[found.end():]
        yield (before + rows_open).encode("utf-8")
        body = self.body
        for start in range(0, len(body), size):  # slices of whole characters: their bytes join up
            yield body[start:start + size].encode("utf-8")
        yield (rows_close + after).encode("utf-8")

    def find(self, tag: str):
        """The skeleton's first `tag` child (in the main namespace), or None."""
        return self.skeleton().find(q(tag))

    def insert(self, element) -> None:
        """Insert `element` as a child of the worksheet where the schema wants it."""
        insert_in_order(self.skeleton(), element)
        self.touch()


def insert_in_order(root, element) -> None:
    """Insert `element` into the worksheet `root` after every child that may come before it
    (after the last one of its own kind, too); unknown children (extensions) are passed over."""
    rank = _RANK[etree.QName(element).localname]
    anchor = None
    for child in root:
        if isinstance(child.tag, str) and etree.QName(child).namespace == MAIN \
                and _RANK.get(etree.QName(child).localname, len(_RANK)) <= rank:
            anchor = child
    if anchor is None:
        root.insert(0, element)
    else:
        anchor.addnext(element)


def _with_empty_sheet_data(xml: str, where: str) -> str:
    try:
        root = etree.fromstring(xml.encode("utf-8"), PARSER)
    except etree.XMLSyntaxError as exc:
        raise BadFile(f"sheet {where!r} is not well-formed XML ({exc})") from None
    insert_in_order(root, root.makeelement(q("sheetData"), {}))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True).decode("utf-8")
