"""The mail server and the sender: Settings, overridden by the environment; the password never
from the workbook.

`smtp_host`, `smtp_port` (default 587), `smtp_user`, `mail_from` and `smtp_starttls` (default
yes) come from the Settings sheet, each overridden by `XLBILLING_SMTP_HOST`, `_PORT`, `_USER`,
`_FROM` and `_STARTTLS`. The password comes only from `XLBILLING_SMTP_PASSWORD`, else from
the operating system's keyring (the `keyring` package, when installed: service `xlbilling`,
user `<smtp_user>@<smtp_host>`); without a user there is no login.
"""

from __future__ import annotations

from typing import Mapping, NamedTuple

from billing.config import SMTP_ENV, smtp_environment
from billing.errors import BadFile

KEYRING_SERVICE = "xlbilling"
DEFAULT_PORT = 587
#: The Settings keys of the mail server, each overridden by its environment variable.
MAIL_KEYS = tuple(SMTP_ENV)


class MailConfig(NamedTuple):
    host: str
    port: int
    user: str
    password: str | None
    sender: str
    starttls: bool

    def __repr__(self) -> str:  # never the password in a log or a traceback
        return f"MailConfig(host={self.host!r}, port={self.port}, user={self.user!r}, sender={self.sender!r}, " \
               f"starttls={self.starttls})"


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def mail_config(settings: Mapping[str, object], environ: Mapping[str, str] | None = None,
                keyring_lookup=None) -> MailConfig:
    """The mail settings: `settings` (the Settings sheet's values by key) overridden by
    `environ` (default: the environment, `billing.config.smtp_environment`, by the same keys
    and `password`). `BadFile` for a port or a STARTTLS value that cannot be used."""
    env = smtp_environment() if environ is None else environ
    value = {key: _text(env.get(key)) or _text(settings.get(key)) for key in MAIL_KEYS}
    port_text = value["smtp_port"] or str(DEFAULT_PORT)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise BadFile(f"smtp_port {port_text!r} is not a port number (1-65535)")
    starttls = (value["smtp_starttls"] or "yes").lower()
    if starttls not in ("yes", "no"):
        raise BadFile(f"smtp_starttls {starttls!r} must be yes or no")
    host, user = value["smtp_host"], value["smtp_user"]
    password = env.get("password") or None
    if password is None and user and host:
        password = (keyring_lookup or keyring_password)(f"{user}@{host}")
    return MailConfig(host, int(port_text), user, password, value["mail_from"], starttls == "yes")


def keyring_password(account: str) -> str | None:
    """The password the OS keyring holds for `account` under the service `xlbilling`; None
    when the `keyring` package is not installed or holds none."""
    try:
        import keyring
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, account)
    except Exception:  # no usable backend: the same as no password stored
        return None
