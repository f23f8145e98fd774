"""Changing cells of an input sheet in place, for the fast writer.

Only the rows that get a value are rewritten; every other row of the sheet's XML is copied
as it was, so a 300k-row sheet with a few thousand changed rows costs one pass of a
regular expression. A changed cell keeps its style (the user's formatting); a new date
cell gets a date format. New rows go in row order, the `<dimension>` grows, and each
Excel Table grows over the cells written just below it or just right of it, as the
openpyxl writer does (`billing.xlsx_write._grow_tables`).
"""

from __future__ import annotations

import re
from decimal import Decimal

from billing.cells import column_index, column_letter
from billing.xlsx_fast_errors import Unsupported
from billing.xlsx_package import TABLE_REL, Package, q
from billing.xlsx_sheetxml import DATE_FORMAT, cell_xml

_ROW = re.compile(r"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
_CELL = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_CELL_REF = re.compile(r'\br="([A-Z]{1,3})(\d+)"')
_ROW_NUMBER = re.compile(r'\br="(\d+)"')
_STYLE = re.compile(r'\bs="(\d+)"')
_SPANS = re.compile(r'\s+spans="[^"]*"')
_MERGE = re.compile(r'<mergeCell\b[^>]*\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_DIMENSION = re.compile(r'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"\s*/>')


def update_sheet(pkg: Package, part: str, sheet: str, rows: dict[int, dict[int, object]], styles) -> None:
    """Write `rows` ({row: {0-based column: value}}) into the worksheet `part`."""
    xml = pkg.read(part).decode("utf-8")
    _refuse_merged(xml, sheet, rows)
    open_at = xml.find("<sheetData")
    if open_at < 0:
        raise Unsupported("no sheetData")
    body_at = xml.index(">", open_at) + 1
    if xml[body_at - 2] == "/":  # <sheetData/>
        head, body, tail = xml[:open_at] + "<sheetData>", "", "</sheetData>" + xml[body_at:]
    else:
        close_at = xml.index("</sheetData>", body_at)
        head, body, tail = xml[:body_at], xml[body_at:close_at], xml[close_at:]
    date_style = styles.xf(DATE_FORMAT)
    pending = sorted(rows)
    out, p = [head], 0
    for r, attrs, inner, raw in _rows(body):
        while p < len(pending) and pending[p] < r:  # new rows before this one
            out.append(_row_xml(pending[p], "", "", rows[pending[p]], date_style))
            p += 1
        if p < len(pending) and pending[p] == r:
            out.append(_row_xml(r, _SPANS.sub("", attrs), inner, rows[r], date_style))
            p += 1
        else:
            out.append(raw)
    out += [_row_xml(r, "", "", rows[r], date_style) for r in pending[p:]]
    out.append(tail)
    pkg.write(part, _grow_dimension("".join(out), rows).encode("utf-8"))
    _grow_tables(pkg, part, rows)


def _rows(body: str):
    """(row number, attributes, cells, the row's text as written) of each row, in order.

    Splitting at `</row>` is the fast way through a big sheet; a piece holding more than
    one row (rows without cells are written `<row …/>`) is split by the full pattern.
    """
    pieces = body.split("</row>")
    for n, piece in enumerate(pieces):
        last = n == len(pieces) - 1
        start = piece.find("<row")
        if start < 0:
            if piece:
                yield -1, "", "", piece  # whitespace between rows
            continue
        if last or piece.find("<row", start + 4) >= 0:
            for match in _ROW.finditer(piece if last else piece + "</row>"):
                yield _number(match.group(1)), match.group(1), match.group(2) or "", match.group(0)
            continue
        close = piece.index(">", start)
        yield _number(piece[start + 4:close]), piece[start + 4:close], piece[close + 1:], piece + "</row>"


def _number(attrs: str) -> int:
    found = _ROW_NUMBER.search(attrs)
    if found is None:
        raise Unsupported("a row without its number")
    return int(found.group(1))


def _row_xml(r: int, attrs: str, inner: str, values: dict[int, object], date_style: int) -> str:
    if not attrs:
        attrs = f' r="{r}"'
    at = inner.rfind("<c ")
    last = _CELL_REF.search(inner, at) if at >= 0 else None
    if "<c" not in inner or last is not None and column_index(last.group(1)) < min(values):
        # the common case: new cells right of the row's last one, appended as they are
        added = "".join(f'<c r="{column_letter(c)}{r}"><v>{v:f}</v></c>' if type(v) is Decimal and v.is_finite()
                        else cell_xml(f"{column_letter(c)}{r}", v, None, date_style)
                        for c, v in sorted(values.items()))
        return f"<row{attrs}>{inner}{added}</row>"
    cells: dict[int, str] = {}
    for match in _CELL.finditer(inner):
        ref = _CELL_REF.search(match.group(1))
        if ref is None:
            raise Unsupported("a cell without its address")
        cells[column_index(ref.group(1))] = match.group(0)
    for column, value in values.items():
        old = cells.get(column, "")
        if "<f" in old and ('t="shared"' in old or 't="array"' in old) and "ref=" in old:
            raise Unsupported("the anchor of a shared or array formula")
        style = _STYLE.search(old.split(">", 1)[0]) if old else None
        cells[column] = cell_xml(f"{column_letter(column)}{r}", value, int(style.group(1)) if style else None,
                                 date_style)
    return f"<row{attrs}>{''.join(cells[c] for c in sorted(cells))}</row>"


def _refuse_merged(xml: str, sheet: str, rows: dict[int, dict[int, object]]) -> None:
    """A value inside merged cells (not their first) is refused, as the openpyxl writer does."""
    for match in _MERGE.finditer(xml):
        c1, r1, c2, r2 = column_index(match.group(1)), int(match.group(2)), column_index(match.group(3)), \
            int(match.group(4))
        for r in range(r1, r2 + 1):
            for c in rows.get(r, ()):
                if c1 <= c <= c2 and (r, c) != (r1, c1):
                    raise ValueError(f"{sheet}!{column_letter(c)}{r} is inside merged cells")


def _grow_dimension(xml: str, rows: dict[int, dict[int, object]]) -> str:
    match = _DIMENSION.search(xml)
    if match is None:
        return xml
    first = f"{match.group(1)}{match.group(2)}"
    last_col = column_index(match.group(3) or match.group(1))
    last_row = int(match.group(4) or match.group(2))
    last_col = max([last_col, *(c for cols in rows.values() for c in cols)])
    last_row = max(last_row, max(rows))
    return xml[:match.start()] + f'<dimension ref="{first}:{column_letter(last_col)}{last_row}"/>' + xml[match.end():]


def _grow_tables(pkg: Package, part: str, rows: dict[int, dict[int, object]]) -> None:
    cells = sorted((r, c + 1) for r, cols in rows.items() for c in cols)
    for _, kind, target in pkg.rels(part):
        if kind != TABLE_REL or not pkg.exists(target):
            continue
        table = pkg.tree(target)
        min_col, min_row, max_col, max_row = start = _bounds(table.get("ref"))
        totals = int(table.get("totalsRowCount", "0") or 0)
        grown = True
        while grown:
            grown = False
            for r, c in cells:
                if c == max_col + 1 and min_row <= r <= max_row:
                    _add_column(table, rows.get(min_row, {}).get(c - 1))
                    max_col, grown = c, True
                elif r == max_row + 1 and min_col <= c <= max_col and not totals:
                    max_row, grown = r, True
        if (min_col, min_row, max_col, max_row) == start:
            continue
        ref = f"{column_letter(min_col - 1)}{min_row}:{column_letter(max_col - 1)}{max_row}"
        table.set("ref", ref)
        auto = table.find(q("autoFilter"))
        if auto is not None:
            auto.set("ref", f"{column_letter(min_col - 1)}{min_row}:{column_letter(max_col - 1)}{max_row - totals}")


def _bounds(ref: str) -> tuple[int, int, int, int]:
    first, _, last = ref.replace("$", "").partition(":")
    a = re.fullmatch(r"([A-Z]+)(\d+)", first)
    b = re.fullmatch(r"([A-Z]+)(\d+)", last or first)
    return column_index(a.group(1)) + 1, int(a.group(2)), column_index(b.group(1)) + 1, int(b.group(2))


def _add_column(table, header: object) -> None:
    if table.get("headerRowCount") == "0" or not isinstance(header, str) or not header:
        raise Unsupported("a new table column without a header written in the same run")
    columns = table.find(q("tableColumns"))
    if header.casefold() in {c.get("name", "").casefold() for c in columns}:
        raise ValueError(f"table {table.get('displayName')} already has a column {header!r}")
    next_id = max((int(c.get("id")) for c in columns), default=0) + 1
    columns.append(columns.makeelement(q("tableColumn"), {"id": str(next_id), "name": header}))
    columns.set("count", str(len(columns)))
