"""CSV exports of bank accounts, read with a column mapping.

The encoding is decided strictly: UTF-8 (with or without BOM) when the bytes decode as
such, else cp1252 — and the result says which. Every cell is read as text and each column
parsed explicitly: dates by the mapping's format, amounts with a decimal comma
(`1.234,56`) or point (`1,234.56`), never through float. A negative amount is money out:
skipped and counted. A row that cannot be read stops the import, naming the file, the line
and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NamedTuple

from billing.errors import BadFile
from billing.money import quantize
from billing.statements.records import ImportResult, StatementLine, entry_hash, joined


class CsvMapping(NamedTuple):
    """Which CSV column holds what (header names, matched case-insensitively)."""

    value_date: str = "value_date"
    amount: str = "amount"
    currency: str | None = "currency"
    payer_name: str | None = "payer_name"
    payer_iban: str | None = "payer_iban"
    reference_text: str | None = "reference_text"
    payment_id: str | None = "payment_id"
    date_format: str = "%Y-%m-%d"
    default_currency: str = "EUR"


#: a German online-banking export (semicolon, decimal comma, dd.mm.yyyy)
GERMAN_BANK = CsvMapping("Valutadatum", "Betrag", "Waehrung", "Beguenstigter/Zahlungspflichtiger", "Kontonummer/IBAN",
                         "Verwendungszweck", None, "%d.%m.%Y")
_NUMBER = re.compile(r"^[+-]?[\d.,' ]+$")


def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 if the bytes are UTF-8, else cp1252."""
    try:
        return raw.decode("utf-8-sig"), "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="strict"), "cp1252"


def parse_amount(text: str) -> Decimal:
    """An amount written with a decimal comma or point and optional thousands separators.

    >>> parse_amount("1.234,56"), parse_amount("1,234.56"), parse_amount("-12,5"), parse_amount("7")
    (Decimal('1234.56'), Decimal('1234.56'), Decimal('-12.5'), Decimal('7'))
    """
    value = text.strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    if not _NUMBER.match(value):
        raise ValueError(text)
    comma, point = value.rfind(","), value.rfind(".")
    if comma > point:  # the comma is the decimal mark
        value = value.replace(".", "").replace(",", ".")
    else:
        value = value.replace(",", "")
    return Decimal(value)


def read_csv(path: Path, raw: bytes, mapping: CsvMapping = CsvMapping()) -> ImportResult:
    """The money-received rows of a CSV export."""
    try:
        text, encoding = decode(raw)
    except UnicodeDecodeError:
        raise BadFile(f"{path.name}: neither UTF-8 nor cp1252 text") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,\t")
    except csv.Error:
        raise BadFile(f"{path.name}: not a CSV statement (no ; , or tab separated columns found)") from None
    rows = csv.reader(io.StringIO(text), dialect)
    header = [h.strip().casefold() for h in next(rows, [])]
    column = {name: header.index(wanted.casefold()) for name, wanted in mapping._asdict().items()
              if isinstance(wanted, str) and wanted.casefold() in header}
    for required in ("value_date", "amount"):
        if required not in column:
            raise BadFile(f"{path.name}: no column '{getattr(mapping, required)}' in the header")
    lines, debits = [], 0
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {name: (row[i].strip() if i < len(row) else "") for name, i in column.items()}
        try:
            day = dt.datetime.strptime(cell["value_date"], mapping.date_format).date()
        except ValueError:
            raise BadFile(f"{path.name}: line {number}, column {mapping.value_date}: "
                          f"'{cell['value_date']}' is not a date ({mapping.date_format})") from None
        try:
            amount = parse_amount(cell["amount"])
        except (ValueError, InvalidOperation):
            raise BadFile(f"{path.name}: line {number}, column {mapping.amount}: "
                          f"'{cell['amount']}' is not an amount") from None
        if amount <= 0:
            debits += 1
            continue
        currency = (cell.get("currency") or mapping.default_currency).upper()
        amount = quantize(amount, currency)
        name, iban = cell.get("payer_name") or None, (cell.get("payer_iban") or "").replace(" ", "").upper() or None
        reference = joined([cell.get("reference_text")])
        payment_id = cell.get("payment_id") or entry_hash(day, amount, currency, name, iban, reference)
        lines.append(StatementLine(payment_id, day, amount, currency, name, iban, reference, f"{path.name}:{number}"))
    return ImportResult(tuple(lines), debits, 0, f"csv ({encoding})")
