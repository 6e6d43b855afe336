"""Classifier benchmark: throughput against the bare encoder, and dev-set quality.

    .venv/bin/python bench/bench_classify.py [--n 1000] [--runs 5]

Throughput is the median of several runs over the same texts, next to the bare encoder's
time for those texts measured in the same run, so the overhead ratio holds on a noisy
machine. Quality is scored on the development sets' validation splits (never trained on).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.policy import load_policy  # noqa: E402
from models.classifier import EmbeddingClassifier  # noqa: E402
from models.encoder import encode, prepare  # noqa: E402
from models.evaluation import predict, predict_product_toxic, read, score  # noqa: E402

DATA = REPO.parent / "shared" / "data"
PUBLISHED = {  # ../shared/data/README.md, test sets (ours: validation sets)
    "sentiment EN (macro-recall)": "BERTweet 73.4, RoBERTa-Base 71.3, FastText 62.9, SVM 62.9",
    "sentiment FR (macro-F1)": "XLM-R 72.0, XLM-T 71.2, FastText 54.8",
    "offensive (macro-F1)": "RoBERTa-Retrained 80.5, BERTweet 79.5, FastText 73.4, SVM 52.3",
    "irony (F1 of irony)": "BERTweet 82.1, FastText 63.1, RoBERTa-Base 59.7",
}


def texts_for_speed(n: int) -> list[str]:
    texts: list[str] = []
    for folder in ("tweeteval/offensive", "umsab/french", "tweeteval/sentiment"):
        t, _ = read(DATA / folder, "val")
        texts += t
    return texts[:n]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"no development data at {DATA}", file=sys.stderr)
        return 1
    classifier = EmbeddingClassifier(load_policy(REPO / "policies").intents)
    texts = texts_for_speed(args.n)
    classifier.classify_sync(texts[:64])  # load the encoder, heads and intent prototypes
    bare, full = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        encode([prepare(t) for t in texts], batch_size=64)
        bare.append(time.perf_counter() - start)
        start = time.perf_counter()
        classifier.classify_sync(texts)
        full.append(time.perf_counter() - start)
    b, f = statistics.median(bare), statistics.median(full)
    print(f"Classification throughput, {len(texts)} messages, batch 64, median of {args.runs}:")
    print(f"  bare encoder      {len(texts) / b:7.1f} msg/s  ({b:.2f} s)")
    print(f"  full classifier   {len(texts) / f:7.1f} msg/s  ({f:.2f} s)   target >= 100 msg/s")
    print(f"  overhead          {f / b - 1:+.1%} over the bare encoder          target < 15%")
    print()
    print(
        "Quality on the development sets' validation splits (ours) beside published test-set "
        "scores:"
    )
    rows = []
    t, y = read(DATA / "tweeteval" / "sentiment", "val")
    rows.append(
        (
            "sentiment EN (macro-recall)",
            score("s", "sentiment", y, predict(classifier, "sentiment", t)).macro_recall,
            0.65,
        )
    )
    t, y = read(DATA / "umsab" / "french", "val")
    rows.append(
        (
            "sentiment FR (macro-F1)",
            score("s", "sentiment", y, predict(classifier, "sentiment", t)).macro_f1,
            0.60,
        )
    )
    t, y = read(DATA / "tweeteval" / "offensive", "val")
    rows.append(
        (
            "offensive (macro-F1)",
            score("o", "offensive", y, predict(classifier, "offensive", t)).macro_f1,
            0.70,
        )
    )
    product = score("o", "offensive", y, predict_product_toxic(classifier, t)).macro_f1
    t, y = read(DATA / "tweeteval" / "irony", "val")
    irony = score("i", "irony", y, predict(classifier, "irony", t)).positive_f1 or 0.0
    rows.append(("irony (F1 of irony)", irony, None))
    for name, value, target in rows:
        goal = f"target >= {target:.2f}" if target else "(no target)"
        status = "" if target is None else ("  OK" if value >= target else "  BELOW TARGET")
        print(f"  {name:30} {value * 100:5.1f}  {goal}{status}   published: {PUBLISHED[name]}")
    print(
        f"  {'product `toxic` vs offensive':30} {product * 100:5.1f}  (narrower on purpose: "
        "insults at people only, not profanity about things)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
