"""The raid check's cost per new message with 300 messages in the channel's window, each
about 4 kB (issue 19's target: ≤ 20 ms), against comparing whole texts as it did before.

    .venv/bin/python bench/bench_raid.py
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.listening.detect import SHINGLE_CHARS, near_identical_authors

WORDS = "sync export note app bug crash page login price team android web ios".split()


def text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) + str(rng.randint(0, 99)) for _ in range(700))[:4000]


def whole_text(new: str, others: list[tuple[str, str]], threshold: float) -> set[str]:
    """The baseline: trigram Jaccard of whole texts, the new one re-read for each."""
    import re

    def sh(t: str) -> set[str]:
        w = re.findall(r"\w+", t.casefold())
        return {" ".join(w[i : i + 3]) for i in range(len(w) - 2)}

    return {a for a, o in others if len(sh(new) & sh(o)) / len(sh(new) | sh(o)) >= threshold}


def main() -> None:
    rng = random.Random(7)
    window = [(f"u{i}", text(rng)) for i in range(300)]
    # What the listener now reads from the database: the first characters only.
    stored = [(a, t[:SHINGLE_CHARS]) for a, t in window]
    runs: dict[str, list[float]] = {"bounded": [], "whole texts": []}
    for _ in range(7):
        new = text(rng)
        t0 = time.perf_counter()
        near_identical_authors(new, stored, 0.8)
        runs["bounded"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        whole_text(new, window, 0.8)
        runs["whole texts"].append(time.perf_counter() - t0)
    base = statistics.median(runs["whole texts"])
    print("raid check, 300 messages of 4 kB in the window, per new message (median of 7):")
    for name, secs in runs.items():
        med = statistics.median(secs)
        print(f"  {name:12} {med * 1000:7.1f} ms  (×{med / base:.2f} of whole texts)")
    print("  target: ≤ 20 ms")


if __name__ == "__main__":
    main()
