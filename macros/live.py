"""The bridge between a live workbook in Excel and the pipeline's records.

Reading goes through xlwings' portable Book API only (`book.sheets`, `sheet.tables`,
`sheet.used_range`, `sheet.range(...).options(ndim=2, err_to_str=True).value`), into exactly
the `Book` of `SheetTable`s that `billing.workbook.read.read_book` makes from a file — the same
`billing.book.book_from_grids` builds both, and an Excel error value is an `ErrorValue` at its cell in both.
Writing renders the writer contract (`billing.changes`: `cell_value`, `cell_format`,
`grown_bounds`, `column_widths`, `output_links`) as the file writer renders it: one array
write per output sheet (header and rows in a single `range.value = …`), number formats,
Table, links, highlight rules, chart, widths, frozen header; one write per run of
consecutive cells of a column for input cells. Marks are `Unsupported` here
(`apply_live_changes`). What xlwings' portable API lacks is reached through the
engine (`macros.engine`). `macros.fakebook.FakeBook` models exactly the calls used here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Sequence

from billing.cells import table_name
from billing.cellvalues import COM_ERRORS, EXCEL_ERRORS, ErrorValue
from billing.contract import INPUT_SHEETS, SheetSpec, normalize_header
from billing.errors import BadFile
from billing.book import Book, CellScan, SheetGrid, TableRange, book_from_grids
from billing.changes import (DATE, DATE_FORMAT, TABLE_STYLE, TEXT, Changes, OutputSheet, Unsupported, cell_format,
                             cell_updates, cell_value, check_output, column_widths, grown_bounds, output_links)
from macros import engine
from macros.asof import NotADate, local_form, parse_typed_date
from macros.engine import date_order, delete_table, freeze_header_row, input_box, open_filenames

#: the file writer's chart size (16 x 8 cm, `billing.workbook.sheetxml.drawing_xml`), in points
CHART_WIDTH, CHART_HEIGHT = 16 * 72 / 2.54, 8 * 72 / 2.54


def _sheets_by_name(book) -> dict[str, object]:
    return {normalize_header(s.name): s for s in book.sheets}




def _grid(sheet) -> tuple[list[list], dict[tuple[int, int], ErrorValue]]:
    """The sheet's cells from A1 to the last used cell, as rows of values, and its error
    cells by (1-based row, 0-based column), each an `ErrorValue` in the grid too — as the
    file reader places them. Read with `err_to_str=True`, so an error is never taken for an
    empty cell; a text that only looks like an error (`'#N/A` typed as text) is told apart
    by a second read without it, where an error is empty and text stays text."""
    last = sheet.used_range.last_cell
    if last.row < 1 or last.column < 1:
        return [], {}
    cells = sheet.range((1, 1), (last.row, last.column))
    grid = [[_as_read(v) for v in row] for row in cells.options(ndim=2, err_to_str=True).value]
    errors: dict[tuple[int, int], ErrorValue] = {}
    texts = []
    # COM hands every number over as a float, so an int there is an error code; other
    # engines (xlwings' remote one, fed JSON) hand whole numbers over as ints
    com = engine.PLATFORM == "win32"
    for r, row in enumerate(grid, 1):
        for c, value in enumerate(row):
            if com and type(value) is int and value in COM_ERRORS:
                errors[(r, c)] = ErrorValue(COM_ERRORS[value])
            elif type(value) is str and value in EXCEL_ERRORS:
                texts.append((r, c))
    if texts:
        plain = cells.options(ndim=2).value
        errors.update({(r, c): ErrorValue(grid[r - 1][c]) for r, c in texts if plain[r - 1][c] is None})
    for (r, c), error_value in errors.items():
        grid[r - 1][c] = error_value
    return grid, errors


_MIDNIGHT = dt.time()


def _as_read(value: object) -> object:
    """A cell as the file reader gives it. xlwings hands every date cell over as a datetime;
    python-calamine gives a cell whose time is midnight as a date (whatever its format) and
    any other as a datetime. Doing the same here, the live workbook yields the very records
    the file does."""
    if type(value) is dt.datetime and value.time() == _MIDNIGHT and value.tzinfo is None:
        return value.date()
    return value


def _tables(sheet) -> tuple[TableRange, ...]:
    found = []
    for table in sheet.tables:
        cells = table.range
        last_row = cells.last_cell.row - (1 if getattr(table, "show_totals", False) else 0)
        found.append(TableRange(table.name, cells.row, cells.column - 1, last_row, cells.last_cell.column - 1))
    return tuple(found)


def read_live_book(book, specs: tuple[SheetSpec, ...] = INPUT_SHEETS, optional: tuple[SheetSpec, ...] = ()) -> Book:
    """The contract tables of an open workbook, as `read_book` gives them for a file."""
    sheets = {s.name: s for s in book.sheets}

    def grid_of(name: str) -> SheetGrid:
        sheet = sheets[name]
        grid, errors = _grid(sheet)
        return SheetGrid(grid, _tables(sheet), CellScan(errors, {}))

    return book_from_grids(Path(str(getattr(book, "fullname", book.name))), tuple(sheets), grid_of, specs, optional,
                           source=book.name)


def _excel(value: object) -> object:
    """`cell_value(value)` as xlwings should hand it to Excel: a Decimal → float (it was
    rounded already), a date → midnight, text → text that Excel keeps as typed.

    Excel parses text put into `range.value` as if it were typed: `=…` becomes a formula
    (a payer's remittance text `=HYPERLINK(…)` from a bank statement would run as one),
    `00123` the number 123, `TRUE` a boolean, `1/2` a date. A leading apostrophe is Excel's
    own "this is text" mark: it is not part of the cell's value, so the text reads back
    exactly as written (the file writer gets the same result by typing the cell as text)."""
    written = cell_value(value)
    if written is None:
        return None
    kind, value = written
    if kind == TEXT:
        return "'" + value
    if type(value) is Decimal:
        return float(value)
    if kind == DATE:
        return dt.datetime.combine(value, dt.time())
    return value


def apply_live_changes(book, changes: Changes) -> None:
    """Render `changes` into the open workbook: input cells (`apply_live_updates`), then the
    output sheets (`write_live_outputs`). Marks are not rendered live (Unsupported: xlwings'
    portable API has no conditional formats with a formula): a caller passes `marks=None`,
    saying so, and the findings stay on the Validation sheet with a link to each cell."""
    if changes.marks is not None:
        raise Unsupported("the live writer does not render marks (pass marks=None: the Validation "
                          "sheet links to each cell)")
    _refuse_outputs(changes.outputs)
    apply_live_updates(book, (*changes.headers, *changes.updates))
    write_live_outputs(book, changes.outputs)


def _refuse_outputs(outputs: Iterable[OutputSheet]) -> None:
    """What no output sheet may hold, checked before anything is written: its definition
    (`check_output`) and a chart whose series rows do not follow one another (one source
    range per chart here; `Unsupported`)."""
    for output in outputs:
        check_output(output)
        rows = list(output.chart.series_rows) if output.chart is not None else []
        if rows and rows != list(range(rows[0], rows[0] + len(rows))):
            raise Unsupported(f"{output.name}: the chart's series rows must follow one another: {rows}")


def write_live_outputs(book, outputs: Iterable[OutputSheet]) -> None:
    """Replace each output sheet's content and render it as the file writer does
    (`billing.workbook.package_writer`): one array write for header and rows, number formats, the Table,
    links of the link column, highlight rules, the chart, column widths, frozen header row.
    The sheet stays where it is (formulas elsewhere that refer to it keep working); the
    sheet that was active is active again afterwards."""
    outputs = tuple(outputs)
    _refuse_outputs(outputs)
    sheets = _sheets_by_name(book)
    active = book.sheets.active
    for output in outputs:
        sheet = sheets.get(normalize_header(output.name))
        if sheet is None:
            sheet = book.sheets.add(output.name, after=book.sheets[len(book.sheets) - 1])
            sheets[normalize_header(output.name)] = sheet
        _write_output(book, sheet, output)
    active.activate()


def _write_output(book, sheet, output: OutputSheet) -> None:
    for table in list(sheet.tables):
        delete_table(table)
    for chart in list(sheet.charts):
        chart.delete()
    sheet.clear()  # values, formats, highlight rules and links
    columns = list(output.columns)
    rows = [[_excel(v) for v in row] + [None] * (len(columns) - len(row)) for row in output.rows]
    # headers too: a bucket label such as 1-30 would otherwise become the date 30 January
    sheet.range("A1").value = [[_excel(c) for c in columns], *rows]
    height = max(len(rows), 1) + 1
    for j, name in enumerate(columns, 1):
        fmt = output.number_formats.get(name)
        if fmt and rows:
            sheet.range((2, j), (height, j)).number_format = fmt
        elif not fmt:  # a date without a format of its own: `cell_format`'s, one write per run of dates
            for first, last in _runs([i for i, row in enumerate(output.rows, 2)
                                      if j <= len(row) and cell_format(cell_value(row[j - 1]), None)]):
                sheet.range((first, j), (last, j)).number_format = DATE_FORMAT
    sheet.tables.add(source=sheet.range((1, 1), (height, len(columns))), name=_table_name(book, output.name),
                     table_style_name=TABLE_STYLE)
    _add_links(sheet, output)
    for highlight in output.highlights:
        j = columns.index(highlight.column) + 1
        sheet.range((2, j), (height, j)).conditional_formats.add_cell_value(
            "greater_than", highlight.above, fill_color=f"#{highlight.fill}")
    if output.chart is not None and output.chart.series_rows:
        _add_chart(sheet, output)
    for j, width in enumerate(column_widths(output), 1):
        sheet.range((1, j)).column_width = width
    freeze_header_row(book, sheet)


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Consecutive numbers as (first, last) runs: [2, 3, 4, 7] -> [(2, 4), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


def _add_links(sheet, output: OutputSheet) -> None:
    """The link column's `Sheet!A1` cells become links to that place (`output_links`)."""
    for i, j, ref, location in output_links(output):
        sheet.range((i, j + 1)).add_hyperlink(f"#{location}", text_to_display=ref, screen_tip=f"Go to {ref}")


def _add_chart(sheet, output: OutputSheet) -> None:
    """The clustered column chart beside the table: one series per row of `series_rows`
    (consecutive rows, one source range: `_refuse_outputs`), the category headers as its categories."""
    spec, columns = output.chart, list(output.columns)
    rows = list(spec.series_rows)
    first, last = (columns.index(c) + 1 for c in (spec.categories[0], spec.categories[-1]))
    chart = sheet.charts.add(anchor=sheet.range((2, len(columns) + 2)), width=CHART_WIDTH, height=CHART_HEIGHT,
                             chart_type="column_clustered", source=sheet.range((rows[0] + 2, first),
                                                                               (rows[-1] + 2, last)),
                             plot_by="rows", style=None)
    chart.set_x_axis_values(sheet.range((1, first), (1, last)))
    name_at = columns.index(spec.name_column)
    for n, index in enumerate(rows):
        chart.series[n].name = str(output.rows[index][name_at])
    chart.title = spec.title
    chart.value_axis.number_format = "#,##0"
    chart.legend.visible = True
    chart.legend.position = "right"


def _table_name(book, base: str) -> str:
    taken = {t.name.casefold() for s in book.sheets for t in s.tables}
    return table_name(base, lambda candidate: candidate.casefold() in taken)


def apply_live_updates(book, updates: Sequence) -> None:
    """Write input cells (`CellUpdate`, `ColumnRun`, `HeaderAdd`), one range write per run of a column;
    a Table takes in the rows and columns written right next to it."""
    sheets = _sheets_by_name(book)
    by_column: dict[tuple[str, int], dict[int, object]] = {}
    for change in cell_updates(updates):
        value = change.name if hasattr(change, "name") else change.value
        by_column.setdefault((change.sheet, change.column), {})[change.row] = _excel(value)
    for (sheet_name, column), cells in by_column.items():
        sheet = sheets.get(normalize_header(sheet_name))
        if sheet is None:
            raise BadFile(f"no sheet {sheet_name!r} in the workbook")
        rows = sorted(cells)
        start = previous = rows[0]
        for row in rows[1:] + [None]:
            if row is not None and row == previous + 1:
                previous = row
                continue
            values = [[cells[r]] for r in range(start, previous + 1)]
            target = sheet.range((start, column + 1), (previous, column + 1))
            dated = [r for r in range(start, previous + 1) if isinstance(cells[r], dt.datetime)]
            general = _general(sheet, target, dated, column) if dated else []
            target.value = values
            for first, last in _runs(general):  # `cell_format`: a date without a format of its own
                sheet.range((first, column + 1), (last, column + 1)).number_format = DATE_FORMAT
            if row is not None:
                start = previous = row
    for sheet_name in {name for name, _ in by_column}:
        written = [(row, column + 1) for (name, column), cells in by_column.items() if name == sheet_name
                   for row in cells]
        _grow_tables(sheets[normalize_header(sheet_name)], written)


def _general(sheet, target, rows: list[int], column: int) -> list[int]:
    """Which of `rows` (in the run `target`) have no number format of their own (General),
    read before writing: Excel would give such a cell its own short date on entry, the
    contract gives it `DATE_FORMAT`. xlwings reads a range of mixed formats as None. The
    remote engines cannot read a format synchronously: there the cell keeps what Excel gives
    it on entry (a short date), as before the writer contract."""
    try:
        shared = target.number_format
        if shared is not None:
            return rows if shared == "General" else []
        return [r for r in rows if sheet.range((r, column + 1)).number_format == "General"]
    except NotImplementedError:
        return []


def _grow_tables(sheet, cells: list[tuple[int, int]]) -> None:
    """Take the cells written just below a Table (new rows: imported payments) or just right
    of it (a new column's header) into the Table, as the file writer does (`grown_bounds`).
    Excel grows a Table by itself only for what a person types, not for values a program
    writes; without this the next run would read the new rows as data outside the table."""
    for table in sheet.tables:
        cells_range = table.range
        bounds = (cells_range.column, cells_range.row, cells_range.last_cell.column, cells_range.last_cell.row)
        left, top, right, bottom = grown_bounds(bounds, cells, bool(table.show_totals))
        if (left, top, right, bottom) != bounds:
            table.resize(sheet.range((top, left), (bottom, right)))


def status(book, text: str | None) -> None:
    """Excel's status bar (reset with None), where the engine has one."""
    try:
        book.app.status_bar = text if text is not None else False
    except Exception:  # an engine without a status bar: progress is optional
        pass


def alert(book, text: str) -> None:
    """A message box, where the engine can show one; else standard output."""
    try:
        book.app.alert(text, title="xlbilling")
    except Exception:
        print(f"xlbilling: {text}")


def ask_files(book, title: str) -> list[str]:
    """Ask for statement files: Excel's own file dialog on Windows, else Tk's."""
    chosen = open_filenames(book, title)
    if chosen is not None:
        return chosen
    from tkinter import Tk, filedialog

    root = Tk()
    root.withdraw()
    try:
        return list(filedialog.askopenfilenames(title=title))
    finally:
        root.destroy()


def ask_month(book, question: str, default: dt.date) -> tuple[int, int] | None:
    """A month (year, month) from Excel's input box, typed `YYYY-MM`; None when the person
    cancels. What cannot be read is asked again, saying why."""
    import re

    typed, reason = f"{default:%Y-%m}", ""
    while True:
        answer = input_box(book, f"{reason}{question} (e.g. {default:%Y-%m})", "xlbilling", typed)
        if answer is None:
            return None
        m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", str(answer))
        if m is not None and 1 <= int(m[2]) <= 12 and int(m[1]) >= 1900:
            return int(m[1]), int(m[2])
        typed, reason = str(answer), f"{answer!r} is not a month: type it as {default:%Y-%m}.\n\n"


def ask_date(book, question: str, default: dt.date) -> dt.date | None:
    """A date from Excel's input box, in ISO or the local form (`macros.asof`); None when the
    person cancels. What cannot be read is asked again, saying why, with the text as typed."""
    order, separator = date_order(book)
    hint = f"{default.isoformat()}" + (f" or {local_form(default, order, separator)}" if order else "")
    typed, reason = default.isoformat(), ""
    while True:
        answer = input_box(book, f"{reason}{question} (e.g. {hint})", "xlbilling", typed)
        if answer is None:
            return None
        try:
            return parse_typed_date(answer, order, separator)
        except NotADate as exc:
            typed, reason = answer, f"{exc}.\n\n"
