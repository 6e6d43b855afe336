"""Scoring the classifier on labelled files in the format of the development sets:
``<split>_text.txt`` (one text per line) and ``<split>_labels.txt`` (one integer per line)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.classifier import EmbeddingClassifier

# task -> (label names in file order, what the product's output is compared with)
TASKS: dict[str, tuple[str, ...]] = {
    "sentiment": ("negative", "neutral", "positive"),
    "offensive": ("not", "offensive"),
    "irony": ("not", "irony"),
}
# Where the shared development sets keep each task.
KNOWN = {
    "tweeteval/sentiment": "sentiment",
    "umsab/english": "sentiment",
    "umsab/french": "sentiment",
    "tweeteval/offensive": "offensive",
    "tweeteval/irony": "irony",
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


def score(name: str, task: str, truth: np.ndarray, pred: np.ndarray) -> Score:
    k = len(TASKS[task])
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
        labels=TASKS[task],
        macro_f1=float(np.mean(f1s)),
        macro_recall=float(np.mean(recalls)),
        accuracy=float(np.trace(confusion) / max(1, confusion.sum())),
        positive_f1=float(f1s[1]) if k == 2 else None,
        confusion=confusion,
    )


def predict(classifier: EmbeddingClassifier, task: str, texts: Sequence[str]) -> np.ndarray:
    """The product's own answers: final sentiment; head decisions for offensive and irony
    (the product's ``toxic`` is narrower than "offensive": see ``evaluate_product_toxic``)."""
    if task == "sentiment":
        out = classifier.classify_sync(texts)
        return np.array([TASKS["sentiment"].index(str(c.sentiment)) for c in out])
    s = classifier.tone_scores(texts)
    return (s[task] >= float(s[f"{task}_threshold"])).astype(int)


def predict_product_toxic(classifier: EmbeddingClassifier, texts: Sequence[str]) -> np.ndarray:
    return np.array([int(c.toxic) for c in classifier.classify_sync(texts)])
