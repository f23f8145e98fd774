"""Rebuild the committed workbooks: `uv run python workbooks/build.py`.

- `template.xlsx`: an empty billing workbook. Its `workbook_id` is left blank on purpose:
  every copy a user makes of the template must get its own identity (numbering and sealing
  key on it), so the id is written into the copy, not shipped in the template.
- `sample.xlsx`: 60 sample invoices with lines and payments (seed 2026), for a first look.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from billing.workbook.create import create_workbook  # noqa: E402
from billing.sample import generate_sample  # noqa: E402
from billing.workbook.read import read_book  # noqa: E402
from billing.workbook.write import CellUpdate, Changes, apply_changes  # noqa: E402


def build() -> None:
    template = create_workbook(HERE / "template.xlsx", overwrite=True)
    settings = read_book(template)["Settings"]
    row = next(r for r, key in settings.frame["key"].items() if key == "workbook_id")
    apply_changes(template, Changes(updates=(CellUpdate("Settings", row, settings.columns["value"], None),)))
    create_workbook(HERE / "sample.xlsx", generate_sample(60, seed=2026), overwrite=True)


if __name__ == "__main__":
    build()
