"""The store's record of every message (`messages`): nothing sent twice, nothing lost.

A message is recorded as `sending` (committed) before the server is spoken to, and as
`sent`, `queued` or `failed` after. A run that stops in between — a crash, a killed process,
a power cut — leaves a `sending` row: the next run turns it into `uncertain` (`reconcile`),
since the server may have delivered it, and does not send it again unless asked
(`--resend`, which sends it with the same Message-ID, so the recipient's system can tell it
is the same message). `attempts` counts every try at the server.

The workbook is held for the whole run (`billing.workbook.lock`), so a `sending` row found at
the start of a run is never one another run is still sending.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import NamedTuple, Sequence

from sqlalchemy import Engine, func, select

from billing.store import messages

SENDING, SENT, QUEUED, FAILED, UNCERTAIN = "sending", "sent", "queued", "failed", "uncertain"
STATUSES = (SENDING, SENT, QUEUED, FAILED, UNCERTAIN)
STOPPED = "the run sending it stopped before it recorded the server's answer: it may have been delivered"


class MessageRecord(NamedTuple):
    id: int
    message_id: str
    workbook_id: str
    kind: str
    document: str
    customer_id: str
    recipient: str
    generation: int
    subject: str
    attachments: str  # JSON: [{"name", "sha256"}]
    status: str
    attempts: int
    last_error: str | None
    created_at: str
    sent_at: str | None

    @property
    def attachment_list(self) -> list[dict]:
        return json.loads(self.attachments)


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _record(row) -> MessageRecord:
    return MessageRecord(**{name: getattr(row, name) for name in MessageRecord._fields})


def reconcile(engine: Engine, workbook_id: str) -> int:
    """Turn the `sending` rows a stopped run left into `uncertain`; how many there were."""
    c = messages.c
    with engine.begin() as conn:
        return conn.execute(messages.update().where((c.workbook_id == workbook_id) & (c.status == SENDING))
                            .values(status=UNCERTAIN, last_error=STOPPED)).rowcount


def latest(engine: Engine, workbook_id: str, kind: str, document: str, recipient: str) -> MessageRecord | None:
    """The last generation of the message of this document to this recipient, if any."""
    c = messages.c
    with engine.connect() as conn:
        row = conn.execute(select(messages).where((c.workbook_id == workbook_id) & (c.kind == kind)
                                                  & (c.document == document) & (c.recipient == recipient))
                           .order_by(c.generation.desc()).limit(1)).first()
    return _record(row) if row else None


def begin_sending(engine: Engine, earlier: MessageRecord | None, *, message_id: str, workbook_id: str, kind: str,
                  document: str, customer_id: str, recipient: str, generation: int, subject: str,
                  attachments: Sequence[dict]) -> MessageRecord:
    """Record the message as `sending` before it goes to the server: the row `earlier` again
    (the same Message-ID: a queued, failed or uncertain message tried again) or a new row."""
    values = {"subject": subject, "attachments": json.dumps(list(attachments), ensure_ascii=False),
              "status": SENDING, "last_error": None}
    with engine.begin() as conn:
        if earlier is not None and earlier.message_id == message_id:
            conn.execute(messages.update().where(messages.c.id == earlier.id)
                         .values(**values, attempts=messages.c.attempts + 1))
            row_id = earlier.id
        else:
            row_id = conn.execute(messages.insert().values(
                **values, message_id=message_id, workbook_id=workbook_id, kind=kind, document=document,
                customer_id=customer_id, recipient=recipient, generation=generation, attempts=1,
                created_at=now())).inserted_primary_key[0]
        return _record(conn.execute(select(messages).where(messages.c.id == row_id)).one())


def mark_sent(engine: Engine, row_id: int, tries: int = 1) -> None:
    """The server accepted the message."""
    _finish(engine, row_id, SENT, None, tries, sent_at=now())


def mark_unsent(engine: Engine, row_id: int, status: str, error: str | None, tries: int = 1) -> None:
    """The server did not take it: `queued` (try again next run) or `failed` (with its answer)."""
    _finish(engine, row_id, status, error, tries)


def _finish(engine: Engine, row_id: int, status: str, error: str | None, tries: int, **more) -> None:
    with engine.begin() as conn:
        conn.execute(messages.update().where(messages.c.id == row_id)
                     .values(status=status, last_error=error, attempts=messages.c.attempts + (tries - 1), **more))


def messages_of_workbook(engine: Engine, workbook_id: str) -> list[MessageRecord]:
    """Every message of a workbook, in the order first recorded."""
    with engine.connect() as conn:
        rows = conn.execute(select(messages).where(messages.c.workbook_id == workbook_id)
                            .order_by(messages.c.id)).all()
    return [_record(row) for row in rows]


def count(engine: Engine, status: str | None = None) -> int:
    with engine.connect() as conn:
        query = select(func.count()).select_from(messages)
        return conn.execute(query.where(messages.c.status == status) if status else query).scalar_one()
