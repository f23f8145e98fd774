"""What each document format needs of the particulars, checked on the document record.

`missing_particulars(document, format_name)` lists, before any file is made, what the
format will not accept: each item names the workbook place the value comes from (`Source`:
a Settings key, a Customers or InvoiceLines cell), a fixed rule name and a sentence. The
rules follow the law and the specifications:

* every invoice (Art. 226 of Directive 2006/112/EC): the seller's and the buyer's name and
  full address, the seller's VAT id or tax number, the nature of each line; reverse charge
  and intra-Community supplies also the buyer's VAT id (and the seller's), BR-AE-02, BR-IC-02;
* every EN 16931 XML: the seller identified by VAT id or legal registration (BR-CO-26),
  amounts with at most two decimals (BR-DEC-*);
* Peppol BIS 3: both electronic addresses in a Peppol scheme (PEPPOL-EN16931-R020, -R010,
  CL008: not `EM`), a buyer reference (PEPPOL-EN16931-R003);
* XRechnung 3.0: a buyer reference (BR-DE-15), the seller's contact point, telephone and
  e-mail (BR-DE-2, -5, -6, -7), both electronic addresses (a blank one falls back to
  `EM:` and the e-mail, which XRechnung accepts).
"""

from __future__ import annotations

from typing import NamedTuple

from billing.contract import DOCUMENT_FORMATS
from billing.invoicing.document import InvoiceDocument, Source

#: how a message names the format
FORMAT_LABELS = {
    "pdf": "An invoice",
    "facturx": "Factur-X",
    "xrechnung-ubl": "XRechnung",
    "xrechnung-cii": "XRechnung",
    "peppol": "Peppol BIS 3",
    "ubl": "An EN 16931 e-invoice",
    "cii": "An EN 16931 e-invoice",
}
XML_FORMATS = frozenset(DOCUMENT_FORMATS) - {"pdf"}
XRECHNUNG = frozenset({"xrechnung-ubl", "xrechnung-cii"})
RULE = "missing_particular"


class Missing(NamedTuple):
    source: Source
    rule: str
    message: str


def setting(key: str) -> Source:
    """The place of a Settings key's value (row 0: the key's row, found by the caller)."""
    return Source("Settings", 0, key)


def missing_particulars(document: InvoiceDocument, format_name: str) -> list[Missing]:
    """What `format_name` needs of the document and it lacks (empty: it can be made)."""
    if format_name not in FORMAT_LABELS:
        raise ValueError(f"unknown document format {format_name!r} ({', '.join(DOCUMENT_FORMATS)})")
    label = FORMAT_LABELS[format_name]
    d, found = document, []
    customer = d.customer_source or Source("Invoices", d.source.row, "customer_id")

    def need(present: object, source: Source, what: str, why: str = "") -> None:
        if not present:
            found.append(Missing(source, RULE, f"{label} needs {what}" + (f" ({why})" if why else "")))

    def at_customer(column: str) -> Source:
        return customer._replace(column=column) if d.customer_source else customer

    seller, buyer = d.seller, d.buyer
    need(seller.name, setting("company_name"), "the seller's name (BT-27)")
    for key, value, term in (("company_street", seller.address.street, "street (BT-35)"),
                             ("company_postcode", seller.address.postcode, "postcode (BT-38)"),
                             ("company_city", seller.address.city, "city (BT-37)"),
                             ("company_country", seller.address.country, "country (BT-40)")):
        need(value, setting(key), f"the seller's {term}")
    need(seller.vat_id or seller.tax_number, setting("company_vat_id"),
         "the seller's VAT id (BT-31) or tax number (BT-32)", "Art. 226 of Directive 2006/112/EC")
    for column, value, term in (("street", buyer.address.street, "street (BT-50)"),
                                ("postcode", buyer.address.postcode, "postcode (BT-53)"),
                                ("city", buyer.address.city, "city (BT-52)"),
                                ("country", buyer.address.country, "country (BT-55)")):
        need(value, at_customer(column), f"the buyer's {term}")
    categories = {v.category for v in d.vat}
    for category, what in (("AE", "reverse charge"), ("K", "an intra-Community supply")):
        if category in categories:
            need(buyer.vat_id, at_customer("vat_id"), f"the buyer's VAT id (BT-48) for {what}",
                 f"BR-{'AE' if category == 'AE' else 'IC'}-02")
            need(seller.vat_id, setting("company_vat_id"), f"the seller's VAT id (BT-31) for {what}",
                 f"BR-{'AE' if category == 'AE' else 'IC'}-02")
    for line in d.lines:
        if line.source is not None:
            need(line.name, line.source, "a description of each line (BT-153)", "Art. 226(6): the nature of the supply")

    if format_name in XML_FORMATS:
        need(seller.vat_id or seller.registration or not seller.tax_number, setting("company_vat_id"),
             "the seller's VAT id (BT-31) or legal registration (BT-30), a tax number is not enough",
             "BR-CO-26")
        if d.minor_unit > 2:
            found.append(Missing(d.source._replace(column="currency"), "document_currency",
                                 f"{label} allows amounts with at most two decimals; {d.currency} has {d.minor_unit}"))
    if format_name == "peppol":
        for source, party, term in ((setting("company_endpoint_id"), seller, "the seller's electronic address (BT-34)"),
                                    (at_customer("endpoint_id"), buyer, "the buyer's electronic address (BT-49)")):
            need(party.endpoint is not None and party.endpoint.scheme != "EM", source,
                 f"{term} in a Peppol scheme, e.g. 0088:5790000435975", "PEPPOL-EN16931-R010/R020")
        need(d.buyer_reference, at_customer("buyer_reference"), "a buyer reference (BT-10)", "PEPPOL-EN16931-R003")
    if format_name in XRECHNUNG:
        need(d.buyer_reference, at_customer("buyer_reference"), "a buyer reference (BT-10), e.g. the Leitweg-ID",
             "BR-DE-15")
        need(seller.contact_name, setting("company_contact"), "the seller's contact point (BT-41)", "BR-DE-5")
        need(seller.contact_phone, setting("company_phone"), "the seller's telephone (BT-42)", "BR-DE-6")
        need(seller.contact_email, setting("company_email"), "the seller's e-mail (BT-43)", "BR-DE-7")
        need(buyer.endpoint, at_customer("endpoint_id"), "the buyer's electronic address (BT-49) or an e-mail",
             "XRechnung 3.0")
    found += _unprintable(d, at_customer)
    return found


#: characters no invoice may carry: controls (XML 1.0 forbids them; a PDF has no glyph for them),
#: lone surrogates, non-characters, and the bidirectional embeddings, overrides and isolates
#: that make text display in another order than it is stored (a "trojan source" invoice line)
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def bad_character(text: str) -> str | None:
    r"""The first character of `text` that a printed or electronic invoice cannot carry, or None.

    >>> bad_character("Beratung, 3 Std."), bad_character("Beratung\x01"), bad_character("abc\u202e")
    (None, '\x01', '\u202e')
    """
    for char in text:
        code = ord(char)
        if ((code < 0x20 and char not in "\t\n\r") or 0x7f <= code < 0xa0 or 0xd800 <= code < 0xe000
                or code in (0xfffe, 0xffff) or char in _BIDI):
            return char
    return None


def _unprintable(d: InvoiceDocument, at_customer) -> list[Missing]:
    seller, buyer = d.seller, d.buyer
    texts = [(seller.name, setting("company_name"), "the seller's name"),
             (seller.address.street, setting("company_street"), "the seller's street"),
             (seller.address.city, setting("company_city"), "the seller's city"),
             (seller.address.postcode, setting("company_postcode"), "the seller's postcode"),
             (seller.contact_name, setting("company_contact"), "the seller's contact"),
             (buyer.name, at_customer("name"), "the buyer's name"),
             (buyer.address.street, at_customer("street"), "the buyer's street"),
             (buyer.address.city, at_customer("city"), "the buyer's city"),
             (buyer.address.postcode, at_customer("postcode"), "the buyer's postcode"),
             (d.buyer_reference, at_customer("buyer_reference"), "the buyer reference")]
    texts += [(line.name, line.source, "the line's description") for line in d.lines if line.source is not None]
    found = []
    for text, source, what in texts:
        char = bad_character(text) if isinstance(text, str) else None
        if char is not None:
            found.append(Missing(source, "unprintable_text",
                                 f"{what} holds U+{ord(char):04X}, a control or direction character no invoice "
                                 "can carry (XML forbids it; a PDF would show it wrongly): remove it"))
    return found
