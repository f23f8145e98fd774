"""Send documents by e-mail: the issued invoices and the letters of a workbook, each once.

What is sent: for `invoices`, every invoice and credit note of the workbook issued in the
store (`billing.sealing.issued`), one message per invoice with all its issued files (the
PDF and the XML) attached; for `reminders` and `statements`, the letters in the store
(`billing.sealing.letters`), one message each. The attachments are the archive's bytes,
checked against their recorded SHA-256 first. The recipient is the customer's
`invoice_email`, else its `email`; a customer without either is skipped, naming the cell.

Never twice (`billing.delivery.record`): at the start, a message a stopped run left as
`sending` becomes `uncertain`; a message `sent` or `uncertain` is skipped (with the reason
and its Message-ID) unless `resend` — an uncertain one then goes again with the same
Message-ID, a sent one as the next generation. A `queued` or `failed` message is tried
again with its Message-ID. Each message is recorded `sending` before the server is spoken
to, then `sent`, `queued` (temporary failures outlasted the retries) or `failed` (the
server's permanent answer), and the Sent sheet lists every message of the workbook.

`outbox`: `.eml` drafts instead, nothing recorded; `dry_run`: only the list of what would
be sent, nothing recorded or written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, NamedTuple, Sequence

from billing.book import Book
from billing.changes import OutputSheet
from billing.contract import SENT
from billing.delivery import record
from billing.delivery.config import MAIL_KEYS, MailConfig, mail_config
from billing.delivery.message import Attachment, build, message_id
from billing.delivery.templates import render
from billing.errors import BadFile
from billing.settings import Settings

#: The kinds of document `send` knows, as its options name them.
KINDS = ("invoices", "reminders", "statements")


class SendOptions(NamedTuple):
    kinds: tuple[str, ...] = KINDS
    dry_run: bool = False
    outbox: Path | None = None
    resend: bool = False
    delays: Sequence[float] | None = None  # None: billing.delivery.smtp.DELAYS


class Outgoing(NamedTuple):
    """One document to send."""

    kind: str  # invoice | credit_note | reminder | statement
    document: str  # the invoice number, or the letter's id
    customer_id: str
    attachments: tuple[Attachment, ...]
    values: dict  # the templates' placeholders


class SendResult(NamedTuple):
    sent: list[dict]
    failed: list[dict]
    skipped: list[dict]
    sent_sheet: OutputSheet | None  # every message of the workbook; None for a dry run or drafts

    def as_dict(self) -> dict:
        return {"sent": self.sent, "failed": self.failed, "skipped": self.skipped}


class Recipient(NamedTuple):
    address: str | None
    name: str
    language: str
    cell: str  # where the address is (or is missing)


# -- what the workbook says -----------------------------------------------------------------------


def mail_settings(settings: Settings) -> dict[str, object]:
    """The mail keys of the typed Settings as the sheet says them (STARTTLS `yes`/`no`): what
    the environment's values override (`billing.delivery.config.mail_config`)."""
    def said(value: object) -> object:
        return ("yes" if value else "no") if isinstance(value, bool) else value

    return {key: said(getattr(settings, key)) for key in MAIL_KEYS}


def smtp_config(settings: Settings, options: SendOptions) -> MailConfig:
    """The mail server and sender; `BadFile` when SMTP is needed and cannot be used."""
    config = mail_config(mail_settings(settings))
    if not config.sender and settings.company_email:
        config = config._replace(sender=str(settings.company_email))
    if options.dry_run or options.outbox is not None:
        return config
    if not config.host:
        raise BadFile("no SMTP host configured: set Settings smtp_host or XLBILLING_SMTP_HOST (or use --outbox DIR)")
    if not config.sender:
        raise BadFile("no sender configured: set Settings mail_from (or company_email) or XLBILLING_SMTP_FROM")
    if config.user and config.password is None:
        raise BadFile(f"smtp_user {config.user} has no password: set XLBILLING_SMTP_PASSWORD or store it in the "
                      f"keyring (service xlbilling, user {config.user}@{config.host})")
    return config


def recipients(book: Book, tables) -> dict[str, Recipient]:
    """Each customer's billing address (`invoice_email`, else `email`), name and language."""
    table = book.get("Customers")
    found: dict[str, Recipient] = {}
    languages = table.frame["language"] if table is not None and "language" in table.frame else {}
    for row, customer in tables.customers.iterrows():
        customer_id = customer["customer_id"]
        if customer_id is None or customer_id in found:
            continue
        address = _text(customer.get("invoice_email")) or _text(customer.get("email")) or None
        column = "invoice_email" if _text(customer.get("invoice_email")) else "email"
        cell = table.cell(column, row) if table is not None else f"Customers!{row}:{row}"
        language = customer["language"] if "language" in customer else languages.get(row) if len(languages) else None
        found[str(customer_id)] = Recipient(address, _text(customer["name"]) or str(customer_id), _text(language),
                                            cell)
    return found


def _text(value: object) -> str:
    """A cell's text, stripped; blank for None and for pandas' missing value (NaN)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def invoice_rows(tables) -> dict[str, Mapping]:
    rows: dict[str, Mapping] = {}
    for _, invoice in tables.invoices.iterrows():
        if invoice["invoice_no"] is not None:
            rows.setdefault(str(invoice["invoice_no"]), invoice)
    return rows


def outgoing(engine, archive_root: Path, tables, kinds: Sequence[str]) -> tuple[list[Outgoing], list[dict]]:
    """The documents to send, and those that cannot be (skipped, with the reason)."""
    from billing.sealing.issued import issued_of_workbook
    from billing.sealing.letters import letter_file, letters_of_workbook

    workbook_id = tables.settings.workbook_id
    company = tables.settings.company_name or ""
    todo: list[Outgoing] = []
    skipped: list[dict] = []
    if "invoices" in kinds:
        invoices = invoice_rows(tables)
        by_number: dict[str, list] = {}
        for issued in issued_of_workbook(engine, workbook_id):
            by_number.setdefault(issued.invoice_no, []).append(issued)
        for number, documents in by_number.items():
            invoice = invoices.get(number)
            if invoice is None:
                skipped.append({"kind": "invoice", "document": number, "reason":
                                f"{number} was issued but is no longer on the Invoices sheet"})
                continue
            attachments = tuple(Attachment(Path(d.file_name).name, _archived(archive_root, d.sha256, d.suffix),
                                           d.sha256) for d in documents)
            kind = str(invoice["kind"] or "invoice")
            todo.append(Outgoing(kind, number, str(invoice["customer_id"]), attachments, {
                "number": number, "date": documents[0].issue_date.isoformat(), "company": company,
                "currency": invoice["currency"]}))
    wanted = tuple(kind for option, kind in (("reminders", "reminder"), ("statements", "statement"))
                   if option in kinds)
    if wanted:
        for letter in letters_of_workbook(engine, workbook_id, wanted):
            attachment = Attachment(Path(letter.file_name).name, letter_file(archive_root, letter), letter.sha256)
            todo.append(Outgoing(letter.kind, str(letter.id), letter.customer_id, (attachment,), {
                "number": letter.date.isoformat(), "date": letter.date.isoformat(), "company": company,
                "currency": letter.currency, "level": letter.level}))
    return todo, skipped


def _archived(root: Path, sha256: str, suffix: str) -> Path:
    from billing.sealing.archive import archived_path

    return archived_path(root, sha256, suffix)


def attachment_problem(attachments: Sequence[Attachment]) -> str | None:
    """Why the archived files cannot be attached (missing, or not the recorded bytes), or None."""
    import hashlib

    for attachment in attachments:
        if not attachment.path.is_file():
            return f"the archived file {attachment.path} of {attachment.name} is missing"
        if hashlib.sha256(attachment.path.read_bytes()).hexdigest() != attachment.sha256:
            return f"the archived file {attachment.path} of {attachment.name} was altered (not its recorded sha256)"
    return None


# -- the run ----------------------------------------------------------------------------------------


def send(book: Book, tables, engine, archive_root: Path, options: SendOptions, transport=None) -> SendResult:
    """Send (or draft, or list) the workbook's documents: see the module's text. `transport`:
    `deliver(config, message, delays)` (default `billing.delivery.smtp.deliver`)."""
    workbook_id = tables.settings.workbook_id
    if not workbook_id:
        raise BadFile("the workbook has no workbook_id: number and issue it first (xlbilling number, issue)")
    config = smtp_config(tables.settings, options)
    smtp = not options.dry_run and options.outbox is None
    if smtp:
        record.reconcile(engine, workbook_id)
    if transport is None:
        from billing.delivery.smtp import deliver as transport
    people = recipients(book, tables)
    todo, skipped = outgoing(engine, archive_root, tables, options.kinds)
    sent: list[dict] = []
    failed: list[dict] = []
    for item in todo:
        who = people.get(item.customer_id)
        head = {"kind": item.kind, "document": item.document, "customer_id": item.customer_id}
        if who is None:
            skipped.append({**head, "reason": f"customer {item.customer_id} is not on the Customers sheet"})
            continue
        if who.address is None:
            skipped.append({**head, "reason": f"{who.cell}: no e-mail for invoices", "cell": who.cell})
            continue
        earlier = record.latest(engine, workbook_id, item.kind, item.document, who.address)
        status = record.UNCERTAIN if earlier is not None and earlier.status == record.SENDING else \
            earlier.status if earlier is not None else None
        if status in (record.SENT, record.UNCERTAIN) and not options.resend:
            reason = (f"sent on {earlier.sent_at} to {who.address}" if status == record.SENT else record.STOPPED) + \
                "; --resend sends it again"
            skipped.append({**head, "to": who.address, "reason": reason, "status": status,
                            "message_id": earlier.message_id})
            continue
        generation = (earlier.generation + 1 if status == record.SENT else earlier.generation) if earlier else 1
        mid = message_id(workbook_id, item.kind, item.document, who.address, generation, config.sender)
        text = render(item.kind, who.language, {**item.values, "customer": who.name})
        listed = {"to": who.address, "subject": text.subject, "message_id": mid,
                  "attachments": [a.as_dict() for a in item.attachments], **head}
        problem = attachment_problem(item.attachments)
        if problem:
            failed.append({"to": who.address, "error": problem, "status": record.FAILED, "message_id": mid, **head})
            continue
        if options.dry_run:
            sent.append(listed)
            continue
        message = build(sender=config.sender, recipient=who.address, subject=text.subject, body=text.body,
                        message_id=mid, attachments=item.attachments)
        if options.outbox is not None:
            from billing.delivery.outbox import draft_name, write_draft

            name = draft_name(item.kind, item.document, who.address)
            write_draft(Path(options.outbox), name, message)
            sent.append({**listed, "file": name})
            continue
        row = record.begin_sending(engine, earlier, message_id=mid, workbook_id=workbook_id, kind=item.kind,
                                   document=item.document, customer_id=item.customer_id, recipient=who.address,
                                   generation=generation, subject=text.subject, attachments=listed["attachments"])
        outcome = transport(config, message, options.delays)
        if outcome.status == record.SENT:
            record.mark_sent(engine, row.id, outcome.tries)
            sent.append({**listed, "attempts": row.attempts + outcome.tries - 1})
        else:
            record.mark_unsent(engine, row.id, outcome.status, outcome.error, outcome.tries)
            failed.append({"to": who.address, "error": outcome.error, "status": outcome.status, "message_id": mid,
                           **head})
    sheet = sent_sheet(record.messages_of_workbook(engine, workbook_id)) if smtp else None
    return SendResult(sent, failed, skipped, sheet)


def result_text(message: record.MessageRecord) -> str:
    """The Sent sheet's `result`: the status, and the server's answer when it was not `sent`.

    >>> result_text(record.MessageRecord(*[None] * 10, "failed", 1, "550 no such user", "", None))
    'failed: 550 no such user'
    """
    return f"{message.status}: {message.last_error}" if message.last_error else message.status


def sent_sheet(messages: Sequence[record.MessageRecord]) -> OutputSheet:
    """The Sent sheet: every message of the workbook, in the order first recorded."""
    rows = [(m.recipient, m.subject, m.message_id,
             "; ".join(f"{a['name']} ({a['sha256']})" for a in m.attachment_list), result_text(m), m.kind,
             m.customer_id, m.sent_at, m.attempts) for m in messages]
    return OutputSheet(SENT.name, SENT.column_names, rows, SENT.number_formats())
