"""`.eml` drafts instead of SMTP (`xlbilling send --outbox DIR`).

Each message is written as `<DIR>/<kind>-<document>-<recipient>.eml` with the header
`X-Unsent: 1`, so Outlook opens it as a draft to be sent from the user's own mailbox. The
store records nothing: whether and when a draft is sent is the mail program's business. A
draft carries the same Message-ID that `send` would use, so a message later sent both ways
is recognisable as one.
"""

from __future__ import annotations

import copy
import re
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from billing.atomic import write_bytes_atomically


def draft_name(kind: str, document: str, recipient: str) -> str:
    """The file name of a draft (characters a file name cannot hold as `_`).

    >>> draft_name("invoice", "INV/7", "a.b@c.example")
    'invoice-INV_7-a.b_c.example.eml'
    """
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", f"{kind}-{document}-{recipient}").strip(".")
    return f"{safe}.eml"


def write_draft(folder: Path, name: str, message: EmailMessage) -> Path:
    """Write the message as a draft (`X-Unsent: 1`), CRLF line ends as on the wire."""
    draft = copy.deepcopy(message)
    del draft["X-Unsent"]
    draft["X-Unsent"] = "1"
    folder.mkdir(parents=True, exist_ok=True)
    return write_bytes_atomically(folder / name, draft.as_bytes(policy=SMTP))
