"""Payment matching: each case on its own, the never-guess rule, invariants, and the labelled set."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.matching.engine import Matcher
from billing.matching.items import OpenItem, Payment
from billing.matching.parties import Parties
from billing.invoicing.rf_reference import rf_reference

DAY = dt.date(2026, 10, 1)
CUSTOMERS = [("C1", "Alpha Maschinenbau GmbH", ("DE89370400440532013000",)),
             ("C2", "Beta Logistics B.V.", ("NL91ABNA0417164300",)),
             ("C3", "Gamma Handel AG", ())]


def item(number, customer="C1", gross="100.00", open_=None, currency="EUR", terms="NET30", days=0):
    issue = DAY + dt.timedelta(days=days)
    return OpenItem(f"K-{number}", number, customer, currency, issue, issue + dt.timedelta(days=30),
                    D(gross), D(open_ or gross), terms, rf_reference(number))


def pay(text=None, amount="100.00", name=None, iban=None, currency="EUR", days=5, pid="P1"):
    return Payment(pid, DAY + dt.timedelta(days=days), D(amount), currency, name, iban, text)


def run(items, payments, tolerance="0.05"):
    return Matcher(items, Parties(CUSTOMERS), D(tolerance), "EUR").run(payments)


def summary(result):
    return [(a.payment_id, a.invoice_no, str(a.amount), a.method, str(a.settled) if a.settled else "0")
            for a in result.allocations]


I1, I2, I3 = "INV-2026-000101", "INV-2026-000102", "INV-2026-000103"
CASES = [
    ("RF reference", [item(I1), item(I2)], [pay(f"Payment {rf_reference(I2)}")],
     [("P1", I2, "100.00", "reference", "0")]),
    ("RF reference with spaces", [item(I1)], [pay("RF" + rf_reference(I1)[2:4] + " " + rf_reference(I1)[4:8] + " "
                                                  + rf_reference(I1)[8:])],
     [("P1", I1, "100.00", "reference", "0")]),
    ("invoice number in free text", [item(I1), item(I2)], [pay(f"Rechnung {I1} danke")],
     [("P1", I1, "100.00", "invoice_no", "0")]),
    ("number without separators and O for 0", [item(I1)], [pay("INV2O26OOO1O1")],
     [("P1", I1, "100.00", "invoice_no", "0")]),
    # a number with a typo needs the amount: the payer alone (1.0 + 0.5) does not reach 2.0
    ("transposed digits, only the payer's IBAN confirms: left", [item(I1), item("INV-2026-000555", "C2")],
     [pay("Inv 2026-000110", iban="DE89370400440532013000", amount="60.00")], []),
    ("transposed digits confirmed by the amount and the payer's IBAN", [item(I1), item("INV-2026-000555", "C2")],
     [pay("Inv 2026-000110", iban="DE89370400440532013000", amount="100.00")],
     [("P1", I1, "100.00", "fuzzy", "0")]),
    ("typo confirmed by the amount", [item(I1, gross="250.00"), item("INV-2026-000555", "C2")],
     [pay("INV-2026-00101", amount="250.00")], [("P1", I1, "250.00", "fuzzy", "0")]),
    ("typo without confirmation is left", [item(I1, gross="250.00")], [pay("INV-2026-00101", amount="40.00")], []),
    ("two numbers: a combined payment", [item(I1), item(I2, gross="50.00"), item(I3)],
     [pay(f"{I1} + {I2}", amount="150.00")],
     [("P1", I1, "100.00", "combined", "0"), ("P1", I2, "50.00", "combined", "0")]),
    ("partial payment leaves the rest open", [item(I1)], [pay(I1, amount="40.00")],
     [("P1", I1, "40.00", "invoice_no", "0")]),
    ("short by a bank fee within tolerance", [item(I1)], [pay(I1, amount="99.97")],
     [("P1", I1, "99.97", "invoice_no", "0.03")]),
    ("early-payment discount in time", [item(I1, gross="1190.00", terms="2/10 NET30")],
     [pay(I1, amount="1166.20", days=9)], [("P1", I1, "1166.20", "invoice_no", "23.80")]),
    ("discount too late is a partial payment", [item(I1, gross="1190.00", terms="2/10 NET30")],
     [pay(I1, amount="1166.20", days=11)], [("P1", I1, "1166.20", "invoice_no", "0")]),
    ("overpayment settles the item", [item(I1)], [pay(I1, amount="130.00")],
     [("P1", I1, "100.00", "invoice_no", "0")]),
    ("amount and payer IBAN", [item(I1, gross="80.00"), item(I2, gross="120.00")],
     [pay("Thanks", amount="120.00", iban="DE89370400440532013000")], [("P1", I2, "120.00", "amount", "0")]),
    ("amount and payer name", [item(I1, gross="80.00"), item(I2, gross="120.00")],
     [pay(None, amount="80.00", name="ALPHA MASCHINENBAU")], [("P1", I1, "80.00", "amount", "0")]),
    ("two items of that amount: never guess", [item(I1), item(I2)],
     [pay("Thanks", iban="DE89370400440532013000")], []),
    ("oldest items add up", [item(I1, gross="70.00"), item(I2, gross="30.00", days=1), item(I3, gross="55.00", days=2)],
     [pay("Sammelzahlung", amount="100.00", iban="DE89370400440532013000")],
     [("P1", I1, "70.00", "combined", "0"), ("P1", I2, "30.00", "combined", "0")]),
    ("a unique subset sums to the amount", [item(I1, gross="70.00"), item(I2, gross="30.00", days=1),
                                            item(I3, gross="55.00", days=2)],
     [pay("Sammelzahlung", amount="125.00", iban="DE89370400440532013000")],
     [("P1", I1, "70.00", "combined", "0"), ("P1", I3, "55.00", "combined", "0")]),
    ("currency must agree", [item(I1, currency="CHF")], [pay(I1)], []),
    ("an invoice of another customer than the payer, amount not confirming", [item(I1, customer="C2")],
     [pay(I1, amount="60.00", iban="DE89370400440532013000")], []),
    ("an invoice of another customer, number and amount agree: a third party paid",
     [item(I1, customer="C2")], [pay(I1, iban="DE89370400440532013000")], [("P1", I1, "100.00", "invoice_no", "0")]),
    ("a closed invoice is not paid twice", [item(I1, open_="0.00")], [pay(I1)], []),
]


@pytest.mark.parametrize(("items", "payments", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_cases(items, payments, expected):
    assert summary(run(items, payments)) == expected


def test_ambiguity_lists_the_candidates():
    result = run([item(I1), item(I2)], [pay("Thanks", iban="DE89370400440532013000")])
    (left,) = result.unmatched
    assert left.candidates == [I1, I2] and "2 open items" in left.notes[0]


def test_earlier_payments_take_items_first():
    result = run([item(I1)], [pay(I1, pid="P2", days=6), pay(I1, pid="P1", days=5)])
    assert summary(result) == [("P1", I1, "100.00", "invoice_no", "0")]
    assert [p.payment_id for p in result.unmatched] == ["P2"]
    assert "not open" in result.unmatched[0].notes[0]


amounts = st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2)


@settings(max_examples=150, deadline=None)
@given(st.lists(amounts, min_size=1, max_size=8), st.lists(st.tuples(amounts, st.integers(0, 7),
                                                                      st.sampled_from(["ref", "no", "amount"])),
                                                            min_size=1, max_size=8))
def test_never_more_than_paid_or_owed(grosses, paid):
    items = [item(f"INV-2026-{n:06d}", customer="C1", gross=str(g)) for n, g in enumerate(grosses, start=1)]
    payments = []
    for n, (amount, target, how) in enumerate(paid):
        number = items[target % len(items)].number
        text = {"ref": rf_reference(number), "no": number, "amount": None}[how]
        payments.append(pay(text, amount=str(amount), iban="DE89370400440532013000", pid=f"P{n}", days=n))
    result = run(items, payments)
    for p in payments:
        assert sum(a.amount for a in result.allocations if a.payment_id == p.payment_id) <= p.amount
    for i, gross in zip(items, grosses):
        taken = sum(a.amount + a.settled for a in result.allocations if a.invoice_no == i.number)
        assert taken <= gross + D("0.05") and i.open >= 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_labelled_sample_precision_and_recall(seed):
    from billing.invoicing.compute import compute
    from billing.matching import match_tables
    from billing.matching.quality import quality
    from billing.sample import generate_sample
    from tests_support import tables_of

    data = generate_sample(1500, seed=seed)
    tables = tables_of(data)
    result = match_tables(tables, compute(tables))
    measured = quality(result.allocations, data.truth)
    assert measured.precision >= 0.995, measured
    assert measured.recall >= 0.95, measured


def test_match_command_writes_sheets_and_keeps_manual_rows(tmp_path):
    import json
    import shutil

    import openpyxl

    from test_cli import run

    path = tmp_path / "m.xlsx"
    shutil.copy(Path(__file__).resolve().parents[1] / "workbooks" / "sample.xlsx", path)
    first = run("match", str(path), "--json")
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert result["unmatched"] == ["P000015"] and len(result["allocations"]) == 34
    wb = openpyxl.load_workbook(path)
    rows = list(wb["Allocations"].iter_rows(values_only=True))
    assert rows[0] == ("payment_id", "invoice_no", "amount", "method", "confidence", "explanation", "settled")
    unmatched = list(wb["Unmatched"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in unmatched] == ["P000015"]

    # the user decides the refund by hand: a manual row is kept, and the matcher works around it
    invoice = result["allocations"][0]["invoice_no"]
    ws = wb["Allocations"]
    ws.append(["P000015", invoice, 100, "manual", None, "agreed on the phone", None])
    ws.tables["Allocations"].ref = f"A1:G{ws.max_row}"
    wb.save(path)
    second = json.loads(run("match", str(path), "--json").stdout)
    assert second["unmatched"] == []
    manual = [a for a in second["allocations"] if a["method"] == "manual"]
    assert manual == [{"payment_id": "P000015", "invoice_no": invoice, "amount": "100.00", "method": "manual",
                       "confidence": None}]
    kept = [r for r in openpyxl.load_workbook(path)["Allocations"].iter_rows(values_only=True) if r[3] == "manual"]
    assert kept == [("P000015", invoice, 100, "manual", None, "agreed on the phone", None)]
