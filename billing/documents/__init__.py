"""The documents an invoice is issued as: the printable PDF, Factur-X (PDF/A-3 with its CII XML),
the SEPA payment QR code. A layer above the domain: it reads the domain's records and draws
them, with the PDF libraries (fpdf2, segno, pikepdf) loaded only here."""
