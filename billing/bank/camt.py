"""ISO 20022 CAMT.053 (`BkToCstmrStmt`, versions .001.02 to .001.08): credited entries.

One line per credited entry (`CdtDbtInd` CRDT, not a reversal); a batched entry (`NtryDtls`
with several `TxDtls`) gives one line per transaction detail, with that detail's amount
(the details' amounts must add up to the entry's). Mapped: amount and `Ccy`; value date
(`ValDt`, else booking date); debtor name (`RltdPties/Dbtr/Nm`, or `Dbtr/Pty/Nm` from
.001.08) and IBAN (`DbtrAcct/Id/IBAN`); the reference text: the structured creditor
reference (`CdtrRefInf/Ref`, e.g. an RF reference) then the unstructured lines (`Ustrd`),
else the bank's `AddtlTxInf`. Debits and reversals are skipped and counted per transaction
(a reversed debit counts as both).

The id is the bank's reference of the entry (`AcctSvcrRef`, else `NtryRef`; with the
detail's position in a batch), else `CAMT-<statement>#<entry>[/<detail>]`: the statement's
identity (`Stmt/Id`, account, sequence numbers, period and opening balance — what a bank
repeats when the same statement is downloaded again) and the entry's position in it.

Amounts are read strictly (`amounts.py`): unsigned, with a known `Ccy` and no more
decimals than it has; every entry's amount is checked, debits too. The XML is streamed
with defusedxml (DTDs, entities and external references refused): memory holds one entry
at a time, whatever the file's size.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Callable
from xml.etree.ElementTree import Element, TreeBuilder

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from billing.errors import BadFile
from billing.bank.amounts import AmountError, currency_of, exact, xml_amount
from billing.bank.records import (ImportResult, StatementLine, bank_reference, check_day, check_text,
                                        distinct_lines, entry_hash, joined, statement_key)

_NS = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d\d)")
SUPPORTED = range(2, 9)
CHUNK = 1 << 20
#: the most credited lines one statement file may give (a file is refused beyond, not cut)
MAX_LINES = 200_000
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:Z|[+-][0-9]{2}:[0-9]{2})?", re.ASCII)
_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(?:Z|[+-][0-9]{2}:[0-9]{2})?", re.ASCII)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(node: Element | None, path: str) -> Element | None:
    """First descendant by a path of local names, namespaces ignored (`a/b/c`)."""
    if node is None:
        return None
    return node.find("/".join(f"{{*}}{part}" for part in path.split("/")))


def _text(node: Element | None, path: str) -> str | None:
    found = _find(node, path)
    return found.text.strip() if found is not None and found.text and found.text.strip() else None


def _all(node: Element | None, path: str) -> list[Element]:
    return [] if node is None else node.findall("/".join(f"{{*}}{part}" for part in path.split("/")))


class _Stream(TreeBuilder):
    """A tree builder that hands each finished `Stmt/Ntry` to a callback and forgets it,
    and each finished `Stmt` header element to another: memory holds one entry."""

    def __init__(self, on_entry: Callable[[Element, Element, int], None], on_root: Callable[[str], None]):
        super().__init__()
        self.parser: DefusedXMLParser | None = None
        self.stack: list[Element] = []
        self.on_entry, self.on_root = on_entry, on_root
        self.entry_line = 0

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        if not self.stack:
            self.on_root(tag)
        if _local(tag) == "Ntry" and len(self.stack) >= 2 and _local(self.stack[-1].tag) == "Stmt":
            self.entry_line = self.parser.parser.CurrentLineNumber
        self.stack.append(element)
        return element

    def end(self, tag):
        element = super().end(tag)
        self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        if parent is not None and _local(tag) == "Ntry" and _local(parent.tag) == "Stmt":
            self.on_entry(parent, element, self.entry_line)
            parent.remove(element)
        elif parent is not None and _local(tag) == "Stmt":
            parent.remove(element)
        return element


class _Reader:
    """The state of one CAMT file being read: the lines so far and the skipped counts."""

    def __init__(self, path: Path):
        self.path = path
        self.version: int | None = None
        self.lines: list[StatementLine] = []
        self.debits = self.reversals = self.not_booked = 0
        self.statement: Element | None = None
        self.number = self.entry = 0
        self.key = ""

    def root(self, tag: str) -> None:
        found = _NS.fullmatch(tag[1:].split("}")[0]) if tag.startswith("{") else None
        if found is None or int(found.group(1)) not in SUPPORTED:
            raise BadFile(f"{self.path.name}: not a CAMT.053 statement of version .001.02 to .001.08")
        self.version = int(found.group(1))

    def entry_of(self, statement: Element, entry: Element, line: int) -> None:
        if statement is not self.statement:
            self.statement, self.number, self.entry = statement, self.number + 1, 0
            self.key = self._statement_key(statement)
        self.entry += 1
        where = f"{self.path.name}: line {line} (statement {self.number}, entry {self.entry})"
        count = max(1, len(_all(entry, "NtryDtls/TxDtls")))  # a batch counts each transaction
        amount, currency = self._amount(_find(entry, "Amt"), where)
        reversed_ = (_text(entry, "RvslInd") or "").lower() == "true"
        self.reversals += count if reversed_ else 0
        direction = _text(entry, "CdtDbtInd")
        if direction not in ("CRDT", "DBIT"):
            raise BadFile(f"{where}: CdtDbtInd is {direction or 'missing'}, not CRDT or DBIT")
        if direction != "CRDT":
            self.debits += count
            return
        if reversed_:
            return
        # pending (PDNG), information (INFO), future (FUTR): no money has arrived. A statement
        # (camt.053) holds booked entries, so one without a status counts as booked.
        if _status(entry) not in ("BOOK", ""):
            self.not_booked += count
            return
        self.lines += self._entry_lines(entry, amount, currency, where)
        if len(self.lines) > MAX_LINES:
            raise BadFile(f"{self.path.name}: more than {MAX_LINES} credited entries; split the statement")

    def _statement_key(self, statement: Element) -> str:
        where = f"{self.path.name}: statement {self.number}"
        statement_id = _text(statement, "Id")
        if statement_id is None:
            raise BadFile(f"{where} has no Id")
        opening = next((b for b in _all(statement, "Bal")
                        if _text(b, "Tp/CdOrPrtry/Cd") in ("OPBD", "PRCD", "ITBD")), None)
        balance = _find(opening, "Amt")
        return statement_key(
            "CAMT", statement_id, _text(statement, "Acct/Id/IBAN") or _text(statement, "Acct/Id/Othr/Id"),
            _text(statement, "Acct/Ccy"), _text(statement, "ElctrncSeqNb"), _text(statement, "LglSeqNb"),
            _text(statement, "FrToDt/FrDtTm"), _text(statement, "FrToDt/ToDtTm"),
            _text(opening, "Tp/CdOrPrtry/Cd"), _text(opening, "Amt"), None if balance is None else balance.get("Ccy"),
            _text(opening, "CdtDbtInd"), _text(opening, "Dt/Dt"))

    def _amount(self, node: Element | None, where: str):
        try:
            if node is None:
                raise AmountError("no amount")
            currency = currency_of(node.get("Ccy"))
            return exact(xml_amount(node.text), currency, (node.text or "").strip()), currency
        except AmountError as exc:
            raise BadFile(f"{where}: {exc}") from None

    def _entry_lines(self, entry: Element, entry_amount, currency: str, where: str) -> list[StatementLine]:
        details = _all(entry, "NtryDtls/TxDtls")
        day = check_day(_date(_text(entry, "ValDt/Dt") or _text(entry, "ValDt/DtTm") or _text(entry, "BookgDt/Dt")
                              or _text(entry, "BookgDt/DtTm"), where), where)
        entry_ref = bank_reference(_text(entry, "AcctSvcrRef")) or bank_reference(_text(entry, "NtryRef"))
        amounts = []
        for t, detail in enumerate(details, start=1):
            node = _find(detail, "AmtDtls/TxAmt/Amt")
            node = _find(detail, "Amt") if node is None else node
            if node is None and len(details) > 1:
                raise BadFile(f"{where}, transaction {t}: no amount of its own in a batched entry")
            amounts.append(self._amount(node, f"{where}, transaction {t}") if node is not None
                           else (entry_amount, currency))
        if amounts and (any(c != currency for _, c in amounts) or sum(a for a, _ in amounts) != entry_amount):
            raise BadFile(f"{where}: the transactions' amounts do not add up to the entry's "
                          f"{entry_amount} {currency}")
        out = []
        for t, detail in enumerate(details or [None], start=1):
            amount = amounts[t - 1][0] if details else entry_amount
            place = f"{where}, transaction {t}" if len(details) > 1 else where
            name = check_text(_text(detail, "RltdPties/Dbtr/Nm") or _text(detail, "RltdPties/Dbtr/Pty/Nm"),
                              place, "the debtor's name")
            iban = check_text(_text(detail, "RltdPties/DbtrAcct/Id/IBAN"), place, "the debtor's IBAN")
            structured = [_text(n, "CdtrRefInf/Ref") for n in _all(detail, "RmtInf/Strd")]
            unstructured = [n.text for n in _all(detail, "RmtInf/Ustrd")]
            text = joined(structured + unstructured) or joined([_text(detail, "AddtlTxInf"),
                                                                _text(entry, "AddtlNtryInf")])
            check_text(text, place, "the remittance text")
            instruction = _text(detail, "Refs/InstrId")
            legacy = None
            if entry_ref:
                payment_id = entry_ref if len(details) <= 1 else f"{entry_ref}/{t}"
            else:
                payment_id = f"{self.key}#{self.entry}" + (f"/{t}" if len(details) > 1 else "")
                legacy = instruction or entry_hash(day, amount, currency, name, iban, text,
                                                   _text(detail, "Refs/EndToEndId"), t)
            out.append(StatementLine(payment_id, day, amount, currency, name, iban, text, place, legacy))
        return out


def read_camt(path: Path) -> ImportResult:
    """The credited lines of a CAMT.053 statement file, read as a stream."""
    reader = _Reader(path)
    target = _Stream(reader.entry_of, reader.root)
    parser = DefusedXMLParser(target=target, forbid_dtd=True)
    target.parser = parser
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                parser.feed(chunk)
        parser.close()
    except DefusedXmlException:
        raise BadFile(f"{path.name}: hostile XML (DTD or entity declarations) refused") from None
    except ParseError as exc:
        raise BadFile(f"{path.name}: not well-formed XML ({exc})") from None
    except OSError as exc:
        raise BadFile(f"{path.name}: cannot be read ({exc.strerror})") from None
    if reader.version is None:
        raise BadFile(f"{path.name}: not a CAMT.053 statement of version .001.02 to .001.08")
    return ImportResult(distinct_lines(reader.lines), reader.debits, reader.reversals,
                        f"camt.053.001.{reader.version:02d}", reader.not_booked)


def _status(entry: Element) -> str:
    """The entry's status: `<Sts>BOOK</Sts>` up to .07, `<Sts><Cd>BOOK</Cd></Sts>` from .08."""
    return (_text(entry, "Sts/Cd") or _text(entry, "Sts") or "").strip().upper()


def _date(text: str | None, where: str) -> dt.date:
    """An ISO date (`Dt`) or date-time (`DtTm`, the day is what counts) that exists."""
    try:
        if text is None or not (_DATE.fullmatch(text) or _DATE_TIME.fullmatch(text)):
            raise ValueError(text)
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise BadFile(f"{where}: no readable value date ({text or 'missing'})") from None
