"""With no banked reply to a message close to this one, the closest reply to a message of the
same intent is still the team's voice for the draft: in the place of a policy example, and
only when it relies on no fact the draft was not given."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from bot.learning import Match, Recall, taught
from bot.store.replies import Banked
from tests.models.briefs import brief

SORRY = ("The app logs me out all the time", "Sorry, that's frustrating. Which device is it?")
EXPORT = ("can I save my notes as PDF?", "Yes: Settings > Data > Export, pick PDF. Anything else?")


STRATEGY = brief().strategy


def match(
    pair: tuple[str, str],
    similarity: float,
    facts: dict[str, str] | None = None,
    strategy: str = STRATEGY,
) -> Match:
    banked = Banked(
        id=1,
        approval_id=1,
        message_id=1,
        draft_id=1,
        verdict="approve",
        message_text=pair[0],
        reply=pair[1],
        reason=None,
        language="en",
        intent="question",
        platform="discord",
        policy_version="v1",
        facts=facts or {},
        approver="U_ANA",
        member_id="m1",
        member_name="maya",
        edited=False,
        model="test",
        vector=b"",
        reply_vector=None,
        at=datetime.now(UTC),
        strategy=strategy,
    )
    return Match(banked, similarity)


def recall(examples: tuple[Match, ...] = (), voice: tuple[Match, ...] = ()) -> Recall:
    return Recall("en", np.zeros(4, dtype=np.float32), examples, voice)


def test_a_reply_to_another_message_of_the_intent_comes_before_the_policys_examples() -> None:
    policy_example = ("hi", "Hello!")
    voice = match(SORRY, 0.3)
    b, shown = taught(brief(examples=(policy_example,)), recall(voice=(voice,)))
    assert b.examples == (SORRY, policy_example) and b.learned_examples == ()
    assert shown == (voice,)


def test_a_voice_reply_answers_when_the_draft_can_and_only_with_the_facts_it_was_given() -> None:
    answering, deferring = match(EXPORT, 0.4, {"export": "h"}), match(SORRY, 0.3)
    voices = (answering, deferring)
    given = brief(fact_ids=("export",), answered=True)
    assert taught(given, recall(voice=voices))[1] == (answering,)
    assert taught(brief(fact_ids=("status",), answered=True), recall(voice=voices))[1] == ()
    # A draft no fact answers is shown only replies that state no fact.
    unanswered = brief(fact_ids=("export",), answered=False)
    assert taught(unanswered, recall(voice=voices))[1] == (deferring,)


def test_a_voice_reply_was_written_under_the_same_strategy() -> None:
    other = match(SORRY, 0.3, strategy="Stay calm; do not apologise for what they allege.")
    assert taught(brief(), recall(voice=(other,)))[1] == ()


def test_close_replies_teach_alone_and_no_bank_changes_nothing() -> None:
    close, voice = match(EXPORT, 0.8), match(SORRY, 0.3)
    b, shown = taught(brief(examples=()), recall((close,), (voice,)))
    assert b.learned_examples == (EXPORT,) and b.examples == () and shown == (close,)
    plain = brief()
    assert taught(plain, None) == (plain, ())
