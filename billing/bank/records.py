"""What a bank statement gives the Payments sheet: one line per money-received entry, and
the rule that decides whether a line is a new payment.

A line's identity (`payment_id`) is the bank's own reference of the entry when the file
has one (CAMT `AcctSvcrRef`/`NtryRef`, MT940 bank reference, a CSV `payment_id` column);
else the statement's identity and the line's position in it: `CAMT-<statement>#<entry>`,
`MT940-<statement>#<n>`, `CSV-<file>#<line>`, where `<statement>` is a short digest of what
identifies the statement itself (never the file name). So the same statement imported
twice — under any file name — adds nothing, while two identical payments (a customer
paying twice on the same day) are two lines and stay two payments.

One id, one payment: two lines with the same id that disagree on value date, amount or
currency are refused (in one file, across the files of one import, and against what
Payments already holds), naming both places; agreeing ones are one payment (overlapping
statements that both hold a booked entry).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal
from typing import Iterable, Mapping, NamedTuple

from billing.errors import BadFile

#: references banks write when they have none: not an identity
PLACEHOLDER_REFS = frozenset({"NONREF", "NOTPROVIDED", "NOT PROVIDED", "NONE", "N/A", "NA", "-"})
#: the control characters (Unicode category Cc) but tab, line feed and carriage return
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: the most characters an Excel cell holds
CELL_LIMIT = 32767
#: value dates outside [EARLIEST, today + FUTURE_DAYS] are refused as misread
EARLIEST = dt.date(1970, 1, 1)
FUTURE_DAYS = 366


class StatementLine(NamedTuple):
    """One credited entry (or transaction detail of a batched entry) = one future Payments row."""

    payment_id: str  # the bank's reference, else statement identity and position; same entry, same id
    value_date: dt.date
    amount: Decimal  # positive, exact, with the currency's decimals
    currency: str
    payer_name: str | None
    payer_iban: str | None
    reference_text: str | None
    source: str  # file and position, for messages: "stmt.xml: statement 1, entry 3 (line 57)"
    legacy_id: str | None = None  # the id an older xlbilling gave this line, when it differs

    @property
    def core(self) -> tuple[dt.date, Decimal, str]:
        """What must agree for two lines with one id to be one payment."""
        return self.value_date, self.amount, self.currency


class ImportResult(NamedTuple):
    lines: tuple[StatementLine, ...]
    debits_skipped: int  # money out: not payments received
    reversals_skipped: int
    format: str  # e.g. "camt.053.001.04"
    not_booked_skipped: int = 0  # CAMT entries pending or for information: no money has arrived yet


def entry_hash(*parts: object) -> str:
    """The id the previous scheme gave an entry without a bank reference: `H` + 16 hex digits.

    Kept only to recognise payments an older version imported (`StatementLine.legacy_id`).
    """
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return "H" + hashlib.sha256(text.encode()).hexdigest()[:16]


def statement_key(kind: str, *identity: object) -> str:
    """`<kind>-<10 hex digits>`: a statement's own identity (its id, account, sequence,
    balances — or a CSV file's content), never its file name."""
    text = "\x1f".join("" if p is None else str(p) for p in identity)
    return f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def bank_reference(text: str | None) -> str | None:
    """The bank's reference, or None for an absent one or a placeholder (`NONREF`)."""
    if text is None or not text.strip() or text.strip().upper() in PLACEHOLDER_REFS:
        return None
    return text.strip()


def check_day(day: dt.date, where: str, today: dt.date | None = None) -> dt.date:
    """A value date that can be a payment's: from 1970 to a year ahead, else refused as misread."""
    latest = (today or dt.date.today()) + dt.timedelta(days=FUTURE_DAYS)
    if not EARLIEST <= day <= latest:
        raise BadFile(f"{where}: value date {day.isoformat()} is not plausible (before {EARLIEST.year} "
                      f"or more than a year ahead)")
    return day


def check_text(text: str | None, where: str, what: str) -> str | None:
    """Text as it goes into a cell: refused when it holds control characters (a tab or line
    break is whitespace and `joined` makes it a space) or does not fit a cell."""
    if text is None:
        return None
    control = _CONTROL.search(text)
    if control:
        raise BadFile(f"{where}: {what} holds the control character U+{ord(control.group()):04X}")
    if len(text) > CELL_LIMIT:
        raise BadFile(f"{where}: {what} is longer than a cell holds ({len(text)} > {CELL_LIMIT} characters)")
    return text


def joined(parts: Iterable[str | None]) -> str | None:
    text = " ".join(" ".join(p.split()) for p in parts if p and p.strip())
    return text or None


class Known(NamedTuple):
    """A payment id already taken: where (for messages) and what it says (None: not comparable)."""

    where: str
    core: tuple[dt.date, Decimal, str] | None


def distinct_lines(lines: Iterable[StatementLine]) -> tuple[StatementLine, ...]:
    """One line per id within one file: agreeing duplicates (the same booked entry in two
    statements of one file) are one; disagreeing ones are refused."""
    first: dict[str, StatementLine] = {}
    out = []
    for line in lines:
        seen = first.get(line.payment_id)
        if seen is None:
            first[line.payment_id] = line
            out.append(line)
        elif seen.core != line.core:
            raise BadFile(conflict(line, Known(seen.source, seen.core)))
    return tuple(out)


def conflict(line: StatementLine, known: Known) -> str:
    return (f"{line.source}: payment id '{line.payment_id}' is also {known.where}, with another value date, "
            f"amount or currency — one id, two payments: refused")


class Registry:
    """The payment ids Payments holds and those this import has taken; decides which lines are new."""

    def __init__(self, existing: Mapping[str, Known] | Iterable[str]):
        self.known: dict[str, Known] = (dict(existing) if isinstance(existing, Mapping)
                                        else {i: Known("in Payments", None) for i in existing})
        self.legacy_claimed: set[str] = set()

    def fresh(self, result: ImportResult) -> list[StatementLine]:
        """The lines of a statement that are not payments yet; each line's id taken.

        A line whose id is known and agrees is already there. A line of an older version's
        id scheme (`legacy_id` known) is already there once: the older version imported one
        line per such id, so a second identical line is the payment it dropped, and is new.
        """
        out = []
        for line in result.lines:
            known = self.known.get(line.payment_id)
            if known is not None:
                if known.core is not None and known.core != line.core:
                    raise BadFile(conflict(line, known))
                continue
            if line.legacy_id and line.legacy_id in self.known and line.legacy_id not in self.legacy_claimed:
                legacy = self.known[line.legacy_id]
                if legacy.core is None or legacy.core == line.core:
                    self.legacy_claimed.add(line.legacy_id)
                    continue
            self.known[line.payment_id] = Known(f"{line.source}", line.core)
            out.append(line)
        return out


def new_lines(existing_ids: Mapping[str, Known] | Iterable[str], result: ImportResult) -> list[StatementLine]:
    """The lines whose payment_id is not in Payments yet: importing twice adds nothing."""
    return Registry(existing_ids).fresh(result)
