"""Random draws: one seeded generator per part of the sample, and the cheap draws all parts use.

Every random choice of the sample comes through a `random.Random` made by `part_rng`, so
the data is a function of the seed alone; the helpers here are the weighted and ranged
draws the hot loops make hundreds of thousands of times.
"""

from __future__ import annotations

import random
from decimal import Decimal
from functools import lru_cache
from itertools import accumulate


def part_rng(seed: int, part: str) -> random.Random:
    """An independent generator per part, so one part's draws never shift another's."""
    return random.Random(f"xlbilling-sample:{seed}:{part}")


def fast_randint(rng: random.Random, low: int, high: int) -> int:
    """`rng.randint` for the hot loops: the same distribution, a third of the cost."""
    return low + int(rng.random() * (high - low + 1))


def random_amount(rng: random.Random, low: int, high: int) -> Decimal:
    """A random amount between low and high units with two decimals."""
    return Decimal(fast_randint(rng, low * 100, high * 100)).scaleb(-2)


def weighted_choice(rng: random.Random, choices: tuple[tuple[object, int], ...]) -> object:
    """One value of `(value, weight)` pairs."""
    values, cum_weights = _cumulative(choices)
    return rng.choices(values, cum_weights=cum_weights)[0]


@lru_cache(maxsize=None)
def _cumulative(choices: tuple[tuple[object, int], ...]) -> tuple[list[object], list[int]]:
    """The values and cumulative weights of `(value, weight)` pairs, worked out once per table."""
    return [c[0] for c in choices], list(accumulate(c[1] for c in choices))
