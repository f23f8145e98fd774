"""The sample's particulars for issuing documents: postal addresses, references, formats.

Every customer gets a street address in its country (a real city with a postcode of that
city), an e-mail for invoices, and the document format a customer of its kind asks for:
German public bodies XRechnung with a Leitweg-ID (buyer reference and electronic address,
scheme 0204), Belgian and Dutch companies Peppol (scheme 0208, the enterprise number, and
9944, the VAT id), French companies Factur-X, the rest a PDF. The draws come from a
generator of their own, so the customers' other fields stay as they were.
"""

from __future__ import annotations

import random

from stdnum.iso7064 import mod_97_10

#: per country: street names, and (postcode, city) pairs of real cities
_PLACES: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    "DE": (("Hauptstraße", "Bahnhofstraße", "Industriestraße", "Gartenweg", "Lindenallee", "Am Markt",
            "Schillerstraße", "Goethestraße", "Hafenstraße", "Ringstraße"),
           (("10115", "Berlin"), ("20095", "Hamburg"), ("80331", "München"), ("50667", "Köln"),
            ("60311", "Frankfurt am Main"), ("70173", "Stuttgart"), ("04109", "Leipzig"), ("28195", "Bremen"),
            ("90402", "Nürnberg"), ("01067", "Dresden"), ("30159", "Hannover"), ("44135", "Dortmund"))),
    "AT": (("Mariahilfer Straße", "Landstraße", "Herrengasse", "Bahnhofplatz"),
           (("1010", "Wien"), ("4020", "Linz"), ("8010", "Graz"), ("5020", "Salzburg"))),
    "NL": (("Keizersgracht", "Stationsplein", "Coolsingel", "Oudegracht"),
           (("1015 CJ", "Amsterdam"), ("3011 AD", "Rotterdam"), ("3511 AL", "Utrecht"), ("2511 BT", "Den Haag"))),
    "FR": (("Rue de Rivoli", "Avenue Jean Jaurès", "Rue de la République", "Boulevard Haussmann"),
           (("75001", "Paris"), ("69002", "Lyon"), ("13001", "Marseille"), ("31000", "Toulouse"))),
    "BE": (("Rue Neuve", "Meir", "Veldstraat", "Avenue Louise"),
           (("1000", "Bruxelles"), ("2000", "Antwerpen"), ("9000", "Gent"), ("4000", "Liège"))),
    "CH": (("Bahnhofstrasse", "Marktgasse", "Rue du Rhône", "Freie Strasse"),
           (("8001", "Zürich"), ("3011", "Bern"), ("1204", "Genève"), ("4051", "Basel"))),
    "GB": (("High Street", "Station Road", "Church Lane", "King Street"),
           (("EC1A 1BB", "London"), ("M1 1AE", "Manchester"), ("B1 1AA", "Birmingham"), ("LS1 1UR", "Leeds"))),
    "US": (("Main Street", "Market Street", "Broadway", "Elm Street"),
           (("10001", "New York"), ("94105", "San Francisco"), ("60601", "Chicago"), ("02108", "Boston"))),
}
#: German customers that are public bodies (and ask for XRechnung), and those that ask for CII
PUBLIC_SHARE, XRECHNUNG_CII_SHARE = 0.12, 0.5


def leitweg_id(rng: random.Random) -> str:
    """A Leitweg-ID (the German public sector's routing id): coarse address, fine address and
    two ISO 7064 mod 97-10 check digits over both.

    >>> ident = leitweg_id(random.Random(1)); ident.count("-"), len(ident.rsplit("-", 1)[1])
    (2, 2)
    """
    coarse = f"{rng.randint(1, 16):02d}{rng.randint(0, 999):03d}{rng.randint(0, 9999):04d}"
    fine = f"{rng.randint(1, 99999):05d}"
    return f"{coarse}-{fine}-{mod_97_10.calc_check_digits(coarse + fine)}"


def particulars(country: str, vat_id: str | None, email: str, rng: random.Random) -> dict[str, str | None]:
    """A customer's address, buyer reference, electronic address, format and invoice e-mail."""
    streets, cities = _PLACES[country]
    postcode, city = rng.choice(cities)
    street = f"{rng.choice(streets)} {rng.randint(1, 180)}"
    if country in ("GB", "US"):
        street = f"{rng.randint(1, 180)} {rng.choice(streets)}"
    mailbox, _, domain = email.partition("@")
    found: dict[str, str | None] = {
        "street": street, "postcode": postcode, "city": city, "country": country, "buyer_reference": None,
        "endpoint_id": None, "document_format": None, "invoice_email": None,
    }
    if country == "DE" and rng.random() < PUBLIC_SHARE:
        ident = leitweg_id(rng)
        found.update(buyer_reference=ident, endpoint_id=f"0204:{ident}", invoice_email=f"xrechnung@{domain}",
                     document_format="xrechnung-cii" if rng.random() < XRECHNUNG_CII_SHARE else "xrechnung-ubl")
    elif country == "BE" and vat_id:
        found.update(endpoint_id=f"0208:{vat_id[2:]}", document_format="peppol",
                     buyer_reference=f"PO-{rng.randint(10000, 99999)}")
    elif country == "NL" and vat_id:
        found.update(endpoint_id=f"9944:{vat_id}", document_format="peppol",
                     buyer_reference=f"PO-{rng.randint(10000, 99999)}")
    elif country == "FR":
        found.update(document_format="facturx")
    if found["invoice_email"] is None and rng.random() < 0.3:
        found["invoice_email"] = f"invoices.{mailbox}@{domain}"
    return found
