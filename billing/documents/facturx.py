"""Factur-X / ZUGFeRD (EN 16931 profile): the PDF invoice as PDF/A-3B with the CII XML inside.

One pass of fpdf2 (`billing.documents.pdf`): the page as for the plain PDF, the sRGB output
intent, every font embedded, the CII XML embedded as `factur-x.xml` (subtype text/xml) and named
in the catalog's `/AF` with `AFRelationship /Alternative` (the XML is the invoice in another
form: Factur-X 1.0 for the EN 16931 profile); `embedded_xml` reads it back, and the XMP with `pdfaid:part 3`, conformance B
and the Factur-X properties with their PDF/A extension schema.

Why not `facturx.generate_from_binary`: it stamps the clock into the XMP and the file dates
(the bytes must not change between two runs), and it adds no output intent; its XMP extension
schema is used, as data (`billing.documents.xmp`).
"""

from __future__ import annotations

from pathlib import Path

from billing.documents.pdf import Sheet, creation_datetime, draw, new_pdf, plain_build, rendered, sheet_of
from billing.documents.style import Style, load_style
from billing.documents.xmp import EN16931, FACTURX_FILENAME, xmp_packet
from billing.invoicing.document import InvoiceDocument

AF_RELATIONSHIP = "Alternative"


def render_facturx(doc: InvoiceDocument, cii_xml: bytes, style: Style | None = None, *, logo: Path | None = None,
                   level: str = EN16931) -> bytes:
    """The Factur-X PDF of an issued invoice with its CII XML (bytes, as written and validated)."""
    style = style or load_style()
    return render_facturx_sheet(sheet_of(doc, style, logo=logo), cii_xml, style, level=level)


def render_facturx_sheet(sheet: Sheet, cii_xml: bytes, style: Style | None = None, *, level: str = EN16931) -> bytes:
    """The Factur-X PDF of a sheet with its CII XML."""
    _check_cii(cii_xml)
    style = style or load_style()

    def build(latin: bool):
        pdf = new_pdf(sheet, style, latin=latin)
        _make_facturx(pdf, sheet, cii_xml, level)
        draw(pdf, sheet, style)
        return pdf

    return rendered(build, sheet, style)


def render_pdf_and_facturx(doc: InvoiceDocument, cii_xml: bytes, style: Style | None = None, *,
                           logo: Path | None = None, level: str = EN16931) -> tuple[bytes, bytes]:
    """The plain PDF (`billing.documents.pdf.render_pdf`) and the Factur-X PDF (`render_facturx`)
    of an issued invoice, from one drawing of its page: the same bytes as the two made apart."""
    _check_cii(cii_xml)
    style = style or load_style()
    sheet = sheet_of(doc, style, logo=logo)
    return rendered(plain_build(sheet, style), sheet, style, then=lambda pdf: _make_facturx(pdf, sheet, cii_xml, level))


def _check_cii(cii_xml: bytes) -> None:
    if not isinstance(cii_xml, bytes) or b"CrossIndustryInvoice" not in cii_xml[:2000]:
        raise ValueError("a Factur-X document embeds a CII invoice (rsm:CrossIndustryInvoice)")


def _make_facturx(pdf, sheet: Sheet, cii_xml: bytes, level: str) -> None:
    """What makes a PDF/A-3 document a Factur-X one: the XMP with the Factur-X properties, the
    CII XML attached as the invoice's alternative form."""
    pdf.set_xmp_metadata(xmp_packet(sheet.title or sheet.number, sheet.seller.name, sheet.issue_date,
                                    facturx_level=level))
    pdf.embed_file(bytes=cii_xml, basename=FACTURX_FILENAME, mime_type="text/xml",
                   modification_date=creation_datetime(sheet.issue_date),
                   associated_file_relationship=AF_RELATIONSHIP,
                   desc=f"Factur-X {level} invoice {sheet.number}", compress=True, checksum=True)


def embedded_xml(pdf_bytes: bytes) -> bytes | None:
    """The `factur-x.xml` a PDF carries (None without one): read back with pypdf (pure Python;
    pikepdf, which the tests use, has no wheel for Intel Macs any more)."""
    import io

    from pypdf import PdfReader

    found = PdfReader(io.BytesIO(pdf_bytes)).attachments.get(FACTURX_FILENAME)
    return found[0] if found else None
