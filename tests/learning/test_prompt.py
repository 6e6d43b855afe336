"""Banked replies in the prompt: before the policy's examples, and, being on this message's
topic, their words are not taken for words borrowed from another message."""

from __future__ import annotations

from models.prompt import build_messages
from models.verify import sentence_findings
from tests.models.briefs import brief

KOBO = ("Does the app work on my Paperwhite?", "The team will check e-readers and follow up.")
SENTENCE = "The team will check the Paperwhite and follow up here."


def test_banked_replies_come_before_the_policys_examples() -> None:
    b = brief(learned_examples=(KOBO,), examples=(("hi", "Hello!"),))
    turns = [m.content for m in build_messages(b)]
    assert turns.index(KOBO[1]) < turns.index("Hello!")


def test_words_of_a_banked_example_are_not_borrowed_but_a_policy_examples_are() -> None:
    asked = "can I read my notes on my e-reader?"
    learned = brief(asked, learned_examples=(KOBO,))
    policy = brief(asked, examples=(KOBO,))
    assert not [f for f in sentence_findings(SENTENCE, 0, learned) if f.rule == "borrowed"]
    assert [f for f in sentence_findings(SENTENCE, 0, policy) if f.rule == "borrowed"]


def test_a_draft_like_a_rejected_one_is_asked_again_with_the_moderators_reason() -> None:
    rejected = "Look in the settings."
    b = brief("how do I export my notes?", avoid=(rejected, "too vague: give the menu path"))
    *_, said, asked = build_messages(b)
    assert (said.role, said.content) == ("assistant", rejected)
    assert asked.role == "user" and "(too vague: give the menu path)" in asked.content
    assert "in English" in asked.content
    assert build_messages(brief("how do I export my notes?"))[-1].role == "user"
