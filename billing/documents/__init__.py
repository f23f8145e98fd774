"""Invoice documents: an `InvoiceDocument` (`billing.invoicing.document`) written as a file.

`ubl` writes UBL 2.1 (EN 16931, Peppol BIS Billing 3.0, XRechnung 3.0), `cii` writes CII
D16B (EN 16931, the Factur-X EN 16931 profile, XRechnung 3.0); `formats` names the formats
and their specification identifiers; `rules` checks a file by the official rules (XSD, then
the EN 16931 / Peppol / XRechnung / Factur-X schematron) before anything is issued. The
bytes are deterministic: the same document gives the same file. `pdf` draws the printable PDF, `facturx` the Factur-X PDF/A-3 with its
CII XML embedded, `epc_qr` the SEPA payment QR code (fpdf2, segno, pikepdf loaded only here).
This layer may import the
foundation and the domain and use lxml; nothing in the foundation or the domain imports it.
"""
