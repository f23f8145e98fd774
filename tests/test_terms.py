from decimal import Decimal

import pytest

from billing.terms import Terms, TermsError, parse_terms


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("NET30", Terms("NET30", "net", 30)),
        ("net 14", Terms("NET14", "net", 14)),
        ("EOM30", Terms("EOM30", "eom", 30)),
        ("DUE", Terms("DUE", "net", 0)),
        ("2/10 NET30", Terms("2/10 NET30", "net", 30, Decimal("0.02"), 10)),
        ("1.5/7 net 21", Terms("1.5/7 NET21", "net", 21, Decimal("0.015"), 7)),
    ],
)
def test_parse_terms(code, expected):
    assert parse_terms(code) == expected


@pytest.mark.parametrize("code", ["", "NET", "30", "NET-5", "2/40 NET30", "0/10 NET30", "EOM", "net30days", "2/10"])
def test_unknown_terms(code):
    with pytest.raises(TermsError):
        parse_terms(code)
