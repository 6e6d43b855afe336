"""Would a second opinion from the local drafting LLM beat the fast path? Two ways, measured.

    .venv/bin/python bench/bench_stage_two.py [--n 100] [--model path.gguf]

1. Constrained zero-shot labelling: the message, the question and lettered answers; the
   label is the answer letter with the highest first-token log-probability.
2. Linear heads on the LLM's hidden states (llama.cpp embeddings, mean-pooled), against the
   same heads on the fast path's sentence embeddings, both by 5-fold cross-validation on the
   same messages.
3. Where a second opinion would matter most, the intent of messages the fast path is unsure
   of (confidence under UNSURE, no flag-bound intent) in our community set: the LLM picks
   among the fast path's top CANDIDATES intents, described as in policies/intents.toml.

Both read train splits of the shared development sets (zero-shot trains on nothing, and
cross-validation never scores a message it fitted), so validation splits stay untouched.
Figures are medians per message. Needs the drafting model (`tactline models pull`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_predict  # noqa: E402

from bot.config import load_config  # noqa: E402
from models.sources import resolve_model_path  # noqa: E402
from models.train_tone import embed_cached, read_split  # noqa: E402

DATA = REPO.parent / "shared" / "data"
LETTERS = "ABCDEFGHIJK"
COMMUNITY = REPO / "bench" / "data" / "community_intents.jsonl"
INTENT_QUESTION = (
    "Which of these best describes this message, posted in a product's online community?"
)
TASKS: dict[str, tuple[str, str, list[str]]] = {
    "sentiment": (
        "umsab/english",
        "What is the overall tone of this message?",
        ["negative", "neutral", "positive"],
    ),
    "hate": (
        "tweeteval/hate",
        "Does this message attack or demean people because of who they are (origin, religion, "
        "gender, sexuality, disability)? Quoting or condemning such an attack does not count.",
        ["no", "yes"],
    ),
}


def sample(folder: str, n: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """n train messages, their labels, and the fast path's answers for them from 5-fold
    predictions over the whole train split (so no answer comes from a head that saw it)."""
    texts, labels = read_split(DATA / folder, "train")
    pick = np.random.default_rng(13).choice(len(texts), min(n, len(texts)), replace=False)
    fast = cross_val_predict(
        LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced"),
        embed_cached(texts),
        labels,
        cv=StratifiedKFold(5, shuffle=True, random_state=13),
    )
    return [texts[i] for i in pick], labels[pick], fast[pick]


def zero_shot(llm: Any, text: str, question: str, options: list[str]) -> int:
    body = (
        f'Message: "{text[:600]}"\n\n{question}\n'
        + "\n".join(f"{LETTERS[i]}) {o}" for i, o in enumerate(options))
        + "\nAnswer with the letter only."
    )
    out = llm.create_chat_completion(
        messages=[
            {"role": "system", "content": "You label online community messages precisely."},
            {"role": "user", "content": body},
        ],
        max_tokens=1,
        temperature=0.0,
        logprobs=True,
        top_logprobs=10,
    )
    best = np.full(len(options), -1e9)
    for top in out["choices"][0]["logprobs"]["content"][0]["top_logprobs"]:
        token = top["token"].strip()
        if len(token) == 1 and token in LETTERS[: len(options)]:
            i = LETTERS.index(token)
            best[i] = max(best[i], top["logprob"])
    return int(best.argmax())


UNSURE = 0.6
CANDIDATES = 3


def unsure_intents(n: int) -> list[tuple[str, str, list[str]]]:
    """Up to n community messages the fast path is unsure of: (text, true intent, the fast
    path's candidates, its own answer first)."""
    from bot.policy import load_policy
    from models.classifier import EmbeddingClassifier

    rows = [json.loads(line) for line in COMMUNITY.read_text(encoding="utf-8").splitlines()]
    intents = load_policy(REPO / "policies").intents
    classifier = EmbeddingClassifier(intents)
    texts = [r["text"] for r in rows]
    names = [spec.name for spec in intents]
    out = []
    read = zip(rows, classifier.classify_sync(texts), classifier.scores(texts), strict=True)
    for row, c, s in read:
        if c.confidence >= UNSURE or c.intent in ("safety", "legal_threat", "spam"):
            continue
        order = [names[int(i)] for i in np.argsort(s.intent)[::-1] if names[int(i)] != c.intent]
        out.append((row["text"], row["intent"], [c.intent, *order[: CANDIDATES - 1]]))
    return out[:n]


def intent_second_opinion(labeller: Any, n: int) -> None:
    from bot.policy import load_policy

    described = {s.name: s.description for s in load_policy(REPO / "policies").intents}
    cases = unsure_intents(n)
    seconds, fast_right, llm_right = [], 0, 0
    for text, truth, candidates in cases:
        options = [f"{c}: {described[c]}" for c in candidates]
        start = time.perf_counter()
        pick = candidates[zero_shot(labeller, text, INTENT_QUESTION, options)]
        seconds.append(time.perf_counter() - start)
        fast_right += candidates[0] == truth
        llm_right += pick == truth
    print(
        f"  zero-shot intent among the fast path's top {CANDIDATES}, {len(cases)} community "
        f"messages it is unsure of (< {UNSURE}): right {llm_right} "
        f"({statistics.median(seconds):.2f} s/message median)   | fast path: {fast_right}"
    )


def cv_f1(x: np.ndarray, y: np.ndarray) -> float:
    pred = cross_val_predict(
        LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced"),
        x,
        y,
        cv=StratifiedKFold(5, shuffle=True, random_state=13),
    )
    return float(f1_score(y, pred, average="macro"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=150, help="messages per task")
    parser.add_argument("--model", type=Path, help="a GGUF file (default: the drafter's)")
    args = parser.parse_args()
    from llama_cpp import Llama

    config = load_config(REPO / "config.toml")
    dc = config.models.drafter
    path = args.model or resolve_model_path(
        dc.model_choice(), cache_dir=Path(dc.cache_dir).expanduser()
    )
    print(f"model {path.name}, {args.n} train messages per task")
    labeller = Llama(
        model_path=str(path), n_ctx=1024, n_threads=2, verbose=False, seed=0, logits_all=True
    )
    for task, (folder, question, options) in TASKS.items():
        texts, truth, fast = sample(folder, args.n)
        seconds, pred = [], []
        for text in texts:
            start = time.perf_counter()
            pred.append(zero_shot(labeller, text, question, options))
            seconds.append(time.perf_counter() - start)
        f1 = f1_score(truth, pred, average="macro")
        print(
            f"  zero-shot {task:9} ({folder}): macro-F1 {f1:.3f}, {statistics.median(seconds):.2f}"
            f" s/message median   | fast-path head on the same messages: "
            f"{f1_score(truth, fast, average='macro'):.3f}"
        )
    intent_second_opinion(labeller, args.n)
    labeller.close()

    embedder = Llama(model_path=str(path), n_ctx=512, n_threads=2, verbose=False, embedding=True)
    for task, (folder, _, _) in TASKS.items():
        texts, truth, _ = sample(folder, args.n)
        seconds, vectors = [], []
        for text in texts:
            start = time.perf_counter()
            v = np.asarray(embedder.embed(text[:500] or " "), dtype=np.float32)
            vectors.append(v.mean(axis=0) if v.ndim == 2 else v)
            seconds.append(time.perf_counter() - start)
        hidden = np.stack(vectors)
        hidden /= np.maximum(np.linalg.norm(hidden, axis=1, keepdims=True), 1e-9)
        print(
            f"  hidden-state head {task:9}: 5-fold CV macro-F1 {cv_f1(hidden, truth):.3f} "
            f"({statistics.median(seconds):.2f} s/message to embed)   | fast-path embedding, "
            f"same messages, same CV: {cv_f1(embed_cached(texts), truth):.3f}"
        )
    embedder.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
