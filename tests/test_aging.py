"""Aging as of a date: exact bucket amounts, history, credit notes, unapplied cash, currencies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.receivables.aging import Applied, Item, Received, age, bucket_labels

D0 = dt.date(2026, 1, 1)


def inv(number, due_days, gross="100.00", customer="C1", currency="EUR", kind="invoice", status="issued",
        issued_days=0, corrects=None):
    issued = D0 + dt.timedelta(days=issued_days)
    return Item(number, customer, currency, kind, status, issued, issued + dt.timedelta(days=due_days), D(gross),
                corrects)


def paid(number, amount, day, payment="P1", settled="0"):
    return Applied(payment, number, D(amount), D(settled), D0 + dt.timedelta(days=day))


def table(rows):
    return [(r.customer_id, r.currency, {k: str(v) for k, v in r.buckets.items() if v}, str(r.unapplied), str(r.total))
            for r in rows]


AS_OF = D0 + dt.timedelta(days=100)
CASES = [
    # as of day 100: A is 1 day past due, B 30, C 60, D 91, E not due for 20 more days
    ("buckets by days past due", [inv("A", 99), inv("B", 70), inv("C", 40), inv("D", 9), inv("E", 120)], [], [],
     [("C1", "EUR", {"not_due": "100.00", "1-30": "200.00", "31-60": "100.00", "90+": "100.00"}, "0", "500.00")]),
    ("partial payment before the date", [inv("A", 30)], [paid("A", "40.00", 50)], [],
     [("C1", "EUR", {"61-90": "60.00"}, "0", "60.00")]),
    ("a payment after the date is ignored", [inv("A", 30)], [paid("A", "100.00", 101)], [],
     [("C1", "EUR", {"61-90": "100.00"}, "0", "100.00")]),
    ("settled difference closes the item", [inv("A", 30)], [paid("A", "99.97", 50, settled="0.03")], [], []),
    ("issued after the date, drafts and voids are left out",
     [inv("A", 30, issued_days=101), inv("B", 30, status="draft"), inv("C", 30, status="void")], [], [], []),
    ("a credit note corrects its invoice", [inv("A", 30), inv("CN1", 0, gross="30.00", kind="credit_note",
                                                              issued_days=20, corrects="A")], [], [],
     [("C1", "EUR", {"61-90": "70.00"}, "0", "70.00")]),
    ("an unapplied credit note is a negative item of its own age",
     [inv("CN2", 0, gross="25.00", kind="credit_note", issued_days=80)], [], [],
     [("C1", "EUR", {"1-30": "-25.00"}, "0", "-25.00")]),
    ("unapplied cash is negative", [inv("A", 30)], [paid("A", "100.00", 40)],
     [Received("P1", "C1", "EUR", D("130.00"), D0 + dt.timedelta(days=40))],
     [("C1", "EUR", {}, "-30.00", "-30.00")]),
    ("one row per customer and currency", [inv("A", 30), inv("B", 30, currency="CHF"), inv("C", 30, customer="C2")],
     [], [], [("C1", "CHF", {"61-90": "100.00"}, "0", "100.00"), ("C1", "EUR", {"61-90": "100.00"}, "0", "100.00"),
              ("C2", "EUR", {"61-90": "100.00"}, "0", "100.00")]),
]


@pytest.mark.parametrize(("items", "applied", "received", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_aging(items, applied, received, expected):
    assert table(age(items, applied, received, AS_OF)) == expected


def test_leap_day_and_issue_date_basis():
    leap = dt.date(2028, 2, 29)
    items = [Item("A", "C1", "EUR", "invoice", "issued", dt.date(2028, 1, 30), leap, D("10.00"))]
    assert table(age(items, [], [], dt.date(2028, 3, 30))) == [("C1", "EUR", {"1-30": "10.00"}, "0", "10.00")]
    assert table(age(items, [], [], dt.date(2028, 3, 30), basis="issue_date")) == [
        ("C1", "EUR", {"31-60": "10.00"}, "0", "10.00")]


def test_labels():
    assert bucket_labels((15, 45)) == ["not_due", "1-15", "16-45", "45+"]


@given(st.lists(st.tuples(st.integers(-40, 200), st.decimals(min_value=D("0.01"), max_value=D("10000"), places=2),
                          st.decimals(min_value=D("0"), max_value=D("1"), places=2)), min_size=1, max_size=30))
def test_buckets_sum_to_the_open_balance(rows):
    items = [inv(f"N{n}", due, str(gross)) for n, (due, gross, _) in enumerate(rows)]
    applied = [paid(f"N{n}", str((gross * share).quantize(D("0.01"))), 10, payment=f"P{n}")
               for n, (_, gross, share) in enumerate(rows)]
    result = age(items, applied, [], AS_OF)
    open_balance = sum(max(D(0), gross - (gross * share).quantize(D("0.01"))) for _, gross, share in rows)
    assert sum(sum(r.buckets.values()) for r in result) == sum(r.total for r in result) == open_balance


@pytest.mark.parametrize(("as_of", "expected"), [
    # K1 414.75 (NET30, due 2026-10-31) less the credit note 11.90 of 10-05; P1 pays 100.50 on 10-20
    ("2026-10-10", {"not_due": "402.85", "total": "402.85"}),
    ("2026-11-15", {"1-30": "302.35", "total": "302.35"}),
])
def test_aging_command(tmp_path, as_of, expected):
    import json

    import openpyxl

    from builders import base_sheets, write_book
    from test_cli import run

    path = write_book(tmp_path / "a.xlsx", base_sheets())
    assert run("match", str(path)).returncode == 0
    result = run("aging", str(path), "--as-of", as_of, "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["buckets"] == ["not_due", "1-30", "31-60", "61-90", "90+"]
    (row,) = document["customers"]
    shown = {k: v for k, v in row["buckets"].items() if v != "0.00"}
    assert {**shown, "total": row["total"]} == expected and row["unapplied"] == "0.00"
    assert document["total"] == expected["total"] and document["totals"] == {"EUR": expected["total"]}
    sheet = list(openpyxl.load_workbook(path)["Aging"].iter_rows(values_only=True))
    assert sheet[0] == ("customer_id", "name", "currency", "not_due", "1-30", "31-60", "61-90", "90+",
                        "unapplied", "total", "dso")
    assert sheet[1][:3] == ("C1", "Alpha GmbH", "EUR") and sheet[-1][0] == "TOTAL"


def test_aging_refuses_a_bad_date(tmp_path):
    from builders import base_sheets, write_book
    from test_cli import run

    path = write_book(tmp_path / "a.xlsx", base_sheets())
    result = run("aging", str(path), "--as-of", "31.10.2026")
    assert result.returncode == 2 and "not a date" in result.stderr
