"""A worksheet part as its canonical block (see `billing.sealing.canonical` for the form).

Two readers produce the same block. The fast one scans the XML text: it cuts the
`<sheetData>` out, drops the row tags, splits the rest at each `<c r="…"` and looks each
cell's remaining text up in `KeyedForms` — all of it C-speed string work, which is what
makes a 370k-row book digest in about the time python-calamine takes to read it. It only
runs on the shapes every mainstream writer produces (Excel, openpyxl, xlsxwriter,
LibreOffice: UTF-8, the main namespace as default, `r` on every cell) and hands anything
else — comments, CDATA, prefixes, cells without `r`, shared formulas, rich inline text —
to the element-by-element reader (lxml `iterparse`), which reads any well-formed sheet.

Outside the cells, version 2 also reads what hides a row, column or value without touching
the cell: rows lower than `LOW_ROW_POINTS`, columns narrower than `NARROW_COLUMN_CHARACTERS`,
the sheet's default row height and column width, `showZeros`, and the conditional-format
rules (`canonical_looks`). Formulas a seal refuses (`canonical_links`) are named by cell.
"""

from __future__ import annotations

import codecs
import re
from itertools import chain, compress
from typing import NamedTuple

from lxml import etree

from billing.sealing.canonical.cells import CellForms, CellProblem, Unusual, raw_cell
from billing.sealing.canonical.scan import KeyedForms
from billing.sealing.canonical.links import Link
from billing.sealing.canonical.looks import conditional_rules
from billing.cells import column_index, column_letter, quote_sheet
from billing.errors import BadFile
from billing.workbook.package import iterparse, local, parse_xml

_CELL_START = re.compile(r'<c r="([A-Z]{1,3}[1-9][0-9]{0,6})"')
_ROW_OPEN = re.compile(r"<row\b[^>]*>")
_HIDDEN_ROW = re.compile(r"<row\b[^>]*\shidden\s*=[^>]*>")
_ATTRIBUTE = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SHEET_DATA = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?sheetData\b[^>]*?(/?)>")
_DECLARATION = re.compile(rb"<\?xml[^>]*encoding\s*=\s*[\"']([^\"']*)[\"']")
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]+)")
#: a row tag with a height that is not plainly 5 points or more (checked exactly afterwards)
_LOW_ROW = re.compile(r"""<row\b[^>]*?\sht\s*=\s*(["'])(?!\s*(?:[5-9]|[1-9][0-9]+)(?:\.[0-9]*)?\s*\1)[^>]*>""")
_TRUE = ("1", "true")
#: below this height (points) a row shows no readable text; below this width (characters) a
#: column shows no value: both are sealed like hidden ones (version 2)
LOW_ROW_POINTS = 5.0
NARROW_COLUMN_CHARACTERS = 1.0


class SheetParts(NamedTuple):
    """What a worksheet's block is made of (the fields with defaults: version 2 only)."""

    hidden_rows: tuple[tuple[int, int], ...]  # runs of row numbers
    hidden_columns: tuple[tuple[int, int], ...]  # runs of 1-based column numbers
    rows_hidden_by_default: bool
    merged: tuple[str, ...]
    cells: str  # a line `REF\ttype\tvalue\tformat...\n` per cell with content, in the file's order
    low_rows: tuple[tuple[int, int], ...] = ()  # runs of rows (not hidden) lower than LOW_ROW_POINTS
    narrow_columns: tuple[tuple[int, int], ...] = ()  # runs of columns (not hidden) narrower than that
    columns_hidden_by_default: bool = False
    zeros_shown: bool = True
    conditional: tuple[str, ...] = ()  # `SQREF\tRULE` per conditional-format rule, by priority
    tables: tuple[str, ...] = ()  # `table\tNAME\tDISPLAY\tREF\tHEADERS\tTOTALS` per Excel Table, sorted
    links: tuple[Link, ...] = ()  # formulas a seal refuses (not part of the block)


def runs(ranges) -> tuple[tuple[int, int], ...]:
    """Inclusive ranges merged into sorted, non-overlapping, non-adjacent runs.

    >>> runs([(5, 5), (2, 3), (4, 4), (9, 12)])
    ((2, 5), (9, 12))
    """
    merged: list[list[int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return tuple((low, high) for low, high in merged)


def read_sheet(xml: bytes, sheet: str, forms: CellForms, keyed: KeyedForms) -> SheetParts:
    """The canonical parts of one worksheet part's XML."""
    try:
        parts = _fast(xml, sheet, keyed)
    except Unusual:
        parts = _by_element(xml, sheet, forms)
    except CellProblem as problem:
        _by_element(xml, sheet, forms)  # raises BadFile naming the cell: it knows where it is
        raise BadFile(f"{quote_sheet(sheet)}: a cell {problem}") from None
    if forms.linked:  # rare: look for the lines of refused formulas among this sheet's
        return parts._replace(links=_links(parts.cells, sheet, forms.linked))
    return parts


def _links(cells: str, sheet: str, linked: dict[str, tuple[str, str]]) -> tuple[Link, ...]:
    found = []
    for line in cells.split("\n"):
        ref, tab, rest = line.partition("\t")
        if tab and tab + rest in linked:
            found.append(Link(f"{quote_sheet(sheet)}!{ref}", *linked[tab + rest]))
    return tuple(found)


def _fast(xml: bytes, sheet: str, keyed: KeyedForms) -> SheetParts:
    declared = _DECLARATION.match(xml.removeprefix(codecs.BOM_UTF8))
    if (xml[:2] in (b"\xff\xfe", b"\xfe\xff") or (declared and declared.group(1).lower() not in (b"utf-8", b"utf8"))
            or b"<!--" in xml or b"<![CDATA[" in xml or xml.find(b"<?", 5) >= 0):
        raise Unusual("not plain UTF-8 XML")
    found = _SHEET_DATA.search(xml)
    if found is None or found.group(1):
        raise Unusual("no unprefixed sheetData")
    if found.group(2):
        data, skeleton = "", xml
    else:
        end = xml.rfind(b"</sheetData>")
        if end < found.end():
            raise Unusual("sheetData not closed")
        try:
            data = xml[found.end():end].decode("utf-8")
        except UnicodeDecodeError:
            raise Unusual("not UTF-8") from None
        skeleton = xml[:found.start()] + b"<sheetData/>" + xml[end + len(b"</sheetData>"):]
    outside = _Outside(keyed.forms)
    outside.add(parse_xml(skeleton, sheet))
    # every cell's text is checked on its own (by `_SIMPLE` or an XML parse that refuses
    # trailing elements), so prefixed or stray tags end up refused there
    if 't="shared"' in data or "\x00" in data:
        raise Unusual("shared formulas or NUL characters")
    hidden = []
    for tag in _HIDDEN_ROW.findall(data) if "hidden" in data else ():
        attributes = {m[0]: m[1] or m[2] for m in _ATTRIBUTE.findall(tag)}
        if not attributes.get("r", "").isdigit():
            raise Unusual("a hidden row without its number")
        if attributes.get("hidden") in _TRUE:
            hidden.append((int(attributes["r"]),) * 2)
    if outside.version >= 2 and "ht" in data:
        for tag in (m.group(0) for m in _LOW_ROW.finditer(data)):
            attributes = {m[0]: m[1] or m[2] for m in _ATTRIBUTE.findall(tag)}
            if not attributes.get("r", "").isdigit():
                raise Unusual("a low row without its number")
            if attributes.get("hidden") not in _TRUE:
                outside.row_height(int(attributes["r"]), attributes.get("ht"))
    data, rows = _ROW_OPEN.subn("", data)
    data = data.replace("</row>", "")
    parts = _CELL_START.split(data)  # [before, ref, rest of cell, ref, rest of cell, ...]
    refs, keys = parts[1::2], parts[2::2]
    if len(refs) != data.count("<c") or "<row" in data or parts[0].strip():
        raise Unusual("cells the scanner does not read")
    lines = keyed.lines(keys)  # '' for a cell without content
    if "" in lines:
        refs, lines = compress(refs, lines), filter(None, lines)
    cells = "".join(chain.from_iterable(zip(refs, lines)))
    return outside.parts(hidden, cells)


class _Outside:
    """What a sheet says outside its cells: hidden and merged ranges, and from version 2 low
    rows, narrow columns, default sizes, `showZeros` and conditional formats."""

    def __init__(self, forms: CellForms):
        self.version = forms.version
        self.looks = forms.looks
        self.hidden_columns: list[tuple[int, int]] = []
        self.narrow_columns: list[tuple[int, int]] = []
        self.low_rows: list[tuple[int, int]] = []
        self.zero_height = False
        self.columns_hidden = False
        self.zeros_shown = True
        self.merged: list[str] = []
        self.rules: list = []

    def add(self, root) -> None:
        """Take in every child of a sheet's root element."""
        for child in root:
            self.add_element(child)

    def add_element(self, child) -> None:
        """Take in one of a sheet's top-level elements (`cols`, `sheetFormatPr`, `mergeCells`,
        and for version 2 `sheetViews`, `conditionalFormatting`, `extLst`)."""
        name = local(child.tag)
        if name == "cols":
            for col in child:
                if local(col.tag) != "col":
                    continue
                if col.get("hidden") in _TRUE:
                    self.hidden_columns.append(_column_range(col))
                elif self.version >= 2 and col.get("width") is not None and _below(col.get("width"),
                                                                                    NARROW_COLUMN_CHARACTERS):
                    self.narrow_columns.append(_column_range(col))
        elif name == "sheetFormatPr":
            self.zero_height = child.get("zeroHeight") in _TRUE
            if self.version >= 2:
                height = child.get("defaultRowHeight")
                self.zero_height |= height is not None and _below(height, LOW_ROW_POINTS)
                width = child.get("defaultColWidth")
                base = child.get("baseColWidth")
                self.columns_hidden = (_below(width, NARROW_COLUMN_CHARACTERS) if width is not None
                                       else base is not None and _below(base, NARROW_COLUMN_CHARACTERS))
        elif name == "mergeCells":
            self.merged.extend(_range(m.get("ref", "")) for m in child if local(m.tag) == "mergeCell")
        elif self.version < 2:
            return
        elif name == "sheetViews":
            self.zeros_shown = not any(v.get("showZeros") in ("0", "false") for v in child
                                       if local(v.tag) == "sheetView")
        elif name == "conditionalFormatting":
            self.rules += conditional_rules(child, self.looks)
        elif name == "extLst":  # Excel 2010's conditional formats (x14), e.g. data bars
            for block in child.iter():
                if isinstance(block.tag, str) and local(block.tag) == "conditionalFormatting":
                    self.rules += conditional_rules(block, self.looks)

    def row_height(self, row: int, height: str | None) -> None:
        """A row's `ht`: too low to show anything, or not."""
        if height is not None and _below(height, LOW_ROW_POINTS):
            self.low_rows.append((row, row))

    def parts(self, hidden_rows: list[tuple[int, int]], cells: str) -> SheetParts:
        """The sheet's parts, with its hidden rows and cell lines."""
        rules = tuple(rule.line() for rule in sorted(self.rules, key=lambda r: (r.priority, r.line())))
        return SheetParts(runs(hidden_rows), runs(self.hidden_columns), self.zero_height,
                          tuple(sorted(self.merged)), cells, runs(self.low_rows), runs(self.narrow_columns),
                          self.columns_hidden, self.zeros_shown, rules)


def _below(text: str, limit: float) -> bool:
    """Whether a size attribute is below `limit`; one that is not a number counts as below
    (it shows nothing a reader could rely on)."""
    try:
        return not float(text) >= limit
    except ValueError:
        return True


def _column_range(col) -> tuple[int, int]:
    try:
        low, high = int(col.get("min", "")), int(col.get("max", ""))
    except ValueError:
        raise BadFile("damaged workbook: a column range without its numbers") from None
    return low, max(low, high)


def _range(ref: str) -> str:
    """A merged range as `A1:B2`: upper case, no `$`."""
    return ref.replace("$", "").upper()


_OUTSIDE = ("cols", "sheetFormatPr", "mergeCells", "sheetViews", "conditionalFormatting", "extLst")


def _by_element(xml: bytes, sheet: str, forms: CellForms) -> SheetParts:
    """The canonical parts of any well-formed sheet, element by element."""
    cells: list[str] = []
    hidden: list[tuple[int, int]] = []
    shared: dict[str, tuple[str, str]] = {}  # si -> (master formula, master cell)
    row = column = 0
    outside = _Outside(forms)
    try:
        for event, element in iterparse(xml, ("start", "end")):
            name = local(element.tag)
            if event == "start":
                if name == "row":
                    row = int(element.get("r") or row + 1)
                    column = 0
                    if element.get("hidden") in _TRUE:
                        hidden.append((row, row))
                    elif outside.version >= 2:
                        outside.row_height(row, element.get("ht"))
                continue
            parent = element.getparent()
            if name == "c" and parent is not None and local(parent.tag) == "row":
                ref = element.get("r")
                if ref:
                    match = _REF.fullmatch(ref)
                    if match is None:
                        raise BadFile(f"damaged workbook: {quote_sheet(sheet)} has a cell at {ref[:20]!r}")
                    column = column_index(match.group(1)) + 1
                    ref = f"{match.group(1).upper()}{int(match.group(2))}"
                else:
                    column += 1
                    ref = f"{column_letter(column - 1)}{row}"
                cells.append(_line(element, ref, sheet, forms, shared))
                element.clear()
            elif name == "row":
                element.clear()
                while element.getprevious() is not None:  # keep memory flat on big sheets
                    del parent[0]
            elif name in _OUTSIDE and parent is not None and parent.getparent() is None:
                outside.add_element(element)
    except etree.XMLSyntaxError as exc:
        raise BadFile(f"damaged workbook: sheet {sheet!r} is not well-formed XML ({exc})") from None
    return outside.parts(hidden, "".join(cells))


def _line(element, ref: str, sheet: str, forms: CellForms, shared: dict) -> str:
    cell = raw_cell(element)
    translated = None
    f = cell.formula
    if f is not None and f.kind == "shared":
        if f.text and f.group is not None:
            shared[f.group] = (f.text, ref)
        elif f.group in shared:
            translated = _translate(*shared[f.group], ref)
        else:
            raise BadFile(f"damaged workbook: {quote_sheet(sheet)}!{ref} uses a shared formula never defined")
        cell = cell._replace(formula=f._replace(kind="normal"))
    try:
        line = forms.line(cell, translated)
    except CellProblem as problem:
        raise BadFile(f"{quote_sheet(sheet)}!{ref}: {problem}") from None
    return f"{ref}{line}\n" if line else ""


def _translate(formula: str, origin: str, ref: str) -> str:
    """A shared formula's text as the cell at `ref` has it (relative references moved)."""
    from openpyxl.formula.translate import Translator, TranslatorError

    try:
        return Translator("=" + formula, origin=origin).translate_formula(ref)[1:]
    except TranslatorError as exc:
        raise BadFile(f"damaged workbook: a shared formula cannot be moved to {ref} ({exc})") from None
