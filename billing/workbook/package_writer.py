"""The package writer: `Changes` applied to the workbook package directly. It is the only
way the project changes an existing workbook.

Output sheets are generated as SpreadsheetML (`billing.workbook.sheetxml`); input cells are
changed by rewriting only the rows they are on (`billing.workbook.sheet_rows`); marks are
highlight rules in the marked sheets (`billing.workbook.marks`); and the package is written
by `billing.workbook.package`, which copies every part the run does not change as its
compressed bytes. On a 100k-row workbook this is the difference between seconds and half
a minute of openpyxl load and save — and, above all, nothing the project does not model
(pictures, threaded comments, pivot tables, VBA, calcChain, thumbnails, extensions of
future Excel versions) can be lost.

What changes, and only that: the output sheets written (their parts, relationships,
tables and charts), the input sheets with cells written or marks added or removed, the
workbook part and its relationships when a sheet is added, the content types when parts
come or go, the style sheet when a style is first needed, the tables that grow, and the
calculation chain, dropped when cells are written or a sheet holding formulas is replaced
(Excel rebuilds it; a stale one makes Excel repair the file).

A Strict Open XML workbook is refused (`BadFile`): parts in its namespaces cannot be mixed
with the ones written here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

from lxml import etree

from billing.cells import column_letter, table_name
from billing.errors import BadFile
from billing.gcpause import gc_paused
from billing.changes import (DATE_FORMAT, TABLE_STYLE, Changes, ColumnRun, DoesNotFit, column_widths, output_columns,
                             output_links)
from billing.workbook.sheet_rows import SharedStrings, range_bounds, update_sheet
from billing.workbook.marks import MARK_FILL, MARK_TEXT, SIGNATURE, add_marks, clear_legacy_notes, clear_marks, \
    marks_by_sheet
from billing.workbook.ns import CALC_CHAIN_REL, CHART_CT, CHART_REL, COMMENTS_REL, DRAWING_CT, DRAWING_REL, REL, \
    STRICT_NAMESPACES, TABLE_CT, TABLE_REL, WORKSHEET_CT, WORKSHEET_REL
from billing.workbook.package import Package, q
from billing.workbook.sheettext import SheetText
from billing.workbook.sheetxml import bar_chart_xml, drawing_xml, output_sheet_xml, table_xml
from billing.workbook.styles import Styles
from billing.workbook.zipout import deflate_pieces

# level 1: a changed 40 MB sheet deflates in a third of level 6's time, ~15 % larger. Big
# sheets are deflated as soon as they are made (`Package.write(level=)`): only their
# compressed bytes wait for the save, not every sheet's XML at once
LEVEL = 1
_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f[\s>/]")


class Sheet(NamedTuple):
    name: str
    part: str | None
    worksheet: bool  # False: a chart sheet, dialog sheet, macro sheet


def apply_to_package(src: Path, changes: Changes, dest: Path) -> None:
    """Apply `changes` (`billing.changes.Changes`) to `src`, written to `dest`."""
    # the workbook was read (through the safety gate) before its changes were computed
    pkg = Package(src, checked=True, named=True)
    try:
        with gc_paused():  # rows and cells of big sheets: many small acyclic objects
            _Run(pkg, changes).apply()
            pkg.save(dest, level=LEVEL)
    finally:
        pkg.close()


class _Run:
    """One `apply_to_package`: the package and what the run has loaded of it."""

    def __init__(self, pkg: Package, changes: Changes):
        self.pkg, self.changes = pkg, changes
        self.workbook = pkg.workbook_part()
        book = pkg.tree(self.workbook)
        if etree.QName(book).namespace in STRICT_NAMESPACES:
            raise BadFile(f"{pkg.path.name}: a Strict Open XML workbook, which xlbilling does not write; "
                          "save it in Excel as 'Excel Workbook (*.xlsx)'")
        self.sheets = _sheets(pkg, self.workbook)
        self.styles = Styles(pkg, self.workbook)
        self.shared = SharedStrings(pkg, self.workbook)
        self.texts: dict[str, SheetText] = {}
        self.formulas_changed = False

    def text(self, part: str, data: bytes | None = None) -> SheetText:
        """The worksheet `part` being changed (loaded once per run)."""
        if part not in self.texts:
            name = next((s.name for s in self.sheets.values() if s.part == part), part)
            self.texts[part] = SheetText(self.pkg.read(part) if data is None else data, name)
        return self.texts[part]

    def apply(self) -> None:
        taken = _table_names(self.pkg, self.workbook, self.sheets)
        outputs = set()
        for output in self.changes.outputs:
            self._write_output(taken, output)
            outputs.add(output.name.casefold())
        cells: dict[str, dict[int, dict[int, object]]] = defaultdict(lambda: defaultdict(dict))
        for change in (*self.changes.headers, *self.changes.updates):
            sheet = self.sheets.get(change.sheet.casefold())
            if sheet is None or not sheet.worksheet or sheet.part is None:
                raise ValueError(f"no worksheet {change.sheet!r} in the workbook")
            if type(change) is ColumnRun:  # a column's run: no record per cell on the way
                rows, column = cells[sheet.part], change.column
                for row, value in enumerate(change.values, change.first_row):
                    rows[row][column] = value
            else:
                cells[sheet.part][change.row][change.column] = change.name if hasattr(change, "name") else change.value
        for part in list(cells):
            rows = cells.pop(part)  # a sheet's cells go once written: not all sheets' cells to the end
            update_sheet(self.pkg, part, self.text(part).where, self.text(part), rows, self.styles, self.shared)
            del rows
            self.formulas_changed = True
        del cells
        if self.changes.marks is not None:
            self._replace_marks(outputs)
        for part in list(self.texts):
            text = self.texts.pop(part)  # each sheet's text goes once deflated
            if text.changed:
                self.pkg.write(part, deflate_pieces(text.to_chunks(), LEVEL))
            del text
        if self.formulas_changed:
            _drop_calc_chain(self.pkg, self.workbook)

    # --- marks --------------------------------------------------------------------------

    def _replace_marks(self, outputs: set[str]) -> None:
        """Remove every mark an earlier run left, then add the run's (output sheets have none)."""
        wanted = marks_by_sheet(self.changes.marks)
        for key, sheet in self.sheets.items():
            if not sheet.worksheet or sheet.part is None or key in outputs:
                continue
            part, addresses = sheet.part, wanted.get(key, ())
            if any(kind == COMMENTS_REL for _, kind, _ in self.pkg.rels(part)):
                clear_legacy_notes(self.pkg, part, lambda part=part: self.text(part))
            data = None if part in self.texts else self.pkg.read(part)
            if data is not None and SIGNATURE not in data and not addresses:
                continue  # nothing of ours on this sheet, none to add: not even parsed
            text = self.text(part, data)
            clear_marks(text)
            if addresses:
                add_marks(text, addresses, _table_bounds(self.pkg, part), self.styles.dxf(MARK_FILL, MARK_TEXT))

    # --- output sheets -----------------------------------------------------------------

    def _write_output(self, taken: set[str], output) -> None:
        pkg, columns = self.pkg, tuple(output.columns)
        existing = self.sheets.get(output.name.casefold())
        if existing is not None and (not existing.worksheet or existing.part is None):
            raise DoesNotFit(f"{pkg.path.name}: the sheet {existing.name!r} is not a worksheet; rename or remove it "
                             f"so that xlbilling can write its {output.name} sheet")
        if existing is not None:
            part = existing.part
            for sheet in pkg.tree(self.workbook).iter(q("sheet")):
                if sheet.get("name") == existing.name:
                    sheet.set("name", output.name)  # Excel's names are case-insensitive: the run's spelling wins
            for _, kind, target in pkg.rels(part):
                if kind == TABLE_REL and pkg.has(target):  # its name is free again
                    taken.discard(pkg.tree(target).get("displayName", "").casefold())
            if _FORMULA.search(pkg.read(part)):
                self.formulas_changed = True
            pkg.remove_unreferenced(pkg.drop_rels(part))
            self.texts.pop(part, None)
        else:
            part = pkg.free_name("xl/worksheets/sheet{n}.xml")
            rid = pkg.add_rel(self.workbook, WORKSHEET_REL, part)
            sheets_node = pkg.tree(self.workbook).find(q("sheets"))
            if sheets_node is None:
                raise BadFile(f"{pkg.path.name}: damaged workbook: no list of sheets")
            ids = [int(s.get("sheetId")) for s in sheets_node if s.get("sheetId", "").isdigit()]
            sheet = sheets_node.makeelement(q("sheet"), {"name": output.name, "sheetId": str(max(ids, default=0) + 1)})
            sheet.set(q("id", REL), rid)
            sheets_node.append(sheet)
            self.sheets[output.name.casefold()] = Sheet(output.name, part, True)
            pkg.content_type(part, WORKSHEET_CT)
        styles = self.styles
        link = columns.index(output.link_column) if output.link_column is not None else None
        cell_styles = [styles.xf(output.number_formats.get(c), hyperlink=j == link) for j, c in enumerate(columns)]
        links = [(f"{column_letter(j)}{i}", location) for i, j, _, location in output_links(output)]
        last_row = max(len(output.rows), 1) + 1
        rules = [(f"{column_letter(columns.index(h.column))}2:{column_letter(columns.index(h.column))}{last_row}",
                  styles.dxf(h.fill), repr(h.above)) for h in output.highlights]
        date_style = styles.xf(DATE_FORMAT)  # found, not added, after the first run
        table_part = pkg.free_name("xl/tables/table{n}.xml")
        table_rel = pkg.add_rel(part, TABLE_REL, table_part)
        ref = f"A1:{column_letter(len(columns) - 1)}{last_row}"
        pkg.write(table_part, table_xml(_next_table_id(pkg, self.sheets), _table_name(output.name, taken), ref,
                                        columns, TABLE_STYLE).encode())
        pkg.content_type(table_part, TABLE_CT)
        drawing_rel = _add_chart(pkg, part, output, columns) if output.chart is not None else None
        values = output_columns(output)
        pkg.write(part, output_sheet_xml(columns, values, cell_styles, date_style,
                                         column_widths(output, values), links, rules, drawing_rel,
                                         table_rel).encode(), level=LEVEL)


def _sheets(pkg: Package, workbook: str) -> dict[str, Sheet]:
    """casefolded sheet name -> every sheet of the workbook (worksheet or not)."""
    rels = {rid: (kind, target) for rid, kind, target in pkg.rels(workbook)}
    out = {}
    for sheet in pkg.tree(workbook).iter(q("sheet")):
        kind, target = rels.get(sheet.get(q("id", REL)), (None, None))
        name = sheet.get("name", "")
        out[name.casefold()] = Sheet(name, target if target and pkg.has(target) else None, kind == WORKSHEET_REL)
    return out


def _table_bounds(pkg: Package, part: str) -> list[tuple[int, int, int, int]]:
    bounds = []
    for _, kind, target in pkg.rels(part):
        if kind == TABLE_REL and pkg.has(target):
            try:
                bounds.append(range_bounds(pkg.tree(target).get("ref", "")))
            except ValueError:
                pass
    return bounds


def _table_names(pkg: Package, workbook: str, sheets) -> set[str]:
    names = {n.get("name", "").casefold() for n in pkg.tree(workbook).iter(q("definedName"))}
    for sheet in sheets.values():
        for _, kind, target in pkg.rels(sheet.part) if sheet.part else ():
            if kind == TABLE_REL and pkg.has(target):
                names.add(pkg.tree(target).get("displayName", "").casefold())
    return names


def _table_name(base: str, taken: set[str]) -> str:
    name = table_name(base, lambda candidate: candidate.casefold() in taken)
    taken.add(name.casefold())
    return name


def _next_table_id(pkg: Package, sheets) -> int:
    ids = [int(pkg.tree(target).get("id", 0)) for sheet in sheets.values() if sheet.part
           for _, kind, target in pkg.rels(sheet.part) if kind == TABLE_REL and pkg.has(target)
           and str(pkg.tree(target).get("id", 0)).isdigit()]
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


def _drop_calc_chain(pkg: Package, workbook: str) -> None:
    """Excel rebuilds the calculation chain; a stale one (a formula cell overwritten) makes it repair the file."""
    for target in pkg.drop_rels(workbook, {CALC_CHAIN_REL}):
        pkg.remove(target)
