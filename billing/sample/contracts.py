"""The sample's billing schedules: contracts, their usage, a price index and usage tiers.

Added beside the rest, never changing it: the contracts bill the sample's customers but add no
invoice, line or payment, and their choices come from their own generator
(`part_rng(seed, "contracts")`), so every other part draws what it drew before. Dates are
set from the as-of year Y (2026 by default), so the contracts have a history before the
as-of date and a future after it:

- `SUB-001` monthly in advance: managed hosting with a second line (backup storage);
- `SUB-002` yearly in advance, no proration (a licence year is a year);
- `SUB-003` quarterly in arrears: a support retainer, and a usage line priced by graduated
  tiers (0.50 per GB up to 100 GB, 0.40 to 1,000, 0.25 beyond) with usage reported over the
  months before the as-of date;
- `SUB-004` monthly with an index clause `index:CPI`;
- `SUB-005` monthly, cancelled mid-period: notice given, end date on the 17th of a month
  (after its minimum term of 12 months);
- `SUB-006` monthly anchored on the 31st (30th, 28th/29th in shorter months);
- `SUB-007` monthly with a 3 % price change on each anniversary.

The `CPI` values of the PriceIndex sheet (monthly, Y-1 and Y) are illustrative, made up for
the sample: 100.0 in January of Y-1, rising 0.2 a month. They are not any statistics
office's figures.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Sequence

from billing.contract import CONTRACTS, PRICE_INDEX, PRICE_TIERS, USAGE, SheetSpec
from billing.sample.data import Row

#: graduated usage tiers of SUB-003: (from GB, price per GB)
USAGE_TIERS = ((Decimal(0), Decimal("0.50")), (Decimal(100), Decimal("0.40")), (Decimal(1000), Decimal("0.25")))
INDEX_NAME = "CPI"


def make_contracts(customers: Sequence[Row], as_of: date, rng: random.Random) \
        -> tuple[tuple[Row, ...], tuple[Row, ...], tuple[Row, ...], tuple[Row, ...]]:
    """(contracts, usage, price_index, price_tiers) rows for the sample's customers."""
    domestic = [c for c in customers if c.get("country") == "DE"] or list(customers)
    pool = rng.sample(domestic, min(7, len(domestic)))
    who = [pool[n % len(pool)]["customer_id"] for n in range(7)]
    y = as_of.year

    def line(n: int, contract: str, description: str, quantity: object, price: str, period: str, start: date,
             **more: object) -> Row:
        return {"contract_id": contract, "customer_id": who[n], "description": description, "quantity": quantity,
                "unit_price": Decimal(price), "tax_code": "S19", "period": period, "start_date": start, **more}

    contracts = [
        line(0, "SUB-001", "Managed hosting", 1, "490.00", "monthly", date(y - 1, 2, 1), timing="advance"),
        line(0, "SUB-001", "Backup storage (per TB)", rng.randint(2, 5), "25.00", "monthly", date(y - 1, 2, 1),
             timing="advance"),
        line(1, "SUB-002", "Software licence, yearly", rng.randint(5, 20), "180.00", "yearly", date(y - 1, 4, 15),
             timing="advance", proration="none"),
        line(2, "SUB-003", "Support retainer", 1, "1200.00", "quarterly", date(y - 1, 1, 1), timing="arrears",
             proration="days"),
        line(2, "SUB-003", "Data transfer (per GB)", 0, "0.50", "quarterly", date(y - 1, 1, 1), timing="arrears",
             proration="days", usage_pricing="graduated"),
        line(3, "SUB-004", "Maintenance (indexed)", 1, "800.00", "monthly", date(y - 1, 1, 1), timing="advance",
             price_change=f"index:{INDEX_NAME}"),
        line(4, "SUB-005", "Office workspace", rng.randint(2, 6), "350.00", "monthly", date(y - 1, 6, 1),
             end_date=date(y, 9, 17), notice_date=date(y, 8, 1), minimum_term_months=12, timing="advance",
             proration="days"),
        line(5, "SUB-006", "Payroll service", 1, "240.00", "monthly", date(y, 1, 31), anchor_day=31,
             timing="advance", proration="days"),
        line(6, "SUB-007", "Consulting hours package", 10, "95.00", "monthly", date(y - 1, 7, 1), timing="advance",
             price_change="3%"),
    ]
    usage = []
    month = date(as_of.year, as_of.month, 1)
    for back in range(8, 0, -1):  # the eight months before the as-of month, two reports each
        first = _months_before(month, back)
        for day in (14, 28):
            gigabytes = Decimal(rng.randint(20, 700))
            usage.append({"contract_id": "SUB-003", "date": first.replace(day=day), "quantity": gigabytes,
                          "note": f"data transfer {first:%Y-%m}, {'first' if day == 14 else 'second'} half"})
    price_index = [{"index": INDEX_NAME, "month": date(y - 1 + k // 12, k % 12 + 1, 1),
                    "value": Decimal(1000 + 2 * k).scaleb(-1)} for k in range(24)]
    tiers = [{"contract_id": "SUB-003", "from_quantity": start, "unit_price": price} for start, price in USAGE_TIERS]
    return (_shaped(contracts, CONTRACTS), _shaped(usage, USAGE), _shaped(price_index, PRICE_INDEX),
            _shaped(tiers, PRICE_TIERS))


def _months_before(first: date, months: int) -> date:
    day = first
    for _ in range(months):
        day = (day - timedelta(days=1)).replace(day=1)
    return day


def _shaped(rows, spec: SheetSpec) -> tuple[Row, ...]:
    """Rows with exactly the sheet's contract columns, in its order (blank: None)."""
    return tuple({name: row.get(name) for name in spec.column_names} for row in rows)
