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
