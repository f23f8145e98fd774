"""A stand-in for an xlwings `Book` in Excel, backed by an openpyxl workbook, for tests without Excel.

It has exactly the attributes the macros use, each with the name and meaning it has on
xlwings' real classes (`xlwings.main.Book`, `Sheet`, `Range`, `App`, `Table`, `Chart`, …)
and, behind `.api`, on the engine's own objects — pywin32's COM objects on Windows
(`FakeBook(path, engine="windows")`, the default) or appscript references on macOS
(`engine="mac"`). Nothing else: an attribute that only the fake had (a `saved` on the
Book once) is how a macro passes its tests and fails in Excel. So every public attribute a
`macros` module reads or sets on a fake object is recorded in `USED` as (real class, name), and
`tests/test_xlwings_api.py` checks each against xlwings' classes and Excel's dictionaries.

What it models, as Excel does it:
- values: `range.options(ndim=2, err_to_str=…).value` reads a 2-D list (floats for numbers,
  datetimes for dates, None for empty cells, an error cell as xlwings gives it: see
  `_as_xlwings`); `range.value = rows` writes from the top-left cell and
  parses text as if typed (see `_enter`);
- formats: `range.number_format`, `range.column_width`, `range.add_hyperlink(address, text,
  tip)` (an address `#Sheet!A1` is a place in the workbook), `range.conditional_formats
  .add_cell_value(…)`; `sheet.clear()` clears values, formats, highlight rules and links
  (Excel's `Cells.Clear`), not Tables or charts;
- Tables (`sheet.tables`, `.add`, `.resize`; deleted through `table.api`), charts
  (`sheet.charts.add(…)`, `set_source_data`, `set_x_axis_values`, `title`, `series[i].name`,
  `value_axis.number_format`, `legend`, `delete()`), the active sheet and its window's
  frozen panes (`book.app.api.ActiveWindow` / `active_window`);
- `book.api.Saved` / `book.api.saved.get()`, `book.fullname` (an `https://` OneDrive address is
  mapped to the synced file by xlwings' own `fullname_url_to_local_path`, as xlwings' Book
  does), `app.status_bar`, `app.alert`, `app.api.InputBox` / `input_box`,
  `app.api.International`, `app.api.GetOpenFilename`.

Test-only handles (a macro using one fails `tests/test_xlwings_api.py`): `wb`, `alerts`,
`status_history`, `saved` (what `Workbook.Saved` answers), `selection_ref` (what is
selected: `Invoices!A3:D5,A9`; None: nothing a range), `prompts` (the answers the input
box gives, in turn; `False` is Cancel), `inputs` (the prompts it was shown, with their
default text), `date_order` (Excel's, on Windows), `files` (what the file dialog returns),
`engine`, `save()` (writes the openpyxl workbook, charts included, to the file). Charts
already in the file are kept as they are and can be deleted, not read.
"""

from __future__ import annotations

import builtins
import sys
from pathlib import Path

import openpyxl
from openpyxl.chart import BarChart, Reference, Series
from openpyxl.chart.series import SeriesLabel
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

#: (real class, attribute) for every public attribute a `macros` module used on a fake object
USED: set[tuple[str, str]] = set()


def _from_macros(depth: int) -> bool:
    caller = sys._getframe(depth).f_globals.get("__name__", "")
    return (caller == "macros" or caller.startswith("macros.")) and caller != __name__


class _Modelled:
    """Records which attributes the macros read or set (see `USED`)."""

    REAL = ""

    def __getattribute__(self, name):
        if not name.startswith("_") and _from_macros(2):
            USED.add((type(self).REAL, name))
        return object.__getattribute__(self, name)

    def __setattr__(self, name, value):
        if not name.startswith("_") and _from_macros(2):
            USED.add((type(self).REAL, name))
        object.__setattr__(self, name, value)

    def _used(self, name: str) -> None:
        """For the special methods Python calls on the type (`iter`, `len`, `[]`)."""
        if _from_macros(3):
            USED.add((type(self).REAL, name))


def _xlwings_main():
    import xlwings.main  # its own argument checks, so the fake refuses what xlwings refuses

    return xlwings.main


# --- the engine objects behind `.api` -------------------------------------------------------


class _Property(_Modelled):
    """An appscript property reference: `.get()`, `.set(value)`."""

    REAL = "mac:reference"

    def __init__(self, read, write=None):
        self._read, self._write = read, write

    def get(self):
        return self._read()

    def set(self, value):
        self._write(value)


class _WorkbookApi(_Modelled):
    REAL = "win:Workbook"

    def __init__(self, book: "FakeBook"):
        self._book = book

    @property
    def Saved(self) -> bool:  # noqa: N802 (Excel's name)
        return self._book.saved


class _MacWorkbookApi(_Modelled):
    REAL = "mac:workbook"

    def __init__(self, book: "FakeBook"):
        self._book = book

    @property
    def saved(self) -> _Property:
        return _Property(lambda: self._book.saved)


class _WindowApi(_Modelled):
    """Excel's Window: freezing applies to its active sheet when FreezePanes turns True."""

    REAL = "win:Window"

    def __init__(self, book: "FakeBook"):
        object.__setattr__(self, "_book", book)
        object.__setattr__(self, "_state", {"SplitRow": 0, "SplitColumn": 0, "ScrollRow": 1, "ScrollColumn": 1,
                                             "FreezePanes": False})

    def __getattr__(self, name):
        state = object.__getattribute__(self, "_state")
        if name in state:
            return state[name]
        raise AttributeError(name)

    def __setattr__(self, name, value):
        if _from_macros(2):
            USED.add((type(self).REAL, name))
        state = object.__getattribute__(self, "_state")
        if name not in state:
            raise AttributeError(f"Window has no {name}")
        state[name] = value
        if name == "FreezePanes":
            book = object.__getattribute__(self, "_book")
            ws = book.wb[book._active]
            ws.freeze_panes = (f"{get_column_letter(state['SplitColumn'] + 1)}{state['SplitRow'] + 1}"
                               if value else None)


class _MacWindowApi(_Modelled):
    REAL = "mac:window"

    def __init__(self, book: "FakeBook"):
        self._windows = _WindowApi(book)

    def _prop(self, name: str) -> _Property:
        return _Property(lambda: getattr(self._windows, name), lambda v: object.__getattribute__(
            self._windows, "__setattr__")(name, v))

    freeze_panes = property(lambda self: self._prop("FreezePanes"))
    split_row = property(lambda self: self._prop("SplitRow"))
    split_column = property(lambda self: self._prop("SplitColumn"))
    scroll_row = property(lambda self: self._prop("ScrollRow"))
    scroll_column = property(lambda self: self._prop("ScrollColumn"))


class _AppApi(_Modelled):
    REAL = "win:Application"
    #: Application.International answers (xlDateOrder, xlDateSeparator)
    INTERNATIONAL = {"MDY": {32: 0, 17: "/"}, "DMY": {32: 1, 17: "."}, "YMD": {32: 2, 17: "-"}}

    def __init__(self, book: "FakeBook"):
        self._book = book
        self._window = _WindowApi(book)

    def InputBox(self, Prompt, Title="", Default="", Left=None, Top=None, HelpFile=None,  # noqa: N802,N803
                 HelpContextID=None, Type=None):
        return self._book._answer(Prompt, Default)

    def International(self, index: int):  # noqa: N802
        return self.INTERNATIONAL[self._book.date_order][index]

    def GetOpenFilename(self, FileFilter=None, FilterIndex=None, Title=None, ButtonText=None,  # noqa: N802,N803
                        MultiSelect=None):
        files = self._book.files
        return tuple(files) if files else False

    @property
    def ActiveWindow(self) -> _WindowApi:  # noqa: N802
        return self._window


class _MacAppApi(_Modelled):
    REAL = "mac:application"

    def __init__(self, book: "FakeBook"):
        self._book = book
        self._window = _MacWindowApi(book)

    def input_box(self, prompt="", title="", default="", left_position=None, top=None, type=None):
        return self._book._answer(prompt, default)

    @property
    def active_window(self) -> _MacWindowApi:
        return self._window


class _ListObjectApi(_Modelled):
    REAL = "win:ListObject"

    def __init__(self, table: "FakeTable"):
        self._table = table

    def Delete(self) -> None:  # noqa: N802
        self._table._delete()


class _MacListObjectApi(_ListObjectApi):
    REAL = "mac:list_object"

    def delete(self) -> None:
        self._table._delete()


# --- xlwings' portable objects ---------------------------------------------------------------


class FakeApp(_Modelled):
    REAL = "App"

    def __init__(self, book: "FakeBook | None" = None):
        self._status = False
        self.alerts: list[str] = []
        self.status_history: list[object] = []
        self._api = None if book is None else _MacAppApi(book) if book.engine == "mac" else _AppApi(book)

    @property
    def status_bar(self):
        return self._status

    @status_bar.setter
    def status_bar(self, value) -> None:
        self._status = value
        self.status_history.append(value)

    def alert(self, prompt: str, title: str | None = None, buttons=None, mode=None, callback=None) -> str:
        self.alerts.append(prompt)
        return "ok"

    @property
    def api(self):
        return self._api

    @api.setter
    def api(self, value) -> None:  # a test puts an engine object of its own here
        self._api = value


class FakeRange(_Modelled):
    REAL = "Range"

    def __init__(self, sheet: "FakeSheet", top: int, left: int, bottom: int, right: int, options=None,
                 areas: tuple[str, ...] = ()):
        self._sheet, self._top, self._left, self._bottom, self._right = sheet, top, left, bottom, right
        self._options = options or {}
        self._areas = areas  # a selection of several areas: each one's address (the first is this range)

    @property
    def row(self) -> int:
        return self._top

    @property
    def column(self) -> int:
        return self._left

    @property
    def last_cell(self) -> "FakeRange":
        return FakeRange(self._sheet, self._bottom, self._right, self._bottom, self._right)

    @property
    def sheet(self) -> "FakeSheet":
        return self._sheet

    def options(self, convert=None, **options) -> "FakeRange":
        return FakeRange(self._sheet, self._top, self._left, self._bottom, self._right, options)

    @property
    def value(self):
        """Read: a 2-D list when `ndim=2` was asked (always so in the macros)."""
        ws, errors_as_text = self._sheet.ws, self._options.get("err_to_str", False)
        engine = self._sheet._book.engine
        return [[_as_xlwings(ws.cell(r, c), errors_as_text, engine) for c in range(self._left, self._right + 1)]
                for r in range(self._top, self._bottom + 1)]

    @value.setter
    def value(self, rows) -> None:
        rows = rows if isinstance(rows, list) and rows and isinstance(rows[0], list) else [[rows]]
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                _enter(self._sheet.ws.cell(self._top + i, self._left + j), v)

    @property
    def number_format(self) -> str | None:
        """The cells' format; None when they have different ones (as xlwings reads Excel's Null)."""
        found = {cell.number_format for cell in self._cells()}
        return found.pop() if len(found) == 1 else None

    @number_format.setter
    def number_format(self, code: str) -> None:
        for cell in self._cells():
            cell.number_format = code

    @property
    def column_width(self) -> float:
        return self._sheet.ws.column_dimensions[get_column_letter(self._left)].width

    @column_width.setter
    def column_width(self, width: float) -> None:
        for column in range(self._left, self._right + 1):
            self._sheet.ws.column_dimensions[get_column_letter(column)].width = width

    def add_hyperlink(self, address: str, text_to_display: str | None = None, screen_tip: str | None = None) -> None:
        """Excel's Hyperlinks.Add on one cell: the cell shows `text_to_display`; an address
        `#Sheet!A1` goes to that place in this workbook."""
        cell = self._sheet.ws.cell(self._top, self._left)
        text = address if text_to_display is None else text_to_display
        if address.startswith("#"):
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=address[1:], tooltip=screen_tip)
        else:
            cell.hyperlink = Hyperlink(ref=cell.coordinate, target=address, tooltip=screen_tip)
        cell.value = text
        cell.style = "Hyperlink"

    @property
    def conditional_formats(self) -> "FakeConditionalFormats":
        return FakeConditionalFormats(self)

    @property
    def address(self) -> str:
        """As Excel's Range.Address: `$A$1` for one cell, `$A$1:$C$4`, areas joined by `,`;
        whole rows `$2:$4`, whole columns `$A:$C`."""
        if self._areas:
            return ",".join(self._areas)
        return _address(self._top, self._left, self._bottom, self._right)

    def _ref(self) -> str:
        return f"{get_column_letter(self._left)}{self._top}:{get_column_letter(self._right)}{self._bottom}"

    def _cells(self):
        ws = self._sheet.ws
        return [ws.cell(r, c) for r in range(self._top, self._bottom + 1) for c in range(self._left, self._right + 1)]


class FakeConditionalFormats(_Modelled):
    REAL = "ConditionalFormats"
    _OPERATORS = {"greater_than": "greaterThan", "less_than": "lessThan", "equal": "equal",
                  "greater_than_or_equal": "greaterThanOrEqual", "less_than_or_equal": "lessThanOrEqual",
                  "not_equal": "notEqual"}

    def __init__(self, cells: FakeRange):
        self._cells = cells

    def add_cell_value(self, operator, formula1, formula2=None, *, fill_color=None, font_color=None, font_bold=None,
                       font_italic=None, stop_if_true=False) -> None:
        main = _xlwings_main()
        operator = main._conditional_format_operator(operator)
        formula1 = main._conditional_format_value(formula1, "formula1")
        if operator not in self._OPERATORS:
            raise NotImplementedError(f"the fake models {sorted(self._OPERATORS)} only")
        red, green, blue = main._border_color(fill_color)
        fill = f"{red:02X}{green:02X}{blue:02X}"
        self._cells._sheet.ws.conditional_formatting.add(self._cells._ref(), CellIsRule(
            operator=self._OPERATORS[operator], formula=[formula1],
            fill=PatternFill(fill_type="solid", start_color=fill, end_color=fill)))


def _address(top: int, left: int, bottom: int, right: int) -> str:
    if (top, bottom) == (1, EXCEL_ROWS):
        return f"${get_column_letter(left)}:${get_column_letter(right)}"
    if (left, right) == (1, EXCEL_COLUMNS):
        return f"${top}:${bottom}"
    first = f"${get_column_letter(left)}${top}"
    return first if (top, left) == (bottom, right) else f"{first}:${get_column_letter(right)}${bottom}"


#: Excel's grid
EXCEL_ROWS, EXCEL_COLUMNS = 1048576, 16384


def _range_of(sheet: "FakeSheet", ref: str) -> "FakeRange":
    """An A1 reference as a range: `B3`, `A2:D5`, whole rows `3:5`, whole columns `A:C`."""
    ref = ref.replace("$", "")
    first, _, last = ref.partition(":")
    last = last or first
    if first.isdigit():  # whole rows
        return FakeRange(sheet, int(first), 1, int(last), EXCEL_COLUMNS)
    if first.isalpha():  # whole columns
        left, right = (range_boundaries(f"{c}1")[0] for c in (first, last))
        return FakeRange(sheet, 1, left, EXCEL_ROWS, right)
    left, top, right, bottom = range_boundaries(f"{first}:{last}")
    return FakeRange(sheet, top, left, bottom, right)


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
    cell.value = float(value) if _number(value.strip()) else value


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.lower() not in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity")


#: the error values xlwings knows by text (`cell_errors` of `_xlwindows` and `_xlmac`)
XLWINGS_ERROR_TEXTS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"})
#: the newer ones by their XlCVError number: COM hands them over as 0x800A0000 + it
_NEWER_ERRORS = {"#GETTING_DATA": 2043, "#SPILL!": 2045, "#CONNECT!": 2046, "#BLOCKED!": 2047, "#UNKNOWN!": 2048,
                 "#FIELD!": 2049, "#CALC!": 2050}


def _as_xlwings(cell, errors_as_text: bool, engine: str) -> object:
    """A cell's value as xlwings reads it: every number a double (openpyxl keeps ints). An
    error value: its text with `err_to_str=True`, else None — for the errors xlwings knows;
    on Windows any other arrives as its COM error number either way, on macOS (where
    xlwings compares the cell's displayed text with the ones it knows) as None."""
    if cell.data_type == "e":
        code = str(cell.value)
        if code in XLWINGS_ERROR_TEXTS:
            return code if errors_as_text else None
        return 0x800A0000 + _NEWER_ERRORS[code] - 2**32 if engine == "windows" else None
    value = cell.value
    return float(value) if type(value) is int else value


class FakeTable(_Modelled):
    REAL = "Table"

    def __init__(self, sheet: "FakeSheet", table: Table):
        self._sheet, self._table = sheet, table

    @property
    def name(self) -> str:
        return self._table.displayName

    @property
    def show_totals(self) -> bool:
        return bool(self._table.totalsRowCount)

    @property
    def range(self) -> FakeRange:
        left, top, right, bottom = range_boundaries(self._table.ref)
        return FakeRange(self._sheet, top, left, bottom, right)

    @property
    def api(self) -> _ListObjectApi:
        return _MacListObjectApi(self) if self._sheet._book.engine == "mac" else _ListObjectApi(self)

    def _delete(self) -> None:
        """ListObject.Delete: the table goes, and its cells are cleared."""
        for cell in self.range._cells():
            cell.value = None
        del self._sheet.ws.tables[self._table.displayName]

    def resize(self, range: FakeRange) -> None:  # noqa: A002 (xlwings' name)
        """Excel's ListObject.Resize: the header row stays, new columns take their header
        cell's text as their name."""
        table, ws, cells = self._table, self._sheet.ws, range
        names = [c.name for c in table.tableColumns]
        for column in builtins.range(cells._left + len(names), cells._right + 1):
            header = ws.cell(cells._top, column).value
            names.append(str(header) if header not in (None, "") else f"Column{len(names) + 1}")
            table.tableColumns.append(TableColumn(id=len(names), name=names[-1]))
        table.ref = cells._ref()
        if table.autoFilter is not None:
            table.autoFilter.ref = cells._ref()


class FakeTables(_Modelled):
    REAL = "Tables"

    def __init__(self, sheet: "FakeSheet"):
        self._sheet = sheet

    def __iter__(self):
        self._used("__iter__")
        return iter([FakeTable(self._sheet, t) for t in self._sheet.ws.tables.values()])

    def add(self, source: FakeRange | None = None, name: str | None = None, source_type=None, link_source=None,
            has_headers: bool = True, destination=None, table_style_name: str = "TableStyleMedium2") -> FakeTable:
        table = Table(displayName=name, ref=source._ref())
        table.tableStyleInfo = TableStyleInfo(name=table_style_name, showRowStripes=True)
        self._sheet.ws.add_table(table)
        return FakeTable(self._sheet, table)


class _ChartState:
    """What Excel holds of one chart on a sheet (made into an openpyxl chart by `save`)."""

    def __init__(self, anchor: FakeRange, width: float, height: float, chart_type: str | None, name: str):
        self.anchor, self.width, self.height, self.chart_type, self.name = anchor, width, height, chart_type, name
        self.source: FakeRange | None = None
        self.plot_by: str | None = None
        self.x_values: FakeRange | None = None
        self.series_names: list[str] = []
        self.title: str | None = None
        self.value_format = "General"
        self.legend = (True, "right")
        self.existing = None  # a chart that was in the file already (openpyxl's), kept as it is

    @classmethod
    def loaded(cls, chart, sheet: "FakeSheet") -> "_ChartState":
        state = cls(FakeRange(sheet, 1, 1, 1, 1), 0, 0, None, "loaded")
        state.existing = chart
        return state

    def series_ranges(self) -> list[FakeRange]:
        s = self.source
        if s is None:
            return []
        if self.plot_by == "rows":
            return [FakeRange(s._sheet, r, s._left, r, s._right) for r in range(s._top, s._bottom + 1)]
        return [FakeRange(s._sheet, s._top, c, s._bottom, c) for c in range(s._left, s._right + 1)]


class FakeChartSeries(_Modelled):
    REAL = "ChartSeries"

    def __init__(self, state: _ChartState, index: int):
        self._state, self._index = state, index

    @property
    def name(self) -> str:
        return self._state.series_names[self._index]

    @name.setter
    def name(self, value: str) -> None:
        self._state.series_names[self._index] = _xlwings_main()._chart_series_name(value)


class FakeChartSeriesCollection(_Modelled):
    REAL = "ChartSeriesCollection"

    def __init__(self, state: _ChartState):
        self._state = state

    def __len__(self) -> int:
        self._used("__len__")
        return len(self._state.series_names)

    def __getitem__(self, index: int) -> FakeChartSeries:
        self._used("__getitem__")
        if not 0 <= index < len(self._state.series_names):
            raise IndexError(index)
        return FakeChartSeries(self._state, index)


class FakeChartAxis(_Modelled):
    REAL = "ChartAxis"

    def __init__(self, state: _ChartState):
        self._state = state

    @property
    def number_format(self) -> str:
        return self._state.value_format

    @number_format.setter
    def number_format(self, code: str) -> None:
        self._state.value_format = code


class FakeChartLegend(_Modelled):
    REAL = "ChartLegend"

    def __init__(self, state: _ChartState):
        self._state = state

    @property
    def visible(self) -> bool:
        return self._state.legend[0]

    @visible.setter
    def visible(self, value: bool) -> None:
        self._state.legend = (bool(value), self._state.legend[1])

    @property
    def position(self) -> str:
        return self._state.legend[1]

    @position.setter
    def position(self, value: str) -> None:
        self._state.legend = (self._state.legend[0], _xlwings_main()._chart_legend_position(value))


class FakeChart(_Modelled):
    REAL = "Chart"

    def __init__(self, sheet: "FakeSheet", state: _ChartState):
        self._sheet, self._state = sheet, state

    @property
    def name(self) -> str:
        return self._state.name

    @property
    def chart_type(self) -> str | None:
        return self._state.chart_type

    @chart_type.setter
    def chart_type(self, value: str) -> None:
        self._state.chart_type = _xlwings_main()._chart_type(value)

    def set_source_data(self, source: FakeRange, plot_by: str | None = None) -> None:
        state = self._state
        state.source, state.plot_by = source, _xlwings_main()._chart_plot_by(plot_by) if plot_by else "columns"
        state.series_names = [f"Series{n}" for n in range(1, len(state.series_ranges()) + 1)]

    def set_x_axis_values(self, source: FakeRange) -> None:
        self._state.x_values = source

    @property
    def title(self) -> str | None:
        return self._state.title

    @title.setter
    def title(self, value: str | None) -> None:
        self._state.title = value

    @property
    def series(self) -> FakeChartSeriesCollection:
        return FakeChartSeriesCollection(self._state)

    @property
    def value_axis(self) -> FakeChartAxis:
        return FakeChartAxis(self._state)

    @property
    def legend(self) -> FakeChartLegend:
        return FakeChartLegend(self._state)

    def delete(self) -> None:
        self._sheet._book._charts[self._sheet.name].remove(self._state)


class FakeCharts(_Modelled):
    REAL = "Charts"

    def __init__(self, sheet: "FakeSheet"):
        self._sheet = sheet

    def _states(self) -> list[_ChartState]:
        return self._sheet._book._charts.setdefault(self._sheet.name, [])

    def __iter__(self):
        self._used("__iter__")
        return iter([FakeChart(self._sheet, s) for s in list(self._states())])

    def __len__(self) -> int:
        self._used("__len__")
        return len(self._states())

    def add(self, left: float = 0, top: float = 0, width: float = 355, height: float = 211, chart_type=None,
            source=None, plot_by=None, name=None, anchor=None, style=227) -> FakeChart:
        main = _xlwings_main()
        if anchor is not None and (top or left):
            raise ValueError("You must either provide 'anchor' or 'top'/'left', but not both.")
        if plot_by is not None and source is None:
            raise ValueError("'plot_by' requires 'source'.")
        state = _ChartState(anchor or FakeRange(self._sheet, 1, 1, 1, 1), width, height,
                            main._chart_type(chart_type) if chart_type else None,
                            name or f"Chart {len(self._states()) + 1}")
        self._states().append(state)
        chart = FakeChart(self._sheet, state)
        if source is not None:
            chart.set_source_data(source, plot_by)
        return chart


class FakeSheet(_Modelled):
    REAL = "Sheet"

    def __init__(self, book: "FakeBook", ws):
        self._book, self.ws = book, ws

    @property
    def name(self) -> str:
        return self.ws.title

    @property
    def tables(self) -> FakeTables:
        return FakeTables(self)

    @property
    def charts(self) -> FakeCharts:
        return FakeCharts(self)

    @property
    def used_range(self) -> FakeRange:
        return FakeRange(self, 1, 1, self.ws.max_row, self.ws.max_column)

    def range(self, cell1, cell2=None) -> FakeRange:
        if isinstance(cell1, str):
            left, top, right, bottom = range_boundaries(cell1 if ":" in cell1 else f"{cell1}:{cell1}")
            return FakeRange(self, top, left, bottom, right)
        cell2 = cell2 or cell1
        return FakeRange(self, cell1[0], cell1[1], cell2[0], cell2[1])

    def activate(self) -> None:
        self._book._active = self.ws.title

    def clear(self) -> None:
        """Excel's Cells.Clear: values, formats, highlight rules and links; Tables and charts stay."""
        ws = self.ws
        for row in ws.iter_rows():
            for cell in row:
                cell.value = None
                cell.hyperlink = None
                cell.style = "Normal"
                cell.number_format = "General"
        ws.conditional_formatting = type(ws.conditional_formatting)()
        ws._hyperlinks = []


class FakeSheets(_Modelled):
    REAL = "Sheets"

    def __init__(self, book: "FakeBook"):
        self._book = book

    def _all(self) -> list[FakeSheet]:
        return [FakeSheet(self._book, ws) for ws in self._book.wb.worksheets]

    def __iter__(self):
        self._used("__iter__")
        return iter(self._all())

    def __len__(self) -> int:
        self._used("__len__")
        return len(self._book.wb.worksheets)

    def __getitem__(self, key) -> FakeSheet:
        self._used("__getitem__")
        if isinstance(key, int):
            return self._all()[key]
        return FakeSheet(self._book, self._book.wb[key])

    @property
    def active(self) -> FakeSheet:
        return FakeSheet(self._book, self._book.wb[self._book._active])

    def add(self, name: str | None = None, before: FakeSheet | None = None,
            after: FakeSheet | None = None) -> FakeSheet:
        wb = self._book.wb
        if after is not None:
            index = wb.worksheets.index(after.ws) + 1
        elif before is not None:
            index = wb.worksheets.index(before.ws)
        else:
            index = wb.worksheets.index(wb[self._book._active])
        ws = wb.create_sheet(name, index)
        self._book._active = ws.title  # Excel activates a sheet it adds
        return FakeSheet(self._book, ws)


class FakeBook(_Modelled):
    """An xlwings-like Book over a workbook file (see the module's list of what it models)."""

    REAL = "Book"

    def __init__(self, path: str | Path, *, engine: str = "windows", prompts=(), date_order: str = "DMY",
                 files: list[str] | None = None, url: str | None = None, selection: str | None = None):
        if engine not in ("windows", "mac"):
            raise ValueError(engine)
        self.engine, self.date_order, self.files = engine, date_order, files
        self._path = Path(path).resolve()
        self._url = url
        self.selection_ref = selection
        self.saved = True
        self.wb = openpyxl.load_workbook(path)
        self._active = self.wb.active.title
        self._charts: dict[str, list[_ChartState]] = {
            ws.title: [_ChartState.loaded(c, FakeSheet(self, ws)) for c in ws._charts] for ws in self.wb.worksheets}
        self.prompts = list(prompts)
        self.inputs: list[tuple[str, str]] = []
        self._app = FakeApp(self)
        self._api = _MacWorkbookApi(self) if engine == "mac" else _WorkbookApi(self)

    @property
    def name(self) -> str:
        return self._path.name

    @property
    def fullname(self) -> str:
        """As xlwings' Book: the file's path; a OneDrive/SharePoint address (`https://…`, what
        Excel's FullName is under AutoSave) mapped to the synced local file by xlwings' own
        helper, which raises `XlwingsError` when it finds none."""
        if self._url is None:
            return str(self._path)
        from xlwings.utils import fullname_url_to_local_path

        return fullname_url_to_local_path(self._url)

    @property
    def sheets(self) -> FakeSheets:
        return FakeSheets(self)

    @property
    def selection(self) -> FakeRange | None:
        """Excel's selection (xlwings' `Book.selection`): `selection_ref`, `Sheet!A2:D5` or
        several areas `Sheet!A2:D3,A7`, on that sheet (made the active one); None when unset
        (a chart or shape selected). Without a sheet it is on the active sheet."""
        if not self.selection_ref:
            return None
        name, _, refs = self.selection_ref.rpartition("!")
        if name:
            self._active = name.strip("'")
        sheet = FakeSheet(self, self.wb[self._active])
        areas = [_range_of(sheet, ref) for ref in refs.split(",")]
        first = areas[0]
        return FakeRange(sheet, first._top, first._left, first._bottom, first._right,
                         areas=tuple(a.address for a in areas) if len(areas) > 1 else ())

    @property
    def app(self) -> FakeApp:
        return self._app

    @app.setter
    def app(self, value) -> None:  # tests put an engine without a desktop here
        self._app = value

    @property
    def api(self):
        return self._api

    def _answer(self, prompt: str, default: str):
        self.inputs.append((prompt, default))
        if not self.prompts:
            raise AssertionError(f"the input box was shown once more than the test expected: {prompt!r}")
        return self.prompts.pop(0)

    def save(self) -> None:
        """Write the workbook to its file (test only), the charts as openpyxl charts."""
        for sheet_name, states in self._charts.items():
            ws = self.wb[sheet_name]
            ws._charts = []
            for state in states:
                _add_openpyxl_chart(ws, state)
        self.wb.save(self._path)


def _add_openpyxl_chart(ws, state: _ChartState) -> None:
    if state.existing is not None:
        ws._charts.append(state.existing)
        return
    if state.chart_type != "column_clustered":
        raise NotImplementedError(f"the fake saves clustered column charts only, not {state.chart_type}")
    chart = BarChart()
    chart.type, chart.grouping, chart.title = "col", "clustered", state.title
    chart.width, chart.height = state.width * 2.54 / 72, state.height * 2.54 / 72  # points to cm
    chart.y_axis.numFmt = state.value_format
    chart.y_axis.delete = chart.x_axis.delete = False
    for name, cells in zip(state.series_names, state.series_ranges()):
        series = Series(Reference(ws, min_col=cells._left, max_col=cells._right, min_row=cells._top,
                                  max_row=cells._bottom))
        series.tx = SeriesLabel(v=name)
        chart.series.append(series)
    if state.x_values is not None:
        x = state.x_values
        chart.set_categories(Reference(ws, min_col=x._left, max_col=x._right, min_row=x._top, max_row=x._bottom))
    if not state.legend[0]:
        chart.legend = None
    else:
        chart.legend.position = {"right": "r", "left": "l", "top": "t", "bottom": "b"}.get(state.legend[1], "r")
    ws.add_chart(chart, f"{get_column_letter(state.anchor._left)}{state.anchor._top}")
