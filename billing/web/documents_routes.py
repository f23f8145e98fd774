"""The issued documents: `/documents` (the list: search, sort, paging), `/documents/{n}` (one
document's page) and `/documents/{n}/file` (its archived bytes).

A document is named only by its entry number in the issued documents' index
(`billing.sealing.issued`): the file served is the one the index names under the archive
root, and only while its bytes still have the indexed SHA-256 — nothing from the request
reaches the file system. A PDF is served inline (the browser shows it; the CSP forbids
framing it in our own pages, so the page links to it), an XML as an attachment. Every file
served is written to the audit log.

**Validation result**: `xlbilling issue` checks each XML (and the XML inside a Factur-X) by the
official rules of its format (XSD, EN 16931, Peppol / XRechnung / Factur-X schematron) and
records a document only when no fatal rule failed; the index keeps which rules it passed
(`rules`). So the page shows that, as stored; non-fatal warnings are not kept by `issue` and
are not shown. A plain PDF is not an e-invoice and has no rules.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from billing.store import issued_documents
from billing.web import guard
from billing.web.archive_routes import download_name
from billing.web.archived import intact_file
from billing.web.issued_listing import DocumentQuery, document_by_number, documents_page, other_formats
from billing.web.listing import chain_length
from billing.web.portal import Portal

MEDIA_TYPES = {".pdf": "application/pdf", ".xml": "application/xml"}
#: How each format is named on the pages.
FORMAT_TITLES = {"pdf": "PDF", "facturx": "Factur-X (PDF/A-3 with CII)", "ubl": "UBL", "peppol": "Peppol BIS (UBL)",
                 "xrechnung-ubl": "XRechnung (UBL)", "cii": "CII", "xrechnung-cii": "XRechnung (CII)"}


def validation_of(document) -> tuple[str, str]:
    """(verdict, what it means) of an issued document's validation, from what the index stores."""
    if not document.rules:
        return "not applicable", "a plain PDF: no e-invoice rules apply to it"
    return "passed", (f"passed {document.rules} when xlbilling issue made it (a document is recorded only when "
                      "no fatal rule failed; warnings are not kept)")


def routes(portal: Portal) -> list[Route]:
    def document_list(request: Request) -> Response:
        return portal.list_page(request, "documents.html", DocumentQuery, documents_page, titles=FORMAT_TITLES)

    def document_page(request: Request) -> Response:
        found, no = portal.named_row(request, guard.BROWSE, document_by_number, page_route=True,
                                     what="issued document")
        if no is not None:
            return no
        document = found.document
        verdict, meaning = validation_of(document)
        return portal.page(request, "document.html", d=document, customer=found.customer,
                           others=other_formats(portal.engine, document), titles=FORMAT_TITLES,
                           chain=chain_length(portal.engine, issued_documents), verdict=verdict, meaning=meaning)

    def document_file(request: Request) -> Response:
        found, no = portal.named_row(request, guard.DOWNLOAD, document_by_number, page_route=False)
        if no is not None:
            return no
        document = found.document
        stored = intact_file(portal.archive_root, document)
        if stored is None:
            return PlainTextResponse(f"Issued document {document.seq}: its archived file is missing or altered; "
                                     "run xlbilling archive check", status_code=500)
        portal.record(request, "download", f"issued document {document.seq} {document.invoice_no} "
                                           f"{document.format} {document.sha256}")
        name = download_name(PurePosixPath(document.file_name).name, document.seq, document.suffix, "document")
        inline = document.suffix == ".pdf"
        return FileResponse(stored, media_type=MEDIA_TYPES.get(document.suffix, "application/octet-stream"),
                            filename=name, content_disposition_type="inline" if inline else "attachment")

    return [Route("/documents", document_list, methods=["GET"]),
            Route("/documents/{seq:int}", document_page, methods=["GET"]),
            Route("/documents/{seq:int}/file", document_file, methods=["GET"])]
