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
from typing import NamedTuple, Sequence

from billing.book import Book
from billing.errors import Finding, error, warning
from billing.schedules.billing import bill_month
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


def run_month(book: Book, records: Records, month, rounding: str, base_currency: str):
    """(lines, skipped, findings) of `month` (`billing.pipeline.bill.Line`, `.Skipped`)."""
    from billing.pipeline.bill import Line, Skipped

    result = bill_month(records.lines, records.usage, records.tiers, records.index, (month.year, month.month),
                        rounding=rounding, base_currency=base_currency)
    lines = [Line(b.contract_id, b.item, b.customer_id, b.currency, b.tax_code, b.period_from, b.period_to,
                  b.quantity, b.unit_price, b.net, b.rule, b.row, b.invoice_key, b.invoice_quantity,
                  b.invoice_unit_price, b.description) for b in result.lines]
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


def plan_rows(records: Records, months: Sequence, rounding: str, base_currency: str) -> list:
    """Per month, customer and currency what the months would bill (`billing.schedules.billing.plan`)."""
    from billing.schedules.billing import plan

    return list(plan(records.lines, records.usage, records.tiers, records.index, (months[0].year, months[0].month),
                     (months[-1].year, months[-1].month), rounding=rounding, base_currency=base_currency))
