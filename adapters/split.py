"""Splitting a reply that is over a platform's limit, cleanly.

Cuts fall on paragraph, then line, then sentence, then word boundaries; a code fence open at
a cut is closed at the end of one part and reopened at the start of the next.
"""

from __future__ import annotations

import re

LIMITS = {"discord": 2000, "telegram": 4096, "slack": 4000}
_FENCE = "```"


def _cut_point(text: str, limit: int) -> int:
    window = text[:limit]
    for pattern in (r"\n\s*\n", r"\n", r"(?<=[.!?…])\s", r"\s"):
        matches = [m.end() for m in re.finditer(pattern, window)]
        good = [i for i in matches if i >= limit // 3]
        if good:
            return good[-1]
    return limit


def split_text(text: str, limit: int) -> list[str]:
    """Parts of at most ``limit`` characters (a little margin is kept for fence repairs)."""
    if len(text) <= limit:
        return [text]
    budget = limit - len(_FENCE) - 1  # room to close a fence
    parts: list[str] = []
    rest = text
    reopen = ""
    while rest:
        rest = reopen + rest
        if len(rest) <= limit:
            parts.append(rest)
            break
        cut = _cut_point(rest, budget)
        part, rest = rest[:cut].rstrip(), rest[cut:].lstrip("\n ")
        if part.count(_FENCE) % 2 == 1:  # a code block is open at the cut
            lang = re.findall(r"```(\w*)", part)[-1]
            part += "\n" + _FENCE
            reopen = _FENCE + lang + "\n"
        else:
            reopen = ""
        parts.append(part)
    return [p for p in parts if p.strip()]
