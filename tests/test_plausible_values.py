"""Plausible values that used to crash a command (“internal error”) are findings at their cells,
for every command that reads the workbook: validate, compute and close stop with exit 1."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys

import pytest

from builders import base_sheets, set_cell, write_book

CASES = [
    ("Invoices", 2, "issue_date", dt.date(9999, 12, 31), "Invoices!E2", "date_out_of_range"),
    ("InvoiceLines", 2, "unit_price", 1e308, "InvoiceLines!E2", "number_too_large"),
    ("InvoiceLines", 2, "quantity", 1e13, "InvoiceLines!E2", "number_too_large"),  # × 120 overflows the line
]


@pytest.mark.parametrize("sheet, row, column, value, cell, rule", CASES, ids=[c[-1] + "-" + c[2] for c in CASES])
def test_commands_stop_at_the_finding(tmp_path, sheet, row, column, value, cell, rule):
    sheets = base_sheets()
    set_cell(sheets, sheet, row, column, value)
    path = write_book(tmp_path / "book.xlsx", sheets)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    commands = [["compute"]] + ([["close", "--as-of", "2026-10-31"]] if rule == "date_out_of_range" else [])
    for command in commands:
        run = subprocess.run([sys.executable, "-m", "billing", command[0], str(path), *command[1:]],
                             capture_output=True, text=True, timeout=180)
        assert run.returncode == 1, (command, run.stderr[-600:])
        assert f"!{cell}: " in run.stdout and f"({rule})" in run.stdout, run.stdout
        assert "internal error" not in run.stderr
        if command[0] == "compute":
            assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # nothing written
