"""Pure detection: is this a surge, a raid, a pile of near-identical texts?

No I/O here: the listener feeds counts and texts read from the store, so every threshold can
be tested with plain numbers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bot.policy.schema import BadBuzz


@dataclass(frozen=True, slots=True)
class Surge:
    count: int  # negative or abusive messages in the window
    baseline_rate: float  # expected in a window of the same length, from the baseline period
    ratio: float  # count / baseline_rate (inf when the baseline is empty)


def surge(count: int, baseline_count: int, cfg: BadBuzz) -> Surge | None:
    """A surge when the window holds at least ``min_messages`` and ``ratio`` × the baseline."""
    windows_in_baseline = cfg.baseline_hours * 60 / cfg.window_minutes
    rate = baseline_count / windows_in_baseline
    ratio = count / rate if rate > 0 else float("inf")
    if count >= cfg.min_messages and ratio >= cfg.ratio:
        return Surge(count=count, baseline_rate=rate, ratio=ratio)
    return None


def _shingles(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    words = re.findall(r"\w+", "".join(c for c in folded if not unicodedata.combining(c)))
    if len(words) < 3:
        return set(words)
    return {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}


def similarity(a: str, b: str) -> float:
    """Jaccard overlap of word trigrams (words for very short texts), in [0, 1]."""
    sa, sb = _shingles(a), _shingles(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


# Copy-paste campaigns carry a message; "love it" or "+1" from many people is a crowd.
MIN_WORDS_FOR_COPIES = 6


def near_identical_authors(
    text: str, others: Sequence[tuple[str, str]], threshold: float
) -> set[str]:
    """Authors (from ``(author, text)`` pairs) who wrote something near-identical to ``text``.

    Short texts never count: many people saying "thanks!" is not a raid."""
    if len(re.findall(r"\w+", text)) < MIN_WORDS_FOR_COPIES:
        return set()
    return {author for author, other in others if similarity(text, other) >= threshold}
