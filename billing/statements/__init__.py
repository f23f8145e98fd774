"""Bank statements into Payments: `read_statement(path)` for CAMT.053 files, `new_lines`
for idempotent import. MT940 and CSV readers join here next (see the notes on issue 5).
"""

from __future__ import annotations

from pathlib import Path

from billing.errors import BadFile
from billing.statements.camt import read_camt
from billing.statements.records import ImportResult, StatementLine, new_lines

__all__ = ["ImportResult", "StatementLine", "new_lines", "read_statement"]


def read_statement(path: str | Path) -> ImportResult:
    """The money-received lines of a statement file; `BadFile` with a one-line reason otherwise."""
    path = Path(path)
    try:
        head = path.read_bytes()[:4096]
    except OSError as exc:
        raise BadFile(f"{path.name}: cannot be read ({exc.strerror})") from None
    if b"BkToCstmrStmt" in head or b"camt.053" in head:
        return read_camt(path)
    raise BadFile(f"{path.name}: not a CAMT.053 statement (MT940 and CSV import are not available yet)")
