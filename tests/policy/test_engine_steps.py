"""The engine's steps on their own: one check per `when` key, guarantees in one place."""

from __future__ import annotations

import pytest

from bot.domain import Sentiment
from bot.policy import decide, is_urgent, load_policy, never_silent
from bot.policy.conditions import CONDITIONS, has_conditions
from bot.policy.schema import When
from tests.builders import make_message
from tests.policy.helpers import REPO, classified

POLICY = load_policy(REPO / "policies")


def test_every_when_key_has_its_check() -> None:
    assert set(CONDITIONS) == set(When.model_fields) - {"match"}


def test_a_when_table_needs_a_key_besides_match() -> None:
    assert not has_conditions(When(match="any"))
    assert has_conditions(When(toxic=False))
    assert has_conditions(When(min_confidence=0.0))


@pytest.mark.parametrize(
    ("intent", "flags", "toxic", "urgent"),
    [
        ("attack", frozenset(), False, True),
        ("legal_threat", frozenset(), False, True),
        ("safety", frozenset(), False, True),
        ("complaint", frozenset({"legal_threat"}), False, True),
        ("question", frozenset({"safety"}), False, True),
        ("complaint", frozenset(), True, True),
        ("complaint", frozenset({"sarcasm"}), False, False),
        ("question", frozenset(), False, False),
    ],
)
def test_urgency_is_what_decisions_use(
    intent: str, flags: frozenset[str], toxic: bool, urgent: bool
) -> None:
    c = classified(intent, flags=flags, toxic=toxic)
    assert is_urgent(c) is urgent
    # The decision agrees (a rule may add urgency of its own, as hate-counter-speech does).
    assert decide(POLICY, make_message("hello"), c).urgent is urgent


def test_never_silent_covers_criticism_but_not_negative_spam() -> None:
    assert never_silent(classified("question", sentiment=Sentiment.NEGATIVE))
    assert never_silent(classified("complaint"))
    assert not never_silent(classified("spam", sentiment=Sentiment.NEGATIVE))
    assert not never_silent(classified("off_topic"))


def test_an_unknown_keyword_is_refused_as_before() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'contxt'"):
        decide(POLICY, make_message(), classified(), contxt=())  # type: ignore[call-arg]
