from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.money import minor_unit, quantize
from billing.invoicing.terms import (
    BusinessCalendar,
    Terms,
    TermsError,
    discount_date,
    due_date,
    early_payment_amount,
    month_end,
    parse_terms,
)

DE = BusinessCalendar("DE")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("NET30", Terms("NET30", "net", 30)),
        ("net 14", Terms("NET14", "net", 14)),
        ("EOM30", Terms("EOM30", "eom", 30)),
        ("DUE", Terms("DUE", "net", 0)),
        ("2/10 NET30", Terms("2/10 NET30", "net", 30, Decimal("0.02"), 10)),
        ("1.5/7 net 21", Terms("1.5/7 NET21", "net", 21, Decimal("0.015"), 7)),
        ("NET10BD", Terms("NET10BD", "bd", 10)),
        ("net 10 bd", Terms("NET10BD", "bd", 10)),
        ("NET 10BD", Terms("NET10BD", "bd", 10)),
        (" net010 BD ", Terms("NET10BD", "bd", 10)),
    ],
)
def test_parse_terms(code, expected):
    assert parse_terms(code) == expected


@pytest.mark.parametrize(
    "code",
    ["", "NET", "30", "NET-5", "2/40 NET30", "0/10 NET30", "EOM", "net30days", "2/10",
     "NET10B", "BD10", "NET BD", "EOM10BD", "2/10 NET30BD", "NET10 BDX"],
)
def test_unknown_terms(code):
    with pytest.raises(TermsError):
        parse_terms(code)


# --------------------------------------------------------------------------- due dates

D = date


@pytest.mark.parametrize(
    ("code", "issue", "expected"),
    [
        ("NET30", D(2026, 1, 15), D(2026, 2, 14)),
        ("NET30", D(2026, 1, 31), D(2026, 3, 2)),
        ("NET30", D(2028, 2, 29), D(2028, 3, 30)),  # from the leap day
        ("NET1", D(2028, 2, 28), D(2028, 2, 29)),  # onto the leap day
        ("NET1", D(2026, 2, 28), D(2026, 3, 1)),
        ("NET365", D(2028, 2, 29), D(2029, 2, 28)),
        ("NET14", D(2026, 12, 20), D(2027, 1, 3)),
        ("NET0", D(2026, 5, 5), D(2026, 5, 5)),
        ("EOM30", D(2026, 1, 15), D(2026, 3, 2)),  # 2026-01-31 + 30
        ("EOM0", D(2026, 1, 15), D(2026, 1, 31)),
        ("EOM0", D(2026, 1, 31), D(2026, 1, 31)),
        ("EOM0", D(2026, 4, 1), D(2026, 4, 30)),
        ("EOM0", D(2026, 2, 1), D(2026, 2, 28)),
        ("EOM0", D(2028, 2, 1), D(2028, 2, 29)),  # leap February
        ("EOM30", D(2028, 2, 10), D(2028, 3, 30)),  # 2028-02-29 + 30
        ("EOM30", D(2026, 2, 10), D(2026, 3, 30)),  # 2026-02-28 + 30
        ("EOM1", D(2028, 2, 29), D(2028, 3, 1)),
        ("EOM15", D(2026, 12, 5), D(2027, 1, 15)),  # December into the next year
        ("EOM60", D(2026, 12, 31), D(2027, 3, 1)),
        ("2/10 NET30", D(2026, 3, 1), D(2026, 3, 31)),
        ("1.5/7 NET21", D(2026, 12, 20), D(2027, 1, 10)),
        ("DUE", D(2026, 3, 1), D(2026, 3, 1)),
        ("DUE", D(2028, 2, 29), D(2028, 2, 29)),
    ],
)
def test_due_date(code, issue, expected):
    terms = parse_terms(code)
    assert due_date(issue, terms) == expected
    assert due_date(issue, terms, DE) == expected  # a calendar alone changes nothing


def test_month_end():
    assert [month_end(D(2028, m, 3)).day for m in range(1, 13)] == [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    assert month_end(D(2100, 2, 1)) == D(2100, 2, 28)  # not a leap year
    assert month_end(D(2000, 2, 1)) == D(2000, 2, 29)


@pytest.mark.parametrize(
    ("code", "issue", "expected"),
    [
        ("2/10 NET30", D(2026, 3, 1), D(2026, 3, 11)),
        ("2/10 NET30", D(2028, 2, 25), D(2028, 3, 6)),
        ("3/14 NET30", D(2026, 12, 20), D(2027, 1, 3)),
        ("2/0 NET30", D(2026, 3, 1), D(2026, 3, 1)),
        ("NET30", D(2026, 3, 1), None),
        ("EOM30", D(2026, 3, 1), None),
        ("DUE", D(2026, 3, 1), None),
        ("NET10BD", D(2026, 3, 1), None),
    ],
)
def test_discount_date(code, issue, expected):
    assert discount_date(issue, parse_terms(code)) == expected


def test_dates_must_be_dates():
    with pytest.raises(TypeError):
        due_date(datetime(2026, 1, 1, 12), parse_terms("NET30"))
    with pytest.raises(TypeError):
        discount_date("2026-01-01", parse_terms("2/10 NET30"))


# --------------------------------------------------------------------------- business days


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 12, 24), True),  # Christmas Eve is a working day in DE law
        (D(2026, 12, 25), False),
        (D(2026, 12, 26), False),
        (D(2026, 12, 27), False),  # Sunday
        (D(2026, 12, 28), True),
        (D(2026, 12, 31), True),
        (D(2027, 1, 1), False),
        (D(2027, 1, 4), True),
        (D(2026, 4, 3), False),  # Good Friday
        (D(2026, 4, 6), False),  # Easter Monday
        (D(2026, 5, 14), False),  # Ascension
        (D(2026, 1, 6), True),  # Epiphany is a holiday only in some states
    ],
)
def test_is_business_day_de(day, expected):
    assert DE.is_business_day(day) is expected


def test_subdivision_and_country_code():
    assert not BusinessCalendar("DE", "BY").is_business_day(D(2026, 1, 6))
    assert BusinessCalendar("de") == DE
    with pytest.raises(TermsError, match="XX"):
        BusinessCalendar("XX")
    with pytest.raises(ValueError):
        BusinessCalendar("DE", "ZZ")


@pytest.mark.parametrize(
    ("code", "issue", "expected"),
    [
        ("NET1BD", D(2026, 1, 9), D(2026, 1, 12)),  # Friday → Monday
        ("NET1BD", D(2026, 1, 10), D(2026, 1, 12)),  # Saturday → Monday
        ("NET5BD", D(2026, 1, 12), D(2026, 1, 19)),
        ("NET1BD", D(2026, 12, 24), D(2026, 12, 28)),
        ("NET3BD", D(2026, 12, 23), D(2026, 12, 29)),
        ("NET5BD", D(2026, 12, 24), D(2027, 1, 4)),  # over Christmas and New Year
        ("NET10BD", D(2026, 3, 30), D(2026, 4, 15)),  # over Easter
        ("NET0BD", D(2026, 12, 26), D(2026, 12, 26)),
    ],
)
def test_business_day_terms(code, issue, expected):
    assert due_date(issue, parse_terms(code), DE) == expected
    assert due_date(issue, parse_terms(code), DE, roll=True) == expected


def test_add_business_days_backwards():
    assert DE.add_business_days(D(2027, 1, 4), -5) == D(2026, 12, 24)
    assert DE.next_business_day(D(2026, 12, 25)) == D(2026, 12, 28)
    assert DE.next_business_day(D(2026, 12, 28)) == D(2026, 12, 28)


def test_business_days_need_a_calendar():
    with pytest.raises(TermsError, match="NET10BD needs the Settings key business_days_country"):
        due_date(D(2026, 1, 5), parse_terms("NET10BD"))
    with pytest.raises(TermsError, match="business_days_country"):
        due_date(D(2026, 1, 5), parse_terms("NET30"), roll=True)


@pytest.mark.parametrize(
    ("code", "issue", "unrolled", "rolled"),
    [
        ("NET30", D(2026, 11, 25), D(2026, 12, 25), D(2026, 12, 28)),
        ("EOM0", D(2026, 1, 15), D(2026, 1, 31), D(2026, 2, 2)),  # Saturday month end
        ("EOM0", D(2026, 11, 10), D(2026, 11, 30), D(2026, 11, 30)),  # Monday: unchanged
        ("DUE", D(2026, 12, 25), D(2026, 12, 25), D(2026, 12, 28)),
        ("2/10 NET30", D(2026, 12, 2), D(2027, 1, 1), D(2027, 1, 4)),
        ("EOM30", D(2026, 9, 10), D(2026, 10, 30), D(2026, 10, 30)),
    ],
)
def test_roll_forward(code, issue, unrolled, rolled):
    terms = parse_terms(code)
    assert due_date(issue, terms, DE) == unrolled
    assert due_date(issue, terms, DE, roll=True) == rolled


# --------------------------------------------------------------------------- early payment

ISSUE = D(2026, 3, 1)


@pytest.mark.parametrize(
    ("gross", "code", "pay", "currency", "rounding", "expected"),
    [
        ("1190.00", "2/10 NET30", D(2026, 3, 11), "EUR", "half_up", "1166.20"),  # day 10: discount
        ("1190.00", "2/10 NET30", D(2026, 3, 12), "EUR", "half_up", "1190.00"),  # day 11: none
        ("1190.00", "2/10 NET30", D(2026, 3, 1), "EUR", "half_up", "1166.20"),
        ("1190.00", "2/10 NET30", D(2026, 2, 20), "EUR", "half_up", "1166.20"),  # paid before issue
        ("1190.00", "NET30", D(2026, 3, 2), "EUR", "half_up", "1190.00"),
        ("1190.00", "DUE", D(2026, 3, 1), "EUR", "half_up", "1190.00"),
        ("100.10", "1.5/7 NET21", D(2026, 3, 8), "EUR", "half_up", "98.60"),  # 98.5985
        ("1.25", "2/10 NET30", D(2026, 3, 2), "EUR", "half_up", "1.23"),  # 1.225: a tie
        ("1.25", "2/10 NET30", D(2026, 3, 2), "EUR", "half_even", "1.22"),
        ("12345", "2/10 NET30", D(2026, 3, 5), "JPY", "half_up", "12098"),  # 12098.1
        ("25", "2/10 NET30", D(2026, 3, 5), "JPY", "half_up", "25"),  # 24.5
        ("25", "2/10 NET30", D(2026, 3, 5), "JPY", "half_even", "24"),
        ("12345", "2/10 NET30", D(2026, 3, 12), "JPY", "half_up", "12345"),
        ("123.457", "2/10 NET30", D(2026, 3, 5), "KWD", "half_up", "120.988"),  # 120.98786
        ("0.125", "2/10 NET30", D(2026, 3, 5), "KWD", "half_up", "0.123"),  # 0.1225
        ("0.125", "2/10 NET30", D(2026, 3, 5), "KWD", "half_even", "0.122"),
    ],
)
def test_early_payment_amount(gross, code, pay, currency, rounding, expected):
    result = early_payment_amount(Decimal(gross), parse_terms(code), ISSUE, pay, currency, rounding)
    assert isinstance(result, Decimal)
    assert str(result) == expected


@pytest.mark.parametrize(("rounding", "mode"), [("half_up", ROUND_HALF_UP), ("half_even", ROUND_HALF_EVEN)])
def test_rounding_the_payable_amount_differs_from_rounding_the_discount_at_ties(rounding, mode):
    gross, terms = Decimal("1.25"), parse_terms("2/10 NET30")
    payable = early_payment_amount(gross, terms, ISSUE, ISSUE, "EUR", rounding)
    other = gross - (gross * terms.discount_pct).quantize(Decimal("0.01"), rounding=mode)
    assert abs(payable - other) == Decimal("0.01")
    # away from ties the two agree
    gross = Decimal("1190.00")
    assert early_payment_amount(gross, terms, ISSUE, ISSUE, "EUR", rounding) == gross - quantize(
        gross * terms.discount_pct, "EUR", rounding
    )


def test_early_payment_refuses_float():
    with pytest.raises(TypeError):
        early_payment_amount(1190.0, parse_terms("2/10 NET30"), ISSUE, ISSUE, "EUR")


# --------------------------------------------------------------------------- properties

dates = st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31))
codes = st.one_of(
    st.integers(0, 400).map(lambda n: f"NET{n}"),
    st.integers(0, 400).map(lambda n: f"EOM{n}"),
    st.integers(0, 60).map(lambda n: f"NET{n}BD"),
    st.just("DUE"),
    st.tuples(st.sampled_from(["0.5", "1", "1.5", "2", "3", "99.99"]), st.integers(0, 30), st.integers(0, 90))
    .filter(lambda t: t[1] <= t[2])
    .map(lambda t: f"{t[0]}/{t[1]} NET{t[2]}"),
)
calendars = st.sampled_from([DE, BusinessCalendar("US"), BusinessCalendar("GB")])


@settings(deadline=None)
@given(codes, dates, calendars, st.booleans())
def test_due_date_is_never_before_issue(code, issue, calendar, roll):
    terms = parse_terms(code)
    due = due_date(issue, terms, calendar, roll=roll)
    assert due >= issue
    if terms.basis != "bd":
        unrolled = due_date(issue, terms)
        assert unrolled >= issue
        if terms.basis == "net":
            assert (unrolled - issue).days == terms.days
        if roll:
            assert calendar.is_business_day(due)
            assert all(not calendar.is_business_day(unrolled + timedelta(k)) for k in range((due - unrolled).days))


@settings(deadline=None)
@given(dates, st.integers(1, 40), calendars)
def test_business_day_results_are_business_days(issue, n, calendar):
    due = due_date(issue, parse_terms(f"NET{n}BD"), calendar)
    assert calendar.is_business_day(due)
    span = [issue + timedelta(k) for k in range(1, (due - issue).days + 1)]
    assert sum(calendar.is_business_day(d) for d in span) == n
    last_on_or_before_issue = issue
    while not calendar.is_business_day(last_on_or_before_issue):
        last_on_or_before_issue -= timedelta(1)
    assert calendar.add_business_days(due, -n) == last_on_or_before_issue


@settings(deadline=None)
@given(
    st.sampled_from(["EUR", "JPY", "KWD"]),
    st.integers(0, 10**12),
    st.sampled_from(["0.01", "0.5", "1", "1.5", "2", "3", "33.33", "99.99"]),
    st.integers(0, 30),
    st.sampled_from(["half_up", "half_even"]),
    dates,
    st.integers(-5, 40),
)
def test_early_payment_bounds(currency, units, pct, days, rounding, issue, paid_after):
    gross = Decimal(units).scaleb(-minor_unit(currency))
    terms = parse_terms(f"{pct}/{days} NET{days + 30}")
    pay = issue + timedelta(paid_after)
    result = early_payment_amount(gross, terms, issue, pay, currency, rounding)
    half_unit = Decimal(1).scaleb(-minor_unit(currency)) / 2
    assert result <= gross
    assert result >= gross * (1 - terms.discount_pct) - half_unit
    if paid_after <= days:
        assert abs(result - gross * (1 - terms.discount_pct)) <= half_unit
        assert result == quantize(result, currency)
    else:
        assert result == gross
