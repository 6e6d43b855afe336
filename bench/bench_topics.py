"""Topic grouping benchmark: 10,000 synthetic stored messages, their vectors already stored.

    .venv/bin/python bench/bench_topics.py [--n 10000] [--runs 3]

Prints the first-time encoding of the messages (once: it is what stored vectors save), then
the median time of ``find_topics`` over the stored vectors (read, group, label, trend) and
the process's peak memory after it; then the baseline measured in the same run: average
linkage on the full pairwise distance matrix of all the messages (quadratic memory), which
the two-step grouping avoids.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import insert  # noqa: E402

from bot.store import Store, open_store  # noqa: E402
from bot.store import schema as t  # noqa: E402
from bot.topics.embedding import message_vectors  # noqa: E402
from bot.topics.finder import find_topics  # noqa: E402
from bot.topics.grouping import THRESHOLD  # noqa: E402
from bot.topics.trends import trend  # noqa: E402

UNTIL = datetime(2026, 11, 9, tzinfo=UTC)
WEEK = timedelta(days=7)

# (intent, sentiment, English phrasings, French phrasings); {d} a device, {v} a version,
# {e} an error code, {n} a number, {f} a feature.
TOPICS = [
    (
        "bug_report",
        "negative",
        [
            "sync fails on {d} with error {e} since {v}",
            "{e} again on my {d}, sync stuck forever",
            "after updating to {v} my {d} shows {e} when syncing",
        ],
        [
            "la synchro plante sur {d} avec l'erreur {e} depuis la {v}",
            "encore {e} sur mon {d}, impossible de synchroniser",
        ],
    ),
    (
        "complaint",
        "negative",
        [
            "I was charged twice for the annual plan, refund me",
            "double charge on my card, {n} days and no answer",
            "you billed me twice this month, where is my refund",
        ],
        [
            "on m'a prélevé deux fois l'abonnement, remboursez-moi",
            "double prélèvement sur ma carte, {n} jours sans réponse",
        ],
    ),
    (
        "feature_request",
        "neutral",
        [
            "would love a dark mode for the {f}",
            "please add a dark theme to the {f}, my eyes hurt",
            "any plans for dark mode in the {f}?",
        ],
        ["un mode sombre pour {f} ce serait top", "vous prévoyez un thème sombre pour {f} ?"],
    ),
    (
        "question",
        "neutral",
        [
            "how do I export my notes to {f}?",
            "is there a way to export everything as {f}",
            "can I export a notebook to {f}",
        ],
        ["comment exporter mes notes en {f} ?", "on peut exporter un carnet en {f} ?"],
    ),
    (
        "praise",
        "positive",
        [
            "the new {f} is fantastic, thank you",
            "love the {f} update, great work team",
            "{f} in {v} is so fast now, thanks!",
        ],
        ["merci pour {f}, c'est génial", "bravo pour la nouvelle version de {f}, super rapide"],
    ),
    (
        "complaint",
        "negative",
        [
            "the app got so slow since {v}, takes {n} seconds to open",
            "{v} is painfully slow on my {d}",
            "opening a note takes {n} seconds now, what happened",
        ],
        [
            "l'appli rame depuis la {v}, {n} secondes pour s'ouvrir",
            "c'est devenu super lent sur mon {d}",
        ],
    ),
    (
        "question",
        "neutral",
        [
            "is there a student discount for pro?",
            "how much is the team plan per seat",
            "what does pro cost if I pay yearly",
        ],
        ["vous avez un tarif étudiant ?", "combien coûte l'offre équipe par utilisateur ?"],
    ),
    (
        "bug_report",
        "negative",
        [
            "pasting from {f} loses all formatting on {d}",
            "copy paste from {f} breaks bullet lists",
            "formatting is gone when I paste from {f}",
        ],
        [
            "le copier-coller depuis {f} perd la mise en forme sur {d}",
            "quand je colle depuis {f} les listes disparaissent",
        ],
    ),
    (
        "feature_request",
        "neutral",
        [
            "an API to import notes from {f} would be great",
            "please support importing from {f}",
            "can you add an importer for {f}?",
        ],
        [
            "une API pour importer depuis {f} ce serait génial",
            "vous pourriez ajouter l'import depuis {f} ?",
        ],
    ),
    (
        "off_topic",
        "neutral",
        [
            "anyone going to the meetup in {f} next week?",
            "who's up for lunch at the conference",
            "looking for people to grab coffee at the sprint",
        ],
        ["quelqu'un va au meetup de {f} la semaine prochaine ?", "qui vient déjeuner à la conf ?"],
    ),
]
SLOTS = {
    "d": ["Android", "iPhone", "iPad", "Pixel 8", "Galaxy S23", "Windows", "macOS", "Linux"],
    "v": ["4.2", "4.2.1", "4.3", "5.0 beta", "the last update"],
    "e": ["E1023", "E2001", "E1023", "error 500", "E1023"],
    "n": [str(i) for i in range(3, 40)],
    "f": [
        "Markdown",
        "PDF",
        "Notion",
        "Evernote",
        "Word",
        "the web editor",
        "the outline view",
        "search",
        "Paris",
        "Berlin",
        "Google Docs",
    ],
}
OPENERS = ["", "", "hey, ", "hi all, ", "honestly ", "quick one: ", "bonjour, ", "salut, "]
CLOSERS = ["", "", "", " thanks", " !!", " 🙏", " any idea?", " merci"]


def synthetic(n: int, seed: int) -> list[tuple[str, str, str, str]]:
    """``n`` messages (text, intent, sentiment, language): ten topics in English and French,
    and one message in ten about something of its own."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if i % 10 == 9:
            words = rng.sample(
                [
                    "garden",
                    "train",
                    "recipe",
                    "guitar",
                    "football",
                    "weather",
                    "holiday",
                    "cat",
                    "movie",
                    "bread",
                    "chess",
                    "bike",
                ],
                3,
            )
            out.append(
                (f"random thought about {' and '.join(words)} #{i}", "off_topic", "neutral", "en")
            )
            continue
        intent, sentiment, en, fr = rng.choice(TOPICS)
        language = "fr" if rng.random() < 0.35 else "en"
        template = rng.choice(fr if language == "fr" else en)
        text = template.format(**{k: rng.choice(v) for k, v in SLOTS.items()})
        out.append((rng.choice(OPENERS) + text + rng.choice(CLOSERS), intent, sentiment, language))
    return out


async def seed(store: Store, n: int, previous: int) -> None:
    rows: list[dict[str, object]] = []
    for i, (text, intent, sentiment, language) in enumerate(synthetic(n + previous, seed=7)):
        period_end = UNTIL if i < n else UNTIL - WEEK
        at = period_end - timedelta(seconds=1 + (i * 53) % int(WEEK.total_seconds() - 2))
        rows.append(
            {
                "id": i + 1,
                "platform": ("discord", "telegram", "slack")[i % 3],
                "channel_id": "general",
                "channel_name": "general",
                "platform_message_id": f"p{i}",
                "author_id": f"a{i % 500}",
                "author_name": f"member {i % 500}",
                "author_is_bot": False,
                "text": text,
                "sent_at": at,
                "received_at": at,
                "raw": {},
                "stage": "decided",
                "language": language,
                "intent": intent,
                "sentiment": sentiment,
                "toxic": False,
            }
        )
    async with store.begin() as conn:
        await conn.execute(insert(t.messages), rows)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def naive_baseline(store_vectors: object) -> float:
    import numpy as np
    from sklearn.cluster import AgglomerativeClustering

    vectors = np.asarray(store_vectors)
    t0 = time.perf_counter()
    AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=THRESHOLD
    ).fit(vectors)
    return time.perf_counter() - t0


async def run(n: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = await open_store(f"sqlite+aiosqlite:///{tmp}/bench.db", upgrade=True)
        previous = n // 5
        await seed(store, n, previous)
        texts = [(i + 1, text) for i, (text, *_) in enumerate(synthetic(n + previous, seed=7))]
        t0 = time.perf_counter()
        vectors = await message_vectors(store.db, texts)
        encoding = time.perf_counter() - t0
        print(
            f"first-time encoding, {len(texts)} messages (stored once): {encoding:.1f} s "
            f"({len(texts) / encoding:.0f} msg/s)"
        )
        times, report = [], None
        for _ in range(runs):
            t0 = time.perf_counter()
            report = await find_topics(store.db, UNTIL - WEEK, UNTIL)
            times.append(time.perf_counter() - t0)
        assert report is not None
        print(
            f"topics of {report.messages} messages (vectors stored), median of {runs}: "
            f"{statistics.median(times):.1f} s (runs: {', '.join(f'{x:.1f}' for x in times)})"
        )
        print(
            f"  {len(report.topics)} topics, {report.other.size if report.other else 0} "
            f"messages in other; largest: "
            + "; ".join(f"{tp.label} ({tp.size}, {trend(tp)})" for tp in report.topics[:3])
        )
        print(f"  peak memory after grouping: {peak_mb():.0f} MB")
        baseline = naive_baseline(vectors[:n])
        print(
            f"baseline, same run: average linkage on the full pairwise matrix of {n}: "
            f"{baseline:.1f} s; peak memory after it: {peak_mb():.0f} MB"
        )
        print(
            f"grouping / baseline: {statistics.median(times) / baseline:.2f}; "
            f"grouping / first-time encoding: {statistics.median(times) / encoding:.2f}"
        )
        await store.aclose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.n, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
