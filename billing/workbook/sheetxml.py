"""SpreadsheetML text for the fast writer: cell values, a whole output sheet, its table,
and a bar chart with its drawing.

Each cell renders the writer contract's decision (`billing.changes.cell_value`): strings
are written inline (`t="inlineStr"`), so the shared-string table of a big workbook is never
rewritten, and are always text, never a formula or an error code; a Decimal is written
with all its digits; dates become Excel serial numbers with a date format, as Excel itself
stores them.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from billing.cells import column_letter, quote_sheet
from billing.changes import BOOL, DATE, DATETIME, MAX_TEXT, TEXT, cell_value, clean_text
from billing.contract import CHART_AXIS_FORMAT
from billing.workbook.ns import CHART as CHART_NS, DRAWING as DRAWING_NS, MAIN, REL, XDR as XDR_NS

_EPOCH = dt.date(1899, 12, 30)
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def serial(value: dt.date) -> str:
    """An Excel serial date (1900 system); a date-time keeps its time as the fraction."""
    if isinstance(value, dt.datetime):
        delta = value - dt.datetime.combine(_EPOCH, dt.time())
        return repr(delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000)
    return str((value - _EPOCH).days)


def cell_xml(ref: str, value: object, style: int | None, date_style: int | None = None) -> str:
    """One `<c>` element rendering `cell_value(value)`; an empty cell gives an empty styled
    cell or nothing. A date without a style of its own gets `date_style` (`cell_format`)."""
    if type(value) is Decimal and value.is_finite():  # the common case first: this runs for millions of cells
        return f'<c r="{ref}" s="{style}"><v>{value:f}</v></c>' if style else f'<c r="{ref}"><v>{value:f}</v></c>'
    cell = cell_value(value, ref)
    if cell is None:  # empty text is an empty cell, as Excel keeps it
        return f'<c r="{ref}" s="{style}"/>' if style else ""
    kind, value = cell
    if not style and kind in (DATE, DATETIME):
        style = date_style
    s = f' s="{style}"' if style else ""
    if kind == TEXT:
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>'
    if kind == BOOL:
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if kind in (DATE, DATETIME):
        return f'<c r="{ref}"{s}><v>{serial(value)}</v></c>'
    number = f"{value:f}" if type(value) is Decimal else repr(value)  # a Decimal with all its digits
    return f'<c r="{ref}"{s}><v>{number}</v></c>'


def output_sheet_xml(columns, columns_of_rows: list[list[object]], styles: list[int | None], date_style: int,
                     widths: list[float], links: list[tuple[str, str]],
                     rules: list[tuple[str, int, str]], drawing_rel: str | None, table_rel: str) -> str:
    """A whole output worksheet: frozen header, widths, cells, highlight rules, hyperlinks,
    the chart's drawing and the table. `columns_of_rows`: the rows' values column by column
    (`billing.changes.output_columns`); each column's cells are made in one pass."""
    rows = len(columns_of_rows[0]) if columns_of_rows else 0
    last_row = max(rows, 1) + 1
    last = column_letter(len(columns) - 1)
    letters = [column_letter(j) for j in range(len(columns))]
    out = [HEAD, f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}">', f'<dimension ref="A1:{last}{last_row}"/>',
           '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
           'state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>',
           '<sheetFormatPr defaultRowHeight="15"/><cols>']
    out += [f'<col min="{j}" max="{j}" width="{w:g}" customWidth="1"/>' for j, w in enumerate(widths, 1)]
    out.append('</cols><sheetData><row r="1">')
    out += [cell_xml(f"{letters[j]}1", str(name), None) for j, name in enumerate(columns)]
    out.append("</row>")
    cells = [_column_xml(letters[j], values, styles[j], date_style) for j, values in enumerate(columns_of_rows)]
    for i, row in enumerate(zip(*cells), 2):
        joined = "".join(row)
        if joined:
            out.append(f'<row r="{i}">{joined}</row>')
    out.append("</sheetData>")
    for priority, (sqref, dxf, above) in enumerate(rules, 1):
        out.append(f'<conditionalFormatting sqref="{sqref}"><cfRule type="cellIs" dxfId="{dxf}" '
                   f'priority="{priority}" operator="greaterThan"><formula>{above}</formula></cfRule>'
                   "</conditionalFormatting>")
    if links:
        out.append("<hyperlinks>")
        out += [f"<hyperlink ref={quoteattr(ref)} location={quoteattr(location)} display={quoteattr(ref)}/>"
                for ref, location in links]
        out.append("</hyperlinks>")
    out.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>')
    if drawing_rel:
        out.append(f'<drawing r:id="{drawing_rel}"/>')
    out.append(f'<tableParts count="1"><tablePart r:id="{table_rel}"/></tableParts></worksheet>')
    return "".join(out)


def _column_xml(letter: str, values: list[object], style: int | None, date_style: int) -> list[str]:
    """One output column's cells from row 2 on ("" for an empty one). The column's kinds are
    looked at once: a column of exact numbers, of dates or of plain text (the common cases,
    millions of cells) is made by one comprehension; anything else cell by cell through
    `cell_xml`, the writer contract's rendering."""
    s = f' s="{style}"' if style else ""
    kinds = set(map(type, values)) - {type(None)}
    if kinds == {Decimal} and all(v.is_finite() for v in values if v is not None):
        return [f'<c r="{letter}{i}"{s}><v>{v:f}</v></c>' if v is not None else ""
                for i, v in enumerate(values, 2)]
    if kinds == {str}:
        present = [v for v in values if v is not None]
        if _plain_texts(present):  # escaped all at once: the separator is no printable text
            texts = iter(escape("\x00".join(present)).split("\x00"))
            return [f'<c r="{letter}{i}"{s} t="inlineStr"><is><t>{next(texts)}</t></is></c>' if v is not None
                    else "" for i, v in enumerate(values, 2)]
    if kinds == {int} or (kinds == {float} and all(math.isfinite(v) for v in values if v is not None)):
        return [f'<c r="{letter}{i}"{s}><v>{v!r}</v></c>' if v is not None else ""
                for i, v in enumerate(values, 2)]
    if kinds == {dt.date}:
        d = f' s="{style or date_style}"' if style or date_style else ""
        return [f'<c r="{letter}{i}"{d}><v>{(v - _EPOCH).days}</v></c>' if v is not None else ""
                for i, v in enumerate(values, 2)]
    cells = []
    append = cells.append
    for i, v in enumerate(values, 2):
        kind = type(v)
        if v is None or v == "":
            append("")
        elif kind is Decimal and v.is_finite():
            append(f'<c r="{letter}{i}"{s}><v>{v:f}</v></c>')
        elif kind is str and v.isprintable() and v == v.strip():  # text with nothing to clean or keep
            append(f'<c r="{letter}{i}"{s} t="inlineStr"><is><t>{escape(v[:MAX_TEXT])}</t></is></c>')
        else:
            append(cell_xml(f"{letter}{i}", v, style, date_style))
    return cells


def _plain_texts(texts: list[str]) -> bool:
    """Every text non-empty, printable, without spaces to keep at either end and short
    enough for a cell: written as it is (after escaping), nothing to clean or cut."""
    return (all(texts) and "".join(texts).isprintable() and max(map(len, texts), default=0) <= MAX_TEXT
            and all(map(str.__eq__, texts, map(str.strip, texts))))


def table_xml(table_id: int, name: str, ref: str, columns, style: str) -> str:
    """An Excel Table (ListObject) over `ref` with a header row and a filter."""
    cols = "".join(f'<tableColumn id="{j}" name={quoteattr(clean_text(str(c)))}/>' for j, c in enumerate(columns, 1))
    return (f'{HEAD}<table xmlns="{MAIN}" id="{table_id}" name={quoteattr(name)} displayName={quoteattr(name)} '
            f'ref="{ref}"><autoFilter ref="{ref}"/><tableColumns count="{len(columns)}">{cols}</tableColumns>'
            f'<tableStyleInfo name="{style}" showFirstColumn="0" showLastColumn="0" showRowStripes="1" '
            'showColumnStripes="0"/></table>')


def bar_chart_xml(title: str, sheet: str, categories: str, series: list[tuple[str, str]]) -> str:
    """A clustered column chart: categories and each series' values as ranges of `sheet`."""
    where = quote_sheet(sheet)
    parts = []
    for n, (name, values) in enumerate(series):
        parts.append(f'<c:ser><c:idx val="{n}"/><c:order val="{n}"/><c:tx><c:v>{escape(name)}</c:v></c:tx>'
                     f'<c:invertIfNegative val="0"/><c:cat><c:strRef><c:f>{escape(where)}!{categories}</c:f>'
                     f'</c:strRef></c:cat><c:val><c:numRef><c:f>{escape(where)}!{values}</c:f></c:numRef></c:val>'
                     "</c:ser>")
    return (f'{HEAD}<c:chartSpace xmlns:c="{CHART_NS}" xmlns:a="{DRAWING_NS}" xmlns:r="{REL}"><c:chart>'
            f'<c:title><c:tx><c:rich><a:bodyPr/><a:p><a:r><a:t>{escape(title)}</a:t></a:r></a:p></c:rich></c:tx>'
            '<c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/><c:plotArea><c:layout/><c:barChart>'
            '<c:barDir val="col"/><c:grouping val="clustered"/><c:varyColors val="0"/>' + "".join(parts) +
            '<c:gapWidth val="150"/><c:axId val="10"/><c:axId val="100"/></c:barChart>'
            '<c:catAx><c:axId val="10"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
            '<c:axPos val="b"/><c:numFmt formatCode="General" sourceLinked="1"/><c:tickLblPos val="nextTo"/>'
            '<c:crossAx val="100"/><c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/>'
            '<c:lblOffset val="100"/></c:catAx><c:valAx><c:axId val="100"/><c:scaling><c:orientation '
            'val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="l"/><c:majorGridlines/>'
            f'<c:numFmt formatCode="{CHART_AXIS_FORMAT}" sourceLinked="0"/><c:tickLblPos val="nextTo"/><c:crossAx val="10"/>'
            '<c:crosses val="autoZero"/><c:crossBetween val="between"/></c:valAx></c:plotArea><c:legend>'
            '<c:legendPos val="r"/><c:overlay val="0"/></c:legend><c:plotVisOnly val="1"/></c:chart></c:chartSpace>')


def drawing_xml(column: int, chart_rel: str) -> str:
    """A drawing holding one chart, anchored at row 2 of a 0-based column (16 × 8 cm)."""
    return (f'{HEAD}<xdr:wsDr xmlns:xdr="{XDR_NS}" xmlns:a="{DRAWING_NS}"><xdr:oneCellAnchor><xdr:from>'
            f'<xdr:col>{column}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row><xdr:rowOff>0</xdr:rowOff>'
            '</xdr:from><xdr:ext cx="5760000" cy="2880000"/><xdr:graphicFrame macro=""><xdr:nvGraphicFramePr>'
            '<xdr:cNvPr id="2" name="Chart 1"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr><xdr:xfrm>'
            '<a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic><a:graphicData '
            f'uri="{CHART_NS}"><c:chart xmlns:c="{CHART_NS}" xmlns:r="{REL}" r:id="{chart_rel}"/>'
            "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:oneCellAnchor></xdr:wsDr>")
