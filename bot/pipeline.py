"""A message's judgement in two stages that do not wait for each other.

``process`` (a batch, at arrival): classify, decide under the current policy, show the card
with its human buttons, raise alerts, and queue the draft. ``draft`` (one message, its own
job, urgent ones claimed first): write the draft, check it, put it on the card.

Each step stores its result before the next runs; a retried job redoes only what is missing
and the unique (message, version) draft key keeps a retry from drafting twice. A drafting
backend that fails is retried with backoff for the configured patience; meanwhile the card
says so and offers Take over, and the admins are told once per outage.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.approval import ApprovalChannel
from bot.domain import (
    Action,
    ApprovalDecision,
    Classification,
    Decision,
    DraftBrief,
    DraftStatus,
    IntentSpec,
    Verdict,
)
from bot.every import retry_delay
from bot.learning import (
    Match,
    Recall,
    ReplyBank,
    corrected,
    learned_intents,
    taught,
    taught_tone,
)
from bot.listening.listener import Listener
from bot.policy import Policy, decide
from bot.redact import exception_text
from bot.store import learned
from bot.store.learned import Correction, latest
from bot.store.store import AUTOSEND_ACTOR, Store, StoredMessage, utcnow
from models.base import Classifier, ClassifyInput, Drafter, DraftResult

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


@dataclass(frozen=True, slots=True)
class DraftStep:
    """What a draft job did: done, or to be tried again after ``retry_after`` seconds."""

    done: bool
    retry_after: float | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class DraftingPatience:
    """How long a failing drafting backend is retried, and how far apart (as deliveries)."""

    patience: timedelta = timedelta(hours=6)
    base_backoff: float = 5.0
    max_backoff: float = 300.0

    def backoff(self, attempts: int) -> float:
        """The wait before try ``attempts + 1`` (as a delivery's)."""
        return retry_delay(attempts, self.base_backoff, self.max_backoff)


@dataclass(frozen=True, slots=True)
class Judgement:
    """The models a pipeline reads and writes with: the classifier (rebuilt when the
    policy's intents change), the facts' meaning index (None: facts by keywords only), the
    drafter and how long a failing drafter is retried; the reply bank (None: drafts are
    shown the policy's examples only, and corrections do not teach the classifier)."""

    classifier_factory: ClassifierFactory
    drafter: Drafter
    meaning: MeaningFactory | None = None
    patience: DraftingPatience = DraftingPatience()
    bank: ReplyBank | None = None


class Pipeline:
    def __init__(
        self,
        *,
        store: Store,
        policy: Callable[[], Policy],
        judgement: Judgement,
        approvals: ApprovalChannel,
        listener: Listener | None = None,
    ) -> None:
        self._store = store
        self._policy = policy
        self._classifier_factory = judgement.classifier_factory
        self._drafter = judgement.drafter
        self._approvals = approvals
        self._listener = listener
        self._classifier: Classifier | None = None
        self._classifier_key: tuple[object, ...] | None = None
        # Messages the failing drafting backend holds up, since its last success: one admin
        # alert per outage (told again at 10, 100… messages), not one per message or per try.
        self._held_up: set[int] = set()
        self._meaning_factory = judgement.meaning
        self._meaning: tuple[str, FactMeaning] | None = None
        self._patience = judgement.patience
        self._bank = judgement.bank

    def classifier(self, policy: Policy, intents: Sequence[IntentSpec] | None = None) -> Classifier:
        """The classifier for the policy's intents (or ``intents``: the policy's with what
        moderators taught), rebuilt only when the intents change."""
        specs = policy.intents if intents is None else intents
        key = _intents_key(specs)
        if self._classifier is None or key != self._classifier_key:
            self._classifier = self._classifier_factory(specs)
            self._classifier_key = key
        return self._classifier

    async def _taught_classifier(self, policy: Policy) -> Classifier:
        """The classifier of the policy's intents and the moderators' corrections."""
        if self._bank is None:
            return self.classifier(policy)
        taught = await learned.listing(self._store.db, field="intent")
        return self.classifier(policy, learned_intents(policy.intents, taught))

    async def _taught_tones(
        self, texts: Sequence[str], results: Sequence[Classification]
    ) -> Sequence[Classification]:
        """Each classification with the tone moderators gave a message very close to its own
        (unchanged without a bank, or when the look-up fails: a message is never held up by
        what it could learn)."""
        if self._bank is None:
            return results
        try:
            tones = latest(await learned.listing(self._store.db, field="tone"))
            if not tones:
                return results
            vectors = await self._bank.encode([*texts, *(t.correction.text for t in tones)])
        except Exception:
            log.exception("taught tones could not be looked up")
            return results
        mine, theirs = vectors[: len(texts)], vectors[len(texts) :]
        return [taught_tone(c, v, tones, theirs) for c, v in zip(results, mine, strict=True)]

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
        """Stage one, for a batch of stored messages: classify → decide → card → alerts, and
        queue each message's draft. Nothing here waits on the drafting model: a legal threat
        behind eleven questions is flagged and carded at once."""
        policy = self._policy()
        stored = await self._store.messages(message_ids)
        todo = [i for i, s in enumerate(stored) if s.classification is None]
        if todo:
            results = await (await self._taught_classifier(policy)).classify(
                [
                    ClassifyInput(text=stored[i].message.text, platform=stored[i].message.platform)
                    for i in todo
                ]
            )
            toned = await self._taught_tones([stored[i].message.text for i in todo], results)
            for i, c in zip(todo, toned, strict=True):
                await self._store.save_classification(stored[i].id, c)
                stored[i] = dataclasses.replace(stored[i], classification=c)
        planned: dict[str, int] = {}
        to_draft: list[tuple[int, bool]] = []
        leaders: dict[tuple[str, ...], int] = {}  # bursts begun in this batch
        meanings = await self._meanings(policy, [s.message.text for s in stored])
        for s, meaning in zip(stored, meanings, strict=True):
            decision = await self._decide(policy, s, meaning, planned, leaders)
            if decision is None:
                continue
            if decision.brief is not None:
                leaders.setdefault(_burst_key(s), s.id)
                to_draft.append((s.id, decision.urgent))
            elif decision.action == Action.ESCALATE:
                await self._no_machine_draft(s, decision)
        # Queued together once the batch is carded: the urgent ones are drafted first.
        await self._store.enqueue_drafts(to_draft)

    async def _decision(
        self,
        policy: Policy,
        stored: StoredMessage,
        meaning: Mapping[str, float] | None,
        planned_auto_sends: Mapping[str, int],
    ) -> Decision:
        """The policy's decision for a classified message, in its conversation's context."""
        assert stored.classification is not None
        context = await self._store.context_for(stored.id)
        window = timedelta(seconds=policy.autosend.window_seconds)
        channel = stored.message.conversation.channel_id
        recent = await self._store.auto_sends_since(channel, utcnow() - window)
        return decide(
            policy,
            stored.message,
            stored.classification,
            context=context,
            # Auto-sends decided earlier in this batch count against the channel's cap too.
            auto_sends_in_window=recent + planned_auto_sends.get(channel, 0),
            meaning=meaning,
        )

    async def _decide(
        self,
        policy: Policy,
        stored: StoredMessage,
        meaning: Mapping[str, float] | None,
        planned_auto_sends: dict[str, int],
        leaders: Mapping[tuple[str, ...], int],
    ) -> Decision | None:
        """Decide, record, show the card (or join the card of the member's burst) and raise
        alerts; the decision when a draft is still to be written (None when one exists, the
        message is gone, or its burst's draft answers it)."""
        if stored.deleted:
            log.info("message %d was deleted at the source before drafting", stored.id)
        existing = await self._store.drafts_of(stored.id)
        decision = await self._decision(policy, stored, meaning, planned_auto_sends)
        channel = stored.message.conversation.channel_id
        if decision.auto_send:
            planned_auto_sends[channel] = planned_auto_sends.get(channel, 0) + 1
        await self._store.save_decision(stored.id, decision)
        leader = None
        if not (existing or stored.deleted):
            leader = await self._join_burst(policy, stored, decision, leaders)
        if leader is None:
            await self._approvals.message_decided(stored, decision)
        else:
            await self._approvals.burst_grew(leader)
        if self._listener is not None:
            try:
                await self._listener.observe(stored, decision)
            except Exception:  # an alert must never stop a message from being answered
                log.exception("listening checks failed for message %d", stored.id)
        if existing or stored.deleted or leader is not None:
            return None
        return decision

    async def _join_burst(
        self,
        policy: Policy,
        stored: StoredMessage,
        decision: Decision,
        leaders: Mapping[tuple[str, ...], int],
    ) -> int | None:
        """The first message of the member's burst this one joins (its card lists it and its
        draft answers both), or None: a card of its own. Only a plain message joins: nothing
        urgent, flagged or toxic, and only while the burst's draft has not begun."""
        window = policy.alerts.flood.join_seconds
        c = stored.classification
        if (
            not window
            or c is None
            or c.flags
            or c.toxic
            or decision.urgent
            or decision.brief is None
            or decision.action == Action.NO_REPLY
        ):
            return None
        in_batch = leaders.get(_burst_key(stored))
        if in_batch is not None:
            joined = await self._store.join_burst(stored.id, in_batch, queued=False)
            return in_batch if joined else None
        since = utcnow() - timedelta(seconds=window)
        leader = await self._store.burst_leader(stored, since=since)
        if leader is not None and await self._store.join_burst(stored.id, leader, queued=True):
            return leader
        return None

    async def _no_machine_draft(self, stored: StoredMessage, decision: Decision) -> None:
        """No machine draft (safety): an empty draft gives the humans a card to take over,
        and the reply they write goes through the same approval and outbox."""
        notes = ("no machine draft: a human writes this reply",)
        draft = await self._store.add_draft(
            message_id=stored.id, text=None, group=decision.group, model="", notes=notes
        )
        await self._approvals.draft_ready(stored, decision, draft, notes)

    async def correct(
        self, message_id: int, field: str, value: str, author: str
    ) -> Decision | None:
        """A moderator's correction of how a message was read (its intent, or its tone):
        recorded with its author (it teaches the classifier), then the message is decided
        again under the policy; a new route gets a card of its own. The new decision, or
        None when the message is not (or not yet) classified."""
        found = await self._store.messages([message_id])
        if not found or found[0].classification is None:
            return None
        before, c = found[0], found[0].classification
        policy = self._policy()
        await learned.add(
            self._store.db,
            Correction(
                message_id=message_id,
                text=before.message.text,
                language=c.language,
                field=field,
                value=value,
                previous=c.intent if field == "intent" else tone_of(c),
                author=author,
                policy_version=policy.version,
                at=utcnow(),
            ),
        )
        now = corrected(c, field, value, author)
        await self._store.save_classification(message_id, now)
        stored = dataclasses.replace(before, classification=now)
        meaning = (await self._meanings(policy, [stored.message.text]))[0]
        decision = await self._decision(policy, stored, meaning, {})
        await self._store.save_decision(message_id, decision)
        if (decision.group, str(decision.action)) != (before.group, before.action):
            await self._approvals.message_decided(stored, decision)
            await self._reroute(stored, decision, author)
        return decision

    async def _reroute(self, stored: StoredMessage, decision: Decision, author: str) -> None:
        """A pending draft follows its message's new route: to the new group's card when a
        reply is still wanted, rejected when the policy now wants none."""
        pending = [
            d for d in await self._store.drafts_of(stored.id) if d.status == DraftStatus.PENDING
        ]
        if not pending:
            return
        why = f"label corrected by {author}"
        if decision.brief is None:
            verdict = ApprovalDecision(pending[-1].id, author, utcnow(), Verdict.REJECT, reason=why)
            await self._store.decide_draft(verdict)
            return
        moved = ApprovalDecision(
            pending[-1].id,
            author,
            utcnow(),
            Verdict.ESCALATE,
            reason=why,
            target_group=decision.group,
        )
        outcome = await self._store.decide_draft(moved)
        if outcome.new_draft_id is not None:
            draft = await self._store.draft(outcome.new_draft_id)
            await self._approvals.draft_ready(stored, decision, draft, (why,))

    async def draft(
        self, message_id: int, *, attempts: int = 1, queued_at: datetime | None = None
    ) -> DraftStep:
        """Stage two, one message: draft it under the current policy and put the draft on its
        card (or send it, where the policy allows). ``attempts`` counts this try; the patience
        runs from ``queued_at``."""
        try:
            stored = (await self._store.messages([message_id]))[0]
        except IndexError:
            return DraftStep(done=True, error="message no longer stored")
        if stored.deleted or stored.classification is None:
            return DraftStep(done=True)
        if await self._store.drafts_of(message_id):  # a moderator took over, or a retry
            return DraftStep(done=True)
        policy = self._policy()
        meaning = (await self._meanings(policy, [stored.message.text]))[0]
        decision = await self._decision(policy, stored, meaning, {})
        if (decision.group, str(decision.action)) != (stored.group, stored.action):
            # The policy changed since the message was carded: the new route decides.
            await self._store.save_decision(stored.id, decision)
            await self._approvals.message_decided(stored, decision)
        if decision.brief is None:
            if decision.action == Action.ESCALATE:
                await self._no_machine_draft(stored, decision)
            return DraftStep(done=True)
        # A member's burst is answered as one message.
        burst = await self._store.burst_of(message_id)
        text = "\n".join([stored.message.text, *(b.message.text for b in burst)])
        recall = await self._recall(policy, stored)
        brief, shown = taught(dataclasses.replace(decision.brief, text=text), recall)
        try:
            result = await self._drafter.draft(brief)
        except Exception as exc:  # the backend's own retries are spent
            return await self._drafting_failed(
                stored, decision, exc, attempts=attempts, since=queued_at or stored.received_at
            )
        self._held_up.clear()
        result, rejected = await self._unlike_rejected(brief, result, recall)
        await self._drafted(stored, decision, result, shown, rejected)
        return DraftStep(done=True)

    async def _recall(self, policy: Policy, stored: StoredMessage) -> Recall | None:
        """The team's sent replies to the messages closest to this one (None without a bank,
        or when it fails: a draft is never held up by what it could learn)."""
        c = stored.classification
        if self._bank is None or c is None:
            return None
        try:
            return await self._bank.recall(policy, stored.message.text, c.language, c.intent)
        except Exception:
            log.exception("reply bank look-up failed for message %d", stored.id)
            return None

    async def _rejected_like(self, recall: Recall | None, text: str | None) -> Match | None:
        """The rejected draft (for a message close to this one) that ``text`` is close to."""
        if self._bank is None or recall is None or not text:
            return None
        try:
            return await self._bank.rejected_like(recall, text)
        except Exception:
            log.exception("could not compare a draft with the rejected ones")
            return None

    async def _unlike_rejected(
        self, brief: DraftBrief, result: DraftResult, recall: Recall | None
    ) -> tuple[DraftResult, Match | None]:
        """A draft close to one a moderator rejected for a similar message is written once
        more, the model told the rejection's reason; the rejected draft it is still close to
        (its card says so, with the reason), if any. The first draft stands when the second
        fails or is refused by the output checks."""
        rejected = await self._rejected_like(recall, result.text)
        if rejected is None or result.text is None:
            return result, rejected
        reason = rejected.banked.reason or ""
        try:
            again = await self._drafter.draft(
                dataclasses.replace(brief, avoid=(result.text, reason))
            )
        except Exception:
            log.exception("regenerating a draft close to a rejected one failed")
            return result, rejected
        if again.text is None:
            return result, rejected
        note = f"regenerated once: close to a draft rejected by {rejected.banked.approver}"
        again = dataclasses.replace(
            again,
            notes=(note + (f" ({reason})" if reason else ""), *again.notes),
            seconds=result.seconds + again.seconds,
        )
        return again, await self._rejected_like(recall, again.text)

    async def _learned_from(
        self, draft_id: int, shown: Sequence[Match], rejected: Match | None
    ) -> None:
        """Record which banked replies the draft was shown, and the rejected draft it is
        close to (its card says so, with the reason)."""
        if self._bank is None:
            return
        try:
            await self._bank.record(draft_id, shown, rejected)
        except Exception:
            log.exception("could not record what draft %d learned from", draft_id)

    async def _drafted(
        self,
        stored: StoredMessage,
        decision: Decision,
        result: DraftResult,
        shown: Sequence[Match] = (),
        rejected: Match | None = None,
    ) -> None:
        draft = await self._store.add_draft(
            message_id=stored.id,
            text=result.text,
            group=decision.group,
            model=result.model,
            notes=result.notes,
            seconds=result.seconds,
        )
        if (draft.text, draft.model) != (result.text, result.model):
            return  # a moderator took over while the model wrote: theirs stands
        await self._learned_from(draft.id, shown, rejected)
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
        self,
        stored: StoredMessage,
        decision: Decision,
        exc: Exception,
        *,
        attempts: int,
        since: datetime,
    ) -> DraftStep:
        """Retry later with backoff; the card says so at the first failure and keeps Take
        over; past the patience the card says a human writes the reply. The team is told
        once per outage, not once per message."""
        reason = exception_text(exc)
        waited = utcnow() - since
        self._held_up.add(stored.id)
        await self._alert_drafter_down(stored.id, reason)
        if waited >= self._patience.patience:
            log.warning(
                "drafting message %d failed for %s, given up: %s", stored.id, waited, reason
            )
            notes = (
                f"drafting failed for {_span(waited)} ({reason}): a human writes this reply "
                "(Take over)",
            )
            draft = await self._store.add_draft(
                message_id=stored.id, text=None, group=decision.group, model="", notes=notes
            )
            await self._approvals.draft_ready(stored, decision, draft, notes)
            return DraftStep(done=True, error=reason)
        delay = self._patience.backoff(attempts)
        log.warning(
            "drafting message %d failed (try %d): %s; retrying in %.0fs",
            stored.id,
            attempts,
            reason,
            delay,
        )
        if attempts == 1:
            await self._approvals.drafting_delayed(
                stored,
                decision,
                f"the drafting model is failing ({reason}); retrying for up to "
                f"{_span(self._patience.patience)}. Take over to write the reply now.",
            )
        return DraftStep(done=False, retry_after=delay, error=reason)

    async def _alert_drafter_down(self, message_id: int, reason: str) -> None:
        if self._listener is None:
            return
        try:
            await self._listener.raise_alert(
                kind="drafter_down",
                key=self._drafter.name,
                at=utcnow(),
                count=len(self._held_up),
                summary=(
                    f"The drafting model ({self._drafter.name}) is failing: "
                    f"{len(self._held_up)} message(s) wait for a draft (retried; the "
                    f"cards offer Take over). Last error: {reason}"
                ),
                detail={"error": reason, "message_id": message_id},
                cooldown=timedelta(minutes=30),
                grow_factor=10.0,
            )
        except Exception:  # an alert must never stop a message from being answered
            log.exception("could not raise the drafter alert")


def _burst_key(stored: StoredMessage) -> tuple[str, ...]:
    """One member in one conversation (channel and thread)."""
    ref = stored.message.conversation
    return (str(ref.platform), ref.channel_id, ref.thread_id or "", stored.message.author.id)


def _span(d: timedelta) -> str:
    minutes = d.total_seconds() / 60
    if minutes < 2:
        return f"{d.total_seconds():.0f} s"
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def tone_of(c: Classification) -> str:
    """How a message's tone reads, in a correction's words."""
    if "sarcasm" in c.flags:
        return "sarcastic"
    return "toxic" if c.toxic else "not_toxic"


def describe(c: Classification) -> str:
    flags = ",".join(sorted(c.flags)) or "-"
    return (
        f"{c.intent} ({c.confidence:.2f}) {c.sentiment} lang={c.language} "
        f"toxicity={c.toxicity:.2f}{' TOXIC' if c.toxic else ''} flags={flags}"
    )


__all__ = [
    "ClassifierFactory",
    "Decision",
    "DraftStep",
    "DraftingPatience",
    "FactMeaning",
    "Judgement",
    "MeaningFactory",
    "Pipeline",
    "describe",
]
