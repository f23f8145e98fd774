"""`xlbilling remind` end to end on the sample workbook: the letters' figures recomputed from the
workbook, the PDF's figures equal to the Reminders sheet's, disputes and holds kept out, a re-run
changing nothing, the next level later, the archive holding each letter once, `--charge` drafts
that compute accepts and never charge interest twice, a kill before the write, the JSON."""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import openpyxl
import pytest

from billing.changes import CellUpdate, Changes
from billing.contract import ALLOCATIONS
from billing.workbook.read import read_book
from billing.workbook.write import apply_changes
from tests_support import cli, text_of

ROOT = Path(__file__).resolve().parents[1]
COUNT = 40
FIRST, LATER = dt.date(2026, 11, 30), dt.date(2026, 12, 31)
FEES = "5,10,15"
CONTRACT_LETTER = {"customer_id", "currency", "level", "items", "interest", "fees", "total", "file"}
CONTRACT_ITEM = {"invoice_no", "open", "days_past_due", "interest", "fee"}


class Work(NamedTuple):
    book: Path
    db: str
    archive: Path
    out: Path


def _env(folder: Path) -> dict:
    env = {**os.environ, "XLBILLING_DATABASE_URL": f"sqlite:///{folder / 'store.db'}",
           "XLBILLING_ARCHIVE_DIR": str(folder / "archive")}
    env.pop("XLBILLING_DEBUG", None)
    return env


def set_setting(book: Path, key: str, value: str) -> None:
    """A Settings value changed through the package writer (as a person would type it)."""
    table = read_book(book).tables["Settings"]
    (row,) = [r for r, k in zip(table.frame.index, table.frame["key"]) if k == key]
    apply_changes(book, Changes(updates=(CellUpdate(table.sheet, int(row), table.columns["value"], value),)))


@pytest.fixture(scope="module")
def closed(tmp_path_factory) -> Path:
    """The sample workbook, closed as of the later date, with reminder fees per level."""
    folder = tmp_path_factory.mktemp("closed")
    book = folder / "book.xlsx"
    for args in (["new", str(book), "--sample", str(COUNT)], ["close", str(book), "--as-of", "2026-12-31", "--json"]):
        done = subprocess.run([sys.executable, "-m", "billing", *args], capture_output=True, text=True, cwd=ROOT,
                              env=_env(folder))
        assert done.returncode == 0, done.stderr
    set_setting(book, "dunning_fees", FEES)
    return folder


@pytest.fixture
def work(closed, tmp_path, monkeypatch) -> Work:
    folder = Path(shutil.copytree(closed, tmp_path / "w"))
    monkeypatch.delenv("XLBILLING_DEBUG", raising=False)
    return Work(folder / "book.xlsx", f"sqlite:///{folder / 'store.db'}", folder / "archive", folder / "letters")


def remind(capsys, work: Work, day: dt.date, *more: str) -> tuple[int, dict | str, str]:
    return cli(capsys, "remind", str(work.book), "--as-of", day.isoformat(), "--out", str(work.out), "--db", work.db,
               "--archive", str(work.archive), "--json", *more)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sheet_rows(book: Path, name: str) -> list[dict]:
    ws = openpyxl.load_workbook(book, read_only=True)[name]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]


def _date(value) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def workbook_facts(book: Path) -> dict:
    """What the workbook says, read with openpyxl (not the pipeline): invoices by number, the
    customers, the open disputes, the Settings."""
    invoices = {r["invoice_no"]: r for r in sheet_rows(book, "Invoices") if r["invoice_no"]}
    customers = {r["customer_id"]: r for r in sheet_rows(book, "Customers")}
    disputes = [r for r in sheet_rows(book, "Disputes") if str(r["status"]).lower() == "open"]
    settings = {r["key"]: r["value"] for r in sheet_rows(book, "Settings")}
    return {"invoices": invoices, "customers": customers, "disputes": disputes, "settings": settings}


def level_of(days: int, levels: list[int]) -> int:
    return bisect.bisect_right(levels, days)


@pytest.mark.parametrize("day", [FIRST, LATER])
def test_the_letters_agree_with_the_workbook(work, capsys, day):
    before = workbook_facts(work.book)
    code, result, err = remind(capsys, work, day)
    assert code == 0, err
    assert result["letters"], "the sample has overdue items on both dates"
    levels = [int(x) for x in str(before["settings"]["dunning_levels"]).split(",")]
    fees = [Decimal(x) for x in FEES.split(",")]
    held = {c for c, r in before["customers"].items() if str(r.get("on_hold") or "").lower() == "yes"}
    promised = {c for c, r in before["customers"].items() if r.get("promise_date") and _date(r["promise_date"]) >= day}
    for letter in result["letters"]:
        assert set(letter) >= CONTRACT_LETTER and letter["customer_id"] not in held | promised
        assert letter["file"] == f"{day}/reminder-{letter['customer_id']}-{letter['currency']}-{day}.pdf"
        item_levels = []
        for item in letter["items"]:
            assert set(item) >= CONTRACT_ITEM
            invoice = before["invoices"][item["invoice_no"]]
            assert str(invoice.get("on_hold") or "").lower() != "yes"
            days = (day - _date(invoice["due_date"])).days
            assert item["days_past_due"] == days > 0
            item_levels.append(level_of(days, levels))
            assert item["level"] == item_levels[-1]
            assert Decimal(item["open"]) <= Decimal(str(invoice["gross"])).quantize(Decimal("0.01"))
        assert letter["level"] == max(item_levels)
        fee = fees[min(letter["level"], len(fees)) - 1] if letter["currency"] == "EUR" else Decimal(0)
        assert Decimal(letter["fees"]) == fee and Decimal(letter["items"][0]["fee"]) == fee
        credits = sum((Decimal(c["amount"]) for c in letter["credits"]), Decimal(0))
        assert Decimal(letter["total"]) == (sum(Decimal(i["open"]) + Decimal(i["interest"]) +
                                                Decimal(i["compensation"]) for i in letter["items"])
                                            + Decimal(letter["fees"]) - credits)
        interest_levels = [int(x) for x in str(before["settings"].get("dunning_interest_levels") or "2,3").split(",")]
        if letter["level"] not in interest_levels:
            assert Decimal(letter["interest"]) == 0 and Decimal(letter["compensation"]) == 0


@pytest.mark.parametrize("day", [FIRST, LATER])
def test_no_disputed_or_held_amount_is_reminded(work, capsys, day):
    facts = workbook_facts(work.book)
    code, result, err = remind(capsys, work, day)
    assert code == 0, err
    reminded = {i["invoice_no"]: i for letter in result["letters"] for i in letter["items"]}
    held = {n for n, r in facts["invoices"].items() if str(r.get("on_hold") or "").lower() == "yes"} | \
        {n for n, r in facts["invoices"].items() if r["customer_id"] in
         {c for c, row in facts["customers"].items() if str(row.get("on_hold") or "").lower() == "yes"}}
    assert held and not held & set(reminded)
    skipped = {s["invoice_no"]: s["code"] for s in result["skipped"]}
    for dispute in facts["disputes"]:
        if _date(dispute["opened"]) > day or dispute["invoice_no"] not in reminded:
            continue
        item = reminded[dispute["invoice_no"]]
        assert Decimal(item["disputed"]) > 0  # a partly disputed item: only the rest is reminded
    assert "disputed" in skipped.values() or any(Decimal(i["disputed"]) for i in reminded.values())


def test_the_pdf_shows_the_reminders_sheets_figures(work, capsys):
    from billing.documents.letter import amount_text

    code, result, err = remind(capsys, work, LATER)
    assert code == 0, err
    rows = sheet_rows(work.book, "Reminders")
    assert len(rows) == sum(len(letter["items"]) + len(letter["credits"]) for letter in result["letters"])
    for letter in result["letters"]:
        text = " ".join(text_of((work.out / letter["file"]).read_bytes()).split())
        mine = [r for r in rows if r["letter"] == letter["file"]]
        assert sum(Decimal(str(r["total"])) for r in mine) == Decimal(letter["total"])
        language = letter["language"]
        for row in mine:
            assert row["invoice_no"] in text
            if row["days_past_due"] is None:
                continue
            for column in ("open", "interest"):
                value = Decimal(str(row[column])).quantize(Decimal("0.01"))
                if value:
                    assert amount_text(value, row["currency"], language, symbol=False) in text, (column, row)
        shown_total = amount_text(Decimal(letter["total"]), letter["currency"], language)
        assert " ".join(shown_total.split()) in text


def test_a_rerun_the_same_day_makes_nothing_new_and_leaves_the_bytes(work, capsys):
    from billing.sealing.letters import letters_of_workbook
    from billing.store import open_store

    code, first, err = remind(capsys, work, FIRST)
    assert code == 0 and first["letters"], err
    before = digest(work.book)
    files = sorted(p.name for p in work.out.rglob("*.pdf"))
    code, again, err = remind(capsys, work, FIRST)
    assert code == 0 and again["letters"] == [], err
    assert {s["code"] for s in again["skipped"]} >= {"reminded"}
    assert digest(work.book) == before and sorted(p.name for p in work.out.rglob("*.pdf")) == files
    workbook_id = read_settings_id(work.book)
    assert len(letters_of_workbook(open_store(work.db), workbook_id)) == len(first["letters"])


def read_settings_id(book: Path) -> str:
    return str(workbook_facts(book)["settings"]["workbook_id"])


def test_a_later_date_reminds_at_the_next_level_and_archives_each_letter_once(work, capsys):
    from billing.sealing.letters import letters_of_workbook
    from billing.store import open_store

    code, first, err = remind(capsys, work, FIRST)
    assert code == 0, err
    history = {n: (r["last_reminder"], r["dunning_level"]) for n, r in workbook_facts(work.book)["invoices"].items()}
    for letter in first["letters"]:
        for item in letter["items"]:
            assert (_date(history[item["invoice_no"]][0]), history[item["invoice_no"]][1]) == (FIRST, letter["level"])
    code, later, err = remind(capsys, work, LATER)
    assert code == 0, err
    earlier = {(x["customer_id"], x["currency"]): x["level"] for x in first["letters"]}
    raised = [x for x in later["letters"] if x["level"] > earlier.get((x["customer_id"], x["currency"]), 99)]
    assert raised, (earlier, [(x["customer_id"], x["level"]) for x in later["letters"]])
    kept = letters_of_workbook(open_store(work.db), read_settings_id(work.book))
    keys = [(x.customer_id, x.currency, x.date) for x in kept]
    assert len(keys) == len(set(keys)) == len(first["letters"]) + len(later["letters"])
    assert all(x.kind == "reminder" and (work.out / x.file_name).is_file() for x in kept)


def test_charge_makes_balanced_drafts_compute_accepts_and_never_charges_twice(work, capsys):
    code, first, err = remind(capsys, work, FIRST, "--charge")
    assert code == 0 and first["charged"], err
    code, later, err = remind(capsys, work, LATER, "--charge")
    assert code == 0 and later["charged"], err
    code, _, err = cli(capsys, "compute", str(work.book))
    assert code == 0, err
    invoices = {r["invoice_key"]: r for r in sheet_rows(work.book, "Invoices")}
    lines = sheet_rows(work.book, "InvoiceLines")
    for charge in first["charged"] + later["charged"]:
        row = invoices[charge["invoice_key"]]
        assert row["status"] == "draft" and row["invoice_no"] is None
        mine = [line for line in lines if line["invoice_key"] == charge["invoice_key"]]
        assert [line["description"] for line in mine] == [x["description"] for x in charge["lines"]]
        assert Decimal(str(row["gross"])).quantize(Decimal("0.01")) == Decimal(charge["total"])
        assert Decimal(str(row["tax"] or 0)) == 0 and {line["tax_code"] for line in mine} == {"EX"}
    # interest: each invoice's days charged once (the later charge starts after the first one's date)
    descriptions = [x["description"] for c in first["charged"] + later["charged"] for x in c["lines"]]
    compensation = [d for d in descriptions if d.startswith("Compensation")]
    assert len(compensation) == len(set(compensation))
    by_invoice: dict[str, list[Decimal]] = {}
    for c in first["charged"] + later["charged"]:
        for x in c["lines"]:
            if x["description"].startswith("Late-payment interest on "):
                by_invoice.setdefault(x["description"].split()[3], []).append(Decimal(x["amount"]))
    later_interest = {i["invoice_no"]: Decimal(i["interest"]) for x in later["letters"] for i in x["items"]}
    twice = [n for n, amounts in by_invoice.items() if len(amounts) == 2]
    assert twice, by_invoice
    for number in twice:  # the two charges together are the interest from the due date, within a rounding
        assert abs(sum(by_invoice[number]) - later_interest[number]) <= Decimal("0.01"), number
    # the same day again charges nothing
    code, again, err = remind(capsys, work, LATER, "--charge")
    assert code == 0 and again["charged"] == [] and again["letters"] == []


def test_a_kill_before_the_write_leaves_the_workbook_and_a_rerun_finishes(work):
    before = digest(work.book)
    env = _env(work.book.parent)
    args = ["remind", str(work.book), "--as-of", LATER.isoformat(), "--out", str(work.out), "--json"]
    killed = subprocess.run([sys.executable, str(ROOT / "tests" / "kill_runner.py"),
                             "billing.workbook.write:apply_changes", "before", "1", "-", "--", *args],
                            capture_output=True, text=True, cwd=ROOT, env=env)
    assert killed.returncode == -9, killed.stderr
    assert digest(work.book) == before
    done = subprocess.run([sys.executable, "-m", "billing", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["letters"] and digest(work.book) != before


def test_interest_without_a_reference_rate_is_a_finding_and_writes_nothing(work, capsys):
    table = read_book(work.book).tables["InterestRates"]
    updates = tuple(CellUpdate(table.sheet, int(row), table.columns["valid_from"], dt.date(2026, 12, n + 1))
                    for n, row in enumerate(table.frame.index))
    apply_changes(work.book, Changes(updates=updates))
    before = digest(work.book)
    code, result, err = remind(capsys, work, LATER)
    assert code == 1 and result["letters"] == [] and result["errors"], err
    assert {e["cell"] for e in result["errors"]} == {"InterestRates!A1"}
    assert all("no reference rate" in e["message"] for e in result["errors"])
    assert digest(work.book) == before and not work.out.exists()


def test_the_human_output_is_one_line_per_letter(work, capsys):
    code, out, err = cli(capsys, "remind", str(work.book), "--as-of", LATER.isoformat(), "--out", str(work.out),
                         "--db", work.db, "--archive", str(work.archive))
    assert code == 0
    lines = err.strip().splitlines()
    letters = [line for line in lines if " level " in line]
    assert letters and lines[-1].startswith(f"{work.book}: {len(letters)} reminder letters as of {LATER}")


def test_a_reference_rate_carried_past_its_half_year_is_a_warning(work, capsys):
    """The sample's InterestRates end with 2025-07-01: interest into 2026 uses that rate (the
    contract's rule) and says so, at the sheet, without stopping the letters."""
    code, result, err = remind(capsys, work, LATER)
    assert code == 0 and result["letters"], err
    (stale,) = [e for e in result["errors"] if e["rule"] == "reference_rate_not_updated"]
    assert stale["severity"] == "warning" and stale["cell"] == "InterestRates!A1"
    assert stale["message"].startswith("the last reference rate is the one from 2025-07-01 (2.15 %); it was applied "
                                       f"after 2025-12-31, through {LATER.isoformat()}")


def test_a_workbook_without_an_interest_rates_sheet_takes_the_shipped_ecb_rates(work, capsys):
    """A workbook made before the InterestRates sheet existed: the ECB rates xlbilling ships,
    the same figures as the sample's sheet (which holds the same rates)."""
    other = work.book.with_name("older.xlsx")
    wb = openpyxl.load_workbook(work.book)  # a test input built as an older workbook would be
    del wb["InterestRates"]
    wb.save(other)
    code, with_sheet, err = remind(capsys, work, LATER)
    assert code == 0, err
    code, without, err = cli(capsys, "remind", str(other), "--as-of", LATER.isoformat(), "--out",
                             str(work.out.with_name("older-letters")), "--db", work.db + "-older", "--archive",
                             str(work.archive.with_name("older-archive")), "--json")
    assert code == 0, err
    figures = lambda doc: [(l["customer_id"], l["interest"], l["total"]) for l in doc["letters"]]  # noqa: E731
    assert figures(without) == figures(with_sheet) and any(l["interest"] != "0.00" for l in without["letters"])
