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
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Protocol, TypedDict, Unpack

from adapters.base import Adapter
from bot.approval import ApprovalChannel
from bot.domain import Platform
from bot.errors import AdapterUnhealthy, DeliveryFailed, DeliveryUnknown
from bot.every import retry_delay
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


class AdapterLookup(Protocol):
    """Who posts to a platform: the adapter supervisor (``bot.supervisor``), which knows
    which adapters are running."""

    def adapter_for(self, platform: Platform) -> Adapter | None: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long a reply is retried: the admins are told after ``max_attempts`` tries, it is
    given up after ``patience``; backoff from ``base_backoff`` doubling to ``max_backoff``."""

    max_attempts: int = 5
    patience: timedelta = timedelta(hours=6)
    base_backoff: float = 5.0
    max_backoff: float = 300.0


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed attempt. ``delay``: when the platform said when (Retry-After).
    ``maybe_sent`` (by default: not ``definitely_unsent``): the platform may have the reply."""

    attempts: int
    error: str
    delay: float | None = None
    definitely_unsent: bool = False
    maybe_sent: bool | None = None

    @property
    def unknown(self) -> bool:
        return not self.definitely_unsent if self.maybe_sent is None else self.maybe_sent


class RetryOverrides(TypedDict, total=False):
    max_attempts: int
    patience: timedelta
    base_backoff: float
    max_backoff: float


class FixedAdapters:
    """Adapters by platform, all taken as running (a caller that started them itself)."""

    def __init__(self, adapters: Mapping[Platform, Adapter]) -> None:
        self._adapters = dict(adapters)

    def adapter_for(self, platform: Platform) -> Adapter | None:
        return self._adapters.get(platform)


class Deliverer:
    """Posts one outbox row per call; ``adapters`` says who posts to a platform now."""

    def __init__(
        self,
        *,
        store: Store,
        adapters: AdapterLookup | Mapping[Platform, Adapter],
        approvals: ApprovalChannel,
        retry: RetryPolicy = RetryPolicy(),
        **overrides: Unpack[RetryOverrides],
    ) -> None:
        self._store = store
        self._adapters = FixedAdapters(adapters) if isinstance(adapters, Mapping) else adapters
        self._approvals = approvals
        self._retry = replace(retry, **overrides)

    async def deliver(self, outbox_id: int) -> DeliveryOutcome:
        item = await self._store.outbox_item(outbox_id)
        if item.status in ("sent", "failed", "stale"):
            return DeliveryOutcome(done=True)
        if item.source_deleted or item.source_edited:
            return await self._stale(item)
        adapter = self._adapters.adapter_for(item.reply.conversation.platform)
        if adapter is None:
            missing = f"no {item.reply.conversation.platform} adapter is running"
            unknown = item.status == "sending"  # an earlier attempt may have posted it
            return await self._fail_later(
                item, Failure(item.attempts, missing, 60.0, maybe_sent=unknown)
            )
        if item.status == "sending":
            # The previous attempt's outcome is unknown: reconcile before resending.
            reconciled = await self._reconcile(item, adapter)
            if reconciled is not None:
                return reconciled
        return await self._send(item, adapter)

    async def _stale(self, item: OutboxItem) -> DeliveryOutcome:
        what = "deleted" if item.source_deleted else "edited"
        await self._store.mark_outbox(
            item.id, status="stale", error=f"source message {what} before posting"
        )
        await self._approvals.delivery_result(
            item.draft_id, None, f"not posted: the source message was {what} meanwhile"
        )
        return DeliveryOutcome(done=True)

    async def _reconcile(self, item: OutboxItem, adapter: Adapter) -> DeliveryOutcome | None:
        """Ask the platform whether the reply is there: an outcome, or None to send it."""
        try:
            receipt = await adapter.find_sent(item.reply)
        except DeliveryFailed as exc:
            if exc.permanent:  # the platform cannot tell: a human decides (Telegram)
                return await self._give_up(item, exception_text(exc), maybe_sent=True)
            error = f"reconciliation failed: {exception_text(exc)}"
            return await self._fail_later(item, Failure(item.attempts, error))
        except DeliveryUnknown as exc:
            error = f"reconciliation failed: {exception_text(exc)}"
            return await self._fail_later(item, Failure(item.attempts, error))
        if receipt is None:
            return None
        log.info("outbox %d was already posted; recording it", item.id)
        await self._store.mark_sent(item.id, receipt, reconciled=True)
        await self._approvals.delivery_result(item.draft_id, receipt, None)
        return DeliveryOutcome(done=True)

    async def _send(self, item: OutboxItem, adapter: Adapter) -> DeliveryOutcome:
        await self._store.mark_sending(item.id)
        attempts = item.attempts + 1
        try:
            receipt = await adapter.send(item.reply)
        except DeliveryUnknown as exc:  # stays "sending": the next try reconciles first
            error = f"unknown outcome: {exception_text(exc)}"
            return await self._fail_later(item, Failure(attempts, error))
        except AdapterUnhealthy as exc:
            error = f"adapter unhealthy: {exception_text(exc)}"
            if exc.permanent:
                return await self._give_up(item, error)
            return await self._fail_later(item, Failure(attempts, error, definitely_unsent=True))
        except DeliveryFailed as exc:
            if exc.permanent:
                return await self._give_up(item, exception_text(exc))
            # The send definitely did not happen: back to pending, try later.
            failure = Failure(
                attempts, exception_text(exc), exc.retry_after, definitely_unsent=True
            )
            return await self._fail_later(item, failure)
        await self._store.mark_sent(item.id, receipt)
        await self._approvals.delivery_result(item.draft_id, receipt, None)
        return DeliveryOutcome(done=True)

    async def _fail_later(self, item: OutboxItem, failure: Failure) -> DeliveryOutcome:
        """Retry later: after ``failure.delay`` when the platform said when, else with
        exponential backoff; give up once the reply has waited longer than the patience.
        An unknown outcome leaves the row ``sending``: the platform may have the reply."""
        retry, error, attempts = self._retry, failure.error, failure.attempts
        waited = utcnow() - item.created_at
        if waited > retry.patience:
            why = f"{error} (still failing after {_span(waited)})"
            return await self._give_up(item, why, maybe_sent=failure.unknown)
        await self._store.note_delivery_error(item.id, error)
        if failure.definitely_unsent:
            await self._store.reset_to_pending(item.id)
        if attempts == retry.max_attempts and attempts > item.attempts:  # once, on a new try
            await self._approvals.admin_alert(
                f"reply for draft {item.draft_id} is not delivered yet after {attempts} "
                f"attempts ({error}); retrying for up to {_span(retry.patience)}"
            )
        delay = failure.delay
        if delay is None:
            delay = retry_delay(attempts, retry.base_backoff, retry.max_backoff)
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
