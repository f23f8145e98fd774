"""A business letter (a reminder, a customer statement) as PDF bytes, drawn like the invoice.

`LetterDoc` is what the page shows, all of it text already formatted in the letter's language
(amounts by babel: `1.234,56 €` in German, `€1,234.56` in English; `amount_text`): the seller's
particulars (the invoice's `Party`, `billing.invoicing.document.seller_of`), the recipient's
address, place and date, the subject, the opening paragraphs, tables (columns with their
alignment, rows, and sub-rows under a row: an item's interest periods), a totals block, the
closing paragraphs and a payment block (IBAN, BIC, the RF reference, and for euro the SEPA QR
code). The layouts that make one: `billing.documents.reminder_letter`, `…statement_letter`.

`render_letter` draws it with the invoice's machinery (`billing.documents.pdf`): the same
style (`invoice_style.toml` or a user's), fonts embedded as subsets, PDF/A-3B, a footer with
the seller and "page n of m", the QR code as vector squares. A long table breaks across pages
and its header row is repeated on each. Deterministic: the creation date is the letter's date,
so the same letter gives the same bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from billing.documents.epc_qr import EpcPayment
from billing.documents.pdf import _address, _Invoice, grouped, new_pdf, rendered
from billing.documents.style import Style, load_style
from billing.invoicing.document import Party
from billing.money import minor_unit

#: the babel locale of each letter language
LOCALES = {"en": "en", "de": "de_DE"}


@dataclass(frozen=True)
class Column:
    title: str
    width: float  # relative to the other columns
    align: str = "L"  # L or R (amounts)


@dataclass(frozen=True)
class SubRow:
    """A line under a row, in smaller type: `text` from the second column on, then `amounts`
    in the table's last `len(amounts)` columns (an interest period and its interest)."""

    text: str
    amounts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    sub: tuple[SubRow, ...] = ()
    bold: bool = False


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class LetterPayment:
    """How to pay: printed in the payment block, and for euro as the SEPA QR code."""

    iban: str
    bic: str
    account_name: str
    amount: Decimal  # what the QR code asks for (none when below 0.01)
    reference: str = ""  # an RF creditor reference: printed and in the QR code as structured remittance
    text: str = ""  # else the remittance text of the QR code


@dataclass(frozen=True)
class LetterDoc:
    """A business letter as printed (every text formatted already; amounts by `amount_text`)."""

    seller: Party
    recipient: Party
    date: dt.date
    subject: str
    currency: str
    language: str = "en"
    place: str = ""
    meta: tuple[tuple[str, str], ...] = ()  # (label, value) right of the address: date, customer number
    opening: tuple[str, ...] = ()  # paragraphs
    tables: tuple[Table, ...] = ()
    totals: tuple[tuple[str, str], ...] = ()  # (label, amount), the last one bold
    closing: tuple[str, ...] = ()
    payment: LetterPayment | None = None
    labels: tuple[tuple[str, str], ...] = ()  # the style's texts in the letter's language (page, payment, ...)
    reference: str = ""  # the letter's own reference (the PDF's title with the subject)

    # what `billing.documents.pdf.new_pdf` reads of a sheet
    @property
    def issue_date(self) -> dt.date:
        return self.date

    @property
    def number(self) -> str:
        return self.reference

    @property
    def title(self) -> str:
        return f"{self.subject} {self.reference}".strip()


def locale_of(language: str) -> str:
    try:
        return LOCALES[language]
    except KeyError:
        raise ValueError(f"no letters in language {language!r} ({', '.join(LOCALES)})") from None


def amount_text(amount: Decimal, currency: str, language: str, *, symbol: bool = True) -> str:
    """An amount as a letter prints it, in the currency's minor unit: with `symbol`
    `1.234,56 €` (de) / `€1,234.56` (en), else `1.234,56` / `1,234.56` (a table's column)."""
    from babel.numbers import format_currency, format_decimal

    if not isinstance(amount, Decimal):
        raise TypeError(f"an amount must be a Decimal, not {type(amount).__name__}")
    places = minor_unit(currency)
    exact = amount.quantize(Decimal(1).scaleb(-places))
    if exact != amount:
        raise ValueError(f"{amount} has more decimals than {currency}'s minor unit")
    if symbol:
        return format_currency(exact, currency, locale=locale_of(language))
    return format_decimal(exact, format="#,##0" + ("." + "0" * places if places else ""), locale=locale_of(language))


def percent_text(rate: Decimal, language: str) -> str:
    """A rate given as a fraction, as a percentage without trailing zeros (`0.1015` → `10.15`)."""
    from babel.numbers import format_decimal

    return format_decimal(rate * 100, format="#,##0.00##", locale=locale_of(language))


def date_text(day: dt.date, pattern: str, language: str) -> str:
    """A date in the CLDR pattern of the letter's texts (`dd.MM.yyyy`)."""
    from babel.dates import format_date

    return format_date(day, pattern, locale=locale_of(language))


def render_letter(doc: LetterDoc, style: Style | None = None, logo: Path | None = None) -> bytes:
    """The printable PDF (PDF/A-3B) of a letter: the same letter gives the same bytes."""
    from billing.documents.xmp import xmp_packet

    style = style or load_style()
    style = dataclasses.replace(style, texts={**style.texts, **dict(doc.labels)})

    def build(latin: bool):
        pdf = new_pdf(doc, style, latin=latin)  # type: ignore[arg-type]  # a LetterDoc has what it reads
        pdf.set_lang(doc.language)
        pdf.set_xmp_metadata(xmp_packet(doc.title, doc.seller.name, doc.date))
        pdf.add_page()
        _Letter(pdf, style).draw(doc, logo)
        return pdf

    return rendered(build, doc, style)  # type: ignore[arg-type]


class _PaymentView(NamedTuple):
    """What the invoice's payment block (`_Invoice._payment`) reads."""

    payment: tuple[tuple[str, str], ...]
    terms: tuple[str, ...]
    qr: EpcPayment | None


def qr_of(doc: LetterDoc) -> EpcPayment | None:
    """The SEPA QR code of the letter: euro only, an IBAN, at least 0.01 to pay."""
    p = doc.payment
    if p is None or doc.currency != "EUR" or not p.iban or p.amount < Decimal("0.01"):
        return None
    rf = p.reference if p.reference.startswith("RF") else ""
    return EpcPayment(p.account_name or doc.seller.name, p.iban, p.amount, "EUR", p.bic or "", reference=rf,
                      text="" if rf else (p.text or p.reference))


class _Letter(_Invoice):
    """The drawing of a letter: the invoice's fonts, party lines, payment block and QR code."""

    def draw(self, doc: LetterDoc, logo: Path | None) -> None:  # type: ignore[override]
        pdf, style = self.pdf, self.style
        left, width, top = pdf.l_margin, pdf.epw, pdf.t_margin
        # the logo (top left) and the seller (top right), as on the invoice
        if logo is not None:
            pdf.image(str(logo), x=left, y=top, w=style.logo["width"], keep_aspect_ratio=True,
                      h=style.logo["max_height"])
        pdf.set_xy(left + width / 2, top)
        self.font("bold", "heading", "accent")
        pdf.multi_cell(width / 2, 5, doc.seller.name, align="R", new_x="LEFT", new_y="NEXT")
        self.font("regular", "small", "muted")
        contact = tuple(c for c in (doc.seller.contact_email, doc.seller.contact_phone) if c)
        for line in (*_address(doc.seller), *self._ids(doc.seller, self.style.texts), *contact):  # type: ignore[arg-type]
            pdf.multi_cell(width / 2, 3.6, line, align="R", new_x="LEFT", new_y="NEXT")
        y = max(pdf.get_y(), top + style.logo["max_height"]) + 6
        # the return address line, the recipient (left), place, date and references (right)
        pdf.set_xy(left, y)
        self.font("regular", "small", "muted")
        pdf.cell(width / 2, 4, " · ".join((doc.seller.name, *_address(doc.seller))), new_x="LMARGIN",
                 new_y="NEXT")
        self.font("bold", "body")
        pdf.multi_cell(width / 2 - 5, 4.6, doc.recipient.name, new_x="LEFT", new_y="NEXT")
        self.font("regular", "body")
        for line in _address(doc.recipient):
            pdf.multi_cell(width / 2 - 5, 4.4, line, new_x="LEFT", new_y="NEXT")
        bottom = pdf.get_y()
        pdf.set_xy(left + width / 2, y + 4)
        for label, value in doc.meta:
            self.font("regular", "body", "muted")
            pdf.cell(width / 4, 4.6, label)
            self.font("regular", "body")
            pdf.multi_cell(width / 4, 4.6, value, align="R", new_x="LEFT", new_y="NEXT")
            pdf.set_x(left + width / 2)
        pdf.set_xy(left, max(bottom, pdf.get_y()) + 8)
        # the subject, the opening
        self.font("bold", "heading", "accent")
        pdf.multi_cell(width, 5.5, doc.subject, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        self._paragraphs(doc.opening)
        for table in doc.tables:
            self._table(table)
        self._totals(doc)
        self._paragraphs(doc.closing)
        if doc.payment is not None:
            p = doc.payment
            lines = [("iban", grouped(p.iban))] if p.iban else []
            if p.bic:
                lines.append(("bic", p.bic))
            if p.reference:
                lines.append(("payment_reference", grouped(p.reference) if p.reference.startswith("RF")
                              else p.reference))
            pdf.ln(2)
            self._payment(_PaymentView(tuple(lines), (), qr_of(doc)))  # type: ignore[arg-type]

    def _paragraphs(self, paragraphs: tuple[str, ...]) -> None:
        self.font("regular", "body")
        for paragraph in paragraphs:
            self.pdf.multi_cell(self.pdf.epw, 4.8, paragraph, align="L", new_x="LMARGIN", new_y="NEXT")
            self.pdf.ln(2.5)

    def _table(self, table: Table) -> None:
        from fpdf.fonts import FontFace

        pdf, style = self.pdf, self.style
        if table.title:
            if pdf.will_page_break(20):
                pdf.add_page()
            self.font("bold", "body", "accent")
            pdf.cell(pdf.epw, 6, table.title, new_x="LMARGIN", new_y="NEXT")
        self.font("regular", "body")
        header = FontFace(emphasis="BOLD", color=style.colours["text"], fill_color=style.colours["table_header"])
        small = FontFace(emphasis="ITALICS", size_pt=style.sizes["small"], color=style.colours["muted"])
        bold = FontFace(emphasis="BOLD")
        aligns = tuple("RIGHT" if c.align == "R" else "LEFT" for c in table.columns)
        n = len(table.columns)
        pdf.set_draw_color(*style.colours["rule"])
        with pdf.table(col_widths=tuple(c.width for c in table.columns), text_align=aligns, headings_style=header,
                       borders_layout="HORIZONTAL_LINES", line_height=4.8, padding=(1.0, 1.5),
                       first_row_as_headings=True, repeat_headings=1) as grid:
            grid.row(tuple(c.title for c in table.columns))
            for row in table.rows:
                grid.row(row.cells, style=bold if row.bold else None)
                for sub in row.sub:
                    line = grid.row(style=small)
                    line.cell("")
                    line.cell(sub.text, align="LEFT", colspan=n - 1 - len(sub.amounts))
                    for amount in sub.amounts:
                        line.cell(amount, align="RIGHT")
        pdf.ln(4)

    def _totals(self, doc: LetterDoc) -> None:
        pdf, style = self.pdf, self.style
        if not doc.totals:
            return
        left, width = pdf.l_margin, pdf.epw
        if pdf.will_page_break(6 + 5 * len(doc.totals)):
            pdf.add_page()
        pdf.set_x(left + width * 0.45)
        for i, (label, amount) in enumerate(doc.totals):
            last = i == len(doc.totals) - 1
            if last:
                pdf.set_draw_color(*style.colours["rule"])
                pdf.line(left + width * 0.45, pdf.get_y(), left + width, pdf.get_y())
            self.font("bold" if last else "regular", "heading" if last else "body", "text")
            pdf.cell(width * 0.35, 6 if last else 5, label)
            pdf.cell(width * 0.20, 6 if last else 5, amount, align="R", new_x="LEFT", new_y="NEXT")
            pdf.set_x(left + width * 0.45)
        pdf.set_xy(left, pdf.get_y() + 4)


__all__ = ["Column", "LetterDoc", "LetterPayment", "Row", "SubRow", "Table", "amount_text", "date_text",
           "percent_text", "qr_of", "render_letter"]
