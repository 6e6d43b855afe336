"""Topics from stored messages in English and French whose topics are known: the grouping,
the labels' language, the trend against the previous week, the call-out of a new complaint,
the demo's topics, and vectors computed once and reused."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from bot.store import Store
from bot.store import vectors as stored
from bot.topics.finder import TopicSettings, find_topics
from bot.topics.grouping import group_vectors
from bot.topics.labels import FRENCH_STOP_WORDS, keywords
from bot.topics.trends import trend
from bot.topics.values import TopicsReport
from models.encoder import ENCODER_NAME, Encoder, Vectors
from models.language import detect_language
from tests.topics.seeding import T0, WEEK, Said, store_messages

E1023_EN = [
    "Sync fails on Android with error E1023 whenever a note has an image",
    "E1023 again on my Android phone, sync is stuck forever",
    "After the update my Android tablet shows E1023 when syncing",
    "Android sync broken: E1023 every time I add an image",
]
E1023_FR = [
    "La synchro plante sur Android avec l'erreur E1023 dès qu'il y a une image",
    "Erreur E1023 sur Android, impossible de synchroniser mes notes",
    "Encore E1023 sur mon téléphone Android, la synchronisation tourne sans fin",
]
DARK_MODE = [
    "Would love a dark mode for the web editor, my eyes hurt at night",
    "Please add a dark theme to the editor",
    "Un mode sombre pour l'éditeur web ce serait top",
]
REFUND = [
    "I was charged twice for the annual plan, please refund me",
    "Double charge on my card this month, I want my money back",
    "On m'a prélevé deux fois l'abonnement, remboursez-moi",
]
SPAM = "Earn 5000$ a day with our crypto signals!!! Join now"


def week() -> list[Said]:
    """This week: the E1023 bug (new, in English and French), dark mode, refunds, spam."""
    said = [
        Said(
            t,
            intent="bug_report",
            sentiment="negative",
            group="product",
            raw={"permalink": f"https://discord.com/channels/1/2/{n}"},
        )
        for n, t in enumerate(E1023_EN)
    ]
    said += [
        Said(t, intent="bug_report", sentiment="negative", language="fr", platform="telegram")
        for t in E1023_FR
    ]
    said += [
        Said(t, intent="feature_request", language=detect_language(t), platform="slack")
        for t in DARK_MODE
    ]
    said += [
        Said(
            t,
            intent="complaint",
            sentiment="negative",
            language=detect_language(t),
            group="support",
        )
        for t in REFUND
    ]
    return [*said, Said(SPAM, intent="spam")]


def last_week() -> list[Said]:
    """The week before: one refund complaint and the dark mode request, no E1023."""
    return [
        Said(
            "Refund please, I was billed twice for my subscription",
            intent="complaint",
            sentiment="negative",
            days_ago=9,
        ),
        Said("Any plans for a dark mode in the web editor?", intent="feature_request", days_ago=10),
        Said("Dark theme for the editor would be great", intent="feature_request", days_ago=11),
        Said("Mode sombre s'il vous plaît", intent="feature_request", language="fr", days_ago=12),
    ]


@pytest.fixture
async def topics(store: Store) -> TopicsReport:
    await store_messages(store, week())
    await store_messages(store, last_week(), first_id=100)
    return await find_topics(store.db, T0 - WEEK, T0)


async def test_english_and_french_phrasings_of_one_bug_are_one_topic(
    topics: TopicsReport,
) -> None:
    assert topics.messages == 13  # spam left out
    bug = topics.topics[0]
    assert bug.size == 7
    assert bug.intents == {"bug_report": 7}
    assert bug.platforms == {"discord": 4, "telegram": 3}
    assert bug.group == "product"
    assert [tp.size for tp in topics.topics] == [7, 3, 3]
    assert {tp.group for tp in topics.topics} == {"product", "support"}
    assert topics.other is None


async def test_labels_are_the_teams_language(topics: TopicsReport) -> None:
    bug = topics.topics[0]
    assert "E1023" in bug.keywords and "Android" in bug.keywords
    for tp in topics.topics:
        assert not {w.lower() for w in tp.keywords} & FRENCH_STOP_WORDS
        assert not {"synchro", "prélevé", "sombre", "remboursez"} & set(tp.keywords), tp
    english = " ".join(t for t in E1023_EN + DARK_MODE + REFUND if detect_language(t) == "en")
    for tp in topics.topics:
        assert all(w in english for w in tp.keywords), tp.keywords
    # On their own, the French phrasings have French words of their own.
    french = keywords([E1023_FR, REFUND[2:]])
    assert "erreur" in {w.lower() for w in french[0]}


async def test_a_french_speaking_team_gets_french_labels(store: Store) -> None:
    await store_messages(store, week())
    report = await find_topics(store.db, T0 - WEEK, T0, settings=TopicSettings(language="fr"))
    bug = report.topics[0]
    assert "E1023" in bug.keywords
    assert {w.lower() for w in bug.keywords} & {"synchro", "synchroniser", "erreur"}, bug.keywords


async def test_trend_and_the_new_complaint_is_called_out(topics: TopicsReport) -> None:
    bug, *rest = topics.topics
    assert bug.previous == 0 and trend(bug) == "new"
    by_intent = {tp.intents.most_common(1)[0][0]: tp for tp in rest}
    refund, dark = by_intent["complaint"], by_intent["feature_request"]
    assert refund.previous == 1 and trend(refund) == "+200%"
    assert dark.previous == 3 and trend(dark) == "steady"
    assert topics.callouts == (f"new this week: 7 messages about {bug.label}, 7 negative",)


async def test_three_examples_closest_to_the_centre_with_their_links(
    topics: TopicsReport,
) -> None:
    bug = topics.topics[0]
    assert len(bug.examples) == 3
    assert all(ex.text in E1023_EN + E1023_FR for ex in bug.examples)
    for ex in bug.examples:
        if ex.platform == "discord":
            assert ex.permalink and ex.permalink.startswith("https://discord.com/channels/")
        else:
            assert ex.permalink is None


async def test_the_same_data_gives_the_same_topics(store: Store) -> None:
    await store_messages(store, week())
    first = await find_topics(store.db, T0 - WEEK, T0)
    again = await find_topics(store.db, T0 - WEEK, T0)
    assert first == again


async def test_the_demo_messages_make_at_least_three_topics(store: Store) -> None:
    demo = tomllib.loads((Path("bot") / "demo_messages.toml").read_text(encoding="utf-8"))
    await store_messages(
        store,
        [
            Said(m["text"], platform=m["platform"], language=detect_language(m["text"]))
            for m in demo["message"]
        ],
    )
    report = await find_topics(store.db, T0 - WEEK, T0)
    assert len(report.topics) >= 3
    labels = " ".join(tp.label for tp in report.topics)
    assert labels.isascii() or "é" not in labels  # English words for a mixed topic


class CountingEncoder(Encoder):
    """The real encoder, counting the texts it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.texts = 0

    def encode(self, texts: object, *, batch_size: int = 64) -> Vectors:
        assert isinstance(texts, list)
        self.texts += len(texts)
        return super().encode(texts, batch_size=batch_size)


async def test_vectors_are_stored_once_and_reused(store: Store) -> None:
    ids = await store_messages(store, week())
    encoder = CountingEncoder()
    await find_topics(store.db, T0 - WEEK, T0, encoder=encoder)
    assert encoder.texts == 13
    assert await stored.count_vectors(store.db, model=ENCODER_NAME) == 13
    await find_topics(store.db, T0 - WEEK, T0, encoder=encoder)
    assert encoder.texts == 13  # nothing encoded the second time
    # a row made by another encoder is computed again, and replaced
    await stored.save_vectors(
        store.db, {ids[0]: np.ones(512, dtype=np.float32)}, model="another-encoder"
    )
    await find_topics(store.db, T0 - WEEK, T0, encoder=encoder)
    assert encoder.texts == 14
    assert await stored.count_vectors(store.db, model="another-encoder") == 0
    kept = await stored.read_vectors(store.db, [ids[0]], model=ENCODER_NAME)
    assert kept[ids[0]].dtype == np.float32 and kept[ids[0]].shape == (512,)


def test_the_large_path_agrees_with_the_direct_one() -> None:
    """Above the direct limit, Birch subclusters then average linkage find the same clear
    groups as average linkage on every message."""
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(6, 512)).astype(np.float32)
    rows = rng.integers(0, 6, 3000)
    vectors = (centres[rows] + rng.normal(size=(3000, 512)).astype(np.float32) * 0.03).astype(
        np.float32
    )
    labels = group_vectors(vectors)
    assert len(set(labels.tolist())) == 6
    for c in range(6):
        assert len(set(labels[rows == c].tolist())) == 1


async def test_settings_min_size_keeps_tiny_groups_as_other(store: Store) -> None:
    await store_messages(store, week())
    report = await find_topics(store.db, T0 - WEEK, T0, settings=TopicSettings(min_size=4))
    assert [tp.size for tp in report.topics] == [7]
    assert report.other is not None and report.other.size == 6 and report.other.label == "other"
