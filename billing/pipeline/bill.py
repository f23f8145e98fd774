"""Bill: the draft invoices the contracts owe for a month, once per contract line and period.

For a validated workbook and a month M (the rules of which periods M bills, proration, price
changes and usage tiers are `billing.schedules`'s; README "Billing schedules"):

1. the records come from the typed tables: Contracts lines (`ContractLine`), Usage, PriceTiers
   and PriceIndex (`records_of`); the domain says what M bills (`bill_month`): billed lines,
   lines skipped with their reason (not started, ended, on hold) and problems (an index value
   missing for a month: an error at the contract's cell — never a guess);
2. the store says what was billed before (`billing.schedules.billed`): a line whose period
   (contract_id, description, period_from) is recorded is skipped, "already billed into KEY";
   recorded with other figures, it is skipped too and reported ("changed since billed …: a
   correction is a credit note"), a warning at the contract's row — never billed twice; unless
   only its end date moved (an upgrade or downgrade: `billing.schedules.adjustments`, checked
   against the store's digest by `adjustments_of`): then the days no longer covered are
   credited, or the days newly covered charged, pro rata, once (recorded like a period);
3. the rest become DRAFT invoices, one per customer and currency (the customer's terms are
   the invoice's): invoice_key `BILL-<customer>-<YYYY-MM>` (`BILL-<customer>-<YYYY-MM>-<currency>`
   outside the base currency; `-2`, `-3`… when an earlier run's draft holds the key), issue_date
   the first day of M (in advance and in arrears alike: the drafts of a month are dated
   alike; numbering and issuing set the real date), status draft, kind invoice — the credits
   go on a draft credit note `<key>-CR` per invoice credited (an invoice holds no negative
   amount), `corrects` that invoice's number once it has one; one InvoiceLines
   row per billed line, description `<description> <from> – <to>` (+ ` (17/31 days)` for a
   partial period). A line whose net is `quantity × unit_price` rounded is written so; a
   prorated or tiered one as quantity 1 at its net, so `compute` gives back exactly its net;
4. the BillingRun sheet lists every line billed or skipped, and why.

`billed_changes` returns what to write; the caller records the periods `pending` in the
store, writes the workbook (one atomic write) and marks them `done` (`billing.schedules.billed`
explains why that order never bills twice and never loses a bill). `plan` is the calendar:
what each month from..to would bill per customer and currency, written as the BillingPlan
sheet (one column per month, a TOTAL row per currency, a bar chart of the totals), nothing
billed or recorded.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Iterable, Mapping, NamedTuple, Sequence

from billing.book import Book
from billing.changes import BarChart, CellUpdate, Changes, HeaderAdd, OutputSheet
from billing.contract import BILLING_PLAN, BILLING_RUN, CONTRACTS, INVOICE_LINES, INVOICES
from billing.errors import BadFile, Finding, warning
from billing.money import quantize
from billing.pipeline.compute import place_columns
from billing.pipeline.number import _workbook_id_updates
from billing.schedules.billed import Billed, adjustment_description, fresh_key, terms_digest
from billing.schedules.billing import PlanRow, PlanSkipped
from billing.tables import Tables

ZERO = Decimal(0)
PREFIX = "BILL-"
CHANGED = "contract_changed_since_billed"
TOTAL = "TOTAL"
PERIOD, CREDIT, CHARGE = "period", "credit", "charge"
#: the BillingRun note of a line billed, by its kind
NOTES = {PERIOD: "billed", CREDIT: "credited pro rata (end date moved earlier)",
         CHARGE: "charged pro rata (end date moved later)"}


class Month(NamedTuple):
    year: int
    month: int

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def parse_month(text: str, option: str = "--period") -> Month:
    """`YYYY-MM` as a month; anything else is refused (`BadFile`: exit 2).

    >>> parse_month("2026-12"), str(parse_month("2027-01"))
    (Month(year=2026, month=12), '2027-01')
    """
    import re

    m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", str(text))
    if m is None or not 1 <= int(m[2]) <= 12 or int(m[1]) < 1900:
        raise BadFile(f"{option} {text!r} is not a month (YYYY-MM)")
    return Month(int(m[1]), int(m[2]))


def months_between(first: Month, last: Month) -> list[Month]:
    """`--from` through `--to`, inclusive; `BadFile` when `--to` comes first."""
    from billing.schedules.billing import months_between as calendar_months

    if last < first:
        raise BadFile(f"--to {last} is before --from {first}")
    months = [Month(*m) for m in calendar_months(first, last)]
    if len(months) > 120:
        raise BadFile(f"--from {first} --to {last}: at most 120 months at a time")
    return months


class Line(NamedTuple):
    """A contract line's period as billed (or to be): what the drafts, the store and the sheets show."""

    contract_id: str
    description: str  # the contract line's own (the key's part)
    customer_id: str
    currency: str
    tax_code: str
    period_from: dt.date
    period_to: dt.date
    quantity: Decimal
    unit_price: Decimal
    net: Decimal
    rule: str  # the proration (or tiers) shown, e.g. `17/31 days`; "" for a whole period
    row: int  # the Contracts row
    wanted_key: str  # the domain's `BILL-<customer>-<YYYY-MM>[-<currency>]`
    invoice_quantity: Decimal  # quantity × unit price on InvoiceLines = net, exactly
    invoice_unit_price: Decimal
    text: str  # the InvoiceLines description: `<description> <from> – <to>` (+ ` (rule)`)
    kind: str = PERIOD  # PERIOD billed; CREDIT or CHARGE: an adjustment pro rata of a period billed before
    adjusts: dt.date | None = None  # an adjustment's: the period_from of the period it adjusts
    covered_to: dt.date | None = None  # an adjustment's: that period's end after it
    seq: int = 0  # an adjustment's number among the period's
    credits: str = ""  # a credit's: the invoice_key of the draft that billed the period

    @property
    def key(self) -> tuple[str, str, dt.date]:
        return self.contract_id, self.description, self.period_from

    def entry(self, invoice_key: str) -> Billed:
        """The store's record of this line billed into `invoice_key`: the period, or the
        `seq`-th adjustment of the period starting `adjusts` (`adjustment_description`)."""
        if self.kind == PERIOD:
            return Billed(self.contract_id, self.description, self.period_from, self.period_to, invoice_key,
                          self.digest(), self.net, self.currency)
        return Billed(self.contract_id, adjustment_description(self.description, self.seq), self.adjusts,
                      self.covered_to, invoice_key, self.digest(), self.net, self.currency)

    def digest(self) -> str:
        """What a later run compares: this period's terms and figures as billed."""
        return terms_digest(self.contract_id, self.description, self.customer_id, self.currency, self.tax_code,
                            self.period_from, self.period_to, self.quantity, self.unit_price, self.net, self.rule)


class Skipped(NamedTuple):
    contract_id: str
    reason: str  # a code: not_started, ended, on_hold, not_due, already_billed, changed_since_billed, no_usage…
    detail: str  # in words
    description: str = ""
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    row: int = 0


class Draft(NamedTuple):
    invoice_key: str
    customer_id: str
    currency: str
    issue_date: dt.date
    lines: tuple[Line, ...]
    kind: str = "invoice"  # or credit_note: the credits pro rata of one invoice
    corrects: str | None = None  # a credit note's: the invoice_no of the invoice it corrects, once numbered

    @property
    def net(self) -> Decimal:
        """What the draft does to the customer's account: negative for a credit note."""
        return sum((line.net for line in self.lines), ZERO)


class BillResult(NamedTuple):
    ok: bool
    month: Month
    workbook_id: str
    drafts: tuple[Draft, ...]
    skipped: tuple[Skipped, ...]
    findings: tuple[Finding, ...]
    changes: Changes | None  # None: nothing to write (not ok)
    entries: tuple[Billed, ...]  # what to record in the store before the write

    @property
    def billed(self) -> int:
        return sum(len(d.lines) for d in self.drafts)


# -- from the domain ---------------------------------------------------------------------------------


def contract_place(book: Book, row: int, column: str = "contract_id") -> str:
    table = book.get(CONTRACTS.name)
    if table is None:
        return f"{CONTRACTS.name}!A1"
    return table.cell(column, row) if table.has(column) else table.row(row)


# -- the run -----------------------------------------------------------------------------------------


def bill(book: Book, tables: Tables, month: Month, billed: dict) -> BillResult:
    """The drafts of `month` and the workbook's changes (the module's text); `billed`: the
    store's periods of this workbook (`billed_of`, settled first). Nothing is written here."""
    from billing.pipeline.schedule_records import adjustments_of, records_of, run_month

    settings = tables.settings
    records = records_of(tables)
    lines, skipped, problems = run_month(book, records, month, settings.rounding, settings.base_currency)
    workbook_id = settings.workbook_id or str(uuid.uuid4())
    errors = [f for f in problems if f.severity == "error"]
    if errors:
        return BillResult(False, month, workbook_id, (), tuple(skipped), tuple(problems), None, ())
    differing = {line.key for line in lines if line.key in billed and billed[line.key].terms_digest != line.digest()}
    adjusted, moved = adjustments_of(records, billed, month, settings.rounding, settings.base_currency, differing)
    findings = list(problems)
    skipped = list(skipped)
    todo: list[Line] = []
    for line in lines:
        earlier = billed.get(line.key)
        if earlier is None:
            todo.append(line)
        elif earlier.terms_digest == line.digest() or line.key in moved:
            more = "; its end date moved since: the difference is billed pro rata" if line.key in moved else ""
            skipped.append(Skipped(line.contract_id, "already_billed", f"{line.period_from} – {line.period_to} "
                                   f"already billed into {earlier.invoice_key}{more}", line.description,
                                   line.period_from, line.period_to, line.row))
        else:
            reason = (f"changed since billed on {earlier.billed_at[:10]} into {earlier.invoice_key} "
                      f"({earlier.net} {earlier.currency} for {earlier.period_from} – {earlier.period_to}, now "
                      f"{line.net} {line.currency}): a correction is a credit note")
            skipped.append(Skipped(line.contract_id, "changed_since_billed", reason, line.description,
                                   line.period_from, line.period_to, line.row))
            findings.append(warning(contract_place(book, line.row), CHANGED,
                                    f"{line.contract_id} {line.description}, period {line.period_from} – "
                                    f"{line.period_to}: {reason}"))
    todo += adjusted
    taken = set(str(k) for k in tables.invoices["invoice_key"]) | {b.invoice_key for b in billed.values()}
    numbers = {str(k): str(n) for k, n in zip(tables.invoices["invoice_key"], tables.invoices["invoice_no"])
               if n is not None and n == n}
    drafts = drafts_of(todo, month, taken, numbers)
    entries = tuple(line.entry(d.invoice_key) for d in drafts for line in d.lines)
    changes = write_back(book, tables, drafts, skipped, workbook_id if settings.workbook_id is None and drafts else None)
    return BillResult(True, month, workbook_id, tuple(drafts), tuple(skipped), tuple(findings), changes, entries)


def drafts_of(lines: Iterable[Line], month: Month, taken: set[str], numbers: Mapping[str, str] | None = None
              ) -> list[Draft]:
    """One draft invoice per customer and currency, and one draft credit note per invoice
    whose periods are credited (`<key>-CR`; `corrects` its number once it has one, from
    `numbers`: invoice_key → invoice_no), their lines in contract order; keys new to `taken`
    (the domain's key, else `-2`, `-3`…: `billing.schedules.billed.fresh_key`)."""
    groups: dict[tuple[str, str, str, str], list[Line]] = defaultdict(list)
    for line in lines:
        groups[(line.customer_id, line.currency, line.wanted_key, line.credits)].append(line)
    out = []
    for (customer, currency, wanted, credits), mine in sorted(groups.items()):
        key = fresh_key(wanted, taken)
        taken.add(key)
        out.append(Draft(key, customer, currency, month.first,
                         tuple(sorted(mine, key=lambda x: (x.row, x.period_from, x.description))),
                         "credit_note" if credits else "invoice", (numbers or {}).get(credits) if credits else None))
    return out


def billing_run_sheet(drafts: Sequence[Draft], skipped: Sequence[Skipped]) -> OutputSheet:
    """The BillingRun sheet: every line billed (with its draft's key), then every one skipped and why."""
    rows = []
    for d in drafts:
        for line in d.lines:
            rows.append((line.contract_id, line.period_from, line.period_to, d.invoice_key, line.net, NOTES[line.kind],
                         line.description, line.customer_id, line.quantity, line.unit_price, line.rule or None))
    for s in skipped:
        rows.append((s.contract_id, s.period_from, s.period_to, None, None, f"{s.reason}: {s.detail}",
                     s.description or None,
                     None, None, None, None))
    return OutputSheet(BILLING_RUN.name, BILLING_RUN.column_names, rows, BILLING_RUN.number_formats())


def write_back(book: Book, tables: Tables, drafts: Sequence[Draft], skipped: Sequence[Skipped],
               new_workbook_id: str | None) -> Changes:
    """The one write of a run: the drafts below Invoices and InvoiceLines (the Tables grow over
    them), the BillingRun sheet, and a workbook_id when the workbook had none."""
    updates: list[CellUpdate] = []
    headers: list[HeaderAdd] = []
    if drafts:
        invoices, lines = book[INVOICES.name], book[INVOICE_LINES.name]
        corrects = ("corrects",) if any(d.corrects for d in drafts) else ()
        places, headers = place_columns(invoices, ("invoice_key", "kind", "customer_id", "issue_date", "currency",
                                                   "status") + corrects)
        line_places, more = place_columns(lines, ("invoice_key", "line_no", "description", "quantity",
                                                  "unit_price", "tax_code"))
        headers += more
        row = max(invoices.frame.index, default=invoices.header_row) + 1
        line_row = max(lines.frame.index, default=lines.header_row) + 1
        for d in drafts:
            for name, value in (("invoice_key", d.invoice_key), ("kind", d.kind), ("customer_id", d.customer_id),
                                ("issue_date", d.issue_date), ("currency", d.currency), ("status", "draft"),
                                *((("corrects", d.corrects),) if d.corrects else ())):
                updates.append(CellUpdate(invoices.sheet, row, places[name], value))
            row += 1
            for n, line in enumerate(d.lines, 1):
                for name, value in (("invoice_key", d.invoice_key), ("line_no", n), ("description", line.text),
                                    ("quantity", line.invoice_quantity), ("unit_price", line.invoice_unit_price),
                                    ("tax_code", line.tax_code)):
                    updates.append(CellUpdate(lines.sheet, line_row, line_places[name], value))
                line_row += 1
    if new_workbook_id is not None:
        updates += _workbook_id_updates(book, new_workbook_id)
    return Changes(outputs=(billing_run_sheet(drafts, skipped),), updates=tuple(updates), headers=tuple(headers))


# -- the calendar ------------------------------------------------------------------------------------


def month_label(first_day: dt.date) -> str:
    """A plan row's month as the sheet and the JSON show it: `2027-01`."""
    return f"{first_day:%Y-%m}"


class PlanResult(NamedTuple):
    ok: bool
    months: tuple[Month, ...]
    rows: tuple[PlanRow, ...]  # per month (its first day), customer and currency with something to bill
    findings: tuple[Finding, ...]
    changes: Changes | None
    skipped: tuple[PlanSkipped, ...] = ()  # periods left out of their month, each a warning in `findings`


def plan(book: Book, tables: Tables, months: Sequence[Month]) -> PlanResult:
    """What each month would bill per customer and currency by the contracts as they stand
    (`billing.schedules.billing.plan`: the revenue the schedules commit; what the store
    recorded as billed counts too, nothing is looked up or recorded), and the BillingPlan sheet.
    A period left out of its month (a PriceIndex value not there yet) is listed in `skipped`
    and is a warning at its contract's cell: the plan goes on, short of it, and says so."""
    from billing.pipeline.schedule_records import plan_findings, plan_of, records_of

    settings = tables.settings
    result = plan_of(records_of(tables), months, settings.rounding, settings.base_currency)
    return PlanResult(True, tuple(months), result.rows, tuple(plan_findings(book, result.skipped)),
                      Changes(outputs=(plan_sheet(months, result.rows),)), result.skipped)


def plan_sheet(months: Sequence[Month], rows: Sequence[PlanRow]) -> OutputSheet:
    """The BillingPlan sheet: one row per customer and currency, one column per month and the
    total, then a TOTAL row per currency; a bar chart of the monthly totals beside it."""
    labels = [str(m) for m in months]
    by_customer: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
    for r in rows:
        by_customer[(r.customer_id, r.currency)][month_label(r.month)] = r.net
    body = []
    for (customer, currency), nets in sorted(by_customer.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        zero = quantize(ZERO, currency)
        values = [nets.get(label, zero) for label in labels]
        body.append((customer, currency, *values, sum(values, zero)))
    first_total = len(body)
    for currency in sorted({cur for _, cur in by_customer}):
        zero = quantize(ZERO, currency)
        values = [sum((r.net for r in rows if r.currency == currency and month_label(r.month) == label), zero)
                  for label in labels]
        body.append((TOTAL, currency, *values, sum(values, zero)))
    chart = BarChart("Billing plan by month", tuple(labels), tuple(range(first_total, len(body))), "currency") \
        if body else None
    return OutputSheet(BILLING_PLAN.name, BILLING_PLAN.header(labels), body, BILLING_PLAN.number_formats(labels),
                       chart=chart)
