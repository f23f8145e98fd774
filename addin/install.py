"""`xlbilling addin install`: put the add-in where Excel loads it and write its settings.

Windows: `%APPDATA%\\Microsoft\\Excel\\XLSTART` (opened with every Excel start); macOS:
Excel's sandboxed startup folder. The settings file `~/.xlbilling/xlbilling.conf` (read
by the add-in's xlwings VBA, in xlwings' `"KEY","value"` format) names this Python, so
RunPython and the UDFs run in the environment xlbilling is installed in, and `udfs` as
the UDF module. Linux has no desktop Excel: install refuses there with a one-line reason.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from billing.errors import BadFile

MAC_STARTUP = "Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel"


def startup_folder() -> Path:
    if sys.platform.startswith("win"):
        return Path(os.environ["APPDATA"]) / "Microsoft" / "Excel" / "XLSTART"
    if sys.platform == "darwin":
        return Path.home() / MAC_STARTUP
    raise BadFile("addin install: desktop Excel runs on Windows and macOS only; on this system use "
                  "`xlbilling addin build` and copy addin/xlbilling.xlam to a machine with Excel")


def config_lines(interpreter: str, project_root: Path) -> list[str]:
    """The add-in's settings, one `"KEY","value"` line each (xlwings' config file format)."""
    key = "INTERPRETER_WIN" if sys.platform.startswith("win") else "INTERPRETER_MAC"
    return [f'"{key}","{interpreter}"', f'"PYTHONPATH","{project_root}"', '"UDF MODULES","udfs"']


def install(xlam: Path) -> tuple[Path, Path]:
    """Copy the add-in into Excel's startup folder and write the settings; both paths."""
    folder = startup_folder()
    if not xlam.is_file():
        raise BadFile(f"{xlam}: no add-in built yet; run `xlbilling addin build` first")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / xlam.name
    shutil.copyfile(xlam, target)
    config = Path.home() / ".xlbilling" / "xlbilling.conf"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("\n".join(config_lines(sys.executable, Path(__file__).resolve().parents[1])) + "\n",
                      encoding="utf-8")
    return target, config
