"""The approval channel seam: where humans see cards, alerts and delivery results.

The Slack approval app implements it for real teams (an ``ApprovalService``: it also has a
connection to start and stop, and reminders to run); ``LogApprovalChannel`` writes the same
events to the log, for a single operator at a terminal and for the demo.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.domain import Decision, DeliveryReceipt, Draft
from bot.policy import Policy
from bot.store.store import Store, StoredMessage

log = logging.getLogger("tactline.approval")


class ApprovalChannel(Protocol):
    async def message_decided(self, stored: StoredMessage, decision: Decision) -> None:
        """A message was classified and routed: show it at once (attacks before drafts)."""
        ...

    async def burst_grew(self, leader_id: int) -> None:
        """Another message of a member's burst joined the card of message ``leader_id``."""
        ...

    async def drafting_delayed(self, stored: StoredMessage, decision: Decision, note: str) -> None:
        """The drafting model is failing for this message: it is retried, and a human may
        take over meanwhile (``note`` says why and for how long)."""
        ...

    async def draft_ready(
        self, stored: StoredMessage, decision: Decision, draft: Draft, notes: tuple[str, ...]
    ) -> None:
        """A draft awaits a human decision."""
        ...

    async def delivery_result(
        self, draft_id: int, receipt: DeliveryReceipt | None, error: str | None
    ) -> None:
        """A reply was posted (receipt) or could not be (error): update the card."""
        ...

    async def admin_alert(self, text: str) -> None:
        """Something admins must know (broken policy, invalid token, failed delivery).
        Never posted to a community channel."""
        ...


class ApprovalService(ApprovalChannel, Protocol):
    """An approval channel with a lifecycle of its own (the Slack app): built by the app with
    an :class:`ApprovalContext`, started after it and stopped before it."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def run(self, *, stop: asyncio.Event) -> None:
        """Its periodic work (reminders) until ``stop`` is set."""
        ...


class Corrector(Protocol):
    async def correct(
        self, message_id: int, field: str, value: str, author: str
    ) -> Decision | None:
        """A moderator corrected how a message was read (``field`` intent or tone): record
        it and decide the message again; the new decision (None: not classified)."""
        ...


@dataclass(frozen=True, slots=True)
class ApprovalContext:
    """What an approval service reads: the store, the policy in force now, and where a
    moderator's correction of a label goes (None: cards offer no correction)."""

    store: Store
    policy: Callable[[], Policy]
    corrector: Corrector | None = None


ApprovalFactory = Callable[[ApprovalContext], ApprovalService]


class LogApprovalChannel:
    """Approval events as log lines; drafts are approved with ``tactline drafts``."""

    async def message_decided(self, stored: StoredMessage, decision: Decision) -> None:
        c = stored.classification
        level = logging.WARNING if decision.urgent else logging.INFO
        log.log(
            level,
            "message %d %s/%s intent=%s action=%s group=%s%s",
            stored.id,
            stored.message.platform,
            stored.message.conversation.channel_name or stored.message.conversation.channel_id,
            c.intent if c else "?",
            decision.action,
            decision.group,
            " URGENT" if decision.urgent else "",
        )

    async def burst_grew(self, leader_id: int) -> None:
        log.info("another message joined the burst of message %d (one card, one draft)", leader_id)

    async def drafting_delayed(self, stored: StoredMessage, decision: Decision, note: str) -> None:
        log.warning("message %d waits for its draft: %s", stored.id, note)

    async def draft_ready(
        self, stored: StoredMessage, decision: Decision, draft: Draft, notes: tuple[str, ...]
    ) -> None:
        log.info(
            "draft %d for message %d awaits approval by %s", draft.id, stored.id, decision.group
        )

    async def delivery_result(
        self, draft_id: int, receipt: DeliveryReceipt | None, error: str | None
    ) -> None:
        if receipt is not None:
            log.info("draft %d posted as %s", draft_id, ",".join(receipt.platform_message_ids))
        else:
            log.error("draft %d not delivered: %s", draft_id, error)

    async def admin_alert(self, text: str) -> None:
        log.error("ADMIN ALERT: %s", text)
