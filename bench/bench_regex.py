"""Regex benchmark: the median time of each pattern on its slowest adversarial input.

    .venv/bin/python bench/bench_regex.py [--size 100000] [--runs 5]

Every compiled pattern of models/signals.py and models/checks.py, and adapters/split.py's
``split_text``, on each adversarial shape of ``tests/models/adversarial.py`` (runs of spaces,
letters, digits, trigger words with what must follow them missing, an unclosed quote). A
linear pattern takes a few milliseconds on 100 kB; the patterns known to be super-linear are
measured on a smaller input (``--small``), since 100 kB would take minutes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from adapters.split import LIMITS, split_text  # noqa: E402
from tests.models.adversarial import adversarial, patterns  # noqa: E402
from tests.models.test_regex_linear import KNOWN_SUPERLINEAR  # noqa: E402


def median_seconds(run: object, text: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run(text)  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=8_000, help="size for known slow ones")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    targets: dict[str, object] = {
        name: (lambda p: lambda t: sum(1 for _ in p.finditer(t)))(pattern)
        for name, pattern in patterns().items()
    }
    for platform, limit in sorted(LIMITS.items()):
        targets[f"adapters.split.split_text[{platform}]"] = (lambda n: lambda t: split_text(t, n))(
            limit
        )
    print(f"{'pattern':44} {'size':>7} {'median ms':>10}  slowest input")
    for name, run in targets.items():
        size = args.small if name in KNOWN_SUPERLINEAR else args.size
        worst = max(
            (median_seconds(run, text, args.runs), shape) for shape, text in adversarial(size)
        )
        flag = (
            "  SUPER-LINEAR (see the test's KNOWN_SUPERLINEAR)" if name in KNOWN_SUPERLINEAR else ""
        )
        print(f"{name:44} {size:>7} {worst[0] * 1000:>10.1f}  {worst[1]}{flag}")


if __name__ == "__main__":
    main()
