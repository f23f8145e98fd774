"""The customer statement as a letter: the figures of a `Statement`
(`billing.receivables.customer_statements`) and the items still open at its end.

The movements table is the statement file's `Statement` sheet: the opening balance, each
invoice, credit note, payment and settled difference with the balance after it, the closing
balance. The open-items table lists what makes up the closing balance (`open_items` on the
statement's last day: invoices with their open amount and days overdue, open credit notes,
and payments not yet allocated), which add up to the closing balance. Totals: opening balance,
movements, closing balance. A closing balance to pay gets the payment block (and for euro
the QR code, its remittance text naming the customer and the day).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from billing.documents.letter import Column, LetterDoc, LetterPayment, Row, Table, amount_text, date_text
from billing.documents.letter_texts import LetterTexts, load_letter_texts
from billing.invoicing.document import Party
from billing.receivables.aging import OpenItem
from billing.receivables.customer_statements import Statement

ZERO = Decimal(0)


def statement_document(statement: Statement, open_items: Sequence[OpenItem], *, seller: Party, recipient: Party,
                       unapplied: Decimal = ZERO, iban: str | None = None, bic: str | None = None,
                       language: str = "en", texts: LetterTexts | None = None, place: str = "") -> LetterDoc:
    """The statement letter; `open_items` are the customer's in the statement's currency on its
    last day, `unapplied` its payments not yet allocated then (negative, as aging has them)."""
    s = statement
    texts = texts or load_letter_texts()
    t = texts.labels(language)
    words = texts.letter(language, "statement")

    def day(d) -> str:
        return date_text(d, t["date_format"], language) if d is not None else ""

    def cell(amount: Decimal) -> str:
        return amount_text(amount, s.currency, language, symbol=False)

    def full(amount: Decimal) -> str:
        return amount_text(amount, s.currency, language)

    movements = [Row((day(s.start), t["opening_balance"], "", "", "", cell(s.opening)), bold=True)]
    for m, balance in s.lines:
        kind = t.get(f"kind_{m.kind}", m.kind)
        movements.append(Row((day(m.date), f"{kind} ({m.description})" if m.description else kind, m.reference,
                              day(m.due_date), cell(m.amount), cell(balance))))
    movements.append(Row((day(s.end), t["closing_balance"], "", "", "", cell(s.closing)), bold=True))
    columns = (Column(t["date"], 20), Column(t["type"], 44), Column(t["reference"], 32), Column(t["due_date"], 20),
               Column(f"{t['amount']} ({s.currency})", 26, "R"), Column(t["balance"], 26, "R"))
    tables = [Table(t["movements"], columns, tuple(movements))]
    if open_items or unapplied:
        rows = tuple(Row((o.item.number, t.get(f"kind_{o.item.kind}", o.item.kind), day(o.item.issue_date),
                          day(o.item.due_date) if o.item.kind != "credit_note" else "",
                          str(o.days_past_due) if o.item.kind != "credit_note" and o.days_past_due > 0 else "",
                          cell(o.amount)))
                     for o in open_items)
        if unapplied:
            rows += (Row((t["unapplied"], "", "", "", "", cell(unapplied))),)
        tables.append(Table(t["open_items"], (
            Column(t["reference"], 32), Column(t["type"], 30), Column(t["invoice_date"], 24),
            Column(t["due_date"], 24), Column(t["days_overdue"], 22, "R"), Column(f"{t['open']} ({s.currency})", 28,
                                                                                   "R")), rows))
    totals = [(t["opening_balance"], full(s.opening)), (t["movements_total"], full(s.closing - s.opening))]
    totals.append((t["closing_balance"], full(s.closing)))
    fields = {"customer": recipient.name, "customer_id": s.customer_id, "company": seller.name, "as_of": day(s.end),
              "total": full(s.closing), "level": "", "start": day(s.start), "end": day(s.end)}
    meta = [(t["date"], f"{place}, {day(s.end)}" if place else day(s.end))]
    if s.customer_id:
        meta.append((t["customer_number"], s.customer_id))
    meta.append((t["period"], t["period_value"].format(start=day(s.start), end=day(s.end))))
    payment = None
    if iban and s.closing > 0:
        payment = LetterPayment(iban, bic or "", seller.name, s.closing,
                                text=t["statement_remittance"].format(customer_id=s.customer_id, end=day(s.end)))
    return LetterDoc(
        seller=seller, recipient=recipient, date=s.end, subject=words["subject"].format(**fields),
        currency=s.currency, language=language, place=place, meta=tuple(meta),
        opening=tuple(p.strip() for p in words["opening"].format(**fields).split("\n\n") if p.strip()),
        tables=tuple(tables), totals=tuple(totals),
        closing=tuple(p.strip() for p in words["closing"].format(**fields).split("\n\n") if p.strip()),
        payment=payment, labels=tuple(t.items()), reference=f"{s.customer_id} {s.currency} {s.end.isoformat()}")
