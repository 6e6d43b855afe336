"""Moderators correct the judgement from the card: "Not right?" re-decides the message (a
new card when its route changes), teaches the classifier, and exports as policy TOML."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from bot.domain import Classification, Sentiment
from bot.learning import export_intents, taught_tone
from bot.policy import load_policy
from bot.store import cards as card_store
from bot.store import learned
from bot.store.learned import Correction, Learned
from tests.builders import make_message
from tests.learning.doubles import ExampleClassifier, RecordingDrafter, WordEncoder
from tests.policy.helpers import policy_copy
from tests.slack_approval.harness import REPO, Env, running_env
from tests.waiting import eventually

THREAT = "zorblax frobnicator wobbles sideways on my tablet"
LIKE_IT = "the zorblax frobnicator wobbles sideways again"


@pytest.fixture
async def env(db_url: str) -> AsyncIterator[Env]:
    async with running_env(
        db_url,
        drafter=RecordingDrafter(),
        encoder=WordEncoder(),
        classifier_factory=ExampleClassifier,
    ) as env:
        yield env


async def corrected(env: Env, message_id: int, choice: str, user: str = "U_ANA") -> None:
    """Choose in the card's "Not right?" menu; return once the handler (after the ack) told
    the moderator."""
    told = len(env.slack.called("chat.postEphemeral"))
    assert await env.choose("correct", f"{message_id}:{choice}", user=user) == 200
    await eventually(lambda: len(env.slack.called("chat.postEphemeral")) > told)
    await env.drain()


async def stored_of(env: Env, text: str) -> tuple[int, str, str]:
    found = [m for m in await env.app.store.messages(range(1, 50)) if m.message.text == text]
    [m] = found
    assert m.classification is not None
    return m.id, m.classification.intent, m.group or ""


async def test_a_correction_re_decides_the_message_and_teaches_the_next_one(env: Env) -> None:
    assert await env.fake.inject(make_message(THREAT, author="maya"))
    await env.drain()
    message_id, intent, group = await stored_of(env, THREAT)
    assert (intent, group) == ("question", "community")
    assert "Not right?" in json.dumps(list(env.slack.messages.values()))

    await corrected(env, message_id, "intent:bug_report")
    assert await stored_of(env, THREAT) == (message_id, "bug_report", "product")
    assert await card_store.card_for(env.app.store, message_id, "product")  # a new card
    [item] = await learned.listing(env.app.store.db)
    assert (item.correction.author, item.correction.previous) == ("U_ANA", intent)

    assert await env.fake.inject(make_message(LIKE_IT, author="noor"))
    await env.drain()
    assert (await stored_of(env, LIKE_IT))[1] == "bug_report"


async def test_only_the_cards_approvers_may_correct_it(env: Env) -> None:
    assert await env.fake.inject(make_message(THREAT, author="maya"))
    await env.drain()
    message_id, intent, _ = await stored_of(env, THREAT)
    await corrected(env, message_id, "tone:toxic", user="U_SUE")
    assert await learned.listing(env.app.store.db) == []
    assert (await stored_of(env, THREAT))[1] == intent


async def test_export_writes_intents_toml_the_policy_loads(env: Env, tmp_path: Path) -> None:
    assert await env.fake.inject(make_message(THREAT, author="maya"))
    await env.drain()
    message_id, _, _ = await stored_of(env, THREAT)
    await corrected(env, message_id, "intent:bug_report")
    policy = load_policy(REPO / "policies")
    exported = export_intents(policy, await learned.listing(env.app.store.db))
    target = policy_copy(tmp_path)
    (target / "intents.toml").write_text(exported, encoding="utf-8")
    loaded = load_policy(target)
    [bug] = [i for i in loaded.intents if i.name == "bug_report"]
    assert THREAT in bug.examples["en"]
    assert "# learned from U_ANA" in exported
    shutil.rmtree(target)


async def test_a_tone_correction_sets_the_tone_of_a_near_copy_only(env: Env) -> None:
    assert await env.fake.inject(make_message(THREAT, author="maya"))
    await env.drain()
    message_id, _, _ = await stored_of(env, THREAT)
    await corrected(env, message_id, "tone:toxic")

    near_copy = THREAT + " today"  # the same words and one more: 0.91 alike
    for text, author in ((near_copy, "noor"), (LIKE_IT, "sam")):
        assert await env.fake.inject(make_message(text, author=author))
        await env.drain()
    [copy] = [m for m in await env.app.store.messages(range(1, 50)) if m.message.text == near_copy]
    [other] = [m for m in await env.app.store.messages(range(1, 50)) if m.message.text == LIKE_IT]
    assert copy.classification is not None and other.classification is not None
    assert copy.classification.toxic and copy.classification.toxicity >= 0.9
    assert copy.classification.model == "test-examples; tone taught by U_ANA"
    assert not other.classification.toxic  # on the same subject, but not the same message
    assert copy.urgent and not other.urgent  # decided as toxic: the team is alerted at once


def test_a_taught_tone_needs_the_same_language_and_a_near_copy() -> None:
    base = Classification(
        language="en",
        intent="question",
        sentiment=Sentiment.NEUTRAL,
        toxic=True,
        toxicity=0.8,
        flags=frozenset({"hate"}),
        confidence=0.9,
        model="m",
    )
    tone = Correction(1, "x", "en", "tone", "not_toxic", "toxic", "U_BEN", "v1", datetime.now(UTC))
    tones = [Learned(1, tone)]
    theirs = np.array([[1.0, 0.0]], dtype=np.float32)
    near = np.array([0.95, np.sqrt(1 - 0.95**2)], dtype=np.float32)
    far = np.array([0.85, np.sqrt(1 - 0.85**2)], dtype=np.float32)
    taught = taught_tone(base, near, tones, theirs)
    assert (taught.toxic, taught.flags, taught.toxicity) == (False, frozenset(), 0.1)
    assert taught_tone(base, far, tones, theirs) == base
    french = dataclasses.replace(base, language="fr")
    assert taught_tone(french, near, tones, theirs) == french
    assert taught_tone(base, near, [], theirs[:0]) == base
