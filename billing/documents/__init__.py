"""Invoice documents: an `InvoiceDocument` (`billing.invoicing.document`) written as the files
a customer receives, and their check by the official rules before anything is issued.

`ubl` writes UBL 2.1 (EN 16931, Peppol BIS Billing 3.0, XRechnung 3.0), `cii` writes CII
D16B (EN 16931, the Factur-X EN 16931 profile, XRechnung 3.0); `formats` names the formats
and their specification identifiers; `rules` checks the XML against the XSD and the official
schematron; `pdf` draws the printable invoice, `facturx` makes it a PDF/A-3 carrying its CII
XML, `epc_qr` the SEPA payment QR code. The bytes are deterministic: the same document gives
the same file. This layer may import the foundation and the domain and use lxml, fpdf2 and
segno; nothing in the foundation or the domain imports it.
"""
