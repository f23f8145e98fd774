"""`xlbilling bill`: the store's record of billed periods (pending, done, settled after a stop),
the command end to end on workbooks the tests build (drafts, BillingRun, idempotence, a changed
contract, a missing index value, a kill between the record and the write), the plan and its
chart, and the ribbon's Bill period button."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.schedules.billed import (DONE, PENDING, AlreadyBilled, Billed, billed_of, fresh_key, mark_done,
                                      record_pending, settle, terms_digest)
from billing.store import MIGRATIONS, open_store

D = dt.date


def _entry(contract: str, start: D, key: str, net: str = "10.00") -> Billed:
    end = D(start.year + start.month // 12, start.month % 12 + 1, 1) - dt.timedelta(days=1)
    return Billed(contract, "Hosting", start, end, key, terms_digest(contract, net), Decimal(net), "EUR")


@pytest.fixture
def engine(tmp_path):
    return open_store(f"sqlite:///{tmp_path / 'store.db'}")


def test_the_billed_periods_table_is_migration_5(engine):
    from sqlalchemy import inspect

    assert max(MIGRATIONS) == 5 and inspect(engine).has_table("billed_periods")


def test_pending_then_done_then_billed_of_reads_them_back(engine):
    entries = [_entry("K1", D(2026, 12, 1), "BILL-C1-2026-12"), _entry("K2", D(2026, 12, 1), "BILL-C2-2026-12")]
    record_pending(engine, "W", entries)
    assert {b.state for b in billed_of(engine, "W").values()} == {PENDING}
    assert mark_done(engine, "W", ["BILL-C1-2026-12"]) == 1
    got = billed_of(engine, "W")
    assert got[("K1", "Hosting", D(2026, 12, 1))].state == DONE
    assert got[("K2", "Hosting", D(2026, 12, 1))].state == PENDING
    assert got[("K1", "Hosting", D(2026, 12, 1))].net == Decimal("10.00")
    assert billed_of(engine, "other") == {}


def test_a_period_recorded_before_refuses_the_whole_run(engine):
    record_pending(engine, "W", [_entry("K1", D(2026, 12, 1), "BILL-C1-2026-12")])
    with pytest.raises(AlreadyBilled):
        record_pending(engine, "W", [_entry("K2", D(2026, 12, 1), "BILL-C2-2026-12"),
                                     _entry("K1", D(2026, 12, 1), "BILL-C1-2026-12-2")])
    assert set(billed_of(engine, "W")) == {("K1", "Hosting", D(2026, 12, 1))}  # K2 not recorded either
    record_pending(engine, "W2", [_entry("K1", D(2026, 12, 1), "BILL-C1-2026-12")])  # another workbook: its own


def test_settle_keeps_what_the_workbook_holds_and_drops_what_it_lacks(engine):
    record_pending(engine, "W", [_entry("K1", D(2026, 12, 1), "BILL-C1-2026-12"),
                                 _entry("K2", D(2026, 12, 1), "BILL-C2-2026-12")])
    written, lost = settle(engine, "W", {"BILL-C1-2026-12", "INV-1"})
    assert [b.contract_id for b in written] == ["K1"] and [b.contract_id for b in lost] == ["K2"]
    assert {k[0]: b.state for k, b in billed_of(engine, "W").items()} == {"K1": DONE}
    assert settle(engine, "W", set()) == ([], [])  # a done row is never dropped


@pytest.mark.parametrize("taken, expected", [
    (set(), "BILL-C1-2026-12"),
    ({"BILL-C1-2026-12"}, "BILL-C1-2026-12-2"),
    ({"BILL-C1-2026-12", "BILL-C1-2026-12-2"}, "BILL-C1-2026-12-3"),
    ({"BILL-C1-2026-12-2"}, "BILL-C1-2026-12"),
])
def test_fresh_key(taken, expected):
    assert fresh_key("BILL-C1-2026-12", taken) == expected


def test_terms_digest_tells_exact_digits_and_dates_apart():
    assert terms_digest("K", Decimal("1.50")) != terms_digest("K", Decimal("1.5"))
    assert terms_digest("K", D(2026, 1, 1)) == terms_digest("K", "2026-01-01")
