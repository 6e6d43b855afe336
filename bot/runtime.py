"""``tactline run``'s loop: a started app's adapters, workers, policy reloads, operations
alerts, digest and approval reminders as tasks of one TaskGroup until the stop event."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.base import Audience, Reaction
from bot.app import App
from bot.domain import InboundMessage, Platform
from bot.every import run_every
from bot.redact import redact
from bot.supervisor import STOPPED

log = logging.getLogger(__name__)


class RuntimeSink:
    """What ``tactline run``'s adapters feed: the app's sink, plus a dead-letter place for
    updates the store keeps refusing (recorded, logged, and the admins alerted)."""

    def __init__(self, *, app: App) -> None:
        self._app = app

    async def accept(self, message: InboundMessage) -> bool:
        return await self._app.sink.accept(message)

    async def source_changed(
        self,
        platform: Platform,
        platform_message_id: str,
        *,
        deleted: bool,
        new_text: str | None = None,
        channel_id: str | None = None,
    ) -> None:
        await self._app.sink.source_changed(
            platform, platform_message_id, deleted=deleted, new_text=new_text, channel_id=channel_id
        )

    async def last_seen(self, platform: Platform, channel_id: str) -> str | None:
        return await self._app.sink.last_seen(platform, channel_id)

    async def reacted(self, reaction: Reaction) -> bool:
        return await self._app.sink.reacted(reaction)

    async def audience(self, audience: Audience) -> None:
        await self._app.sink.audience(audience)

    async def dead_letter(
        self, platform: Platform, ref: str, payload: dict[str, Any], reason: str, tries: int
    ) -> None:
        reason = redact(reason)
        new = await self._app.store.add_dead_letter(
            platform=platform, ref=ref, payload=payload, reason=reason, tries=tries
        )
        log.error(
            "%s update %s could not be stored after %d tries and was set aside "
            "(table dead_letters): %s",
            platform.value,
            ref,
            tries,
            reason,
        )
        if new:
            await self._app.listener.raise_alert(
                kind="dead_letter",
                key=f"{platform.value}:{ref}",
                at=datetime.now(UTC),
                count=1,
                summary=(
                    f"A {platform.value} update ({ref}) could not be stored after {tries} "
                    f"tries and was set aside in the dead_letters table: {reason}"
                ),
                detail={"platform": platform.value, "ref": ref},
                cooldown=timedelta(days=1),
                grow_factor=1e9,
            )


async def watch_operations(app: App, stop: asyncio.Event, interval: float = 30.0) -> None:
    """Adapters down and backlogs growing, checked periodically (alerts have cooldowns)."""
    await run_every(interval, app.listener.check_operations, stop=stop, what="operations check")


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


async def post_digest_if_due(app: App, now: datetime) -> bool:
    """Post the weekly digest once per ISO week, at the policy's weekday and hour (UTC)."""
    from bot.reports.metrics import build_report
    from bot.reports.render import digest

    cfg = app.policy.current().alerts.digest
    if not cfg.enabled or WEEKDAYS[now.weekday()] != cfg.weekday or now.hour < cfg.hour_utc:
        return False
    year, week, _ = now.isocalendar()
    key = f"{year}-W{week:02d}"
    if any(a["kind"] == "digest" and a["key"] == key for a in await app.listener.open_alerts()):
        return False
    report = await build_report(app.store, now - timedelta(days=7), now)
    raised = await app.listener.raise_alert(
        kind="digest",
        key=key,
        at=now,
        count=1,
        summary=digest(report),
        detail={},
        cooldown=timedelta(days=7),
        grow_factor=1e9,
    )
    return raised.notified


async def post_digests(app: App, stop: asyncio.Event, interval: float = 300.0) -> None:
    async def due() -> None:
        await post_digest_if_due(app, datetime.now(UTC))

    await run_every(interval, due, stop=stop, what="weekly digest")


async def serve(app: App, stop: asyncio.Event) -> None:
    """Everything ``tactline run`` does until ``stop`` is set: the adapters (started,
    restarted, their health written), the worker's lanes, policy reloads, operations alerts,
    the weekly digest, the approval service's reminders and the metrics endpoint."""
    metrics = None
    if app.config.metrics.enabled:
        from bot.reports.prometheus import start_metrics_server

        metrics = await start_metrics_server(
            app.store, app.config.metrics.host, app.config.metrics.port
        )
    sink = RuntimeSink(app=app)
    supervisor = app.supervisor
    await supervisor.start_all(sink)
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(app.worker.run(stop=stop), name="worker")
            tg.create_task(app.policy.run(stop=stop), name="policy-reload")
            tg.create_task(supervisor.run_health(stop=stop), name="health")
            tg.create_task(supervisor.run_restarts(sink, stop=stop), name="restarts")
            tg.create_task(watch_operations(app, stop), name="operations")
            tg.create_task(post_digests(app, stop), name="digest")
            if app.running.service is not None:
                tg.create_task(app.running.service.run(stop=stop), name="approval")
    finally:
        await supervisor.stop_all()
        if metrics is not None:
            await metrics.cleanup()


__all__ = ["STOPPED", "RuntimeSink", "post_digest_if_due", "serve"]
