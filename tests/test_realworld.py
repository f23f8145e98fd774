"""Every real-world spreadsheet of ../shared/testdata/real-world through every command, as it
is and with its first sheets renamed to the billing sheets.

Those files come from other projects' reader test suites (Excel, LibreOffice, Google Sheets,
Numbers and many libraries wrote them); none is a billing workbook. What each command owes
every one of them: exit 0, 1 or 2 — never a traceback, an internal error or a crash, exit 2
in exactly one line — in bounded time; `validate` and `verify` leave the file byte for byte
as it was; and one reading: a workbook that `validate` reads is read by every other command
too (none refuses it as unreadable or as not a billing workbook).

The files run in one child process (`tests/realworld.py`): a native reader that aborted
would otherwise take pytest with it, and one process keeps the imports to one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from realworld import BILLING_SHEETS, COMMANDS, READ_ONLY, real_world_files, renamed_copy

WORKER = Path(__file__).resolve().parent / "realworld.py"
SECONDS_PER_RUN = 30
UNREADABLE = ("cannot be read", "not a billing workbook")


def test_every_command_on_every_real_world_workbook():
    files = real_world_files()
    run = subprocess.run([sys.executable, str(WORKER), ",".join(COMMANDS), *map(str, files)], capture_output=True,
                         text=True, timeout=120 + SECONDS_PER_RUN * len(files))
    results = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    done = {r["file"] for r in results}
    crashed = next((str(f) for f in files if str(f) not in done), None)
    assert run.returncode == 0, f"the worker died (exit {run.returncode}) on {crashed}: {run.stderr[-2000:]}"
    assert done == {str(f) for f in files}
    problems = []
    by_copy: dict[tuple[str, str], dict[str, dict]] = {}
    for r in results:
        where = f"{Path(r['file']).name} ({r['variant']}) {r['command']}"
        by_copy.setdefault((r["file"], r["variant"]), {})[r["command"]] = r
        if r["code"] not in (0, 1, 2):
            problems.append(f"{where}: exit {r['code']}: {r['stderr'][-800:]}")
        elif "Traceback" in r["stderr"] or "internal error" in r["stderr"]:
            problems.append(f"{where}: {r['stderr'][-800:]}")
        elif r["code"] == 2 and len(r["stderr"].strip().splitlines()) != 1:
            problems.append(f"{where}: not one line: {r['stderr'][-800:]}")
        elif r["seconds"] > SECONDS_PER_RUN:
            problems.append(f"{where}: {r['seconds']} s")
        if r["command"] in READ_ONLY and r["changed"]:
            problems.append(f"{where}: changed the file")
    for (name, variant), runs in by_copy.items():
        if runs["validate"]["code"] in (0, 1):
            for command, r in runs.items():
                if r["code"] == 2 and any(word in r["stderr"] for word in UNREADABLE):
                    problems.append(f"{Path(name).name} ({variant}): validate reads it, {command} does not: "
                                    f"{r['stderr'].strip()}")
    assert not problems, "\n".join(problems)
    renamed = [r for r in results if r["variant"] == "renamed" and r["command"] == "validate"]
    assert len(renamed) > len(files) // 2  # the renaming reached most files
    assert sum(r["code"] == 1 for r in renamed) > len(renamed) // 2  # and made the readers go deep


def test_renamed_copy_renames_only_sheet_names(tmp_path):
    import zipfile

    source = next(f for f in real_world_files() if f.suffix == ".xlsx")
    copy = renamed_copy(source, tmp_path / "renamed.xlsx")
    assert copy is not None
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(copy) as new:
        assert old.namelist() == new.namelist()
        for name in old.namelist():
            if name != "xl/workbook.xml":
                assert old.read(name) == new.read(name), name
        workbook = new.read("xl/workbook.xml").decode("utf-8", "replace")
    from billing.workbook.package import sheet_parts

    names = list(sheet_parts(str(copy)))
    assert names and names == list(BILLING_SHEETS[:len(names)]), (names, workbook[:300])
