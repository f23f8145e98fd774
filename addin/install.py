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

Two traps are refused before anything is copied: an add-in built with another xlwings than
the one installed (its VBA loads that version's DLL and speaks that version's protocol), and,
on macOS, paths that xlwings' AppleScript cannot pass to the shell (it writes the interpreter
into a shell command unquoted, and the PYTHONPATH between single quotes).
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


def check_xlwings_version(xlam: Path) -> None:
    """The add-in's VBA and this Python's xlwings must be the same xlwings version."""
    import xlwings

    from addin.build import xlwings_version_of

    built = xlwings_version_of(xlam)
    if built != xlwings.__version__:
        raise BadFile(f"{xlam} was built with xlwings {built}, but this Python has xlwings {xlwings.__version__}: "
                      "run `xlbilling addin build` and then `xlbilling addin install` again (or install xlwings "
                      f"{built}: `uv add xlwings=={built}`)")


#: what xlwings' AppleScript cannot carry: the interpreter goes into a shell command unquoted,
#: the PYTHONPATH between single quotes inside a double-quoted string, fields are split at "|"
_MAC_UNSAFE_INTERPRETER = set(" \t'\"`$\\|;&()<>*?[]{}")
_MAC_UNSAFE_PATH = set("'\"`$\\|")


def check_mac_paths(interpreter: str, project_root: Path) -> None:
    """Refuse, on macOS, paths RunPython would break (xlwings' `ExecuteMac` and its
    AppleScript do not quote them), saying what to do instead."""
    bad = sorted(set(interpreter) & _MAC_UNSAFE_INTERPRETER)
    if bad:
        raise BadFile(f"the Python interpreter's path {interpreter!r} has {' '.join(repr(c) for c in bad)}: "
                      "Excel for Mac (xlwings' RunPython) puts it into a shell command unquoted, so it would not "
                      "start. Put the project in a folder whose path has no spaces or special characters "
                      "(e.g. ~/xlbilling), run `uv sync` there and `xlbilling addin install` again")
    bad = sorted(set(str(project_root)) & _MAC_UNSAFE_PATH)
    if bad:
        raise BadFile(f"the project folder {str(project_root)!r} has {' '.join(repr(c) for c in bad)}, which "
                      "xlwings' RunPython cannot pass on macOS: move the project to a plain path (e.g. ~/xlbilling) "
                      "and run `xlbilling addin install` there")


def install(xlam: Path) -> tuple[Path, Path]:
    """Copy the add-in into Excel's startup folder and write the settings; both paths."""
    folder = startup_folder()
    if not xlam.is_file():
        raise BadFile(f"{xlam}: no add-in built yet; run `xlbilling addin build` first")
    check_xlwings_version(xlam)
    project_root = Path(__file__).resolve().parents[1]
    if sys.platform == "darwin":
        check_mac_paths(sys.executable, project_root)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / xlam.name
    shutil.copyfile(xlam, target)
    if sys.platform == "darwin":
        _install_applescript()
    config = config_path()
    config.parent.mkdir(parents=True, exist_ok=True)
    # VBA's `Input #` reads the file in the ANSI code page on Windows ("mbcs" in Python), so a
    # path like C:\Users\Jürgen\… arrives intact; on macOS UTF-8, as xlwings writes its own
    config.write_text("\n".join(config_lines(sys.executable, project_root)) + "\n",
                      encoding="mbcs" if sys.platform.startswith("win") else "utf-8")
    return target, config


def _install_applescript() -> None:
    """xlwings' AppleScript, through which RunPython starts Python on macOS."""
    import xlwings

    source = Path(xlwings.__file__).resolve().parent / f"xlwings-{xlwings.__version__}.applescript"
    folder = Path.home() / MAC_SCRIPTS
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, folder / source.name)
