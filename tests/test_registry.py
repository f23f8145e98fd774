"""The registry on each store: series, idempotency, refusals, adoption, voids, lookups."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from billing.numbering.registry import Request, assign, lookup, record_voids
from billing.numbering.series import parse, render, series_key
from billing.store import numbers, open_store, series_counters

INV, CN, MONTHLY = "INV-{yyyy}-{seq:06d}", "CN-{yyyy}-{seq:06d}", "R{yy}{mm}-{seq:04d}"


def req(key, day=(2026, 10, 1), customer="C1", kind="invoice", pattern=INV, number=None, workbook="W1"):
    return Request(workbook, key, kind, customer, dt.date(*day), None, "EUR", pattern, f"Invoices!{key}", number)


@pytest.mark.parametrize(
    ("pattern", "day", "seq", "number", "key"),
    [
        (INV, (2026, 12, 31), 7, "INV-2026-000007", "INV-{yyyy}-{seq:06d}@2026"),
        (INV, (2027, 1, 1), 1, "INV-2027-000001", "INV-{yyyy}-{seq:06d}@2027"),
        (MONTHLY, (2026, 3, 5), 12, "R2603-0012", "R{yy}{mm}-{seq:04d}@2603"),
        ("ACME/{seq}", (2026, 3, 5), 1234567, "ACME/1234567", "ACME/{seq}@"),
    ],
)
def test_series(pattern, day, seq, number, key):
    assert render(pattern, dt.date(*day), seq) == number
    assert series_key(pattern, dt.date(*day)) == key
    assert parse(number, pattern) == (key, seq)


def test_allocation_is_ordered_idempotent_and_per_period(store_url):
    engine = open_store(store_url)
    got, refused = assign(engine, [req("A"), req("B"), req("C", day=(2027, 1, 2)),
                                     req("D", kind="credit_note", pattern=CN)])
    assert refused == []
    assert [(a.invoice_key, a.number, a.new) for a in got] == [
        ("A", "INV-2026-000001", True), ("B", "INV-2026-000002", True),
        ("C", "INV-2027-000001", True), ("D", "CN-2026-000001", True)]
    again, _ = assign(engine, [req("B"), req("E")])
    assert [(a.invoice_key, a.number, a.new) for a in again] == [
        ("B", "INV-2026-000002", False), ("E", "INV-2026-000003", True)]
    assert lookup(engine, "W1", "E") == "INV-2026-000003" and lookup(engine, "W1", "Z") is None


@pytest.mark.parametrize("change", [{"customer": "C9"}, {"day": (2026, 10, 2)}, {"kind": "credit_note"}])
def test_a_changed_row_is_refused_and_nothing_is_allocated(store_url, change):
    engine = open_store(store_url)
    assign(engine, [req("A")])
    got, refused = assign(engine, [req("N"), req("A", **change)])
    assert got == [] and [r.place for r in refused] == ["Invoices!A"]
    assert lookup(engine, "W1", "N") is None
    with engine.connect() as conn:
        assert conn.execute(select(series_counters.c.last_seq)).scalar() == 1  # the counter did not move


def test_adoption_moves_the_counter_and_refuses_a_taken_number(store_url):
    engine = open_store(store_url)
    got, _ = assign(engine, [req("A", number="INV-2026-000041"), req("B")])
    assert [(a.number, a.new) for a in got] == [("INV-2026-000041", False), ("INV-2026-000042", True)]
    _, refused = assign(engine, [req("X", number="INV-2026-000041", workbook="W2")])
    assert "already belongs to invoice_key 'A'" in refused[0].message


def test_voids_are_recorded_once_and_numbers_never_reused(store_url):
    engine = open_store(store_url)
    assign(engine, [req("A"), req("B")])
    assert record_voids(engine, "W1", [("A", "wrong customer")]) == 1
    assert record_voids(engine, "W1", [("A", "again")]) == 0
    got, _ = assign(engine, [req("C")])
    assert got[0].number == "INV-2026-000003"
    with engine.connect() as conn:
        assert conn.execute(select(numbers.c.void_reason).where(numbers.c.invoice_key == "A")).scalar() \
            == "wrong customer"
