"""Where the customers are: per country its currency, tax treatment, names and banks.

A German issuer sells mostly at home; EU customers get reverse charge (`RC`), customers
outside the EU the zero rate (`Z0`). Each country brings the words its company names are
made of, its legal forms and the banks its IBANs are issued by.
"""

from __future__ import annotations

from typing import NamedTuple


class Country(NamedTuple):
    """A customer country and everything the sample draws from for it."""

    code: str
    weight: int
    currency: str
    tax_code: str  # the tax code of every line, or "" for the product's own (domestic)
    tld: str
    mailbox: tuple[str, ...]
    first: tuple[str, ...]
    sector: tuple[str, ...]
    forms: tuple[tuple[str, int], ...]
    banks: tuple[tuple[str, str], ...]  # (bank_code, branch_code)


#: the sectors of German-speaking company names
_DE_SECTORS = (
    "Logistik", "Maschinenbau", "Medientechnik", "Bau", "Elektrotechnik", "Software", "Consulting",
    "Handel", "Druckerei", "Gebäudeservice", "Verpackung", "Automation", "Energietechnik",
    "Feinkost", "Textil", "Kunststofftechnik", "Metallbau", "Immobilien", "Reisen",
    "Labortechnik", "Holzbau", "Werbeagentur", "IT-Service", "Medizintechnik",
)
#: every customer country, weighted by its share of the customers
COUNTRIES: tuple[Country, ...] = (
    Country(
        "DE", 80, "EUR", "", "de", ("rechnung", "buchhaltung", "kreditoren", "rechnungseingang"),
        (
            "Nordwind", "Bergmann", "Sonnenfeld", "Hansa", "Rheinland", "Lindner", "Falkenstein", "Weber",
            "Eichenhof", "Alster", "Brandt", "Kessler", "Adler", "Greif", "Isar", "Elbtal", "Schwarzwald",
            "Ostsee", "Hoffmann", "Lorenz", "Krüger", "Schubert", "Vogel", "Wagner", "Zeller", "Moosburg",
            "Tannenberg", "Mainfeld", "Spree", "Harz", "Böhm", "Weißenburg",
        ),
        _DE_SECTORS,
        (("GmbH", 60), ("GmbH & Co. KG", 15), ("AG", 8), ("KG", 7), ("e.K.", 5), ("UG (haftungsbeschränkt)", 5)),
        (("37040044", ""), ("50010517", ""), ("10010010", ""), ("20050550", ""), ("70150000", ""),
         ("43060967", ""), ("60050101", ""), ("30050110", "")),
    ),
    Country(
        "AT", 5, "EUR", "RC", "at", ("rechnung", "buchhaltung"),
        ("Hofer", "Gruber", "Huber", "Steiner", "Moser", "Pichler", "Alpen", "Donau", "Tauern", "Wachau"),
        _DE_SECTORS,
        (("GmbH", 70), ("KG", 15), ("AG", 15)),
        (("12000", ""), ("20111", ""), ("14000", ""), ("32000", "")),
    ),
    Country(
        "NL", 3, "EUR", "RC", "nl", ("facturen", "crediteuren"),
        ("Van Dijk", "De Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "De Boer", "Mulder", "Polder"),
        ("Logistiek", "Techniek", "Consultancy", "Installatietechniek", "Handelsonderneming", "Software"),
        (("B.V.", 100),),
        (("ABNA", ""), ("INGB", ""), ("RABO", "")),
    ),
    Country(
        "FR", 2, "EUR", "RC", "fr", ("comptabilite", "factures"),
        ("Dupont", "Martin", "Bernard", "Moreau", "Lefèvre", "Rousseau", "Garnier", "Fontaine", "Chevalier", "Lumière"),
        ("Services", "Ingénierie", "Conseil", "Distribution", "Informatique", "Transports"),
        (("SARL", 45), ("SAS", 40), ("SA", 15)),
        (("30006", "00001"), ("30004", "00828")),
    ),
    Country(
        "BE", 2, "EUR", "RC", "be", ("invoices", "facturen"),
        ("Peeters", "Janssens", "Maes", "Dubois", "Lambert", "Claes", "Brabant", "Schelde", "Ardennes"),
        ("Services", "Consult", "Logistics", "Engineering", "Trading"),
        (("NV", 45), ("BV", 35), ("SA", 20)),
        (("001", ""), ("310", ""), ("735", "")),
    ),
    Country(
        "CH", 4, "CHF", "Z0", "ch", ("kreditoren", "rechnungen"),
        ("Alpenblick", "Zürichsee", "Matterhorn", "Gotthard", "Keller", "Meier", "Brunner", "Baumann", "Rigi"),
        _DE_SECTORS,
        (("AG", 70), ("GmbH", 30)),
        (("00230", ""), ("00700", ""), ("09000", "")),
    ),
    Country(
        "GB", 2, "GBP", "Z0", "co.uk", ("accounts.payable", "invoices"),
        ("Thames", "Pennine", "Albion", "Harrington", "Whitmore", "Ashford", "Kingsley", "Northgate", "Cotswold"),
        ("Analytics", "Engineering", "Logistics", "Consulting", "Software", "Trading"),
        (("Ltd", 80), ("PLC", 10), ("LLP", 10)),
        (("NWBK", "601613"), ("BARC", "200000"), ("HBUK", "400515"), ("LOYD", "309634")),
    ),
    Country(
        "US", 2, "USD", "Z0", "com", ("ap", "accounts.payable"),
        ("Redwood", "Summit", "Lakeshore", "Pioneer", "Liberty", "Cascade", "Granite", "Prairie", "Hudson"),
        ("Systems", "Technologies", "Industries", "Analytics", "Supply", "Labs"),
        (("Inc.", 60), ("LLC", 30), ("Corp.", 10)),
        (),  # US accounts have no IBAN
    ),
)
#: the countries by ISO code
COUNTRY_BY_CODE = {c.code: c for c in COUNTRIES}
#: the weights of `weighted_choice` for a customer's country
COUNTRY_WEIGHTS: tuple[tuple[Country, int], ...] = tuple((c, c.weight) for c in COUNTRIES)
#: the first customers' countries, so even a small sample has reverse charge and a foreign currency
FIRST_COUNTRIES = ("DE", "DE", "NL", "CH", "DE")
