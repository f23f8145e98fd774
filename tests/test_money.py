"""Money: exact construction from cell values, named rounding, strict currency arithmetic."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.money import Money, MoneyError, format_amount, minor_unit, quantize, to_decimal, to_money


@pytest.mark.parametrize(
    ("value", "currency", "rounding", "expected"),
    [
        (0.1 + 0.2, "EUR", "half_up", "0.30"),
        (1.005, "EUR", "half_up", "1.01"),  # the float is 1.00499999…; str() gives the shown 1.005
        (2.675, "EUR", "half_up", "2.68"),
        ("2.665", "EUR", "half_even", "2.66"),
        ("2.675", "EUR", "half_even", "2.68"),
        ("-2.675", "EUR", "half_up", "-2.68"),
        (10, "EUR", "half_up", "10.00"),
        (Decimal("1500.5"), "JPY", "half_up", "1501"),
        (Decimal("1500.5"), "JPY", "half_even", "1500"),
        ("1.2345", "KWD", "half_up", "1.235"),
        ("1.2345", "BHD", "half_even", "1.234"),
        (" 19.99 ", "USD", "half_up", "19.99"),
        (1e-7, "EUR", "half_up", "0.00"),
    ],
)
def test_to_money(value, currency, rounding, expected):
    result = to_money(value, currency, rounding)
    assert result == Decimal(expected)
    assert str(result) == expected


@pytest.mark.parametrize("value", [True, None, "abc", "1,5", float("nan"), float("inf"), "NaN", object()])
def test_to_decimal_refuses_non_numbers(value):
    with pytest.raises(MoneyError):
        to_decimal(value)


@pytest.mark.parametrize(("code", "places"), [("EUR", 2), ("USD", 2), ("JPY", 0), ("KWD", 3), ("BHD", 3), ("CHF", 2)])
def test_minor_unit(code, places):
    assert minor_unit(code) == places


@pytest.mark.parametrize("code", ["eur", "XYZ", "", "EURO"])
def test_unknown_currency(code):
    with pytest.raises(MoneyError):
        minor_unit(code)


def test_unknown_rounding_mode():
    with pytest.raises(MoneyError, match="half_up"):
        quantize(Decimal("1"), "EUR", "ceiling")


@pytest.mark.parametrize(("amount", "currency", "text"), [("1190", "EUR", "1190.00"), ("5", "KWD", "5.000"), ("7", "JPY", "7")])
def test_format_amount(amount, currency, text):
    assert format_amount(Decimal(amount), currency) == text


def test_money_refuses_mixing_and_floats():
    eur, chf = Money("1.00", "EUR"), Money("1.00", "CHF")
    with pytest.raises(MoneyError):
        eur + chf
    with pytest.raises(MoneyError):
        eur < chf
    with pytest.raises(MoneyError):
        eur * 1.5
    with pytest.raises(AttributeError):
        eur.amount = Decimal(2)
    assert eur != chf
    assert eur * 3 == Money("3.00", "EUR")
    assert Money.total([eur, eur, -eur], "EUR") == eur
    assert str(Money("2.5", "EUR")) == "2.50 EUR"
    assert Money("2.675", "EUR").rounded() == Money("2.68", "EUR")


cents = st.integers(min_value=-10**12, max_value=10**12)
floats_2dp = st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@given(floats_2dp)
def test_float_cell_round_trips_to_its_shown_value(amount):
    # A two-decimal amount stored as a float by Excel reads back as exactly that amount.
    assert to_money(float(amount), "EUR") == amount


@given(st.lists(cents, max_size=50))
def test_sums_are_exact(items):
    amounts = [Decimal(c).scaleb(-2) for c in items]
    total = Money.total((Money(a, "EUR") for a in amounts), "EUR")
    assert total.amount == Decimal(sum(items)).scaleb(-2)
    assert quantize(total.amount, "EUR") == total.amount


@given(st.decimals(min_value=-10**9, max_value=10**9, allow_nan=False, allow_infinity=False),
       st.sampled_from(["half_up", "half_even"]), st.sampled_from(["EUR", "JPY", "KWD"]))
def test_rounding_is_within_half_a_minor_unit_and_idempotent(amount, rounding, currency):
    rounded = quantize(amount, currency, rounding)
    unit = Decimal(1).scaleb(-minor_unit(currency))
    assert abs(rounded - amount) <= unit / 2
    assert quantize(rounded, currency, rounding) == rounded
    assert rounded.as_tuple().exponent == -minor_unit(currency)
