"""The billing-schedules contract (issue 19): Contracts, Usage, PriceIndex and PriceTiers as
optional input sheets, validated with exact cells, typed with their defaults, made by
`xlbilling new` with dropdowns and filled by the sample (additively)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal as D

import openpyxl
import pytest

import billing.sample as sample_module
from billing.contract import (BILLING_PLAN, BILLING_RUN, CONTRACTS, PERIODS, PRICE_INDEX, PRICE_TIERS, USAGE,
                              spec_for)
from billing.sample import generate_sample
from billing.settings import Settings
from billing.tables import typed_tables
from billing.workbook.create import create_workbook
from billing.workbook.read import read_book
from builders import base_sheets, set_cell, write_book
from validation import validate_book

E, W = "error", "warning"
CONTRACT_HEADER = list(CONTRACTS.column_names)


def with_schedules() -> dict[str, list[list]]:
    """The base workbook (customers C1, C2; tax codes S19, R7, EX) plus the four sheets: contract
    M1 with a fixed line and a graduated usage line, contract Q2 indexed on CPI."""
    sheets = base_sheets()
    sheets["Contracts"] = [
        CONTRACT_HEADER,
        ["M1", "C1", "Hosting", 1, 490, None, "S19", "monthly", dt.date(2026, 1, 1), None, None, "advance", "days",
         "3%", None, 12, None, None],
        ["M1", "C1", "Transfer", 0, 0.5, "EUR", "S19", "Quarterly", dt.date(2026, 1, 1), None, None, "arrears",
         "days", None, None, None, None, "graduated"],
        ["Q2", "C2", "Maintenance", 2, 100, None, "S19", "every_2_months", dt.date(2026, 1, 31),
         dt.date(2027, 1, 31), 31, None, None, "index:CPI", dt.date(2026, 6, 1), 12, "no", None],
    ]
    sheets["Usage"] = [["contract_id", "date", "quantity", "note"],
                       ["M1", dt.date(2026, 3, 14), 120, "first half"], ["M1", "2026-04-01", 30.5, None]]
    sheets["PriceIndex"] = [["index", "month", "value"],
                            ["CPI", dt.date(2026, 1, 1), 100], ["CPI", dt.date(2026, 2, 15), 100.4]]
    sheets["PriceTiers"] = [["contract_id", "from_quantity", "unit_price"],
                            ["M1", 0, 0.5], ["M1", 100, 0.4], ["M1", 1000, 0.25]]
    return sheets


def findings_of(tmp_path, sheets):
    book = read_book(write_book(tmp_path / "book.xlsx", sheets))
    return sorted((f.severity, f.cell, f.rule) for f in validate_book(book).findings)


def test_the_schedule_sheets_are_valid_and_optional(tmp_path):
    assert findings_of(tmp_path, with_schedules()) == []
    old = read_book(write_book(tmp_path / "old.xlsx", base_sheets()))
    assert old.missing == () and "Contracts" not in old.tables
    tables = typed_tables(old, Settings())
    for frame, spec in ((tables.contracts, CONTRACTS), (tables.usage, USAGE), (tables.price_index, PRICE_INDEX),
                        (tables.price_tiers, PRICE_TIERS)):
        assert list(frame.columns) == list(spec.column_names) and len(frame) == 0


def test_the_column_order_is_the_shared_contracts_then_ours():
    assert CONTRACT_HEADER == ["contract_id", "customer_id", "description", "quantity", "unit_price", "currency",
                               "tax_code", "period", "start_date", "end_date", "anchor_day", "timing", "proration",
                               "price_change", "notice_date", "minimum_term_months", "on_hold", "usage_pricing"]
    assert USAGE.column_names == ("contract_id", "date", "quantity", "note")
    assert BILLING_RUN.column_names == ("contract_id", "period_from", "period_to", "invoice_key", "net", "note",
                                        "description", "customer_id", "quantity", "unit_price", "rule")
    # a calendar: a column per month, so the chart of the TOTAL rows shows the months side by side
    assert BILLING_PLAN.header(["2027-01", "2027-02"]) == ("customer_id", "currency", "2027-01", "2027-02", "total")
    assert all(s.optional for s in (CONTRACTS, USAGE, PRICE_INDEX, PRICE_TIERS))
    assert spec_for("billingrun") is BILLING_RUN and spec_for("PRICETIERS") is PRICE_TIERS


CASES = [
    # Contracts
    (("Contracts", 2, "customer_id", "C9"), [(E, "Contracts!B2", "unknown_customer")]),
    (("Contracts", 2, "description", None), [(E, "Contracts!C2", "required")]),
    (("Contracts", 3, "description", "Hosting"), [(E, "Contracts!C3", "duplicate_contract_line")]),
    (("Contracts", 4, "description", "Hosting"), []),  # another contract may have a line so named
    (("Contracts", 2, "quantity", -1), []),  # a credit line
    (("Contracts", 2, "quantity", "one"), [(E, "Contracts!D2", "invalid_number")]),
    (("Contracts", 2, "unit_price", -490), [(E, "Contracts!E2", "negative_amount")]),
    (("Contracts", 2, "currency", "EURO"), [(E, "Contracts!F2", "unknown_currency")]),
    (("Contracts", 2, "tax_code", "S16"), [(E, "Contracts!G2", "unknown_tax_code")]),
    (("Contracts", 2, "tax_code", None), [(E, "Contracts!G2", "required")]),
    (("Contracts", 2, "period", "weekly"), [(E, "Contracts!H2", "invalid_period")]),
    (("Contracts", 2, "period", "every_0_months"), [(E, "Contracts!H2", "invalid_period")]),
    (("Contracts", 2, "period", "every_121_months"), [(E, "Contracts!H2", "invalid_period")]),
    (("Contracts", 2, "period", "Every_18_Months"), []),
    (("Contracts", 2, "period", "half_yearly"), []),
    (("Contracts", 2, "start_date", None), [(E, "Contracts!I2", "required")]),
    (("Contracts", 2, "start_date", "1.1.2026"), [(E, "Contracts!I2", "invalid_date")]),
    (("Contracts", 4, "end_date", dt.date(2026, 1, 30)), [(E, "Contracts!J4", "end_before_start")]),
    (("Contracts", 4, "end_date", dt.date(2026, 1, 31)),  # one day: ends before the 12-month term
     [(W, "Contracts!J4", "before_minimum_term")]),
    (("Contracts", 4, "end_date", dt.date(2027, 1, 30)), []),  # the term's last day (31 Jan + 12 months - 1)
    (("Contracts", 4, "end_date", dt.date(2027, 1, 29)), [(W, "Contracts!J4", "before_minimum_term")]),
    (("Contracts", 4, "anchor_day", 0), [(E, "Contracts!K4", "invalid_anchor_day")]),
    (("Contracts", 4, "anchor_day", 32), [(E, "Contracts!K4", "invalid_anchor_day")]),
    (("Contracts", 4, "anchor_day", 15.5), [(E, "Contracts!K4", "invalid_integer")]),
    (("Contracts", 2, "timing", "later"), [(E, "Contracts!L2", "unknown_timing")]),
    (("Contracts", 2, "timing", "ARREARS"), []),
    (("Contracts", 2, "proration", "weeks"), [(E, "Contracts!M2", "unknown_proration")]),
    (("Contracts", 2, "price_change", "3"), [(E, "Contracts!N2", "invalid_price_change")]),
    (("Contracts", 2, "price_change", 3), [(E, "Contracts!N2", "price_change_out_of_range")]),  # 300 %
    (("Contracts", 2, "price_change", 0.025), []),  # a typed 2.5% as Excel keeps it
    (("Contracts", 2, "price_change", "-1.5 %"), []),
    (("Contracts", 2, "price_change", "-100%"), [(E, "Contracts!N2", "price_change_out_of_range")]),
    (("Contracts", 2, "price_change", "index:"), [(E, "Contracts!N2", "invalid_price_change")]),
    (("Contracts", 2, "price_change", "index:HICP"), [(E, "Contracts!N2", "unknown_price_index")]),
    (("Contracts", 2, "price_change", "Index: CPI"), []),  # January 2026 is there: the base month
    (("Contracts", 4, "start_date", dt.date(2025, 12, 31)), [(W, "Contracts!N4", "missing_base_index")]),
    (("Contracts", 4, "notice_date", dt.date(2026, 1, 30)), [(E, "Contracts!O4", "notice_before_start")]),
    (("Contracts", 4, "minimum_term_months", 0), [(E, "Contracts!P4", "invalid_minimum_term")]),
    (("Contracts", 4, "on_hold", "paused"), [(E, "Contracts!Q4", "invalid_yes_no")]),
    (("Contracts", 3, "usage_pricing", "tiered"), [(E, "Contracts!R3", "unknown_usage_pricing")]),
    (("Contracts", 4, "usage_pricing", "volume"), [(E, "Contracts!R4", "no_price_tiers")]),
    # Usage
    (("Usage", 2, "contract_id", "X1"), [(E, "Usage!A2", "unknown_contract")]),
    (("Usage", 2, "date", dt.date(2025, 12, 31)), [(W, "Usage!B2", "usage_outside_contract")]),
    (("Usage", 2, "date", "March"), [(E, "Usage!B2", "invalid_date")]),
    (("Usage", 2, "quantity", "lots"), [(E, "Usage!C2", "invalid_number")]),
    (("Usage", 2, "quantity", -20), []),  # corrects an earlier report
    (("Contracts", 3, "usage_pricing", None),  # M1's usage: which of its two lines prices it?
     [(E, "Usage!A2", "ambiguous_usage_line"), (E, "PriceTiers!A2", "tiers_without_usage_pricing"),
      (E, "PriceTiers!A3", "tiers_without_usage_pricing"), (E, "PriceTiers!A4", "tiers_without_usage_pricing")]),
    # PriceIndex
    (("PriceIndex", 3, "month", dt.date(2026, 1, 31)), [(E, "PriceIndex!B3", "duplicate_index_month")]),
    (("PriceIndex", 3, "index", "HICP"), []),
    (("PriceIndex", 3, "value", 0), [(E, "PriceIndex!C3", "index_value_not_positive")]),
    (("PriceIndex", 3, "value", None), [(E, "PriceIndex!C3", "required")]),
    # PriceTiers
    (("PriceTiers", 2, "from_quantity", 1), [(E, "PriceTiers!B2", "first_tier_not_zero")]),
    (("PriceTiers", 4, "from_quantity", 100), [(E, "PriceTiers!B4", "tiers_not_ascending")]),
    (("PriceTiers", 4, "from_quantity", 50), [(E, "PriceTiers!B4", "tiers_not_ascending")]),
    (("PriceTiers", 3, "from_quantity", -5), [(E, "PriceTiers!B3", "negative_quantity")]),
    (("PriceTiers", 3, "unit_price", -0.1), [(E, "PriceTiers!C3", "negative_amount")]),
    (("PriceTiers", 4, "contract_id", "X1"), [(E, "PriceTiers!A4", "unknown_contract")]),
    (("PriceTiers", 4, "contract_id", "Q2"), [(E, "PriceTiers!A4", "first_tier_not_zero"),
                                              (E, "PriceTiers!A4", "tiers_without_usage_pricing")]),
]


@pytest.mark.parametrize(("change", "expected"), CASES, ids=[f"{c[0]}{c[1]}-{c[2]}-{c[3]!r}" for c, _ in CASES])
def test_one_change(tmp_path, change, expected):
    sheets = with_schedules()
    set_cell(sheets, *change)
    found = findings_of(tmp_path, sheets)
    if change == ("PriceTiers", 4, "contract_id", "Q2"):  # the first tier of Q2 is at row 4, cell B4
        expected = [(E, "PriceTiers!A4", "tiers_without_usage_pricing"), (E, "PriceTiers!B4", "first_tier_not_zero")]
    assert found == sorted(expected)


def test_the_typed_tables_fill_the_defaults(tmp_path):
    sheets = with_schedules()
    set_cell(sheets, "Contracts", 2, "price_change", 0.03)
    tables = validate_book(read_book(write_book(tmp_path / "book.xlsx", sheets))).tables
    c = tables.contracts
    assert list(c.index) == [2, 3, 4]
    assert list(c["currency"]) == ["EUR", "EUR", "EUR"]  # C1's and C2's, EUR
    assert list(c["timing"]) == ["advance", "arrears", "advance"]  # blank: advance
    assert list(c["proration"]) == ["days", "days", "days"]  # blank: days
    assert list(c["period"]) == ["monthly", "quarterly", "every_2_months"]  # case-folded
    assert list(c["anchor_day"]) == [1, 1, 31]  # blank: the start date's day
    assert list(c["minimum_term_months"]) == [12, None, 12]
    assert list(c["price_change"]) == ["3%", None, "index:CPI"]  # a typed 3% (0.03) as it shows
    assert list(c["quantity"]) == [D(1), D(0), D(2)] and list(c["unit_price"]) == [D(490), D("0.5"), D(100)]
    assert list(c["usage_pricing"]) == [None, "graduated", None] and list(c["on_hold"]) == [None, None, "no"]
    assert list(tables.usage["date"]) == [dt.date(2026, 3, 14), dt.date(2026, 4, 1)]
    assert list(tables.usage["quantity"]) == [D(120), D("30.5")]
    assert list(tables.price_index["month"]) == [dt.date(2026, 1, 1), dt.date(2026, 2, 1)]  # its month's first day
    assert list(tables.price_index["value"]) == [D(100), D("100.4")]
    assert list(tables.price_tiers["from_quantity"]) == [D(0), D(100), D(1000)]


def test_a_customers_currency_is_the_contracts_default(tmp_path):
    sheets = with_schedules()
    set_cell(sheets, "Customers", 3, "currency", "CHF")
    tables = validate_book(read_book(write_book(tmp_path / "book.xlsx", sheets))).tables
    assert list(tables.contracts["currency"]) == ["EUR", "EUR", "CHF"]


def test_a_new_workbook_has_the_sheets_empty_with_dropdowns(tmp_path):
    path = create_workbook(tmp_path / "new.xlsx")
    wb = openpyxl.load_workbook(path)
    for spec in (CONTRACTS, USAGE, PRICE_INDEX, PRICE_TIERS):
        ws = wb[spec.name]
        assert [c.value for c in ws[1]] == list(spec.column_names)
        assert all(c.value is None for c in ws[2])
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in wb["Contracts"].data_validations.dataValidation}
    assert lists["H2"] == '"' + ",".join(PERIODS) + '"'  # period (every_<n>_months typed)
    assert lists["L2"] == '"advance,arrears"' and lists["M2"] == '"none,days,months"'
    assert lists["R2"] == '"volume,graduated"' and lists["B2"] == 'INDIRECT("Customers[customer_id]")'
    period = next(v for v in wb["Contracts"].data_validations.dataValidation if str(v.sqref).startswith("H2"))
    assert period.errorStyle == "warning"  # not strict: every_<n>_months is valid
    (usage,) = wb["Usage"].data_validations.dataValidation
    assert usage.formula1 == 'INDIRECT("Contracts[contract_id]")'
    assert validate_book(read_book(path)).findings == ()


def test_the_sample_has_the_contracts_the_issue_asks_for(tmp_path):
    data = generate_sample(60, seed=3)
    customers = {c["customer_id"] for c in data.customers}
    contracts = data.contracts
    assert {c["customer_id"] for c in contracts} <= customers
    by_id = {}
    for c in contracts:
        by_id.setdefault(c["contract_id"], []).append(c)
    kinds = {(c["period"], c["timing"]) for c in contracts}
    assert {("monthly", "advance"), ("yearly", "advance"), ("quarterly", "arrears")} <= kinds
    assert any(c["price_change"] == "index:CPI" for c in contracts)
    assert any(c["price_change"] == "3%" for c in contracts)
    assert any(c["anchor_day"] == 31 for c in contracts)
    (cancelled,) = [c for c in contracts if c["end_date"] is not None]
    assert cancelled["notice_date"] < cancelled["end_date"] and cancelled["end_date"].day == 17
    (usage_line,) = [c for c in contracts if c["usage_pricing"]]
    assert usage_line["period"] == "quarterly" and usage_line["usage_pricing"] == "graduated"
    months = {u["date"].replace(day=1) for u in data.usage}
    assert len(months) == 8 and {u["contract_id"] for u in data.usage} == {usage_line["contract_id"]}
    assert [t["from_quantity"] for t in data.price_tiers] == [D(0), D(100), D(1000)]
    assert [p["month"] for p in data.price_index][::11] == [dt.date(2025, 1, 1), dt.date(2025, 12, 1),
                                                             dt.date(2026, 11, 1)]
    assert len(data.price_index) == 24 and all(p["value"] > 0 for p in data.price_index)
    path = create_workbook(tmp_path / "sample.xlsx", data)
    result = validate_book(read_book(path))
    assert result.findings == ()
    assert len(result.tables.contracts) == 9 and len(result.tables.usage) == 16


def test_the_contracts_are_added_to_the_sample_without_changing_it(monkeypatch):
    """The contracts draw from their own generator: without them, everything else is as it was."""
    with_contracts = generate_sample(40, seed=5, workbook_id="w")
    monkeypatch.setattr(sample_module, "make_contracts", lambda customers, as_of, rng: ((), (), (), ()))
    without = generate_sample(40, seed=5, workbook_id="w")
    assert without.contracts == () and with_contracts.contracts
    empty = {"contracts": (), "usage": (), "price_index": (), "price_tiers": ()}
    assert dataclasses.replace(with_contracts, **empty) == without
