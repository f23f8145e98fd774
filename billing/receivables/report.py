"""The receivables reports of a workbook as of a date, as output sheets: Aging (one row per
customer and currency with its DSO, a totals row per currency last, the old buckets
highlighted and a bar chart of the totals beside it; a `disputed` column when the workbook
has a Disputes sheet), Dunning (the overdue items) and DisputeList (every dispute and its age)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple, Sequence

from billing.collections.disputes import Dispute, dispute_list, open_disputed
from billing.collections.policy import level_of
from billing.contract import AGING, DISPUTE_LIST, DUNNING
from billing.receivables.aging import ZERO, AgingRow, OpenItem, age, bucket_labels, open_items
from billing.receivables.dso import DEFAULT_PERIOD_DAYS, dso_figures
from billing.receivables.dunning import Overdue, dunning_list
from billing.receivables.ledger import Ledger
from billing.settings import Settings
from billing.changes import BarChart, Highlight, OutputSheet

#: fills of the overdue buckets, oldest strongest: amber, orange, red
_OLD_FILLS = ("FFEB9C", "F8CBAD", "FFC7CE")


class Receivables(NamedTuple):
    """Everything the receivables reports show as of one date."""

    as_of: dt.date
    labels: list[str]
    rows: list[AgingRow]
    dso: dict[tuple[str, str], Decimal | None]  # (customer, currency) -> DSO
    dso_total: dict[str, Decimal | None]  # currency -> DSO over all customers
    totals: dict[str, Decimal]  # currency -> open total
    overdue: list[Overdue]
    #: (customer, currency) -> the open disputed amount of its items; None: the workbook has no Disputes sheet
    disputed: dict[tuple[str, str], Decimal] | None = None
    #: the dunning policy's level bounds (Settings `dunning_levels`) the overdue items were levelled with
    dunning_levels: tuple[int, ...] = ()


def receivables(ledger: Ledger, settings: Settings, as_of: dt.date,
                dso_days: int = DEFAULT_PERIOD_DAYS, disputes: Sequence[Dispute] | None = None) -> Receivables:
    """Age the ledger as of `as_of`, with DSO over the `dso_days` before it and the dunning list
    (levels by the dunning policy's rule: Settings `dunning_levels` after `dunning_grace_days`,
    as the reminder letters count them); with `disputes` (the workbook has a Disputes sheet), the open disputed amount of each
    customer and currency."""
    bounds, levels, basis = settings.aging_buckets, tuple(settings.dunning_levels), settings.aging_basis
    # what is open on the day, found once for the aging, the disputes and (by due date) the dunning list
    opened = open_items(ledger.items, ledger.applied, as_of, basis)
    by_due_date = opened if basis == "due_date" else open_items(ledger.items, ledger.applied, as_of, "due_date")
    rows = age(ledger.items, ledger.applied, ledger.received, as_of, bounds, basis, opened)
    by_customer, by_currency = dso_figures(rows, ledger.items, as_of, dso_days)
    totals: dict[str, Decimal] = {}
    for row in rows:
        totals[row.currency] = totals.get(row.currency, ZERO) + row.total
    return Receivables(as_of, bucket_labels(bounds), rows, by_customer, by_currency, totals,
                       dunning_list(ledger, as_of, lambda days: level_of(days, levels, settings.dunning_grace_days),
                                    by_due_date),
                       None if disputes is None else disputed_by_account(ledger, as_of, disputes, basis, opened),
                       levels)


def disputed_by_account(ledger: Ledger, as_of: dt.date, disputes: Sequence[Dispute], basis: str = "due_date",
                        opened: Sequence[OpenItem] | None = None) -> dict[tuple[str, str], Decimal]:
    """(customer, currency) -> what its open disputes keep out of its items open on `as_of`
    (`opened`: the ledger's `open_items` on that date and basis, when the caller has them)."""
    if opened is None:
        opened = open_items(ledger.items, ledger.applied, as_of, basis)
    still_open = {o.item.number: o for o in opened if o.amount > 0}
    kept_out = open_disputed([d for d in disputes if d.opened <= as_of],
                             {no: o.amount for no, o in still_open.items()})
    out: dict[tuple[str, str], Decimal] = {}
    for no, amount in kept_out.items():
        item = still_open[no].item
        out[(item.customer_id, item.currency)] = out.get((item.customer_id, item.currency), ZERO) + amount
    return out


def aging_sheet(report: Receivables, names: dict[str, str]) -> OutputSheet:
    """The Aging output sheet."""
    labels, rows, disputed = report.labels, report.rows, report.disputed
    extra = (lambda key: ()) if disputed is None else (lambda key: (disputed.get(key, ZERO),))
    body = [(r.customer_id or None, names.get(r.customer_id, "(payer not identified)"), r.currency,
             *(r.buckets[label] for label in labels), r.unapplied, r.total, report.dso[(r.customer_id, r.currency)],
             *extra((r.customer_id, r.currency)))
            for r in rows]
    currencies = sorted({r.currency for r in rows})
    for currency in currencies:
        mine = [r for r in rows if r.currency == currency]
        in_currency = () if disputed is None else \
            (sum((v for (_, c), v in disputed.items() if c == currency), ZERO),)
        body.append(("TOTAL", None, currency, *(sum((r.buckets[label] for r in mine), ZERO) for label in labels),
                     sum((r.unapplied for r in mine), ZERO), report.totals[currency], report.dso_total[currency],
                     *in_currency))
    left_out = ("disputed",) if disputed is None else ()
    overdue = labels[1:]
    old = overdue[-len(_OLD_FILLS):] if len(overdue) > 1 else ()  # the first overdue bucket is not "old"
    highlights = tuple(Highlight(label, fill) for label, fill in zip(old[::-1], _OLD_FILLS[::-1]))
    chart = BarChart("Open receivables by age", tuple(labels), tuple(range(len(rows), len(body))), "currency") \
        if rows else None
    return OutputSheet(AGING.name, AGING.header(labels, left_out), body, AGING.number_formats(labels, left_out),
                       highlights=highlights, chart=chart)


def dunning_sheet(report: Receivables, names: dict[str, str], with_reminders: bool) -> OutputSheet:
    """The Dunning output sheet: overdue items grouped by customer (`last_reminder` when the
    Invoices sheet has that column); a customer at the last dunning level is highlighted."""
    left_out = () if with_reminders else ("last_reminder",)
    columns = DUNNING.header(without=left_out)
    body = [(o.customer_id, names.get(o.customer_id), o.currency, o.invoice_no, o.issue_date, o.due_date,
             o.days_past_due, o.open_amount, o.level, o.customer_level) + ((o.last_reminder,) if with_reminders else ())
            for o in report.overdue]
    return OutputSheet(DUNNING.name, columns, body, DUNNING.number_formats(without=left_out),
                       highlights=(Highlight("customer_level", _OLD_FILLS[-1], above=len(report.dunning_levels) - 1),))


def dispute_list_sheet(disputes: Sequence[Dispute], ledger: Ledger, as_of: dt.date) -> OutputSheet:
    """The DisputeList output sheet: every dispute with its customer, currency and age on `as_of`."""
    customer_of = {i.number: i.customer_id for i in ledger.items}
    currency_of = {i.number: i.currency for i in ledger.items}
    body = [tuple(line) for line in dispute_list(disputes, customer_of, currency_of, as_of)]
    return OutputSheet(DISPUTE_LIST.name, DISPUTE_LIST.header(), body, DISPUTE_LIST.number_formats())
