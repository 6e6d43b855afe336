"""Replies teach drafts: what a moderator sent (approved, edited, taken over) is the example
the next similar message's draft is shown, the card says whose reply it was, a rejected
draft warns the next one like it, and an admin's ``forget`` takes all of it back."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator

import pytest

from bot.domain import DraftBrief
from bot.store import replies
from models.base import DraftResult
from tests.builders import make_message
from tests.learning.doubles import RecordingDrafter, WordEncoder
from tests.slack_approval.harness import Env, card_text, running_env

FIRST = "How do I export all my notes to PDF files?"
SIMILAR = "how can I export all my notes as PDF files"
EDITED = (
    "Open Settings > Data > Export and pick PDF: you get a zip of all your notes. Anything else?"
)


@pytest.fixture
async def env(db_url: str) -> AsyncIterator[tuple[Env, RecordingDrafter]]:
    drafter = RecordingDrafter()
    async with running_env(db_url, drafter=drafter, encoder=WordEncoder()) as env:
        yield env, drafter


async def ask(env: Env, text: str, author: str) -> int:
    assert await env.fake.inject(make_message(text, author=author))
    await env.drain()
    return max(p.draft.id for p in await env.app.store.pending_drafts())


async def test_an_edited_reply_is_the_next_similar_drafts_example_and_its_card_says_whose(
    env: tuple[Env, RecordingDrafter],
) -> None:
    e, drafter = env
    first = await ask(e, FIRST, "maya")
    assert drafter.briefs[-1].learned_examples == ()  # nothing sent yet
    assert await e.submit("edit", first, EDITED) == 200
    await e.drain()

    await ask(e, SIMILAR, "noor")
    brief = drafter.briefs[-1]
    assert brief.learned_examples == ((FIRST, EDITED),)
    assert brief.examples  # the policy's own examples still follow
    [banked] = await replies.listing(e.app.store.db)
    assert (banked.verdict, banked.edited, banked.approver) == ("edit", True, "U_ANA")
    assert banked.facts  # it relies on the export fact: used while that fact is unchanged
    cards = card_text(e)
    assert "Based on the reply to" in cards and "<@U_ANA>" in cards


async def test_a_reply_to_another_kind_of_message_is_not_an_example(
    env: tuple[Env, RecordingDrafter],
) -> None:
    e, drafter = env
    first = await ask(e, FIRST, "maya")
    assert await e.submit("edit", first, EDITED) == 200
    await e.drain()
    await ask(e, "which phones does the mobile app run on?", "noor")
    last = drafter.briefs[-1]
    assert last.learned_examples == ()
    # Nor is it the voice of this question: it relies on a fact this draft was not given.
    assert last.intent == "question" and "export" not in last.fact_ids
    assert EDITED not in json.dumps(last.examples, ensure_ascii=False)


async def test_a_reply_to_another_question_the_same_fact_answers_is_its_voice(
    env: tuple[Env, RecordingDrafter],
) -> None:
    e, drafter = env
    first = await ask(e, FIRST, "maya")
    assert await e.submit("edit", first, EDITED) == 200
    await e.drain()
    second = await ask(e, "can I download a backup archive?", "noor")  # no word in common
    last = drafter.briefs[-1]
    assert last.answered and "export" in last.fact_ids
    assert last.learned_examples == () and last.examples[0] == (FIRST, EDITED)
    [use] = await replies.uses_of(e.app.store.db, second)
    assert use.kind == "example" and use.similarity < 0.6


async def test_a_draft_like_a_rejected_one_is_regenerated_and_still_flagged_if_alike(
    env: tuple[Env, RecordingDrafter],
) -> None:
    e, drafter = env
    first = await ask(e, FIRST, "maya")
    assert drafter.briefs[-1].avoid == ()
    assert await e.submit("reject", first, "too vague: give the menu path") == 200
    await e.drain()
    briefs = len(drafter.briefs)
    second = await ask(e, SIMILAR, "noor")
    # Drafted twice: the second time the model is shown its draft and the moderator's reason.
    assert len(drafter.briefs) == briefs + 2
    last = drafter.briefs[-1]
    draft, reason = last.avoid
    assert reason == "too vague: give the menu path"
    assert draft == (await e.app.store.draft(first)).text
    # This drafter writes the same reply again: the card still warns, with the reason.
    uses = await replies.uses_of(e.app.store.db, second)
    assert [u.kind for u in uses] == ["rejected"]
    cards = card_text(e)
    assert "Close to a draft" in cards and "too vague: give the menu path" in cards
    assert "regenerated once: close to a draft rejected by U_ANA" in cards


class Rewording(RecordingDrafter):
    """Writes another reply when told what a moderator rejected."""

    async def draft(self, brief: DraftBrief) -> DraftResult:
        first = await super().draft(brief)
        if not brief.avoid:
            return first
        return dataclasses.replace(first, text=EDITED, notes=("facts used: export",))


async def test_a_regenerated_draft_unlike_the_rejected_one_is_not_flagged(
    db_url: str,
) -> None:
    drafter = Rewording()
    async with running_env(db_url, drafter=drafter, encoder=WordEncoder()) as e:
        first = await ask(e, FIRST, "maya")
        assert await e.submit("reject", first, "too vague: give the menu path") == 200
        await e.drain()
        second = await ask(e, SIMILAR, "noor")
        assert (await e.app.store.draft(second)).text == EDITED
        assert await replies.uses_of(e.app.store.db, second) == []
        [pending] = [p for p in await e.app.store.pending_drafts() if p.draft.id == second]
        assert pending.notes[0] == (
            "regenerated once: close to a draft rejected by U_ANA (too vague: give the menu path)"
        )


async def test_forget_removes_the_banked_reply_and_its_use_in_prompts(
    env: tuple[Env, RecordingDrafter],
) -> None:
    e, drafter = env
    first = await ask(e, FIRST, "maya")
    assert await e.submit("edit", first, EDITED) == 200
    await e.drain()
    second = await ask(e, SIMILAR, "noor")
    [banked] = await replies.listing(e.app.store.db)
    assert await replies.uses_of(e.app.store.db, second)

    assert await replies.forget(e.app.store.db, [banked.id]) == 1
    assert await replies.listing(e.app.store.db) == []
    assert await replies.uses_of(e.app.store.db, second) == []
    await ask(e, "how could I export my notes into PDF files?", "sam")
    assert drafter.briefs[-1].learned_examples == ()  # and it is not banked again


async def test_forget_by_member_removes_what_was_learned_from_their_messages(
    env: tuple[Env, RecordingDrafter],
) -> None:
    e, drafter = env
    first = await ask(e, FIRST, "maya")
    assert await e.click("approve", first) == 200
    await e.drain()
    await ask(e, "which phones does the mobile app run on?", "sam")  # banks at the next draft
    [banked] = await replies.listing(e.app.store.db)
    assert banked.member_name == "maya"
    assert await replies.forget_author(e.app.store.db, banked.member_id) == 1
    await ask(e, SIMILAR, "noor")
    assert drafter.briefs[-1].learned_examples == ()
    assert json.dumps(drafter.briefs[-1].examples).find(FIRST) == -1
