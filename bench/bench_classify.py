"""Classifier benchmark: throughput against the bare encoder, and dev-set quality.

    .venv/bin/python bench/bench_classify.py [--n 1000] [--runs 5]

Throughput is the median of several runs over the same texts, next to the bare encoder's
time for those texts measured in the same run, so the overhead ratio holds on a noisy
machine. Quality is scored on the development sets' validation splits (never trained on).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.policy import load_policy  # noqa: E402
from models.classifier import WEIGHTS, EmbeddingClassifier  # noqa: E402
from models.encoder import encode, prepare  # noqa: E402
from models.evaluation import (  # noqa: E402
    caught_and_false,
    flag_rates,
    intents_on,
    predict,
    predict_product_toxic,
    read,
    read_jsonl,
    score,
)

DATA = REPO.parent / "shared" / "data"
PUBLISHED = {  # ../shared/data/README.md, test sets (ours: validation sets)
    "sentiment EN (macro-recall)": "BERTweet 73.4, RoBERTa-Base 71.3, FastText 62.9, SVM 62.9",
    "sentiment FR (macro-F1)": "XLM-R 72.0, XLM-T 71.2, FastText 54.8",
    "offensive head (macro-F1)": "RoBERTa-Retrained 80.5, BERTweet 79.5, FastText 73.4",
    "product `toxic`": "RoBERTa-Retrained 80.5, BERTweet 79.5, FastText 73.4",
    "hate (macro-F1) tweeteval": "BERTweet 56.4, FastText 50.6, RoBERTa-Base 46.6",
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
    policy = load_policy(REPO / "policies")
    classifier = EmbeddingClassifier(policy.intents)
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
    print(f"  full classifier   {len(texts) / f:7.1f} msg/s  ({f:.2f} s)   target >= 300 msg/s")
    print(f"  overhead          {f / b - 1:+.1%} over the bare encoder          target < 15%")
    print()
    print(
        "Quality on the development sets' validation splits (ours) beside published test-set "
        "scores:"
    )
    rows: list[tuple[str, float, float | None]] = []

    def sets(task: str, metric: str, label: str, target: float | None, *folders: str) -> None:
        for folder in folders:
            t, y = read(DATA / folder, "val")
            s = score(folder, task, y, predict(classifier, task, t))
            rows.append((f"{label} {folder.split('/')[0]}", getattr(s, metric) or 0.0, target))

    sets("sentiment", "macro_recall", "sentiment EN (macro-recall)", 0.72, "tweeteval/sentiment")
    sets("sentiment", "macro_f1", "sentiment FR (macro-F1)", 0.68, "umsab/french")
    t, y = read(DATA / "tweeteval" / "offensive", "val")
    head = score("o", "offensive", y, predict(classifier, "offensive", t)).macro_f1
    rows.append(("offensive head (macro-F1)", head, None))
    product = score("o", "offensive", y, predict_product_toxic(classifier, t)).macro_f1
    rows.append(("product `toxic` (macro-F1)", product, 0.76))
    sets("hate", "macro_f1", "hate (macro-F1)", 0.65, "tweeteval/hate")
    sets("hate", "macro_f1", "hate (macro-F1)", 0.75, "stormfront_hate_en", "ftr_racism_fr")
    sets("irony", "positive_f1", "irony (F1 of irony)", None, "tweeteval/irony")
    for name, value, target in rows:
        goal = f"target >= {target:.2f}" if target else "(no target)  "
        status = "" if target is None else ("  OK" if value >= target else "  BELOW TARGET")
        published = next((v for k, v in PUBLISHED.items() if name.startswith(k)), "")
        print(f"  {name:42} {value * 100:5.1f}  {goal}{status}   {published}")

    own = REPO / "bench" / "data"
    community = read_jsonl(own / "community_intents.jsonl")
    s, rel = intents_on(classifier, community, [i.name for i in policy.intents])
    ok = "OK" if s.macro_f1 >= 0.85 else "BELOW TARGET"
    print(
        f"  {'community intents (macro-F1), ours':42} {s.macro_f1 * 100:5.1f}  target >= 0.85  {ok}"
    )
    print(f"  {'intent confidence ECE':42} {rel.ece:.3f}")
    contrast = read_jsonl(own / "hate_contrast.jsonl")
    hit, n, fa, na = caught_and_false(flag_rates(classifier, contrast, "hate", "hate"))
    ok = "OK" if fa / na <= 0.05 else "ABOVE TARGET"
    print(f"  {'hate contrast: hateful caught, ours':42} {hit / n * 100:5.1f}")
    print(
        f"  {'hate contrast: not-hate flagged, ours':42} {fa / na * 100:5.1f}  target <= 5%  {ok}"
    )
    injection = read_jsonl(own / "injection.jsonl")
    others = [{"text": r["text"]} for r in community + contrast]
    hit, n, fa, na = caught_and_false(
        flag_rates(classifier, injection + others, "prompt_injection", "injection")
    )
    cv = json.loads((WEIGHTS / "PROVENANCE.json").read_text())["validation"]
    for which, suffix in (("all rows", ""), ("the first 513 rows", "_original_rows")):
        caught = cv.get(f"injection_cv_caught{suffix}")
        false = cv.get(f"injection_cv_false_flags{suffix}")
        if caught is None or false is None:
            continue
        ok = "OK" if caught >= 0.95 and false <= 0.02 else "BELOW TARGET"
        print(
            f"  {'injection, 5-fold CV, ' + which + ': caught':42} {caught * 100:5.1f}  "
            f"false flags {false * 100:.1f}%  target >= 95% at <= 2%  {ok}"
        )
    print(
        f"  {'injection, the product on those sets':42} {hit / n * 100:5.1f}  "
        f"false flags {fa / na * 100:.1f}%  (in-sample: the head learned from them)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
