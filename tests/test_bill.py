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
def engine(store_url):
    """The store on SQLite and, with XLBILLING_TEST_DATABASE_URL, on PostgreSQL."""
    return open_store(store_url)


def test_the_billed_periods_table_is_migration_5(engine, store_url):
    from sqlalchemy import inspect, text

    open_store(store_url)  # opening again migrates nothing
    with engine.connect() as conn:
        versions = [row[0] for row in conn.execute(text("SELECT version FROM schema_version ORDER BY version"))]
    assert versions == sorted(MIGRATIONS) and 5 in versions and inspect(engine).has_table("billed_periods")


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


# -- the command end to end on a workbook the test builds ---------------------------------------------

import hashlib  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402

import openpyxl  # noqa: E402

from builders import WORKBOOK_ID, base_sheets, write_book  # noqa: E402
from tests_support import cli  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONTRACT_HEADER = ["contract_id", "customer_id", "description", "quantity", "unit_price", "currency", "tax_code",
                   "period", "start_date", "end_date", "anchor_day", "timing", "proration", "price_change",
                   "notice_date", "minimum_term_months", "on_hold", "usage_pricing"]
#: contract line -> (invoice_key, period_from, period_to, net, rule) billed for 2026-12, worked by hand
DECEMBER = {
    # a stub from the 15th to the anchor on the 1st: 100 × 17/31 = 54.838… → 54.84
    ("K-M1", "Hosting"): ("BILL-C1-2026-12", D(2026, 12, 15), D(2026, 12, 31), "54.84", "17/31 days"),
    ("K-Y1", "Licence"): ("BILL-C1-2026-12", D(2026, 12, 1), D(2027, 11, 30), "2400.00", ""),  # 2 × 1200
    ("K-Q1", "Support"): ("BILL-C2-2026-12", D(2026, 10, 1), D(2026, 12, 31), "300.00", ""),  # in arrears
    ("K-I1", "Indexed"): ("BILL-C2-2026-12", D(2026, 12, 1), D(2026, 12, 31), "103.00", ""),  # 100 × 103/100
    ("K-U1", "Cloud"): ("BILL-C1-2026-12-USD", D(2026, 12, 1), D(2026, 12, 31), "10.00", ""),
}


def contract_sheets() -> dict:
    sheets = base_sheets()
    sheets["Contracts"] = [
        CONTRACT_HEADER,
        ["K-M1", "C1", "Hosting", 1, 100, "EUR", "S19", "monthly", D(2026, 12, 15), None, 1, "advance", "days",
         None, None, None, None, None],
        ["K-Y1", "C1", "Licence", 2, 1200, "EUR", "S19", "yearly", D(2026, 12, 1), None, None, "advance", "days",
         None, None, None, None, None],
        ["K-Q1", "C2", "Support", 1, 300, "EUR", "S19", "quarterly", D(2026, 10, 1), None, None, "arrears", "days",
         None, None, None, None, None],
        ["K-I1", "C2", "Indexed", 1, 100, "EUR", "S19", "monthly", D(2026, 1, 1), None, None, "advance", "days",
         "index:CPI", None, None, None, None],
        ["K-H1", "C2", "Paused", 1, 50, "EUR", "S19", "monthly", D(2026, 1, 1), None, None, "advance", "days",
         None, None, None, "yes", None],
        ["K-U1", "C1", "Cloud", 1, 10, "USD", "S19", "monthly", D(2026, 12, 1), None, None, "advance", "days",
         None, None, None, None, None],
    ]
    sheets["PriceIndex"] = [["index", "month", "value"], ["CPI", D(2026, 1, 1), 100], ["CPI", D(2026, 12, 1), 103]]
    return sheets


class Work:
    def __init__(self, folder: Path, sheets: dict | None = None):
        self.book = write_book(folder / "book.xlsx", sheets or contract_sheets())
        self.db = f"sqlite:///{folder / 'store.db'}"
        self.env = {**os.environ, "XLBILLING_DATABASE_URL": self.db}
        self.env.pop("XLBILLING_DEBUG", None)

    def bill(self, capsys, *more: str):
        return cli(capsys, "bill", str(self.book), "--db", self.db, "--json", *more)

    def sha(self) -> str:
        return hashlib.sha256(self.book.read_bytes()).hexdigest()

    def rows(self, sheet: str) -> list[dict]:
        ws = openpyxl.load_workbook(self.book)[sheet]
        rows = list(ws.iter_rows(values_only=True))
        return [dict(zip(rows[0], r)) for r in rows[1:]]


@pytest.fixture
def work(tmp_path, monkeypatch) -> Work:
    monkeypatch.delenv("XLBILLING_DEBUG", raising=False)
    return Work(tmp_path)


def _lines(document: dict) -> dict:
    return {(line["contract_id"], line["description"]): (inv["invoice_key"], D.fromisoformat(line["period_from"]),
                                                        D.fromisoformat(line["period_to"]), line["net"], line["rule"])
            for inv in document["invoices"] for line in inv["lines"]}


def test_bill_makes_the_hand_worked_drafts_and_the_billing_run(work, capsys):
    code, doc, err = work.bill(capsys, "--period", "2026-12")
    assert code == 0, (doc, err)
    assert doc["period"] == "2026-12" and _lines(doc) == DECEMBER
    assert {(s["contract_id"], s["reason"]) for s in doc["skipped"]} == {("K-H1", "on_hold")}
    shared = {"invoice_key", "customer_id", "lines"}
    assert all(shared <= set(inv) for inv in doc["invoices"])
    assert all({"contract_id", "period_from", "period_to", "quantity", "unit_price", "net"} <= set(line)
               for inv in doc["invoices"] for line in inv["lines"])
    invoices = {r["invoice_key"]: r for r in work.rows("Invoices")}
    assert {k: (invoices[k]["customer_id"], invoices[k]["currency"], invoices[k]["status"], invoices[k]["kind"])
            for k in invoices if k.startswith("BILL-")} == {
        "BILL-C1-2026-12": ("C1", "EUR", "draft", "invoice"), "BILL-C2-2026-12": ("C2", "EUR", "draft", "invoice"),
        "BILL-C1-2026-12-USD": ("C1", "USD", "draft", "invoice")}
    texts = [r["description"] for r in work.rows("InvoiceLines") if str(r["invoice_key"]).startswith("BILL-")]
    assert "Hosting 2026-12-15 – 2026-12-31 (17/31 days)" in texts and len(texts) == 5
    run = work.rows("BillingRun")
    assert {(r["contract_id"], r["invoice_key"]) for r in run} == \
        {(c, k) for (c, _), (k, *_) in DECEMBER.items()} | {("K-H1", None)}
    # the drafts go the one path: compute gives back each line's net exactly
    code, computed, _ = cli(capsys, "compute", str(work.book), "--json")
    nets = {i["invoice_key"]: i["net"] for i in computed["invoices"]}
    assert nets["BILL-C1-2026-12"] == "2454.84" and nets["BILL-C2-2026-12"] == "403.00"


def test_a_second_run_bills_nothing_new(work, capsys):
    assert work.bill(capsys, "--period", "2026-12")[0] == 0
    invoices = len(work.rows("Invoices"))
    code, doc, _ = work.bill(capsys, "--period", "2026-12")
    assert code == 0 and doc["invoices"] == []
    already = {s["contract_id"] for s in doc["skipped"] if s["reason"] == "already_billed"}
    assert already == {c for c, _ in DECEMBER}
    assert len(work.rows("Invoices")) == invoices


def test_a_contract_changed_since_billed_is_reported_not_billed(work, capsys):
    from billing.changes import CellUpdate, Changes
    from billing.workbook.read import read_book
    from billing.workbook.write import apply_changes

    assert work.bill(capsys, "--period", "2026-12")[0] == 0
    table = read_book(work.book).tables["Contracts"]
    apply_changes(work.book, Changes(updates=(CellUpdate(table.sheet, 3, table.columns["unit_price"], 1300),)))
    code, doc, _ = work.bill(capsys, "--period", "2026-12")
    assert code == 0 and doc["invoices"] == []
    (changed,) = [s for s in doc["skipped"] if s["reason"] == "changed_since_billed"]
    assert changed["contract_id"] == "K-Y1" and "a correction is a credit note" in changed["detail"]
    assert "2400.00 EUR" in changed["detail"] and "2600.00 EUR" in changed["detail"]
    (warned,) = [f for f in doc["errors"] if f["rule"] == "contract_changed_since_billed"]
    assert warned["severity"] == "warning" and warned["cell"] == "Contracts!A3"


def test_a_missing_index_value_is_an_error_at_its_cell_and_nothing_happens(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("XLBILLING_DEBUG", raising=False)
    sheets = contract_sheets()
    sheets["PriceIndex"] = sheets["PriceIndex"][:2]  # no December value
    work = Work(tmp_path, sheets)
    before = work.sha()
    code, doc, _ = work.bill(capsys, "--period", "2026-12")
    assert code == 1 and doc["ok"] is False and doc["invoices"] == []
    (problem,) = [f for f in doc["errors"] if f["severity"] == "error"]
    assert problem["cell"] == "Contracts!N5" and "CPI" in problem["message"] and "2026-12" in problem["message"]
    assert work.sha() == before and billed_of(open_store(work.db), doc["workbook_id"]) == {}


@pytest.mark.parametrize("text", ["2026-13", "2026/12", "Dec 2026"])
def test_a_period_that_is_no_month_is_refused_with_exit_2(work, capsys, text):
    code, _, err = work.bill(capsys, "--period", text)
    assert code == 2 and "not a month" in err


def _killed(work: Work, when: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "tests" / "kill_runner.py"),
                           "billing.workbook.write:apply_changes", when, "1", "-", "--",
                           "bill", str(work.book), "--period", "2026-12", "--db", work.db, "--json"],
                          capture_output=True, text=True, cwd=ROOT, env=work.env)


def test_killed_before_the_write_a_rerun_bills_the_same_once(work, capsys):
    before = work.sha()
    assert _killed(work, "before").returncode == -9
    assert work.sha() == before  # nothing written …
    pending = billed_of(open_store(work.db), next(iter({r["value"] for r in work.rows("Settings")
                                                         if r["key"] == "workbook_id"})))
    assert {b.state for b in pending.values()} == {PENDING} and len(pending) == len(DECEMBER)  # … but recorded
    code, doc, _ = work.bill(capsys, "--period", "2026-12")
    assert code == 0 and _lines(doc) == DECEMBER  # the pending periods dropped: billed now, not lost
    assert {b.state for b in billed_of(open_store(work.db), doc["workbook_id"]).values()} == {DONE}


def test_killed_after_the_write_a_rerun_bills_nothing_twice(work, capsys):
    assert _killed(work, "after").returncode == -9
    keys = [r["invoice_key"] for r in work.rows("Invoices") if str(r["invoice_key"]).startswith("BILL-")]
    assert len(keys) == 3
    code, doc, _ = work.bill(capsys, "--period", "2026-12")
    assert code == 0 and doc["invoices"] == []  # the pending periods found in the workbook: done
    assert {s["reason"] for s in doc["skipped"]} == {"already_billed", "on_hold"}
    assert [r["invoice_key"] for r in work.rows("Invoices") if str(r["invoice_key"]).startswith("BILL-")] == keys


def test_pending_then_done_across_stopped_runs_on_each_store(store_url, work, capsys):
    """The protocol end to end on SQLite and PostgreSQL: killed before the write (pending, the
    workbook untouched), killed after it (the earlier pending rows dropped, this run's pending
    with its drafts in the workbook), then a run that settles them done and bills nothing twice."""
    work.db = work.env["XLBILLING_DATABASE_URL"] = store_url
    before = work.sha()
    assert _killed(work, "before").returncode == -9 and work.sha() == before
    pending = billed_of(open_store(store_url), WORKBOOK_ID)
    assert len(pending) == len(DECEMBER) and {b.state for b in pending.values()} == {PENDING}
    assert _killed(work, "after").returncode == -9 and work.sha() != before
    after = billed_of(open_store(store_url), WORKBOOK_ID)
    assert {b.state for b in after.values()} == {PENDING} and {b.invoice_key for b in after.values()} == \
        {key for key, *_ in DECEMBER.values()}
    code, doc, _ = work.bill(capsys, "--period", "2026-12")
    assert code == 0 and doc["invoices"] == [] and {s["reason"] for s in doc["skipped"]} == {"already_billed", "on_hold"}
    done = billed_of(open_store(store_url), WORKBOOK_ID)
    assert set(done) == set(after) and {b.state for b in done.values()} == {DONE}
    assert {(k[0], k[1]): str(b.net) for k, b in done.items()} == {k: v[3] for k, v in DECEMBER.items()}
    assert sum(str(r["invoice_key"]).startswith("BILL-") for r in work.rows("Invoices")) == 3


def test_plan_writes_the_calendar_and_its_chart_and_bills_nothing(work, capsys):
    code, doc, _ = work.bill(capsys, "--plan", "--from", "2027-01", "--to", "2027-03")
    assert code == 0 and doc["from"] == "2027-01" and doc["to"] == "2027-03"
    # C1: Hosting 100 a month, Cloud 10 USD a month; C2: Indexed 100 × 103/100 (the latest index value is
    # December's: January's is missing, so that month leaves the line out), Support 300 in arrears in March
    plan = {(p["month"], p["customer_id"], p["currency"]): p["net"] for p in doc["plan"]}
    assert plan[("2027-01", "C1", "EUR")] == "100.00" and plan[("2027-03", "C2", "EUR")] == "300.00"
    # no CPI after December: each month leaves Indexed out, and says so (never a guess)
    assert [(s["month"], s["contract_id"], s["reason"]) for s in doc["skipped"]] == [
        (m, "K-I1", "missing_index") for m in ("2027-01", "2027-02", "2027-03")]
    assert "PriceIndex has no value of index CPI for 2027-02" in doc["notes"][1]
    warned = [f for f in doc["errors"] if f["rule"] == "price_index_missing"]
    assert {(f["severity"], f["cell"]) for f in warned} == {("warning", "Contracts!N5")} and len(warned) == 3
    assert plan[("2027-02", "C1", "USD")] == "10.00"
    rows = work.rows("BillingPlan")
    assert list(rows[0]) == ["customer_id", "currency", "2027-01", "2027-02", "2027-03", "total"]
    totals = {r["currency"]: r for r in rows if r["customer_id"] == "TOTAL"}
    assert set(totals) == {"EUR", "USD"} and totals["USD"]["total"] == 30
    with zipfile.ZipFile(work.book) as z:
        assert any(n.startswith("xl/charts/chart") for n in z.namelist())
    assert "Invoices" in openpyxl.load_workbook(work.book).sheetnames
    assert not any(str(r["invoice_key"]).startswith("BILL-") for r in work.rows("Invoices"))
    assert billed_of(open_store(work.db), WORKBOOK_ID) == {}


def test_plan_needs_from_and_to(work, capsys):
    code, _, err = work.bill(capsys, "--plan", "--from", "2027-01")
    assert code == 2 and "--plan takes --from" in err


# -- upgrade and downgrade: an end date moved after its period was billed ---------------------------


def _edit(book: Path, *cells: tuple[int, str, object]) -> None:
    from billing.changes import CellUpdate, Changes
    from billing.workbook.read import read_book
    from billing.workbook.write import apply_changes

    table = read_book(book).tables["Contracts"]
    apply_changes(book, Changes(updates=tuple(CellUpdate(table.sheet, row, table.columns[column], value)
                                              for row, column, value in cells)))


def upgrade_sheets() -> dict:
    sheets = base_sheets()
    sheets["Contracts"] = [
        CONTRACT_HEADER,
        ["K-Y", "C1", "Licence", 1, 1200, "EUR", "S19", "yearly", D(2027, 1, 1), None, None, "advance", "days",
         None, None, None, None, None],
        ["K-S", "C2", "Support", 1, 310, "EUR", "S19", "monthly", D(2027, 3, 1), D(2027, 3, 15), None, "arrears",
         "days", None, None, None, None, None],
        ["K-Y", "C1", "Licence Pro", 1, 2400, "EUR", "S19", "yearly", D(2027, 7, 1), None, None, "advance", "days",
         None, None, None, None, None],
    ]
    return sheets


def test_an_upgrade_credits_the_days_no_longer_covered_once_and_a_later_end_charges_the_rest(tmp_path, capsys,
                                                                                                monkeypatch):
    monkeypatch.delenv("XLBILLING_DEBUG", raising=False)
    work = Work(tmp_path, upgrade_sheets())
    assert _lines(work.bill(capsys, "--period", "2027-01")[1]) == {
        ("K-Y", "Licence"): ("BILL-C1-2027-01", D(2027, 1, 1), D(2027, 12, 31), "1200.00", "")}
    assert _lines(work.bill(capsys, "--period", "2027-03")[1]) == {  # 310 × 15/31 = 150.00, in arrears
        ("K-S", "Support"): ("BILL-C2-2027-03", D(2027, 3, 1), D(2027, 3, 15), "150.00", "15/31 days")}
    # the upgrade: Licence ends 30 June, Licence Pro (on its row since) starts 1 July; Support runs to 30 April
    _edit(work.book, (2, "end_date", D(2027, 6, 30)), (3, "end_date", D(2027, 4, 30)))
    code, doc, err = work.bill(capsys, "--period", "2027-07")
    assert code == 0, (doc, err)
    got = {(line["contract_id"], line["description"], line["kind"]): (inv["invoice_key"], line["period_from"],
                                                                      line["period_to"], line["net"], line["rule"])
           for inv in doc["invoices"] for line in inv["lines"]}
    assert got == {
        # −1,200.00 × 184/365 = −604.931… → −604.93
        ("K-Y", "Licence", "credit"): ("BILL-C1-2027-07-CR", "2027-07-01", "2027-12-31", "-604.93", "184/365 days"),
        ("K-Y", "Licence Pro", "period"): ("BILL-C1-2027-07", "2027-07-01", "2028-06-30", "2400.00", ""),
        # the rest of March: 310 × 16/31 = 160.00
        ("K-S", "Support", "charge"): ("BILL-C2-2027-07", "2027-03-16", "2027-03-31", "160.00", "16/31 days")}
    lines = {r["description"]: r for r in work.rows("InvoiceLines") if str(r["invoice_key"]).startswith("BILL-")}
    credit = lines["Credit: Licence 2027-07-01 – 2027-12-31 (184/365 days)"]
    # an invoice holds no negative amount: the credit is a draft credit note of the invoice that billed the year
    assert (credit["quantity"], credit["unit_price"]) == (1, 604.93)
    kinds = {d["invoice_key"]: (d["kind"], d["net"]) for d in doc["invoices"]}
    assert kinds["BILL-C1-2027-07-CR"] == ("credit_note", "-604.93") and kinds["BILL-C1-2027-07"] == ("invoice",
                                                                                                    "2400.00")
    assert {r["invoice_key"]: r["kind"] for r in work.rows("Invoices")}["BILL-C1-2027-07-CR"] == "credit_note"
    assert "Support 2027-03-16 – 2027-03-31 (16/31 days)" in lines
    run = {(r["contract_id"], r["description"]): r["note"] for r in work.rows("BillingRun") if r["invoice_key"]}
    assert run[("K-Y", "Licence")].startswith("credited pro rata")
    code, computed, _ = cli(capsys, "compute", str(work.book), "--json")
    assert code == 0, computed
    nets = {i["invoice_key"]: i["net"] for i in computed["invoices"]}
    assert (nets["BILL-C1-2027-07"], nets["BILL-C1-2027-07-CR"], nets["BILL-C2-2027-07"]) == \
        ("2400.00", "604.93", "160.00")
    # once: the same month again, or the next, adds nothing
    before = len(work.rows("InvoiceLines"))
    for month in ("2027-07", "2027-08"):
        code, doc, _ = work.bill(capsys, "--period", month)
        assert code == 0 and doc["invoices"] == [], doc
    assert len(work.rows("InvoiceLines")) == before
    # billed − credited for Licence: 1,200.00 − 604.93 = 595.07 = 1,200 × 181/365 (595.068…), its days Jan–June
    store = billed_of(open_store(work.db), doc["workbook_id"])
    licence = [b.net for b in store.values() if b.contract_id == "K-Y" and b.description.startswith("Licence\x1f")
               or (b.contract_id, b.description) == ("K-Y", "Licence")]
    assert sum(licence) == Decimal("595.07")
    # any other change after billing is reported, never re-billed nor adjusted
    _edit(work.book, (3, "unit_price", 400), (3, "end_date", D(2027, 3, 20)))
    code, doc, _ = work.bill(capsys, "--period", "2027-08")
    assert code == 0 and doc["invoices"] == []
    code, doc, _ = work.bill(capsys, "--period", "2027-03")
    assert code == 0 and doc["invoices"] == []
    assert [s["reason"] for s in doc["skipped"] if s["contract_id"] == "K-S"] == ["changed_since_billed"]


def test_a_moved_end_date_rebilled_in_its_own_month_is_already_billed_not_changed(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("XLBILLING_DEBUG", raising=False)
    sheets = upgrade_sheets()
    sheets["Contracts"] = sheets["Contracts"][:2]
    work = Work(tmp_path, sheets)
    assert work.bill(capsys, "--period", "2027-01")[0] == 0
    _edit(work.book, (2, "end_date", D(2027, 1, 31)))  # a downgrade within the month billed
    code, doc, _ = work.bill(capsys, "--period", "2027-01")
    assert code == 0 and [(line["kind"], line["net"]) for inv in doc["invoices"] for line in inv["lines"]] == \
        [("credit", "-1098.08")]  # February to December: −1,200 × 334/365 = −1,098.082…
    (skip,) = doc["skipped"]
    assert skip["reason"] == "already_billed" and "end date moved" in skip["detail"]
    assert not [f for f in doc["errors"] if f["rule"] == "contract_changed_since_billed"]


# -- the ribbon ---------------------------------------------------------------------------------------


def test_bill_period_button_bills_the_asked_month_once(work, monkeypatch):
    import macros
    from macros.fakebook import FakeBook

    monkeypatch.setenv("XLBILLING_DATABASE_URL", work.db)
    book = FakeBook(work.book, prompts=["2026-13", "2026-12"])  # asked again when it is no month
    macros.run_button("xlbBill", book)
    (message,) = book.app.alerts
    assert message.startswith("Billed 2026-12: 3 draft invoices (5 lines)") and "BillingRun" in message, message
    assert "is not a month" in book.inputs[1][0]
    book.save()
    again = FakeBook(work.book, prompts=["2026-12"])
    macros.bill_period(again)
    assert again.app.alerts[0].startswith("Billed 2026-12: 0 draft invoices (0 lines)"), again.app.alerts
    # the first run's periods were left pending; the second found their drafts in the workbook
    got = billed_of(open_store(work.db), WORKBOOK_ID)
    assert {b.state for b in got.values()} == {DONE}


def test_bill_period_button_cancelled_writes_nothing(work):
    import macros
    from macros.fakebook import FakeBook

    book = FakeBook(work.book, prompts=[None])
    macros.bill_period(book)
    assert book.app.alerts == [] and "BillingRun" not in book.wb.sheetnames


def test_a_credit_note_corrects_the_invoice_that_billed_the_period_once_it_is_numbered():
    from billing.pipeline.bill import CREDIT, Line, Month, drafts_of

    def credit(credits: str) -> Line:
        return Line("K-Y", "Licence", "C1", "EUR", "S19", D(2027, 7, 1), D(2027, 12, 31), Decimal(1),
                    Decimal(1200), Decimal("-604.93"), "184/365 days", 2, "BILL-C1-2027-07-CR", Decimal(1),
                    Decimal("604.93"), "Credit: Licence 2027-07-01 – 2027-12-31 (184/365 days)", CREDIT,
                    D(2027, 1, 1), D(2027, 6, 30), 1, credits)

    drafts = drafts_of([credit("BILL-C1-2027-01"), credit("BILL-C1-2026-01")], Month(2027, 7), set(),
                       {"BILL-C1-2027-01": "2027-0001"})
    assert [(d.invoice_key, d.kind, d.corrects, d.net) for d in drafts] == [
        ("BILL-C1-2027-07-CR", "credit_note", None, Decimal("-604.93")),  # not numbered yet: corrects blank
        ("BILL-C1-2027-07-CR-2", "credit_note", "2027-0001", Decimal("-604.93"))]
