"""The workbook-wide parts cells refer to: shared strings, and number formats (and, from
`xlbilling-canonical/2`, readability) by style.

Shared strings are cut out of `sharedStrings.xml` as text and decoded one by one when a
cell first uses them (a 300k-string table costs a split, not 300k element objects); an
unusual table (prefixes, comments, CDATA) is read element by element instead.
"""

from __future__ import annotations

import re

from lxml import etree

from billing.sealing.canonical.cells import CellProblem, escape, string_text, xml_text
from billing.sealing.canonical.looks import Looks
from billing.errors import BadFile
from billing.workbook.ns import BUILTIN_FORMATS, MAIN
from billing.workbook.package import PARSER, Package, iterparse, local

#: an item: its plain text (`<t>` without markup or entities) or else its inner XML
_ITEM = re.compile(r'<si><t(?: xml:space="preserve")?>([^<&]*)</t></si>|<si>(.*?)</si>|<si/>', re.S)
_SIMPLE_TEXT = re.compile(r'<t(?: xml:space="preserve")?>([^<&]*)</t>')


def number_formats(pkg: Package, workbook_part: str) -> list[str]:
    """The number format code of each cell style (`cellXfs` index), escaped for the canonical form."""
    return cell_looks(pkg, workbook_part, 1)[0]


def cell_looks(pkg: Package, workbook_part: str, version: int) -> tuple[list[str], Looks | None]:
    """What each cell style (`cellXfs` index) puts after a cell's value in its canonical line,
    and the workbook's `Looks` (None for version 1).

    Version 1: the escaped number format code. Version 2: the code, TAB, `1` or `0` (whether the
    style's text can be read, `Looks.readable`), TAB: the cached result of a formula follows."""
    part = pkg.related(workbook_part, "styles")
    root = pkg.xml(part) if part is not None else None
    looks = Looks(pkg, workbook_part, root) if version >= 2 else None
    if root is None:
        return ["General" if looks is None else "General\t1\t"], looks
    custom: dict[int, str] = {}
    formats: list[str] = []
    for child in root:
        name = local(child.tag)
        if name == "numFmts":
            for fmt in child:
                if local(fmt.tag) == "numFmt":
                    custom[_id(fmt.get("numFmtId"), part)] = fmt.get("formatCode", "")
        elif name == "cellXfs":
            for xf in child:
                if local(xf.tag) == "xf":
                    number = _id(xf.get("numFmtId") or "0", part)
                    code = escape(custom.get(number, BUILTIN_FORMATS.get(number, f"builtin:{number}")))
                    if looks is not None:
                        readable = looks.readable(_index(xf.get("fontId")), _index(xf.get("fillId")))
                        code = f"{code}\t{int(readable)}\t"
                    formats.append(code)
    return formats or ["General" if looks is None else "General\t1\t"], looks


def _index(text: str | None) -> int:
    """A style's font or fill index (0 when absent; -1, the defaults, when it is not a number)."""
    return int(text) if text and text.isdigit() else 0 if not text else -1


def table_lines(pkg: Package, sheet_part: str) -> tuple[str, ...]:
    """The Excel Tables (ListObjects) on a worksheet, version 2: what xlbilling's reader takes
    from them (which rows are the table's data) as `table TAB NAME TAB DISPLAY-NAME TAB REF
    TAB HEADER-ROWS TAB TOTALS-ROWS`, REF upper case without `$`, the counts as written
    (`1` and `0` when absent), escaped, sorted."""
    lines = []
    for kind, target in pkg.relationships(sheet_part).values():
        if kind.rsplit("/", 1)[-1] != "table" or not pkg.has(target):
            continue
        root = pkg.xml(target)
        fields = (root.get("name", ""), root.get("displayName", ""), root.get("ref", "").replace("$", "").upper(),
                  root.get("headerRowCount", "1"), root.get("totalsRowCount", "0"))
        lines.append("table\t" + "\t".join(escape(f) for f in fields))
    return tuple(sorted(lines))


def _id(text: str | None, part: str) -> int:
    try:
        return int(text or "")
    except ValueError:
        raise BadFile(f"damaged workbook: {part} has a number format id {str(text)[:20]!r}") from None


class SharedStrings:
    """The shared string table: each string's text by index, and all of them escaped."""

    def __init__(self, pkg: Package, workbook_part: str):
        part = pkg.related(workbook_part, "sharedStrings")
        texts: list[str] = []
        if part is not None:
            data = pkg.read(part)
            texts = self._scan(data)
            if texts is None:
                texts = _by_element(data, part)
        self.texts = texts
        # escaped all at once: NUL cannot occur in XML text, so it can separate them
        self.escaped = escape("\x00".join(texts)).split("\x00") if texts else []

    @staticmethod
    def _scan(data: bytes) -> list[str] | None:
        """The items cut out as text; None when the table needs a real parser."""
        if (data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"<!--" in data or b"<![CDATA[" in data
                or data.find(b"<?", 5) >= 0):
            return None
        try:
            body = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
        # a prefixed element (`<x:si>`) would not be cut out: any `:si` or `:t` sends the table
        # to the parser, which only costs time when a text happens to hold one
        if "<sst" not in body or ":si" in body or ":t" in body or ":r" in body or "\x00" in body:
            return None
        items = _ITEM.findall(body)
        if body.count("<si") != len(items):
            return None
        simple = [plain for plain, _ in items]
        if "\r" in body:  # line ends as an XML parser normalises them (only in the plain items)
            simple = xml_text("\x00".join(simple)).split("\x00")
        return [text if not rich else _item_text(rich) for text, (_, rich) in zip(simple, items)]

    def __len__(self) -> int:
        return len(self.texts)

    def __call__(self, index: int) -> str:
        if not 0 <= index < len(self.texts):
            raise CellProblem(f"refers to shared string {index}, but the workbook has {len(self.texts)}")
        return self.texts[index]


def _item_text(inner: str) -> str:
    simple = _SIMPLE_TEXT.fullmatch(inner)
    if simple:
        return xml_text(simple.group(1))
    try:
        return string_text(etree.fromstring(f'<si xmlns="{MAIN}">{inner}</si>', PARSER))
    except etree.XMLSyntaxError as exc:
        raise BadFile(f"damaged workbook: a shared string is not well-formed XML ({exc})") from None


def _by_element(data: bytes, part: str) -> list[str]:
    texts = []
    try:
        for _, element in iterparse(data, ("end",)):
            if local(element.tag) == "si":
                texts.append(string_text(element))
                element.clear()
    except etree.XMLSyntaxError as exc:
        raise BadFile(f"damaged workbook: part {part!r} is not well-formed XML ({exc})") from None
    return texts
