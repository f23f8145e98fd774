"""The demo explains every matching decision (issue 15): each row of its Allocations sheet
carries the evidence it was booked on (how the payment names the invoice, the amount, the
payer, the value date) and a confidence; each row of its Unmatched sheet says why the
payment was left and, where readings competed, which ones. The same rules are checked on
the adversarial labelled set, whose payments leave every kind of reason."""

from __future__ import annotations

import datetime as dt
import re

import openpyxl
import pytest

from billing.pipeline.match import ALLOCATION_COLUMNS, UNMATCHED_COLUMNS

#: words that show how a method found its invoices: a method must be explained in its own terms
METHOD_WORDS = {
    "reference": ("RF reference of ",),
    "invoice_no": ("invoice number ",),
    "fuzzy": ("with a typo", "one character from the quoted "),
    "combined": ("RF reference of ", "invoice numbers ", "the amount is the sum of ", "the rest, "),
    "amount": ("no number in the text; amount ", "which is void; amount "),
}
#: how the amount was read: what is open, less a discount, within tolerance, or part or more of it
AMOUNT_WORDS = ("is what is open", "the amount is the sum of", "early-payment discount", "within tolerance",
                "partial payment", "overpaid")
#: who paid: the customer, a third party, or said not to be identified
PAYER_WORDS = ("payer is the customer (", "paid by a third party (", "payer not identified (", "payer name '")
#: reasons that name no competing reading because there was none
NO_RIVAL = re.compile(r"which is not open|which is void|names no invoice|no invoice number or RF reference|no remittance text")


def check_allocation(row: dict, value_date: dt.date) -> None:
    explanation = row["explanation"] or ""
    where = f"{row['payment_id']} → {row['invoice_no']}: {explanation!r}"
    assert f"value date {value_date.isoformat()}" in explanation, where
    assert any(w in explanation for w in METHOD_WORDS[row["method"]]), where
    assert any(w in explanation for w in AMOUNT_WORDS), where
    assert any(w in explanation for w in PAYER_WORDS), where
    assert 0 < row["confidence"] <= 1, where


def check_unmatched(row: dict) -> None:
    reason = row["reason"] or ""
    where = f"{row['payment_id']}: {reason!r}"
    assert reason and reason != "no open item fits", where  # the catch-all says nothing
    assert row["candidates"] or NO_RIVAL.search(reason), where  # readings competed: they are named


def sheet_rows(ws, columns) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == columns
    return [dict(zip(columns, r)) for r in rows[1:]]


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    from test_cli import run

    folder = tmp_path_factory.mktemp("demo")
    result = run("demo", "--dir", str(folder))
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture(scope="module")
def demo_book(demo_folder):
    return openpyxl.load_workbook(demo_folder / "demo.xlsx")


def test_every_demo_allocation_carries_its_evidence(demo_book):
    value_date = {r[0]: r[1].date() for r in demo_book["Payments"].iter_rows(min_row=2, values_only=True)
                  if r[0] is not None}
    rows = sheet_rows(demo_book["Allocations"], ALLOCATION_COLUMNS)
    assert len(rows) > 100 and {r["method"] for r in rows} >= {"reference", "invoice_no", "fuzzy", "combined",
                                                                 "amount"}
    for row in rows:
        check_allocation(row, value_date[row["payment_id"]])


def test_every_demo_unmatched_payment_says_why(demo_book):
    rows = sheet_rows(demo_book["Unmatched"], UNMATCHED_COLUMNS)
    assert rows
    for row in rows:
        check_unmatched(row)
    # the demo's unmatched payments are refunds and interest: nothing in them pointed anywhere
    assert {r["payment_id"]: r["reason"] for r in rows}["P000091"] == (
        "no invoice number or RF reference in the text; the payer (Techniker Krankenkasse) is no customer, "
        "by IBAN or name")


def test_the_adversarial_sheets_explain_every_decision():
    from billing.invoicing.compute import compute
    from billing.matching import match_tables
    from billing.pipeline.match import output_sheets
    from billing.sample.adversarial import generate_adversarial
    from tests_support import tables_of

    data = generate_adversarial(seed=0, workbook_id="demo-test").data
    tables = tables_of(data)
    allocations, unmatched = output_sheets(match_tables(tables, compute(tables)), [])
    value_date = {p["payment_id"]: p["value_date"] for p in data.payments}
    for row in allocations.rows:
        check_allocation(dict(zip(ALLOCATION_COLUMNS, row)), value_date[row[0]])
    reasons = [dict(zip(UNMATCHED_COLUMNS, row)) for row in unmatched.rows]
    for row in reasons:
        check_unmatched(row)
    # every kind of reason is there: competing readings, not open, and nothing pointing anywhere
    assert any(r["candidates"] and ";" in r["candidates"] for r in reasons)
    assert any("which is not open" in r["reason"] for r in reasons)
    assert any("no invoice number or RF reference in the text" in r["reason"] for r in reasons)


def test_the_demo_issues_the_months_invoices(demo_book):
    """After the close the demo issues the month's invoices: PDF for most, Factur-X and UBL for
    the customers that receive them, each listed on the Documents sheet with its file's SHA-256."""
    rows = list(demo_book["Documents"].iter_rows(values_only=True))
    assert rows[0][:6] == ("invoice_no", "format", "file", "sha256", "valid", "issued_at")
    formats = [r[1] for r in rows[1:]]
    assert formats.count("pdf") > len(formats) / 2
    assert {"facturx", "ubl"} <= set(formats)
    assert all(r[2].startswith("2026-10/") and len(r[3]) == 64 for r in rows[1:])
    assert all(r[4] == "yes" for r in rows[1:] if r[1] != "pdf")


def test_the_demo_reminds_and_drafts_the_emails(demo_book, demo_folder):
    """Then it reminds the overdue customers (letters at more than one level, interest on the
    interest levels, a disputed part kept out) and puts every invoice and letter as an e-mail
    draft into the outbox, before it seals."""
    from billing.contract import REMINDERS

    rows = sheet_rows(demo_book["Reminders"], REMINDERS.column_names)
    letters = {r["letter"] for r in rows}
    assert len(letters) >= 3 and len({r["level"] for r in rows}) >= 2
    assert any(r["interest"] for r in rows) and any(r["disputed"] for r in rows)
    assert all((demo_folder / "documents" / letter).is_file() for letter in letters)
    drafts = list((demo_folder / "outbox").glob("*.eml"))
    issued = {r[0] for r in list(demo_book["Documents"].iter_rows(values_only=True))[1:]}
    assert len(drafts) == len(issued) + len(letters)
    assert all(b"X-Unsent: 1" in d.read_bytes() for d in drafts)


def test_the_demo_bills_the_months_contracts_before_the_close(demo_book):
    """First it bills the close month's contracts: drafts BILL-<customer>-<month> and the
    BillingRun sheet; the close then numbers nothing of them (drafts) but computes them."""
    from billing.contract import BILLING_RUN, INVOICES

    rows = sheet_rows(demo_book["BillingRun"], BILLING_RUN.column_names)
    billed = [r for r in rows if r["invoice_key"]]
    assert billed and all(r["invoice_key"].startswith("BILL-") and r["net"] for r in billed)
    keys = {r["invoice_key"] for r in sheet_rows(demo_book["Invoices"], INVOICES.column_names)}
    assert {r["invoice_key"] for r in billed} <= keys
