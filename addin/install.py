"""`xlbilling addin install`: put the add-in where Excel loads it and write its settings.

Windows: `%APPDATA%\\Microsoft\\Excel\\XLSTART` (opened with every Excel start); macOS:
Excel's sandboxed startup folder. The settings file (read by the add-in's xlwings VBA, in
xlwings' `"KEY","value"` format, where its `GetConfigFilePath` looks: Windows
`%USERPROFILE%\\.xlbilling\\xlbilling.conf`, macOS the sandbox's home
`~/Library/Containers/com.microsoft.Excel/Data/xlbilling.conf`) names this Python, so
RunPython and the UDFs run in the environment xlbilling is installed in, and `udfs` as
the UDF module. On macOS, Excel may only run scripts from its Application Scripts folder,
so xlwings' AppleScript (which RunPython calls there) is copied in, as `xlwings addin
install` does. Linux has no desktop Excel: install refuses there with a one-line reason.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from billing.errors import BadFile

MAC_STARTUP = "Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel"
#: the sandboxed Excel's home folder, where the VBA's `GetMacDir("$HOME", False)` points
MAC_SANDBOX_HOME = "Library/Containers/com.microsoft.Excel/Data"
MAC_SCRIPTS = "Library/Application Scripts/com.microsoft.Excel"


def startup_folder() -> Path:
    if sys.platform.startswith("win"):
        return Path(os.environ["APPDATA"]) / "Microsoft" / "Excel" / "XLSTART"
    if sys.platform == "darwin":
        return Path.home() / MAC_STARTUP
    raise BadFile("addin install: desktop Excel runs on Windows and macOS only; on this system use "
                  "`xlbilling addin build` and copy addin/xlbilling.xlam to a machine with Excel")


def config_path(platform: str | None = None, home: Path | None = None) -> Path:
    """Where the add-in's VBA reads its settings (xlwings' `GetConfigFilePath` for the project
    name `xlbilling`) on `platform` (default: this one)."""
    home = home or Path.home()
    if (platform or sys.platform) == "darwin":
        return home / MAC_SANDBOX_HOME / "xlbilling.conf"
    return home / ".xlbilling" / "xlbilling.conf"


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
    if sys.platform == "darwin":
        _install_applescript()
    config = config_path()
    config.parent.mkdir(parents=True, exist_ok=True)
    # VBA's `Input #` reads the file in the ANSI code page on Windows ("mbcs" in Python), so a
    # path like C:\Users\Jürgen\… arrives intact; on macOS UTF-8, as xlwings writes its own
    config.write_text("\n".join(config_lines(sys.executable, Path(__file__).resolve().parents[1])) + "\n",
                      encoding="mbcs" if sys.platform.startswith("win") else "utf-8")
    return target, config


def _install_applescript() -> None:
    """xlwings' AppleScript, through which RunPython starts Python on macOS."""
    import xlwings

    source = Path(xlwings.__file__).resolve().parent / f"xlwings-{xlwings.__version__}.applescript"
    folder = Path.home() / MAC_SCRIPTS
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, folder / source.name)
