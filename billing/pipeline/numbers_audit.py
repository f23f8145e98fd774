"""The numbering audit as `xlbilling numbers audit` and the portal's `/audit/numbers` run it.

The registry's own findings (gaps, numbers out of date order, foreign numbers, voids without
a reason) need only the store. To explain each number, the audit also compares it with a
workbook (`billing.numbering.audit`), from one of two sources:

- the working workbooks at the paths the registry remembered (`xlbilling numbers audit`):
  the books as they are now, wherever `xlbilling number` last saw them;
- the sealed copies in the archive (`--archived`, and always in the portal): for each
  workbook id its newest archived entry, read only when its bytes still have the indexed
  SHA-256, as of the moment it was sealed (numbers allocated later are not expected in
  it). The portal uses this source because its files are named by the archive index, not
  by paths remembered from somebody's desktop, and because an auditor's record is the
  sealed one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine


def rows_for_audit(path: Path) -> dict[str, tuple] | None:
    """invoice_key -> (invoice_no, customer_id, gross, status) of a workbook, None if unreadable.
    An invalid workbook still shows its rows (typed as far as they go), without totals."""
    from billing.errors import BadFile
    from billing.invoicing.compute import compute as compute_all
    from billing.pipeline import checked
    from billing.tables import typed_tables
    from billing.workbook.read import read_book

    try:
        book = read_book(path)
    except BadFile:
        return None
    found = checked(book)
    if found.valid:
        tables = found.tables
        gross = compute_all(tables).invoices["gross"]
    else:
        tables = typed_tables(book, found.validation.settings)
        gross = [None] * len(tables.invoices)
    invoices = tables.invoices
    return {key: (no, customer, g, status) for key, no, customer, g, status in zip(
        invoices["invoice_key"], invoices["invoice_no"], invoices["customer_id"], gross, invoices["status"])}


def sealed_copies(engine: Engine, root: Path) -> dict:
    """workbook_id -> `Copy` of its newest archived sealed workbook, as of its seal; a workbook
    whose newest archived file is missing or altered has none (the audit then says it cannot
    read it, and `archive check` says why)."""
    from billing.numbering.audit import Copy
    from billing.sealing.archive import archived_path, entries, file_sha256

    newest = {entry.workbook_id: entry for entry in entries(engine)}  # chain order: the last one wins
    copies = {}
    for workbook_id, entry in newest.items():
        path = archived_path(root, entry.sha256, entry.suffix)
        if path.is_file() and file_sha256(path) == entry.sha256:
            copies[workbook_id] = Copy(str(path), _moment(entry.sealed_at))
    return copies


def numbers_audit(engine: Engine, series: str | None = None, archive_root: Path | None = None) -> list:
    """The numbering audit's findings (optionally of one series), against the working workbooks,
    or against the sealed copies in the archive at `archive_root` when one is given."""
    from billing.numbering.audit import audit

    copies = None if archive_root is None else sealed_copies(engine, Path(archive_root))
    return audit(engine, rows_for_audit, series, copies)


def _moment(text: str) -> dt.datetime:
    """A seal's `sealed_at` ("2026-11-30T18:00:00Z") as an aware datetime."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
