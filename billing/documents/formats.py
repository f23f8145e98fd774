"""The e-invoice formats: which syntax each is written in and the specification it claims.

A format is a syntax (UBL 2.1 or UN/CEFACT CII D16B) and a specification identifier
(BT-24: EN 16931 itself, or a CIUS/extension of it), with, for Peppol and XRechnung, the
business process (BT-23). `pdf` is not an XML format; `facturx` is a PDF with CII inside,
whose XML is the `cii` writer's with the Factur-X EN 16931 profile.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

EN16931 = "urn:cen.eu:en16931:2017"
PEPPOL_BIS3 = f"{EN16931}#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
XRECHNUNG_3 = f"{EN16931}#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
#: the Peppol billing process, which XRechnung uses as well (BT-23)
PEPPOL_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


class XmlFormat(NamedTuple):
    name: str
    syntax: str  # "ubl" or "cii"
    customization: str  # BT-24
    process: str | None  # BT-23
    #: XRechnung's payment terms carry the early-payment discount as a coded line (BR-DE-18)
    coded_discount: bool = False


XML_FORMATS: dict[str, XmlFormat] = {
    "ubl": XmlFormat("ubl", "ubl", EN16931, None),
    "peppol": XmlFormat("peppol", "ubl", PEPPOL_BIS3, PEPPOL_PROCESS),
    "xrechnung-ubl": XmlFormat("xrechnung-ubl", "ubl", XRECHNUNG_3, PEPPOL_PROCESS, coded_discount=True),
    "cii": XmlFormat("cii", "cii", EN16931, None),
    "facturx": XmlFormat("facturx", "cii", EN16931, None),  # the Factur-X / ZUGFeRD EN 16931 profile
    "xrechnung-cii": XmlFormat("xrechnung-cii", "cii", XRECHNUNG_3, PEPPOL_PROCESS, coded_discount=True),
}


def xml_format(name: str) -> XmlFormat:
    """The XML format of that name; `ValueError` for `pdf` or an unknown name."""
    try:
        return XML_FORMATS[name]
    except KeyError:
        raise ValueError(f"{name!r} is not an XML invoice format ({', '.join(XML_FORMATS)})") from None


def amount(value: Decimal, places: int) -> str:
    """An amount with exactly the currency's decimals (EN 16931 allows at most two).

    >>> amount(Decimal("1190"), 2), amount(Decimal("-5.5"), 2), amount(Decimal("1500"), 0)
    ('1190.00', '-5.50', '1500')
    """
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}"


def number(value: Decimal) -> str:
    """A quantity, price or percentage as written: no exponent, no needless zeros.

    >>> number(Decimal("2.50")), number(Decimal("1E+2")), number(Decimal("19.00"))
    ('2.5', '100', '19')
    """
    reduced = value.normalize()
    if reduced.as_tuple().exponent > 0:
        reduced = reduced.quantize(Decimal(1))
    return f"{reduced:f}"


def coded_discount(days: int, pct: Decimal, base: Decimal | None = None, places: int = 2) -> str:
    """XRechnung's coded early-payment discount line (BR-DE-18), ending in a line break.

    >>> coded_discount(10, Decimal("0.02"))
    '#SKONTO#TAGE=10#PROZENT=2.00#\\n'
    """
    text = f"#SKONTO#TAGE={days}#PROZENT={pct * 100:.2f}#"
    if base is not None:
        text += f"BASISBETRAG={amount(base, places)}#"
    return text + "\n"
