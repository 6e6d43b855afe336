"""The cards in the approval channels, kept true to the store: posted when a message is
decided, updated as its draft waits, lands, is decided, escalated and delivered."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from bot.config import ApprovalConfig
from bot.domain import Action, Decision, DeliveryReceipt, Draft, DraftStatus, RuleMatch
from bot.slack_approval import texts
from bot.slack_approval.cards import CardState, card_blocks, card_fallback
from bot.slack_approval.mrkdwn import Mrkdwn, date, escape, fmt, link, user
from bot.slack_approval.out import SlackOut
from bot.store import cards as card_store
from bot.store import replies
from bot.store.store import Store, StoredMessage

# Errors of a delivery given up that do not mean "the platform refused it" (bot/delivery.py,
# and Telegram's find_sent, which cannot look): the reply may be in the chat.
MAYBE_SENT = ("unknown outcome", "reconciliation failed")


def decision_of(stored: StoredMessage) -> Decision:
    """The recorded decision, enough to render a card again (nothing recomputed)."""
    return Decision(
        action=Action(stored.action or "reply"),
        group=stored.group or "",
        strategy=stored.strategy or "",
        matched_rules=tuple(RuleMatch(r["rule"], r["reason"]) for r in stored.matched_rules),
        policy_version=stored.policy_version or "",
        urgent=stored.urgent,
    )


class CardBoard:
    """Posts and updates approval cards, one per message and group. ``intents``: what a
    moderator may correct a message's intent to (none: no "Not right?" control)."""

    def __init__(
        self,
        *,
        config: ApprovalConfig,
        store: Store,
        out: SlackOut,
        intents: Callable[[], Sequence[str]] = tuple,
    ) -> None:
        self._config = config
        self._store = store
        self._out = out
        self._intents = intents

    def channel_for(self, group: str) -> str:
        return self._config.channels.get(group) or self._config.channel

    async def message_decided(self, stored: StoredMessage, decision: Decision) -> None:
        if decision.action == Action.NO_REPLY or not self.channel_for(decision.group):
            return
        if await card_store.card_for(self._store, stored.id, decision.group) is not None:
            return  # a retried job: the card is already there
        fallback = card_fallback(stored.message.author.name, stored.message.text)
        blocks = card_blocks(stored, decision, CardState(intents=self._intents()))
        await self._post_card(stored, decision.group, fallback, blocks)

    async def _post_card(
        self,
        stored: StoredMessage,
        group: str,
        fallback: Mrkdwn,
        blocks: list[dict[str, Any]],
        draft_id: int | None = None,
    ) -> None:
        """Post a new card in the group's channel and remember where it is."""
        resp = await self._out.post(self.channel_for(group), fallback, blocks=blocks)
        await card_store.save_card(
            self._store,
            message_id=stored.id,
            group=group,
            channel=str(resp["channel"]),
            ts=str(resp["ts"]),
            draft_id=draft_id,
        )

    async def drafting_delayed(self, stored: StoredMessage, decision: Decision, note: str) -> None:
        fallback = card_fallback(texts.FALLBACK_WAITING.format(stored.message.author.name), note)
        burst = await self._store.burst_of(stored.id)
        await self._redraw_waiting(stored, decision, fallback, CardState(waiting=note, burst=burst))

    async def burst_grew(self, leader_id: int) -> None:
        [stored] = await self._store.messages([leader_id])
        burst = await self._store.burst_of(stored.id)
        fallback = card_fallback(stored.message.author.name, burst[-1].message.text)
        await self._redraw_waiting(stored, decision_of(stored), fallback, CardState(burst=burst))

    async def _redraw_waiting(
        self, stored: StoredMessage, decision: Decision, fallback: Mrkdwn, state: CardState
    ) -> None:
        """Redraw a card that has no draft yet (its burst, why it waits), if it is there."""
        card = await card_store.card_for(self._store, stored.id, decision.group)
        if card is None or card.draft_id is not None:
            return
        state = dataclasses.replace(state, intents=self._intents())
        await self._out.update(
            card.channel, card.ts, fallback, card_blocks(stored, decision, state)
        )

    async def draft_ready(
        self, stored: StoredMessage, decision: Decision, draft: Draft, notes: tuple[str, ...]
    ) -> None:
        card = await card_store.card_for(self._store, stored.id, decision.group)
        burst = await self._store.burst_of(stored.id)
        state = CardState(
            draft,
            notes,
            burst=burst,
            learned=await replies.uses_of(self._store.db, draft.id),
            intents=self._intents(),
        )
        blocks = card_blocks(stored, decision, state)
        text = card_fallback(texts.FALLBACK_DRAFT.format(stored.message.author.name), draft.text)
        if card is None:
            await self._post_card(stored, decision.group, text, blocks, draft_id=draft.id)
        else:
            await self._out.update(card.channel, card.ts, text, blocks)
            await card_store.attach_draft(self._store, card.id, draft.id)

    async def delivery_result(
        self, draft_id: int, receipt: DeliveryReceipt | None, error: str | None
    ) -> None:
        if receipt is not None:
            where = (
                link(receipt.permalink, texts.VIEW_REPLY)
                if receipt.permalink
                else fmt(texts.POSTED_AS, ", ".join(receipt.platform_message_ids))
            )
            line = fmt(texts.POSTED, receipt.platform, date(receipt.sent_at), where)
        elif any(marker in (error or "") for marker in MAYBE_SENT):
            # The send may have reached the platform: "nothing was posted" would invite a
            # moderator to post the reply twice.
            line = fmt(texts.MAYBE_POSTED, error, await self._chat_link(draft_id))
        else:
            line = fmt(texts.NOT_DELIVERED, error)
        await self.refresh(draft_id, extra=line)

    async def _chat_link(self, draft_id: int) -> Mrkdwn:
        """`` (link to the source message)`` when the platform gave one."""
        draft = await self._store.draft(draft_id)
        permalink = (await self._store.message(draft.message_id)).message.raw.get("permalink")
        if isinstance(permalink, str) and permalink:
            return Mrkdwn(" (") + link(permalink, texts.OPEN_MESSAGE) + Mrkdwn(")")
        return Mrkdwn("")

    async def refresh(self, draft_id: int, *, extra: Mrkdwn | None = None) -> None:
        """Show the draft's card as the store has it now, with its verdict, and ``extra``."""
        card = await card_store.card_for_draft(self._store, draft_id)
        if card is None:
            return
        draft = await self._store.draft(draft_id)
        stored = await self._store.message(card.message_id)
        lines = await self._outcome_lines(draft)
        if extra:
            lines.append(extra)
        outcome = Mrkdwn("\n").join(lines) if lines else None
        state = CardState(
            draft,
            outcome=outcome,
            burst=await self._store.burst_of(stored.id),
            learned=await replies.uses_of(self._store.db, draft_id),
            intents=self._intents(),
        )
        await self._out.update(
            card.channel,
            card.ts,
            texts.FALLBACK_STATUS.format(draft_id, draft.status),
            card_blocks(stored, decision_of(stored), state),
        )

    async def relabelled(self, message_id: int, group: str) -> None:
        """Redraw the message's card in ``group`` with how it is read now."""
        card = await card_store.card_for(self._store, message_id, group)
        if card is None:
            return
        if card.draft_id is not None:
            await self.refresh(card.draft_id)
            return
        stored = await self._store.message(message_id)
        fallback = card_fallback(stored.message.author.name, stored.message.text)
        burst = await self._store.burst_of(stored.id)
        await self._redraw_waiting(stored, decision_of(stored), fallback, CardState(burst=burst))

    async def _outcome_lines(self, draft: Draft) -> list[Mrkdwn]:
        lines: list[Mrkdwn] = []
        verdict = await card_store.last_verdict(self._store, draft.id)
        if verdict is not None:
            actor, word, at, reason, target = verdict
            line = fmt(texts.VERDICT, texts.VERDICT_WORDS.get(word, word), user(actor), date(at))
            if reason:
                line += fmt(texts.VERDICT_REASON, reason)
            if target:
                line += fmt(texts.VERDICT_TARGET, target)
            lines.append(line)
        if draft.status == DraftStatus.STALE:
            lines.append(escape(texts.SOURCE_CHANGED))
        return lines

    async def escalated(self, new_draft_id: int) -> None:
        """The escalated draft's card in its new group's channel (or the card it has)."""
        draft = await self._store.draft(new_draft_id)
        stored = await self._store.message(draft.message_id)
        group = await card_store.draft_group(self._store, new_draft_id)
        existing = await card_store.card_for(self._store, stored.id, group)
        if existing is not None:
            await card_store.attach_draft(self._store, existing.id, new_draft_id)
            await self.refresh(new_draft_id)
            return
        recorded = decision_of(stored)
        decision = Decision(
            recorded.action,
            group,
            recorded.strategy,
            recorded.matched_rules,
            recorded.policy_version,
            urgent=recorded.urgent,
        )
        notes = (texts.NOTE_ESCALATED.format(group),)
        resp = await self._out.post(
            self.channel_for(group),
            card_fallback(texts.FALLBACK_ESCALATED.format(group), stored.message.text),
            blocks=card_blocks(stored, decision, CardState(draft, notes)),
        )
        await card_store.save_card(
            self._store,
            message_id=stored.id,
            group=group,
            channel=str(resp["channel"]),
            ts=str(resp["ts"]),
            draft_id=new_draft_id,
        )
