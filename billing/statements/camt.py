"""ISO 20022 CAMT.053 (`BkToCstmrStmt`, versions .001.02 to .001.08): credited entries.

One line per credited entry (`CdtDbtInd` CRDT, not a reversal); a batched entry (`NtryDtls`
with several `TxDtls`) gives one line per transaction detail, with that detail's amount.
Mapped: amount and `Ccy`; value date (`ValDt`, else booking date); debtor name
(`RltdPties/Dbtr/Nm`, or `Dbtr/Pty/Nm` from .001.08) and IBAN (`DbtrAcct/Id/IBAN`); the
reference text: the structured creditor reference (`CdtrRefInf/Ref`, e.g. an RF reference)
then the unstructured lines (`Ustrd`), else the bank's `AddtlTxInf`. The id is the bank's
`AcctSvcrRef` of the entry (with the detail's position in a batch), else the
instruction id, else a hash of what the entry says. Debits and reversals are skipped and
counted per transaction (a reversed debit counts as both).
The XML is parsed with defusedxml: DTDs, entities and external references are refused.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import InvalidOperation
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from billing.errors import BadFile
from billing.money import to_money
from billing.statements.records import ImportResult, StatementLine, entry_hash, joined

_NS = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d\d)")
SUPPORTED = range(2, 9)


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


def read_camt(path: Path) -> ImportResult:
    """The credited lines of a CAMT.053 statement file."""
    try:
        root = SafeET.parse(str(path)).getroot()
    except DefusedXmlException:
        raise BadFile(f"{path.name}: hostile XML (DTD or entity declarations) refused") from None
    except SafeET.ParseError as exc:
        raise BadFile(f"{path.name}: not well-formed XML ({exc})") from None
    version = _NS.match(root.tag[1:].split("}")[0]) if root.tag.startswith("{") else None
    if version is None or int(version.group(1)) not in SUPPORTED:
        raise BadFile(f"{path.name}: not a CAMT.053 statement of version .001.02 to .001.08")
    lines: list[StatementLine] = []
    debits = reversals = 0
    for s, statement in enumerate(_all(root, "BkToCstmrStmt/Stmt"), start=1):
        for e, entry in enumerate(_all(statement, "Ntry"), start=1):
            count = max(1, len(_all(entry, "NtryDtls/TxDtls")))  # a batch counts each transaction
            reversed_ = (_text(entry, "RvslInd") or "").lower() == "true"
            reversals += count if reversed_ else 0
            if _text(entry, "CdtDbtInd") != "CRDT":
                debits += count
                continue
            if reversed_:
                continue
            lines += _entry_lines(path, entry, f"{path.name}#stmt{s}/entry{e}")
    return ImportResult(tuple(lines), debits, reversals, f"camt.053.001.{version.group(1)}")


def _entry_lines(path: Path, entry: Element, where: str) -> list[StatementLine]:
    details = _all(entry, "NtryDtls/TxDtls")
    day = _date(path, _text(entry, "ValDt/Dt") or _text(entry, "ValDt/DtTm") or _text(entry, "BookgDt/Dt")
                or _text(entry, "BookgDt/DtTm"), where)
    entry_ref = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
    out = []
    for t, detail in enumerate(details or [None], start=1):
        amount_node = (_find(detail, "AmtDtls/TxAmt/Amt") or _find(detail, "Amt")) if detail is not None else None
        if amount_node is None:
            if len(details) > 1:
                raise BadFile(f"{path.name}: {where}/tx{t} has no amount of its own in a batched entry")
            amount_node = _find(entry, "Amt")
        currency = amount_node.get("Ccy") if amount_node is not None else None
        try:
            amount = to_money(amount_node.text, currency)
        except (InvalidOperation, ValueError, TypeError, AttributeError):
            raise BadFile(f"{path.name}: {where}/tx{t} has no readable amount") from None
        name = _text(detail, "RltdPties/Dbtr/Nm") or _text(detail, "RltdPties/Dbtr/Pty/Nm")
        iban = _text(detail, "RltdPties/DbtrAcct/Id/IBAN")
        structured = [_text(n, "CdtrRefInf/Ref") for n in _all(detail, "RmtInf/Strd")]
        unstructured = [n.text for n in _all(detail, "RmtInf/Ustrd")]
        text = joined(structured + unstructured) or joined([_text(detail, "AddtlTxInf"),
                                                            _text(entry, "AddtlNtryInf")])
        instruction = _text(detail, "Refs/InstrId")
        if entry_ref:
            payment_id = entry_ref if len(details) <= 1 else f"{entry_ref}/{t}"
        elif instruction:
            payment_id = instruction
        else:
            payment_id = entry_hash(day, amount, currency, name, iban, text, _text(detail, "Refs/EndToEndId"), t)
        out.append(StatementLine(payment_id, day, amount, currency, name, iban, text,
                                 f"{where}/tx{t}" if details else where))
    return out


def _date(path: Path, text: str | None, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text[:10])  # a DtTm carries a time: the day is what counts
    except (TypeError, ValueError):
        raise BadFile(f"{path.name}: {where} has no readable value date") from None


