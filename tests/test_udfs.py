"""The worksheet functions, called as Excel calls them (they are plain functions here):
exact results, ranges in and spilled ranges out, junk input answered with a readable
`#XLB:` text, and the same figures as the command line on the same workbook."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import re
from pathlib import Path

import openpyxl
import pytest

import udfs
from udfs import (XLB_AGING, XLB_AGING_BUCKET, XLB_DAYS_PAST_DUE, XLB_DISCOUNT_DATE, XLB_DUE_DATE,
                  XLB_DUNNING_LEVEL, XLB_EARLY_PAY_AMOUNT, XLB_GROSS, XLB_INVOICE_NO, XLB_LATE_INTEREST, XLB_LINE_NET,
                  XLB_MATCH, XLB_NET_FROM_GROSS, XLB_NEXT_BILLING_DATE, XLB_PRORATE, XLB_RF_REFERENCE, XLB_TAX, XLB_VALID_IBAN, XLB_VALID_VAT_ID)

from udfs.convert import COM_ERRORS, EXCEL_ERRORS

D = dt.date
RATES = [["valid_from", "rate"], [D(2024, 1, 1), 0.045], [D(2024, 7, 1), 0.0425]]
CASES = [
    (XLB_TAX, (100, 0.19), 19.0),
    (XLB_TAX, (0.1, 0.07), 0.01),  # 0.007 rounds up
    (XLB_TAX, (0.25, 0.1, "net", "half_even"), 0.02),  # 0.025 to even
    (XLB_TAX, (0.25, 0.1, "net", "half_up"), 0.03),
    (XLB_TAX, (10, 0.19, "gross"), 1.6),
    (XLB_TAX, (1000, 0.19, "net", None, "JPY"), 190.0),
    (XLB_TAX, (1.234, 0.1, None, None, "KWD"), 0.123),
    (XLB_GROSS, (8.4, 0.19), 10.0),
    (XLB_NET_FROM_GROSS, (10, 0.19), 8.4),
    (XLB_LINE_NET, (3, 0.1, None), 0.3),
    (XLB_LINE_NET, (3, 33.33, 0.1), 89.99),
    (XLB_DUE_DATE, (D(2026, 1, 15), "EOM30"), D(2026, 3, 2)),
    (XLB_DUE_DATE, (dt.datetime(2028, 2, 29), "NET30"), D(2028, 3, 30)),
    (XLB_DUE_DATE, ("2026-10-01", "due"), D(2026, 10, 1)),
    (XLB_DISCOUNT_DATE, (D(2026, 3, 1), "2/10 NET30"), D(2026, 3, 11)),
    (XLB_DISCOUNT_DATE, (D(2026, 3, 1), "NET30"), ""),
    (XLB_EARLY_PAY_AMOUNT, (1190, "2/10 NET30", D(2026, 3, 1), D(2026, 3, 11)), 1166.2),
    (XLB_EARLY_PAY_AMOUNT, (1190, "2/10 NET30", D(2026, 3, 1), D(2026, 3, 12)), 1190.0),
    (XLB_DAYS_PAST_DUE, (D(2026, 1, 31), D(2026, 3, 1)), 29),
    (XLB_DAYS_PAST_DUE, (D(2028, 2, 28), D(2028, 3, 1)), 2),  # leap day counted
    (XLB_AGING_BUCKET, (D(2026, 1, 1), D(2026, 1, 1)), "not_due"),
    (XLB_AGING_BUCKET, (D(2026, 1, 1), D(2026, 4, 2)), "90+"),
    (XLB_AGING_BUCKET, (D(2026, 1, 1), D(2026, 1, 20), "15,45"), "16-45"),
    # 10000 × 13.5 % × 46 / 365 + 10000 × 13.25 % × 31 / 365 = 170.136986… + 112.534246… (ECB 4.50 %, then 4.25 %)
    (XLB_LATE_INTEREST, (10000, D(2024, 5, 15), D(2024, 7, 31), 0.09), 282.67),
    (XLB_LATE_INTEREST, (1000, D(2024, 6, 20), D(2024, 7, 10), 0.09, RATES), 7.33),  # 1350/365 + 1325/365
    (XLB_LATE_INTEREST, (1000, D(2024, 6, 20), D(2024, 7, 10), 0.09, RATES[1:]), 7.33),  # no header row
    (XLB_LATE_INTEREST, (1000, "2024-06-20", "2024-07-10", None, RATES), 6.78),  # margin 8 pp: 1250/365 + 1225/365
    (XLB_LATE_INTEREST, (1200, D(2024, 3, 31), D(2024, 4, 30), 0.08, RATES, "act/360"), 12.5),  # 1200×12.5%×30/360
    (XLB_LATE_INTEREST, (100000, D(2024, 3, 31), D(2024, 4, 30), 0.08, RATES, None, "JPY"), 1027.0),  # 308219.17…
    (XLB_LATE_INTEREST, (1000, D(2024, 6, 20), D(2024, 6, 20), 0.09, RATES), 0.0),  # not overdue yet
    (XLB_DUNNING_LEVEL, (13,), 0),
    (XLB_DUNNING_LEVEL, (14,), 1),
    (XLB_DUNNING_LEVEL, (50.0,), 3),  # first reminded at 50 days: level 3 at once
    (XLB_DUNNING_LEVEL, (-5,), 0),
    (XLB_DUNNING_LEVEL, (20, "10,20"), 2),
    (XLB_DUNNING_LEVEL, (20, 30), 0),
    (XLB_DUNNING_LEVEL, (20, [[14, 28, 42]]), 1),  # the levels as a row of cells
    (XLB_DUNNING_LEVEL, (28, [[14], [28], [None]]), 2),  # ... or a column, blanks skipped
    (XLB_DUNNING_LEVEL, (20, None, 7), 1),  # grace 7: day 20 is past it and past 14
    (XLB_DUNNING_LEVEL, (14, "14,28,42", 20), 0),  # within the grace days
    (XLB_DUNNING_LEVEL, (21, "14,28,42", 20), 1),  # the first day after them
    (XLB_PRORATE, (1000, D(2026, 1, 1), D(2026, 1, 31), D(2026, 1, 15), D(2026, 1, 31)), 548.39),  # × 17/31
    (XLB_PRORATE, (1200, D(2026, 1, 1), D(2026, 3, 31), D(2026, 1, 1), D(2026, 2, 15), "months"), 614.29),  # (1+15/28)/3
    (XLB_PRORATE, (1200, D(2026, 1, 1), D(2026, 3, 31), D(2026, 1, 1), D(2026, 2, 15), "days"), 613.33),  # × 46/90
    (XLB_PRORATE, (1200, D(2026, 1, 31), D(2026, 2, 27), D(2026, 2, 1), D(2026, 2, 27), "months"), 1157.14),  # 27/28
    (XLB_PRORATE, (1200, "2026-01-01", "2026-03-31", "2026-02-01", "2026-02-10", "none"), 1200.0),
    (XLB_PRORATE, (100000, D(2026, 1, 1), D(2026, 1, 31), D(2026, 1, 15), D(2026, 1, 31), None, "JPY"), 54839.0),
    (XLB_NEXT_BILLING_DATE, (D(2026, 1, 31), "monthly", 31, D(2028, 2, 1)), D(2028, 2, 29)),
    (XLB_NEXT_BILLING_DATE, (D(2026, 1, 31), "monthly", None, D(2026, 4, 1)), D(2026, 4, 30)),
    (XLB_NEXT_BILLING_DATE, (D(2026, 1, 15), "quarterly", 1, D(2026, 2, 2)), D(2026, 5, 1)),
    (XLB_NEXT_BILLING_DATE, (D(2026, 1, 15), 3.0, 1.0, D(2026, 1, 20)), D(2026, 2, 1)),  # the stub, then quarters
    (XLB_NEXT_BILLING_DATE, (D(2026, 5, 1), "yearly", "", D(2026, 1, 1)), D(2026, 5, 1)),
    (XLB_RF_REFERENCE, ("INV-2026-000001",), "RF94INV2026000001"),
    (XLB_VALID_IBAN, ("DE89 3704 0044 0532 0130 00",), True),
    (XLB_VALID_IBAN, ("DE89 3704 0044 0532 0130 01",), False),
    (XLB_VALID_VAT_ID, ("DE136695976",), True),
    (XLB_VALID_VAT_ID, ("DE136695978",), False),
]


@pytest.mark.parametrize(("function", "args", "expected"), CASES, ids=lambda v: getattr(v, "__name__", None))
def test_exact_results(function, args, expected):
    assert function(*args) == expected


def test_a_column_in_gives_a_spilled_column_out():
    assert XLB_TAX([[100], [10], [None]], 0.19) == [[19.0], [1.9], ["#XLB: amount is empty"]]
    assert XLB_DUE_DATE([D(2026, 1, 1), D(2026, 2, 1)], "NET30") == [[D(2026, 1, 31)], [D(2026, 3, 3)]]
    assert XLB_TAX([[1, 2]], [[0.1, 0.2]]) == [[0.1, 0.4]]
    assert XLB_TAX([[1], [2]], [[0.1, 0.2]]).startswith("#XLB: the ranges amount, tax_rate must have the same shape")


#: every Excel error value, as text (what xlwings hands over with `err_to_str=True`) and as the COM
#: error number (what arrives for errors xlwings has no text for, or without `err_to_str`)
ERROR_TEXTS = sorted(EXCEL_ERRORS)
ERROR_NUMBERS = sorted(COM_ERRORS)
JUNK = [None, "", 0, "€", D(2026, 1, 1), [[1, 2], [3]], True, float("nan"), *ERROR_TEXTS, *ERROR_NUMBERS]
SCALAR_UDFS = [(XLB_TAX, 2), (XLB_GROSS, 2), (XLB_NET_FROM_GROSS, 2), (XLB_LINE_NET, 3), (XLB_DUE_DATE, 2),
               (XLB_DISCOUNT_DATE, 2), (XLB_EARLY_PAY_AMOUNT, 4), (XLB_DAYS_PAST_DUE, 2), (XLB_AGING_BUCKET, 3),
               (XLB_RF_REFERENCE, 1), (XLB_VALID_IBAN, 1), (XLB_VALID_VAT_ID, 1), (XLB_INVOICE_NO, 2),
               (XLB_AGING, 3), (XLB_MATCH, 2), (XLB_LATE_INTEREST, 7), (XLB_DUNNING_LEVEL, 3),
               (XLB_PRORATE, 7), (XLB_NEXT_BILLING_DATE, 4)]


def _flat(result):
    if isinstance(result, list):
        return [v for row in result for v in (row if isinstance(row, list) else [row])]
    return [result]


@pytest.mark.parametrize("function, arity", SCALAR_UDFS, ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_junk_input_gives_a_readable_error_never_an_exception(function, arity, junk):
    for position in range(arity):
        args = [junk if n == position else _good(function, n) for n in range(arity)]
        result = function(*args)  # must not raise
        for value in _flat(result):
            assert not isinstance(value, float) or value == value  # no NaN leaks into a cell
            if isinstance(value, str) and value.startswith("#"):
                assert value.startswith("#XLB: ") and len(value) > 8


def _good(function, n):
    """A valid argument at position n (so each junk value is tried alone)."""
    table = {XLB_TAX: (100, 0.19), XLB_GROSS: (100, 0.19), XLB_NET_FROM_GROSS: (100, 0.19),
             XLB_LINE_NET: (1, 2, 0), XLB_DUE_DATE: (D(2026, 1, 1), "NET30"),
             XLB_DISCOUNT_DATE: (D(2026, 1, 1), "2/10 NET30"),
             XLB_EARLY_PAY_AMOUNT: (100, "2/10 NET30", D(2026, 1, 1), D(2026, 1, 5)),
             XLB_LATE_INTEREST: (100, D(2024, 1, 1), D(2024, 2, 1), 0.09, RATES, "act/360", "EUR"),
             XLB_DUNNING_LEVEL: (30, "14,28", 0),
             XLB_PRORATE: (1000, D(2026, 1, 1), D(2026, 1, 31), D(2026, 1, 15), D(2026, 1, 31), "months", "EUR"),
             XLB_NEXT_BILLING_DATE: (D(2026, 1, 31), "monthly", 31, D(2026, 3, 1)),
             XLB_DAYS_PAST_DUE: (D(2026, 1, 1), D(2026, 2, 1)), XLB_AGING_BUCKET: (D(2026, 1, 1), D(2026, 2, 1), None),
             XLB_RF_REFERENCE: ("INV-1",), XLB_VALID_IBAN: ("DE89370400440532013000",),
             XLB_VALID_VAT_ID: ("DE136695976",), XLB_INVOICE_NO: ("K1", "wb"),
             XLB_AGING: ([["invoice_no", "customer_id", "issue_date", "due_date", "gross"],
                          ["I1", "C1", D(2026, 1, 1), D(2026, 1, 31), 100]], None, D(2026, 3, 1)),
             XLB_MATCH: ([["payment_id", "value_date", "amount"], ["P1", D(2026, 2, 1), 100]],
                         [["invoice_no", "customer_id", "issue_date", "due_date", "gross"],
                          ["I1", "C1", D(2026, 1, 1), D(2026, 1, 31), 100]])}
    return table[function][n]


def test_junk_gives_these_messages():
    assert XLB_TAX("€", 0.19) == "#XLB: amount must be a number, not '€'"
    assert XLB_TAX(100, 19) == "#XLB: tax_rate 19 must be a fraction between 0 and 1 (19% is 0.19)"
    assert XLB_TAX(100, 0.19, "x") == "#XLB: mode must be net or gross, not 'x'"
    assert XLB_TAX(100, 0.19, None, "up") == "#XLB: unknown rounding 'up'; use one of half_up, half_even"
    assert XLB_DUE_DATE(D(2026, 1, 1), "X9").startswith("#XLB: unknown payment terms 'X9'")
    assert XLB_DUE_DATE("31.12.2026", "NET30") == "#XLB: issue_date must be a date, not '31.12.2026'"
    assert XLB_TAX("#N/A", 0.19) == "#XLB: argument amount holds #N/A"
    assert XLB_AGING("x", None, D(2026, 1, 1)) == "#XLB: invoices must be a range with a header row"
    assert XLB_AGING([["invoice_no"]], None, D(2026, 1, 1)) == \
        "#XLB: invoices has no column customer_id, issue_date, due_date, gross"
    assert XLB_INVOICE_NO("K1").startswith("#XLB: workbook_id is needed")
    assert XLB_LATE_INTEREST(100, D(2024, 1, 1), D(2024, 2, 1), 9) == \
        "#XLB: margin 9 must be a fraction between 0 and 1 (9 percentage points is 0.09)"
    assert XLB_LATE_INTEREST(100, D(2024, 1, 1), D(2024, 2, 1), None, [[D(2024, 1, 1), 4.5]]) == \
        "#XLB: rates row 1: rate 4.5 must be a fraction (4.5 % is 0.045)"
    assert XLB_LATE_INTEREST(100, D(2023, 12, 1), D(2024, 2, 1), None, RATES) == \
        "#XLB: no reference rate for 2023-12-02: the reference rates start 2024-01-01"
    assert XLB_LATE_INTEREST(100, D(2024, 1, 1), D(2024, 2, 1), None, [RATES[0], ["x", 0.04]]) == \
        "#XLB: rates row 2: valid_from must be a date, not 'x'"
    assert XLB_LATE_INTEREST(100, D(2024, 1, 1), D(2024, 2, 1), None, [RATES[0], [D(2024, 1, 1), "#N/A"]]) == \
        "#XLB: rates row 2: rate holds #N/A"
    assert XLB_LATE_INTEREST(100, D(2024, 1, 1), D(2024, 2, 1), None, [[D(2024, 1, 1), 0.04], [D(2024, 1, 1), 0.05]]) \
        == "#XLB: two reference rates from 2024-01-01: 0.04 and 0.05"
    assert XLB_LATE_INTEREST(-1, D(2024, 1, 1), D(2024, 2, 1)) == "#XLB: amount must not be negative"
    assert XLB_LATE_INTEREST(1, D(2024, 1, 1), D(2024, 2, 1), None, None, "30/360") == \
        "#XLB: day_count must be act/365 or act/360, not '30/360'"
    assert XLB_DUNNING_LEVEL(1.5) == "#XLB: days_past_due must be a whole number, not 1.5"
    assert XLB_DUNNING_LEVEL("abc") == "#XLB: days_past_due must be a number, not 'abc'"
    assert XLB_DUNNING_LEVEL(True) == "#XLB: days_past_due must be a number, not TRUE/FALSE"
    assert XLB_DUNNING_LEVEL(None) == "#XLB: days_past_due is empty"
    assert XLB_DUNNING_LEVEL(20, "a,b") == "#XLB: levels must be rising whole numbers of days like 14,28,42, not 'a,b'"
    assert XLB_DUNNING_LEVEL(20, "0,14") == "#XLB: levels must be rising whole numbers of days like 14,28,42, not '0,14'"
    assert XLB_DUNNING_LEVEL(20, [[14, 28], [42, 56]]) == "#XLB: levels must be one row or one column of cells"
    assert XLB_DUNNING_LEVEL(20, [[14, "#N/A"]]) == "#XLB: levels holds #N/A"
    assert XLB_DUNNING_LEVEL(20, [[14, float("nan")]]).startswith("#XLB: levels must be rising whole numbers")
    assert XLB_DUNNING_LEVEL(20, None, -1) == "#XLB: grace_days must be a whole number of days ≥ 0, not -1"
    assert XLB_LATE_INTEREST(100, "tomorrow", D(2024, 2, 1)) == "#XLB: due must be a date, not 'tomorrow'"
    assert XLB_LATE_INTEREST("1.000,50", D(2024, 1, 1), D(2024, 2, 1)) == \
        "#XLB: amount must be a number, not '1.000,50'"
    assert XLB_LATE_INTEREST(100, D(2024, 1, 1), D(2024, 2, 1), -0.01) == \
        "#XLB: margin -0.01 must be a fraction between 0 and 1 (9 percentage points is 0.09)"
    assert XLB_LATE_INTEREST(100, D(2024, 1, 1), D(2024, 2, 1), None, "x") == \
        "#XLB: rates must be a range of two columns: valid_from, rate"
    assert XLB_LATE_INTEREST(100, D(2024, 1, 1), D(2024, 2, 1), None, [["valid_from", "rate"], [None, None]]) == \
        "#XLB: rates has no rows"
    assert XLB_LATE_INTEREST(100, D(2024, 1, 1), D(2024, 2, 1), None, None, None, "XYZ") == \
        "#XLB: unknown currency code 'XYZ'"
    assert XLB_DUNNING_LEVEL(20, "28,14") == \
        "#XLB: levels must be rising whole numbers of days like 14,28,42, not '28,14'"


def test_schedule_functions_say_what_is_wrong():
    jan = (D(2026, 1, 1), D(2026, 1, 31))
    assert XLB_PRORATE(100, *jan, D(2026, 1, 15), D(2026, 2, 3)) == \
        "#XLB: 2026-01-15 – 2026-02-03 must lie within the period 2026-01-01 – 2026-01-31"
    assert XLB_PRORATE(100, *jan, D(2026, 1, 15), D(2026, 1, 20), "weeks") == \
        "#XLB: rule must be none, days, months, not 'weeks'"
    assert XLB_PRORATE(100, D(2026, 1, 1), D(2026, 3, 20), D(2026, 1, 2), D(2026, 1, 20), "months") == \
        "#XLB: 2026-01-01 – 2026-03-20 is not a whole number of months (use rule days)"
    assert XLB_PRORATE(100, D(2026, 2, 1), D(2026, 1, 31), *jan) == \
        "#XLB: period_end 2026-01-31 is before period_start 2026-02-01"
    assert XLB_NEXT_BILLING_DATE(D(2026, 1, 1), "weekly", None, D(2026, 2, 1)) == (
        "#XLB: period 'weekly' is not one of monthly, quarterly, half_yearly, yearly or every_<n>_months "
        "(n from 1 to 120)")
    assert XLB_NEXT_BILLING_DATE(D(2026, 1, 1), 1.5, None, D(2026, 2, 1)) == \
        "#XLB: period must be a whole number of months from 1 to 120, not 1.5"
    assert XLB_NEXT_BILLING_DATE(D(2026, 1, 1), "monthly", 32, D(2026, 2, 1)) == \
        "#XLB: anchor must be a day of the month from 1 to 31, not 32"


@pytest.mark.parametrize(("function", "position", "junk", "message"), [
    (XLB_PRORATE, 0, "€", "amount must be a number, not '€'"),
    (XLB_PRORATE, 1, "x", "period_start must be a date, not 'x'"),
    (XLB_PRORATE, 2, 0, "period_end must be a date, not '0'"),
    (XLB_PRORATE, 3, None, "from_date is empty"),
    (XLB_PRORATE, 4, "#N/A", "argument to_date holds #N/A"),
    (XLB_PRORATE, 5, D(2026, 1, 1), "rule must be text, not '2026-01-01'"),
    (XLB_PRORATE, 6, "€", "unknown currency code '€'"),
    (XLB_NEXT_BILLING_DATE, 0, "€", "start must be a date, not '€'"),
    (XLB_NEXT_BILLING_DATE, 1, 0, "period must be a whole number of months from 1 to 120, not 0"),
    (XLB_NEXT_BILLING_DATE, 1, "every_121_months", "period 'every_121_months' is not one of monthly, quarterly, "
     "half_yearly, yearly or every_<n>_months (n from 1 to 120)"),
    (XLB_NEXT_BILLING_DATE, 2, "€", "anchor must be a number, not '€'"),
    (XLB_NEXT_BILLING_DATE, 2, 0, "anchor must be a day of the month from 1 to 31, not 0"),
    (XLB_NEXT_BILLING_DATE, 3, [[1, 2], [3]], "as_of must be a rectangular range of cells"),
], ids=lambda v: getattr(v, "__name__", repr(v)))
def test_the_schedule_functions_name_the_argument_at_fault(function, position, junk, message):
    """Each argument of XLB_PRORATE and XLB_NEXT_BILLING_DATE, given junk, is named in the error."""
    arity = dict(SCALAR_UDFS)[function]
    args = [junk if n == position else _good(function, n) for n in range(arity)]
    assert function(*args) == "#XLB: " + message


def test_prorate_gives_what_bill_bills():
    """The worksheet function and `xlbilling bill`'s domain agree on a stub."""
    from decimal import Decimal

    from billing.schedules.billing import bill_month
    from billing.schedules.records import ContractLine

    line = ContractLine("K1", "C1", "Hosting", Decimal(1), Decimal("1000"), "EUR", "S", 3, D(2026, 2, 10), None, 1,
                        "advance", "months")
    (billed,) = bill_month([line], [], [], {}, (2026, 2), rounding="half_up", base_currency="EUR").lines
    assert XLB_PRORATE(1000, D(2025, 12, 1), D(2026, 2, 28), D(2026, 2, 10), D(2026, 2, 28), "months") == \
        float(billed.net) == 226.19  # 1000 × 19/28 / 3


def test_late_interest_maps_over_amounts_but_takes_rates_whole():
    assert XLB_LATE_INTEREST([[1000], [2000]], D(2024, 6, 20), D(2024, 7, 10), 0.09, RATES) == [[7.33], [14.66]]
    assert XLB_DUNNING_LEVEL([[13, 14, 28, 42]]) == [[0, 1, 2, 3]]


def test_invoice_no_looks_up_and_never_allocates(tmp_path, monkeypatch):
    from billing.numbering.registry import Request, assign
    from billing.store import open_store

    url = f"sqlite:///{tmp_path / 's.db'}"
    monkeypatch.setenv("XLBILLING_DATABASE_URL", url)
    engine = open_store(url)
    request = Request(workbook_id="wb1", invoice_key="K1", kind="invoice", customer_id="C1",
                      issue_date=D(2026, 1, 5), gross=None, currency="EUR", pattern="INV-{yyyy}-{seq:06d}",
                      place="Invoices!2:2", number=None)
    assign(engine, [request])
    assert XLB_INVOICE_NO("K1", "wb1") == "INV-2026-000001"
    assert XLB_INVOICE_NO([["K1"], ["K2"]], "wb1") == [["INV-2026-000001"], [""]]  # K2: none, and none given
    with engine.connect() as conn:
        assert conn.exec_driver_sql("select count(*) from numbers").scalar() == 1


def test_match_spills_allocations():
    result = XLB_MATCH([["Payment ID", "Value Date", "Amount", "Reference Text"],
                        ["P1", D(2026, 2, 1), 119, "Invoice INV-2026-000007 thanks"]],
                       [["invoice_no", "customer_id", "issue_date", "due_date", "gross"],
                        ["INV-2026-000007", "C1", D(2026, 1, 1), D(2026, 1, 31), 119], ["INV-2026-000008", "C2", D(2026, 1, 2),
                                                                             D(2026, 2, 1), 50]])
    assert result[0] == ["payment_id", "invoice_no", "amount", "method", "confidence"]
    assert result[1][:4] == ["P1", "INV-2026-000007", 119.0, "invoice_no"]


def _sheet(path, name):
    return [list(row) for row in openpyxl.load_workbook(path)[name].iter_rows(values_only=True)]


def test_udfs_give_the_command_lines_figures(tmp_path):
    """Aging, tax and due dates on the same closed sample workbook, by UDF and by CLI."""
    from billing.sample.demo import prepare_demo
    from test_cli import run

    files = prepare_demo(tmp_path, invoices=60, seed=2)
    args = ["close", str(files.workbook), "--as-of", "2026-10-31", "--json"]
    assert run(*args, *(a for s in files.statements for a in ("--statement", str(s)))).returncode == 0
    cli = json.loads(run("aging", str(files.workbook), "--as-of", "2026-12-31", "--json").stdout)
    invoices = _sheet(files.workbook, "Invoices")
    allocations = _sheet(files.workbook, "Allocations")
    spilled = XLB_AGING(invoices, allocations, D(2026, 12, 31))
    header = spilled[0]
    by_udf = {(r[0], r[1]): {h: round(v, 2) for h, v in zip(header[2:], r[2:])} for r in spilled[1:]}
    for row in cli["customers"]:
        if not row["customer_id"]:
            continue  # unapplied cash of unknown payers: the UDF has no Payments range
        expected = {label: float(amount) for label, amount in row["buckets"].items()}
        assert {k: v for k, v in by_udf[(row["customer_id"], row["currency"])].items() if k != "total"} == expected
    computed = {r["invoice_key"]: r for r in json.loads(run("compute", str(files.workbook), "--json").stdout)
                ["invoices"]}
    head = invoices[0]
    for row in invoices[1:]:
        record = dict(zip(head, row))
        if record["invoice_key"] is None:
            continue
        due = XLB_DUE_DATE(record["issue_date"], record["terms"] or "NET30")
        if record["terms"]:
            assert due.isoformat() == computed[record["invoice_key"]]["due_date"]


def test_every_udf_is_exported_and_documented():
    """Each is an @xw.func with a docstring (Excel's help) and an @xw.arg doc per argument.
    (Off Windows xlwings' decorators do nothing, so the source is read instead.)"""
    import ast
    import inspect
    from pathlib import Path

    found = {}
    for path in Path(udfs.__file__).parent.glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("XLB_"):
                decorators = [ast.unparse(d) for d in node.decorator_list]
                found[node.name] = (decorators, ast.get_docstring(node))
    assert sorted(found) == sorted(udfs.__all__)
    for name, (decorators, doc) in found.items():
        assert "xw.func" in decorators and doc, name
        params = set(inspect.signature(getattr(udfs, name)).parameters) - {"caller"}
        documented = {ast.literal_eval(ast.parse(d).body[0].value.args[0]) for d in decorators
                      if d.startswith("xw.arg(") and "doc=" in d}
        assert params <= documented, (name, params - documented)


def test_a_row_in_gives_a_row_out_and_a_single_cell_a_value():
    """xlwings hands every argument over as a 2-D list (ndim=2): [[v]] is one cell's value."""
    assert XLB_TAX([[1, 2, 3]], [[0.19]]) == [[0.19, 0.38, 0.57]]
    assert XLB_TAX([[100]], [[0.19]]) == 19.0
    assert XLB_DUE_DATE([[D(2026, 1, 1), D(2026, 2, 1)]], [["NET30"]]) == [[D(2026, 1, 31), D(2026, 3, 3)]]
    assert XLB_TAX([[]], 0.19) == "#XLB: amount must be a rectangular range of cells"
    assert XLB_TAX([[1, 2], [3]], 0.19) == "#XLB: amount must be a rectangular range of cells"
    assert XLB_TAX(1e300, 0.19) == "#XLB: a number too large (or not a number) to compute with"


def test_invoice_no_opens_the_store_once_for_a_whole_range(tmp_path, monkeypatch):
    import billing.store
    from billing.store import open_store
    from udfs import registry

    opened = []
    monkeypatch.setattr(billing.store, "open_store", lambda url: opened.append(url) or open_store(url))
    monkeypatch.setenv("XLBILLING_DATABASE_URL", f"sqlite:///{tmp_path / 'once.db'}")
    registry._store.cache_clear()
    assert XLB_INVOICE_NO([[f"K{n}"] for n in range(50)], "wb") == [[""]] * 50
    assert XLB_INVOICE_NO("K1", "wb") == ""
    assert opened == [f"sqlite:///{tmp_path / 'once.db'}"]
    registry._store.cache_clear()


@pytest.mark.parametrize("function, arity", SCALAR_UDFS, ids=lambda v: getattr(v, "__name__", str(v)))
def test_each_excel_error_value_is_named_with_its_argument(function, arity):
    """Never "is empty": `argument <name> holds <error>`, for every argument and every error value."""
    import inspect

    names = list(inspect.signature(function).parameters)
    for position in range(arity):
        for error in [*ERROR_TEXTS, *ERROR_NUMBERS]:
            args = [error if n == position else _good(function, n) for n in range(arity)]
            shown = error if isinstance(error, str) else COM_ERRORS[error]
            assert function(*args) == f"#XLB: argument {names[position]} holds {shown}", (function, position, error)


def test_an_error_inside_a_range_or_table_is_named_by_its_cell():
    assert XLB_TAX([[100], ["#N/A"]], 0.19) == [[19.0], ["#XLB: argument amount holds #N/A"]]
    invoices = [["invoice_no", "customer_id", "issue_date", "due_date", "gross"],
                ["I1", "C1", D(2026, 1, 1), D(2026, 1, 31), "#REF!"]]
    assert XLB_AGING(invoices, None, D(2026, 3, 1)) == "#XLB: invoices row 2, column gross holds #REF!"
    invoices[0][1] = -2146826246
    assert XLB_AGING(invoices, None, D(2026, 3, 1)) == "#XLB: invoices header, column 2 holds #N/A"


@pytest.fixture(scope="module")
def registered():
    """`udfs` under xlwings' real (Windows) decorators and its VBA wrapper generator, run as the
    add-in build runs them (`addin.udf_module`: pywin32 stubbed off Windows)."""
    from addin.udf_module import generate

    return generate()


#: the table functions and their range arguments (their other arguments are single values)
TABLE_UDFS = {"XLB_AGING": ("invoices", "allocations"), "XLB_MATCH": ("payments", "invoices")}


def test_excel_registers_every_udf_with_its_help_and_argument_options(registered):
    """What `Import Functions` gives Excel: each function's help, each argument's help, 2-D
    arguments, error values as text (`err_to_str`), native dynamic arrays (no legacy `expand`),
    and `caller` kept out of the signature a user sees."""
    assert sorted(registered.functions) == sorted(udfs.__all__)
    for name, info in registered.functions.items():
        assert info["ret"]["doc"] == getattr(udfs, name).__doc__
        assert "expand" not in info["ret"]["options"], name  # a 2-D list: Excel 365 spills it itself
        for arg in info["args"]:
            if arg["name"] == "caller":
                assert arg["vba"] == "Nothing"  # xlwings passes the calling cell here
                continue
            assert not arg["doc"].startswith("Positional argument"), (name, arg["name"])
            assert arg["options"].get("err_to_str") is True, (name, arg["name"])
            if name not in TABLE_UDFS or arg["name"] in TABLE_UDFS[name]:
                assert arg["options"].get("ndim") == 2, (name, arg["name"])
    vba = registered.source
    assert "Function XLB_TAX(amount, tax_rate, Optional mode, Optional rounding, Optional currency_code)" in vba
    assert "Function XLB_INVOICE_NO(invoice_key, Optional workbook_id)" in vba
    assert vba.count('XLPy.CallUDF("udfs", ') == 2 * len(udfs.__all__)


#: Names a UDF (or its parameter) must not take, since xlwings writes them into a VBA module
#: as VBA identifiers (case-insensitive), grouped by source:
VBA_NAMES = {
    # [MS-VBAL] VBA Language Specification, 3.3.5.2 "Reserved Identifiers and IDENTIFIER":
    # statement-keyword, marker-keyword, operator-identifier, special-form,
    # reserved-type-identifier, reserved-name, literal-identifier, rem-keyword,
    # reserved-for-implementation-use, future-reserved
    "MS-VBAL reserved identifiers": """
        Call Case Close Const Declare DefBool DefByte DefCur DefDate DefDbl DefInt DefLng DefLngLng DefLngPtr
        DefObj DefSng DefStr DefVar Dim Do Else ElseIf End EndIf Enum Erase Event Exit For Friend Function Get
        Global GoSub GoTo If Implements Input Let Lock Loop LSet Next On Open Option Print Private Public Put
        RaiseEvent ReDim Resume Return RSet Seek Select Set Static Stop Sub Type Unlock Wend While With Write
        Any As ByRef ByVal Each In New Shared Until WithEvents Optional ParamArray Preserve Spc Tab Then To
        AddressOf And Eqv Imp Is Like Mod Not Or TypeOf Xor
        Array Circle InputB LBound Scale UBound
        Boolean Byte Currency Date Double Integer Long LongLong LongPtr Single String Variant
        Abs CBool CByte CCur CDate CDbl CDec CInt CLng CLngLng CLngPtr CSng CStr CVar CVErr Debug DoEvents Fix
        Int Len LenB Me PSet Sgn
        True False Nothing Empty Null Rem
        Attribute LineInput VB_Base VB_Control VB_Creatable VB_Customizable VB_Description VB_Exposed VB_Ext_KEY
        VB_GlobalNameSpace VB_HelpID VB_Invoke_Func VB_Invoke_Property VB_Invoke_PropertyPut
        VB_Invoke_PropertyPutRef VB_MemberFlags VB_Name VB_PredeclaredId VB_ProcData VB_TemplateDerived
        VB_UserMemId VB_VarDescription VB_VarHelpID VB_VarMemberFlags VB_VarProcData VB_VarUserMemId
        CDecl Decimal DefDec""",
    # Office VBA language reference, "Data type summary" and "Keywords": types and keywords
    # that are not MS-VBAL reserved identifiers
    "VBA data types and keywords": """
        Collection Object Dictionary Property Base Binary Compare Database Explicit Module Text Access Alias
        Append Lib Line Name Output Random Read Error Step""",
    # Office VBA language reference, "Functions" (the VBA library: Conversion, DateTime,
    # FileSystem, Financial, Information, Interaction, Math, Strings)
    "VBA functions": """
        Asc AscB AscW Atn CallByName Choose Chr ChrB ChrW Command Cos CreateObject CurDir CVDate DateAdd
        DateDiff DatePart DateSerial DateValue Day DDB Dir Environ EOF Exp FileAttr FileDateTime FileLen Filter
        Format FormatCurrency FormatDateTime FormatNumber FormatPercent FreeFile FV GetAllSettings GetAttr
        GetObject GetSetting Hex Hour IIf IMEStatus InputBox InStr InStrB InStrRev IPmt IRR IsArray IsDate
        IsEmpty IsError IsMissing IsNull IsNumeric IsObject Join LCase Left LeftB LoadPicture Loc LOF Log LTrim
        MacID MacScript Mid MidB Minute MIRR Month MonthName MsgBox Now NPer NPV Oct Partition Pmt PPmt PV
        QBColor Rate Replace RGB Right RightB Rnd Round RTrim Second Shell Sin SLN Space Split Sqr Str StrComp
        StrConv StrReverse Switch SYD Tan Time Timer TimeSerial TimeValue Trim TypeName UCase Val VarType
        Weekday WeekdayName Year""",
    # Office VBA language reference, "Statements"
    "VBA statements": """
        AppActivate Beep ChDir ChDrive DeleteSetting Deftype FileCopy Kill Load MkDir Randomize Reset RmDir
        SaveSetting SendKeys SetAttr Unload Width""",
    # Excel VBA reference, "Global object" members (usable unqualified in any module) and the
    # names xlwings' generated wrapper itself uses
    "Excel globals and the wrapper's own names": """
        ActiveCell ActiveChart ActiveDialog ActiveMenuBar ActivePrinter ActiveSheet ActiveWindow ActiveWorkbook
        AddIns Application Assistant Calculate Cells Charts Columns CommandBars Creator DDEAppReturnCode
        DDEExecute DDEInitiate DDEPoke DDERequest DDETerminate DialogSheets Evaluate Excel4IntlMacroSheets
        Excel4MacroSheets ExecuteExcel4Macro Intersect MenuBars Modules Names Parent Range Rows Run Selection
        Sheets ShortcutMenus ThisWorkbook Toolbars Union Windows Workbooks WorksheetFunction Worksheets
        Caller Err XLPy CallUDF Controls Enabled Volatile failed argsArray k App xlwings""",
}
RESERVED = {name.lower(): source for source, names in VBA_NAMES.items() for name in names.split()}


def test_no_function_or_parameter_takes_a_vba_name(registered):
    """`currency` is VBA's Currency type: a wrapper with it does not compile, and then no
    function of the module works (xlwings issue #563). Checked on xlwings' own registration."""
    clashes = []
    for name, info in registered.functions.items():
        for identifier in [name] + [a["name"] for a in info["args"] if not a["vba"]]:
            if identifier.lower() in RESERVED:
                clashes.append(f"{name}({identifier}): {RESERVED[identifier.lower()]}")
    assert clashes == []
    assert RESERVED["currency"] == "MS-VBAL reserved identifiers" and RESERVED["rate"] == "VBA functions"


def test_the_generated_module_tokenizes_with_reserved_words_only_where_vba_puts_them(registered):
    """A tokenizer over the generated VBA: every identifier in a declaration (`Function f(a,
    Optional b)`) is a plain IDENTIFIER, never a reserved one; every function is there once."""
    lines = registered.source.split("\r\n")
    assert lines[0] == 'Attribute VB_Name = "xlwings_udfs"'
    declared = {}
    for line in lines:
        head = re.match(r"^Function (\w+)\(([^)]*)\)$", line)
        if head:
            params = [p.split()[-1] for p in head.group(2).split(",") if p.strip()]
            modifiers = [w for p in head.group(2).split(",") for w in p.split()[:-1]]
            assert set(modifiers) <= {"Optional"}, line
            declared[head.group(1)] = params
            for identifier in [head.group(1), *params]:
                assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", identifier) and identifier.lower() not in RESERVED, line
    assert sorted(declared) == sorted(udfs.__all__)
    assert registered.source.count("End Function") == len(udfs.__all__)
    for name, params in declared.items():  # each wrapper passes its own parameters on, in order
        assert f'XLPy.CallUDF("udfs", "{name}", Array({", ".join(params + (["Nothing"] if name == "XLB_INVOICE_NO" else []))})' \
            in registered.source, name


@pytest.mark.parametrize("amount, rate, currency", [("10.00", "0.19", "EUR"), ("100", "0.07", "EUR"),
                                                    ("-33.33", "0.19", "EUR"), ("1234", "0.1", "JPY"),
                                                    ("0.05", "0.19", "EUR"), ("99.99", "0", "EUR")])
def test_tax_udfs_round_what_invoices_compute(amount, rate, currency):
    """XLB_TAX, XLB_GROSS and XLB_NET_FROM_GROSS give what a one-line invoice of that amount
    gives (`invoicing.arithmetic`, the one tax formula `tax_of`), in net and gross prices."""
    from decimal import Decimal

    from billing.invoicing.arithmetic import Items, compute_items

    value, r = Decimal(amount), Decimal(rate)

    def invoice(price_mode: str):
        items = Items(["I1"], [Decimal(1)], [value], [Decimal(0)], [Decimal(0)], ["S"], [r], [currency])
        return compute_items(items, price_mode, "line", "half_up").iloc[0]

    net, gross = invoice("net"), invoice("gross")
    assert XLB_TAX(float(value), float(r), "net", None, currency) == float(net["tax"])
    assert XLB_GROSS(float(value), float(r), None, currency) == float(net["gross"])
    assert XLB_TAX(float(value), float(r), "gross", None, currency) == float(gross["tax"])
    assert XLB_NET_FROM_GROSS(float(value), float(r), None, currency) == float(gross["net"])


def _readme_signature(function) -> str:
    """How the README writes a function: optional arguments in brackets; xlwings' reserved
    `caller` (the calling cell, never typed in Excel) left out."""
    parameters = [p for p in inspect.signature(function).parameters.values() if p.name != "caller"]
    return f"{function.__name__}({', '.join(p.name if p.default is p.empty else f'[{p.name}]' for p in parameters)})"


def test_the_readme_lists_every_worksheet_function_with_its_arguments():
    """The README's worksheet-functions table names each function with its arguments in order
    (a row may end its list with … for arguments it shares with the row's other function)."""
    rows = [line for line in (Path(__file__).parents[1] / "README.md").read_text().splitlines()
            if line.startswith("| `XLB_")]
    written = dict(re.findall(r"(XLB_\w+)(\([^)]*\))", " ".join(row.split(" | ")[0] for row in rows)))
    assert sorted(written) == sorted(udfs.__all__)
    for name, arguments in written.items():
        expected = _readme_signature(getattr(udfs, name))
        if arguments.endswith(", …)"):
            assert expected.startswith(name + arguments[:-len("…)")]), name
        else:
            assert name + arguments == expected
