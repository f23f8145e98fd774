import os
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def pg_url():
    """A PostgreSQL URL on a fresh schema of its own (dropped afterwards); skipped without a server."""
    base = os.environ.get("XLBILLING_TEST_DATABASE_URL")
    if not base:
        pytest.skip("XLBILLING_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """Each store the registry runs on: an SQLite file, and PostgreSQL when one is configured."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return request.getfixturevalue("pg_url")


def pytest_configure(config):
    """Module- and session-scoped fixtures run before the per-test isolation below: give them
    a private store, archive and key too, so no test ever touches the user's own."""
    import tempfile

    home = Path(tempfile.mkdtemp(prefix="xlbilling-tests-"))
    os.environ["XLBILLING_DATABASE_URL"] = f"sqlite:///{home / 'store.db'}"
    os.environ["XLBILLING_ARCHIVE_DIR"] = str(home / "archive")
    os.environ["XLBILLING_KEY_FILE"] = str(home / "keys" / "signing-key.pem")


@pytest.fixture(autouse=True)
def isolated_user_data(tmp_path_factory, monkeypatch):
    """No test touches the user's real store, archive or keys: each gets its own defaults."""
    home = tmp_path_factory.mktemp("userdata")
    monkeypatch.setenv("XLBILLING_DATABASE_URL", f"sqlite:///{home / 'store.db'}")
    monkeypatch.setenv("XLBILLING_ARCHIVE_DIR", str(home / "archive"))
    monkeypatch.setenv("XLBILLING_KEY_FILE", str(home / "keys" / "signing-key.pem"))


@pytest.fixture(scope="module")
def issued(tmp_path_factory) -> Path:
    """A sample workbook, closed, its invoices issued as PDF (and CII when its rules are there),
    with its store and archive (`tests_support.issue_sample`); made once per test module."""
    from tests_support import issue_sample

    return issue_sample(tmp_path_factory.mktemp("issued"))


@pytest.fixture
def work(issued, tmp_path, monkeypatch):
    """A private copy of `issued` (a `tests_support.Work`), with no SMTP settings from the
    environment, plain SMTP (the local aiosmtpd speaks no TLS) and the send back-off without
    waiting."""
    import shutil

    from billing.delivery import smtp
    from tests_support import Work

    folder = Path(shutil.copytree(issued, tmp_path / "w"))
    for name in ("XLBILLING_SMTP_HOST", "XLBILLING_SMTP_PORT", "XLBILLING_SMTP_USER", "XLBILLING_SMTP_FROM",
                 "XLBILLING_SMTP_PASSWORD", "XLBILLING_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XLBILLING_SMTP_STARTTLS", "no")
    monkeypatch.setattr(smtp, "DELAYS", (0.0, 0.0))
    return Work(folder / "book.xlsx", f"sqlite:///{folder / 'store.db'}", folder / "archive")
