"""The fast writer: `Changes` applied to the workbook package directly.

Output sheets are generated as SpreadsheetML (`billing.xlsx_sheetxml`), input cells are
changed by rewriting only the rows they are on (every other row, and every part the run
does not touch, is copied as it was), and the package is written by `billing.xlsx_package`
(untouched parts copied compressed). On a 100k-row workbook this is the difference between
seconds and half a minute of openpyxl load and save.

It declines (`Unsupported`) what only the openpyxl writer does: marks (cell notes), and
input sheets whose shape needs a full model (rows or cells without addresses, a shared or
array formula's anchor cell overwritten, a new table column without a header to name it).
`billing.xlsx_write.apply_changes` then uses openpyxl; results are the same.
"""

from __future__ import annotations

import zipfile
from collections import defaultdict
from pathlib import Path

from lxml import etree

from billing.cells import column_letter, link_location, table_name
from billing.errors import BadFile
from billing.xlsx_package import DRAWING_REL, REL, TABLE_REL, WORKSHEET_REL, Package, q
from billing.xlsx_fast_errors import Unsupported
from billing.xlsx_inputs import update_sheet as _update_sheet
from billing.xlsx_sheetxml import DATE_FORMAT, bar_chart_xml, drawing_xml, output_sheet_xml, table_xml
from billing.xlsx_styles import Styles

WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
TABLE_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
DRAWING_CT = "application/vnd.openxmlformats-officedocument.drawing+xml"
CHART_CT = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
CHART_REL = f"{REL}/chart"
_MARK_SIGNATURE = b"&quot;xlbilling&quot;"


def fast_apply(src: Path, changes, dest: Path, table_style: str, max_width: int) -> None:
    """Apply `changes` (see `billing.xlsx_write.Changes`) to `src`, written to `dest`."""
    try:
        pkg = Package(src)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BadFile(f"{src.name}: cannot be read as a workbook ({exc})") from exc
    try:
        if changes.marks or changes.marks is not None and _has_marks(pkg):
            raise Unsupported("marks")
        try:
            sheets = _sheets(pkg)
        except (KeyError, etree.XMLSyntaxError) as exc:
            raise BadFile(f"{src.name}: cannot be read as a workbook ({exc})") from exc
        styles = Styles(pkg)
        taken = _table_names(pkg, sheets)
        for output in changes.outputs:
            _write_output(pkg, sheets, styles, taken, output, table_style, max_width)
        cells: dict[str, dict[int, dict[int, object]]] = defaultdict(lambda: defaultdict(dict))
        for change in (*changes.headers, *changes.updates):
            part = sheets.get(change.sheet.casefold())
            if part is None:
                raise ValueError(f"no worksheet {change.sheet!r} in the workbook")
            cells[part[1]][change.row][change.column] = change.name if hasattr(change, "name") else change.value
        for part, rows in cells.items():
            _update_sheet(pkg, part, next(n for n, p in sheets.values() if p == part), rows, styles)
        if cells:
            _drop_calc_chain(pkg)
        pkg.save(dest)
    finally:
        pkg.close()


def _has_marks(pkg: Package) -> bool:
    """Whether an earlier run left marks (notes and their highlight rule) to remove."""
    return any(name.startswith("xl/worksheets/") and name.endswith(".xml") and _MARK_SIGNATURE in pkg.read(name)
               for name in pkg.names) or any(name.startswith("xl/comments") for name in pkg.names)


def _sheets(pkg: Package) -> dict[str, tuple[str, str]]:
    """casefolded sheet name -> (name, part) of every worksheet."""
    rels = {rid: (kind, target) for rid, kind, target in pkg.rels("xl/workbook.xml")}
    out = {}
    for sheet in pkg.tree("xl/workbook.xml").iter(q("sheet")):
        kind, target = rels.get(sheet.get(q("id", REL)), (None, None))
        if kind == WORKSHEET_REL:
            out[sheet.get("name").casefold()] = (sheet.get("name"), target)
    return out


def _table_names(pkg: Package, sheets) -> set[str]:
    names = {n.get("name", "").casefold() for n in pkg.tree("xl/workbook.xml").iter(q("definedName"))}
    for _, part in sheets.values():
        for _, kind, target in pkg.rels(part):
            if kind == TABLE_REL and pkg.exists(target):
                names.add(pkg.tree(target).get("displayName", "").casefold())
    return names


def _table_name(base: str, taken: set[str]) -> str:
    name = table_name(base, lambda candidate: candidate.casefold() in taken)
    taken.add(name.casefold())
    return name


def _write_output(pkg: Package, sheets, styles: Styles, taken: set[str], output, table_style: str,
                  max_width: int) -> None:
    columns = tuple(output.columns)
    existing = sheets.get(output.name.casefold())
    if existing is not None:
        part = existing[1]
        for sheet in pkg.tree("xl/workbook.xml").iter(q("sheet")):
            if sheet.get("name") == existing[0]:
                sheet.set("name", output.name)  # Excel's names are case-insensitive: the run's spelling wins
        for _, kind, target in pkg.rels(part):
            if kind == TABLE_REL and pkg.exists(target):  # its name is free again
                taken.discard(pkg.tree(target).get("displayName", "").casefold())
        for target in pkg.drop_rels(part):
            for inner in pkg.drop_rels(target):  # a drawing's charts
                pkg.remove(inner)
            pkg.remove(target)
    else:
        part = pkg.free_name("xl/worksheets/sheet{n}.xml")
        rid = pkg.add_rel("xl/workbook.xml", WORKSHEET_REL, part)
        sheets_node = pkg.tree("xl/workbook.xml").find(q("sheets"))
        ids = [int(s.get("sheetId")) for s in sheets_node]
        sheet = sheets_node.makeelement(q("sheet"), {"name": output.name, "sheetId": str(max(ids, default=0) + 1)})
        sheet.set(q("id", REL), rid)
        sheets_node.append(sheet)
        sheets[output.name.casefold()] = (output.name, part)
        pkg.content_type(part, WORKSHEET_CT)
    link = columns.index(output.link_column) if output.link_column is not None else None
    cell_styles = [styles.xf(output.number_formats.get(c), hyperlink=j == link) for j, c in enumerate(columns)]
    widths = [len(str(c)) + 4 for c in columns]
    links = []
    for i, row in enumerate(output.rows, 2):
        for j, value in enumerate(row):
            if value is not None:
                widths[j] = max(widths[j], len(str(value)) + 2)
        if link is not None and isinstance(row[link], str) and "!" in row[link]:
            links.append((f"{column_letter(link)}{i}", link_location(row[link])))
    last_row = max(len(output.rows), 1) + 1
    rules = [(f"{column_letter(columns.index(h.column))}2:{column_letter(columns.index(h.column))}{last_row}",
              styles.dxf(h.fill), repr(h.above)) for h in output.highlights]
    table_part = pkg.free_name("xl/tables/table{n}.xml")
    table_rel = pkg.add_rel(part, TABLE_REL, table_part)
    ref = f"A1:{column_letter(len(columns) - 1)}{last_row}"
    pkg.write(table_part, table_xml(_next_table_id(pkg, sheets), _table_name(output.name, taken), ref, columns,
                                    table_style).encode())
    pkg.content_type(table_part, TABLE_CT)
    drawing_rel = _add_chart(pkg, part, output, columns) if output.chart is not None else None
    pkg.write(part, output_sheet_xml(columns, output.rows, cell_styles, styles.xf(DATE_FORMAT),
                                     [min(w, max_width) for w in widths], links, rules, drawing_rel,
                                     table_rel).encode())


def _next_table_id(pkg: Package, sheets) -> int:
    ids = [int(pkg.tree(target).get("id", 0)) for _, part in sheets.values() for _, kind, target in pkg.rels(part)
           if kind == TABLE_REL and pkg.exists(target)]
    return max(ids, default=0) + 1


def _add_chart(pkg: Package, part: str, output, columns) -> str:
    spec = output.chart
    first, last = (column_letter(columns.index(c)) for c in (spec.categories[0], spec.categories[-1]))
    name_at = columns.index(spec.name_column)
    series = [(str(output.rows[i][name_at]), f"${first}${i + 2}:${last}${i + 2}") for i in spec.series_rows]
    chart = pkg.free_name("xl/charts/chart{n}.xml")
    drawing = pkg.free_name("xl/drawings/drawing{n}.xml")
    pkg.write(chart, bar_chart_xml(spec.title, output.name, f"${first}$1:${last}$1", series).encode())
    pkg.content_type(chart, CHART_CT)
    pkg.write(drawing, drawing_xml(len(columns) + 1, pkg.add_rel(drawing, CHART_REL, chart)).encode())
    pkg.content_type(drawing, DRAWING_CT)
    return pkg.add_rel(part, DRAWING_REL, drawing)


def _drop_calc_chain(pkg: Package) -> None:
    """Excel rebuilds the calculation chain; a stale one (a formula cell overwritten) makes it repair the file."""
    for target in pkg.drop_rels("xl/workbook.xml", {f"{REL}/calcChain"}):
        pkg.remove(target)

