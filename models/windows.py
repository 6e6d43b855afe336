"""Long messages are read in overlapping windows, so nothing late in them goes unseen.

The encoder reads about a paragraph well and the signals' regular expressions must stay fast,
so a message longer than one window is cut at sentence (or word) boundaries into windows of
at most ``SIZE`` characters that overlap by about ``OVERLAP``; each window is classified and
the strongest safety, legal, abuse, hate and injection signal of any window counts.
"""

from __future__ import annotations

import re

SIZE = 1200
OVERLAP = 200
# Beyond this many windows (about 64,000 characters: more than any platform allows in one
# message), the first and last halves are read.
LIMIT = 64
_BREAK = re.compile(r"(?<=[.!?…\n])\s+|\n")


def sentence_split(text: str) -> list[str]:
    """The sentences of a text, at the same boundaries the windows are cut on."""
    return _BREAK.split(text)


def windows(text: str, size: int = SIZE, overlap: int = OVERLAP) -> list[str]:
    if len(text) <= size:
        return [text]
    out: list[str] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = _last_break(text, start + size // 2, end)
            end = cut if cut is not None else end
        out.append(text[start:end].strip())
        if end >= len(text):
            break
        back = _next_start(text, max(start + 1, end - overlap), end)
        start = back
    out = [w for w in out if w]
    if len(out) > LIMIT:
        out = out[: LIMIT // 2] + out[-LIMIT // 2 :]
    return out or [text[:size]]


def _last_break(text: str, lo: int, hi: int) -> int | None:
    """The last sentence end in text[lo:hi], else the last space, else None."""
    best = None
    for m in _BREAK.finditer(text, lo, hi):
        best = m.end()
    if best is None:
        space = text.rfind(" ", lo, hi)
        best = space + 1 if space > 0 else None
    return best


def _next_start(text: str, lo: int, hi: int) -> int:
    """Where the next window starts: a sentence or word start in text[lo:hi], else lo."""
    m = _BREAK.search(text, lo, hi)
    if m is not None and m.end() < hi:
        return m.end()
    space = text.find(" ", lo, hi)
    return space + 1 if 0 <= space < hi - 1 else lo
