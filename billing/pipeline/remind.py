"""Remind: the reminder letters due on a date, as PDF letters, archived, and written back.

For a validated, computed workbook as of a date (the rules of which letters are due, their
levels, interest, fees and compensation are `billing.collections.reminders`'s; README
"Reminders"):

1. the inputs come from the workbook: the dunning policy from Settings (`policy_of`), the
   reference rates from InterestRates, the open disputed amounts from Disputes (disputes
   opened on or before the as-of date), holds and promises from Customers and Invoices
   (`on_hold` = yes, `promise_date`), the reminder history from Invoices (`last_reminder`,
   `dunning_level`), the businesses (customers with a VAT id), the receivables ledger as
   the aging step builds it (`billing.pipeline.steps.receivables_step`);
2. an interest figure that cannot be computed (no reference rate for a day, a bad rate
   table) is a finding at the InterestRates sheet: nothing is made or written;
3. every letter is made in memory first: the reminder layout (`reminder_document`), drawn
   like the invoices (`render_letter`), in the customer's language (Customers `language`,
   blank: en), with the texts of Settings `dunning_texts` (a TOML file relative to the
   workbook's folder) over the built-in ones, paid to the seller's IBAN with the customer's
   RF creditor reference (`rf_reference(customer_id)`: one reference per customer, whatever
   the letter lists);
4. with `charge`, each letter's fee, interest and compensation become a DRAFT invoice
   (`REM-<customer>-<as-of>`; `REM-<customer>-<currency>-<as-of>` for a letter not in the
   base currency) appended to Invoices and InvoiceLines, one line per charge, all at the
   TaxRates row of kind `exempt` (interest, compensation and fees are damages, not a supply:
   no VAT), so numbering and issuing stay the one path. Interest is never charged twice:
   a REM- invoice (draft or issued, not void) records, per invoice, the day its interest
   was charged to in its line `Late-payment interest on <invoice> to <date>`; a later
   charge runs from the day after the latest such date (the same `late_interest`, started
   there: interest is additive over any split of the period). A compensation line already
   on a REM- invoice is not charged again;
5. the caller then writes the letters (`publish`: each into `<out>/<as-of>/`, archived as a
   `reminder` letter so `xlbilling send --reminders` finds it) and only then the workbook,
   in one atomic write (`changes`): Invoices `last_reminder` = as-of and `dunning_level` =
   the letter's level for every item on a letter (the level the item was reminded at: a
   compensation charged by an interest level is not charged again) (headers added when the table lacks the
   columns), the Reminders sheet (one row per item and per credit of each letter), the
   DisputeList sheet, and the charged drafts.

A run that makes no letter changes nothing (a re-run on the same day finds every item
reminded that day: no letter, the workbook's bytes as they were). Killed after the letters
were archived but before the workbook was written, a re-run makes the same letters (the bytes
are dated by the as-of date) and the archive gives back the entries it holds.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple, Sequence

from billing.book import Book
from billing.changes import CellUpdate, Changes, HeaderAdd, OutputSheet
from billing.collections.disputes import disputes_of, open_disputed
from billing.collections.interest import InterestError, RateTimeline, late_interest
from billing.collections.policy import DunningPolicy, policy_of
from billing.collections.reference_rates import ECB_REFERENCE_RATES
from billing.collections.reminders import Dunning, Holds, Letter, Reminded, letters_due, reductions_by_invoice
from billing.contract import INTEREST_RATES, INVOICE_LINES, INVOICES, REMINDERS, TAX_RATES
from billing.errors import BadFile, Finding, error, warning
from billing.money import quantize
from billing.pipeline.compute import place_columns
from billing.receivables.aging import open_items
from billing.receivables.ledger import Ledger, item_numbers
from billing.receivables.report import dispute_list_sheet
from billing.tables import Tables

ZERO = Decimal(0)
NO_RATE = "no_reference_rate"
NO_EXEMPT = "no_exempt_tax_code"
STALE_RATE = "reference_rate_not_updated"
CHARGE_PREFIX = "REM-"
INTEREST_LINE = "Late-payment interest on {invoice} to {to}"
COMPENSATION_LINE = "Compensation (Directive 2011/7/EU) on {invoice}"
FEE_LINE = "Reminder fee level {level}"
_INTEREST_LINE = re.compile(r"^Late-payment interest on (?P<invoice>.+) to (?P<to>\d{4}-\d{2}-\d{2})$")
_COMPENSATION_LINE = re.compile(r"^Compensation \(Directive 2011/7/EU\) on (?P<invoice>.+)$")


class RemindOptions(NamedTuple):
    out: Path  # the folder the letters go to, one folder per as-of date below it
    texts: Path | None = None  # a TOML file of letter texts (Settings dunning_texts), else the built-in ones
    logo: Path | None = None
    charge: bool = False


class ChargeLine(NamedTuple):
    description: str
    amount: Decimal


class Charge(NamedTuple):
    """The draft invoice that charges a letter's fee, interest and compensation."""

    invoice_key: str
    customer_id: str
    currency: str
    lines: tuple[ChargeLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


class MadeLetter(NamedTuple):
    """A letter made in memory: the domain's figures, where it goes, its bytes."""

    letter: Letter
    file: str  # relative to the out folder: `<as-of>/reminder-<customer>-<currency>-<as-of>.pdf`
    pdf: bytes
    language: str


class RemindResult(NamedTuple):
    ok: bool
    dunning: Dunning | None
    letters: tuple[MadeLetter, ...]
    charges: tuple[Charge, ...]
    findings: tuple[Finding, ...]
    changes: Changes | None  # what to write into the workbook; None: nothing (no letter, or not ok)


# -- naming -----------------------------------------------------------------------------------------


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text).strip(".") or "_"


def letter_file(customer_id: str, currency: str, as_of: dt.date) -> str:
    """Where a letter goes, relative to the out folder.

    >>> letter_file("C0001", "EUR", dt.date(2026, 12, 31))
    '2026-12-31/reminder-C0001-EUR-2026-12-31.pdf'
    """
    return f"{as_of.isoformat()}/reminder-{_safe(customer_id)}-{_safe(currency)}-{as_of.isoformat()}.pdf"


def charge_invoices(tables: Tables) -> frozenset[str]:
    """The items (numbers, or keys of drafts) of the invoices that charge letters: they bear
    no interest and no compensation of their own (no interest on interest, § 289 BGB)."""
    invoices = tables.invoices
    return frozenset(no or key for key, no in zip(invoices["invoice_key"], invoices["invoice_no"])
                     if str(key).startswith(CHARGE_PREFIX))


def charge_key(customer_id: str, currency: str, as_of: dt.date, base_currency: str) -> str:
    """The invoice_key of a letter's charge draft (the currency named when it is not the base one).

    >>> charge_key("C0001", "EUR", dt.date(2026, 12, 31), "EUR"), charge_key("C1", "USD", dt.date(2026, 1, 2), "EUR")
    ('REM-C0001-2026-12-31', 'REM-C1-USD-2026-01-02')
    """
    middle = "" if currency == base_currency else f"{currency}-"
    return f"{CHARGE_PREFIX}{customer_id}-{middle}{as_of.isoformat()}"


# -- the inputs from the workbook --------------------------------------------------------------------


def _yes(value: object) -> bool:
    return isinstance(value, str) and value.strip().casefold() == "yes"


def _day(value: object) -> dt.date | None:
    return value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else \
        value.date() if isinstance(value, dt.datetime) else None


def holds_of(tables: Tables) -> Holds:
    """Holds (`on_hold` = yes) and promises to pay of Customers and Invoices."""
    customers, invoices = tables.customers, tables.invoices
    numbers = item_numbers(invoices)
    return Holds(
        customers=frozenset(c for c, h in zip(customers["customer_id"], customers["on_hold"]) if _yes(h)),
        invoices=frozenset(n for n, h in zip(numbers, invoices["on_hold"]) if _yes(h)),
        customer_promises={c: d for c, p in zip(customers["customer_id"], customers["promise_date"])
                           if (d := _day(p)) is not None},
        invoice_promises={n: d for n, p in zip(numbers, invoices["promise_date"]) if (d := _day(p)) is not None})


def reminded_of(tables: Tables) -> dict[str, Reminded]:
    """Each invoice's reminder history: Invoices `last_reminder` and `dunning_level`."""
    invoices = tables.invoices
    return {n: Reminded(_day(day), None if level is None else int(level))
            for n, day, level in zip(item_numbers(invoices), invoices["last_reminder"], invoices["dunning_level"])
            if _day(day) is not None or level is not None}


def businesses_of(tables: Tables) -> frozenset[str]:
    """The customers with a VAT id: the businesses the compensation is owed by."""
    customers = tables.customers
    return frozenset(c for c, v in zip(customers["customer_id"], customers["vat_id"]) if isinstance(v, str) and v.strip())


def disputed_of(tables: Tables, ledger: Ledger, as_of: dt.date) -> dict[str, Decimal]:
    """invoice number -> what its open disputes (opened by `as_of`) keep out of its open amount."""
    disputes = [d for d in disputes_of(tables.disputes.to_dict("records")) if d.opened <= as_of]
    still_open = {o.item.number: o.amount for o in open_items(ledger.items, ledger.applied, as_of) if o.amount > 0}
    return open_disputed(disputes, still_open)


def rate_rows(book: Book, tables: Tables) -> list[tuple[dt.date, Decimal]]:
    """The reference rates: the InterestRates sheet's rows; a workbook without the sheet (made
    before it existed) takes the ECB rates xlbilling ships."""
    if book.get(INTEREST_RATES.name) is None:
        return list(ECB_REFERENCE_RATES)
    return list(zip(tables.interest_rates["valid_from"], tables.interest_rates["rate"]))


def half_year_end(day: dt.date) -> dt.date:
    """The last day of the half-year `day` is in (a reference rate's period, Directive 2011/7/EU).

    >>> half_year_end(dt.date(2025, 7, 1)), half_year_end(dt.date(2026, 2, 10))
    (datetime.date(2025, 12, 31), datetime.date(2026, 6, 30))
    """
    return dt.date(day.year, 6, 30) if day.month <= 6 else dt.date(day.year, 12, 31)


def stale_rate(book: Book, rows: Sequence[tuple[dt.date, Decimal]], dunning: Dunning) -> tuple[Finding, ...]:
    """A warning when interest was charged for days after the half-year of the last reference
    rate: the contract carries the last rate on, but each half-year has its own, to be added."""
    if not rows:
        return ()
    last_from, last_rate = max(rows)
    valid_to = half_year_end(last_from)
    charged_to = max((i.interest.as_of for letter in dunning.letters for i in letter.items if i.interest),
                     default=None)
    if charged_to is None or charged_to <= valid_to:
        return ()
    return (warning(rates_place(book), STALE_RATE,
                    f"the last reference rate is the one from {last_from.isoformat()} ({last_rate * 100:.2f} %); it "
                    f"was applied after {valid_to.isoformat()}, through {charged_to.isoformat()} — add the rate of "
                    f"each half-year since (ECB main refinancing rate, or the one your law names)"),)


def rates_place(book: Book) -> str:
    """Where a reference-rate problem is shown: the InterestRates `valid_from` header, else A1."""
    table = book.get(INTEREST_RATES.name)
    return table.header_cell("valid_from") if table is not None else f"{INTEREST_RATES.name}!A1"


# -- the run ------------------------------------------------------------------------------------------


def remind(book: Book, tables: Tables, ledger: Ledger, as_of: dt.date, options: RemindOptions,
           outputs: Sequence[OutputSheet] = ()) -> RemindResult:
    """The letters due on `as_of`, made in memory, and the workbook's changes (the module's text).

    `ledger`: as the receivables step builds it; `outputs`: the receivables step's sheets
    (the DisputeList one is written with the letters). Nothing is written here."""
    settings = tables.settings
    policy = policy_of(settings)
    rows = rate_rows(book, tables)
    try:
        rates = RateTimeline.of(rows)
    except InterestError as exc:
        return _refused(error(rates_place(book), NO_RATE, str(exc)))
    dunning = letters_due(ledger, as_of, policy, rates, disputed=disputed_of(tables, ledger, as_of),
                          holds=holds_of(tables), reminded=reminded_of(tables), businesses=businesses_of(tables),
                          interest_free=charge_invoices(tables))
    no_rate = [s for s in dunning.skipped if s.code == "no_rate"]
    if no_rate:
        found = {s.reason: s for s in no_rate}
        return _refused(*(error(rates_place(book), NO_RATE,
                                f"{s.customer_id} ({s.currency}): {reason}; add the reference rate of that day")
                          for reason, s in found.items()))
    charges: list[Charge] = []
    findings: list[Finding] = []
    exempt = None
    if options.charge and dunning.letters:
        exempt = exempt_code(tables)
        if exempt is None:
            findings.append(error(_tax_kind_place(book), NO_EXEMPT, "--charge needs a TaxRates row of kind exempt "
                                  "for the interest, compensation and fees (they are not subject to VAT)"))
        else:
            charges = charges_of(tables, ledger, dunning, policy, rates)
    if findings:
        return RemindResult(False, dunning, (), (), tuple(findings), None)
    warnings = stale_rate(book, rows, dunning)
    made = tuple(make_letters(tables, dunning, options))
    if not made:
        return RemindResult(True, dunning, (), (), warnings, None)
    changes = write_back(book, tables, made, charges, exempt, as_of, outputs)
    return RemindResult(True, dunning, made, tuple(charges), warnings, changes)


def _refused(*findings: Finding) -> RemindResult:
    return RemindResult(False, None, (), (), tuple(findings), None)


def _tax_kind_place(book: Book) -> str:
    table = book.get(TAX_RATES.name)
    return table.header_cell("kind") if table is not None else f"{TAX_RATES.name}!A1"


def exempt_code(tables: Tables) -> str | None:
    """The first TaxRates code of kind `exempt` (rate 0): what charges are booked at."""
    for code, kind, rate in zip(tables.tax_rates["tax_code"], tables.tax_rates["kind"], tables.tax_rates["rate"]):
        if str(kind or "").strip().casefold() == "exempt" and rate == 0:
            return code
    return None


# -- the letters ------------------------------------------------------------------------------------


def make_letters(tables: Tables, dunning: Dunning, options: RemindOptions) -> list[MadeLetter]:
    """Every letter of `dunning` as PDF bytes (nothing written)."""
    from billing.documents.letter import render_letter
    from billing.documents.letter_texts import LetterTextsError, load_letter_texts
    from billing.invoicing.document import buyer_of, compact, seller_of
    from billing.invoicing.rf_reference import rf_reference

    if not dunning.letters:
        return []
    settings = tables.settings
    try:
        texts = load_letter_texts(options.texts)
    except LetterTextsError as exc:
        raise BadFile(str(exc)) from None
    seller = seller_of(tables)
    customers = tables.customers.drop_duplicates("customer_id").set_index("customer_id", drop=False)
    out = []
    for letter in dunning.letters:
        row = customers.loc[letter.customer_id] if letter.customer_id in customers.index else None
        language = str((row.get("language") if row is not None else None) or "en").strip().casefold() or "en"
        try:
            reference = rf_reference(letter.customer_id)
        except ValueError:
            reference = ""
        try:
            doc = _document(letter, seller, buyer_of(row, letter.customer_id), language, texts, reference,
                            compact(settings.company_iban), compact(settings.company_bic))
        except (LetterTextsError, ValueError) as exc:
            raise BadFile(f"Customers: {letter.customer_id}: {exc}") from None
        out.append(MadeLetter(letter, letter_file(letter.customer_id, letter.currency, letter.as_of),
                              render_letter(doc, logo=options.logo), language))
    return out


def _document(letter: Letter, seller, recipient, language: str, texts, reference: str, iban, bic):
    from billing.documents.reminder_letter import InterestPeriod, ReminderCredit, ReminderItem, reminder_document

    zero = quantize(ZERO, letter.currency)
    items = []
    for item in letter.items:
        periods = ()
        if item.interest is not None:
            periods = tuple(InterestPeriod(s.start, s.end, s.days, s.base, s.annual_rate, shown)
                            for s, shown in zip(item.interest.segments, item.interest.shown))
        items.append(ReminderItem(item.invoice_no, item.issue_date, item.due_date, item.days_past_due, item.due,
                                  item.disputed, item.interest.total if item.interest else zero, periods,
                                  item.compensation))
    credits = [ReminderCredit(c.number, c.issue_date, c.amount) for c in letter.credits]
    return reminder_document(seller=seller, recipient=recipient, level=letter.level, as_of=letter.as_of,
                             currency=letter.currency, items=items, fee=letter.fee, credits=credits,
                             total=letter.total_due, payment_reference=reference, iban=iban, bic=bic,
                             language=language, texts=texts, customer_id=letter.customer_id)


def publish(made: Sequence[MadeLetter], out: Path, engine, archive_root: Path, workbook_id: str) -> list:
    """Write each letter into `out` (atomically) and archive it as a `reminder` letter; the
    index entries (`billing.sealing.letters.Letter`)."""
    from billing.atomic import write_bytes_atomically
    from billing.sealing.letters import archive_letter

    import hashlib

    from billing.sealing.letters import LetterChanged, find_letter

    if made and not workbook_id:
        raise BadFile("the workbook has no workbook_id: number it first (xlbilling number or close)")
    for m in made:  # a letter recorded before with other bytes refuses the run before anything is written
        earlier = find_letter(engine, workbook_id, "reminder", m.letter.customer_id, m.letter.currency, m.letter.as_of)
        if earlier is not None and earlier.sha256 != hashlib.sha256(m.pdf).hexdigest():
            raise LetterChanged(f"the reminder to {m.letter.customer_id} ({m.letter.currency}) of {m.letter.as_of} "
                                f"was recorded with other bytes (sha256 {earlier.sha256[:16]}…); a letter is never "
                                "replaced: nothing was written")
    entries = []
    for m in made:
        dest = Path(out) / m.file
        dest.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomically(dest, m.pdf)
        entries.append(archive_letter(engine, archive_root, dest, workbook_id=workbook_id, kind="reminder",
                                      customer_id=m.letter.customer_id, currency=m.letter.currency,
                                      date=m.letter.as_of, file_name=m.file, level=m.letter.level))
    return entries


# -- charging ------------------------------------------------------------------------------------------


def charged_before(tables: Tables) -> tuple[dict[str, dt.date], set[str], set[str]]:
    """From the REM- invoices not void: invoice -> the last day its interest was charged to,
    the invoices whose compensation was charged, and the REM- keys there are."""
    invoices, lines = tables.invoices, tables.lines
    keys = {k for k, status in zip(invoices["invoice_key"], invoices["status"])
            if isinstance(k, str) and k.startswith(CHARGE_PREFIX) and status != "void"}
    interest_to: dict[str, dt.date] = {}
    compensated: set[str] = set()
    for key, text in zip(lines["invoice_key"], lines["description"]):
        if key not in keys or not isinstance(text, str):
            continue
        if (m := _INTEREST_LINE.match(text.strip())) is not None:
            day = dt.date.fromisoformat(m["to"])
            interest_to[m["invoice"]] = max(interest_to.get(m["invoice"], day), day)
        elif (m := _COMPENSATION_LINE.match(text.strip())) is not None:
            compensated.add(m["invoice"])
    all_keys = {k for k in invoices["invoice_key"] if isinstance(k, str) and k.startswith(CHARGE_PREFIX)}
    return interest_to, compensated, all_keys


def charges_of(tables: Tables, ledger: Ledger, dunning: Dunning, policy: DunningPolicy,
               rates: RateTimeline) -> list[Charge]:
    """The draft invoice of each letter that charges something new (the module's rule 4)."""
    interest_to, compensated, keys = charged_before(tables)
    reductions = reductions_by_invoice(ledger, dunning.as_of)
    gross = {i.number: i.gross for i in ledger.items}
    out = []
    for letter in dunning.letters:
        key = charge_key(letter.customer_id, letter.currency, letter.as_of, tables.settings.base_currency)
        if key in keys:
            continue  # charged on this day already
        lines = []
        if letter.fee > 0:
            lines.append(ChargeLine(FEE_LINE.format(level=letter.level), letter.fee))
        for item in letter.items:
            if item.interest is not None:
                start = max(item.due_date, interest_to.get(item.invoice_no, item.due_date))
                amount = item.interest.total if start == item.due_date else late_interest(
                    start, letter.as_of, gross[item.invoice_no], reductions.get(item.invoice_no, ()),
                    disputed=item.disputed, rates=rates, margin=policy.margin, day_count=policy.day_count,
                    currency=letter.currency, rounding=policy.rounding).total
                if amount > 0:
                    lines.append(ChargeLine(INTEREST_LINE.format(invoice=item.invoice_no,
                                                                 to=letter.as_of.isoformat()), amount))
            if item.compensation > 0 and item.invoice_no not in compensated:
                lines.append(ChargeLine(COMPENSATION_LINE.format(invoice=item.invoice_no), item.compensation))
        if lines:
            out.append(Charge(key, letter.customer_id, letter.currency, tuple(lines)))
    return out


# -- the write-back -------------------------------------------------------------------------------------


def reminders_sheet(made: Sequence[MadeLetter]) -> OutputSheet:
    """The Reminders sheet: per letter one row per item (the fee on the first), then one per
    credit (its open amount negative); `total` is what the row adds to the letter's total due,
    so a letter's rows add up to it."""
    rows = []
    for m in made:
        letter = m.letter
        zero = quantize(ZERO, letter.currency)
        for n, item in enumerate(letter.items):
            fee = letter.fee if n == 0 else zero
            interest = item.interest.total if item.interest else zero
            rows.append((letter.customer_id, letter.currency, letter.level, item.invoice_no, item.due,
                         item.days_past_due, interest, fee, m.file, letter.as_of, item.compensation, item.disputed,
                         item.due + interest + item.compensation + fee))
        for credit in letter.credits:
            rows.append((letter.customer_id, letter.currency, letter.level, credit.number, -credit.amount, None,
                         zero, zero, m.file, letter.as_of, zero, zero, -credit.amount))
    return OutputSheet(REMINDERS.name, REMINDERS.column_names, rows, REMINDERS.number_formats())


def write_back(book: Book, tables: Tables, made: Sequence[MadeLetter], charges: Sequence[Charge],
               exempt: str | None, as_of: dt.date, outputs: Sequence[OutputSheet] = ()) -> Changes:
    """The one write of a run: the reminder history of every item on a letter, the charge
    drafts, the Reminders sheet and the DisputeList sheet (when the receivables step made one)."""
    table = book[INVOICES.name]
    invoices = tables.invoices
    row_of = dict(zip(item_numbers(invoices), invoices.index))
    charge_columns = ("invoice_key", "kind", "customer_id", "issue_date", "currency", "status") if charges else ()
    places, headers = place_columns(table, ("last_reminder", "dunning_level", *charge_columns))
    updates: list[CellUpdate] = []
    for m in made:
        for item in m.letter.items:
            row = row_of[item.invoice_no]
            if _day(invoices.at[row, "last_reminder"]) != as_of:
                updates.append(CellUpdate(table.sheet, int(row), places["last_reminder"], as_of))
            # the letter's level, not the item's own: a letter of an interest level charged the item's
            # compensation, which a level recorded below it would charge again on the next letter
            if invoices.at[row, "dunning_level"] != m.letter.level:
                updates.append(CellUpdate(table.sheet, int(row), places["dunning_level"], m.letter.level))
    if charges:
        more_updates, more_headers = _charge_cells(book, places, charges, exempt, as_of)
        updates += more_updates
        headers += more_headers
    sheets = [reminders_sheet(made)]
    sheets += [s for s in outputs if s.name == "DisputeList"]
    return Changes(outputs=tuple(sheets), updates=tuple(updates), headers=tuple(headers))


def _charge_cells(book: Book, places: dict[str, int], charges: Sequence[Charge], exempt: str | None,
                  as_of: dt.date) -> tuple[list[CellUpdate], list[HeaderAdd]]:
    """The charge drafts as new rows below Invoices and InvoiceLines (the Tables grow over them)."""
    invoices, lines = book[INVOICES.name], book[INVOICE_LINES.name]
    line_places, headers = place_columns(lines, ("invoice_key", "line_no", "description", "quantity", "unit_price",
                                                 "tax_code"))
    updates = []
    row = max(invoices.frame.index, default=invoices.header_row) + 1
    line_row = max(lines.frame.index, default=lines.header_row) + 1
    for charge in charges:
        for name, value in (("invoice_key", charge.invoice_key), ("kind", "invoice"),
                            ("customer_id", charge.customer_id), ("issue_date", as_of),
                            ("currency", charge.currency), ("status", "draft")):
            updates.append(CellUpdate(invoices.sheet, row, places[name], value))
        row += 1
        for n, line in enumerate(charge.lines, 1):
            for name, value in (("invoice_key", charge.invoice_key), ("line_no", n), ("description", line.description),
                                ("quantity", 1), ("unit_price", line.amount), ("tax_code", exempt)):
                updates.append(CellUpdate(lines.sheet, line_row, line_places[name], value))
            line_row += 1
    return updates, headers


def out_folder(workbook: str | os.PathLike, settings, default: str = "documents") -> Path:
    """Where the letters go: as the issued documents (`billing.pipeline.issue.documents_folder`)."""
    from billing.pipeline.issue import documents_folder

    return documents_folder(workbook, settings, default)


def texts_file(workbook: str | os.PathLike, settings) -> Path | None:
    """The Settings' `dunning_texts` file, relative to the workbook's folder (None: the built-in texts)."""
    named = str(getattr(settings, "dunning_texts", None) or "").strip()
    return Path(workbook).resolve().parent / named if named else None
