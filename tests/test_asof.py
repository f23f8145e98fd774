"""The as-of date prompt of Aging and Month-end close (`macros.asof`, `macros.live.ask_date`),
with Excel's input box stubbed by the fake: Cancel cancels quietly, ISO and the local forms
in Excel's own date order are read, anything else is asked again saying why — never
guessed, never a traceback; on macOS (no date order to ask Excel for) only what is certain."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

import macros
from macros import engine as engines
from macros.asof import NotADate, parse_typed_date
from macros.fakebook import FakeBook
from macros.live import ask_date

D = dt.date(2026, 10, 31)


@pytest.mark.parametrize("typed, order, separator, expected", [
    ("2026-10-31", "DMY", ".", D), ("2026-10-31", "MDY", "/", D), ("2026-10-31", None, None, D),
    ("2026/10/31", "YMD", "/", D), (" 2026.10.31 ", "DMY", ".", D), ("2026-01-02", "MDY", "/", dt.date(2026, 1, 2)),
    ("31.10.2026", "DMY", ".", D), ("31/10/2026", "DMY", "/", D), ("31-10-2026", "DMY", ".", D),
    ("1.2.2026", "DMY", ".", dt.date(2026, 2, 1)), ("10/31/2026", "MDY", "/", D),
    ("1/2/2026", "MDY", "/", dt.date(2026, 1, 2)), ("02.01.2026", "MDY", "/", dt.date(2026, 2, 1)),
    ("31.10.2026", None, None, D), ("10/31/2026", None, None, D), ("05.05.2026", None, None, dt.date(2026, 5, 5)),
    ("31.10.2026", "YMD", "-", D),
])
def test_dates_read_as_excel_reads_them(typed, order, separator, expected):
    assert parse_typed_date(typed, order, separator) == expected


@pytest.mark.parametrize("typed, order, separator, reason", [
    ("", "DMY", ".", "no date typed: type it as 2026-10-31 or 31.10.2026"),
    ("   ", "MDY", "/", "no date typed: type it as 2026-10-31 or 10/31/2026"),
    ("today", "DMY", ".", "'today' is not a date: type it as 2026-10-31 or 31.10.2026"),
    ("31 Oct 2026", None, None, "'31 Oct 2026' is not a date: type it as 2026-10-31"),
    ("31.10.26", "DMY", ".", "31.10.26: write the year with four digits (type it as 2026-10-31 or 31.10.2026)"),
    ("10/31/2026", "DMY", ".", "10/31/2026 is not a day of the calendar (day 10, month 31, year 2026)"),
    ("31.10.2026", "MDY", "/", "31.10.2026 is not a day of the calendar (day 10, month 31, year 2026)"),
    ("2026-02-30", "DMY", ".", "2026-02-30 is not a day of the calendar (day 30, month 2, year 2026)"),
    ("10.11.2026", None, None, "10.11.2026 is ambiguous: 10 November 2026 or 11 October 2026? Type it as 2026-MM-DD"),
    ("1/2/2026", "YMD", "-", "1/2/2026 is ambiguous: 01 February 2026 or 02 January 2026? Type it as 2026-MM-DD"),
    ("31.12.1899", "DMY", ".", "31.12.1899: Excel has no dates before 1900"),
    ("31.10.2026.", "DMY", ".", "'31.10.2026.' is not a date: type it as 2026-10-31 or 31.10.2026"),
    ("31.10/2026", "DMY", ".", "'31.10/2026' is not a date: type it as 2026-10-31 or 31.10.2026"),
    ("2026-10-31T00:00", "DMY", ".", "'2026-10-31T00:00' is not a date: type it as 2026-10-31 or 31.10.2026"),
])
def test_what_cannot_be_read_is_refused_with_its_reason(typed, order, separator, reason):
    with pytest.raises(NotADate) as refused:
        parse_typed_date(typed, order, separator)
    assert str(refused.value) == reason


def test_the_documented_examples_hold():
    import doctest

    import macros.asof

    assert doctest.testmod(macros.asof).failed == 0


@pytest.fixture
def workbook(tmp_path):
    from billing.sample.demo import prepare_demo

    demo = prepare_demo(tmp_path / "demo", invoices=30, seed=2)
    copy = tmp_path / "live.xlsx"
    shutil.copy(demo.workbook, copy)
    return copy


@pytest.fixture
def on(monkeypatch):
    """Model one engine: `on("mac")` makes `macros.engine` speak appscript, as on macOS."""

    def use(engine: str) -> str:
        monkeypatch.setattr(engines, "PLATFORM", "darwin" if engine == "mac" else "win32")
        return engine

    return use


@pytest.mark.parametrize("engine, order, answers, expected", [
    ("windows", "DMY", ["2026-10-31"], D),
    ("windows", "DMY", ["31.10.2026"], D),
    ("windows", "MDY", ["10/31/2026"], D),
    ("windows", "YMD", ["2026-10-31"], D),
    ("windows", "DMY", [False], None),  # Cancel: Excel's InputBox answers False
    ("windows", "DMY", ["junk", "31.10.2026"], D),
    ("windows", "MDY", ["31.10.2026", "", "10/31/2026"], D),
    ("mac", None, ["31.10.2026"], D),
    ("mac", None, ["10.11.2026", "2026-11-10"], dt.date(2026, 11, 10)),
    ("mac", None, [False], None),
])
def test_the_prompt_asks_until_it_can_read_the_date(workbook, on, engine, order, answers, expected):
    book = FakeBook(workbook, engine=on(engine), prompts=answers, date_order=order or "DMY")
    assert ask_date(book, "Aging as of which date?", dt.date(2026, 11, 5)) == expected
    assert len(book.inputs) == len(answers) and not book.prompts
    first_prompt, first_default = book.inputs[0]
    assert first_default == "2026-11-05"
    local = {"DMY": " or 05.11.2026", "MDY": " or 11/05/2026", "YMD": " or 2026-11-05", None: ""}[order]
    assert first_prompt == f"Aging as of which date? (e.g. 2026-11-05{local})"
    for (previous, (prompt, default)) in zip(answers, book.inputs[1:]):
        assert default == previous  # asked again with the text as typed, saying why first
        with pytest.raises(NotADate) as reason:
            parse_typed_date(previous, order if engine == "windows" else None, book.app.api.International(17)
                             if engine == "windows" else None)
        assert prompt.startswith(f"{reason.value}.\n\nAging as of which date?")


@pytest.mark.parametrize("macro, title", [("aging_report", "Aging"), ("month_end_close", "Month-end close")])
def test_cancel_cancels_quietly_and_writes_nothing(workbook, on, macro, title):
    for engine in ("windows", "mac"):
        book = FakeBook(workbook, engine=on(engine), prompts=[False])
        sheets = list(book.wb.sheetnames)
        getattr(macros, macro)(book)
        assert book.app.alerts == [] and book.wb.sheetnames == sheets
        assert book.app.status_history[-1] == f"xlbilling {title}: cancelled"


def test_a_local_date_reaches_the_report(workbook, on):
    book = FakeBook(workbook, engine=on("windows"), prompts=["junk", "31.10.2026"], date_order="DMY")
    macros.month_end_close(book)
    assert book.app.alerts == ["Closed as of 2026-10-31: see the Close sheet"]
    assert ("run", "as_of", None, None, "2026-10-31") in book.wb["Close"].iter_rows(values_only=True)


def test_a_prompt_that_fails_is_a_message_not_a_traceback(workbook, on):
    class Broken:
        def InputBox(self, *args, **kwargs):  # noqa: N802
            raise OSError("RPC server unavailable")

        def International(self, index):  # noqa: N802
            return {32: 1, 17: "."}[index]

    book = FakeBook(workbook, engine=on("windows"))
    book.app._api = Broken()
    macros.aging_report(book)
    assert book.app.alerts == ["Aging failed: OSError: RPC server unavailable"]
    assert "Aging" not in book.wb.sheetnames
