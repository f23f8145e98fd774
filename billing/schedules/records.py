"""The records of recurring billing and the parsers of their two coded cells.

A `ContractLine` is one row of the Contracts sheet as the domain needs it (the validation
layer reads and checks the cells, then builds these); its key is (contract_id, description).
`UsageRecord` is a row of Usage, `Tier` a row of PriceTiers, and the PriceIndex sheet is a
mapping {(index name, first day of the month): value}.

`parse_period` and `parse_price_change` are the one reading of those cells (validation
checks the Contracts sheet with them, the pipeline builds the records with them, the UDFs
read their arguments with them). They raise `ScheduleValueError` (a ValueError) with a
message that reads well after "Contracts!J5: "; a percentage outside -100 %–100 % raises
its subclass `PriceChangeOutOfRange`.

>>> parse_period("quarterly"), parse_period("every_2_months"), parse_period(" Half_Yearly ")
(3, 2, 6)
>>> parse_price_change("3%"), parse_price_change("2.5 %"), parse_price_change("index:CPI")
(('percent', Decimal('3')), ('percent', Decimal('2.5')), ('index', 'CPI'))
>>> parse_price_change("") is None
True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal
from typing import Literal, Mapping, NamedTuple, Optional, Tuple, Union

from billing.contract import MAX_PERIOD_MONTHS, PERIOD_MONTHS, PERIOD_PATTERN

PriceChange = Optional[Union[Tuple[Literal["percent"], Decimal], Tuple[Literal["index"], str]]]
#: PriceIndex: (index name, first day of the month) → value.
IndexValues = Mapping[Tuple[str, dt.date], Decimal]


class ScheduleValueError(ValueError):
    """A cell of a schedule that cannot be read; the message names what is wrong and what is
    expected (the caller adds the cell)."""


class PriceChangeOutOfRange(ScheduleValueError):
    """A yearly percentage that reads but is not a price change: at or below -100 % (the
    price would vanish) or above 100 % (3 typed for 3 % reads as 300 %)."""


class ContractLine(NamedTuple):
    """One contract line. `quantity × unit_price` is the price of one full period in
    `currency`; `period_months` from `parse_period`; `end_date` is the last day of service
    (None: open-ended); `anchor_day` 1–31, None: the start date's day; `price_change` from
    `parse_price_change`; `usage_pricing` set makes it a metered line (billed from Usage in
    arrears, priced by its PriceTiers); `row` is its Excel row, for findings."""

    contract_id: str
    customer_id: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    currency: str
    tax_code: str
    period_months: int
    start_date: dt.date
    end_date: Optional[dt.date] = None
    anchor_day: Optional[int] = None
    timing: str = "advance"
    proration: str = "days"
    price_change: PriceChange = None
    on_hold: bool = False
    usage_pricing: Optional[str] = None
    row: int = 0

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the line across runs: (contract_id, description)."""
        return (self.contract_id, self.description)

    @property
    def metered(self) -> bool:
        return self.usage_pricing is not None

    @property
    def anchor(self) -> int:
        """The anchor day in effect (blank: the start date's day)."""
        return self.anchor_day if self.anchor_day is not None else self.start_date.day

    def terms_digest(self) -> str:
        """SHA-256 (hex) of the terms that decide what a period costs — everything but `row`
        and `on_hold` — so a store can tell a line changed since a period was billed."""
        terms = [self.contract_id, self.customer_id, self.description, str(self.quantity), str(self.unit_price),
                 self.currency, self.tax_code, str(self.period_months), self.start_date.isoformat(),
                 self.end_date.isoformat() if self.end_date else "", str(self.anchor), self.timing, self.proration,
                 format_price_change(self.price_change), self.usage_pricing or ""]
        return hashlib.sha256("\x1f".join(terms).encode()).hexdigest()


class UsageRecord(NamedTuple):
    """A metered quantity used on a date (a row of Usage)."""

    contract_id: str
    date: dt.date
    quantity: Decimal
    row: int = 0


class Tier(NamedTuple):
    """A row of PriceTiers: from `from_quantity` units on, `unit_price` (see `pricing.tiered_amount`)."""

    contract_id: str
    from_quantity: Decimal
    unit_price: Decimal
    row: int = 0


def parse_period(value: object) -> int:
    """Months per billing period: monthly 1, quarterly 3, half_yearly 6, yearly 12,
    every_<n>_months n (1–120). Case and surrounding blanks do not matter."""
    if not isinstance(value, str):
        raise ScheduleValueError(f"period must be text such as monthly or every_2_months, not {value!r}")
    word = value.strip().lower()
    if word in PERIOD_MONTHS:
        return PERIOD_MONTHS[word]
    match = PERIOD_PATTERN.fullmatch(word)
    if match and 1 <= int(match.group(1)) <= MAX_PERIOD_MONTHS:
        return int(match.group(1))
    raise ScheduleValueError(f"period {value!r} is not one of {', '.join(PERIOD_MONTHS)} or every_<n>_months "
                             f"(n from 1 to {MAX_PERIOD_MONTHS})")


_PERCENT = re.compile(r"([+-]?\d+(?:\.\d+)?)\s*%")


def parse_price_change(value: object) -> PriceChange:
    """The `price_change` cell: blank → None; `N%` (text, N may have decimals and a sign,
    -100 < N ≤ 100) → ('percent', Decimal(N)), the yearly step in percent; `index:<name>`
    (the prefix in any case) → ('index', name). A number (a cell formatted as a percentage holds 0.03 for 3 %) is refused: it is
    ambiguous whether 3 means 3 % or 300 %; write the text `3%`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ScheduleValueError(f"price_change must be text such as 3% or index:CPI, not the number {value!r} "
                                 f"(write 3% as text)")
    text = value.strip()
    if text.lower().startswith("index:"):
        name = text[len("index:"):].strip()
        if not name:
            raise ScheduleValueError("price_change index: names no index (write index:<name>, e.g. index:CPI)")
        return ("index", name)
    match = _PERCENT.fullmatch(text)
    if match:
        percent = Decimal(match.group(1))  # the pattern admits only numbers
        if not -100 < percent <= 100:
            raise PriceChangeOutOfRange(f"price_change {value!r} is not a yearly change between -100% and 100%")
        return ("percent", percent)
    raise ScheduleValueError(f"price_change {value!r} is neither a yearly percentage such as 3% nor index:<name>")


def format_price_change(change: PriceChange) -> str:
    """The cell text of a parsed price change (`3%`, `index:CPI`, blank)."""
    if change is None:
        return ""
    kind, value = change
    return f"{value}%" if kind == "percent" else f"index:{value}"
