"""The layers of the house, checked on the code: what each module may import, and what loads.

    foundation   billing/{errors,money,contract,settings,config,cells,cellvalues,book,changes,
                 tables,atomic,gcpause,store}      plain data and rules
    domain       billing/{invoicing,numbering,bank,matching,receivables,collections,schedules}/
    workbook     billing/workbook/                 the only code that opens a workbook file
    sealing      billing/sealing/                  the canonical form, seal, verify, archive
    documents    billing/documents/                invoice documents and letters: UBL, CII (lxml), PDF, Factur-X, QR, and their check by the official rules
    delivery     billing/delivery/                 e-mail: messages (stdlib email), SMTP, .eml drafts, the record of each
    validation   validation/                       the contract's rules on a read Book
    access       billing/access/                   portal users, roles, audit log, login throttle (the store)
    pipeline     billing/pipeline/                 the steps the CLI, the ribbon and the close share
    sample       billing/sample/                   beside pipeline: sample data and demo files
    interfaces   billing/cli/, billing/web/, macros/, udfs/, addin/, and the `billing` API itself

A module imports only from its own layer and the layers `ALLOWED` names for it — at module
level, inside functions and under TYPE_CHECKING alike, since each is a dependency. The file
format libraries stay where the files are opened, and importing a foundation or domain module
in a fresh interpreter loads none of them (nor `validation`): the UDF server and a notebook
get the domain without paying for the workbook readers.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("billing", "validation", "macros", "udfs", "addin")

FOUNDATION = {"errors", "money", "contract", "settings", "config", "cells", "cellvalues", "book", "changes",
              "tables", "atomic", "gcpause", "store"}
DOMAIN = {"invoicing", "numbering", "bank", "matching", "receivables", "collections", "schedules"}
SUBPACKAGE_LAYERS = {"access": "access", "workbook": "workbook", "sealing": "sealing", "documents": "documents",
                     "delivery": "delivery", "pipeline": "pipeline", "sample": "sample", "cli": "interfaces",
                     "web": "interfaces", "__main__": "interfaces"}

#: What each layer may import from the project, besides itself.
ALLOWED: dict[str, set[str]] = {
    "foundation": set(),
    "domain": {"foundation"},
    "workbook": {"foundation", "domain"},
    "sealing": {"foundation", "domain", "workbook"},
    "documents": {"foundation", "domain"},
    "delivery": {"foundation", "domain"},
    "validation": {"foundation", "domain"},
    "access": {"foundation"},
    "pipeline": {"foundation", "domain", "workbook", "sealing", "documents", "delivery", "validation", "access"},
    "sample": {"foundation", "domain", "workbook"},
    "interfaces": {"foundation", "domain", "workbook", "sealing", "documents", "delivery", "validation", "pipeline",
                   "sample", "access", "interfaces"},
}

#: Libraries that read or write a workbook's files (or drive Excel), and the zip container.
FILE_LIBRARIES = {"openpyxl", "lxml", "python_calamine", "xlwings", "xlsxwriter", "zipfile"}
#: ... which layers may import them at all
FILE_LIBRARY_LAYERS = {"workbook", "sealing", "documents", "interfaces"}
#: Within billing, the Excel libraries proper only where a module says it needs them.
EXCEL_LIBRARIES = {"xlwings", "openpyxl", "python_calamine", "xlsxwriter"}
EXCEL_LIBRARY_USERS = {
    "billing.workbook.read": {"python_calamine"},  # reads the contract tables
    "billing.workbook.create": {"openpyxl"},  # a new workbook laid out for a person
    "billing.workbook.newfile": {"openpyxl"},  # a new file of output sheets
    "billing.workbook.formulas": {"openpyxl"},  # its formula translator
    "billing.sealing.canonical.sheet": {"openpyxl"},  # its formula translator
}
#: Must not be loaded by importing any foundation or domain module.
HEAVY = ("openpyxl", "lxml", "python_calamine", "xlwings", "xlsxwriter", "validation")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def layer_of(module: str) -> str | None:
    """The layer of a project module; None for anything else (stdlib, third party)."""
    parts = module.split(".")
    if parts[0] in ("macros", "udfs", "addin"):
        return "interfaces"
    if parts[0] == "validation":
        return "validation"
    if parts[0] != "billing":
        return None
    if len(parts) == 1:
        return "interfaces"  # the public API names everything, lazily
    if parts[1] in FOUNDATION:
        return "foundation"
    if parts[1] in DOMAIN:
        return "domain"
    return SUBPACKAGE_LAYERS.get(parts[1], f"unmapped: billing.{parts[1]}")


def imports_of(module: str, path: Path) -> list[tuple[str, int]]:
    """Every module `module` imports, anywhere in its code, with the line: `from a import b`
    is `a.b` when that is a project module, else `a`; relative imports are resolved."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            source = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                found.append((sub if sub in MODULES else source, node.lineno))
    return found


def test_every_project_module_has_a_layer():
    assert [m for m in MODULES if (layer_of(m) or "").startswith("unmapped")] == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_layers(module):
    layer = layer_of(module)
    wrong = []
    for target, line in imports_of(module, MODULES[module]):
        root = target.split(".")[0]
        other = layer_of(target)
        if other is not None and other != layer and other not in ALLOWED[layer]:
            wrong.append(f"line {line}: {target} ({other})")
        if root in FILE_LIBRARIES and layer not in FILE_LIBRARY_LAYERS:
            wrong.append(f"line {line}: {target} (a file format library)")
        if (module.split(".")[0] == "billing" and root in EXCEL_LIBRARIES
                and root not in EXCEL_LIBRARY_USERS.get(module, ())):
            wrong.append(f"line {line}: {target} (an Excel library)")
    assert wrong == [], f"{module} ({layer}) imports " + "; ".join(wrong)


# -- what loads: each module imported on its own ------------------------------------------------

#: Third-party libraries loaded once before the children fork, so each child pays only for
#: project code (a pydantic model and the SQL dialects are made ready the same way); none of
#: them loads a HEAVY module (the runner checks).
PRELOAD = """
import pandas, sqlalchemy, sqlalchemy.dialects.postgresql, sqlalchemy.dialects.sqlite, sqlalchemy.orm
import typer, rich, babel.numbers, stdnum, rapidfuzz, holidays, cryptography, defusedxml.ElementTree
import platformdirs, schwifty, mt940
from pydantic import BaseModel
class _Ready(BaseModel):
    x: int = 0
"""
#: ... and for the modules whose layer may load them, the file libraries too.
PRELOAD_FILES = PRELOAD + "import openpyxl, openpyxl.chart, lxml.etree, python_calamine, cryptography.hazmat.primitives\n"

_LOAD = r"""
import importlib, json, os, sys

def load(module, heavy):
    try:
        importlib.import_module(module)
    except BaseException as exc:  # reported: the test shows it
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"heavy": [m for m in heavy if m in sys.modules]}
"""
#: One module in a fresh interpreter (where there is no fork).
_ONE = _LOAD + "print(json.dumps(load(sys.argv[1], json.loads(sys.argv[2]))))\n"
#: Every module, each in a child forked from this interpreter before any project module loads.
_RUNNER = _LOAD + r"""
modules, preload, heavy = json.loads(sys.argv[1])
exec(preload, {})
early = [m for m in sys.modules if m in heavy or m.split(".")[0] in ("billing", "validation", "macros", "udfs")]
assert not early, early
results = {}
for module in modules:
    if not hasattr(os, "fork"):
        import subprocess
        out = subprocess.run([sys.executable, "-c", sys.argv[2], module, json.dumps(heavy)],
                             capture_output=True, text=True)
        results[module] = json.loads(out.stdout) if out.returncode == 0 else {"error": out.stderr[-500:]}
        continue
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: this interpreter as it was before any project module loaded
        os.close(read)
        with os.fdopen(write, "w") as out:
            json.dump(load(module, heavy), out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        text = answer.read()
    os.waitpid(pid, 0)
    results[module] = json.loads(text) if text else {"error": "the child died"}
print(json.dumps(results))
"""


def load_alone(modules: list[str], preload: str = PRELOAD, heavy: tuple[str, ...] = HEAVY) -> dict[str, dict]:
    """Each module imported in an interpreter that has loaded no project module: a child
    forked from one runner (the third-party libraries of `PRELOAD` already in, so each child
    pays only for project code), or, where there is no fork, a fresh interpreter per module."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", _RUNNER, json.dumps([modules, preload, heavy]), _ONE],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


#: `billing.__main__` runs the CLI when imported: it is `python -m billing`, not a module to import
BILLING_MODULES = sorted(m for m in MODULES if (m == "billing" or m.startswith("billing.")) and m != "billing.__main__")
LIGHT_MODULES = sorted(m for m in MODULES if layer_of(m) in ("foundation", "domain"))
KNOWN_HEAVY, PROBE = "billing.workbook.read", "probe: billing.workbook.read"


@pytest.fixture(scope="module")
def loaded_alone() -> dict[str, dict]:
    """What importing each billing module alone did (`heavy`: which HEAVY modules it loaded,
    asked of the foundation and domain modules only)."""
    others = [m for m in BILLING_MODULES if m not in LIGHT_MODULES]
    light = load_alone(LIGHT_MODULES + [KNOWN_HEAVY])
    probe = light.pop(KNOWN_HEAVY)
    return {**light, **load_alone(others, PRELOAD_FILES, heavy=()), PROBE: probe}


@pytest.mark.parametrize("module", BILLING_MODULES)
def test_every_billing_module_imports_on_its_own(module, loaded_alone):
    assert "error" not in loaded_alone[module], f"import {module}: {loaded_alone[module].get('error')}"


@pytest.mark.parametrize("module", LIGHT_MODULES)
def test_the_foundation_and_the_domain_are_light(module, loaded_alone):
    """No workbook library and no validation behind a foundation or domain module."""
    assert loaded_alone[module].get("heavy") == [], f"import {module} loads {loaded_alone[module]}"


def test_the_runner_tells_a_heavy_import(loaded_alone):
    """The check above can fail: a module known to load the calamine reader, run with the
    foundation and domain modules, is reported."""
    assert "python_calamine" in loaded_alone[PROBE]["heavy"]


# -- the checks test_core_purity held ----------------------------------------------------------


def _fresh(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          check=True).stdout.strip()


def test_cli_and_validation_load_without_xlwings():
    assert _fresh("import sys, billing.cli, validation; import billing.workbook.read; "
                  "print('xlwings' in sys.modules)") == "False"


def test_change_records_and_the_pipeline_load_no_openpyxl():
    """What a run changes is plain records (`billing.changes`): the pipeline, the close, the
    reports and the file writer load without openpyxl (only new files and the template use it)."""
    assert _fresh("import sys, billing.changes, billing.pipeline.steps, billing.pipeline.close, "
                  "billing.pipeline.findings, billing.workbook.write; print('openpyxl' in sys.modules)") == "False"


# -- the public API ------------------------------------------------------------------------------


def test_import_billing_is_cheap():
    """`import billing` loads no library: each public name loads its home module on first use."""
    assert _fresh("import sys, billing; print(sorted(m for m in ('pandas', 'pydantic', 'sqlalchemy', 'numpy') "
                  "if m in sys.modules), [m for m in sys.modules if m.startswith('billing.')])") == "[] []"
    assert _fresh("import sys; from billing import Money, parse_terms; "
                  "print('pandas' in sys.modules or 'python_calamine' in sys.modules)") == "False"


def test_the_public_names_are_their_home_modules_objects():
    import importlib

    import billing

    assert len(billing.__all__) == len(set(billing.__all__)) == len(billing._HOME_OF)
    assert set(billing.__all__) == set(billing._HOME_OF)
    for name in billing.__all__:
        home = importlib.import_module(billing._HOME_OF[name])
        assert getattr(billing, name) is getattr(home, name), name
    assert set(billing.__all__) <= set(dir(billing))
    with pytest.raises(AttributeError):
        billing.no_such_name  # noqa: B018


def test_the_type_checking_imports_name_the_same_homes():
    """The TYPE_CHECKING block of billing/__init__.py (what editors see) matches the lazy map."""
    import billing

    tree = ast.parse((ROOT / "billing" / "__init__.py").read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    seen = {alias.name: node.module for node in block.body for alias in node.names}
    assert seen == billing._HOME_OF


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Using xlbilling from Python", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_runs(tmp_path, monkeypatch, capsys):
    code = readme_example()
    assert len(code.strip().splitlines()) <= 12  # "a 10-line example"
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("2026-11-14 RF")
    assert "EUR" in printed[1]
    from billing.workbook.read import read_book
    from billing.contract import ALLOCATIONS

    closed = read_book(tmp_path / "october.xlsx", optional=(ALLOCATIONS,))
    assert len(closed["Allocations"]) > 0 and {"Aging", "Dunning", "Close"} <= set(closed.sheet_names)
