"""One message over SMTP, retried while the failure is temporary, and its outcome classified.

- the server accepted it (250 after DATA) → `sent`;
- a 4xx reply, a refused or timed-out connection, a dropped connection → tried again after
  each of `DELAYS` seconds (exponential back-off); still failing → `queued`: the next run
  tries it again;
- a 5xx reply (a recipient or sender refused, the message rejected, a failed login), a
  STARTTLS the server does not offer, a TLS failure → `failed`, with the server's code and
  text: trying again would not help.

STARTTLS (`smtp_starttls` yes) before the login; a login only when a user is configured.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from email.message import EmailMessage
from typing import Callable, NamedTuple, Sequence

from billing.errors import one_line

#: Seconds to wait before each retry of a temporary failure (the first try is immediate).
DELAYS: tuple[float, ...] = (2.0, 8.0, 30.0)
TIMEOUT = 60.0

SENT, QUEUED, FAILED = "sent", "queued", "failed"


class Outcome(NamedTuple):
    status: str  # sent | queued | failed
    error: str | None  # the server's code and text, or what went wrong
    tries: int


class _Temporary(Exception):
    pass


class _Permanent(Exception):
    pass


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(str(text).split())}"


def _classify(code: int, text: bytes | str) -> Exception:
    return (_Temporary if 400 <= code < 500 else _Permanent)(_reply(code, text))


def send_once(config, message: EmailMessage, connect: Callable = smtplib.SMTP) -> None:
    """Hand the message to the server once; `_Temporary` or `_Permanent` when it did not take it."""
    try:
        with connect(config.host, config.port, timeout=TIMEOUT) as server:
            server.ehlo()
            if config.starttls:
                server.starttls(context=ssl.create_default_context())
                server.ehlo()
            if config.user:
                server.login(config.user, config.password or "")
            server.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        raise _classify(code, text) from None
    except smtplib.SMTPResponseException as exc:  # sender refused, DATA refused, login refused, connect reply
        raise _classify(exc.smtp_code, exc.smtp_error) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise _Permanent(f"the server does not support it: {one_line(exc)} (smtp_starttls no?)") from None
    except ssl.SSLError as exc:
        raise _Permanent(f"TLS failed: {one_line(exc)}") from None
    except smtplib.SMTPServerDisconnected as exc:
        raise _Temporary(f"the server closed the connection: {one_line(exc)}") from None
    except (TimeoutError, OSError) as exc:  # connection refused, no route, timed out, name not known
        raise _Temporary(f"cannot reach {config.host}:{config.port}: {one_line(exc)}") from None


def deliver(config, message: EmailMessage, delays: Sequence[float] | None = None,
            sleep: Callable[[float], None] | None = None, connect: Callable | None = None) -> Outcome:
    """Send `message`, retrying temporary failures after each of `delays` (default `DELAYS`)."""
    waits = tuple(DELAYS if delays is None else delays)
    sleep, connect = sleep or time.sleep, connect or smtplib.SMTP
    for tries in range(1, len(waits) + 2):
        try:
            send_once(config, message, connect)
            return Outcome(SENT, None, tries)
        except _Permanent as exc:
            return Outcome(FAILED, str(exc), tries)
        except _Temporary as exc:
            if tries > len(waits):
                return Outcome(QUEUED, str(exc), tries)
            sleep(waits[tries - 1])
    raise AssertionError("unreachable")
