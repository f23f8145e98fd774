"""The message: RFC 5322, built with `email.message.EmailMessage`.

From the sender, to the customer's billing address, a subject and a plain-text body from
the templates, the document files attached byte for byte with their MIME type. Its
Message-ID is stable for (workbook, kind, document, recipient, generation): a message sent
again after a run stopped half-way carries the same Message-ID, so the recipient's system
can recognise it; a deliberate resend of a delivered message is the next generation.
"""

from __future__ import annotations

import hashlib
import mimetypes
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import NamedTuple, Sequence

#: MIME types of the files xlbilling attaches (`mimetypes` for anything else).
MIME_TYPES = {".pdf": "application/pdf", ".xml": "application/xml", ".xlsx":
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class Attachment(NamedTuple):
    """A file to attach: the name the recipient sees, where its bytes are, their SHA-256."""

    name: str
    path: Path
    sha256: str

    def as_dict(self) -> dict:
        return {"name": self.name, "sha256": self.sha256}


def mime_type(name: str) -> tuple[str, str]:
    """(maintype, subtype) of a file name.

    >>> mime_type("INV-1.pdf"), mime_type("INV-1-peppol.xml"), mime_type("x.unknownext")
    (('application', 'pdf'), ('application', 'xml'), ('application', 'octet-stream'))
    """
    suffix = Path(name).suffix.lower()
    full = MIME_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    main, _, sub = full.partition("/")
    return main, sub


def message_id(workbook_id: str, kind: str, document: str, recipient: str, generation: int = 1,
               sender: str = "") -> str:
    """The Message-ID of a message: a hash of what it is and to whom, the generation, and the
    sender's domain (`xlbilling.invalid` without one).

    >>> message_id("wb", "invoice", "INV-1", "a@b.example", 1, "billing@acme.example")
    '<a8a9e81ece8a545df1daafb3f065306b.1@acme.example>'
    """
    key = "\x1f".join((workbook_id, kind, document, recipient.strip().lower()))
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    domain = sender.rpartition("@")[2].strip(" >") if "@" in sender else "xlbilling.invalid"
    return f"<{digest}.{generation}@{domain or 'xlbilling.invalid'}>"


def build(*, sender: str, recipient: str, subject: str, body: str, message_id: str,
          attachments: Sequence[Attachment] = (), date: str | None = None) -> EmailMessage:
    """The message, each attachment read from its file (the exact bytes)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = date or formatdate(localtime=True)
    message["Message-ID"] = message_id
    message.set_content(body)
    for attachment in attachments:
        maintype, subtype = mime_type(attachment.name)
        message.add_attachment(Path(attachment.path).read_bytes(), maintype=maintype, subtype=subtype,
                               filename=attachment.name)
    return message
