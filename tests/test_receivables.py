"""DSO, the dunning list and customer statements: exact figures, and the Aging sheet's
highlights and chart, end to end through the CLI."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.receivables.aging import Applied, Item, Received, age
from billing.receivables.customer_statements import statements
from billing.receivables.dso import dso_figures
from billing.collections.policy import DunningPolicy
from billing.receivables.dunning import dunning_list
from billing.receivables.ledger import Ledger

D0 = dt.date(2026, 1, 1)


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


def inv(number, issued, due, gross="100.00", customer="C1", currency="EUR", kind="invoice", status="issued",
        corrects=None):
    return Item(number, customer, currency, kind, status, day(issued), day(due), D(gross), corrects)


def ledger(items, applied=(), received=(), reminders=None):
    return Ledger(list(items), list(applied), list(received), {"C1": "Alpha", "C2": "Beta"}, reminders)


def paid(number, amount, on):
    return Applied("P", number, D(amount), D(0), day(on))


@pytest.mark.parametrize(("items", "applied", "as_of", "days", "expected_customer", "expected_total"), [
    # 300 open of 900 sold in 90 days → 30 days
    ([inv("A", 10, 40, "300.00"), inv("B", 20, 50, "600.00")], [paid("B", "600.00", 30)], 60, 90,
     {("C1", "EUR"): D("30.0")}, D("30.0")),
    # only what was sold inside the period counts: A (day 0) is outside a 30-day period ending day 60
    ([inv("A", 0, 100, "500.00"), inv("B", 40, 100, "250.00")], [paid("A", "500.00", 5)], 60, 30,
     {("C1", "EUR"): D("30.0")}, D("30.0")),
    # credit notes reduce the period's sales; nothing sold → no DSO
    ([inv("A", 0, 100, "200.00"), inv("CN", 50, 50, "50.00", kind="credit_note")], [], 60, 30,
     {("C1", "EUR"): None}, None),
    # two customers: 100/300 × 90 = 30.0 and 200/200 × 90 = 90.0; together 300/500 × 90 = 54.0
    ([inv("A", 10, 100, "300.00"), inv("B", 10, 100, "200.00", customer="C2")], [paid("A", "200.00", 15)], 20, 90,
     {("C1", "EUR"): D("30.0"), ("C2", "EUR"): D("90.0")}, D("54.0")),
])
def test_dso(items, applied, as_of, days, expected_customer, expected_total):
    rows = age(items, applied, [], day(as_of))
    assert dso_figures(rows, items, day(as_of), days) == (expected_customer, {"EUR": expected_total})


def test_dunning_levels_groups_and_reminders():
    items = [inv("A", 0, 10), inv("B", 0, 50, "80.00"), inv("C", 0, 95), inv("D", 0, 200),
             inv("E", 0, 20, customer="C2"), inv("CN", 0, 0, "30.00", kind="credit_note")]
    applied = [Applied("P", "B", D("30.00"), D(0), day(60))]
    # the dunning policy's levels 30,60,90: bounds reached, so 90 days is level 3, 50 level 1, 5 none yet
    rows = dunning_list(ledger(items, applied, reminders={"A": day(90)}), day(100),
                        DunningPolicy(levels=(30, 60, 90)).level_of)
    assert [(r.customer_id, r.invoice_no, r.days_past_due, str(r.open_amount), r.level, r.customer_level,
             r.last_reminder) for r in rows] == [
        ("C1", "A", 90, "100.00", 3, 3, day(90)),
        ("C1", "B", 50, "50.00", 1, 3, None),
        ("C1", "C", 5, "100.00", 0, 3, None),  # overdue, listed, but no reminder level yet
        ("C2", "E", 80, "100.00", 2, 2, None),
    ]  # D is not due yet, the credit note is not dunned


@pytest.mark.parametrize(("levels", "grace", "expected"), [
    # days past due:    1  13  14  27  28  41  42  99
    ((14, 28, 42), 0, [0, 0, 1, 1, 2, 2, 3, 3]),
    ((14, 28, 42), 20, [0, 0, 0, 1, 2, 2, 3, 3]),  # grace holds day 14–20 back: 27 is the first level-1 day here
    ((1, 30), 0, [1, 1, 1, 1, 1, 2, 2, 2]),
])
def test_dunning_list_levels_are_the_policys(levels, grace, expected):
    days = (1, 13, 14, 27, 28, 41, 42, 99)
    items = [inv(f"N{d}", 0, 100 - d) for d in days]
    rows = dunning_list(ledger(items), day(100), DunningPolicy(levels=levels, grace_days=grace, interest_levels={len(levels)}).level_of)
    assert {r.invoice_no: r.level for r in rows} == {f"N{d}": lv for d, lv in zip(days, expected)}
    assert {r.customer_level for r in rows} == {max(expected)}


def test_statement_lines_and_balances():
    items = [inv("A", 5, 35, "100.00"), inv("B", 40, 70, "50.00"), inv("CN", 45, 45, "10.00", kind="credit_note",
                                                                            corrects="B"),
             inv("X", 41, 70, "70.00", status="draft"), inv("O", 42, 70, "5.00", customer="C2")]
    applied = [Applied("P1", "A", D("99.97"), D("0.03"), day(38)), Applied("P2", "B", D("20.00"), D(0), day(50))]
    received = [Received("P1", "C1", "EUR", D("99.97"), day(38)), Received("P2", "C1", "EUR", D("25.00"), day(50)),
                Received("P3", "C2", "EUR", D("1.00"), day(70))]
    (s,) = statements(ledger(items, applied, received), day(31), day(59), "C1")
    assert (s.opening, s.closing) == (D("100.00"), D("15.00"))
    assert [(m.date, m.kind, m.reference, str(m.amount), str(b)) for m, b in s.lines] == [
        (day(38), "payment", "P1", "-99.97", "0.03"),
        (day(38), "settled", "A", "-0.03", "0.00"),
        (day(40), "invoice", "B", "50.00", "50.00"),
        (day(45), "credit_note", "CN", "-10.00", "40.00"),
        (day(50), "payment", "P2", "-25.00", "15.00"),  # 20.00 allocated + 5.00 unapplied, both the customer's
    ]
    # the closing balance is what aging shows for the customer on the same day
    (row,) = [r for r in age(items, applied, received, day(59)) if r.customer_id == "C1"]
    assert row.total == s.closing


@given(st.lists(st.tuples(st.integers(0, 120), st.integers(0, 60), st.integers(1, 5000), st.integers(0, 100),
                          st.integers(0, 150)), min_size=1, max_size=25), st.integers(0, 200))
def test_statement_closing_equals_the_aging_total(rows, as_of):
    """Whatever was issued, paid (partly, never over) and when: closing balance = aging total."""
    items, applied, received = [], [], []
    for n, (issued, term, cents, share, paid_on) in enumerate(rows):
        gross = D(cents) / 100
        items.append(inv(f"N{n}", issued, issued + term, str(gross)))
        amount = (gross * share / 100).quantize(D("0.01"))
        if amount:
            applied.append(Applied(f"P{n}", f"N{n}", amount, D(0), day(paid_on)))
            received.append(Received(f"P{n}", "C1", "EUR", amount + D("1.00"), day(paid_on)))
    aged = {r.customer_id: r.total for r in age(items, applied, received, day(as_of))}
    closing = {s.customer_id: s.closing for s in statements(ledger(items, applied, received), D0, day(as_of))}
    assert closing.get("C1", D(0)) == aged.get("C1", D(0))


def test_aging_sheet_dunning_sheet_chart_and_statement_files(tmp_path):
    from builders import base_sheets, write_book
    from test_cli import run

    sheets = base_sheets()
    invoices = sheets["Invoices"]
    invoices[0] = (*invoices[0], "Last Reminder")
    invoices[1:] = [(*row, dt.date(2026, 11, 10) if n == 0 else None) for n, row in enumerate(invoices[1:])]
    path = write_book(tmp_path / "a.xlsx", sheets)
    assert run("match", str(path)).returncode == 0
    result = run("aging", str(path), "--as-of", "2026-11-15", "--json", "--dso-days", "30")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["overdue_items"] == 1 and document["dso_days"] == 30
    wb = openpyxl.load_workbook(path)
    aging = wb["Aging"]
    assert len(aging._charts) == 1 and aging._charts[0].title is not None
    rules = {str(r.sqref): r.rules[0].formula for r in aging.conditional_formatting}
    assert rules == {"F2:F3": ["0"], "G2:G3": ["0"], "H2:H3": ["0"]}
    dunning = list(wb["Dunning"].iter_rows(values_only=True))
    assert dunning[0][-3:] == ("level", "customer_level", "last_reminder")
    assert dunning[1][0] == "C1" and dunning[1][8:10] == (1, 1) and dunning[1][10].date() == dt.date(2026, 11, 10)
    folder = tmp_path / "out"
    result = run("statements", str(path), "--as-of", "2026-11-15", "--from", "2026-10-01", "--out", str(folder),
                 "--json")
    assert result.returncode == 0, result.stderr
    (statement,) = json.loads(result.stdout)["statements"]
    assert statement["closing"] == document["customers"][0]["total"] == "302.35"
    lines = list(openpyxl.load_workbook(statement["file"])["Statement"].iter_rows(values_only=True))
    assert lines[0] == ("date", "type", "reference", "due_date", "amount", "balance", "description")
    assert lines[1][1] == "opening balance" and lines[-1][1:] == ("closing balance", None, None, None, 302.35, None)


@pytest.mark.parametrize("args", [["--customer", "NOPE"], ["--from", "2026-12-01"], ["--as-of", "soon"]])
def test_statements_refuses_bad_arguments(tmp_path, args):
    from builders import base_sheets, write_book
    from test_cli import run

    path = write_book(tmp_path / "a.xlsx", base_sheets())
    base = ["statements", str(path), "--as-of", "2026-11-15"]
    result = run(*base[:2], *(args if args[0] == "--as-of" else base[2:] + args))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


# -- who paid: third parties in customer statements (issue 15) ------------------------------------

def test_statement_line_says_who_paid_when_someone_else_did():
    """A payment on C1's invoices made by another party is C1's payment line with who paid;
    the payer's own statement (C2) has no line for it, its balance did not move."""
    items = [inv("A", 0, 30, "100.00"), inv("B", 0, 30, "60.00"), inv("C", 0, 30, "40.00", customer="C2")]
    applied = [Applied("P1", "A", D("100.00"), D(0), day(10)),  # C2 pays C1's invoice
               Applied("P2", "B", D("60.00"), D(0), day(12)),  # a treasury pays C1's invoice
               Applied("P3", "C", D("40.00"), D(0), day(14))]  # C2 pays its own
    received = [Received("P1", "C1", "EUR", D("100.00"), day(10)), Received("P2", "C1", "EUR", D("60.00"), day(12)),
                Received("P3", "C2", "EUR", D("40.00"), day(14))]
    paid_by = {("P1", "C1"): ("Beta", True), ("P2", "C1"): ("Landeshauptkasse Bayern", False)}
    books = Ledger(items, applied, received, {"C1": "Alpha", "C2": "Beta"}, None, paid_by)
    first, second = statements(books, day(0), day(20))
    assert [(m.kind, m.reference, str(m.amount), m.description) for m, _ in first.lines] == [
        ("invoice", "A", "100.00", None),
        ("invoice", "B", "60.00", None),
        ("payment", "P1", "-100.00", "Payment by Beta (third party)"),
        ("payment", "P2", "-60.00", "Payment by Landeshauptkasse Bayern"),
    ]
    assert [(m.kind, m.reference, str(m.amount), m.description) for m, _ in second.lines] == [
        ("invoice", "C", "40.00", None), ("payment", "P3", "-40.00", None)]
    assert (first.closing, second.closing) == (D("0.00"), D("0.00"))


def _third_party_book(path):
    """base_sheets plus: C2 (Beta BV) pays C1's INV-2026-000002 (P2) and, in one transfer, its own
    INV-2026-000004 and C1's INV-2026-000005 (P4); a public treasury pays C1's INV-2026-000003 (P3)."""
    from builders import base_sheets, write_book

    sheets = base_sheets()
    header = sheets["Invoices"][0]

    def invoice(key, no, customer, issued, net):
        row = dict.fromkeys(header)
        row.update(invoice_key=key, invoice_no=no, kind="invoice", customer_id=customer, issue_date=issued,
                   currency="EUR", status="issued", tax_code="S19", net=net)
        return [row[c] for c in header]

    sheets["Invoices"] += [invoice("K4", "INV-2026-000002", "C1", dt.date(2026, 10, 10), 1000),
                           invoice("K5", "INV-2026-000003", "C1", dt.date(2026, 10, 12), 500),
                           invoice("K6", "INV-2026-000004", "C2", dt.date(2026, 10, 15), 200),
                           invoice("K7", "INV-2026-000005", "C1", dt.date(2026, 10, 16), 100)]
    sheets["Payments"] += [
        ["P2", dt.date(2026, 10, 25), 1190, "EUR", "Beta BV", "NL91ABNA0417164300", "Rechnung INV-2026-000002"],
        ["P3", dt.date(2026, 10, 26), 595, "EUR", "Landeshauptkasse Bayern", "DE02120300000000202051",
         "Kassenzeichen 5.1234.567890.1 RE INV-2026-000003"],
        ["P4", dt.date(2026, 10, 28), 357, "EUR", "BETA B.V.", "GB82WEST12345698765432",
         "INV-2026-000004 und INV-2026-000005"]]
    return write_book(path, sheets)


def _day(n: int) -> dt.datetime:
    return dt.datetime(2026, 10, n)


#: C1's statement for October: the parent's and the treasury's payments say who paid
C1_LINES = [
    ("date", "type", "reference", "due_date", "amount", "balance", "description"),
    (_day(1), "opening balance", None, None, None, 0, None),
    (_day(1), "invoice", "INV-2026-000001", _day(31), 414.75, 414.75, None),
    (_day(5), "credit note", "CN-2026-000001", None, -11.9, 402.85, None),
    (_day(10), "invoice", "INV-2026-000002", dt.datetime(2026, 11, 9), 1190, 1592.85, None),
    (_day(12), "invoice", "INV-2026-000003", dt.datetime(2026, 11, 11), 595, 2187.85, None),
    (_day(16), "invoice", "INV-2026-000005", dt.datetime(2026, 11, 15), 119, 2306.85, None),
    (_day(20), "payment", "P1", None, -100.5, 2206.35, None),
    (_day(25), "payment", "P2", None, -1190, 1016.35, "Payment by Beta BV (third party)"),
    (_day(26), "payment", "P3", None, -595, 421.35, "Payment by Landeshauptkasse Bayern"),
    (_day(28), "payment", "P4", None, -119, 302.35, "Payment by Beta BV (third party)"),
    (_day(31), "closing balance", None, None, None, 302.35, None),
]
#: C2's: only its own invoice and its own part of P4; P2 is not on it at all
C2_LINES = [
    ("date", "type", "reference", "due_date", "amount", "balance", "description"),
    (_day(1), "opening balance", None, None, None, 0, None),
    (_day(15), "invoice", "INV-2026-000004", dt.datetime(2026, 11, 14), 238, 238, None),
    (_day(28), "payment", "P4", None, -238, 0, None),
    (_day(31), "closing balance", None, None, None, 0, None),
]


def test_third_party_payments_in_statement_files_end_to_end(tmp_path):
    from test_cli import run

    path = _third_party_book(tmp_path / "t.xlsx")
    assert run("match", str(path)).returncode == 0
    allocations = openpyxl.load_workbook(path)["Allocations"]
    explanation = {r[0]: r[5] for r in allocations.iter_rows(min_row=2, values_only=True)}
    assert "paid by a third party (Beta BV)" in explanation["P2"]
    assert "payer not identified ('Landeshauptkasse Bayern' is no customer's IBAN or name)" in explanation["P3"]
    result = run("statements", str(path), "--as-of", "2026-10-31", "--out", str(tmp_path / "out"), "--json")
    assert result.returncode == 0, result.stderr
    files = {s["customer_id"]: s for s in json.loads(result.stdout)["statements"]}
    assert (files["C1"]["closing"], files["C2"]["closing"]) == ("302.35", "0.00")
    assert list(openpyxl.load_workbook(files["C1"]["file"])["Statement"].iter_rows(values_only=True)) == C1_LINES
    assert list(openpyxl.load_workbook(files["C2"]["file"])["Statement"].iter_rows(values_only=True)) == C2_LINES
    # the closing balances are the aging totals: the parent's account is not touched by what it paid for C1
    aging = json.loads(run("aging", str(path), "--as-of", "2026-10-31", "--json").stdout)
    assert {c["customer_id"]: c["total"] for c in aging["customers"]} == {"C1": "302.35"}


def test_third_party_payments_in_the_close_statements_sheet(tmp_path):
    from test_cli import run

    path = _third_party_book(tmp_path / "t.xlsx")
    result = run("close", str(path), "--as-of", "2026-10-31", "--json")
    assert result.returncode == 0, result.stderr
    rows = list(openpyxl.load_workbook(path)["Statements"].iter_rows(values_only=True))
    assert rows[0] == ("customer_id", "currency", "date", "type", "reference", "due_date", "amount", "balance",
                       "description")
    assert [r[2:] for r in rows if r[0] == "C1"] == C1_LINES[1:]
    assert [r[2:] for r in rows if r[0] == "C2"] == C2_LINES[1:]
