"""Posting approved replies exactly once, through the outbox.

The outbox row goes ``pending → sending`` (committed) before the platform call. A crash or a
timeout during the call leaves ``sending``: the next attempt asks the adapter whether the
reply is already there (``find_sent``) before sending again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from adapters.base import Adapter
from bot.approval import ApprovalChannel
from bot.domain import Platform
from bot.errors import AdapterUnhealthy, DeliveryFailed, DeliveryUnknown
from bot.store.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    done: bool
    retry_after: float | None = None
    error: str | None = None


class Deliverer:
    def __init__(
        self,
        *,
        store: Store,
        adapters: Mapping[Platform, Adapter],
        approvals: ApprovalChannel,
        max_attempts: int = 5,
    ) -> None:
        self._store = store
        self._adapters = adapters
        self._approvals = approvals
        self._max_attempts = max_attempts

    async def deliver(self, outbox_id: int) -> DeliveryOutcome:
        item = await self._store.outbox_item(outbox_id)
        if item.status in ("sent", "failed", "stale"):
            return DeliveryOutcome(done=True)
        if item.source_deleted or item.source_edited:
            what = "deleted" if item.source_deleted else "edited"
            await self._store.mark_outbox(
                outbox_id, status="stale", error=f"source message {what} before posting"
            )
            await self._approvals.delivery_result(
                item.draft_id, None, f"not posted: the source message was {what} meanwhile"
            )
            return DeliveryOutcome(done=True)
        adapter = self._adapters.get(item.reply.conversation.platform)
        if adapter is None:
            return await self._fail_later(
                item.id,
                item.draft_id,
                item.attempts,
                f"no {item.reply.conversation.platform} adapter is running",
                60.0,
            )
        if item.status == "sending":
            # The previous attempt's outcome is unknown: reconcile before resending.
            try:
                receipt = await adapter.find_sent(item.reply)
            except DeliveryFailed as exc:
                if exc.permanent:  # the platform cannot tell: a human decides (Telegram)
                    return await self._give_up(item.id, item.draft_id, exc.reason)
                return await self._fail_later(
                    item.id, item.draft_id, item.attempts, f"reconciliation failed: {exc}", 10.0
                )
            except DeliveryUnknown as exc:
                return await self._fail_later(
                    item.id, item.draft_id, item.attempts, f"reconciliation failed: {exc}", 10.0
                )
            if receipt is not None:
                log.info("outbox %d was already posted; recording it", outbox_id)
                await self._store.mark_sent(outbox_id, receipt, reconciled=True)
                await self._approvals.delivery_result(item.draft_id, receipt, None)
                return DeliveryOutcome(done=True)
        if item.attempts >= self._max_attempts:
            return await self._give_up(
                item.id, item.draft_id, f"gave up after {item.attempts} attempts"
            )
        await self._store.mark_sending(outbox_id)
        try:
            receipt = await adapter.send(item.reply)
        except DeliveryUnknown as exc:
            await self._store.note_delivery_error(outbox_id, f"unknown outcome: {exc}")
            return DeliveryOutcome(done=False, retry_after=5.0, error=str(exc))
        except AdapterUnhealthy as exc:
            return await self._give_up(item.id, item.draft_id, f"adapter unhealthy: {exc}")
        except DeliveryFailed as exc:
            if exc.permanent:
                return await self._give_up(item.id, item.draft_id, exc.reason)
            # The send definitely did not happen: back to pending, try later.
            return await self._fail_later(
                item.id,
                item.draft_id,
                item.attempts + 1,
                exc.reason,
                exc.retry_after or 5.0 * (item.attempts + 1),
                definitely_unsent=True,
            )
        await self._store.mark_sent(outbox_id, receipt)
        await self._approvals.delivery_result(item.draft_id, receipt, None)
        return DeliveryOutcome(done=True)

    async def _fail_later(
        self,
        outbox_id: int,
        draft_id: int,
        attempts: int,
        error: str,
        delay: float,
        *,
        definitely_unsent: bool = False,
    ) -> DeliveryOutcome:
        if attempts >= self._max_attempts:
            return await self._give_up(outbox_id, draft_id, error)
        await self._store.note_delivery_error(outbox_id, error)
        if definitely_unsent:
            await self._store.reset_to_pending(outbox_id)
        log.warning("outbox %d: %s; retrying in %.0fs", outbox_id, error, delay)
        return DeliveryOutcome(done=False, retry_after=delay, error=error)

    async def _give_up(self, outbox_id: int, draft_id: int, error: str) -> DeliveryOutcome:
        await self._store.mark_outbox(outbox_id, status="failed", error=error)
        await self._approvals.delivery_result(draft_id, None, error)
        await self._approvals.admin_alert(f"reply for draft {draft_id} was not delivered: {error}")
        return DeliveryOutcome(done=True, error=error)
