"""Valid bank and tax identifiers: IBANs at real banks and EU VAT ids with correct checksums.

IBANs come from schwifty, national account checksums included; VAT ids are built from
random digits with each country's check-digit rule (python-stdnum where it has one).
Customers outside the EU carry no VAT id: the contract's `vat_id` is an EU VAT id.
"""

from __future__ import annotations

import random
from typing import Callable

from schwifty import IBAN
from stdnum import luhn
from stdnum.at import uid as at_uid
from stdnum.iso7064 import mod_11_10

from billing.sample.countries import Country

#: the length of a national account number, where IBAN.generate needs one
_ACCOUNT_LENGTH = {"DE": 10, "AT": 11, "NL": 10, "FR": 11, "BE": 7, "CH": 12, "GB": 8}


def random_iban(country: Country, rng: random.Random) -> str:
    """A valid IBAN at a real bank, national account checksum included (schwifty).

    German account numbers embed a check digit whose method depends on the bank, which
    `IBAN.random` solves for the pinned bank code; elsewhere the national check digits
    have their own field that `IBAN.generate` computes from an all-digit account number.
    """
    length = _ACCOUNT_LENGTH[country.code]
    for _ in range(100):
        bank, branch = rng.choice(country.banks)
        try:
            if country.code == "DE":
                iban = IBAN.random(country.code, random=rng, bank_code=bank)
            else:
                account = str(rng.randint(10 ** (length - 3), 10**length - 1)).zfill(length)
                iban = IBAN.generate(country.code, bank_code=bank, branch_code=branch, account_code=account)
            return str(IBAN(str(iban), validate_bban=True))
        except ValueError:
            continue
    raise RuntimeError(f"cannot generate an IBAN for {country.code}")


def random_vat_id(country_code: str, rng: random.Random) -> str | None:
    """A valid VAT id of an EU country, or None for a country outside the EU."""
    make = _VAT_MAKERS.get(country_code)
    return make(rng) if make else None


def _digits(rng: random.Random, n: int) -> str:
    """n random digits, the first not zero."""
    return str(rng.randint(10 ** (n - 1), 10**n - 1))


def _vat_de(rng: random.Random) -> str:
    body = _digits(rng, 8)
    return f"DE{body}{mod_11_10.calc_check_digit(body)}"


def _vat_at(rng: random.Random) -> str:
    body = "U" + _digits(rng, 7)
    return f"AT{body}{at_uid.calc_check_digit(body)}"


def _vat_nl(rng: random.Random) -> str:
    while True:  # a BSN/RSIN-style number: weighted sum of the 9 digits divisible by 11
        body = _digits(rng, 8)
        check = sum((9 - i) * int(d) for i, d in enumerate(body)) % 11
        if check < 10:
            return f"NL{body}{check}B{rng.choice(('01', '01', '02'))}"


def _vat_fr(rng: random.Random) -> str:
    body = _digits(rng, 8)
    siren = body + luhn.calc_check_digit(body)
    return f"FR{int(siren + '12') % 97:02d}{siren}"


def _vat_be(rng: random.Random) -> str:
    body = "0" + _digits(rng, 7)
    return f"BE{body}{97 - int(body) % 97:02d}"


_VAT_MAKERS: dict[str, Callable[[random.Random], str]] = {
    "DE": _vat_de, "AT": _vat_at, "NL": _vat_nl, "FR": _vat_fr, "BE": _vat_be,
}
