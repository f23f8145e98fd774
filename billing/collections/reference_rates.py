"""The reference rate for late-payment interest that ships with xlbilling: the ECB's main
refinancing operations rate in force on the first calendar day of each half-year (Directive
2011/7/EU, Art. 2(12)), as fractions. Source: European Central Bank, "Key ECB interest
rates", https://www.ecb.europa.eu/stats/policy_and_exchange_rates/key_ecb_interest_rates/.
A workbook's `InterestRates` sheet replaces it (national reference rates such as the German
Basiszinssatz differ: use the one your law names).

(The contract's copy of this table is the one to keep when merging.)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

ECB_REFERENCE_RATES: tuple[tuple[dt.date, Decimal], ...] = (
    (dt.date(2019, 1, 1), Decimal("0.0000")),
    (dt.date(2022, 7, 1), Decimal("0.0000")),  # the first raise came on 2022-07-27
    (dt.date(2023, 1, 1), Decimal("0.0250")),
    (dt.date(2023, 7, 1), Decimal("0.0400")),
    (dt.date(2024, 1, 1), Decimal("0.0450")),
    (dt.date(2024, 7, 1), Decimal("0.0425")),
    (dt.date(2025, 1, 1), Decimal("0.0315")),
    (dt.date(2025, 7, 1), Decimal("0.0215")),
)
