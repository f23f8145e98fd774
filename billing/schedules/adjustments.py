"""Upgrade and downgrade pro rata: a billed period whose end date moved since it was billed.

A contract line is upgraded or downgraded by ending it on a date and starting another line
on the next day. When the old line's period was already billed (in advance, or in arrears as
a stub), moving its `end_date` changes what the period covers, and only that. The rule:

* the period that starts on `period_from` covers, by the line as it stands now, `period_from`
  to `min(its full period's end, end_date)` — nothing when end_date is before period_from;
* it was billed (and perhaps adjusted before) up to `covered_to`;
* the difference is billed pro rata by the line's own rule: the days no longer covered
  (`covered_to` moved earlier) are a **credit**, −quantity × unit price × (fraction billed −
  fraction covered now); the days newly covered (`end_date` moved later, after a stub was
  billed) are a **charge**, +quantity × unit price × (fraction covered now − fraction billed).
  Under `days` and `months` that fraction is the fraction of the days between the two ends
  (`184/365 days`); under `none` a partial period is billed whole either way, so only a
  period dropped or restored whole changes anything. Rounded once, like every line;
* a credit is due at once (the next run, whatever its month); a charge when the days it
  adds would be billed: in advance when they start by the month's end, in arrears when they
  end by it.

So billed − credited over a line's life is the value of the days it ran, within a minor unit
a period (each line is rounded once). Whether the rest of the line is unchanged is the
caller's to check (`as_billed`: the period as it was billed, recomputed from the line as it
stands, compares with the store's record); a metered line is never adjusted (usage is what
it is).

>>> D = dt.date
>>> from billing.schedules.records import ContractLine
>>> licence = ContractLine("K1", "C1", "Licence", Decimal(1), Decimal(1200), "EUR", "S", 12, D(2027, 1, 1),
...                        end_date=D(2027, 6, 30))
>>> a = adjustment(licence, D(2027, 1, 1), D(2027, 12, 31), {}, "half_up")
>>> a.kind, a.span_from, a.span_to, a.net, a.rule, a.covered_to
('credit', datetime.date(2027, 7, 1), datetime.date(2027, 12, 31), Decimal('-604.93'), '184/365 days', datetime.date(2027, 6, 30))
>>> a.text
'Credit: Licence 2027-07-01 – 2027-12-31 (184/365 days)'
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple, Union

from billing.schedules.periods import Period, first_anchor, anchor_date, month_bounds, month_number
from billing.schedules.pricing import MissingIndex, unit_price_on
from billing.schedules.proration import prorate, round_money
from billing.schedules.records import ContractLine, IndexValues

_DAY = dt.timedelta(days=1)
CREDIT, CHARGE = "credit", "charge"


class Adjustment(NamedTuple):
    """What a moved end date changes in the period starting `period_from`: `kind` credit or
    charge, for the days `span_from`–`span_to`; `covered_to` the period's end as it stands
    now (`period_from` − 1 day: nothing covered); `net` negative for a credit."""

    contract_id: str
    item: str  # the contract line's description (the key's part)
    period_from: dt.date
    covered_to: dt.date
    kind: str
    span_from: dt.date
    span_to: dt.date
    quantity: Decimal
    unit_price: Decimal
    fraction: Fraction  # of the full period, signed like net
    rule: str
    net: Decimal

    @property
    def text(self) -> str:
        """The invoice line: `Credit: <description> <from> – <to> (<rule>)`, or the
        description and days charged like any billed period."""
        text = f"{self.item} {self.span_from} – {self.span_to}" + (f" ({self.rule})" if self.rule else "")
        return f"Credit: {text}" if self.kind == CREDIT else text


def full_period(line: ContractLine, period_from: dt.date) -> Period:
    """The regular period that contains the period starting `period_from` (a stub's is the
    one it is prorated against), whatever the end date: O(1), no iteration."""
    anchor, months = line.anchor, line.period_months
    first = first_anchor(line.start_date, anchor)
    if period_from == line.start_date and anchor_date(first, anchor) > line.start_date:  # the stub
        end = anchor_date(first, anchor) - _DAY
        return Period(period_from, end, anchor_date(first - months, anchor), end)
    end = anchor_date(month_number(period_from) + months, anchor) - _DAY
    return Period(period_from, end, period_from, end)


def starts_period(line: ContractLine, day: dt.date) -> bool:
    """Whether one of the line's periods (ignoring its end date) starts on `day`."""
    if day == line.start_date:
        return True
    if day < line.start_date or anchor_date(month_number(day), line.anchor) != day:
        return False
    return (month_number(day) - first_anchor(line.start_date, line.anchor)) % line.period_months == 0


def covered_to(line: ContractLine, period_from: dt.date) -> dt.date:
    """The last day the period starting `period_from` covers by the line as it stands
    (`period_from` − 1 day when its end date is before it)."""
    end = full_period(line, period_from).full_end
    if line.end_date is None or line.end_date >= end:
        return end
    return max(line.end_date, period_from - _DAY)


def _fraction(line: ContractLine, full: Period, last: dt.date) -> Fraction:
    """The fraction of the full period that `full.start`…`last` is billed for (0: nothing)."""
    if last < full.start:
        return Fraction(0)
    return prorate(full.start, last, full.full_start, full.full_end, line.proration, months=line.period_months,
                   anchor_day=line.anchor).fraction


def adjustment(line: ContractLine, period_from: dt.date, billed_to: dt.date, index: IndexValues,
               rounding: str) -> Union[Adjustment, MissingIndex, None]:
    """The credit or charge that moves the period starting `period_from`, billed up to
    `billed_to`, to what the line covers now (the module's rule); None when nothing changes
    (or the change is worth nothing, as under `none` for a period cut either way)."""
    if line.metered:
        return None
    now = covered_to(line, period_from)
    if now == billed_to:
        return None
    full = full_period(line, period_from)
    delta = _fraction(line, full, now) - _fraction(line, full, billed_to)
    if delta == 0:
        return None
    price = unit_price_on(line, period_from, index, rounding)
    if isinstance(price, MissingIndex):
        return price
    kind = CREDIT if now < billed_to else CHARGE
    span_from, span_to = (now + _DAY, billed_to) if kind == CREDIT else (billed_to + _DAY, now)
    rule = prorate(span_from, span_to, full.full_start, full.full_end, line.proration, months=line.period_months,
                   anchor_day=line.anchor).rule
    net = round_money(Fraction(line.quantity) * Fraction(price) * delta, line.currency, rounding)
    if net == 0:
        return None
    return Adjustment(line.contract_id, line.description, period_from, now, kind, span_from, span_to, line.quantity,
                      price, delta, rule, net)


def due(line: ContractLine, change: Adjustment, year: int, month: int) -> bool:
    """Whether month `year-month` bills the change: a credit at once; a charge when its days
    would be billed — in advance once they start by the month's end, in arrears once they end by it."""
    if change.kind == CREDIT:
        return True
    last = month_bounds(year, month)[1]
    return (change.span_to if line.timing == "arrears" else change.span_from) <= last
