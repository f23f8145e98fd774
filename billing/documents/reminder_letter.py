"""The reminder letter: a customer's overdue items in one currency at one dunning level.

`reminder_document` lays out figures computed elsewhere (`billing.collections`, the `remind`
pipeline); it computes nothing but the sums it prints and checks them: per item the invoice,
its dates, the days overdue and the open amount (already without the open disputed part, which
is noted under the item), the interest with each period under it (start, end, days, base,
rate, interest: the periods' amounts as the letter shows them add up to the item's interest),
the late-payment compensation; then the totals — open amounts, interest, compensation, the
reminder fee, credits — and the total now due, with the payment block (RF reference, the
SEPA QR code for euro). The texts are the level's in the customer's language
(`billing.documents.letter_texts`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple, Sequence

from billing.documents.letter import (Column, LetterDoc, LetterPayment, Row, SubRow, Table, amount_text, date_text,
                                      percent_text)
from billing.documents.letter_texts import LetterTexts, load_letter_texts
from billing.invoicing.document import Party

ZERO = Decimal(0)


class LetterError(ValueError):
    """Figures that do not add up (the message says which)."""


class InterestPeriod(NamedTuple):
    """One period of an item's interest, as the letter shows it (`amount` rounded to the
    currency, the periods of an item adding up to its interest)."""

    start: dt.date
    end: dt.date
    days: int
    base: Decimal
    rate: Decimal  # the yearly rate as a fraction: reference rate + margin (0.1015 = 10.15 %)
    amount: Decimal


class ReminderItem(NamedTuple):
    invoice_no: str
    issue_date: dt.date
    due_date: dt.date
    days_overdue: int
    open: Decimal  # what is reminded: the open amount less the open disputed amount
    disputed: Decimal = ZERO  # the open disputed amount, left out (noted under the item)
    interest: Decimal = ZERO
    periods: tuple[InterestPeriod, ...] = ()
    compensation: Decimal = ZERO  # the fixed late-payment compensation charged on this item


class ReminderCredit(NamedTuple):
    """An open credit (a credit note that corrects no invoice) that reduces the total due."""

    reference: str
    date: dt.date
    amount: Decimal  # positive: what it takes off


def reminder_total(items: Sequence[ReminderItem], fee: Decimal, credits: Sequence[ReminderCredit]) -> Decimal:
    """The total now due: Σ (open + interest + compensation) + fee − Σ credits."""
    return (sum((i.open + i.interest + i.compensation for i in items), ZERO) + fee
            - sum((c.amount for c in credits), ZERO))


def reminder_document(*, seller: Party, recipient: Party, level: int, as_of: dt.date, currency: str,
                      items: Sequence[ReminderItem], fee: Decimal = ZERO, credits: Sequence[ReminderCredit] = (),
                      total: Decimal | None = None, payment_reference: str = "", iban: str | None = None,
                      bic: str | None = None, language: str = "en", texts: LetterTexts | None = None,
                      place: str = "", customer_id: str = "", reference: str = "") -> LetterDoc:
    """The reminder of `level` dated `as_of`. `total` (when given) must be `reminder_total`."""
    texts = texts or load_letter_texts()
    t = texts.labels(language)
    words = texts.reminder(language, level)
    due = reminder_total(items, fee, credits)
    if total is not None and total != due:
        raise LetterError(f"the total now due {total} is not the items' {due} (open + interest + compensation "
                          "+ fee − credits)")
    for item in items:
        if item.periods and sum((p.amount for p in item.periods), ZERO) != item.interest:
            raise LetterError(f"{item.invoice_no}: the interest periods add up to "
                              f"{sum((p.amount for p in item.periods), ZERO)}, not to the interest {item.interest}")

    def day(d: dt.date) -> str:
        return date_text(d, t["date_format"], language)

    def cell(amount: Decimal) -> str:
        return amount_text(amount, currency, language, symbol=False)

    def full(amount: Decimal) -> str:
        return amount_text(amount, currency, language)

    with_interest = any(i.interest or i.periods for i in items)
    with_compensation = any(i.compensation for i in items)
    columns = [Column(t["invoice"], 26), Column(t["invoice_date"], 28), Column(t["due_date"], 22),
               Column(t["days_overdue"], 20, "R"), Column(f"{t['open']} ({currency})", 26, "R")]
    if with_interest:
        columns.append(Column(t["interest"], 22, "R"))
    if with_compensation:
        columns.append(Column(t["compensation"], 27, "R"))
    rows = []
    for item in items:
        cells = [item.invoice_no, day(item.issue_date), day(item.due_date), str(item.days_overdue), cell(item.open)]
        if with_interest:
            cells.append(cell(item.interest))
        if with_compensation:
            cells.append(cell(item.compensation) if item.compensation else "")
        sub = []
        if item.disputed:
            sub.append(SubRow(t["disputed"].format(amount=full(item.disputed))))
        tail = ("",) if with_compensation else ()
        for p in item.periods:
            sub.append(SubRow(t["interest_period"].format(start=day(p.start), end=day(p.end), days=p.days,
                                                          base=cell(p.base), rate=percent_text(p.rate, language)),
                              (cell(p.amount), *tail)))
        rows.append(Row(tuple(cells), tuple(sub)))
    for credit in credits:
        rows.append(Row((credit.reference, day(credit.date), "", "", cell(-credit.amount),
                         *([""] * (len(columns) - 5))), (SubRow(t["credit"]),)))
    totals = [(t["open_amounts"], full(sum((i.open for i in items), ZERO)))]
    if with_interest:
        totals.append((t["interest"], full(sum((i.interest for i in items), ZERO))))
    if with_compensation:
        totals.append((t["compensation"], full(sum((i.compensation for i in items), ZERO))))
    if fee:
        totals.append((t["fee"], full(fee)))
    if credits:
        totals.append((t["credits"], full(-sum((c.amount for c in credits), ZERO))))
    totals.append((t["total_due"], full(due)))
    fields = {"customer": recipient.name, "customer_id": customer_id, "company": seller.name, "as_of": day(as_of),
              "total": full(due), "level": level, "start": "", "end": day(as_of)}
    meta = [(t["date"], f"{place}, {day(as_of)}" if place else day(as_of))]
    if customer_id:
        meta.append((t["customer_number"], customer_id))
    meta.append((t["level"], str(level)))
    payment = None
    if iban or payment_reference:
        payment = LetterPayment(iban or "", bic or "", seller.name, due, payment_reference)
    return LetterDoc(
        seller=seller, recipient=recipient, date=as_of, subject=words["subject"].format(**fields), currency=currency,
        language=language, place=place, meta=tuple(meta),
        opening=tuple(p.strip() for p in words["opening"].format(**fields).split("\n\n") if p.strip()),
        tables=(Table("", tuple(columns), tuple(rows)),), totals=tuple(totals),
        closing=tuple(p.strip() for p in words["closing"].format(**fields).split("\n\n") if p.strip()),
        payment=payment, labels=tuple(t.items()), reference=reference)
