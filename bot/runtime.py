"""``tactline run``: adapters, workers, policy reloads and the approval channel in one loop."""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.base import Adapter
from bot.app import App
from bot.domain import InboundMessage, Platform
from bot.errors import AdapterUnhealthy
from bot.redact import exception_text, redact
from bot.worker import worker_name

log = logging.getLogger(__name__)

# adapter_health.last_error of an adapter that `tactline run` stopped on purpose
STOPPED = "stopped: tactline run ended"


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


async def start_adapters(app: App, adapters: Sequence[Adapter]) -> list[Adapter]:
    """Start each adapter; one that cannot start is reported, taken out of delivery (its
    replies wait in the outbox) and the others keep going."""
    started = []
    for adapter in adapters:
        if await _try_start(app, adapter):
            started.append(adapter)
    return started


async def _try_start(app: App, adapter: Adapter) -> bool:
    unexpected = True
    try:
        await adapter.start(RuntimeSink(app=app))
    except AdapterUnhealthy as exc:
        reason, permanent, unexpected = exception_text(exc), exc.permanent, False
    except OSError as exc:  # e.g. two listeners on one port (both default to 8443)
        permanent = exc.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL)
        reason = f"{adapter.name}: cannot listen or connect: {exception_text(exc)}"
    except Exception as exc:  # one adapter's bug must not stop the others
        log.debug("adapter %s failed to start", adapter.name, exc_info=True)
        permanent = False
        reason = f"{adapter.name}: {exc.__class__.__name__}: {exception_text(exc)}"
    else:
        app.adapters[adapter.platform] = adapter
        log.info("adapter %s listening", adapter.name)
        return True
    app.adapters.pop(adapter.platform, None)
    if unexpected:
        try:  # release what it holds (a half-started SDK client, a bound socket)
            await adapter.stop()
        except Exception as stop_exc:
            log.debug("stopping %s after a failed start: %s", adapter.name, stop_exc)
    again = "" if permanent else "; retrying in the background"
    log.error("adapter %s cannot start: %s%s", adapter.name, reason, again)
    await app.approvals.admin_alert(f"adapter {adapter.name} is down: {reason}{again}")
    await app.store.save_health(
        name=adapter.name,
        worker=worker_name(),
        connected=False,
        last_event_at=None,
        last_error=reason,
    )
    if permanent:
        app.given_up.add(adapter.name)
    return False


async def restart_adapters(
    app: App,
    adapters: Sequence[Adapter],
    started: list[Adapter],
    stop: asyncio.Event,
    first_delay: float = 15.0,
    max_delay: float = 300.0,
) -> None:
    """Start again, with backoff, the adapters that could not start because their platform
    was unreachable. One refused for good (token, intent) waits for an admin and a restart."""
    delay = first_delay
    while not stop.is_set():
        waiting = [a for a in adapters if a not in started and a.name not in app.given_up]
        if not waiting:
            return
        try:
            await asyncio.wait_for(stop.wait(), delay)
            return
        except TimeoutError:
            pass
        for adapter in waiting:
            if await _try_start(app, adapter):
                started.append(adapter)
                await app.approvals.admin_alert(f"adapter {adapter.name} is back")
        delay = min(delay * 2, max_delay)


async def report_health(
    app: App, adapters: Sequence[Adapter], stop: asyncio.Event, interval: float = 5.0
) -> None:
    """Write each adapter's health to the database, for ``tactline status`` anywhere."""
    while not stop.is_set():
        for adapter in adapters:
            await _save_health(app, adapter)
        try:
            await asyncio.wait_for(stop.wait(), interval)
        except TimeoutError:
            pass


async def _save_health(app: App, adapter: Adapter, *, stopped: bool = False) -> None:
    h = adapter.health()
    await app.store.save_health(
        name=h.name,
        worker=worker_name(),
        connected=h.connected and not stopped,
        last_event_at=h.last_event_at,
        last_error=STOPPED if stopped else (redact(h.last_error) if h.last_error else None),
    )


async def watch_operations(app: App, stop: asyncio.Event, interval: float = 30.0) -> None:
    """Adapters down and backlogs growing, checked periodically (alerts have cooldowns)."""
    while not stop.is_set():
        try:
            await app.listener.check_operations()
        except Exception:
            log.exception("operations check failed")
        try:
            await asyncio.wait_for(stop.wait(), interval)
        except TimeoutError:
            pass


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
    while not stop.is_set():
        try:
            await post_digest_if_due(app, datetime.now(UTC))
        except Exception:
            log.exception("weekly digest failed")
        try:
            await asyncio.wait_for(stop.wait(), interval)
        except TimeoutError:
            pass


async def serve(
    app: App,
    adapters: Sequence[Adapter],
    stop: asyncio.Event,
    *,
    extra: Sequence[Coroutine[Any, Any, None]] = (),
    restart_delay: float = 15.0,
) -> None:
    metrics = None
    if app.config.metrics.enabled:
        from bot.reports.prometheus import start_metrics_server

        metrics = await start_metrics_server(
            app.store, app.config.metrics.host, app.config.metrics.port
        )
    started = await start_adapters(app, adapters)
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(app.worker.run(stop=stop), name="worker")
            tg.create_task(app.policy.run(stop=stop), name="policy-reload")
            tg.create_task(report_health(app, started, stop), name="health")
            tg.create_task(
                restart_adapters(app, adapters, started, stop, restart_delay), name="restarts"
            )
            tg.create_task(watch_operations(app, stop), name="operations")
            tg.create_task(post_digests(app, stop), name="digest")
            for job in extra:
                tg.create_task(job)
    finally:
        for adapter in started:
            try:
                await adapter.stop()
            except Exception as exc:  # stopping must not hide the reason we stop
                log.warning("stopping %s: %s", adapter.name, exception_text(exc))
            try:  # else `tactline status` would show it connected after we are gone
                await _save_health(app, adapter, stopped=True)
            except Exception as exc:
                log.warning("recording that %s stopped: %s", adapter.name, exception_text(exc))
        if metrics is not None:
            await metrics.cleanup()
