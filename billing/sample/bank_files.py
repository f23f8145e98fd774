"""Sample Payments rows written as the files a bank delivers: CAMT.053 and CSV.

The demo moves the last weeks' payments out of the workbook into these files, so the
month-end close has real statements to import. The CAMT.053 document is version .001.02
(the one most banks still send): one `Ntry` per payment, the payment id as the bank's
`AcctSvcrRef` (the id `billing.bank` reads back), the reference text as
unstructured remittance information, or as the structured creditor reference when it is
an RF reference alone. The CSV uses the contract's Payments column names.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Sequence
from xml.etree import ElementTree as ET

from billing.atomic import write_bytes_atomically
from billing.invoicing.rf_reference import is_rf_reference

CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
CSV_FIELDS = ("payment_id", "value_date", "amount", "currency", "payer_name", "payer_iban", "reference_text")


def _sub(parent: ET.Element, path: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = parent
    for tag in path.split("/"):
        node = ET.SubElement(node, tag)
    node.attrib.update(attrs)
    if text is not None:
        node.text = text
    return node


def camt053(rows: Sequence[dict], account_iban: str, statement_id: str, created: dt.datetime) -> bytes:
    """A CAMT.053.001.02 statement of credited entries, one per Payments row."""
    ET.register_namespace("", CAMT_NS)
    root = ET.Element("Document", xmlns=CAMT_NS)
    statement = _sub(root, "BkToCstmrStmt")
    _sub(statement, "GrpHdr/MsgId", statement_id)
    statement.find("GrpHdr").append(_leaf("CreDtTm", created.isoformat(timespec="seconds")))
    stmt = _sub(statement, "Stmt")
    _sub(stmt, "Id", statement_id)
    stmt.append(_leaf("CreDtTm", created.isoformat(timespec="seconds")))
    _sub(stmt, "Acct/Id/IBAN", account_iban)
    for row in rows:
        entry = _sub(stmt, "Ntry")
        _sub(entry, "Amt", f"{row['amount']}", Ccy=row["currency"])
        _sub(entry, "CdtDbtInd", "CRDT")
        _sub(entry, "Sts", "BOOK")
        _sub(entry, "BookgDt/Dt", row["value_date"].isoformat())
        _sub(entry, "ValDt/Dt", row["value_date"].isoformat())
        _sub(entry, "AcctSvcrRef", row["payment_id"])
        _sub(entry, "BkTxCd/Prtry/Cd", "NTRF")
        detail = _sub(entry, "NtryDtls/TxDtls")
        if row.get("payer_name"):
            _sub(detail, "RltdPties/Dbtr/Nm", row["payer_name"])
        if row.get("payer_iban"):
            parties = detail.find("RltdPties") if detail.find("RltdPties") is not None else _sub(detail, "RltdPties")
            _sub(parties, "DbtrAcct/Id/IBAN", row["payer_iban"].replace(" ", ""))
        text = row.get("reference_text")
        if text and is_rf_reference(text.strip()):
            _sub(detail, "RmtInf/Strd/CdtrRefInf/Ref", text.strip())
        elif text:
            _sub(detail, "RmtInf/Ustrd", text[:140])
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _leaf(tag: str, text: str) -> ET.Element:
    node = ET.Element(tag)
    node.text = text
    return node


def payments_csv(rows: Sequence[dict]) -> bytes:
    """The rows as a UTF-8 CSV with the contract's column names (`CsvMapping()` reads it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in CSV_FIELDS])
    return out.getvalue().encode("utf-8")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def write_file(path: Path, data: bytes) -> Path:
    """Write `data` atomically (temporary file, then rename)."""
    return write_bytes_atomically(path, data)
