"""Adversarial inputs for the regexes that read member text and drafts: the shapes that make
a backtracking engine retry from every position (runs of spaces, letters, digits, one trigger
word repeated without what must follow it, an opening quote and nothing to close it).

Shared by ``tests/models/test_regex_linear.py`` and ``bench/bench_regex.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from models import checks, register, signals, verify

# Repeated to the size asked: each one is a run some pattern starts on at every position.
UNITS = (
    " ",
    "a",
    "a ",
    "a.",
    "a-",
    "a@",
    "1",
    "1.",
    "1 ",
    "*",
    "! ",
    "\n ",
    "x.com ",
    "' ",
    '" ',
    "« ",
    # trigger words of the "this, later that" patterns, with the later part missing
    "gun ",
    "je vais venir ",
    "reply with ",
    "racism ",
    "no place ",
    "saying ",
    "says ",
    "les ",
    "you are ",
)
# A start then one long run: an opening quote then spaces, a label or role then spaces.
PREFIXED = (("'", " "), ('"', " "), ("user", " "), ("reply", " "), ("**", " "), ("hi", "!"))


def adversarial(size: int) -> Iterator[tuple[str, str]]:
    """(name, text) pairs of about ``size`` characters; the text ends with a character that
    defeats an end anchor (``$``)."""
    for unit in UNITS:
        yield repr(unit), (unit * (size // len(unit) + 1))[:size] + "x"
    for start, run in PREFIXED:
        yield f"{start!r}+{run!r}", start + run * size + "x"


def patterns() -> dict[str, re.Pattern[str]]:
    """Every compiled pattern of the modules that may see a whole message or draft."""
    out: dict[str, re.Pattern[str]] = {}
    for module in (signals, checks, verify, register):
        for name, value in sorted(vars(module).items()):
            if isinstance(value, re.Pattern):
                out[f"{module.__name__}.{name}"] = value
    return out
