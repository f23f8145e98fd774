"""`xlbilling statements`: one customer statement file per customer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from billing.cli.common import ArchiveOption, BadFile, DbOption, JsonOption, aged_book, as_of_date, err, print_json


def statements(
    path: Path = typer.Argument(..., help="The billing workbook."),
    as_of: str = typer.Option(..., "--as-of", help="Last day of the statements (YYYY-MM-DD)."),
    start: Optional[str] = typer.Option(None, "--from", help="First day (default: the 1st of the --as-of month)."),
    customer: Optional[str] = typer.Option(None, "--customer", help="Only this customer_id."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the files "
                                       "(default: <workbook>-statements-<as-of> beside the workbook)."),
    pdf: bool = typer.Option(False, "--pdf", help="Also write each statement as a PDF letter beside its .xlsx "
                             "(open items, payment details; texts: Settings dunning_texts), archived in the store "
                             "for `xlbilling send --statements` when the workbook has a workbook_id."),
    as_json: bool = JsonOption,
    db: Optional[str] = DbOption,
    archive: Optional[Path] = ArchiveOption,
) -> None:
    """Write one customer statement file (.xlsx) per customer: opening balance, invoices,
    credit notes, payments and closing balance; with --pdf also a PDF letter of each, stored in
    the archive and the store's letters (kind statement, dated --as-of) so `send` can send it."""
    from billing.atomic import write_bytes_atomically
    from billing.money import format_amount
    from billing.receivables.customer_statements import statement_sheets, statements as build
    from billing.workbook.newfile import write_workbook

    end = as_of_date(as_of)
    first = as_of_date(start, "--from") if start else end.replace(day=1)
    if first > end:
        raise BadFile(f"--from {first} is after --as-of {end}")
    tables, reports = aged_book(path, as_json, end)
    ledger = reports.ledger
    if customer is not None and customer not in ledger.names:
        raise BadFile(f"--customer {customer!r}: no such customer_id on the Customers sheet")
    found = build(ledger, first, end, customer)
    # every PDF is made before any file is written: a statement that cannot be drawn leaves nothing behind
    letters: list[bytes | None] = statement_pdfs(path, tables, ledger, found) if pdf else [None] * len(found)
    store = open_letters(tables.settings.workbook_id, found, letters, end, db, archive) if pdf else None
    folder = out or path.with_name(f"{path.stem}-statements-{end.isoformat()}")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for s, letter in zip(found, letters):
        name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in (s.customer_id or "unidentified"))
        dest = write_workbook(folder / f"{name}-{s.currency}.xlsx", statement_sheets(s, tables.settings.company_name))
        pdf_dest = write_bytes_atomically(dest.with_suffix(".pdf"), letter) if letter is not None else None
        written.append((s, dest, pdf_dest))
    archived = archive_statements(store, tables.settings.workbook_id, written, end)
    if as_json:
        print_json({"as_of": end.isoformat(), "from": first.isoformat(), "statements": [
            {"customer_id": s.customer_id, "currency": s.currency, "opening": format_amount(s.opening, s.currency),
             "closing": format_amount(s.closing, s.currency), "lines": len(s.lines), "file": str(dest),
             **({"pdf": str(pdf_dest)} if pdf_dest is not None else {}),
             **({"letter_id": archived[pdf_dest]} if pdf_dest in archived else {})}
            for s, dest, pdf_dest in written]})
    else:
        for s, dest, pdf_dest in written:
            also = f"\t{pdf_dest}" if pdf_dest is not None else ""
            sys.stdout.write(f"{s.customer_id}\t{s.currency}\t{format_amount(s.closing, s.currency)}\t{dest}{also}\n")
        err.print(f"{path}: {len(written)} statements from {first} to {end} in {folder}")
        if pdf and not tables.settings.workbook_id:
            err.print(f"{path}: the PDFs are not archived for sending: the workbook has no workbook_id "
                      "(number it first: xlbilling number or close)", markup=False)


def open_letters(workbook_id: str | None, found, letters: list[bytes | None], end, db: str | None,
                 archive: Path | None):
    """The store and archive the statement PDFs go to — (engine, archive folder), or None when
    the workbook has no workbook_id (no place in the store) — after checking, before any file is
    written, that none of them replaces a statement recorded before with other bytes."""
    import hashlib

    from billing.config import archive_dir
    from billing.sealing.letters import find_letter
    from billing.store import open_store

    if not workbook_id or not any(letters):
        return None
    engine = open_store(db)
    for s, letter in zip(found, letters):
        if letter is None:
            continue
        earlier = find_letter(engine, workbook_id, "statement", s.customer_id, s.currency, end)
        if earlier is not None and earlier.sha256 != hashlib.sha256(letter).hexdigest():
            raise BadFile(f"the statement to {s.customer_id} ({s.currency}) of {end} was archived before with "
                          f"other content (another --from?); a letter is never replaced")
    return engine, archive_dir(archive, db)


def archive_statements(store, workbook_id: str | None, written, end) -> dict[Path, int]:
    """Store each statement PDF in the archive and the store's `letters` index (kind
    `statement`, dated the as-of day), as `issue` stores its documents, so `xlbilling send
    --statements` finds them; PDF path -> its letter id. The same statement again is the
    letter recorded before."""
    from billing.sealing.letters import archive_letter

    if store is None:
        return {}
    engine, root = store
    return {pdf_dest: archive_letter(engine, root, pdf_dest, workbook_id=workbook_id, kind="statement",
                                     customer_id=s.customer_id, currency=s.currency, date=end,
                                     file_name=str(pdf_dest)).id
            for s, _, pdf_dest in written if pdf_dest is not None}


def statement_pdfs(path: Path, tables, ledger, found) -> list[bytes | None]:
    """The PDF letter of each statement: the seller from Settings (as on invoices), the customer's
    address and language (Customers `language`, blank: en), the items open on the statement's last
    day, the texts of Settings `dunning_texts` (a TOML file beside the workbook) over the built-in ones.
    None for the statement of payments whose payer is not identified: it has no recipient."""
    from decimal import Decimal

    from billing.documents.letter import render_letter
    from billing.documents.letter_texts import LetterTextsError, load_letter_texts
    from billing.documents.statement_letter import statement_document
    from billing.invoicing.document import buyer_of, compact, seller_of
    from billing.pipeline.issue import logo_of
    from billing.receivables.aging import open_items, unapplied_cash

    settings = tables.settings
    named = str(getattr(settings, "dunning_texts", None) or "").strip()  # the Settings key of issue 18
    try:
        texts = load_letter_texts(path.resolve().parent / named if named else None)
    except LetterTextsError as exc:
        raise BadFile(str(exc)) from None
    seller, logo = seller_of(tables), logo_of(path, settings)
    customers = tables.customers
    out: list[bytes | None] = []
    for s in found:
        if not s.customer_id:  # payments of a payer not identified: no one to write to
            out.append(None)
            continue
        hits = customers.index[customers["customer_id"] == s.customer_id]
        row = customers.loc[hits[0]] if len(hits) else None
        language = str((row.get("language") if row is not None else None) or "en").strip() or "en"
        items = [o for o in open_items(ledger.items, ledger.applied, s.end, settings.aging_basis)
                 if (o.item.customer_id, o.item.currency) == (s.customer_id, s.currency)]
        unapplied = unapplied_cash(ledger.received, ledger.applied, s.end, ledger.items).get(
            (s.customer_id, s.currency), Decimal(0))
        try:
            doc = statement_document(s, items, seller=seller, recipient=buyer_of(row, s.customer_id),
                                     unapplied=unapplied, iban=compact(settings.company_iban),
                                     bic=compact(settings.company_bic), language=language, texts=texts)
        except (LetterTextsError, ValueError) as exc:
            raise BadFile(f"{path}!Customers: {s.customer_id}: {exc}") from None
        out.append(render_letter(doc, logo=logo))
    return out
