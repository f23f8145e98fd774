"""Bank statements into Payments: `read_statement(path)` recognises CAMT.053, MT940 and CSV
by their content; `Registry` / `new_lines` keep an import idempotent without dropping a
real payment (see `records`).

Whatever a file holds, the answer is its lines or `BadFile` with a one-line reason naming
the place (file, line, column): a binary file, an unknown currency, an amount that is not
exactly an amount in the file's format — never an internal error and never a guess.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from billing.errors import BadFile
from billing.bank.camt import read_camt
from billing.bank.csv_format import CsvMapping, decode, read_csv
from billing.bank.mt940_format import read_mt940
from billing.bank.records import ImportResult, Known, Registry, StatementLine, new_lines

__all__ = ["CsvMapping", "ImportResult", "Known", "Registry", "StatementLine", "new_lines", "read_statement"]

#: a statement larger than this is not a statement (CAMT is streamed; MT940 and CSV are read whole)
MAX_SIZE = 64 * 1024 * 1024
_MT940 = re.compile(r"^(?:\{[0-9]:.*|:940:)?\s*:20:", re.MULTILINE)


def _is_xml(head: bytes) -> bool:
    """Markup first (after a byte-order mark): an XML document, whatever its encoding."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="ignore").lstrip().startswith("<")
    return head.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"<")


def read_statement(path: str | Path, csv_mapping: CsvMapping | None = None) -> ImportResult:
    """The money-received lines of a statement file; `BadFile` with a one-line reason otherwise."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_SIZE:
            raise BadFile(f"{path.name}: too large to be a bank statement (over {MAX_SIZE // 2**20} MiB)")
        with path.open("rb") as stream:
            head = stream.read(4096)
    except OSError as exc:
        raise BadFile(f"{path.name}: cannot be read ({exc.strerror})") from None
    if _is_xml(head):
        return read_camt(path)
    raw = path.read_bytes()
    if b"\x00" in raw and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise BadFile(f"{path.name}: binary data, not a bank statement (CAMT.053, MT940 or CSV)")
    try:
        text, _ = decode(raw)
    except UnicodeDecodeError:
        raise BadFile(f"{path.name}: neither UTF-8 nor cp1252 text: not a bank statement") from None
    if "\x00" in text:
        raise BadFile(f"{path.name}: binary data, not a bank statement (CAMT.053, MT940 or CSV)")
    if _MT940.search(text[:4096]):
        return read_mt940(path, text)
    return read_csv(path, raw, csv_mapping or CsvMapping())
