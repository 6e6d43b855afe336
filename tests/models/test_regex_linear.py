"""Every regex that reads member text or drafts runs in linear time.

A pattern that backtracks is quadratic (or worse) in the length of a run: on 100 kB it takes
tens of seconds to minutes where a linear one takes at most 0.2 s here. The bound (3 s per
call on 100 kB, on the slowest of some thirty adversarial shapes, the best of three tries
when a first one is over) is an order of magnitude away from both, so the test does not
depend on the machine's speed or load; ``bench/bench_regex.py`` prints the medians.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from adapters.split import LIMITS, split_text
from tests.models.adversarial import adversarial, patterns

SIZE = 100_000
BOUND = 3.0  # seconds; a linear pattern takes at most 0.2 s here, a quadratic one minutes
TRIES = 3  # a busy machine can stall one measurement; a slow pattern is slow every time

# Patterns known to be super-linear, each with its fix; none today.
KNOWN_SUPERLINEAR: dict[str, str] = {}


def _seconds(run: Callable[[str], object], text: str) -> float:
    best = float("inf")
    for _ in range(TRIES):
        started = time.perf_counter()
        run(text)
        best = min(best, time.perf_counter() - started)
        if best < BOUND:
            break
    return best


def _every_match(pattern: re.Pattern[str]) -> Callable[[str], object]:
    return lambda text: sum(1 for _ in pattern.finditer(text))  # as findall, sub, split go


def _slowest(pattern: re.Pattern[str]) -> tuple[float, str]:
    run = _every_match(pattern)
    return max((_seconds(run, text), name) for name, text in adversarial(SIZE))


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(run=False, reason=KNOWN_SUPERLINEAR[n]))
        if n in KNOWN_SUPERLINEAR
        else n
        for n in patterns()
    ],
)
def test_pattern_is_linear_on_100_kb_of_adversarial_text(name: str) -> None:
    seconds, shape = _slowest(patterns()[name])
    assert seconds < BOUND, f"{name} took {seconds:.2f}s on 100 kB of {shape}"


@pytest.mark.parametrize("platform", sorted(LIMITS))
def test_splitting_100_kb_is_linear(platform: str) -> None:
    limit = LIMITS[platform]
    for name, text in adversarial(SIZE):
        seconds = _seconds(lambda t: split_text(t, limit), text)
        assert seconds < BOUND, f"split_text took {seconds:.2f}s on 100 kB of {name}"
        assert all(len(p) <= limit for p in split_text(text, limit))


def test_the_known_superlinear_patterns_exist() -> None:
    """A renamed or fixed pattern must leave the list (then the test above runs it)."""
    assert set(KNOWN_SUPERLINEAR) <= set(patterns())
