"""The domain core never imports the Excel libraries outside its workbook I/O modules."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: the only billing modules allowed to touch a workbook library
IO_MODULES = {"read.py", "newfile.py", "formulas.py", "create.py", "sheet.py"}
EXCEL_LIBRARIES = {"xlwings", "openpyxl", "python_calamine", "xlsxwriter"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize(
    "module",
    sorted(str(p.relative_to(ROOT / "billing")) for p in (ROOT / "billing").rglob("*.py") if p.name not in IO_MODULES),
)
def test_domain_module_imports_no_excel_library(module):
    assert not imported_roots(ROOT / "billing" / module) & EXCEL_LIBRARIES


def test_cli_and_validation_load_without_xlwings():
    code = "import sys, billing.cli, validation; import billing.workbook.read; print('xlwings' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_change_records_and_the_pipeline_load_no_openpyxl():
    """What a run changes is plain records (`billing.changes`): the pipeline, the close, the
    reports and the file writer load without openpyxl (only new files and the template use it)."""
    code = ("import sys, billing.changes, billing.pipeline.steps, billing.pipeline.close, billing.pipeline.findings, billing.workbook.write; "
            "print('openpyxl' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"
