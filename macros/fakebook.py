"""A stand-in for an xlwings `Book`, backed by an openpyxl workbook, for tests without Excel.

It implements exactly the calls `macros.live` and `macros` make, with xlwings' meaning:

- `book.name`, `book.fullname`, `book.saved`, `book.sheets` (iterable, `len`, `[name]`,
  `[index]`, `.add(name, after=sheet)`), `book.app.status_bar`, `book.app.alert(text, title=)`;
- `sheet.name`, `sheet.tables` (iterable; `.add(source=range, name=, table_style_name=)`;
  a table has `.name`, `.range`, `.show_totals`, `.delete()`, `.resize(range)`), `sheet.used_range`,
  `sheet.clear()`, `sheet.range("A1")` / `sheet.range((r1, c1), (r2, c2))`;
- `range.row`, `range.column`, `range.last_cell`, `range.options(ndim=2)`, `range.value`
  (read: a 2-D list with None for empty cells, floats for numbers and datetimes for date
  cells, as xlwings gives them; write: a 2-D list from the top-left cell, text parsed as
  Excel parses typed text, see `_enter`), `range.number_format = …`.

`choose_files` and `answer_date` stand in for the dialogs. `save()` writes the openpyxl
workbook back to its file, so a test can read the result as a file.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo


class FakeApp:
    def __init__(self):
        self.status_bar: object = False
        self.alerts: list[str] = []
        self.status_history: list[object] = []

    def __setattr__(self, key, value):
        if key == "status_bar" and hasattr(self, "status_history"):
            self.status_history.append(value)
        object.__setattr__(self, key, value)

    def alert(self, text: str, title: str = "") -> None:
        self.alerts.append(text)


class FakeRange:
    def __init__(self, sheet: "FakeSheet", top: int, left: int, bottom: int, right: int):
        self._sheet, self.row, self.column, self._bottom, self._right = sheet, top, left, bottom, right

    @property
    def last_cell(self) -> "FakeRange":
        return FakeRange(self._sheet, self._bottom, self._right, self._bottom, self._right)

    def options(self, **_options) -> "FakeRange":
        return self  # reads are always 2-D here, as ndim=2 asks

    @property
    def value(self) -> list[list]:
        ws = self._sheet.ws
        return [[_as_xlwings(ws.cell(r, c).value) for c in range(self.column, self._right + 1)]
                for r in range(self.row, self._bottom + 1)]

    @value.setter
    def value(self, rows) -> None:
        rows = rows if isinstance(rows, list) and rows and isinstance(rows[0], list) else [[rows]]
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                _enter(self._sheet.ws.cell(self.row + i, self.column + j), v)

    @property
    def number_format(self) -> str:
        return self._sheet.ws.cell(self.row, self.column).number_format

    @number_format.setter
    def number_format(self, code: str) -> None:
        for r in range(self.row, self._bottom + 1):
            for c in range(self.column, self._right + 1):
                self._sheet.ws.cell(r, c).number_format = code

    @property
    def address(self) -> str:
        return f"{get_column_letter(self.column)}{self.row}:{get_column_letter(self._right)}{self._bottom}"


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _enter(cell, value: object) -> None:
    """Put a value into a cell as Excel does when xlwings writes it: text is parsed as if
    typed — a leading apostrophe keeps the rest as text (the apostrophe is not stored),
    `=…` becomes a formula, `TRUE`/`FALSE` a boolean, a number written as text a number.
    (Excel also reads dates from text, depending on the locale; the fake leaves that out.)
    So a test of the fake catches a writer that hands Excel raw text."""
    if not isinstance(value, str):
        cell.value = value
        return
    if value.startswith("'"):
        cell.value = value[1:]
        cell.data_type = "s"
        return
    if value.strip().upper() in ("TRUE", "FALSE"):
        cell.value = value.strip().upper() == "TRUE"
        return
    # openpyxl, like Excel, takes `=…` as a formula
    cell.value = float(value) if _NUMBER.fullmatch(value.strip()) else value


def _as_xlwings(value: object) -> object:
    """Excel stores every number as a double: xlwings reads 1 as 1.0 (openpyxl keeps ints)."""
    return float(value) if type(value) is int else value


class FakeTable:
    def __init__(self, sheet: "FakeSheet", table: Table):
        self._sheet, self._table = sheet, table
        self.name = table.displayName
        self.show_totals = bool(table.totalsRowCount)

    @property
    def range(self) -> FakeRange:
        left, top, right, bottom = range_boundaries(self._table.ref)
        return FakeRange(self._sheet, top, left, bottom, right)

    def delete(self) -> None:
        del self._sheet.ws.tables[self._table.displayName]

    def resize(self, cells: FakeRange) -> None:
        """Excel's ListObject.Resize: the header row stays, new columns take their header
        cell's text as their name."""
        table, ws = self._table, self._sheet.ws
        names = [c.name for c in table.tableColumns]
        for column in range(cells.column + len(names), cells._right + 1):
            header = ws.cell(cells.row, column).value
            names.append(str(header) if header not in (None, "") else f"Column{len(names) + 1}")
            table.tableColumns.append(TableColumn(id=len(names), name=names[-1]))
        table.ref = cells.address
        if table.autoFilter is not None:
            table.autoFilter.ref = cells.address


class FakeTables:
    def __init__(self, sheet: "FakeSheet"):
        self._sheet = sheet

    def __iter__(self):
        return iter([FakeTable(self._sheet, t) for t in self._sheet.ws.tables.values()])

    def add(self, source: FakeRange, name: str, table_style_name: str = "TableStyleMedium2") -> FakeTable:
        table = Table(displayName=name, ref=source.address)
        table.tableStyleInfo = TableStyleInfo(name=table_style_name, showRowStripes=True)
        self._sheet.ws.add_table(table)
        return FakeTable(self._sheet, table)


class FakeSheet:
    def __init__(self, ws):
        self.ws = ws
        self.tables = FakeTables(self)

    @property
    def name(self) -> str:
        return self.ws.title

    @property
    def used_range(self) -> FakeRange:
        return FakeRange(self, 1, 1, self.ws.max_row, self.ws.max_column)

    def range(self, first, last=None) -> FakeRange:
        if isinstance(first, str):
            left, top, right, bottom = range_boundaries(first if ":" in first else f"{first}:{first}")
            return FakeRange(self, top, left, bottom, right)
        last = last or first
        return FakeRange(self, first[0], first[1], last[0], last[1])

    def clear(self) -> None:
        for row in self.ws.iter_rows():
            for cell in row:
                cell.value = None
                cell.number_format = "General"


class FakeSheets:
    def __init__(self, book: "FakeBook"):
        self._book = book

    def _all(self) -> list[FakeSheet]:
        return [FakeSheet(ws) for ws in self._book.wb.worksheets]

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._book.wb.worksheets)

    def __getitem__(self, key) -> FakeSheet:
        if isinstance(key, int):
            return self._all()[key]
        return FakeSheet(self._book.wb[key])

    def add(self, name: str, after: FakeSheet | None = None) -> FakeSheet:
        index = self._book.wb.worksheets.index(after.ws) + 1 if after is not None else 0
        return FakeSheet(self._book.wb.create_sheet(name, index))


class FakeBook:
    """An xlwings-like Book over a workbook file (see the module's list of calls)."""

    def __init__(self, path: str | Path, answer_date: dt.date | None = None, files: list[str] | None = None):
        self.fullname = str(Path(path).resolve())
        self.name = Path(path).name
        self.saved = True
        self.wb = openpyxl.load_workbook(path)
        self.app = FakeApp()
        self.sheets = FakeSheets(self)
        self.answer_date = answer_date
        self._files = files

    def choose_files(self, title: str) -> list[str]:
        return list(self._files or [])

    def save(self) -> None:
        self.wb.save(self.fullname)
