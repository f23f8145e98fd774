"""The printable A4 invoice (or credit note) as PDF bytes, drawn with fpdf2.

Why fpdf2: it is pure Python (its dependencies fontTools, Pillow and defusedxml install from
wheels on Windows and macOS), needs no system library (WeasyPrint needs Pango/GTK on Windows),
embeds TrueType fonts as subsets, and writes PDF/A-3 itself: output intent, XMP metadata,
associated files with AFRelationship — so the Factur-X document is made in the same single pass
(`billing.documents.facturx`). ReportLab would do the drawing as well, but its PDF/A-3 parts
are in the commercial edition. The tests read the documents back with pikepdf.

Every particular of Art. 226 of Directive 2006/112/EC is on the page: both parties' names,
addresses and VAT ids, the invoice date and number, the date (or period) of supply, per line
the quantity, unit, nature and unit price and net amount, the taxable amount and tax per rate,
the totals, the exemption or reverse-charge wording, the terms with the early-payment
discount, the RF payment reference, and on a credit note the invoice it corrects.

Deterministic: the same document gives the same bytes — the creation date is the issue date
(midnight UTC), the file id is a hash of the content, fonts are subset in a fixed order, and
the QR code is drawn as vector squares.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from decimal import Decimal
from pathlib import Path

from billing.documents.epc_qr import EpcError, EpcPayment, epc_matrix
from billing.documents.style import Style, font_file, load_style
from billing.invoicing.document import InvoiceDocument

A4 = (210.0, 297.0)
PRODUCER = "xlbilling"
FAMILY = "body"  # the style's three fonts, as one family of fpdf2
EMPHASIS = {"regular": "", "bold": "B", "italic": "I"}
SRGB_PROFILE = "sRGB2014.icc"  # shipped by fpdf2 (fpdf/data/color_profiles), the ICC's own sRGB profile


@dataclass(frozen=True)
class Party:
    """One side of the invoice as printed."""
    name: str
    address: tuple[str, ...] = ()  # street, "postcode city", country
    vat_id: str = ""
    tax_number: str = ""
    contact: tuple[str, ...] = ()  # e-mail, phone


@dataclass(frozen=True)
class SheetLine:
    quantity: str
    unit: str
    description: str
    unit_price: str
    rate: str
    net: str


@dataclass(frozen=True)
class Sheet:
    """What the page shows, as text: made from an InvoiceDocument by `sheet_of`, drawn by
    `render_pdf`. Amounts are formatted already (the document's Decimals, never floats)."""
    credit_note: bool
    number: str
    issue_date: dt.date
    seller: Party
    buyer: Party
    currency: str
    lines: tuple[SheetLine, ...]
    tax_rows: tuple[tuple[str, str, str], ...]  # (rate or category, taxable amount, tax)
    totals: tuple[tuple[str, str], ...]  # (label key, amount), the last one bold
    meta: tuple[tuple[str, str], ...] = ()  # (label key, value): dates, references
    notes: tuple[str, ...] = ()  # exemption / reverse-charge wording, the correction note
    payment: tuple[tuple[str, str], ...] = ()  # (label key, value): IBAN, BIC, reference
    terms: tuple[str, ...] = ()
    qr: EpcPayment | None = None
    logo: Path | None = None
    title: str = ""
    keywords: tuple[str, ...] = field(default_factory=tuple)


def money(amount: Decimal) -> str:
    """An amount as printed: thousands separated, its own decimals (`1,234.50`)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"an amount must be a Decimal, not {type(amount).__name__}")
    return f"{amount:,f}"


def price_text(price: Decimal, currency: str) -> str:
    """A unit price as printed: at least the currency's minor unit (`85` → `85.00`), more
    decimals when the price has them (`0.125`)."""
    from billing.money import minor_unit

    places = minor_unit(currency)
    if price.as_tuple().exponent > -places:  # type: ignore[operator]
        price = price.quantize(Decimal(1).scaleb(-places))
    return money(price)


def quantity_text(quantity: Decimal) -> str:
    """A quantity without trailing zeros (`2`, `1.5`)."""
    text = f"{quantity:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def creation_datetime(issue: dt.date) -> dt.datetime:
    """The PDF creation date: the issue date at midnight UTC (never the clock)."""
    return dt.datetime(issue.year, issue.month, issue.day, tzinfo=dt.timezone.utc)


#: UN/ECE Recommendation 20 unit codes (BT-130) as printed; any other code is printed as it is
UNITS = {"HUR": "h", "DAY": "day", "WEE": "week", "MON": "month", "ANN": "year", "MIN": "min", "C62": "pcs",
         "H87": "pcs", "EA": "each", "KGM": "kg", "GRM": "g", "MTR": "m", "KMT": "km", "LTR": "l", "MTK": "m²",
         "LS": "lump sum", "SET": "set", "XPK": "pack"}


def grouped(code: str) -> str:
    """An IBAN or RF reference in groups of four, as printed (`DE89 3704 ...`)."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


def rate_text(category: str, rate: Decimal, style: Style) -> str:
    """The VAT column of a category and rate (`19 %`, `Reverse charge`), from the style's texts."""
    template = style.texts.get(f"category_{category}", "{rate} % (" + category + ")")
    return template.format(rate=quantity_text(rate))


def _address(party) -> tuple[str, ...]:
    a = party.address
    city = " ".join(p for p in (a.postcode, a.city) if p)
    return tuple(p for p in (a.street, city, a.country) if p)


def sheet_of(doc: InvoiceDocument, style: Style | None = None, *, logo: Path | None = None) -> Sheet:
    """What the page of an InvoiceDocument shows."""
    style = style or load_style()
    t = style.texts
    credit = doc.is_credit_note

    def party(p) -> Party:
        return Party(p.name, _address(p), p.vat_id or "", p.tax_number or "",
                     tuple(c for c in (p.contact_email, p.contact_phone) if c))

    lines = tuple(SheetLine(quantity_text(line.quantity), UNITS.get(line.unit_code, line.unit_code), line.name,
                            price_text(line.net_price, doc.currency), rate_text(line.category, line.rate, style), money(line.net_amount))
                  for line in doc.lines)
    tax_rows = tuple((rate_text(v.category, v.rate, style), money(v.taxable), money(v.tax)) for v in doc.vat)
    tot = doc.totals
    totals: list[tuple[str, str]] = []
    if tot.allowances or tot.charges:
        totals.append(("sum_of_lines", money(tot.line_net)))
        if tot.allowances:
            totals.append(("allowances", money(-tot.allowances)))
        if tot.charges:
            totals.append(("charges", money(tot.charges)))
    totals += [("total_net", money(tot.without_vat)), ("total_tax", money(tot.vat)),
               ("total_gross", money(tot.with_vat))]
    if tot.prepaid or tot.rounding or tot.payable != tot.with_vat:
        if tot.prepaid:
            totals.append(("prepaid", money(-tot.prepaid)))
        if tot.rounding:
            totals.append(("rounding", money(tot.rounding)))
        totals.append(("amount_due", money(tot.payable)))
    meta = [("credit_note_number" if credit else "invoice_number", doc.number),
            ("issue_date", doc.issue_date.isoformat()), ("supply_date", doc.delivery_date.isoformat())]
    terms = doc.payment_terms
    if terms.due_date is not None and not credit:
        meta.append(("due_date", terms.due_date.isoformat()))
    if doc.buyer_reference:
        meta.append(("buyer_reference", doc.buyer_reference))
    notes: list[str] = []
    if credit:
        notes.append(t["credit_note_for"].format(
            number=doc.preceding_number or "?",
            date=doc.preceding_date.isoformat() if doc.preceding_date else "").removesuffix(" of ").strip())
    for v in doc.vat:
        if v.category == "AE" and not v.exemption_reason:
            notes.append(t["reverse_charge_note"])
        elif v.exemption_reason:
            notes.append(f"{rate_text(v.category, v.rate, style)}: {v.exemption_reason}")
    notes += [n for n in doc.notes if n]
    means = doc.payment_means
    payment = []
    if means.iban:
        payment.append(("iban", grouped(means.iban)))
    if means.bic:
        payment.append(("bic", means.bic))
    if means.remittance:
        payment.append(("payment_reference", grouped(means.remittance)))
    term_lines = [terms.text] if terms.text else []
    if terms.discount_pct and terms.discount_date and terms.discounted_amount is not None and not credit:
        term_lines.append(t["early_payment"].format(
            percent=quantity_text(terms.discount_pct * 100), date=terms.discount_date.isoformat(),
            amount=f"{money(terms.discounted_amount)} {doc.currency}"))
    qr = None
    if (not credit and doc.currency == "EUR" and means.iban and tot.payable >= Decimal("0.01")
            and means.code in ("58", "30")):
        rf = means.remittance if means.remittance and means.remittance.startswith("RF") else ""
        qr = EpcPayment(means.account_name or doc.seller.name, means.iban, tot.payable, "EUR", means.bic or "",
                        reference=rf, text="" if rf else t["remittance_text"].format(number=doc.number))
    title = f"{t['credit_note'] if credit else t['invoice']} {doc.number}"
    return Sheet(credit, doc.number, doc.issue_date, party(doc.seller), party(doc.buyer), doc.currency, lines,
                 tax_rows, tuple(totals), tuple(meta), tuple(notes), tuple(payment), tuple(term_lines), qr,
                 logo, title)


def render_pdf(doc: InvoiceDocument, style: Style | None = None, *, logo: Path | None = None) -> bytes:
    """The printable PDF (PDF/A-3B) of an issued invoice or credit note."""
    style = style or load_style()
    return render_sheet(sheet_of(doc, style, logo=logo), style)


class _Invoice:
    """The drawing of one sheet, on an fpdf2 document made by `new_pdf`."""

    def __init__(self, pdf, style: Style):
        self.pdf, self.style = pdf, style

    def font(self, kind: str = "regular", size: str = "body", colour: str = "text") -> None:
        self.pdf.set_font(FAMILY, EMPHASIS[kind], size=self.style.sizes[size])
        self.pdf.set_text_color(*self.style.colours[colour])

    def text(self, key: str) -> str:
        return self.style.texts[key]

    def draw(self, sheet: Sheet) -> None:
        pdf, style, t = self.pdf, self.style, self.text
        left, width = pdf.l_margin, pdf.epw
        top = pdf.t_margin
        # the logo (top left) and the seller (top right)
        if sheet.logo is not None:
            pdf.image(str(sheet.logo), x=left, y=top, w=style.logo["width"], keep_aspect_ratio=True,
                      h=style.logo["max_height"])
        pdf.set_xy(left + width / 2, top)
        self.font("bold", "heading", "accent")
        pdf.multi_cell(width / 2, 5, sheet.seller.name, align="R", new_x="LEFT", new_y="NEXT")
        self.font("regular", "small", "muted")
        for line in (*sheet.seller.address, *self._ids(sheet.seller, self.style.texts), *sheet.seller.contact):
            pdf.multi_cell(width / 2, 3.6, line, align="R", new_x="LEFT", new_y="NEXT")
        y = max(pdf.get_y(), top + style.logo["max_height"]) + 8
        # the title
        pdf.set_xy(left, y)
        self.font("bold", "title", "accent")
        pdf.cell(width, 9, t("credit_note") if sheet.credit_note else t("invoice"), new_x="LMARGIN", new_y="NEXT")
        y = pdf.get_y() + 3
        # the buyer (left) and the invoice's particulars (right)
        pdf.set_xy(left, y)
        self.font("bold", "small", "muted")
        pdf.cell(width / 2, 4, t("buyer").upper(), new_x="LEFT", new_y="NEXT")
        self.font("bold", "body")
        pdf.multi_cell(width / 2 - 5, 4.6, sheet.buyer.name, new_x="LEFT", new_y="NEXT")
        self.font("regular", "body")
        for line in (*sheet.buyer.address, *self._ids(sheet.buyer, self.style.texts)):
            pdf.multi_cell(width / 2 - 5, 4.4, line, new_x="LEFT", new_y="NEXT")
        buyer_bottom = pdf.get_y()
        pdf.set_xy(left + width / 2, y)
        for key, value in sheet.meta:
            self.font("regular", "body", "muted")
            pdf.cell(width / 4, 4.6, t(key))
            self.font("bold" if key.endswith("number") else "regular", "body")
            pdf.multi_cell(width / 4, 4.6, value, align="R", new_x="LEFT", new_y="NEXT")
            pdf.set_x(left + width / 2)
        pdf.set_xy(left, max(buyer_bottom, pdf.get_y()) + 6)
        for note in sheet.notes[:1] if sheet.credit_note else ():
            self.font("bold", "body", "accent")
            pdf.multi_cell(width, 5, note, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        self._line_table(sheet)
        self._tax_and_totals(sheet)
        for note in sheet.notes[1:] if sheet.credit_note else sheet.notes:
            self.font("italic", "body")
            pdf.multi_cell(width, 4.6, note, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        self._payment(sheet)

    @staticmethod
    def _ids(party: Party, texts: dict[str, str]) -> list[str]:
        """The party's VAT id and tax number, labelled in the document's language."""
        ids = []
        if party.vat_id:
            ids.append(f"{texts['vat_id']} {party.vat_id}")
        if party.tax_number:
            ids.append(f"{texts['tax_number']} {party.tax_number}")
        return ids

    def _line_table(self, sheet: Sheet) -> None:
        from fpdf.fonts import FontFace

        pdf, style, t = self.pdf, self.style, self.text
        self.font("regular", "body")
        header = FontFace(emphasis="BOLD", color=style.colours["text"], fill_color=style.colours["table_header"])
        pdf.set_draw_color(*style.colours["rule"])
        with pdf.table(col_widths=(12, 12, 76, 24, 14, 26), text_align=("RIGHT", "LEFT", "LEFT", "RIGHT", "RIGHT",
                                                                         "RIGHT"),
                       headings_style=header, borders_layout="HORIZONTAL_LINES", line_height=5,
                       padding=(1.2, 1.5), first_row_as_headings=True) as table:
            table.row((t("quantity"), t("unit"), t("description"), t("unit_price"), t("tax_rate"),
                       f"{t('net')} ({sheet.currency})"))
            for line in sheet.lines:
                table.row((line.quantity, line.unit, line.description, line.unit_price, line.rate, line.net))
        pdf.ln(4)

    def _tax_and_totals(self, sheet: Sheet) -> None:
        pdf, style, t = self.pdf, self.style, self.text
        left, width = pdf.l_margin, pdf.epw
        if pdf.will_page_break(6 + 5 * (len(sheet.tax_rows) + len(sheet.totals))):
            pdf.add_page()
        y = pdf.get_y()
        # the tax summary per rate (left)
        column = (width / 2 - 6) / 3
        self.font("bold", "small", "muted")
        for text, align in ((t("tax_rate"), "L"), (t("taxable_amount"), "R"), (t("tax_amount"), "R")):
            pdf.cell(column, 5, text, align=align)
        pdf.ln(5)
        self.font("regular", "body")
        for rate, base, tax in sheet.tax_rows:
            pdf.set_x(left)
            pdf.cell(column, 5, rate)
            pdf.cell(column, 5, base, align="R")
            pdf.cell(column, 5, tax, align="R", new_x="LMARGIN", new_y="NEXT")
        tax_bottom = pdf.get_y()
        # the totals (right)
        pdf.set_xy(left + width / 2, y)
        for i, (key, amount) in enumerate(sheet.totals):
            last = i == len(sheet.totals) - 1
            if last:
                pdf.set_draw_color(*style.colours["rule"])
                pdf.line(left + width / 2, pdf.get_y(), left + width, pdf.get_y())
            self.font("bold" if last else "regular", "heading" if last else "body", "text")
            pdf.cell(width / 4, 6 if last else 5, t(key))
            pdf.cell(width / 4, 6 if last else 5, f"{amount} {sheet.currency}", align="R", new_x="LEFT",
                     new_y="NEXT")
            pdf.set_x(left + width / 2)
        pdf.set_xy(left, max(tax_bottom, pdf.get_y()) + 4)

    def _payment(self, sheet: Sheet) -> None:
        pdf, style, t = self.pdf, self.style, self.text
        left, width = pdf.l_margin, pdf.epw
        if not (sheet.payment or sheet.terms or sheet.qr):
            return
        qr_size = style.qr["size"]
        if pdf.will_page_break(max(qr_size + 8, 6 + 5 * (len(sheet.payment) + len(sheet.terms)))):
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_draw_color(*style.colours["rule"])
        pdf.line(left, y, left + width, y)
        pdf.set_xy(left, y + 2)
        self.font("bold", "small", "muted")
        pdf.cell(width, 4, t("payment").upper(), new_x="LMARGIN", new_y="NEXT")
        text_width = width - (qr_size + 6 if sheet.qr else 0)
        for key, value in sheet.payment:
            self.font("regular", "body", "muted")
            pdf.cell(34, 4.8, t(key))
            self.font("bold" if key == "payment_reference" else "regular", "body")
            pdf.multi_cell(text_width - 34, 4.8, value, new_x="LMARGIN", new_y="NEXT")
        self.font("regular", "body")
        for line in sheet.terms:
            pdf.multi_cell(text_width, 4.8, line, new_x="LMARGIN", new_y="NEXT")
        bottom = pdf.get_y()
        if sheet.qr is not None:
            bottom = max(bottom, self._qr(sheet.qr, left + width - qr_size, y + 3, qr_size))
        pdf.set_xy(left, bottom + 2)

    def _qr(self, payment: EpcPayment, x: float, y: float, size: float) -> float:
        pdf = self.pdf
        matrix = epc_matrix(payment)
        module = size / len(matrix)
        pdf.set_fill_color(0, 0, 0)
        for r, row in enumerate(matrix):
            c = 0
            while c < len(row):  # a run of dark modules as one rectangle
                if row[c]:
                    start = c
                    while c < len(row) and row[c]:
                        c += 1
                    pdf.rect(x + start * module, y + r * module, (c - start) * module, module, style="F")
                else:
                    c += 1
        self.font("regular", "small", "muted")
        pdf.set_xy(x - 6, y + size + 0.5)
        pdf.cell(size + 6, 3.5, self.text("qr_caption"), align="C")
        return y + size + 4


#: the tables fpdf2 drops from every embedded subset (`fpdf.output`), dropped once per process
#: instead: the subsetter would otherwise parse the large GSUB/GPOS tables of every document's fonts
#: (text shaping is off, so nothing reads them) only to throw them away
UNUSED_TABLES = ("FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "sbix", "CBDT", "CBLC", "EBDT",
                 "EBLC", "EBSC", "SVG ", "CPAL", "COLR")


#: the characters of the working fonts (`prepared_font(path, latin=True)`): Latin with its
#: extensions, punctuation, currency and letter-like signs, arrows and mathematical operators —
#: what almost every invoice prints, a quarter of Source Sans Pro's glyphs (a smaller font is
#: parsed and subset faster); a document with any other character gets the whole font
LATIN = tuple(range(0x20, 0x250)) + tuple(range(0x1E00, 0x1F00)) + tuple(range(0x2000, 0x2070)) + tuple(
    range(0x20A0, 0x20D0)) + tuple(range(0x2100, 0x2160)) + tuple(range(0x2190, 0x2300))
LATIN_SET = frozenset(LATIN)


@lru_cache(maxsize=16)
def prepared_font(path: Path, latin: bool = False) -> bytes:
    """A TrueType file's bytes without `UNUSED_TABLES` (with `latin`, only the glyphs of the
    characters in `LATIN`), made once per process: each document parses its own copy (fontTools
    subsets a font in place, so a parsed font is never shared). Glyph order, names, outlines,
    metrics and the head/maxp values stay the file's, so a document's embedded subset is the
    same bytes from either (`tests/test_documents.py` compares them)."""
    import io

    from fontTools import subset, ttLib

    font = ttLib.TTFont(io.BytesIO(path.read_bytes()), recalcTimestamp=False, recalcBBoxes=False)
    for tag in UNUSED_TABLES:
        if tag in font:
            del font[tag]
    if latin:
        options = subset.Options(notdef_outline=True, recommended_glyphs=True, glyph_names=True,
                                 name_IDs=["*"], name_languages=["*"], legacy_kern=True, hinting=True,
                                 prune_unicode_ranges=False, prune_codepage_ranges=False, layout_features=["*"],
                                 passthrough_tables=True)
        options.drop_tables = []
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=LATIN)
        subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


#: the attributes of fpdf2's TTFFont that `_font_of` knows (per document: i, ttfont, desc, cw,
#: missing_glyphs, biggest_size_pt, subset, _hbfont; the rest is the font's own and shared);
#: another fpdf2 whose font has other attributes gets every font parsed anew
KNOWN_FONT_SLOTS = frozenset((
    "i", "type", "name", "desc", "glyph_ids", "_hbfont", "sp", "ss", "up", "ut", "cw", "ttffile", "fontkey",
    "emphasis", "scale", "subset", "cmap", "ttfont", "missing_glyphs", "biggest_size_pt", "color_font",
    "unicode_range", "palette_index", "is_compressed", "is_cff", "is_cid_keyed", "is_symbol", "cff_ros",
    "collection_font_number"))


@lru_cache(maxsize=16)
def _parsed_font(path: Path, key: str, emphasis: str, latin: bool):
    """fpdf2's font object for a prepared font, parsed once per process: what does not change
    between documents (metrics, widths, character map, descriptor). None when it cannot be
    shared (an fpdf2 with unknown font attributes, a colour font, a font without .notdef)."""
    import io

    from fpdf import FPDF
    from fpdf.fonts import TTFFont

    if frozenset(TTFFont.__slots__) != KNOWN_FONT_SLOTS:
        return None
    font = TTFFont(FPDF(), io.BytesIO(prepared_font(path, latin)), key, emphasis)  # type: ignore[arg-type]
    if font.color_font is not None or ".notdef" not in font.ttfont["glyf"]:
        return None
    font.ttfont = None  # each document parses its own (`_font_of`)
    return font


def _font_of(pdf, path: Path, key: str, emphasis: str, latin: bool):
    """The font object of one document: a copy of the process's `_parsed_font` with its own
    TrueType font (parsed lazily from the prepared bytes, subset in place at output), its own
    descriptor, widths, glyph subset and missing-glyph list; the same object fpdf2's add_font
    makes, without re-reading the file (`tests/test_documents.py` compares the bytes)."""
    import copy
    import io

    from fontTools import ttLib
    from fpdf.fonts import SubsetMap, TTFFont

    shared = _parsed_font(path, key, emphasis, latin)
    if shared is None:
        font = TTFFont(pdf, io.BytesIO(prepared_font(path, latin)), key, emphasis)  # type: ignore[arg-type]
    else:
        font = copy.copy(shared)
        font.i = len(pdf.fonts) + 1
        font.ttfont = ttLib.TTFont(io.BytesIO(prepared_font(path, latin)), recalcTimestamp=False, lazy=True)
        font.desc = copy.copy(shared.desc)
        font.cw = copy.copy(shared.cw)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None
        font.subset = SubsetMap(font)
    # the subset keeps each glyph's own bounding box: not recomputing them at output saves
    # expanding and recompiling every glyph (the font's head/maxp keep the whole font's maxima)
    font.ttfont.recalcBBoxes = False
    return font


def add_fonts(pdf, style: Style, *, latin: bool = False) -> None:
    """The style's fonts as the family `FAMILY` of the document (what `FPDF.add_font` does,
    without re-reading and re-parsing the files for every document: `_font_of`); with `latin`,
    the working fonts of `LATIN` only."""
    for kind, name in style.fonts.items():
        path = font_file(name)
        if path.suffix.lower() != ".ttf":  # OpenType (CFF) and WOFF files: fpdf2's own way
            pdf.add_font(FAMILY, EMPHASIS[kind], str(path))
            continue
        emphasis = EMPHASIS[kind]
        key = f"{FAMILY}{emphasis}"
        pdf.fonts[key] = _font_of(pdf, path, key, emphasis, latin)


def printed_characters(sheet: Sheet, style: Style) -> frozenset[str]:
    """Every character the sheet's page can print: its texts and the style's (a superset: the
    QR payload and the logo path are counted too)."""
    import dataclasses

    found: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, str):
            found.update(value)
        elif isinstance(value, (tuple, list)):
            for item in value:
                walk(item)
        elif dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))
        elif isinstance(value, Path):
            found.update(str(value))

    walk(sheet)
    walk(tuple(style.texts.values()))
    return frozenset(found)


def latin_only(sheet: Sheet, style: Style) -> bool:
    """Whether the working fonts (`LATIN`) have every character the sheet prints."""
    return all(ord(c) in LATIN_SET for c in printed_characters(sheet, style) if c >= " ")


def rendered(build, sheet: Sheet, style: Style, then=None) -> bytes | tuple[bytes, bytes]:
    """The bytes of the document `build(latin)` makes (fonts, drawing, metadata): with the working
    fonts when the sheet's characters are all in `LATIN`, else — or if a glyph was missing after
    all — with the whole fonts. With `then`: the bytes, and the bytes again after `then(pdf)` (see
    `output_twice`)."""
    latin = latin_only(sheet, style)

    def out(pdf):
        return output_twice(pdf, then) if then is not None else bytes(pdf.output())

    pdf = build(latin)
    result = out(pdf)
    if latin and any(getattr(font, "missing_glyphs", None) for font in pdf.fonts.values()):
        result = out(build(False))
    return result


def output_twice(pdf, then) -> tuple[bytes, bytes]:
    """The document's bytes, and its bytes again after `then(pdf)` has added what lies beside
    the pages (metadata, an attached file): two files from one drawing (the plain PDF and the
    Factur-X PDF of an invoice: drawing and font subsetting are most of a document's cost).

    fpdf2 builds the file from the pages in place (each page's content becomes a stream, its
    empty annotation list None, each font is subset in place): the pages' content and
    annotations are kept before the first file and put back for the second, and the font
    objects the first file made (the subsets, their widths, maps and descriptors) are the
    second file's too, numbered anew — the same bytes as a second drawing gives
    (`tests/test_documents.py` compares them)."""
    from fpdf.output import OutputProducer

    kept: dict = {}

    class _Keeping(OutputProducer):
        def bufferize(self):
            kept["pages"] = {n: (bytearray(page.contents), page.annots) for n, page in self.fpdf.pages.items()}
            return super().bufferize()

        def _add_fonts(self, *args, **kwargs):
            start = len(self.pdf_objs)
            made = super()._add_fonts(*args, **kwargs)
            kept["fonts"] = [(obj, self.trace_labels_per_obj_id.get(obj.id)) for obj in self.pdf_objs[start:]], made
            return made

    class _Again(OutputProducer):
        def _add_fonts(self, *args, **kwargs):
            objects, made = kept["fonts"]
            for obj, label in objects:
                self._add_pdf_obj(obj, label)
            return made

    first = bytes(pdf.output(output_producer_class=_Keeping))  # the footer drawn, then the file
    for n, page in pdf.pages.items():
        page.contents, page.annots = kept["pages"][n]
    then(pdf)
    again = _Again if all(isinstance(getattr(obj, "id", None), int) for obj, _ in kept["fonts"][0]) else OutputProducer
    return first, bytes(again(pdf).bufferize())


def new_pdf(sheet: Sheet, style: Style, *, pdfa: bool = True, latin: bool = False):
    """An fpdf2 document set up for the sheet: A4, the style's margins and fonts (embedded;
    `latin`: the working fonts, see `rendered`), creation date = issue date, and for PDF/A-3B
    the sRGB output intent."""
    from fpdf import FPDF
    from fpdf.enums import OutputIntentSubType
    from fpdf.output import PDFICCProfile

    class _Pdf(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FAMILY, "", size=style.sizes["small"])
            self.set_text_color(*style.colours["muted"])
            ids = " · ".join([sheet.seller.name, *_Invoice._ids(sheet.seller, style.texts)])
            self.cell(self.epw * 0.8, 4, ids)
            self.cell(self.epw * 0.2, 4, style.texts["page"].format(page=self.page_no(), pages="{nb}"), align="R")

    pdf = _Pdf(orientation="P", unit="mm", format="A4", enforce_compliance="PDFA_3B" if pdfa else None)
    pdf.set_margins(style.page["margin_left"], style.page["margin_top"], style.page["margin_right"])
    pdf.set_auto_page_break(True, style.page["margin_bottom"])
    add_fonts(pdf, style, latin=latin)
    pdf.set_creation_date(creation_datetime(sheet.issue_date))
    pdf.set_title(sheet.title or sheet.number)
    pdf.set_author(sheet.seller.name)
    pdf.set_subject(sheet.title or sheet.number)
    pdf.set_creator(PRODUCER)
    pdf.set_producer(PRODUCER)
    pdf.set_lang("en")
    if pdfa:
        from importlib.resources import files

        icc = (files("fpdf") / "data" / "color_profiles" / SRGB_PROFILE).read_bytes()
        pdf.add_output_intent(OutputIntentSubType.PDFA, "sRGB2014.icc", "sRGB IEC61966-2.1",
                              "http://www.color.org", PDFICCProfile(contents=icc, n=3, alternate="DeviceRGB"),
                              "sRGB2014 (v2)")
    return pdf


def draw(pdf, sheet: Sheet, style: Style) -> None:
    """The sheet on the document's pages."""
    pdf.add_page()
    _Invoice(pdf, style).draw(sheet)


def render_sheet(sheet: Sheet, style: Style | None = None) -> bytes:
    """The PDF (PDF/A-3B, no attachment) of one sheet."""
    style = style or load_style()
    return rendered(plain_build(sheet, style), sheet, style)


def plain_build(sheet: Sheet, style: Style):
    """`build(latin)` for `rendered`: the plain PDF of the sheet (PDF/A-3B, no attachment), drawn."""
    from billing.documents.xmp import xmp_packet

    def build(latin: bool):
        pdf = new_pdf(sheet, style, latin=latin)
        pdf.set_xmp_metadata(xmp_packet(sheet.title or sheet.number, sheet.seller.name, sheet.issue_date))
        draw(pdf, sheet, style)
        return pdf

    return build


__all__ = ["EpcError", "Party", "grouped", "rate_text", "render_pdf", "sheet_of", "Sheet", "SheetLine", "creation_datetime", "draw", "money", "new_pdf",
           "output_twice", "quantity_text", "render_sheet"]
