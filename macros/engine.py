"""The few things the macros need from Excel that xlwings' portable API does not offer, reached
through the engine's own object (`.api`): pywin32's COM objects on Windows, appscript
references on macOS (xlwings picks its engine by the platform, and so does this module).

Each function names the Excel object-model member it uses; on macOS the same member in
Excel's AppleScript dictionary (xlwings ships it as `xlwings.mac_dict`, where the test
checks every name used here). `macros.fakebook` models exactly these members, per engine.
"""

from __future__ import annotations

import sys

from macros.asof import EXCEL_DATE_ORDERS

#: the platform xlwings' engine is chosen by (tests set it to model the other engine)
PLATFORM = sys.platform
#: XlApplicationInternational: xlDateOrder, xlDateSeparator
XL_DATE_ORDER, XL_DATE_SEPARATOR = 32, 17
#: Application.InputBox's Type for text
TEXT = 2


def on_mac() -> bool:
    return PLATFORM == "darwin"


def workbook_saved(book) -> bool:
    """`Workbook.Saved`: False while the workbook has changes not saved to its file.
    (xlwings' Book has no such attribute; macOS: the workbook's `saved` property.)"""
    if on_mac():
        return bool(book.api.saved.get())
    return bool(book.api.Saved)


def date_order(book) -> tuple[str | None, str | None]:
    """Excel's date order ("MDY", "DMY", "YMD") and separator: `Application.International`
    on Windows. Excel for Mac does not expose them to scripts: (None, None), unknown."""
    if on_mac():
        return None, None
    app = book.app.api
    return EXCEL_DATE_ORDERS.get(int(app.International(XL_DATE_ORDER))), str(app.International(XL_DATE_SEPARATOR))


def input_box(book, prompt: str, title: str, default: str) -> str | None:
    """Excel's own `Application.InputBox` (macOS: the `input box` command of Excel's
    dictionary) for text; None when the person pressed Cancel (Excel answers False)."""
    app = book.app.api
    if on_mac():
        answer = app.input_box(prompt=prompt, title=title, default=default, type=TEXT)
    else:
        answer = app.InputBox(Prompt=prompt, Title=title, Default=default, Type=TEXT)
    if answer is False or answer is None:
        return None
    return str(answer)


def delete_table(table) -> None:
    """`ListObject.Delete` (xlwings' Table has no delete): the table and its cells go."""
    if on_mac():
        table.api.delete()
    else:
        table.api.Delete()


def freeze_header_row(book, sheet) -> None:
    """Freeze the first row of `sheet`. Freezing belongs to a window (`Window.SplitRow`,
    `Window.FreezePanes`; xlwings' desktop engines do not implement `freeze_panes`), so the
    sheet is made active for it; the caller restores the sheet that was active."""
    sheet.activate()
    window = book.app.api.active_window if on_mac() else book.app.api.ActiveWindow
    if on_mac():
        window.freeze_panes.set(False)
        window.scroll_row.set(1)
        window.scroll_column.set(1)
        window.split_column.set(0)
        window.split_row.set(1)
        window.freeze_panes.set(True)
    else:
        window.FreezePanes = False
        window.ScrollRow = 1
        window.ScrollColumn = 1
        window.SplitColumn = 0
        window.SplitRow = 1
        window.FreezePanes = True


def open_filenames(book, title: str) -> list[str] | None:
    """Excel's `Application.GetOpenFilename` (multi-select); None where Excel has none to offer."""
    if on_mac():
        return None
    chosen = book.app.api.GetOpenFilename("Bank statements (*.xml;*.sta;*.txt;*.csv),*.xml;*.sta;*.txt;*.csv",
                                          1, title, None, True)
    if chosen is False or chosen is None:
        return []
    return [str(f) for f in chosen]
