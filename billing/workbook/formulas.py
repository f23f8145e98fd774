"""A formula moved to another cell, its relative references moving with it.

Excel stores a column of alike formulas once (a *shared formula*: the first cell holds
the text, the others only point to it). When the first cell is overwritten, each other
cell must get its own formula: the shared text as seen from that cell. openpyxl's
formula tokenizer does the moving (`$`-anchored references stay, relative ones shift);
nothing else of openpyxl is used here.
"""

from __future__ import annotations


def moved_formula(formula: str, origin: str, dest: str) -> str:
    """`formula` (without `=`) written at `origin` (`B2`), as it reads at `dest` (`B7`).

    Raises ValueError when the formula cannot be read."""
    from openpyxl.formula.translate import Translator  # only when a shared formula's anchor is overwritten

    try:
        moved = Translator("=" + formula, origin=origin).translate_formula(dest)
    except Exception as exc:  # the tokenizer raises a bare TokenizerError or worse on odd text
        raise ValueError(f"cannot move the formula {formula!r} from {origin} to {dest}: {exc}") from None
    return moved[1:] if moved.startswith("=") else moved
