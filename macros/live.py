"""The bridge between a live workbook in Excel and the pipeline's records.

Reading goes through xlwings' portable Book API only (`book.sheets`, `sheet.tables`,
`sheet.used_range`, `sheet.range(...).options(ndim=2, err_to_str=True).value`), into exactly
the `Book` of `SheetTable`s that `billing.workbook.read.read_book` makes from a file — the same
`billing.book.book_from_grids` builds both, and an Excel error value is an `ErrorValue` at its cell in both.
Writing: one array write per output sheet (header and rows in a single `range.value = …`),
rendered as the file writer renders it (number formats, Table, links, highlight rules,
chart, widths, frozen header); one write per run of consecutive cells of a column for
input cells. What xlwings' portable API lacks is reached through the
engine (`macros.engine`). `macros.fakebook.FakeBook` models exactly the calls used here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Sequence

from billing.cells import link_location, table_name
from billing.cellvalues import COM_ERRORS, EXCEL_ERRORS, ErrorValue
from billing.contract import INPUT_SHEETS, SheetSpec, normalize_header
from billing.errors import BadFile
from billing.book import Book, CellScan, SheetGrid, TableRange, book_from_grids
from billing.workbook.sheetxml import DATE_FORMAT
from billing.workbook.sheetxml import text as cell_text
from billing.changes import MAX_WIDTH, TABLE_STYLE, OutputSheet, check_output  # every writer's one rule
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
    """A value as xlwings should hand it to Excel: Decimal → float (it was rounded already),
    a date → midnight, text → text that Excel keeps as typed.

    Excel parses text put into `range.value` as if it were typed: `=…` becomes a formula
    (a payer's remittance text `=HYPERLINK(…)` from a bank statement would run as one),
    `00123` the number 123, `TRUE` a boolean, `1/2` a date. A leading apostrophe is Excel's
    own "this is text" mark: it is not part of the cell's value, so the text reads back
    exactly as written (the file writer gets the same result by typing the cell as text)."""
    if isinstance(value, str):
        # as the file writer: characters Excel cannot store dropped, cut at its limit, "" is an empty cell
        return "'" + cell_text(value) if value else None
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be stored in Excel")
        return float(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    return value


def write_live_outputs(book, outputs: Iterable[OutputSheet]) -> None:
    """Replace each output sheet's content and render it as the file writer does
    (`billing.workbook.package_writer`): one array write for header and rows, number formats, the Table,
    links of the link column, highlight rules, the chart, column widths, frozen header row.
    The sheet stays where it is (formulas elsewhere that refer to it keep working); the
    sheet that was active is active again afterwards."""
    sheets = _sheets_by_name(book)
    active = book.sheets.active
    for output in outputs:
        check_output(output)
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
        elif not fmt:  # a date without a format of its own is shown as the file writer shows it
            for first, last in _runs([i for i, row in enumerate(output.rows, 2)
                                      if j <= len(row) and isinstance(row[j - 1], dt.date)]):
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


def column_widths(output: OutputSheet) -> list[float]:
    """Each column as wide as its longest text (the header with room for the filter button),
    at most `MAX_WIDTH`: the file writer's rule (`billing.workbook.package_writer`)."""
    widths = [len(str(c)) + 4 for c in output.columns]
    for row in output.rows:
        for j, value in enumerate(row):
            if value is not None:
                widths[j] = max(widths[j], len(str(value)) + 2)
    return [min(w, MAX_WIDTH) for w in widths]


def _add_links(sheet, output: OutputSheet) -> None:
    """The link column's `Sheet!A1` cells become links to that place (`#Sheet!A1`)."""
    if output.link_column is None:
        return
    j = list(output.columns).index(output.link_column)
    for i, row in enumerate(output.rows, 2):
        ref = row[j] if j < len(row) else None
        if isinstance(ref, str) and "!" in ref:
            sheet.range((i, j + 1)).add_hyperlink(f"#{link_location(ref)}", text_to_display=ref,
                                                  screen_tip=f"Go to {ref}")


def _add_chart(sheet, output: OutputSheet) -> None:
    """The clustered column chart beside the table: one series per row of `series_rows`
    (consecutive rows, one source range), the category headers as its categories."""
    spec, columns = output.chart, list(output.columns)
    rows = list(spec.series_rows)
    if rows != list(range(rows[0], rows[0] + len(rows))):
        raise ValueError(f"{output.name}: the chart's series rows must follow one another: {rows}")
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
    """Write input cells (`CellUpdate`, `HeaderAdd`), one range write per run of a column;
    a Table takes in the rows and columns written right next to it."""
    sheets = _sheets_by_name(book)
    by_column: dict[tuple[str, int], dict[int, object]] = {}
    for change in updates:
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
            sheet.range((start, column + 1), (previous, column + 1)).value = values
            if row is not None:
                start = previous = row
    for sheet_name in {name for name, _ in by_column}:
        written = [(row, column + 1) for (name, column), cells in by_column.items() if name == sheet_name
                   for row in cells]
        _grow_tables(sheets[normalize_header(sheet_name)], written)


def _grow_tables(sheet, cells: list[tuple[int, int]]) -> None:
    """Take the cells written just below a Table (new rows: imported payments) or just right
    of it (a new column's header) into the Table, as the file writer does. Excel grows a
    Table by itself only for what a person types, not for values a program writes; without
    this the next run would read the new rows as data outside the table."""
    for table in sheet.tables:
        cells_range = table.range
        top, left = cells_range.row, cells_range.column
        bottom, right = cells_range.last_cell.row, cells_range.last_cell.column
        grown, new_bottom, new_right = True, bottom, right
        while grown:
            grown = False
            for row, column in cells:
                if column == new_right + 1 and top <= row <= new_bottom:
                    new_right, grown = column, True
                elif row == new_bottom + 1 and left <= column <= new_right and not table.show_totals:
                    new_bottom, grown = row, True
        if (new_bottom, new_right) != (bottom, right):
            table.resize(sheet.range((top, left), (new_bottom, new_right)))


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
