"""A new workbook: sheets, tables, formats and dropdowns as a person sees them in Excel."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter, range_boundaries
from python_calamine import CalamineWorkbook

from billing.collections.reference_rates import ECB_REFERENCE_RATES
from billing.contract import FORMATS, INPUT_SHEETS, INVOICES, Kind
from billing.workbook.create import CURRENCY_NAME, LISTS_SHEET, create_workbook
from billing.sample import STANDARD_TAX_RATES, SampleData, generate_sample
from billing.settings import NUMBER_SETTINGS, SETTING_DEFAULTS

SHEETS = [spec.name for spec in INPUT_SHEETS]


@pytest.fixture(scope="module")
def sample() -> SampleData:
    return generate_sample(200, seed=4)


@pytest.fixture(scope="module")
def empty_path(tmp_path_factory) -> Path:
    return create_workbook(tmp_path_factory.mktemp("new") / "empty.xlsx")


@pytest.fixture(scope="module")
def empty(empty_path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(empty_path)


@pytest.fixture(scope="module")
def sample_path(tmp_path_factory, sample) -> Path:
    return create_workbook(tmp_path_factory.mktemp("sample") / "sample.xlsx", sample)


@pytest.fixture(scope="module")
def book(sample_path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(sample_path)


def headers(spec) -> list[str]:
    return list(spec.column_names) + (["meaning"] if spec.name == "Settings" else [])


def validations(ws) -> dict[str, object]:
    """Dropdowns by the column letter (or cell) their range starts in."""
    found = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            found[rng.coord.split(":")[0].rstrip("0123456789") if ":" in rng.coord else rng.coord] = dv
    return found


def settings_of(wb) -> dict[str, object]:
    return {row[0]: row[1] for row in wb["Settings"].iter_rows(min_row=2, values_only=True) if row[0]}


# --------------------------------------------------------------------------- layout


def test_sheets_in_contract_order_with_hidden_lists_last(empty):
    assert empty.sheetnames == SHEETS + [LISTS_SHEET]
    assert [ws.sheet_state for ws in empty] == ["visible"] * len(SHEETS) + ["hidden"]
    assert empty.active.title == "Settings"


@pytest.mark.parametrize("spec", INPUT_SHEETS, ids=SHEETS)
def test_header_row_table_and_frozen_pane(empty, spec):
    ws = empty[spec.name]
    assert [c.value for c in ws[1]] == headers(spec)
    assert ws.freeze_panes == "A2"
    tables = list(ws.tables.values())
    assert len(tables) == 1
    table = tables[0]
    rows = {"Settings": len(SETTING_DEFAULTS), "TaxRates": len(STANDARD_TAX_RATES),
            "InterestRates": len(ECB_REFERENCE_RATES)}.get(spec.name, 1)
    assert table.displayName == table.name == spec.name
    assert table.ref == f"A1:{get_column_letter(len(headers(spec)))}{rows + 1}"
    assert [c.name for c in table.tableColumns] == headers(spec)
    assert table.tableStyleInfo.name.startswith("TableStyleMedium")
    assert table.autoFilter.ref == table.ref


@pytest.mark.parametrize("spec", INPUT_SHEETS, ids=SHEETS)
def test_number_formats_by_column_kind(empty, spec):
    ws = empty[spec.name]
    for n, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(n)
        assert ws.column_dimensions[letter].width >= 8
        expected = FORMATS.get(column.kind)
        if expected:
            assert ws.column_dimensions[letter].number_format == expected
            assert ws[f"{letter}5"].number_format == expected  # an empty row below the table
            assert ws[f"{letter}40"].number_format == expected


def test_formats_on_sample_cells(book):
    invoices = book["Invoices"]
    assert invoices["E2"].number_format == "yyyy-mm-dd" and isinstance(invoices["E2"].value, dt.datetime)
    payments = book["Payments"]
    assert payments["C2"].number_format == FORMATS[Kind.MONEY] == "#,##0.00"
    assert payments["B2"].number_format == "yyyy-mm-dd"
    lines = book["InvoiceLines"]
    assert lines["E2"].number_format == "#,##0.00" and lines["D2"].number_format == FORMATS[Kind.NUMBER]
    assert lines["B2"].number_format == "0"
    assert book["TaxRates"]["B2"].number_format == "0.00%"


# --------------------------------------------------------------------------- contents


def test_settings_hold_every_default_and_a_fresh_uuid(empty, tmp_path):
    settings = settings_of(empty)
    assert list(settings) == list(SETTING_DEFAULTS)
    assert uuid.UUID(settings["workbook_id"]).version == 4
    for key, (default, _) in SETTING_DEFAULTS.items():
        if key in NUMBER_SETTINGS:  # amounts and fractions are number cells
            assert Decimal(str(settings[key])) == Decimal(default)
        elif key != "workbook_id":
            assert settings[key] == (default or None)
    meanings = [row[2] for row in empty["Settings"].iter_rows(min_row=2, values_only=True)]
    assert all(meanings)
    other = openpyxl.load_workbook(create_workbook(tmp_path / "other.xlsx"))
    assert settings_of(other)["workbook_id"] != settings["workbook_id"]


def test_workbook_id_can_be_given(tmp_path, sample):
    wid = str(uuid.uuid4())
    assert settings_of(openpyxl.load_workbook(create_workbook(tmp_path / "a.xlsx", workbook_id=wid)))["workbook_id"] == wid
    assert settings_of(openpyxl.load_workbook(create_workbook(tmp_path / "b.xlsx", sample, workbook_id=wid)))["workbook_id"] == wid


def test_tax_rates_standard_list(empty):
    rows = [r for r in empty["TaxRates"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert [(code, Decimal(str(rate)), kind) for code, rate, kind, _ in rows] == [
        ("S19", Decimal("0.19"), "standard"), ("R7", Decimal("0.07"), "reduced"), ("Z0", Decimal(0), "zero"),
        ("EX", Decimal(0), "exempt"), ("RC", Decimal(0), "reverse_charge"),
    ]


def test_other_tables_are_empty(empty):
    for name in ("Customers", "Invoices", "InvoiceLines", "Payments"):
        assert all(v is None for row in empty[name].iter_rows(min_row=2, values_only=True) for v in row)


def as_expected_type(cell_value: object, expected: object) -> object:
    if cell_value is None or expected is None:
        return cell_value
    if isinstance(expected, Decimal):
        return Decimal(str(cell_value))
    if isinstance(expected, dt.date):
        assert isinstance(cell_value, dt.datetime) and cell_value.time() == dt.time(0)
        return cell_value.date()
    return cell_value


@pytest.mark.parametrize("spec", INPUT_SHEETS[1:], ids=SHEETS[1:])
def test_sample_values_read_back_equal(book, sample, spec):
    ws = book[spec.name]
    expected = sample.rows(spec.name)
    table = next(iter(ws.tables.values()))
    assert table.ref == f"A1:{get_column_letter(len(spec.columns))}{len(expected) + 1}"
    rows = list(ws.iter_rows(min_row=2, max_row=len(expected) + 1, values_only=True))
    for want, got in zip(expected, rows, strict=True):
        assert {k: as_expected_type(v, want[k]) for k, v in zip(spec.column_names, got)} == want
    assert all(v is None for v in next(ws.iter_rows(min_row=len(expected) + 2, values_only=True), ()))


def test_sample_settings_read_back(book, sample):
    got = settings_of(book)
    want = dict(sample.settings)
    assert got.keys() == want.keys()
    assert {k: as_expected_type(v, want[k]) for k, v in got.items()} == want


# --------------------------------------------------------------------------- dropdowns


def test_dropdowns(empty):
    invoices = validations(empty["Invoices"])
    assert invoices["J"].formula1 == '"draft,issued,void"' and invoices["J"].errorStyle in (None, "stop")
    assert invoices["C"].formula1 == '"invoice,credit_note"'
    assert invoices["D"].formula1 == 'INDIRECT("Customers[customer_id]")'
    assert invoices["N"].formula1 == 'INDIRECT("TaxRates[tax_code]")'
    assert invoices["H"].formula1 == CURRENCY_NAME
    assert invoices["F"].errorStyle == "warning" and "2/10 NET30" in invoices["F"].formula1
    lines = validations(empty["InvoiceLines"])
    assert lines["G"].formula1 == 'INDIRECT("TaxRates[tax_code]")'
    customers = validations(empty["Customers"])
    assert customers["E"].formula1 == CURRENCY_NAME and customers["F"].errorStyle == "warning"
    assert validations(empty["Payments"])["D"].formula1 == CURRENCY_NAME
    assert validations(empty["TaxRates"])["C"].formula1 == \
        '"standard,reduced,zero,exempt,reverse_charge,intra_eu,export"'
    assert customers["N"].formula1 == '"pdf,facturx,xrechnung-ubl,xrechnung-cii,peppol,ubl,cii"'
    for dv in invoices.values():
        assert dv.type == "list" and dv.allow_blank and dv.showErrorMessage
        _, min_row, _, max_row = range_boundaries(str(dv.sqref))
        assert min_row == 2 and max_row >= 10_001


def test_dropdowns_reach_past_large_data(book, sample):
    dv = validations(book["Payments"])["D"]
    _, _, _, max_row = range_boundaries(str(dv.sqref))
    assert max_row >= max(10_001, len(sample.payments) + 1000)


def test_currency_list_on_the_hidden_sheet(empty):
    name = empty.defined_names[CURRENCY_NAME]
    sheet, ref = next(iter(name.destinations))
    assert sheet == LISTS_SHEET
    codes = [c.value for (c,) in empty[sheet][ref.replace("$", "")]]
    assert codes[:4] == ["EUR", "USD", "GBP", "CHF"] and "JPY" in codes and len(codes) == len(set(codes)) > 100
    assert "DEM" not in codes  # no withdrawn currencies


def test_settings_value_dropdowns(empty):
    found = validations(empty["Settings"])
    rows = {row[0].value: row[0].row for row in empty["Settings"].iter_rows(min_row=2) if row[0].value}
    assert found[f"B{rows['price_mode']}"].formula1 == '"net,gross"'
    assert found[f"B{rows['rounding']}"].formula1 == '"half_up,half_even"'
    assert found[f"B{rows['base_currency']}"].formula1 == CURRENCY_NAME
    assert found[f"B{rows['default_terms']}"].errorStyle == "warning"


# --------------------------------------------------------------------------- writing safely


def test_refuses_to_overwrite(tmp_path):
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        create_workbook(target)
    assert target.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]  # no temporary file left
    create_workbook(target, overwrite=True)
    assert openpyxl.load_workbook(target).sheetnames[:len(SHEETS)] == SHEETS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


def test_only_xlsx(tmp_path):
    with pytest.raises(ValueError):
        create_workbook(tmp_path / "book.xlsm")


def test_text_that_looks_like_a_formula_stays_text(tmp_path, sample):
    customers = list(sample.customers)
    customers[0] = dict(customers[0], name="=HYPERLINK(\"http://x\")", email="@home", terms=None)
    lines = list(sample.lines)
    lines[0] = dict(lines[0], description="-10% Rabatt")
    lines[1] = dict(lines[1], description="+49 30 1234")
    data = dataclasses.replace(sample, customers=tuple(customers), lines=tuple(lines))
    path = create_workbook(tmp_path / "tricky.xlsx", data)
    wb = openpyxl.load_workbook(path)
    assert wb["Customers"]["B2"].value == '=HYPERLINK("http://x")' and wb["Customers"]["B2"].data_type == "s"
    assert wb["Customers"]["D2"].value == "@home"
    assert wb["InvoiceLines"]["C2"].value == "-10% Rabatt" and wb["InvoiceLines"]["C3"].value == "+49 30 1234"
    calamine = CalamineWorkbook.from_path(str(path))
    assert calamine.get_sheet_by_name("Customers").to_python()[1][1] == '=HYPERLINK("http://x")'


# --------------------------------------------------------------------------- another reader


def test_calamine_sees_the_tables(sample_path, sample):
    wb = CalamineWorkbook.from_path(str(sample_path), load_tables=True)
    assert wb.sheet_names == SHEETS + [LISTS_SHEET]
    assert sorted(wb.table_names) == sorted(SHEETS)
    for spec in INPUT_SHEETS:
        table = wb.get_table_by_name(spec.name)
        assert table.sheet == spec.name and table.start == (1, 0)
        assert table.columns == headers(spec)
        rows = table.to_python()
        assert len(rows) == len(sample.rows(spec.name)) == table.end[0]
    payments = wb.get_table_by_name("Payments").to_python()
    assert payments[0][0] == sample.payments[0]["payment_id"]
    assert payments[0][1] == sample.payments[0]["value_date"]
    assert Decimal(str(payments[0][2])) == sample.payments[0]["amount"]


def test_calamine_sees_the_empty_tables(empty_path):
    wb = CalamineWorkbook.from_path(str(empty_path), load_tables=True)
    assert sorted(wb.table_names) == sorted(SHEETS)
    assert wb.get_table_by_name("Invoices").to_python() in ([], [[""] * len(INVOICES.columns)])
