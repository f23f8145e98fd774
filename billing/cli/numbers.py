"""`xlbilling numbers audit`: the numbering registry's gaps, duplicates and unexplained numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from billing.cli.common import ArchiveOption, DbOption, Exit, JsonOption, err, print_findings, print_json

app = typer.Typer(help="The numbering registry.", no_args_is_help=True)


@app.command("audit")
def audit(
    series: Optional[str] = typer.Option(None, "--series", help="Only numbers of this series (pattern or prefix)."),
    archived: bool = typer.Option(False, "--archived", help="Compare with the sealed copies in the archive (each "
                                  "workbook's newest, as of its seal) instead of the working workbooks; what the "
                                  "portal's numbering audit shows."),
    as_json: bool = JsonOption,
    db: Optional[str] = DbOption,
    archive: Optional[Path] = ArchiveOption,
) -> None:
    """Gaps, duplicates and unexplained numbers in the registry (exit 1 if any)."""
    from billing.errors import verdict
    from billing.pipeline.numbers_audit import numbers_audit
    from billing.sealing.archive import archive_dir
    from billing.store import open_store

    findings = numbers_audit(open_store(db), series, archive_dir(archive, db) if archived else None)
    result = verdict(findings)
    if as_json:
        print_json(result)
    else:
        print_findings(findings)
        err.print(f"numbers audit: {'ok' if result['ok'] else 'unexplained numbers found'} ({len(findings)} findings)")
    if not result["ok"]:
        raise Exit(1)
