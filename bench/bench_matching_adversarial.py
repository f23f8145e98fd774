"""Matching quality by class on adversarial labelled payments, beside the friendly sample, and speed.

Run: uv run python bench/bench_matching_adversarial.py [--seed N] [--no-timing]

1. The adversarial set (`billing.sample.adversarial`, ~580 payments) is matched through the
   public entry (`billing.matching.match_tables`) and scored per class, by money: precision
   (allocated money on the right invoice / allocated money), recall (right money / money
   that should be allocated), wrong allocations (count and money) and guesses (payments
   that must stay unmatched but got an allocation). Goals (issue 15): precision ≥ 0.995,
   no allocation on the ambiguous and coincidence classes, recall ≥ 0.90.
2. The friendly sample (`billing.sample.generate_sample`, 1,500 invoices) scored the same way
   and by pairs (`billing.matching.quality.quality`): both stay ≥ 0.999.
3. The timing of bench_matching.py's largest size: 100k payments × 200k open items ≤ 5 s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from tests_support import tables_of  # noqa: E402

from billing.invoicing.compute import compute  # noqa: E402
from billing.matching import match_tables  # noqa: E402
from billing.matching.quality import ClassQuality, quality, quality_by_class, total  # noqa: E402
from billing.sample import generate_sample  # noqa: E402
from billing.sample.adversarial import CLASSES, GUESS_CLASSES, generate_adversarial  # noqa: E402

_HEADER = (f"{'class':<25} {'payments':>8} {'precision':>9} {'recall':>7} {'wrong':>5} {'wrong money':>12} "
           f"{'guesses':>7}")


def _line(name: str, q: ClassQuality) -> str:
    return (f"{name:<25} {q.payments:>8} {q.precision:>9.3f} {q.recall:>7.3f} {q.wrong:>5} {q.wrong_money:>12,.2f} "
            f"{q.guesses:>7}")


def adversarial_table(seed: int) -> dict[str, ClassQuality]:
    labelled = generate_adversarial(seed, workbook_id="bench")
    tables = tables_of(labelled.data)
    result = match_tables(tables, compute(tables))
    by_class = quality_by_class(result.allocations, labelled.data.truth, labelled.classes)
    print(f"adversarial set, seed {seed}: {len(labelled.data.payments)} payments, "
          f"{len(labelled.data.invoices)} invoices and credit notes")
    print(_HEADER)
    for name in CLASSES:
        print(_line(name, by_class[name]))
    print(_line("total", total(by_class)))
    guessed = sum(by_class[c].guesses for c in GUESS_CLASSES)
    print(f"guesses on ambiguous payments and amount coincidences: {guessed}")
    return by_class


def friendly_table(seed: int) -> None:
    data = generate_sample(1500, seed=seed)
    tables = tables_of(data)
    result = match_tables(tables, compute(tables))
    pairs = quality(result.allocations, data.truth)
    money = total(quality_by_class(result.allocations, data.truth, data.scenarios))
    print(f"friendly sample, seed {seed}: {len(data.payments)} payments")
    print(f"  by pairs: precision {pairs.precision:.4f}, recall {pairs.recall:.4f}")
    print(f"  by money: precision {money.precision:.4f}, recall {money.recall:.4f}, "
          f"{money.wrong} wrong allocations, {money.guesses} guesses")


def timing() -> None:
    data = generate_sample(220_000, seed=11)
    tables = tables_of(data)
    computed = compute(tables)
    started = time.perf_counter()
    result = match_tables(tables, computed)
    elapsed = time.perf_counter() - started
    open_items = int(((tables.invoices["status"] == "issued") & tables.invoices["invoice_no"].notna()).sum())
    print(f"{len(tables.payments):,} payments × {open_items:,} open items: {elapsed:.2f} s "
          f"({len(result.unmatched):,} unmatched)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-timing", action="store_true", help="skip the 100k × 200k timing")
    args = parser.parse_args()
    adversarial_table(args.seed)
    print()
    friendly_table(1)
    if not args.no_timing:
        print()
        timing()


if __name__ == "__main__":
    main()
