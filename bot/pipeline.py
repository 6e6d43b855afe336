"""A message's judgement: classify, decide under the current policy, draft, route.

Each step stores its result before the next runs; a retried job redoes only what is missing
and the unique (message, version) draft key keeps a retry from drafting twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Protocol

from bot.approval import ApprovalChannel
from bot.domain import (
    Action,
    ApprovalDecision,
    Classification,
    Decision,
    DraftStatus,
    IntentSpec,
    Verdict,
)
from bot.listening.listener import Listener
from bot.policy import Policy, decide
from bot.redact import exception_text
from bot.store.store import AUTOSEND_ACTOR, Store, StoredMessage, utcnow
from models.base import Classifier, ClassifyInput, Drafter

log = logging.getLogger(__name__)

ClassifierFactory = Callable[[Sequence[IntentSpec]], Classifier]


class FactMeaning(Protocol):
    """How close each message is in meaning to each of the policy's facts."""

    async def scores(self, messages: Sequence[str]) -> list[dict[str, float]]: ...


# Builds the meaning index for a policy's facts (rebuilt when the policy changes).
MeaningFactory = Callable[[Policy], FactMeaning]


def _intents_key(intents: Sequence[IntentSpec]) -> tuple[object, ...]:
    return tuple(
        (i.name, i.description, tuple(sorted((k, tuple(v)) for k, v in i.examples.items())))
        for i in intents
    )


class Pipeline:
    def __init__(
        self,
        *,
        store: Store,
        policy: Callable[[], Policy],
        classifier_factory: ClassifierFactory,
        drafter: Drafter,
        approvals: ApprovalChannel,
        listener: Listener | None = None,
        meaning: MeaningFactory | None = None,
    ) -> None:
        self._store = store
        self._policy = policy
        self._classifier_factory = classifier_factory
        self._drafter = drafter
        self._approvals = approvals
        self._listener = listener
        self._classifier: Classifier | None = None
        self._classifier_key: tuple[object, ...] | None = None
        self._drafting_failures = 0  # in a row: one admin alert per outage, not per message
        self._meaning_factory = meaning
        self._meaning: tuple[str, FactMeaning] | None = None

    def classifier(self, policy: Policy) -> Classifier:
        """The classifier for the policy's intents, rebuilt only when the intents change."""
        key = _intents_key(policy.intents)
        if self._classifier is None or key != self._classifier_key:
            self._classifier = self._classifier_factory(policy.intents)
            self._classifier_key = key
        return self._classifier

    async def _meanings(
        self, policy: Policy, texts: Sequence[str]
    ) -> Sequence[Mapping[str, float] | None]:
        """For each text, its closeness to each fact, in one batch; None without an index
        (facts are then picked by keywords only)."""
        if self._meaning_factory is None or not policy.facts:
            return [None] * len(texts)
        if self._meaning is None or self._meaning[0] != policy.version:
            self._meaning = (policy.version, self._meaning_factory(policy))
        try:
            return await self._meaning[1].scores(texts)
        except Exception:  # facts by keywords still work: never hold a message up
            log.exception("fact meaning failed; facts picked by keywords only")
            return [None] * len(texts)

    async def process(self, message_ids: Sequence[int]) -> None:
        """Take a batch of stored messages through classify → decide → draft."""
        policy = self._policy()
        stored = [await self._store.message(mid) for mid in message_ids]
        todo = [s for s in stored if s.classification is None]
        if todo:
            results = await self.classifier(policy).classify(
                [ClassifyInput(text=s.message.text, platform=s.message.platform) for s in todo]
            )
            for s, c in zip(todo, results, strict=True):
                await self._store.save_classification(s.id, c)
            stored = [await self._store.message(mid) for mid in message_ids]
        # Every message of the batch is decided, carded and checked for alerts before any is
        # drafted (drafting takes seconds each): a legal threat behind eleven questions is
        # flagged at once. Then drafts, the urgent ones first.
        planned: dict[str, int] = {}
        to_draft: list[tuple[StoredMessage, Decision]] = []
        meanings = await self._meanings(policy, [s.message.text for s in stored])
        for s, meaning in zip(stored, meanings, strict=True):
            decision = await self._decide(policy, s, meaning, planned)
            if decision is not None:
                to_draft.append((s, decision))
        for s, decision in sorted(to_draft, key=lambda sd: not sd[1].urgent):
            await self._draft(s, decision)

    async def _decide(
        self,
        policy: Policy,
        stored: StoredMessage,
        meaning: Mapping[str, float] | None,
        planned_auto_sends: dict[str, int],
    ) -> Decision | None:
        """Decide, record, show the card and raise alerts; the decision when a draft is still
        to be written (None when one exists or the message is gone)."""
        assert stored.classification is not None
        if stored.deleted:
            log.info("message %d was deleted at the source before drafting", stored.id)
        existing = await self._store.drafts_of(stored.id)
        context = await self._store.context_for(stored.id)
        window = timedelta(seconds=policy.autosend.window_seconds)
        channel = stored.message.conversation.channel_id
        recent = await self._store.auto_sends_since(channel, utcnow() - window)
        decision = decide(
            policy,
            stored.message,
            stored.classification,
            context=context,
            # Auto-sends decided earlier in this batch count against the channel's cap too.
            auto_sends_in_window=recent + planned_auto_sends.get(channel, 0),
            meaning=meaning,
        )
        if decision.auto_send:
            planned_auto_sends[channel] = planned_auto_sends.get(channel, 0) + 1
        await self._store.save_decision(stored.id, decision)
        await self._approvals.message_decided(stored, decision)
        if self._listener is not None:
            try:
                await self._listener.observe(stored, decision)
            except Exception:  # an alert must never stop a message from being answered
                log.exception("listening checks failed for message %d", stored.id)
        if existing or stored.deleted:
            return None
        return decision

    async def _draft(self, stored: StoredMessage, decision: Decision) -> None:
        if decision.brief is None:
            if decision.action == Action.ESCALATE:
                # No machine draft (safety): an empty draft gives the humans a card to take
                # over, and the reply they write goes through the same approval and outbox.
                notes = ("no machine draft: a human writes this reply",)
                draft = await self._store.add_draft(
                    message_id=stored.id, text=None, group=decision.group, model="", notes=notes
                )
                await self._approvals.draft_ready(stored, decision, draft, notes)
            return
        try:
            result = await self._drafter.draft(decision.brief)
        except Exception as exc:  # the backend's own retries are spent: a human path now
            await self._drafting_failed(stored, decision, exc)
            return
        self._drafting_failures = 0
        draft = await self._store.add_draft(
            message_id=stored.id,
            text=result.text,
            group=decision.group,
            model=result.model,
            notes=result.notes,
            seconds=result.seconds,
        )
        if (
            decision.auto_send
            and decision.action == Action.REPLY
            and result.text
            and draft.status == DraftStatus.PENDING
        ):
            outcome = await self._store.decide_draft(
                ApprovalDecision(
                    draft_id=draft.id,
                    actor=AUTOSEND_ACTOR,
                    at=utcnow(),
                    verdict=Verdict.APPROVE,
                    reason="policy opt-in: low-risk reply sent without approval",
                )
            )
            log.info("draft %d auto-approved by policy (applied=%s)", draft.id, outcome.applied)
            return
        await self._approvals.draft_ready(stored, decision, draft, result.notes)

    async def _drafting_failed(
        self, stored: StoredMessage, decision: Decision, exc: Exception
    ) -> None:
        """The card gets its human buttons at once with the reason, instead of "drafting…"
        until the job is buried; the team is told once per outage."""
        reason = exception_text(exc)
        log.warning("drafting message %d failed: %s", stored.id, reason)
        notes = (f"drafting failed ({reason}): a human writes this reply (Take over)",)
        draft = await self._store.add_draft(
            message_id=stored.id, text=None, group=decision.group, model="", notes=notes
        )
        await self._approvals.draft_ready(stored, decision, draft, notes)
        self._drafting_failures += 1
        if self._listener is None:
            return
        try:
            await self._listener.raise_alert(
                kind="drafter_down",
                key=self._drafter.name,
                at=utcnow(),
                count=self._drafting_failures,
                summary=(
                    f"The drafting model ({self._drafter.name}) is failing: "
                    f"{self._drafting_failures} message(s) have no machine draft and wait for "
                    f"a human (Take over). Last error: {reason}"
                ),
                detail={"error": reason, "message_id": stored.id},
                cooldown=timedelta(minutes=30),
                grow_factor=10.0,  # told again at 10, 100… messages, not at each one
            )
        except Exception:  # an alert must never stop a message from being answered
            log.exception("could not raise the drafter alert")


def describe(c: Classification) -> str:
    flags = ",".join(sorted(c.flags)) or "-"
    return (
        f"{c.intent} ({c.confidence:.2f}) {c.sentiment} lang={c.language} "
        f"toxicity={c.toxicity:.2f}{' TOXIC' if c.toxic else ''} flags={flags}"
    )


__all__ = ["ClassifierFactory", "Decision", "FactMeaning", "MeaningFactory", "Pipeline", "describe"]
