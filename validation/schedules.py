"""Rules of the billing-schedule sheets: Contracts, Usage, PriceIndex and PriceTiers.

A row model checks each cell's form (`check_period`, `check_price_change` here); the rules
below check the sheets against each other, each finding at the cell to change:

- Contracts: the customer and the tax code exist; a line's key (contract_id, description)
  is unique; `end_date` is not before `start_date`, `notice_date` not before `start_date`;
  an `index:<name>` price change names an index of PriceIndex (error) that has a value for
  the start date's month, the base month (warning: it may not be published yet); a line
  with `usage_pricing` has tiers in PriceTiers; an `end_date` before the end of the minimum
  term is a warning (end_date wins: billing stops there).
- Usage: its contract exists; the usage of a contract is priced by one line — the contract's
  only line, or its one line with `usage_pricing` — else it is ambiguous (error); a date
  outside the contract's life (first start to last end) is a warning.
- PriceIndex: one value per index and month (any day of a month stands for that month).
- PriceTiers: its contract exists and has a line with `usage_pricing` (else the tiers would
  be ignored); a contract's tiers, in row order, start at 0 and ascend strictly.

The period and price change are read by the domain's parsers (`billing.schedules.records`),
the one reading of those cells the pipeline builds its records with.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Iterator, NamedTuple

from billing.book import Book, SheetTable
from billing.contract import MAX_PERIOD_MONTHS
from billing.errors import Finding, error, warning
from billing.schedules.periods import add_months
from billing.schedules.records import PriceChangeOutOfRange, ScheduleValueError, parse_period, parse_price_change
from validation.fields import fail, show
from validation.rules import column, references, rows_of

def check_period(value: str) -> str:
    try:
        parse_period(value)
    except ScheduleValueError:
        raise fail("invalid_period", f"'{{value}}' is not a billing period: monthly, quarterly, half_yearly, "
                   f"yearly or every_<n>_months with n from 1 to {MAX_PERIOD_MONTHS}", value) from None
    return value


def check_price_change(value: str) -> str:
    try:
        parse_price_change(value)
    except PriceChangeOutOfRange:
        raise fail("price_change_out_of_range", "'{value}' is not a yearly change between -100% and 100%: "
                   "write 3% or 0.03, not 3", value) from None
    except ScheduleValueError:
        raise fail("invalid_price_change", "'{value}' is not a price change: blank, a yearly percentage such as "
                   "3% or index:<name> of the PriceIndex sheet", value) from None
    return value


def _index_of(value: object) -> str | None:
    """The index an `index:<name>` price change names (None: another or no price change)."""
    try:
        change = parse_price_change(value)
    except ScheduleValueError:  # the row model says so
        return None
    return change[1] if change is not None and change[0] == "index" else None


def _whole(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return int(value)
    return None


def _month(value: object) -> dt.date | None:
    return value.replace(day=1) if type(value) is dt.date else None


def index_months(index: SheetTable | None) -> dict[str, set[dt.date]]:
    """Each index name → the months it has a value for."""
    out: dict[str, set[dt.date]] = {}
    for name, month in zip(column(index, "index"), column(index, "month")):
        if name is not None:
            months = out.setdefault(name, set())
            if _month(month) is not None:
                months.add(_month(month))
    return out


def contract_rules(contracts: SheetTable, indexes: dict[str, set[dt.date]], tiered: set[str]) -> Iterator[Finding]:
    """Each contract line on its own and against the other lines, PriceIndex and PriceTiers."""
    cell = contracts.cell
    names = ("contract_id", "description", "start_date", "end_date", "notice_date", "minimum_term_months",
             "price_change", "usage_pricing")
    first: dict[tuple, int] = {}
    for row, contract, description, start, end, notice, term, change, pricing in zip(
            rows_of(contracts), *(column(contracts, n) for n in names)):
        if contract is not None and description is not None:
            seen = first.setdefault((contract, description), row)
            if seen != row:
                yield error(cell("description", row), "duplicate_contract_line",
                            f"contract '{contract}' already has a line '{description}' on row {seen}")
        started = type(start) is dt.date
        if started and type(end) is dt.date and end < start:
            yield error(cell("end_date", row), "end_before_start", f"end date {end} is before the start date {start}")
        elif started and type(end) is dt.date and _whole(term) and _whole(term) > 0:
            term_end = add_months(start, _whole(term)) - dt.timedelta(days=1)
            if end < term_end:
                yield warning(cell("end_date", row), "before_minimum_term",
                              f"the contract ends on {end}, before its minimum term of {_whole(term)} months "
                              f"runs out on {term_end}; it is billed to {end} only")
        if started and type(notice) is dt.date and notice < start:
            yield error(cell("notice_date", row), "notice_before_start",
                        f"notice date {notice} is before the start date {start}")
        name = _index_of(change)
        if name is not None:
            if name not in indexes:
                known = ", ".join(sorted(indexes)) or "none"
                yield error(cell("price_change", row), "unknown_price_index",
                            f"index '{name}' is not in the PriceIndex sheet (its indexes: {known})")
            elif started and start.replace(day=1) not in indexes[name]:
                yield warning(cell("price_change", row), "missing_base_index",
                              f"index '{name}' has no value for {start:%Y-%m}, the base month "
                              f"(the start date's): the price cannot be indexed until it has")
        if pricing is not None and contract is not None and contract not in tiered:
            yield error(cell("usage_pricing", row), "no_price_tiers",
                        f"usage_pricing {pricing} needs the tiers of contract '{contract}' in PriceTiers")


class _Life(NamedTuple):
    start: dt.date | None
    end: dt.date | None  # None: open-ended
    lines: int
    usage_lines: int


def contract_lives(contracts: SheetTable | None) -> dict[str, _Life]:
    """Each contract → its first start, last end, how many lines it has and how many price usage."""
    out: dict[str, _Life] = {}
    for contract, start, end, pricing in zip(*(column(contracts, n)
                                              for n in ("contract_id", "start_date", "end_date", "usage_pricing"))):
        if contract is None:
            continue
        life = out.get(contract, _Life(None, dt.date.min, 0, 0))
        start = start if type(start) is dt.date else None
        end = end if type(end) is dt.date else None
        out[contract] = _Life(min(d for d in (life.start, start) if d is not None) if (life.start or start) else None,
                              None if life.end is None or end is None else max(life.end, end),
                              life.lines + 1, life.usage_lines + (pricing is not None))
    return out


def unknown_contracts(table: SheetTable, lives: dict[str, _Life]) -> Iterator[Finding]:
    """Each `contract_id` of a Usage or PriceTiers row that is not in the Contracts sheet."""
    for row, contract in zip(rows_of(table), column(table, "contract_id")):
        if contract is not None and contract not in lives:
            yield error(table.cell("contract_id", row), "unknown_contract",
                        f"contract '{contract}' is not in the Contracts sheet")


def usage_rules(usage: SheetTable, lives: dict[str, _Life]) -> Iterator[Finding]:
    cell = usage.cell
    told: set[str] = set()
    for row, contract, day in zip(rows_of(usage), column(usage, "contract_id"), column(usage, "date")):
        if contract is None:
            continue
        life = lives.get(contract)
        if life is None:  # unknown_contracts says so
            continue
        if life.lines > 1 and life.usage_lines != 1 and contract not in told:
            told.add(contract)
            yield error(cell("contract_id", row), "ambiguous_usage_line",
                        f"contract '{contract}' has {life.lines} lines and {life.usage_lines} with usage_pricing: "
                        f"set usage_pricing on exactly one line, the one its usage is billed with")
        if type(day) is dt.date and ((life.start is not None and day < life.start)
                                     or (life.end is not None and day > life.end)):
            until = f"to {life.end}" if life.end is not None else "open-ended"
            yield warning(cell("date", row), "usage_outside_contract",
                          f"{day} is outside contract '{contract}' (from {life.start}, {until}): it is not billed")


def price_index_rules(index: SheetTable) -> Iterator[Finding]:
    first: dict[tuple, int] = {}
    for row, name, month in zip(rows_of(index), column(index, "index"), column(index, "month")):
        if name is None or _month(month) is None:
            continue
        seen = first.setdefault((name, _month(month)), row)
        if seen != row:
            yield error(index.cell("month", row), "duplicate_index_month",
                        f"index '{name}' already has a value for {month:%Y-%m} on row {seen}")


def price_tier_rules(tiers: SheetTable, lives: dict[str, _Life]) -> Iterator[Finding]:
    cell = tiers.cell
    last: dict[str, Decimal] = {}
    for row, contract, start in zip(rows_of(tiers), column(tiers, "contract_id"), column(tiers, "from_quantity")):
        if contract is None:
            continue
        life = lives.get(contract)
        if life is None:  # unknown_contracts says so
            continue
        if not life.usage_lines:
            yield error(cell("contract_id", row), "tiers_without_usage_pricing",
                        f"contract '{contract}' has no line with usage_pricing (volume or graduated): "
                        f"its tiers would be ignored")
        quantity = _number(start)
        if quantity is None or quantity < 0:  # not a tier start: the row model says so
            continue
        if contract not in last:
            if quantity != 0:
                yield error(cell("from_quantity", row), "first_tier_not_zero",
                            f"the first tier of contract '{contract}' must start at 0, not {show(start)}")
        elif quantity <= last[contract]:
            yield error(cell("from_quantity", row), "tiers_not_ascending",
                        f"from_quantity {show(start)} must be above the tier before it "
                        f"({show(last[contract])}): tiers ascend")
        last[contract] = quantity


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def schedule_rules(book: Book) -> Iterator[Finding]:
    """The rules of the Contracts, Usage, PriceIndex and PriceTiers sheets the workbook has."""
    contracts, usage = book.get("Contracts"), book.get("Usage")
    index, tiers = book.get("PriceIndex"), book.get("PriceTiers")
    lives = contract_lives(contracts)
    if contracts is not None:
        customers, rates = book.get("Customers"), book.get("TaxRates")
        yield from references(contracts, "customer_id", set(column(customers, "customer_id")) - {None},
                              "unknown_customer", "customer")
        yield from references(contracts, "tax_code", set(column(rates, "tax_code")) - {None},
                              "unknown_tax_code", "tax code")
        tiered = set(column(tiers, "contract_id")) - {None}
        yield from contract_rules(contracts, index_months(index), tiered)
    if usage is not None:
        yield from unknown_contracts(usage, lives)
        yield from usage_rules(usage, lives)
    if index is not None:
        yield from price_index_rules(index)
    if tiers is not None:
        yield from unknown_contracts(tiers, lives)
        yield from price_tier_rules(tiers, lives)
