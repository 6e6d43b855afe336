"""Scoring the classifier on labelled files in the format of the development sets:
``<split>_text.txt`` (one text per line) and ``<split>_labels.txt`` (one integer per line)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from models.classifier import EmbeddingClassifier

# task -> (label names in file order, what the product's output is compared with)
TASKS: dict[str, tuple[str, ...]] = {
    "sentiment": ("negative", "neutral", "positive"),
    "offensive": ("not", "offensive"),
    "irony": ("not", "irony"),
    "hate": ("not", "hate"),
}
# Where the shared development sets keep each task.
KNOWN = {
    "tweeteval/sentiment": "sentiment",
    "umsab/english": "sentiment",
    "umsab/french": "sentiment",
    "tweeteval/offensive": "offensive",
    "tweeteval/irony": "irony",
    "tweeteval/hate": "hate",
    "stormfront_hate_en": "hate",
    "ftr_racism_fr": "hate",
}


@dataclass(frozen=True)
class Score:
    name: str
    task: str
    n: int
    labels: tuple[str, ...]
    macro_f1: float
    macro_recall: float
    accuracy: float
    positive_f1: float | None
    confusion: np.ndarray  # rows: true label, columns: predicted


def read(folder: Path, split: str) -> tuple[list[str], np.ndarray]:
    texts_file, labels_file = folder / f"{split}_text.txt", folder / f"{split}_labels.txt"
    if not texts_file.is_file() or not labels_file.is_file():
        raise FileNotFoundError(f"{folder}: expected {texts_file.name} and {labels_file.name}")
    labels = [int(x) for x in labels_file.read_text(encoding="utf-8").split()]
    texts = texts_file.read_text(encoding="utf-8").split("\n")[: len(labels)]
    if len(texts) != len(labels):
        raise ValueError(f"{folder}: {len(texts)} texts for {len(labels)} labels")
    return texts, np.array(labels)


def score(
    name: str,
    task: str,
    truth: np.ndarray,
    pred: np.ndarray,
    labels: tuple[str, ...] | None = None,
) -> Score:
    labels = labels or TASKS[task]
    k = len(labels)
    confusion = np.zeros((k, k), dtype=int)
    for t, p in zip(truth, pred, strict=True):
        confusion[t, p] += 1
    recalls, f1s = [], []
    for c in range(k):
        tp = confusion[c, c]
        support, predicted = confusion[c].sum(), confusion[:, c].sum()
        recall = tp / support if support else 0.0
        precision = tp / predicted if predicted else 0.0
        recalls.append(recall)
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return Score(
        name=name,
        task=task,
        n=len(truth),
        labels=labels,
        macro_f1=float(np.mean(f1s)),
        macro_recall=float(np.mean(recalls)),
        accuracy=float(np.trace(confusion) / max(1, confusion.sum())),
        positive_f1=float(f1s[1]) if k == 2 else None,
        confusion=confusion,
    )


def predict(classifier: EmbeddingClassifier, task: str, texts: Sequence[str]) -> np.ndarray:
    """The product's own answers: final sentiment; the ``hate`` flag; head decisions for
    offensive and irony (the product's ``toxic`` is narrower than "offensive": see
    ``predict_product_toxic``)."""
    if task == "sentiment":
        out = classifier.classify_sync(texts)
        return np.array([TASKS["sentiment"].index(str(c.sentiment)) for c in out])
    if task == "hate":
        return np.array([int("hate" in c.flags) for c in classifier.classify_sync(texts)])
    th = classifier.thresholds()
    return np.array([int(getattr(s, task) >= th[task]) for s in classifier.scores(texts)])


def predict_product_toxic(classifier: EmbeddingClassifier, texts: Sequence[str]) -> np.ndarray:
    return np.array([int(c.toxic) for c in classifier.classify_sync(texts)])


# -- the project's own sets (bench/data/*.jsonl) ------------------------------------------------


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from None
    return rows


@dataclass(frozen=True)
class Reliability:
    """Is a confidence of 0.8 right 80% of the time? Per bin: (low, high, n, accuracy)."""

    bins: list[tuple[float, float, int, float]]
    ece: float  # expected calibration error: mean |accuracy - confidence|, weighted by n


def reliability(confidence: np.ndarray, right: np.ndarray, n_bins: int = 5) -> Reliability:
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins, ece = [], 0.0
    for lo, hi in pairwise(edges):
        inside = (confidence >= lo) & ((confidence < hi) | (hi == 1.0))
        if inside.any():
            acc = float(right[inside].mean())
            bins.append((float(lo), float(hi), int(inside.sum()), acc))
            ece += inside.mean() * abs(acc - float(confidence[inside].mean()))
    return Reliability(bins, float(ece))


def intents_on(
    classifier: EmbeddingClassifier, rows: Sequence[dict[str, Any]], names: Sequence[str]
) -> tuple[Score, Reliability]:
    out = classifier.classify_sync([r["text"] for r in rows])
    labels = tuple(names)
    truth = np.array([labels.index(r["intent"]) for r in rows])
    pred = np.array([labels.index(c.intent) for c in out])
    conf = np.array([c.confidence for c in out])
    return score("community intents", "intent", truth, pred, labels), reliability(
        conf, truth == pred
    )


def flag_rates(
    classifier: EmbeddingClassifier, rows: Sequence[dict[str, Any]], flag: str, label: str
) -> dict[str, tuple[int, int]]:
    """Per kind ("caught" for the positives, else the row's kind or "other"): (flagged, n)."""
    out = classifier.classify_sync([r["text"] for r in rows])
    counts: dict[str, tuple[int, int]] = {}
    for r, c in zip(rows, out, strict=True):
        kind = "caught" if r.get(label) else str(r.get("kind", "other"))
        hit, n = counts.get(kind, (0, 0))
        counts[kind] = (hit + int(flag in c.flags), n + 1)
    return counts


def caught_and_false(counts: dict[str, tuple[int, int]]) -> tuple[int, int, int, int]:
    """From ``flag_rates``: (positives flagged, positives, others flagged, others)."""
    rest = {k: v for k, v in counts.items() if k != "caught"}
    hit, n = counts.get("caught", (0, 0))
    return hit, n, sum(h for h, _ in rest.values()), sum(k for _, k in rest.values())
