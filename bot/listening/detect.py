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


# Near-identical texts are near-identical from their start: reading the first characters
# bounds the raid check's cost per message, whatever the length of the messages in the window.
SHINGLE_CHARS = 500


_WORDS = re.compile(r"\w+")


def _shingles(text: str) -> set[object]:
    head = text[:SHINGLE_CHARS].casefold()
    if not head.isascii():
        folded = unicodedata.normalize("NFKD", head)
        head = "".join(c for c in folded if not unicodedata.combining(c))
    words = _WORDS.findall(head)
    if len(words) < 3:
        return set(words)
    return set(zip(words, words[1:], words[2:], strict=False))


def _jaccard(sa: set[object], sb: set[object]) -> float:
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def similarity(a: str, b: str) -> float:
    """Jaccard overlap of word trigrams (words for very short texts) of the texts' first
    ``SHINGLE_CHARS`` characters, in [0, 1]."""
    return _jaccard(_shingles(a), _shingles(b))


# Copy-paste campaigns carry a message; "love it" or "+1" from many people is a crowd.
MIN_WORDS_FOR_COPIES = 6


def near_identical_authors(
    text: str, others: Sequence[tuple[str, str]], threshold: float
) -> set[str]:
    """Authors (from ``(author, text)`` pairs) who wrote something near-identical to ``text``.

    Short texts never count: many people saying "thanks!" is not a raid. The new text is
    read once; a text whose size alone rules out the threshold is not compared."""
    if len(re.findall(r"\w+", text[:SHINGLE_CHARS])) < MIN_WORDS_FOR_COPIES:
        return set()
    mine = _shingles(text)
    found = set()
    for author, other in others:
        if author in found:
            continue
        theirs = _shingles(other)
        small, large = sorted((len(mine), len(theirs)))
        if large == 0 or small / large < threshold:
            continue  # Jaccard can be at most small/large
        if _jaccard(mine, theirs) >= threshold:
            found.add(author)
    return found
