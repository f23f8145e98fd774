"""SWIFT MT940 statements: credited `:61:` lines, with their `:86:` details.

The file is read twice and both readings must agree. A strict reading here checks what
the `mt940` library lets pass: every tag is a known MT940 tag (an unknown one is reported,
not dropped); every statement (from `:20:`) has its account `:25:`, number `:28C:`, an
opening `:60F:`/`:60M:` and a closing `:62F:`/`:62M:` balance; each `:61:` has the full
SWIFT syntax (`6!n[4!n]2a[1!a]15d1!a3!c16x[//16x]`, marks C, D, RC, RD); amounts are
`15d` with no more decimals than the currency has; and opening balance + credits − debits
is the closing balance — so a corrupt or truncated amount cannot pass as a number. The
library (run quietly: its log output never reaches stderr) then reads the same `:61:`
lines, and its amount, mark and value date must be the strict reading's.

The `:86:` field of a line is the one right after its `:61:`, split here: German banks
structure it in `?nn` subfields — `?20`–`?29` and `?60`–`?63` the purpose, `?32`/`?33` the
payer's name, `?31` the payer's IBAN; an unstructured `:86:` is taken as the text as it is.
The id is the bank's reference of the `:61:` line, else `MT940-<statement>#<n>`: the
statement's identity (`:25:`, `:20:`, `:28C:` and both balances) and the line's position.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import warnings
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Iterator, NamedTuple

from billing.errors import BadFile
from billing.bank.amounts import AmountError, currency_of, exact, swift_amount
from billing.bank.records import (ImportResult, StatementLine, bank_reference, check_day, check_text,
                                        distinct_lines, entry_hash, joined, statement_key)

_SUBFIELD = re.compile(r"\?(\d\d)")
_PURPOSE = {f"{n}" for n in range(20, 30)} | {"60", "61", "62", "63"}
#: the tags of MT940 (and the MT942 ones the library reads), as they are written
KNOWN_TAGS = frozenset({"20", "21", "25", "28C", "60F", "60M", "61", "86", "62F", "62M", "64", "65",
                        "13D", "34F", "90D", "90C", "NS"})
_TAG = re.compile(r":([0-9A-Z]{2,3}):")
_LOOKS_LIKE_TAG = re.compile(r":([^:\s]{1,4}):")
#: SWIFT blocks (`{1:…}{2:…}{4:`, `{5:…}`), the end of a message (`-`, `-}`) and a `:940:` header line
_BOUNDARY = re.compile(r"\s*(?:\{[0-9]:.*|-\s*|-\}.*|:940:\s*)$")
_LINE_61 = re.compile(
    r"(?P<value>[0-9]{6})(?P<entry>[0-9]{4})?(?P<mark>RC|RD|C|D)(?P<funds>[A-Z])?"
    r"(?P<amount>[0-9]+,[0-9]*)(?P<type>[NFS][A-Z0-9]{3})"
    r"(?P<customer>(?:(?!//)[^\n]){1,16})(?://(?P<bank>[^\n]{1,23}))?"
    r"(?:\n(?P<extra>[^\n]*))?", re.ASCII)
_BALANCE = re.compile(r"(?P<mark>[CD])(?P<date>[0-9]{6})(?P<currency>[A-Z]{3})(?P<amount>[0-9]+,[0-9]*)", re.ASCII)
#: tags whose content may go on over several lines (61: one line of supplementary details)
_MULTILINE = {"61": 2, "86": None, "NS": None}


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


class Field(NamedTuple):
    tag: str
    line: int  # where it starts in the file
    text: str  # its content, lines joined by "\n"


class Line61(NamedTuple):
    """A `:61:` line as the strict reading sees it."""

    line: int
    mark: str
    value_date: dt.date
    amount: Decimal  # unsigned, with the currency's decimals
    currency: str
    customer_reference: str
    bank_reference: str | None
    details: str | None  # the `:86:` right after it
    statement_key: str
    position: int  # in its statement


def fields(name: str, text: str) -> list[Field]:
    """The tags of the file in order; an unknown tag or stray text refused, naming its line."""
    out: list[Field] = []
    lines: list[str] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        line = raw.rstrip()
        tag = _TAG.match(line)
        if tag and tag.group(1) in KNOWN_TAGS:
            if out:
                out[-1] = out[-1]._replace(text="\n".join(lines))
            out.append(Field(tag.group(1), number, ""))
            lines = [line[tag.end():]]
            continue
        if _BOUNDARY.match(line):  # a message's header, trailer or end: nothing continues the last field
            if out:
                out[-1], lines = out[-1]._replace(text="\n".join(lines)), []
                out.append(Field("-", number, ""))
            continue
        unknown = _LOOKS_LIKE_TAG.match(line)
        if unknown:
            raise BadFile(f"{name}: line {number}: unknown MT940 tag ':{unknown.group(1)}:'")
        if not line.strip():
            continue
        if not out or out[-1].tag == "-":
            raise BadFile(f"{name}: line {number}: text outside any MT940 field")
        limit = _MULTILINE.get(out[-1].tag, 1)
        if out[-1].tag not in _MULTILINE or (limit is not None and len(lines) >= limit):
            raise BadFile(f"{name}: line {number}: :{out[-1].tag}: does not go on over another line")
        lines.append(line)
    if out:
        out[-1] = out[-1]._replace(text="\n".join(lines))
    return [f for f in out if f.tag != "-"]


def _balance(name: str, field: Field) -> tuple[str, Decimal]:
    """(currency, signed amount) of a `:60F:`/`:62F:` balance."""
    found = _BALANCE.fullmatch(field.text.strip())
    where = f"{name}: line {field.line}, :{field.tag}:"
    if not found:
        raise BadFile(f"{where}: '{field.text.strip()}' is not a balance (C/D, YYMMDD, currency, amount)")
    _yymmdd(found.group("date"), where)
    try:
        currency = currency_of(found.group("currency"))
        amount = exact(swift_amount(found.group("amount")), currency, found.group("amount"))
    except AmountError as exc:
        raise BadFile(f"{where}: {exc}") from None
    return currency, amount if found.group("mark") == "C" else -amount


def _yymmdd(text: str, where: str) -> dt.date:
    try:
        return dt.date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]))
    except ValueError:
        raise BadFile(f"{where}: '{text}' is not a date (YYMMDD)") from None


def strict_lines(name: str, text: str) -> list[Line61]:
    """Every `:61:` of the file, checked statement by statement."""
    out: list[Line61] = []
    all_fields = fields(name, text)
    starts = [i for i, f in enumerate(all_fields) if f.tag == "20"]
    if not starts:
        raise BadFile(f"{name}: not an MT940 statement (no :20: field)")
    if starts[0] != 0:
        first = all_fields[0]
        raise BadFile(f"{name}: line {first.line}: :{first.tag}: before the statement's :20:")
    for number, (begin, end) in enumerate(zip(starts, starts[1:] + [len(all_fields)]), start=1):
        out += _statement(name, number, all_fields[begin:end])
    return out


def _statement(name: str, number: int, block: list[Field]) -> list[Line61]:
    where = f"{name}: statement {number} (line {block[0].line})"
    tags = [f.tag for f in block]
    for required, label in (("25", ":25:"), ("28C", ":28C:")):
        if required not in tags:
            raise BadFile(f"{where}: no {label} field")
    opening = next((f for f in block if f.tag in ("60F", "60M")), None)
    closing = next((f for f in block if f.tag in ("62F", "62M")), None)
    if opening is None:
        raise BadFile(f"{where}: no opening balance :60F:")
    if closing is None:
        raise BadFile(f"{where}: no closing balance :62F: (a statement cut short?)")
    currency, balance = _balance(name, opening)
    closing_currency, closing_balance = _balance(name, closing)
    if closing_currency != currency:
        raise BadFile(f"{name}: line {closing.line}: closing balance in {closing_currency}, opening in {currency}")
    key = statement_key("MT940", *(f.text.strip() for f in block if f.tag in ("25", "20", "28C")),
                        opening.text.strip(), closing.text.strip())
    out = []
    for i, field in enumerate(block):
        if field.tag != "61":
            continue
        line = _line61(name, field, currency, key, len(out) + 1)
        following = block[i + 1] if i + 1 < len(block) else None
        line = line._replace(details=following.text if following is not None and following.tag == "86" else None)
        balance += line.amount if line.mark in ("C", "RD") else -line.amount
        out.append(line)
    if balance != closing_balance:
        raise BadFile(f"{where}: opening balance and :61: amounts give {balance} {currency}, the closing balance "
                      f"is {closing_balance} {currency}: an amount is misread or missing")
    return out


def _line61(name: str, field: Field, currency: str, key: str, position: int) -> Line61:
    where = f"{name}: line {field.line}, :61:"
    found = _LINE_61.fullmatch(field.text.strip())
    if not found:
        raise BadFile(f"{where}: '{' '.join(field.text.split())}' is not a statement line "
                      f"(YYMMDD[MMDD] C/D/RC/RD amount type reference[//bank reference])")
    try:
        amount = exact(swift_amount(found.group("amount")), currency, found.group("amount"))
    except AmountError as exc:
        raise BadFile(f"{where}: {exc}") from None
    day = check_day(_yymmdd(found.group("value"), where), where)
    return Line61(field.line, found.group("mark"), day, amount, currency, found.group("customer"),
                  found.group("bank"), None, key, position)


@contextmanager
def quiet_library() -> Iterator[None]:
    """The mt940 library logs (and warns) on what it cannot parse: none of it reaches stderr."""
    logger = logging.getLogger("mt940")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def read_mt940(path: Path, data: str) -> ImportResult:
    """The credited lines of an MT940 statement."""
    import mt940

    strict = strict_lines(path.name, data)
    try:
        with quiet_library():
            # keep `:86:` raw: the library's default post-processor runs the ?-subfields together
            transactions = mt940.models.Transactions(processors={"post_transaction_details": []},
                                                     options=mt940.Options(unbounded_details=True))
            transactions.parse(data)
    except Exception as exc:  # the library raises plain exceptions on bad tags
        raise BadFile(f"{path.name}: not a readable MT940 statement ({' '.join(str(exc).split())[:120]})") from None
    library = [t for t in transactions if t.data.get("status")]
    if len(library) != len(strict):
        raise BadFile(f"{path.name}: the mt940 library reads {len(library)} statement lines, "
                      f"the file has {len(strict)}")
    lines, debits, reversals = [], 0, 0
    for n, (line, transaction) in enumerate(zip(strict, library), start=1):
        data_ = transaction.data
        day = data_.get("date")
        if (data_.get("status"), abs(data_["amount"].amount), dt.date(day.year, day.month, day.day)) != (
                line.mark, line.amount, line.value_date):
            raise BadFile(f"{path.name}: line {line.line}: the mt940 library reads this :61: differently")
        if line.mark.startswith("R"):  # RC / RD: a reversal
            reversals += 1
            debits += line.mark == "RD"
            continue
        if line.mark != "C":
            debits += 1
            continue
        where = f"{path.name}: line {line.line}"
        name, iban, text = details(line.details)
        for value, what in ((name, "the payer's name"), (iban, "the payer's IBAN"), (text, "the :86: text")):
            check_text(value, where, what)
        reference = bank_reference(line.bank_reference)
        payment_id = reference or f"{line.statement_key}#{line.position}"
        legacy = None if reference else entry_hash(path.name, line.value_date, line.amount, line.currency, name, iban,
                                                   text, data_.get("customer_reference"), n)
        lines.append(StatementLine(payment_id, line.value_date, line.amount, line.currency, name, iban, text, where,
                                   legacy))
    return ImportResult(distinct_lines(lines), debits, reversals, "mt940")
