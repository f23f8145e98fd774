"""CSV exports of bank accounts, read with a column mapping.

The encoding is decided strictly: UTF-16 when the file starts with its byte-order mark,
else UTF-8 (with or without BOM) when the bytes decode as such, else cp1252 — and the
result says which. The delimiter is the one of `;`, `,`, tab that makes the header hold
the mapping's columns. Every cell is read as text and each column parsed explicitly:
dates by the mapping's format, amounts in the mapping's number format (`amounts.py`:
german `1.234,56`, contract `1,234.56` or `1234.56`), never through float and never by
guessing which mark is the decimal one. A negative amount is money out: skipped and
counted. A row that cannot be read — or that has more or fewer cells than the header —
stops the import, naming the file, the line and the column.

A row's id is its `payment_id` cell when the mapping has that column, else
`CSV-<content digest>#<line>`: the digest of the parsed rows (so the same export under
another name, encoding or line ending is the same statement) and the row's line.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
from pathlib import Path
from typing import NamedTuple

from billing.errors import BadFile
from billing.bank.amounts import AmountError, currency_of, exact, locale_amount
from billing.bank.records import (ImportResult, StatementLine, bank_reference, check_day, check_text,
                                        distinct_lines, entry_hash, joined)

DELIMITERS = (";", ",", "\t")


class CsvMapping(NamedTuple):
    """Which CSV column holds what (header names, matched case-insensitively), and how numbers are written."""

    value_date: str = "value_date"
    amount: str = "amount"
    currency: str | None = "currency"
    payer_name: str | None = "payer_name"
    payer_iban: str | None = "payer_iban"
    reference_text: str | None = "reference_text"
    payment_id: str | None = "payment_id"
    date_format: str = "%Y-%m-%d"
    default_currency: str = "EUR"
    number_locale: str = "en_US"  # decimal point, `,` between groups of three


#: a German online-banking export (semicolon, decimal comma, `.` between groups of three, dd.mm.yyyy)
GERMAN_BANK = CsvMapping("Valutadatum", "Betrag", "Waehrung", "Beguenstigter/Zahlungspflichtiger", "Kontonummer/IBAN",
                         "Verwendungszweck", None, "%d.%m.%Y", "EUR", "de_DE")


def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-16 with a BOM, else UTF-8 if the bytes are UTF-8, else cp1252.

    Raises UnicodeDecodeError when none fits (bytes cp1252 leaves undefined)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16"), "utf-16"
    try:
        return raw.decode("utf-8-sig"), "utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="strict"), "cp1252"


def _header(path: Path, text: str, mapping: CsvMapping) -> tuple[str, list[str]]:
    """(delimiter, header cells folded): the delimiter whose header has the required columns."""
    first = text.split("\n", 1)[0]
    required = {mapping.value_date.casefold(), mapping.amount.casefold()}
    widest: list[str] = []
    for delimiter in DELIMITERS:
        header = [h.strip().casefold() for h in next(csv.reader([first], delimiter=delimiter), [])]
        if required <= set(header):
            return delimiter, header
        widest = header if len(header) > len(widest) else widest
    if len(widest) < 2:
        raise BadFile(f"{path.name}: not a CSV statement (no ; , or tab separated columns found)")
    missing = mapping.value_date if mapping.value_date.casefold() not in widest else mapping.amount
    raise BadFile(f"{path.name}: no column '{missing}' in the header")


def read_csv(path: Path, raw: bytes, mapping: CsvMapping = CsvMapping()) -> ImportResult:
    """The money-received rows of a CSV export."""
    try:
        text, encoding = decode(raw)
    except UnicodeDecodeError:
        raise BadFile(f"{path.name}: neither UTF-8 nor cp1252 text") from None
    delimiter, header = _header(path, text, mapping)
    column = {name: header.index(wanted.casefold()) for name, wanted in mapping._asdict().items()
              if name not in ("date_format", "default_currency", "number_locale")
              and isinstance(wanted, str) and wanted.casefold() in header}
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    digest = hashlib.sha256()
    rows = []
    try:
        next(reader)
        digest.update("\x1f".join(header).encode())
        line = reader.line_num + 1  # the line the next row starts on
        for row in reader:
            start, line = line, reader.line_num + 1
            if any(cell.strip() for cell in row):
                rows.append((start, row))
                digest.update(("\x1e" + "\x1f".join(cell.strip() for cell in row)).encode())
    except csv.Error as exc:
        raise BadFile(f"{path.name}: line {reader.line_num}: not readable as CSV ({exc})") from None
    key = f"CSV-{digest.hexdigest()[:10]}"
    lines, debits = [], 0
    for number, row in rows:
        if len(row) != len(header):
            raise BadFile(f"{path.name}: line {number} has {len(row)} columns, the header {len(header)}")
        line = _row_line(path, mapping, column, number, row, key)
        if line is None:
            debits += 1
        else:
            lines.append(line)
    return ImportResult(distinct_lines(lines), debits, 0, f"csv ({encoding})")


def _row_line(path: Path, mapping: CsvMapping, column: dict[str, int], number: int, row: list[str],
              key: str) -> StatementLine | None:
    """The payment of one row, None for money out; BadFile naming line and column otherwise."""
    cell = {name: row[i].strip() for name, i in column.items()}

    def place(name: str) -> str:
        return f"{path.name}: line {number}, column {getattr(mapping, name)}"

    try:
        day = dt.datetime.strptime(cell["value_date"], mapping.date_format).date()
    except ValueError:
        raise BadFile(f"{place('value_date')}: '{cell['value_date']}' is not a date "
                      f"({mapping.date_format})") from None
    check_day(day, place("value_date"))
    currency_text = cell.get("currency") or mapping.default_currency
    try:
        currency = currency_of(currency_text.upper())
    except AmountError as exc:
        where = place("currency") if cell.get("currency") else f"{path.name}: line {number}"
        raise BadFile(f"{where}: {exc}") from None
    try:
        amount = exact(locale_amount(cell["amount"], mapping.number_locale), currency, cell["amount"])
    except AmountError as exc:
        raise BadFile(f"{place('amount')}: {exc}") from None
    if amount <= 0:
        return None
    for name in ("payer_name", "payer_iban", "reference_text", "payment_id"):
        check_text(cell.get(name), place(name) if name in cell else path.name, name)
    name = cell.get("payer_name") or None
    iban = (cell.get("payer_iban") or "").replace(" ", "").upper() or None
    reference = joined([cell.get("reference_text")])
    legacy = entry_hash(day, amount, currency, name, iban, reference)
    given = bank_reference(cell.get("payment_id"))  # a placeholder (NONREF) is no id
    payment_id = given or f"{key}#{number}"
    return StatementLine(payment_id, day, amount, currency, name, iban, reference, f"{path.name}: line {number}",
                         None if given else legacy)
