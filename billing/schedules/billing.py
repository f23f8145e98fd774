"""What a month bills, and the calendar of the months ahead.

`bill_month` turns contract lines into billed lines for one calendar month, and says for
every line it does not bill why (`Skipped.reason`):

* `not_started` (the start date is after the month), `ended` (the end date is before it),
  `on_hold`, `not_due` (no period starts — in advance — or ends — in arrears — in the month),
* `already_billed` (the key (contract_id, description, period_from) is in `billed`),
* `no_usage` (a metered line with no Usage in its period), `missing_index` (an index
  clause whose PriceIndex value is missing: never a guess), `bad_tiers` (a metered line
  whose PriceTiers cannot price it), `usage_on_other_line` (a second metered line of a
  contract: the contract's usage is billed once, on its metered line with the first row).

A fixed line's net = quantity × unit price (of the period start, `pricing`) × the fraction
of a partial period (`proration`), rounded ONCE to the currency's minor unit. A metered
line (usage_pricing set) is billed in arrears for each period that ends in the month: the
quantity is its contract's Usage dated within the period, priced by its tiers; usage is
what it is, never prorated.

Each billed line carries `invoice_key`: one draft per customer and currency per month,
`BILL-<customer>-<YYYY-MM>`, `-<currency>` appended when it is not the base currency, and
`invoice_quantity` × `invoice_unit_price` = `net` exactly (the line's own quantity and
unit price for a whole period at a flat price, else 1 × net), for an invoice line that
recomputes to the same net.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from decimal import Decimal, getcontext
from fractions import Fraction
from typing import AbstractSet, Iterable, Mapping, NamedTuple, Optional, Sequence

from billing.money import quantize
from billing.schedules.periods import Period, billed_in, month_bounds, periods_between
from billing.schedules.pricing import MissingIndex, TierError, tiered_amount, unit_price_on
from billing.schedules.proration import prorate_period, round_money
from billing.schedules.records import ContractLine, IndexValues, Tier, UsageRecord

Month = tuple[int, int]
_MEAN_PRICE = Decimal("0.000001")
#: (contract_id, description, period_from): a period billed once
BilledKey = tuple[str, str, dt.date]

REASONS = ("not_started", "ended", "on_hold", "not_due", "already_billed", "no_usage", "missing_index", "bad_tiers",
           "usage_on_other_line")


class BilledLine(NamedTuple):
    """One period of one contract line, billed."""

    contract_id: str
    customer_id: str
    currency: str
    tax_code: str
    description: str  # "<description> <from> – <to>" + " (<rule>)" when there is one
    period_from: dt.date
    period_to: dt.date
    quantity: Decimal
    unit_price: Decimal
    fraction: Fraction
    rule: str  # "17/31 days", "2/3 months", "graduated: 1000 × 0.10 + 500 × 0.08", "" for a whole period
    net: Decimal
    item: str  # the contract line's own description (the key's part)
    invoice_key: str
    invoice_quantity: Decimal
    invoice_unit_price: Decimal
    row: int

    @property
    def key(self) -> BilledKey:
        return (self.contract_id, self.item, self.period_from)


class Skipped(NamedTuple):
    """A contract line (or one of its periods) not billed, and why (`REASONS`)."""

    contract_id: str
    description: str
    reason: str
    detail: str
    period_from: Optional[dt.date] = None
    period_to: Optional[dt.date] = None
    row: int = 0


class BillingResult(NamedTuple):
    lines: tuple[BilledLine, ...]
    skipped: tuple[Skipped, ...]


def invoice_key(customer_id: str, currency: str, month: Month, base_currency: str) -> str:
    """The draft's key: `BILL-<customer>-<YYYY-MM>`, `-<currency>` when not the base currency."""
    key = f"BILL-{customer_id}-{month[0]:04d}-{month[1]:02d}"
    return key if currency == base_currency else f"{key}-{currency}"


class _Usage:
    """A contract's usage, sorted by date, summed over a period by bisection."""

    def __init__(self, records: Iterable[UsageRecord]):
        by_contract: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
        for record in records:
            by_contract[record.contract_id].append((record.date, record.quantity))
        self.dates, self.quantities = {}, {}
        for contract, items in by_contract.items():
            items.sort(key=lambda item: item[0])
            self.dates[contract] = [d for d, _ in items]
            self.quantities[contract] = [q for _, q in items]

    def within(self, contract_id: str, period: Period) -> Optional[Decimal]:
        """Total quantity dated within the period; None when there is no record at all."""
        dates = self.dates.get(contract_id)
        if not dates:
            return None
        lo = bisect.bisect_left(dates, period.start)
        hi = bisect.bisect_right(dates, period.end)
        return sum(self.quantities[contract_id][lo:hi], Decimal(0)) if hi > lo else None


def _text(line: ContractLine, period: Period, rule: str) -> str:
    text = f"{line.description} {period.start} – {period.end}"
    return f"{text} ({rule})" if rule else text


def bill_month(lines: Sequence[ContractLine], usage: Iterable[UsageRecord], tiers: Iterable[Tier],
               index: IndexValues, month: Month, *, rounding: str, base_currency: str,
               billed: AbstractSet[BilledKey] = frozenset()) -> BillingResult:
    """Bill calendar month `month` = (year, month): every period the lines owe for it that
    is not in `billed` (a Mapping key → invoice key names the invoice in the reason)."""
    year, number = month
    first, last = month_bounds(year, number)
    label = f"{year:04d}-{number:02d}"
    used = _Usage(usage)
    tiers_of, metered_row = _tiers_by_contract(tiers), _metered_rows(lines)
    out: list[BilledLine] = []
    skipped: list[Skipped] = []

    def skip(line: ContractLine, reason: str, detail: str, period: Optional[Period] = None) -> None:
        skipped.append(Skipped(line.contract_id, line.description, reason, detail,
                               period.start if period else None, period.end if period else None, line.row))

    for line in lines:
        if line.start_date > last:
            skip(line, "not_started", f"starts {line.start_date}")
            continue
        if line.end_date is not None and line.end_date < first:
            skip(line, "ended", f"ended {line.end_date}")
            continue
        if line.on_hold:
            skip(line, "on_hold", "on hold")
            continue
        if line.metered and metered_row[line.contract_id] != line.row:
            skip(line, "usage_on_other_line", f"the usage of {line.contract_id} is billed on row "
                 f"{metered_row[line.contract_id]}")
            continue
        periods = billed_in(line, year, number)
        if not periods:
            arrears = line.metered or line.timing == "arrears"
            skip(line, "not_due", f"no period {'ends' if arrears else 'starts'} in {label}"
                 f" ({'in arrears' if arrears else 'in advance'})")
            continue
        for period in periods:
            key = (line.contract_id, line.description, period.start)
            if key in billed:
                into = billed[key] if isinstance(billed, Mapping) else None
                skip(line, "already_billed", f"{period.start} – {period.end} already billed"
                     + (f" into {into}" if into else ""), period)
                continue
            if line.metered:
                billed_line = _metered(line, period, used, tiers_of.get(line.contract_id, ()), rounding, skip)
            else:
                billed_line = _fixed(line, period, index, rounding, skip)
            if billed_line is not None:
                out.append(billed_line._replace(invoice_key=invoice_key(line.customer_id, line.currency, month,
                                                                        base_currency)))
    return BillingResult(tuple(out), tuple(skipped))


def bill_period(line: ContractLine, period: Period, index: IndexValues, rounding: str):
    """One period of a fixed line as `bill_month` bills it (a `BilledLine` without invoice
    key), or the `MissingIndex` that stops it."""
    price = unit_price_on(line, period.start, index, rounding)
    if isinstance(price, MissingIndex):
        return price
    return _fixed(line, period, index, rounding, None)


def _fixed(line: ContractLine, period: Period, index: IndexValues, rounding: str, skip) -> Optional[BilledLine]:
    price = unit_price_on(line, period.start, index, rounding)
    if isinstance(price, MissingIndex):
        skip(line, "missing_index", price.message, period)
        return None
    proration = prorate_period(period, line)
    whole = proration.fraction == 1
    net = _whole_net(line.quantity, price, line.currency, rounding) if whole else None
    if net is None:
        net = round_money(Fraction(line.quantity) * Fraction(price) * proration.fraction, line.currency, rounding)
    return BilledLine(line.contract_id, line.customer_id, line.currency, line.tax_code,
                      _text(line, period, proration.rule), period.start, period.end, line.quantity, price,
                      proration.fraction, proration.rule, net, line.description, "",
                      line.quantity if whole else Decimal(1), price if whole else net, line.row)


def _whole_net(quantity: Decimal, price: Decimal, currency: str, rounding: str) -> Optional[Decimal]:
    """quantity × price rounded once, in Decimal (the fast path of a whole period) — None when
    the product might not be exact in the context's precision (then `round_money` does it)."""
    product = quantity * price
    if len(product.as_tuple().digits) >= getcontext().prec:
        return None
    return quantize(product, currency, rounding)


def _metered(line: ContractLine, period: Period, used: _Usage, tiers: Sequence[Tier], rounding: str,
             skip) -> Optional[BilledLine]:
    quantity = used.within(line.contract_id, period)
    if quantity is None:
        skip(line, "no_usage", f"no Usage of {line.contract_id} dated {period.start} – {period.end}", period)
        return None
    try:
        tiered = tiered_amount(quantity, tiers, line.usage_pricing)
    except TierError as exc:
        skip(line, "bad_tiers", f"PriceTiers of {line.contract_id}: {exc}", period)
        return None
    net = round_money(Fraction(tiered.amount), line.currency, rounding)
    # volume: the tier's price; graduated: the mean price per unit, for display (the rule shows the tiers)
    unit = tiered.unit_price if tiered.unit_price is not None else (
        (tiered.amount / quantity).quantize(_MEAN_PRICE) if quantity else Decimal(0))
    return BilledLine(line.contract_id, line.customer_id, line.currency, line.tax_code,
                      _text(line, period, tiered.rule), period.start, period.end, quantity,
                      unit, Fraction(1), tiered.rule, net,
                      line.description, "", Decimal(1), net, line.row)


class PlanRow(NamedTuple):
    """What a month would bill a customer in a currency (`month`: its first day)."""

    month: dt.date
    customer_id: str
    currency: str
    net: Decimal


class PlanSkipped(NamedTuple):
    """A period the plan leaves out of `month` (its first day), and why: `missing_index` (the
    PriceIndex value of its month is not there yet: never guessed) or `bad_tiers`."""

    month: dt.date
    contract_id: str
    description: str
    reason: str
    detail: str
    period_from: dt.date
    period_to: dt.date
    row: int


class Plan(NamedTuple):
    rows: tuple[PlanRow, ...]
    skipped: tuple[PlanSkipped, ...]


def _tiers_by_contract(tiers: Iterable[Tier]) -> dict[str, list[Tier]]:
    found: dict[str, list[Tier]] = defaultdict(list)
    for tier in tiers:
        found[tier.contract_id].append(tier)
    return found


def _metered_rows(lines: Sequence[ContractLine]) -> dict[str, int]:
    """contract_id -> the row of its first metered line: the one its Usage is billed on."""
    rows: dict[str, int] = {}
    for line in lines:
        if line.metered and (line.contract_id not in rows or line.row < rows[line.contract_id]):
            rows[line.contract_id] = line.row
    return rows


def months_between(from_month: Month, to_month: Month) -> list[Month]:
    """The calendar months from `from_month` through `to_month`, inclusive."""
    start, end = from_month[0] * 12 + from_month[1] - 1, to_month[0] * 12 + to_month[1] - 1
    return [(m // 12, m % 12 + 1) for m in range(start, end + 1)]


def plan(lines: Sequence[ContractLine], usage: Iterable[UsageRecord], tiers: Iterable[Tier], index: IndexValues,
         from_month: Month, to_month: Month, *, rounding: str, base_currency: str,
         billed: AbstractSet[BilledKey] = frozenset()) -> Plan:
    """What `bill_month` would bill each month from `from_month` through `to_month`, per
    customer and currency, creating nothing — the revenue the schedules commit. Only what
    is known is planned: a metered line plans the Usage already recorded for a period (usage
    not yet recorded is not planned, so future metered revenue shows as nothing), and a
    period whose index value is not in PriceIndex yet is left out of its month and said so
    (`skipped`: `missing_index`, never a guess; `bad_tiers` likewise). Periods in `billed`
    are left out (already invoiced). Rows by month, customer, currency; months that bill
    nothing have no row.

    Each line's periods are worked out once over the whole range (the month a period falls
    in: its start in advance, its end in arrears), not month by month."""
    first, last = dt.date(from_month[0], from_month[1], 1), month_bounds(*to_month)[1]
    used = _Usage(usage)
    tiers_of, metered_row = _tiers_by_contract(tiers), _metered_rows(lines)
    totals: dict[tuple[dt.date, str, str], Decimal] = defaultdict(Decimal)
    skipped: list[PlanSkipped] = []
    for line in lines:
        if line.on_hold or line.start_date > last or (line.end_date is not None and line.end_date < first):
            continue
        if line.metered and metered_row[line.contract_id] != line.row:
            continue
        arrears = line.timing == "arrears" or line.metered
        for period in periods_between(line.start_date, line.period_months, line.anchor_day, line.end_date,
                                      first, last):
            when = period.end if arrears else period.start
            if not first <= when <= last or (line.contract_id, line.description, period.start) in billed:
                continue
            month = when.replace(day=1)

            def skip(line, reason, detail, period=period, month=month):
                if reason != "no_usage":  # usage not recorded yet is the future, not a problem
                    skipped.append(PlanSkipped(month, line.contract_id, line.description, reason, detail,
                                               period.start, period.end, line.row))

            if line.metered:
                billed_line = _metered(line, period, used, tiers_of.get(line.contract_id, ()), rounding, skip)
            else:
                billed_line = _fixed(line, period, index, rounding, skip)
            if billed_line is not None:
                totals[(month, line.customer_id, line.currency)] += billed_line.net
    rows = tuple(PlanRow(month, customer, currency, net) for (month, customer, currency), net in sorted(totals.items()))
    return Plan(rows, tuple(sorted(skipped, key=lambda s: (s.month, s.row, s.period_from))))
