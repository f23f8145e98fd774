"""Every command on every real-world spreadsheet in ../shared/testdata/real-world.

Those 155 files come from other projects' reader test suites (Excel, LibreOffice, Google
Sheets, Numbers and many libraries wrote them). None is a billing workbook; each is tried
as it is and with its sheets renamed to the billing sheets, so the readers go deeper. What
each command owes every one of them: exit 0, 1 or 2 — never a traceback or an "internal
error", exit 2 with exactly one line — and the same reading: a workbook that `validate`
reads is read by every other command too (no command refuses it as unreadable). A command
that does not write leaves the file byte for byte as it was.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest

from realworld import REAL_WORLD, billing_variant, real_world_files

COMMANDS = (
    ("validate",), ("compute",), ("number",), ("match",), ("aging", "--as-of", "2026-10-31"),
    ("close", "--as-of", "2026-10-31"), ("seal",), ("verify",),
)
READ_ONLY_COMMANDS = {"validate", "verify"}


def run_in_process(*args: str) -> tuple[int, str]:
    """`xlbilling ARGS` in this process (the same code path as the command; no start-up cost)."""
    from billing.cli import main

    captured = io.StringIO()
    with contextlib.redirect_stderr(captured), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(list(args))
        except SystemExit as done:
            return int(done.code or 0), captured.getvalue()
    return 0, captured.getvalue()


@pytest.fixture(scope="module")
def signing_key():
    code, text = run_in_process("keys", "init")
    assert code == 0, text


@pytest.mark.parametrize("source", real_world_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
@pytest.mark.parametrize("variant", ["as-is", "renamed"])
def test_every_command_reads_what_any_command_reads(source, variant, tmp_path, signing_key):
    path = billing_variant(source, tmp_path / f"{variant}{source.suffix}", rename=variant == "renamed")
    if path is None:
        pytest.skip("the file cannot be copied as a zip (it is refused whole by every command)")
    outcomes = {}
    for command, *options in COMMANDS:
        before = path.read_bytes()
        code, text = run_in_process(command, str(path), *options)
        lines = text.strip().splitlines()
        assert code in (0, 1, 2), (command, code, text)
        assert "internal error" not in text and "Traceback" not in text, (command, text)
        if code == 2:
            assert len(lines) == 1, (command, text)
        if command in READ_ONLY_COMMANDS:
            assert path.read_bytes() == before, f"{command} changed the file"
        outcomes[command] = (code, lines[-1] if lines else "")
    if outcomes["validate"][0] in (0, 1):
        unreadable = {c: why for c, (code, why) in outcomes.items() if code == 2 and "cannot be read" in why
                      or code == 2 and "not a billing workbook" in why}
        assert not unreadable, f"validate reads it, but: {unreadable}"


def test_the_real_world_files_are_there_or_the_skip_says_so():
    if not REAL_WORLD.is_dir():
        pytest.skip(f"{REAL_WORLD} is missing: the real-world spreadsheet checks are skipped")
    assert len(real_world_files()) >= 150
