"""billing.config: every path and environment variable in one place, each with one rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from billing import config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def data_folder(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "userdata"
    monkeypatch.setattr(config, "user_data_folder", lambda: folder)
    for name in config.ENV:
        monkeypatch.delenv(name, raising=False)
    return folder


def test_store_option_else_env_else_user_data(data_folder, monkeypatch):
    assert config.database_url() == f"sqlite:///{data_folder / 'xlbilling.sqlite'}"
    assert data_folder.is_dir()  # the embedded store's folder is made
    monkeypatch.setenv("XLBILLING_DATABASE_URL", "postgresql+psycopg://db/billing")
    assert config.database_url() == "postgresql+psycopg://db/billing"
    assert config.database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_archive_option_else_env_else_beside_the_store_else_user_data(data_folder, tmp_path, monkeypatch):
    assert config.archive_dir(None, f"sqlite:///{tmp_path / 'store.db'}") == tmp_path.resolve() / "archive"
    assert config.archive_dir() == data_folder.resolve() / "archive"  # the embedded store's folder
    assert config.archive_dir(None, "postgresql+psycopg://db/billing") == data_folder / "archive"
    assert config.archive_dir(None, "sqlite:///:memory:") == data_folder / "archive"
    monkeypatch.setenv("XLBILLING_ARCHIVE_DIR", str(tmp_path / "env"))
    assert config.archive_dir(None, "postgresql+psycopg://db/billing") == tmp_path / "env"
    assert config.archive_dir(tmp_path / "option") == tmp_path / "option"


def test_key_option_else_env_else_user_data(data_folder, tmp_path, monkeypatch):
    assert config.key_path() == data_folder / "keys" / "signing-key.pem"
    monkeypatch.setenv("XLBILLING_KEY_FILE", str(tmp_path / "env.pem"))
    assert config.key_path() == tmp_path / "env.pem"
    assert config.key_path(tmp_path / "option.pem") == tmp_path / "option.pem"


@pytest.mark.parametrize("value, workers", [(None, None), ("", None), ("0", None), ("-2", None), ("two", None),
                                            ("1", 1), ("6", 6)])
def test_workers(monkeypatch, value, workers):
    if value is None:
        monkeypatch.delenv("XLBILLING_WORKERS", raising=False)
    else:
        monkeypatch.setenv("XLBILLING_WORKERS", value)
    assert config.workers() == workers


def test_rules_dir_option_else_env_else_none(monkeypatch, tmp_path):
    monkeypatch.delenv("XLBILLING_RULES_DIR", raising=False)
    assert config.rules_dir() is None
    monkeypatch.setenv("XLBILLING_RULES_DIR", "")
    assert config.rules_dir() is None
    monkeypatch.setenv("XLBILLING_RULES_DIR", str(tmp_path / "env"))
    assert config.rules_dir() == tmp_path / "env"
    assert config.rules_dir(tmp_path / "option") == tmp_path / "option"


def test_debug(monkeypatch):
    monkeypatch.delenv("XLBILLING_DEBUG", raising=False)
    assert not config.debug()
    monkeypatch.setenv("XLBILLING_DEBUG", "")
    assert not config.debug()
    monkeypatch.setenv("XLBILLING_DEBUG", "1")
    assert config.debug()


def test_the_modules_ask_config():
    from billing import store
    from billing.sealing import archive, keys
    from billing.sealing.canonical import jobs

    assert store.database_url is config.database_url
    assert archive.archive_dir is config.archive_dir
    assert keys.key_path is config.key_path
    assert jobs.workers is config.workers


def test_no_module_but_config_reads_an_environment_variable():
    """`XLBILLING_*` names are spelled as strings in billing/config.py only, and nothing else
    in billing/ reads the environment (the demo sets variables for its child runs)."""
    offenders = []
    for path in sorted((ROOT / "billing").rglob("*.py")):
        if path.name == "config.py" and path.parent.name == "billing":
            continue
        text = path.read_text(encoding="utf-8")
        for n, line in enumerate(text.splitlines(), 1):
            if re.search(r"""["']XLBILLING_""", line) or re.search(r"os\.environ(\.get|\[)|getenv\(", line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []


def test_the_readme_table_lists_every_variable():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Files and environment variables", 1)[1].split("\n#", 1)[0]
    listed = re.findall(r"^\| `(XLBILLING_[A-Z_]+)` \|", section, re.M)
    assert listed == [*config.ENV, "XLBILLING_TEST_DATABASE_URL"]
    assert readme.count("### Files and environment variables") == 1
