"""SWIFT MT940 statements: credited `:61:` lines, with their `:86:` details.

The `mt940` library reads the tags (amount, sign, dates, references). The `:86:` field is
split here: German banks structure it in `?nn` subfields — `?20`–`?29` and `?60`–`?63` the
purpose, `?32`/`?33` the payer's name, `?31` the payer's IBAN — which the library's own
post-processor runs together; an unstructured `:86:` is taken as the text as it is.
The id is the bank's reference of the `:61:` line, else a hash of what the line says.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import mt940

from billing.errors import BadFile
from billing.money import to_money
from billing.statements.records import ImportResult, StatementLine, entry_hash, joined

_SUBFIELD = re.compile(r"\?(\d\d)")
_PURPOSE = {f"{n}" for n in range(20, 30)} | {"60", "61", "62", "63"}


def details(text: str | None) -> tuple[str | None, str | None, str | None]:
    """(payer name, payer IBAN, reference text) of a `:86:` field.

    >>> details("166?00GUTSCHRIFT?20RECHNUNG INV-2026-1?21DANKE?31DE89370400440532013000?32ALPHA GMBH")
    ('ALPHA GMBH', 'DE89370400440532013000', 'RECHNUNG INV-2026-1 DANKE')
    >>> details("Invoice 42 thanks")
    (None, None, 'Invoice 42 thanks')
    """
    if not text:
        return None, None, None
    text = text.replace("\r", "").replace("\n", "")
    parts = _SUBFIELD.split(text)
    if len(parts) < 3:
        return None, None, joined([text])
    fields: dict[str, list[str]] = {}
    for code, value in zip(parts[1::2], parts[2::2]):
        fields.setdefault(code, []).append(value)
    name = joined(["".join(fields.get("32", [])) + "".join(fields.get("33", []))])
    iban = "".join(fields.get("31", [])).replace(" ", "").upper() or None
    purpose = joined(v for code in sorted(fields) if code in _PURPOSE for v in fields[code])
    return name, iban, purpose


def read_mt940(path: Path, data: str) -> ImportResult:
    """The credited lines of an MT940 statement."""
    try:
        # keep `:86:` raw: the library's default post-processor runs the ?-subfields together
        transactions = mt940.models.Transactions(processors={"post_transaction_details": []})
        transactions.parse(data)
    except Exception as exc:  # the library raises plain exceptions on bad tags
        raise BadFile(f"{path.name}: not a readable MT940 statement ({' '.join(str(exc).split())[:120]})") from None
    lines, debits, reversals = [], 0, 0
    for n, transaction in enumerate(transactions, start=1):
        data_ = transaction.data
        status = data_.get("status", "")
        if status.startswith("R"):  # RC / RD: a reversal
            reversals += 1
            debits += status == "RD"
            continue
        if status != "C":
            debits += 1
            continue
        amount = data_["amount"]
        currency = amount.currency or data_.get("currency")
        value = to_money(abs(amount.amount), currency)
        day = data_.get("date")
        day = dt.date(day.year, day.month, day.day)
        name, iban, text = details(data_.get("transaction_details"))
        reference = data_.get("bank_reference")
        payment_id = reference if reference and reference.upper() != "NONREF" else entry_hash(
            path.name, day, value, currency, name, iban, text, data_.get("customer_reference"), n)
        lines.append(StatementLine(payment_id, day, value, currency, name, iban, text, f"{path.name}#61-{n}"))
    return ImportResult(tuple(lines), debits, reversals, "mt940")
