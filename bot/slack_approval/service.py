"""Moderators' decisions on drafts, in plain values: who may decide (a refusal in words when
they may not), the compare-and-set of a verdict, a take-over before any draft exists.
Nothing here knows Slack: the Bolt routes turn clicks into these calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.approval import Corrector
from bot.domain import ApprovalDecision, Decision, Draft, DraftStatus, Verdict
from bot.errors import TactlineError
from bot.policy import Policy
from bot.slack_approval import texts
from bot.slack_approval.cards import TONES
from bot.slack_approval.permissions import GroupLookupFailed
from bot.store import cards as card_store
from bot.store.store import ApprovalOutcome, NotFound, Store, utcnow


class ApproverCheck(Protocol):
    async def allowed(self, user_id: str, group: str) -> bool:
        """Raises :class:`GroupLookupFailed` when membership cannot be told."""
        ...


@dataclass(frozen=True, slots=True)
class Choice:
    """A moderator's verdict on a draft, with what it carries (a reason, an edited text,
    the group escalated to)."""

    verdict: Verdict
    reason: str | None = None
    edited_text: str | None = None
    target_group: str | None = None


@dataclass(frozen=True, slots=True)
class Correction:
    """A correction applied: the message, the group whose card it was made on, the label as
    the moderator reads it, and the message's new decision."""

    message_id: int
    group: str
    label: str
    decision: Decision


def _parse_choice(choice: str) -> tuple[int | None, str, str]:
    message, _, rest = choice.partition(":")
    field, _, value = rest.partition(":")
    if not message.isdigit() or field not in ("intent", "tone"):
        return None, field, value
    return int(message), field, value


class Decisions:
    """Decides drafts for moderators; every refusal is the sentence the moderator reads."""

    def __init__(
        self,
        *,
        store: Store,
        approvers: ApproverCheck,
        policy: Callable[[], Policy],
        corrector: Corrector | None = None,
    ) -> None:
        self._store = store
        self._approvers = approvers
        self._policy = policy
        self._corrector = corrector

    async def refusal(self, actor: str, draft_id: int) -> str | None:
        """Why ``actor`` may not decide this draft now, or None when they may."""
        try:
            draft = await self._store.draft(draft_id)
            group = await card_store.draft_group(self._store, draft_id)
        except NotFound:
            return texts.DRAFT_GONE
        except TactlineError as exc:  # the database is unreachable, say
            return texts.NOTHING_DONE.format(exc)
        if draft.status != DraftStatus.PENDING:
            why = (
                texts.SOURCE_EDITED
                if draft.status == DraftStatus.STALE
                else texts.ALREADY.format(draft.status)
            )
            return texts.NOTHING_DONE.format(why)
        return await self._not_an_approver(actor, group, texts.NOT_AN_APPROVER)

    async def _not_an_approver(self, actor: str, group: str, refusal: str) -> str | None:
        try:
            if not await self._approvers.allowed(actor, group):
                return refusal.format(group)
        except GroupLookupFailed as exc:
            return texts.CANNOT_TELL.format(group, exc.advice())
        return None

    async def decide(self, actor: str, draft_id: int, choice: Choice) -> ApprovalOutcome | str:
        """Check and compare-and-set, quickly (before the ack): the outcome, or what to tell
        the moderator."""
        refusal = await self.refusal(actor, draft_id)
        if refusal is not None:
            return refusal
        decision = ApprovalDecision(
            draft_id=draft_id,
            actor=actor,
            at=utcnow(),
            verdict=choice.verdict,
            reason=choice.reason,
            edited_text=choice.edited_text,
            target_group=choice.target_group,
        )
        try:
            outcome = await self._store.decide_draft(decision)
        except NotFound:
            return texts.DRAFT_GONE
        except TactlineError as exc:
            return texts.NOTHING_DONE.format(exc)
        if not outcome.applied:
            return texts.DRAFT_IS.format(outcome.reason)
        return outcome

    async def take_over_early(self, actor: str, message_id: int) -> Draft | str:
        """Take over before any draft exists (drafting, or the model failing): an empty
        draft for the approver, on the message's card; or what to tell them."""
        found = await self._store.messages([message_id])
        if not found:
            return texts.MESSAGE_GONE
        stored = found[0]
        group = stored.group or ""
        refusal = await self._not_an_approver(actor, group, texts.NOT_AN_ANSWERER)
        if refusal is not None:
            return refusal
        draft = await self._store.add_draft(
            message_id=stored.id,
            text=None,
            group=group,
            model="",
            notes=(texts.NOTE_TAKEN_OVER_EARLY,),
        )
        card = await card_store.card_for(self._store, stored.id, group)
        if card is not None and card.draft_id is None:
            await card_store.attach_draft(self._store, card.id, draft.id)
        return draft

    async def correct(self, actor: str, choice: str) -> Correction | str:
        """A "Not right?" choice (``<message id>:<intent|tone>:<value>``) from an approver
        of the message's group: recorded and the message decided again; or what to tell
        them."""
        message_id, field, value = _parse_choice(choice)
        if self._corrector is None or message_id is None:
            return texts.UNKNOWN_LABEL.format(choice)
        known = self._policy().intent_names if field == "intent" else TONES
        if value not in known:
            return texts.UNKNOWN_LABEL.format(value)
        found = await self._store.messages([message_id])
        if not found:
            return texts.MESSAGE_GONE
        group = found[0].group or ""
        refusal = await self._not_an_approver(actor, group, texts.NOT_A_CORRECTOR)
        if refusal is not None:
            return refusal
        try:
            decision = await self._corrector.correct(message_id, field, value, actor)
        except TactlineError as exc:
            return texts.NOTHING_DONE.format(exc)
        if decision is None:
            return texts.NOT_CLASSIFIED
        shown = value if field == "intent" else texts.TONES[value]
        return Correction(message_id, group, shown, decision)

    async def draft_text(self, draft_id: int) -> str:
        return (await self._store.draft(draft_id)).text or ""

    async def other_groups(self, draft_id: int) -> list[tuple[str, str]]:
        """The groups a draft may be escalated to: (name, label)."""
        group = await card_store.draft_group(self._store, draft_id)
        return [(n, g.label or n) for n, g in self._policy().groups.items() if n != group]

    def knows_group(self, name: str) -> bool:
        return name in self._policy().groups
