"""Bank statements into Payments: `read_statement(path)` recognises CAMT.053, MT940 and CSV
by their content; `new_lines` keeps an import idempotent.
"""

from __future__ import annotations

from pathlib import Path

from billing.errors import BadFile
from billing.statements.camt import read_camt
from billing.statements.csv_format import CsvMapping, decode, read_csv
from billing.statements.mt940_format import read_mt940
from billing.statements.records import ImportResult, StatementLine, new_lines

__all__ = ["CsvMapping", "ImportResult", "StatementLine", "new_lines", "read_statement"]

MAX_SIZE = 256 * 1024 * 1024  # a statement larger than this is not a statement


def read_statement(path: str | Path, csv_mapping: CsvMapping | None = None) -> ImportResult:
    """The money-received lines of a statement file; `BadFile` with a one-line reason otherwise."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_SIZE:
            raise BadFile(f"{path.name}: too large to be a bank statement")
        raw = path.read_bytes()
    except OSError as exc:
        raise BadFile(f"{path.name}: cannot be read ({exc.strerror})") from None
    head = raw[:4096]
    if b"BkToCstmrStmt" in head or b"camt.053" in head or head.lstrip().startswith(b"<"):
        return read_camt(path)
    text, _ = decode(raw)
    if ":20:" in text[:2000] and ":61:" in text:
        return read_mt940(path, text)
    return read_csv(path, raw, csv_mapping or CsvMapping())
