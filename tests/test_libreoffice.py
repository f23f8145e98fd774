"""The closed workbook in a real spreadsheet engine: LibreOffice Calc opens it headless,
recalculates formulas over the output sheets, and its CSV export of every sheet agrees
with the close's own figures. Proof that the files are well-formed beyond openpyxl.

Skipped (visibly) where `soffice` is not installed; `.ci/run` installs `libreoffice-calc`.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from billing.sample.demo import prepare_demo
from test_cli import run

pytestmark = pytest.mark.libreoffice
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
#: comma, double quote, UTF-8, from row 1, …, every sheet to its own file (-1)
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def to_csv(workbook: Path, out: Path) -> dict[str, list[list[str]]]:
    """Every sheet of `workbook` as LibreOffice reads (and recalculates) it."""
    profile = out / "profile"  # a private profile: parallel runs and a user's LibreOffice do not collide
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", CSV_FILTER,
                    "--outdir", str(out), str(workbook)], check=True, capture_output=True, timeout=240)
    sheets = {}
    for path in out.glob(f"{workbook.stem}-*.csv"):
        with open(path, newline="", encoding="utf-8") as fh:
            sheets[path.stem[len(workbook.stem) + 1:]] = list(csv.reader(fh))
    return sheets


@pytest.fixture(scope="module")
def closed(tmp_path_factory):
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed: the real-spreadsheet check is skipped")
    folder = tmp_path_factory.mktemp("lo")
    files = prepare_demo(folder, invoices=120, seed=5)
    args = ["close", str(files.workbook), "--as-of", files.as_of.isoformat(), "--json"]
    result = run(*args, *(a for s in files.statements for a in ("--statement", str(s))))
    assert result.returncode == 0, result.stderr
    return files.workbook, json.loads(result.stdout), folder


def amounts(row: list[str]) -> list[Decimal]:
    return [Decimal(v) if v else Decimal(0) for v in row]


def test_libreoffice_reads_the_output_sheets_as_written(closed):
    workbook, summary, folder = closed
    sheets = to_csv(workbook, folder / "csv")
    assert {"Aging", "Dunning", "Close", "Statements", "Allocations", "Unmatched", "InvoiceTaxSummary"} <= set(sheets)
    header, *rows = sheets["Aging"]
    labels = summary["steps"]["age"]["buckets"]
    totals = {r[2]: r for r in rows if r[0] == "TOTAL"}
    assert set(totals) == set(summary["steps"]["age"]["totals"])
    for currency, total in summary["steps"]["age"]["totals"].items():
        customers = [r for r in rows if r[0] != "TOTAL" and r[2] == currency]
        first, last = header.index("not_due"), header.index("total")
        column_sums = [sum(col, Decimal(0)) for col in zip(*(amounts(r[first:last + 1]) for r in customers))]
        assert column_sums == amounts(totals[currency][first:last + 1])  # the totals row adds up in Calc
        assert Decimal(totals[currency][last]) == Decimal(total)
        assert [Decimal(labels[currency][h]) for h in header[first:last]] == amounts(totals[currency][first:last])
    assert len(sheets["Allocations"]) - 1 == sum(summary["steps"]["match"]["allocations"].values())
    close_rows = {(r[0], r[1], r[2]): r[3] for r in sheets["Close"][1:]}
    assert int(close_rows[("match", "payments unmatched", "")]) == summary["steps"]["match"]["unmatched"]
    # every statement's closing balance is its customer's aging total
    aging_total = {(r[0], r[2]): Decimal(r[header.index("total")]) for r in rows if r[0] != "TOTAL"}
    closing = {(r[0], r[1]): Decimal(r[7]) for r in sheets["Statements"][1:] if r[3] == "closing balance"}
    assert {k: v for k, v in closing.items() if v} == {k: v for k, v in aging_total.items() if v}


def test_libreoffice_recalculates_formulas_over_the_output_sheets(closed):
    workbook, summary, folder = closed
    wb = openpyxl.load_workbook(workbook)
    aging = wb["Aging"]
    n = aging.max_row
    check = wb.create_sheet("Check")
    currencies = sorted(summary["steps"]["age"]["totals"])
    for i, currency in enumerate(currencies, 1):
        check.cell(i, 1, currency)
        check.cell(i, 2, f'=SUMPRODUCT((Aging!A2:A{n}<>"TOTAL")*(Aging!C2:C{n}="{currency}")*Aging!J2:J{n})')
    check.cell(len(currencies) + 1, 1, "allocations")
    check.cell(len(currencies) + 1, 2, "=COUNTA(Allocations!A2:A1048576)")
    copy = folder / "check.xlsx"
    wb.save(copy)
    sheets = to_csv(copy, folder / "check")
    values = {row[0]: row[1] for row in sheets["Check"]}
    for currency in currencies:
        assert Decimal(values[currency]) == Decimal(summary["steps"]["age"]["totals"][currency])
    assert int(values["allocations"]) == sum(summary["steps"]["match"]["allocations"].values())


def test_libreoffice_finds_the_aging_chart(closed):
    """The bar chart the writer generates is a chart to Calc too (converted to ODF, it is an
    embedded chart object with a bar series)."""
    import zipfile

    workbook, _, folder = closed
    out = folder / "ods"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{out / 'profile'}", "--headless", "--convert-to", "ods",
                    "--outdir", str(out), str(workbook)], check=True, capture_output=True, timeout=240)
    with zipfile.ZipFile(out / f"{workbook.stem}.ods") as ods:
        charts = [ods.read(n).decode() for n in ods.namelist() if n.endswith("/content.xml") and n.startswith("Object")]
    assert len(charts) == 1
    assert 'chart:class="chart:bar"' in charts[0] and "Open receivables by age" in charts[0]
