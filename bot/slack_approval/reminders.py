"""Reminders in a card's thread when a draft waits past its group's response target."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError

from bot.every import run_every
from bot.policy import Policy
from bot.slack_approval import texts
from bot.slack_approval.mrkdwn import Mrkdwn, fmt, subteam, user
from bot.slack_approval.out import SlackOut, slack_error
from bot.store import cards as card_store
from bot.store.store import Store, utcnow

log = logging.getLogger(__name__)


class Reminders:
    """Mentions a group's approvers once per target period while its draft waits."""

    def __init__(self, *, store: Store, out: SlackOut, policy: Callable[[], Policy]) -> None:
        self._store = store
        self._out = out
        self._policy = policy

    async def remind_once(self, now: datetime | None = None) -> int:
        """Remind in the card's thread when a draft waits past its group's target; the
        number of reminders sent."""
        now = now or utcnow()
        groups = self._policy().groups
        sent = 0
        for card, since in await card_store.waiting_cards(self._store):
            entry = groups.get(card.group)
            if entry is None:
                continue
            target = timedelta(minutes=entry.respond_within_minutes)
            last = card.reminded_at or since
            if now - since < target or now - last < target:
                continue
            waited = int((now - since).total_seconds() // 60)
            mentions = Mrkdwn(" ").join(
                subteam(a) if a.startswith("S") else user(a) for a in entry.approvers
            )
            text = fmt(texts.REMINDER, waited, entry.respond_within_minutes, mentions)
            try:
                await self._out.post(card.channel, text, thread_ts=card.ts)
            except SlackApiError as exc:
                log.warning("reminder failed: %s", slack_error(exc))
                continue
            await card_store.mark_reminded(self._store, card.id, now)
            sent += 1
        return sent

    async def run(self, *, stop: asyncio.Event, interval: float) -> None:
        await run_every(interval, self.remind_once, stop=stop, what="reminders")
