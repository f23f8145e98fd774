"""The records of `billing.schedules` from a validated workbook's typed tables, and one month's
billing in the pipeline's terms: billed lines, skipped lines, findings at their cells.

Validation has checked every cell (`period`, `price_change`, tiers…), so the parsers here do
not fail on a valid workbook. A missing PriceIndex value is an error at the line's
`price_change` cell (the domain skips the line: never a guess; here it stops the run), a
metered line whose tiers cannot price it a warning at its `usage_pricing` cell.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import AbstractSet, Mapping, NamedTuple, Sequence

from billing.book import Book
from billing.errors import Finding, error, warning
from billing.schedules.billing import bill_month
from billing.schedules.pricing import MissingIndex
from billing.schedules.records import ContractLine, Tier, UsageRecord, parse_period, parse_price_change
from billing.tables import Tables

MISSING_INDEX = "price_index_missing"
BAD_TIERS = "price_tiers_unusable"


class Records(NamedTuple):
    lines: tuple[ContractLine, ...]
    usage: tuple[UsageRecord, ...]
    tiers: tuple[Tier, ...]
    index: dict[tuple[str, dt.date], Decimal]


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _int(value: object) -> int | None:
    return None if value is None or value != value else int(value)


def _day(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def records_of(tables: Tables) -> Records:
    """Contracts, Usage, PriceTiers and PriceIndex as the domain's records (row = Excel row)."""
    c = tables.contracts
    lines = tuple(
        ContractLine(_text(r.contract_id), _text(r.customer_id), _text(r.description), Decimal(r.quantity),
                     Decimal(r.unit_price), _text(r.currency).upper(), _text(r.tax_code), parse_period(r.period),
                     _day(r.start_date), _day(r.end_date), _int(r.anchor_day), _text(r.timing) or "advance",
                     _text(r.proration) or "days", parse_price_change(r.price_change),
                     _text(r.on_hold).casefold() == "yes", _text(r.usage_pricing).casefold() or None, int(row))
        for row, r in zip(c.index, c.itertuples(index=False)))
    u = tables.usage
    usage = tuple(UsageRecord(_text(cid), _day(day), Decimal(q), int(row))
                  for row, cid, day, q in zip(u.index, u["contract_id"], u["date"], u["quantity"]))
    t = tables.price_tiers
    tiers = tuple(Tier(_text(cid), Decimal(q), Decimal(p), int(row))
                  for row, cid, q, p in zip(t.index, t["contract_id"], t["from_quantity"], t["unit_price"]))
    i = tables.price_index
    index = {(_text(name), _day(month).replace(day=1)): Decimal(v)
             for name, month, v in zip(i["index"], i["month"], i["value"])}
    return Records(lines, usage, tiers, index)


def _place(book: Book, sheet: str, column: str, row: int) -> str:
    table = book.get(sheet)
    if table is None:
        return f"{sheet}!A1"
    return table.cell(column, row) if table.has(column) else table.row(row)


def _line_of(b):
    from billing.pipeline.bill import Line

    return Line(b.contract_id, b.item, b.customer_id, b.currency, b.tax_code, b.period_from, b.period_to,
                b.quantity, b.unit_price, b.net, b.rule, b.row, b.invoice_key, b.invoice_quantity,
                b.invoice_unit_price, b.description)


def adjustments_of(records: Records, billed: Mapping, month, rounding: str, base_currency: str,
                   differing: AbstractSet = frozenset()):
    """(lines, moved): the credits and charges pro rata that `month` bills for periods billed
    before whose contract line's end date moved since — and nothing else
    (`billing.schedules.adjustments`) — and the keys of every such period (its own line is
    then not `changed_since_billed`: the difference is billed, or will be when due), of
    those in `differing` (periods the month bills again whose figures differ) at least.

    A period counts as moved only when the line as it stands, with the end date the period
    was billed with, bills it with the very figures the store recorded (its digest): any
    other change stays reported, never re-billed."""
    from billing.pipeline.bill import CREDIT, Line
    from billing.schedules.adjustments import adjustment, covered_to, due, full_period, starts_period
    from billing.schedules.billed import coverage
    from billing.schedules.billing import bill_period, invoice_key
    from billing.schedules.periods import Period

    by_key = {line.key: line for line in records.lines}
    out, moved = [], set()
    for key, cover in coverage(billed).items():
        line = by_key.get(key[:2])
        period_from, billed_to = key[2], cover.billed.period_to
        if line is None or line.metered or (covered_to(line, period_from) == cover.covered_to
                                            and key not in differing):
            continue  # the usual case, cheap: nothing moved
        if not starts_period(line, period_from):
            continue
        full = full_period(line, period_from)
        if not period_from <= billed_to <= full.full_end:
            continue
        as_billed = bill_period(line._replace(end_date=billed_to), Period(period_from, billed_to, full.full_start,
                                                                          full.full_end), records.index, rounding)
        if isinstance(as_billed, MissingIndex) or _line_of(as_billed).digest() != cover.billed.terms_digest:
            continue  # changed otherwise: reported when its month is billed, never adjusted
        moved.add(key)
        change = adjustment(line, period_from, cover.covered_to, records.index, rounding)
        if change is None or isinstance(change, MissingIndex) or not due(line, change, month.year, month.month):
            continue
        wanted = invoice_key(line.customer_id, line.currency, (month.year, month.month), base_currency)
        credit = change.kind == CREDIT
        out.append(Line(line.contract_id, line.description, line.customer_id, line.currency, line.tax_code,
                        change.span_from, change.span_to, change.quantity, change.unit_price, change.net, change.rule,
                        line.row, f"{wanted}-CR" if credit else wanted, Decimal(1), abs(change.net), change.text,
                        change.kind, period_from, change.covered_to, cover.adjustments + 1,
                        cover.billed.invoice_key if credit else ""))
    return out, moved


def run_month(book: Book, records: Records, month, rounding: str, base_currency: str):
    """(lines, skipped, findings) of `month` (`billing.pipeline.bill.Line`, `.Skipped`)."""
    from billing.pipeline.bill import Skipped

    result = bill_month(records.lines, records.usage, records.tiers, records.index, (month.year, month.month),
                        rounding=rounding, base_currency=base_currency)
    lines = [_line_of(b) for b in result.lines]
    findings: list[Finding] = []
    skipped = []
    for s in result.skipped:
        if s.reason == "missing_index":
            findings.append(error(_place(book, "Contracts", "price_change", s.row), MISSING_INDEX,
                                  f"{s.contract_id} {s.description}, period {s.period_from} – {s.period_to}: "
                                  f"{s.detail}; add it (never guessed)"))
        elif s.reason == "bad_tiers":
            findings.append(warning(_place(book, "Contracts", "usage_pricing", s.row), BAD_TIERS, s.detail))
        skipped.append(Skipped(s.contract_id, s.reason, s.detail, s.description, s.period_from, s.period_to, s.row))
    return lines, skipped, findings


def plan_of(records: Records, months: Sequence, rounding: str, base_currency: str):
    """What the months would bill per month, customer and currency, and the periods left out
    (`billing.schedules.billing.plan`: a `Plan`)."""
    from billing.schedules.billing import plan

    return plan(records.lines, records.usage, records.tiers, records.index, (months[0].year, months[0].month),
                (months[-1].year, months[-1].month), rounding=rounding, base_currency=base_currency)


def plan_findings(book: Book, skipped: Sequence) -> list[Finding]:
    """A warning at the line's cell for every period the plan leaves out: a PriceIndex value
    missing for its month (at `price_change`; the plan is a forecast, so it goes on without
    it, but says so — never a guess) or tiers that cannot price it (at `usage_pricing`)."""
    out = []
    for s in skipped:
        column, rule = ("price_change", MISSING_INDEX) if s.reason == "missing_index" else ("usage_pricing", BAD_TIERS)
        out.append(warning(_place(book, "Contracts", column, s.row), rule,
                           f"{s.contract_id} {s.description}, period {s.period_from} – {s.period_to} is left out of "
                           f"the plan of {s.month:%Y-%m}: {s.detail}"))
    return out
