"""Late-payment interest: hand-worked exact cases (every figure below was worked by hand as
base × rate × days / 365 or / 360), and the properties that make it explainable: additive over
any split of the period, rounded once, monotone in the as-of date, never negative."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.collections.interest import (InterestError, NoReferenceRate, RateTimeline, late_interest, round_exact,
                                          shown_amounts)

day = dt.date.fromisoformat
ECB_2024 = RateTimeline.of([(day("2023-07-01"), D("0.04")), (day("2024-01-01"), D("0.045")),
                            (day("2024-07-01"), D("0.0425"))])
FLAT_3 = RateTimeline.of([(day("2020-01-01"), D("0.03"))])
NEGATIVE = RateTimeline.of([(day("2016-07-01"), D("-0.0088"))])


def seg(s):
    return (s.start.isoformat(), s.end.isoformat(), s.days, str(s.base), str(s.annual_rate), s.interest)


# (id, due, as_of, gross, reductions, disputed, rates, margin, day count, currency, rounding,
#  segments [(start, end, days, base, annual rate, exact interest)], total, shown)
CASES = [
    ("rate change 06-30/07-01", "2024-06-20", "2024-07-10", "1000.00", [], "0", ECB_2024, "0.09", "act/365", "EUR",
     "half_up", [("2024-06-21", "2024-06-30", 10, "1000.00", "0.135", F(1350, 365)),
                 ("2024-07-01", "2024-07-10", 10, "1000.00", "0.1325", F(1325, 365))], "7.33", ["3.70", "3.63"]),
    ("partial payment mid-period (README example)", "2024-05-15", "2024-09-30", "10000.00",
     [("2024-08-01", "4000.00")], "0", ECB_2024, "0.09", "act/365", "EUR", "half_up",
     [("2024-05-16", "2024-06-30", 46, "10000.00", "0.135", F(62100, 365)),
      ("2024-07-01", "2024-07-31", 31, "10000.00", "0.1325", F(41075, 365)),
      ("2024-08-01", "2024-09-30", 61, "6000.00", "0.1325", F(48495, 365))],
     "415.53", ["170.14", "112.53", "132.86"]),
    ("leap day counted, still /365", "2024-02-28", "2024-03-01", "3650.00", [], "0", ECB_2024, "0.055", "act/365",
     "EUR", "half_up", [("2024-02-29", "2024-03-01", 2, "3650.00", "0.100", F(730, 365))], "2.00", ["2.00"]),
    ("act/360", "2024-03-31", "2024-04-30", "1200.00", [], "0", FLAT_3, "0.09", "act/360", "EUR", "half_up",
     [("2024-04-01", "2024-04-30", 30, "1200.00", "0.12", F(4320, 360))], "12.00", ["12.00"]),
    ("act/365 same case", "2024-03-31", "2024-04-30", "1200.00", [], "0", FLAT_3, "0.09", "act/365", "EUR",
     "half_up", [("2024-04-01", "2024-04-30", 30, "1200.00", "0.12", F(4320, 365))], "11.84", ["11.84"]),
    ("credit note lowers the base from its issue date", "2024-03-31", "2024-04-30", "1000.00",
     [("2024-04-11", "200.00")], "0", FLAT_3, "0.09", "act/365", "EUR", "half_up",
     [("2024-04-01", "2024-04-10", 10, "1000.00", "0.12", F(1200, 365)),
      ("2024-04-11", "2024-04-30", 20, "800.00", "0.12", F(1920, 365))], "8.55", ["3.29", "5.26"]),
    ("disputed part kept out", "2024-03-31", "2024-04-30", "1000.00", [], "300.00", FLAT_3, "0.09", "act/365",
     "EUR", "half_up", [("2024-04-01", "2024-04-30", 30, "700.00", "0.12", F(2520, 365))], "6.90", ["6.90"]),
    ("dispute resolved: the whole amount again", "2024-03-31", "2024-04-30", "1000.00", [], "0", FLAT_3, "0.09",
     "act/365", "EUR", "half_up", [("2024-04-01", "2024-04-30", 30, "1000.00", "0.12", F(3600, 365))], "9.86",
     ["9.86"]),
    ("wholly disputed: nothing", "2024-03-31", "2024-04-30", "1000.00", [], "1000.00", FLAT_3, "0.09", "act/365",
     "EUR", "half_up", [], "0.00", []),
    ("negative reference rate", "2020-01-31", "2020-03-01", "5000.00", [], "0", NEGATIVE, "0.09", "act/365", "EUR",
     "half_up", [("2020-02-01", "2020-03-01", 30, "5000.00", "0.0812", F(12180, 365))], "33.37", ["33.37"]),
    ("paid before due: nothing", "2024-03-31", "2024-04-30", "1000.00", [("2024-03-15", "1000.00")], "0", FLAT_3,
     "0.09", "act/365", "EUR", "half_up", [], "0.00", []),
    ("paid on the due date: nothing", "2024-03-31", "2024-04-30", "1000.00", [("2024-03-31", "1000.00")], "0",
     FLAT_3, "0.09", "act/365", "EUR", "half_up", [], "0.00", []),
    ("paid in full mid-period: interest stops that day", "2024-03-31", "2024-04-30", "1000.00",
     [("2024-04-11", "1000.00")], "0", FLAT_3, "0.09", "act/365", "EUR", "half_up",
     [("2024-04-01", "2024-04-10", 10, "1000.00", "0.12", F(1200, 365))], "3.29", ["3.29"]),
    ("as-of before due: nothing", "2024-03-31", "2024-03-20", "1000.00", [], "0", FLAT_3, "0.09", "act/365", "EUR",
     "half_up", [], "0.00", []),
    ("as-of on the due date: nothing", "2024-03-31", "2024-03-31", "1000.00", [], "0", FLAT_3, "0.09", "act/365",
     "EUR", "half_up", [], "0.00", []),
    ("first overdue day", "2024-03-31", "2024-04-01", "36500.00", [], "0", FLAT_3, "0.07", "act/365", "EUR",
     "half_up", [("2024-04-01", "2024-04-01", 1, "36500.00", "0.10", F(3650, 365))], "10.00", ["10.00"]),
    ("a tie rounds half up", "2024-03-31", "2024-04-01", "456.25", [], "0", FLAT_3, "0.07", "act/365", "EUR",
     "half_up", [("2024-04-01", "2024-04-01", 1, "456.25", "0.10", F(125, 1000))], "0.13", ["0.13"]),
    ("a tie rounds half even", "2024-03-31", "2024-04-01", "456.25", [], "0", FLAT_3, "0.07", "act/365", "EUR",
     "half_even", [("2024-04-01", "2024-04-01", 1, "456.25", "0.10", F(125, 1000))], "0.12", ["0.12"]),
    ("JPY has no minor unit", "2024-03-31", "2024-04-30", "100000", [], "0", FLAT_3, "0.07", "act/365", "JPY",
     "half_up", [("2024-04-01", "2024-04-30", 30, "100000", "0.10", F(300000, 365))], "822", ["822"]),
    ("a rate row repeating the rate cuts nothing", "2024-06-20", "2024-07-10", "1000.00", [], "0",
     RateTimeline.of([(day("2024-01-01"), D("0.03")), (day("2024-07-01"), D("0.03"))]), "0.09", "act/365", "EUR",
     "half_up", [("2024-06-21", "2024-07-10", 20, "1000.00", "0.12", F(2400, 365))], "6.58", ["6.58"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hand_worked(case):
    _, due, as_of, gross, reductions, disputed, rates, margin, count, currency, rounding, segments, total, shown = case
    r = late_interest(day(due), day(as_of), D(gross), [(day(d), D(a)) for d, a in reductions], disputed=D(disputed),
                      rates=rates, margin=D(margin), day_count=count, currency=currency, rounding=rounding)
    assert [seg(s) for s in r.segments] == [(a, b, n, base, rate, x) for a, b, n, base, rate, x in segments]
    assert r.exact == sum((x for *_, x in segments), F(0))
    assert (str(r.total), [str(s) for s in r.shown]) == (total, shown)
    assert sum(r.shown, D(0)) == r.total


def test_segments_name_reference_rate_and_margin():
    r = late_interest(day("2024-06-20"), day("2024-07-10"), D("1000.00"), rates=ECB_2024, margin=D("0.09"))
    assert [(s.reference_rate, s.margin) for s in r.segments] == [(D("0.045"), D("0.09")), (D("0.0425"), D("0.09"))]


def test_no_rate_before_the_first_row_is_a_finding_not_a_guess():
    with pytest.raises(NoReferenceRate, match="no reference rate for 2019-12-31: the reference rates start 2020-01-01"):
        late_interest(day("2019-12-30"), day("2020-01-05"), D("100"), rates=FLAT_3, margin=D("0.09"))
    with pytest.raises(NoReferenceRate, match="no reference rates are given"):
        late_interest(day("2024-01-01"), day("2024-01-05"), D("100"), rates=RateTimeline.of([]), margin=D("0.09"))
    # nothing open on those days: no rate needed
    assert late_interest(day("2019-12-30"), day("2020-01-05"), D("100"), [(day("2019-12-01"), D("100"))],
                         rates=FLAT_3, margin=D("0.09")).total == D("0.00")


@pytest.mark.parametrize(("rows", "message"), [
    ([(day("2024-01-01"), D("0.04")), (day("2024-01-01"), D("0.045"))], "two reference rates from 2024-01-01"),
    ([("2024-01-01", D("0.04"))], "valid_from '2024-01-01' is not a date"),
    ([(day("2024-01-01"), 0.04)], "is not a Decimal"),
])
def test_bad_rate_tables(rows, message):
    with pytest.raises(InterestError, match=message):
        RateTimeline.of(rows)


def test_rate_on_is_the_latest_row_on_or_before_the_day():
    assert [ECB_2024.rate_on(day(d)) for d in ("2023-07-01", "2023-12-31", "2024-01-01", "2030-01-01")] == \
        [D("0.04"), D("0.04"), D("0.045"), D("0.0425")]
    assert RateTimeline.of([(day("2024-01-01"), D("0.04")), (day("2024-01-01"), D("0.04"))]).rows == \
        ((day("2024-01-01"), D("0.04")),)  # the same row twice is one row


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"day_count": "30/360"}, "unknown day count '30/360'"),
    ({"rounding": "up"}, "unknown rounding 'up'"),
    ({"currency": "XYZ"}, "unknown currency code 'XYZ'"),
    ({"disputed": D("-1")}, "cannot be negative"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        late_interest(day("2024-03-31"), day("2024-04-30"), D("100"), rates=FLAT_3, **{"margin": D("0.09"), **kwargs})


@pytest.mark.parametrize(("value", "currency", "rounding", "expected"), [
    (F(5, 1000), "EUR", "half_up", "0.01"), (F(5, 1000), "EUR", "half_even", "0.00"),
    (F(15, 1000), "EUR", "half_even", "0.02"), (F(-5, 1000), "EUR", "half_up", "-0.01"),
    (F(-15, 1000), "EUR", "half_even", "-0.02"), (F(1, 3), "EUR", "half_up", "0.33"),
    (F(2, 3), "JPY", "half_up", "1"), (F(12345, 10 ** 6), "KWD", "half_up", "0.012"),
])
def test_round_exact_matches_decimal_rounding(value, currency, rounding, expected):
    assert str(round_exact(value, currency, rounding)) == expected


def test_shown_amounts_with_mixed_signs_still_add_up():
    exact = [F(1234, 100000), F(-1, 1000), F(5, 1000)]  # 0.01234, -0.001, 0.005: the rate crossed zero
    total = round_exact(sum(exact), "EUR")
    assert total == D("0.02") and sum(shown_amounts(exact, total, "EUR")) == total


# --- properties --------------------------------------------------------------------------------------

START = dt.date(2019, 1, 1)
days = st.integers(0, 6 * 365).map(lambda n: START + dt.timedelta(days=n))
amounts = st.decimals(D("0.01"), D("1000000"), places=2)
rate_values = st.decimals(D("-0.01"), D("0.06"), places=4)


@st.composite
def timelines(draw):
    later = draw(st.lists(st.tuples(days, rate_values), max_size=6))
    return RateTimeline.of(dict([(START, draw(rate_values)), *later]).items())


@st.composite
def items(draw):
    gross = draw(amounts)
    due = draw(days)
    reductions = draw(st.lists(st.tuples(st.integers(-30, 500).map(lambda n: due + dt.timedelta(days=n)),
                                         st.decimals(D("0.01"), gross, places=2)), max_size=3))
    disputed = draw(st.one_of(st.just(D(0)), st.decimals(D(0), gross, places=2)))
    return due, gross, reductions, disputed


def interest(item, as_of, rates, margin, day_count="act/365", due=None):
    first, gross, reductions, disputed = item
    return late_interest(due or first, as_of, gross, reductions, disputed=disputed, rates=rates, margin=margin,
                         day_count=day_count)


@settings(max_examples=300, deadline=None)
@given(items(), timelines(), st.decimals(D("0.01"), D("0.1"), places=4), st.integers(0, 700), st.integers(0, 700),
       st.sampled_from(["act/365", "act/360"]))
def test_additive_over_any_split(item, rates, margin, first, second, day_count):
    """[due+1, c] = [due+1, b] + [b+1, c] exactly (b = c: the second part is empty); the total
    rounded once is within one minor unit of the parts rounded each."""
    due = item[0]
    b, c = due + dt.timedelta(days=first), due + dt.timedelta(days=first + second)
    whole = interest(item, c, rates, margin, day_count)
    head, tail = interest(item, b, rates, margin, day_count), interest(item, c, rates, margin, day_count, due=b)
    assert whole.exact == head.exact + tail.exact
    assert abs(whole.total - head.total - tail.total) <= D("0.01")
    assert sum(whole.shown, D(0)) == whole.total
    assert all(abs(F(s) - s_.interest) < F(1, 100) for s, s_ in zip(whole.shown, whole.segments))


@settings(max_examples=200, deadline=None)
@given(items(), timelines(), st.decimals(D("0.01"), D("0.1"), places=4), st.integers(0, 700), st.integers(0, 400))
def test_monotone_in_the_as_of_date_and_never_negative(item, rates, margin, first, more):
    """rate + margin ≥ 0 on every day here (rates ≥ −1 %, margin ≥ 1 pp)."""
    a = item[0] + dt.timedelta(days=first)
    earlier, later = interest(item, a, rates, margin), interest(item, a + dt.timedelta(days=more), rates, margin)
    assert D(0) <= earlier.total <= later.total and F(0) <= earlier.exact <= later.exact
    assert all(s >= 0 for s in later.shown)


def test_the_readme_example_with_the_shipped_ecb_rates():
    from billing.collections.reference_rates import ECB_REFERENCE_RATES

    r = late_interest(day("2024-05-15"), day("2024-09-30"), D("10000.00"), [(day("2024-08-01"), D("4000.00"))],
                      rates=RateTimeline.of(ECB_REFERENCE_RATES), margin=D("0.09"))
    assert [(s.days, str(s.base), s.reference_rate, s.interest) for s in r.segments] == [
        (46, "10000.00", D("0.045"), F(62100, 365)), (31, "10000.00", D("0.0425"), F(41075, 365)),
        (61, "6000.00", D("0.0425"), F(48495, 365))]
    assert (str(r.total), [str(s) for s in r.shown]) == ("415.53", ["170.14", "112.53", "132.86"])
