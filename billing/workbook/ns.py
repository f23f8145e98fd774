"""The names of SpreadsheetML packages, spelled once: XML namespaces, relationship types,
content types, fixed part names, and the built-in number formats.

Everything that reads or writes a workbook's parts (`billing.workbook`, `billing.sealing`)
takes them from here, as openpyxl keeps them in `openpyxl/xml/constants.py`.
"""

from __future__ import annotations

import posixpath

# --- namespaces -------------------------------------------------------------------------

#: SpreadsheetML (transitional), the namespace of workbook, sheet, styles and table parts
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#: officeDocument relationships: `r:id` attributes, and the prefix of relationship types
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#: the `.rels` parts' own namespace (`<Relationships>`)
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
#: `[Content_Types].xml`
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
#: Strict Open XML's counterparts of MAIN and REL (read, never written)
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships"
STRICT_NAMESPACES = (STRICT_MAIN, STRICT_REL)
#: custom document properties and their value types
CUSTOM_PROPERTIES = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
#: DrawingML: charts, shapes, and their anchoring on a sheet
CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"
DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/main"
XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"

# --- relationship types -----------------------------------------------------------------

OFFICE_DOCUMENT_REL = f"{REL}/officeDocument"
WORKSHEET_REL = f"{REL}/worksheet"
TABLE_REL = f"{REL}/table"
DRAWING_REL = f"{REL}/drawing"
CHART_REL = f"{REL}/chart"
CALC_CHAIN_REL = f"{REL}/calcChain"
STYLES_REL = f"{REL}/styles"
SHARED_STRINGS_REL = f"{REL}/sharedStrings"
COMMENTS_REL = f"{REL}/comments"
VML_REL = f"{REL}/vmlDrawing"
CUSTOM_PROPERTIES_REL = f"{REL}/custom-properties"
#: the kind of sheet a `<sheet>` entry's relationship points to, by the relationship type's last word
SHEET_KINDS = ("worksheet", "chartsheet", "dialogsheet", "macrosheet", "xlMacrosheet", "xlIntlMacrosheet")

# --- content types ----------------------------------------------------------------------

_OFFICE = "application/vnd.openxmlformats-officedocument"
WORKSHEET_CT = f"{_OFFICE}.spreadsheetml.worksheet+xml"
TABLE_CT = f"{_OFFICE}.spreadsheetml.table+xml"
STYLES_CT = f"{_OFFICE}.spreadsheetml.styles+xml"
DRAWING_CT = f"{_OFFICE}.drawing+xml"
CHART_CT = f"{_OFFICE}.drawingml.chart+xml"
CUSTOM_PROPERTIES_CT = f"{_OFFICE}.custom-properties+xml"

# --- part names -------------------------------------------------------------------------

CONTENT_TYPES = "[Content_Types].xml"
#: where the workbook part is when the package's relationships do not say
DEFAULT_WORKBOOK = "xl/workbook.xml"

# --- number formats ---------------------------------------------------------------------

#: ECMA-376 Part 1, §18.8.30: the built-in number formats every reader knows by id
BUILTIN_FORMATS = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 11: "0.00E+00",
    12: "# ?/?", 13: "# ??/??", 14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy",
    18: "h:mm AM/PM", 19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "m/d/yy h:mm",
    37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)", 39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)",
    45: "mm:ss", 46: "[h]:mm:ss", 47: "mmss.0", 48: "##0.0E+0", 49: "@",
}
#: the same table by code, for the codes the package writer names by id (no `<numFmt>` of
#: their own). Only these seven: any other code is added as a custom format, as earlier runs
#: added it, so a style sheet an earlier run wrote is found again and never grows.
BUILTIN_FORMAT_IDS = {BUILTIN_FORMATS[number]: number for number in (0, 1, 2, 3, 4, 9, 10)}


# -- part names: where a part's relationships live, and what a target names ----------------

def rels_part(part: str) -> str:
    """`xl/worksheets/sheet1.xml` → `xl/worksheets/_rels/sheet1.xml.rels` (`` → `_rels/.rels`)."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def rels_source(rels: str) -> str:
    """`xl/worksheets/_rels/sheet1.xml.rels` → `xl/worksheets/sheet1.xml` (`_rels/.rels` → ``)."""
    folder, name = posixpath.split(rels)
    return posixpath.join(posixpath.dirname(folder), name[:-len(".rels")])


def resolve(source_part: str, target: str) -> str:
    """A relationship target as a part name (relative to the source's folder, or absolute)."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))
