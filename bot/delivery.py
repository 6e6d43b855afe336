"""Posting approved replies exactly once, through the outbox.

The outbox row goes ``pending → sending`` (committed) before the platform call. A crash or a
timeout during the call leaves ``sending``: the next attempt asks the adapter whether the
reply is already there (``find_sent``) before sending again.

A failure of the platform rather than of the reply (an outage, rate limits, the adapter not
running) is retried with exponential backoff (up to 5 minutes apart) for the configured
patience, so the backlog drains once the platform is back; the admins hear about it after
``max_attempts`` tries and again if it is given up. A failure of the reply itself (refused,
channel gone, token revoked) is given up at once.

A reply given up while its last attempt's outcome was unknown (the row still ``sending``: the
platform may have posted it) is never reported as "not delivered": the alert and the card say
it may have been posted and ask for the chat to be checked before anyone posts it again.
Error text from the adapters goes through :func:`bot.redact.exception_text` before it is
stored, logged or shown.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from adapters.base import Adapter
from bot.approval import ApprovalChannel
from bot.domain import Platform
from bot.errors import AdapterUnhealthy, DeliveryFailed, DeliveryUnknown
from bot.redact import exception_text
from bot.store.store import OutboxItem, Store, utcnow

log = logging.getLogger(__name__)
# In the error text of a reply given up with an unknown outcome. "unknown outcome" is one of
# the markers by which the approval card (bot.slack_approval.app) says "may have been posted".
MAYBE_SENT = "unknown outcome"
CHECK_THE_CHAT = "the reply may have been posted — check the chat before posting it again"


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
        patience: timedelta = timedelta(hours=6),
        base_backoff: float = 5.0,
        max_backoff: float = 300.0,
    ) -> None:
        self._store = store
        self._adapters = adapters
        self._approvals = approvals
        self._max_attempts = max_attempts
        self._patience = patience
        self._base_backoff = base_backoff
        self._max_backoff = max_backoff

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
            missing = f"no {item.reply.conversation.platform} adapter is running"
            unknown = item.status == "sending"  # an earlier attempt may have posted it
            return await self._fail_later(item, item.attempts, missing, 60.0, maybe_sent=unknown)
        if item.status == "sending":
            # The previous attempt's outcome is unknown: reconcile before resending.
            try:
                receipt = await adapter.find_sent(item.reply)
            except DeliveryFailed as exc:
                if exc.permanent:  # the platform cannot tell: a human decides (Telegram)
                    return await self._give_up(item, exception_text(exc), maybe_sent=True)
                return await self._fail_later(
                    item, item.attempts, f"reconciliation failed: {exception_text(exc)}", None
                )
            except DeliveryUnknown as exc:
                return await self._fail_later(
                    item, item.attempts, f"reconciliation failed: {exception_text(exc)}", None
                )
            if receipt is not None:
                log.info("outbox %d was already posted; recording it", outbox_id)
                await self._store.mark_sent(outbox_id, receipt, reconciled=True)
                await self._approvals.delivery_result(item.draft_id, receipt, None)
                return DeliveryOutcome(done=True)
        await self._store.mark_sending(outbox_id)
        try:
            receipt = await adapter.send(item.reply)
        except DeliveryUnknown as exc:  # stays "sending": the next try reconciles first
            return await self._fail_later(
                item, item.attempts + 1, f"unknown outcome: {exception_text(exc)}", None
            )
        except AdapterUnhealthy as exc:
            error = f"adapter unhealthy: {exception_text(exc)}"
            if exc.permanent:
                return await self._give_up(item, error)
            return await self._fail_later(
                item, item.attempts + 1, error, None, definitely_unsent=True
            )
        except DeliveryFailed as exc:
            if exc.permanent:
                return await self._give_up(item, exception_text(exc))
            # The send definitely did not happen: back to pending, try later.
            return await self._fail_later(
                item,
                item.attempts + 1,
                exception_text(exc),
                exc.retry_after,
                definitely_unsent=True,
            )
        await self._store.mark_sent(outbox_id, receipt)
        await self._approvals.delivery_result(item.draft_id, receipt, None)
        return DeliveryOutcome(done=True)

    async def _fail_later(
        self,
        item: OutboxItem,
        attempts: int,
        error: str,
        delay: float | None,
        *,
        definitely_unsent: bool = False,
        maybe_sent: bool | None = None,
    ) -> DeliveryOutcome:
        """Retry later: after ``delay`` when the platform said when (Retry-After), else with
        exponential backoff; give up once the reply has waited longer than the patience.
        ``maybe_sent`` (by default: not ``definitely_unsent``): the row stays ``sending``,
        the platform may have the reply."""
        waited = utcnow() - item.created_at
        if waited > self._patience:
            unknown = not definitely_unsent if maybe_sent is None else maybe_sent
            why = f"{error} (still failing after {_span(waited)})"
            return await self._give_up(item, why, maybe_sent=unknown)
        await self._store.note_delivery_error(item.id, error)
        if definitely_unsent:
            await self._store.reset_to_pending(item.id)
        if attempts == self._max_attempts and attempts > item.attempts:  # once, on a new try
            await self._approvals.admin_alert(
                f"reply for draft {item.draft_id} is not delivered yet after {attempts} "
                f"attempts ({error}); retrying for up to {_span(self._patience)}"
            )
        if delay is None:  # jittered, so a backlog does not retry in one burst
            backoff = min(self._max_backoff, self._base_backoff * 2 ** max(attempts - 1, 0))
            delay = backoff * random.uniform(0.8, 1.2)
        log.warning("outbox %d: %s; retrying in %.1fs", item.id, error, delay)
        return DeliveryOutcome(done=False, retry_after=delay, error=error)

    async def _give_up(
        self, item: OutboxItem, error: str, *, maybe_sent: bool = False
    ) -> DeliveryOutcome:
        """Stop trying: the row is failed, the card and the admins are told. ``maybe_sent``:
        the last attempt's outcome is unknown, so both are told the reply may be in the chat
        (a moderator reading "not delivered" would post it a second time)."""
        if maybe_sent:
            alert = (
                f"reply for draft {item.draft_id} may have been posted — check the chat before "
                f"posting it again ({error})"
            )
            marked = error if MAYBE_SENT in error else f"{MAYBE_SENT}: {error}"
            error = f"{marked}; {CHECK_THE_CHAT}"
        else:
            alert = f"reply for draft {item.draft_id} was not delivered: {error}"
        await self._store.mark_outbox(item.id, status="failed", error=error)
        await self._approvals.delivery_result(item.draft_id, None, error)
        await self._approvals.admin_alert(alert)
        return DeliveryOutcome(done=True, error=error)


def _span(d: timedelta) -> str:
    minutes = d.total_seconds() / 60
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"
