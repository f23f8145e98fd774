"""`xlbilling number` and `xlbilling numbers audit` end to end, on workbooks the tests build."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
from stdnum import iso11649

from builders import base_sheets, set_cell, write_book
from test_cli import run


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'registry.sqlite'}"


def numbers_in(path):
    ws = openpyxl.load_workbook(path)["Invoices"]
    return {r[0]: (r[1], r[12]) for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}


def issued_sheets():
    sheets = base_sheets()
    set_cell(sheets, "Invoices", 3, "status", "issued")  # K2 (2026-10-15) gets a number
    sheets["Invoices"].append(["K4", None, None, "C2", dt.date(2026, 10, 2), None, None, "EUR", None, "issued",
                               None, None, None, "S19", 40, None, None])
    sheets["Invoices"].append(["K5", None, None, "C2", dt.date(2026, 10, 3), None, None, "EUR", None, "draft",
                               None, None, None, "S19", 40, None, None])
    return sheets


def test_number_in_issue_date_order_adopting_existing_numbers(tmp_path, db):
    path = write_book(tmp_path / "n.xlsx", issued_sheets())
    result = run("number", str(path), "--db", db, "--json")
    assert result.returncode == 0, result.stderr
    # K1 already shows INV-2026-000001 (adopted), K4 issued 10-02 before K2 issued 10-15; K5 is a draft
    assert json.loads(result.stdout) == {"assigned": [
        {"invoice_key": "K4", "invoice_no": "INV-2026-000002"},
        {"invoice_key": "K2", "invoice_no": "INV-2026-000003"},
    ]}
    shown = numbers_in(path)
    assert shown["K4"][0] == "INV-2026-000002" and shown["K2"][0] == "INV-2026-000003"
    for key, body in (("K4", "INV2026000002"), ("K2", "INV2026000003")):
        reference = shown[key][1]  # a fresh RF reference on each newly numbered invoice
        assert iso11649.is_valid(reference) and reference[4:] == body
    assert shown["K5"] == (None, None)
    assert shown["K1"][0] == "INV-2026-000001" and shown["K3"][0] == "CN-2026-000001"

    again = run("number", str(path), "--db", db, "--json")
    assert json.loads(again.stdout) == {"assigned": []}
    assert numbers_in(path) == shown
    assert run("validate", str(path)).returncode == 0
    audit = run("numbers", "audit", "--db", db, "--json")
    assert audit.returncode == 0 and json.loads(audit.stdout) == {"ok": True, "findings": []}


def test_copied_workbook_reusing_keys_is_refused(tmp_path, db):
    original = write_book(tmp_path / "a.xlsx", issued_sheets())
    assert run("number", str(original), "--db", db).returncode == 0
    sheets = issued_sheets()
    set_cell(sheets, "Invoices", 5, "customer_id", "C1")  # the copy's K4 is another customer's invoice
    copy = write_book(tmp_path / "b.xlsx", sheets)  # same workbook_id: a copy
    before = copy.read_bytes()
    result = run("number", str(copy), "--db", db, "--json")
    assert result.returncode == 1
    errors = json.loads(result.stdout)["errors"]
    assert [(e["cell"], e["rule"]) for e in errors] == [("Invoices!5:5", "numbering_refused")]
    assert "K4" in errors[0]["message"] and "customer C2" in errors[0]["message"]
    assert copy.read_bytes() == before


def test_workbook_without_id_gets_one(tmp_path, db):
    sheets = issued_sheets()
    sheets["Settings"] = [row for row in sheets["Settings"] if row[0] != "workbook_id"]
    path = write_book(tmp_path / "noid.xlsx", sheets)
    assert run("number", str(path), "--db", db).returncode == 0
    settings = dict(openpyxl.load_workbook(path)["Settings"].iter_rows(min_row=2, values_only=True))
    assert len(settings["workbook_id"]) == 36


def test_audit_finds_deleted_and_changed_rows_and_records_voids(tmp_path, db):
    path = write_book(tmp_path / "n.xlsx", issued_sheets())
    assert run("number", str(path), "--db", db).returncode == 0
    wb = openpyxl.load_workbook(path)
    ws = wb["Invoices"]
    ws["J2"] = "void"  # K1 voided after numbering, without a reason yet
    ws.delete_rows(5)  # K4's row deleted
    wb.save(path)
    audit = run("numbers", "audit", "--db", db, "--json")
    assert audit.returncode == 1
    found = [(f["kind"], f["number"]) for f in json.loads(audit.stdout)["findings"]]
    assert found == [("void_not_recorded", "INV-2026-000001"), ("row_deleted", "INV-2026-000002")]

    ws = (wb := openpyxl.load_workbook(path))["Invoices"]
    ws["K2"] = "issued twice by mistake"
    wb.save(path)
    assert run("number", str(path), "--db", db).returncode == 0  # records the void
    found = [(f["kind"], f["number"]) for f in json.loads(run("numbers", "audit", "--db", db, "--json").stdout)["findings"]]
    assert found == [("row_deleted", "INV-2026-000002")]
    # numbering again never reuses the deleted row's number
    sheets = issued_sheets()
    sheets["Invoices"].append(["K6", None, None, "C2", dt.date(2026, 10, 20), None, None, "EUR", None, "issued",
                               None, None, None, "S19", 5, None, None])
    wb = openpyxl.load_workbook(path)
    wb["Invoices"].append(sheets["Invoices"][-1])
    table = wb["Invoices"].tables["Invoices"]
    table.ref = f"A1:Q{wb['Invoices'].max_row}"
    wb.save(path)
    result = json.loads(run("number", str(path), "--db", db, "--json").stdout)
    assert result == {"assigned": [{"invoice_key": "K6", "invoice_no": "INV-2026-000004"}]}


def test_numbers_written_into_a_copy_are_reported(tmp_path, db):
    """A copy made before numbering gets the registry's numbers written in: JSON lists each one."""
    original = write_book(tmp_path / "a.xlsx", issued_sheets())
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(original.read_bytes())
    first = json.loads(run("number", str(original), "--db", db, "--json").stdout)["assigned"]
    assert [a["invoice_key"] for a in first] == ["K4", "K2"]
    result = run("number", str(copy), "--db", db, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["assigned"] == first  # the same numbers, adopted from the registry
    assert numbers_in(copy) == numbers_in(original)
    assert json.loads(run("number", str(copy), "--db", db, "--json").stdout)["assigned"] == []
