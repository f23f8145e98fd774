"""The command line's house rules: one command per module, no import cycle, every module
importable on its own, one finding printer and one one-line reason for every finding kind."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from billing.errors import BadFile, Finding, Reported, has_errors, one_line

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "billing" / "cli"
MODULES = sorted(p.stem for p in CLI.glob("*.py") if p.stem != "__init__")
#: what a command module may import at module level besides billing.cli.common (the rest inside functions)
ALLOWED = {"__future__", "typer", "billing.cli.common", "pathlib", "typing", "re", "sys", "os", "shutil"}


@pytest.mark.parametrize("module", ["billing.cli", *(f"billing.cli.{m}" for m in MODULES)])
def test_every_cli_module_imports_on_its_own(module):
    done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("module", MODULES)
def test_command_modules_import_only_typer_and_common_at_module_level(module):
    tree = ast.parse((CLI / f"{module}.py").read_text(encoding="utf-8"))
    imported = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    if module == "common":  # the shared parts: typer, rich and the errors, nothing of the domain
        assert imported <= ALLOWED - {"billing.cli.common"} | {"functools", "json", "contextlib", "rich.console",
                                                                 "billing.errors"}
    else:
        assert imported <= ALLOWED, imported - ALLOWED


def test_no_cli_module_imports_the_cli_package():
    """`billing.cli` registers the commands; nothing imports it back (the old cycle)."""
    for path in CLI.glob("*.py"):
        if path.stem == "__init__":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert node.module != "billing.cli", f"{path.name} imports from billing.cli"
                assert not (node.module == "billing" and any(a.name == "cli" for a in node.names)), path.name


def test_help_loads_no_domain():
    """`xlbilling --help` stays cheap: typer and the errors, not the domain, pandas or validation."""
    code = ("import sys, billing.cli; print(sorted(m for m in ('pandas', 'validation', 'openpyxl', 'pydantic', "
            "'billing.pipeline', 'billing.workbook.read') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_every_finding_kind_is_reported_alike(capsys):
    from billing.cli.common import print_findings
    from billing.numbering.audit import AuditFinding
    from billing.sealing.archive_check import ArchiveFinding

    cell = Finding("warning", "Invoices!E7", "invalid_date", "not a date")
    number = AuditFinding("error", "gap", "RE-2026-0007", "never issued")
    lost = AuditFinding("warning", "workbook_unreachable", "", "cannot read it", "wb-1")
    fault = ArchiveFinding("error", "file_missing", 3, "ab" * 32, "its file is missing")
    for finding in (cell, number, lost, fault):
        assert isinstance(finding, Reported)
        assert set(finding.as_dict()) == set(finding._fields)  # the JSON keeps each record's own fields
    print_findings([cell], "book.xlsx")
    print_findings([number, lost, fault])
    assert capsys.readouterr().out.splitlines() == [
        "book.xlsx!Invoices!E7: warning: not a date (invalid_date)",
        "RE-2026-0007: never issued (gap)",
        "wb-1: warning: cannot read it (workbook_unreachable)",
        "its file is missing (file_missing)",
    ]
    assert has_errors([cell, number]) and not has_errors([cell, lost])


def test_one_line():
    assert one_line("  a\n  reason\tin  pieces ") == "a reason in pieces"
    assert one_line("") == ""
    assert one_line(ValueError("bad\nthing")) == "bad thing"
    assert one_line(ValueError()) == "ValueError"
    assert one_line(FileNotFoundError(2, "No such file or directory", "x.xlsx")) == "No such file or directory"
    assert one_line(ValueError("x" * 500), 200) == "x" * 200
    assert str(BadFile("two\n lines")) == "two lines"
