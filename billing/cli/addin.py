"""`xlbilling addin build|install`: the Billing ribbon add-in (see `addin/`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from billing.cli.common import err

app = typer.Typer(help="The Billing ribbon add-in for Excel.", no_args_is_help=True)


@app.command("build")
def build_command(out: Optional[Path] = typer.Option(None, "--out", help="Where to write the .xlam "
                                                     "(default: addin/xlbilling.xlam).")) -> None:
    """Build addin/xlbilling.xlam from xlwings' BSD add-in template, the ribbon registry and
    xlwings' generated module of the worksheet functions."""
    from addin.build import OUT, build, xlwings_version_of

    path = build(out or OUT)
    err.print(f"Built {path} ({path.stat().st_size:,} bytes, for xlwings {xlwings_version_of(path)}). Install it: "
              "xlbilling addin install (Windows/macOS), see README, 'Using it in Excel'.", markup=False)


@app.command("install")
def install_command() -> None:
    """Copy the add-in into Excel's startup folder and write its settings (Windows/macOS); refuses
    an add-in built with another xlwings version and, on macOS, paths RunPython cannot pass."""
    from addin.build import OUT
    from addin.install import install

    target, config = install(OUT)
    err.print(f"Installed {target}; settings in {config}. Restart Excel: the Billing tab appears, and on "
              "Windows the XLB_ worksheet functions work in every workbook.", markup=False)
