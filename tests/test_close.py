"""The month-end close end to end: statements imported, every output sheet written once,
figures that agree with each other, a stop at the first failing step with nothing else
changed, and the demo."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import openpyxl
import pytest

from billing.sample.demo import prepare_demo
from billing.sample.bank_files import camt053, payments_csv
from billing.bank import read_statement
from builders import base_sheets, set_cell, write_book
from test_cli import digest, run

OUTPUTS = {"InvoiceTaxSummary", "Allocations", "Unmatched", "Aging", "Dunning", "DisputeList", "Statements", "Close",
           "Validation"}


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return prepare_demo(tmp_path_factory.mktemp("demo"), invoices=80, seed=3)


def payment_ids(wb) -> set:
    return {r[0] for r in wb["Payments"].iter_rows(min_row=2, values_only=True) if r[0] is not None}


def close(files, *extra):
    args = ["close", str(files.workbook), "--as-of", files.as_of.isoformat(), "--json"]
    args += [a for s in files.statements for a in ("--statement", str(s))]
    return run(*args, *extra)


def test_close_runs_every_step_and_writes_every_sheet(demo_files, tmp_path):
    lines = sum(len(read_statement(s).lines) for s in demo_files.statements)
    before = payment_ids(openpyxl.load_workbook(demo_files.workbook))
    result = close(demo_files)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["ok"] is True and summary["stopped_at"] is None and summary["errors"] == []
    steps = summary["steps"]
    assert list(steps) == ["validate", "compute", "number", "match", "age", "statements"]
    assert steps["match"]["imported"] == lines > 0
    wb = openpyxl.load_workbook(demo_files.workbook)
    assert OUTPUTS <= set(wb.sheetnames)
    assert len(payment_ids(wb)) == len(before) + lines  # the statements' payments, appended once
    # the Close sheet, the Aging sheet and the JSON tell the same figures
    aging = {r[2]: r for r in wb["Aging"].iter_rows(min_row=2, values_only=True) if r[0] == "TOTAL"}
    at = [c.value for c in wb["Aging"][1]].index("total")  # the sample has disputes: `disputed` comes last
    for currency, total in steps["age"]["totals"].items():
        assert Decimal(str(aging[currency][at])).quantize(Decimal("0.01")) == Decimal(total)
    close_rows = {(r[0], r[1], r[2]): r[3] for r in wb["Close"].iter_rows(min_row=2, values_only=True)}
    assert close_rows[("match", "payments unmatched", None)] == steps["match"]["unmatched"]
    allocations = sum(1 for _ in wb["Allocations"].iter_rows(min_row=2))
    assert allocations == sum(steps["match"]["allocations"].values())
    statements = [r for r in wb["Statements"].iter_rows(min_row=2, values_only=True) if r[3] == "closing balance"]
    assert len(statements) == steps["statements"]["accounts"]
    # a second close imports nothing new and gives the same figures
    again = json.loads(close(demo_files).stdout)
    assert again["steps"]["match"]["imported"] == 0
    assert again["steps"]["age"] == steps["age"] and again["steps"]["match"]["allocations"] == \
        steps["match"]["allocations"]


def test_close_stops_at_the_first_failing_step_and_writes_only_its_errors(tmp_path):
    sheets = base_sheets()
    set_cell(sheets, "Invoices", 1, "issue_date", "31.10.2026")  # not a date
    path = write_book(tmp_path / "bad.xlsx", sheets)
    result = run("close", str(path), "--as-of", "2026-10-31", "--json")
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["ok"] is False and summary["stopped_at"] == "validate"
    assert [e["rule"] for e in summary["errors"]] and all(e["cell"].startswith("Invoices!") for e in summary["errors"])
    wb = openpyxl.load_workbook(path)
    assert "Validation" in wb.sheetnames and not {"Aging", "Close", "Allocations"} & set(wb.sheetnames)


def test_close_stops_at_match_on_a_bad_manual_row(tmp_path):
    sheets = base_sheets()
    sheets["Allocations"] = [["payment_id", "invoice_no", "amount", "method", "confidence", "explanation"],
                             ["NOPE", "INV-1", 10, "manual", None, None]]
    path = write_book(tmp_path / "m.xlsx", sheets)
    invoices_before = [r for r in openpyxl.load_workbook(path)["Invoices"].iter_rows(values_only=True)]
    result = run("close", str(path), "--as-of", "2026-10-31", "--json")
    assert result.returncode == 1 and json.loads(result.stdout)["stopped_at"] == "match"
    wb = openpyxl.load_workbook(path)
    assert [r for r in wb["Invoices"].iter_rows(values_only=True)] == invoices_before  # no numbers, no totals
    assert "Aging" not in wb.sheetnames


def test_close_refuses_bad_arguments_without_touching_the_file(demo_files, tmp_path):
    before = digest(demo_files.workbook)
    for args in (["--as-of", "yesterday"], ["--as-of", "2026-10-31", "--statement", str(tmp_path / "none.xml")],
                 ["--as-of", "2026-10-31", "--csv-format", "klingon"]):
        result = run("close", str(demo_files.workbook), *args)
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert digest(demo_files.workbook) == before


ROWS = [
    {"payment_id": "B1", "value_date": dt.date(2026, 10, 30), "amount": Decimal("119.00"), "currency": "EUR",
     "payer_name": "Müller & Söhne GmbH", "payer_iban": "DE89 3704 0044 0532 0130 00",
     "reference_text": "RF18539007547034"},
    {"payment_id": "B2", "value_date": dt.date(2026, 10, 31), "amount": Decimal("0.50"), "currency": "CHF",
     "payer_name": None, "payer_iban": None, "reference_text": "Rechnung INV-2026-000007; danke"},
]


@pytest.mark.parametrize("kind", ["camt", "csv"])
def test_bank_files_read_back_as_written(tmp_path, kind):
    path = tmp_path / ("s.xml" if kind == "camt" else "s.csv")
    path.write_bytes(camt053(ROWS, "DE89370400440532013000", "S1", dt.datetime(2026, 10, 31, 18))
                     if kind == "camt" else payments_csv(ROWS))
    lines = read_statement(path).lines
    assert [(x.payment_id, x.value_date, x.amount, x.currency, x.payer_name, x.payer_iban, x.reference_text)
            for x in lines] == [
        ("B1", dt.date(2026, 10, 30), Decimal("119.00"), "EUR", "Müller & Söhne GmbH", "DE89370400440532013000",
         "RF18539007547034"),
        ("B2", dt.date(2026, 10, 31), Decimal("0.50"), "CHF", None, None, "Rechnung INV-2026-000007; danke")]


def test_demo(tmp_path):
    result = run("demo", "--dir", str(tmp_path / "d"), "--invoices", "40")
    assert result.returncode == 0, result.stderr
    assert "closed as of 2026-10-31" in result.stderr
    assert {"Close", "Aging"} <= set(openpyxl.load_workbook(tmp_path / "d" / "demo.xlsx").sheetnames)


def test_close_with_seal_archives_a_workbook_that_verifies(tmp_path):
    files = prepare_demo(tmp_path / "s", invoices=30, seed=9)
    result = close(files, "--seal")
    assert result.returncode == 0, result.stderr
    seal = json.loads(result.stdout)["seal"]
    assert seal["sealed"] == str(files.workbook) and seal["archive_id"] == 1 and len(seal["sha256"]) == 64
    verify = run("verify", str(files.workbook), "--json")
    assert verify.returncode == 0 and json.loads(verify.stdout)["intact"] is True


def test_one_close_summary_one_allocations_reader_one_preamble(demo_files, tmp_path):
    """The Close sheet and the command line's table show the same `summary_rows`; the ledger
    read back from the written Allocations sheet is the one the close aged with; the close
    and a plain `pipeline.checked` agree on the book."""
    import shutil

    from billing.cli.close import print_close_summary
    from billing.cli.common import err
    from billing.contract import ALLOCATIONS
    from billing.pipeline import checked
    from billing.pipeline.close import CloseOptions, close as run_close, summary_rows
    from billing.pipeline.steps import applied_of, compute_step, match_step, number_step, receivables_step
    from billing.store import open_store
    from billing.workbook.read import read_book
    from billing.workbook.write import apply_changes

    book_path = tmp_path / "book.xlsx"
    shutil.copy(demo_files.workbook, book_path)
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    book = read_book(book_path, optional=(ALLOCATIONS,))
    result = run_close(book, engine, CloseOptions(demo_files.as_of, demo_files.statements), workbook="book.xlsx")
    assert result.ok
    close_sheet = next(o for o in result.changes.outputs if o.name == "Close")
    assert [r[0] for r in close_sheet.rows[:4]] == ["run"] * 4
    assert list(close_sheet.rows[4:]) == summary_rows(result.summary)
    with err.capture() as shown:
        print_close_summary(result.summary)
    table = shown.get()
    for section, item, currency, amount, _ in summary_rows(result.summary):
        assert section in table and item in table

    apply_changes(book_path, result.changes)
    again = read_book(book_path, optional=(ALLOCATIONS,))
    found = checked(again)
    assert found.valid and found.tables is not None
    computation = compute_step(again, found.tables)
    numbering = number_step(again, found.tables, computation.computed, engine)
    matching = match_step(again, numbering.tables, computation.computed)
    from_run = receivables_step(again, matching.tables, computation.computed, demo_files.as_of, 90,
                                applied_of(matching)).ledger
    from_sheet = receivables_step(again, matching.tables, computation.computed, demo_files.as_of).ledger
    key = lambda a: (a.payment_id, a.invoice_no, a.amount)  # noqa: E731
    assert sorted(from_sheet.applied, key=key) == sorted(from_run.applied, key=key)
    assert from_sheet.received == from_run.received and from_sheet.last_reminder == from_run.last_reminder


def test_checked_gives_no_tables_for_an_invalid_book(tmp_path):
    from billing.pipeline import checked
    from billing.workbook.read import read_book

    sheets = base_sheets()
    set_cell(sheets, "Invoices", 1, "issue_date", "31.10.2026")  # not a date
    path = write_book(tmp_path / "bad.xlsx", sheets)
    found = checked(read_book(path))
    assert not found.valid and found.tables is None and found.validation.errors
