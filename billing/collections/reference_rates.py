"""The reference rates of late-payment interest a new workbook's InterestRates sheet ships with.

Directive 2011/7/EU Art. 2(12): the reference rate of a half-year is the interest rate the
European Central Bank applied to its most recent main refinancing operation before the first
calendar day of that half-year (1 January, 1 July). Source: ECB, "Key ECB interest rates",
https://www.ecb.europa.eu/stats/policy_and_exchange_rates/key_ecb_interest_rates/html/index.en.html
(main refinancing operations, fixed rate).

The list ends with the last half-year known when it was written: later half-years are the
user's to add to the InterestRates sheet. Member states may name another rate: Germany's
§ 288 BGB uses the Bundesbank's Basiszinssatz (§ 247 BGB) instead, which a German seller
enters in place of these.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

SOURCE = "https://www.ecb.europa.eu/stats/policy_and_exchange_rates/key_ecb_interest_rates/html/index.en.html"

#: (valid_from, rate as a fraction): the ECB main refinancing operations rate per half-year
ECB_REFERENCE_RATES: tuple[tuple[dt.date, Decimal], ...] = (
    (dt.date(2022, 7, 1), Decimal("0.0000")),
    (dt.date(2023, 1, 1), Decimal("0.0250")),
    (dt.date(2023, 7, 1), Decimal("0.0400")),
    (dt.date(2024, 1, 1), Decimal("0.0450")),
    (dt.date(2024, 7, 1), Decimal("0.0425")),
    (dt.date(2025, 1, 1), Decimal("0.0315")),
    (dt.date(2025, 7, 1), Decimal("0.0215")),
)


def reference_rate_rows() -> tuple[dict[str, object], ...]:
    """The InterestRates rows of a new workbook, by contract column name."""
    return tuple({"valid_from": day, "rate": rate} for day, rate in ECB_REFERENCE_RATES)
