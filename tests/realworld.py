"""The real-world spreadsheets of ../shared/testdata/real-world, and billing-shaped copies of them.

Tests that use them skip visibly when ../shared is not beside the repository."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

REAL_WORLD = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "real-world"
BILLING_SHEETS = ("Invoices", "InvoiceLines", "Customers", "Payments", "Settings", "TaxRates")
_SHEET_NAME = re.compile(rb'(<(?:\w+:)?sheet\b[^>]*?\bname=")([^"]*)(")')


def real_world_files() -> list[Path]:
    """Every .xlsx/.xlsm file there (none when ../shared is missing: the tests then skip)."""
    if not REAL_WORLD.is_dir():
        return []
    return sorted(p for p in REAL_WORLD.rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm"))


def billing_variant(source: Path, dest: Path, rename: bool) -> Path | None:
    """A writable copy of `source` at `dest`; with `rename`, its sheets (in workbook order)
    take the billing sheet names, so the readers look inside them. None when the file is
    not a zip that can be copied member by member (only `rename` needs that)."""
    if not rename:
        dest.write_bytes(source.read_bytes())
        dest.chmod(0o644)
        return dest
    try:
        with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                if info.filename == "xl/workbook.xml":
                    data = _renamed(data)
                zout.writestr(info, data)
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, NotImplementedError, EOFError):
        dest.unlink(missing_ok=True)
        return None
    return dest


def _renamed(workbook_xml: bytes) -> bytes:
    names = iter(BILLING_SHEETS)

    def rename(match: re.Match) -> bytes:
        name = next(names, None)
        return match.group(0) if name is None else match.group(1) + name.encode() + match.group(3)

    return _SHEET_NAME.sub(rename, workbook_xml)
