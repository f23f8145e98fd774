"""End to end: build real workbooks, run the `xlbilling` command, read the results back."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from builders import base_sheets, set_cell, write_book

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "XLBILLING_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "billing", *args], capture_output=True, text=True, cwd=cwd or ROOT, env=env
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_validate_valid_workbook(tmp_path):
    path = write_book(tmp_path / "ok.xlsx", base_sheets())
    result = run("validate", str(path), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"valid": True, "errors": []}
    assert result.stderr == ""


def test_validate_invalid_workbook_json_and_text(tmp_path):
    sheets = base_sheets()
    set_cell(sheets, "InvoiceLines", 3, "tax_code", "X9")
    set_cell(sheets, "Invoices", 2, "status", "void")
    path = write_book(tmp_path / "bad.xlsx", sheets)
    before = digest(path)

    result = run("validate", str(path), "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout) == {
        "valid": False,
        "errors": [
            {"severity": "warning", "cell": "Invoices!K2", "rule": "void_without_reason",
             "message": "a void invoice should say why in void_reason"},
            {"severity": "error", "cell": "InvoiceLines!G3", "rule": "unknown_tax_code",
             "message": "tax code 'X9' does not exist"},
        ],
    }
    text = run("validate", str(path))
    assert text.returncode == 1
    assert text.stdout.splitlines() == [
        f"{path}!Invoices!K2: warning: a void invoice should say why in void_reason (void_without_reason)",
        f"{path}!InvoiceLines!G3: tax code 'X9' does not exist (unknown_tax_code)",
    ]
    assert digest(path) == before  # nothing written without --write


def test_validate_write_adds_sheet_and_marks_then_clean_run_clears(tmp_path):
    sheets = base_sheets()
    set_cell(sheets, "Payments", 2, "amount", -5)
    path = write_book(tmp_path / "w.xlsx", sheets)
    assert run("validate", str(path), "--write").returncode == 1

    wb = openpyxl.load_workbook(path)
    ws = wb["Validation"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("severity", "cell", "rule", "message")
    assert rows[1][:3] == ("error", "Payments!C2", "amount_not_positive")
    assert ws["B2"].hyperlink is not None and "Payments!C2" in (ws["B2"].hyperlink.location or "")
    assert [str(cf.sqref) for cf in wb["Payments"].conditional_formatting] == ["C2"]  # the mark: a highlight
    assert wb["Payments"]["C2"].value == -5  # the user's value is untouched

    set_cell(sheets, "Payments", 2, "amount", 5)
    wb["Payments"]["C2"].value = 5
    wb.save(path)
    assert run("validate", str(path), "--write").returncode == 0
    wb = openpyxl.load_workbook(path)
    assert list(wb["Payments"].conditional_formatting) == []
    assert list(wb["Validation"].iter_rows(min_row=2, values_only=True)) in ([], [(None, None, None, None)])


BAD_FILES = {
    "not_a_zip.xlsx": b"invoice_key,net\nK1,10\n",
    "empty.xlsx": b"",
    "truncated.xlsx": None,  # built below from a real workbook
    "encrypted.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le") + b"\0" * 600,
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
@pytest.mark.parametrize("command", [["validate"], ["validate", "--json"], ["validate", "--write"]])
def test_bad_files_give_one_line_and_exit_2(tmp_path, name, command):
    path = tmp_path / name
    if BAD_FILES[name] is None:
        good = write_book(tmp_path / "good.xlsx", base_sheets()).read_bytes()
        path.write_bytes(good[: len(good) // 2])
    else:
        path.write_bytes(BAD_FILES[name])
    before = digest(path)
    result = run(command[0], str(path), *command[1:])
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("xlbilling: ") and "Traceback" not in result.stderr
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "good.xlsx") == [name]  # no temp files left


def test_hostile_xml_is_refused(tmp_path):
    good = write_book(tmp_path / "good.xlsx", base_sheets())
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/workbook.xml":
                data = b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>' + data
            dst.writestr(item, data)
    result = run("validate", str(bomb))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["validate", "missing.xlsx"], "no such file"),
        (["validate"], "Missing argument"),
        (["validate", ".", "--json"], "folder"),
        (["frobnicate"], "No such command"),
        (["new", "x.csv"], ".xlsx"),
    ],
)
def test_argument_errors_exit_2_with_one_line(tmp_path, args, fragment):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert fragment in result.stderr


def test_not_a_billing_workbook(tmp_path):
    path = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Budget"
    wb.save(path)
    result = run("validate", str(path))
    assert result.returncode == 2 and "not a billing workbook" in result.stderr


def test_help_exits_0():
    result = run("--help")
    assert result.returncode == 0 and "validate" in result.stdout


def test_new_then_validate_round_trip(tmp_path):
    path = tmp_path / "s.xlsx"
    created = run("new", str(path), "--sample", "30", "--seed", "3")
    assert created.returncode == 0, created.stderr
    assert run("new", str(path)).returncode == 2  # refuses to overwrite
    result = run("validate", str(path), "--json")
    assert result.returncode == 0 and json.loads(result.stdout) == {"valid": True, "errors": []}
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:6] == ["Settings", "Customers", "TaxRates", "Invoices", "InvoiceLines", "Payments"]
