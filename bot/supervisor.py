"""The platform adapters' one owner: starts them, restarts the unreachable ones with backoff,
writes their health, stops them, and tells the deliverer which one may post."""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from adapters.base import Adapter, MessageSink
from bot.domain import Platform
from bot.errors import AdapterUnhealthy
from bot.every import Pace, backoff, run_every
from bot.redact import exception_text, redact
from bot.store.store import Store
from bot.worker import worker_name

log = logging.getLogger(__name__)

# adapter_health.last_error of an adapter that `tactline run` stopped on purpose
STOPPED = "stopped: tactline run ended"


@dataclass(frozen=True, slots=True)
class Supervision:
    """How often: the first restart of an adapter that could not start (doubling up to
    ``max_restart_delay``), and the health rows written for ``tactline status``."""

    restart_delay: float = 15.0
    max_restart_delay: float = 300.0
    health_interval: float = 5.0


@dataclass(frozen=True, slots=True)
class StartFailure:
    """Why an adapter did not start; ``permanent`` ones wait for an admin and a restart."""

    reason: str
    permanent: bool
    release: bool  # an unexpected failure: stop it, to free what it holds


class AdapterSupervisor:
    """Until :meth:`start_all`, every adapter given may be used to post (a caller that started
    them itself, or a test, relies on it); an adapter that fails to start is taken out of
    delivery (its replies wait in the outbox) until it starts again."""

    def __init__(
        self,
        *,
        adapters: Sequence[Adapter],
        store: Store,
        alert: Callable[[str], Awaitable[None]],
        supervision: Supervision = Supervision(),
    ) -> None:
        self._adapters = tuple(adapters)
        self._store = store
        self._alert = alert
        self._supervision = supervision
        self._down: set[Platform] = set()
        self._started: list[Adapter] = []
        self._given_up: set[str] = set()

    @property
    def adapters(self) -> tuple[Adapter, ...]:
        return self._adapters

    def adapter_for(self, platform: Platform) -> Adapter | None:
        """The adapter that posts to ``platform``, or None when none is running."""
        if platform in self._down:
            return None
        # as a dict by platform would: the last one given wins
        return next((a for a in reversed(self._adapters) if a.platform == platform), None)

    def available(self) -> frozenset[Platform]:
        """The platforms replies can be posted to now."""
        return frozenset(a.platform for a in self._adapters if a.platform not in self._down)

    @property
    def given_up(self) -> frozenset[str]:
        """Adapters refused for good (token, intent): not retried until a restart."""
        return frozenset(self._given_up)

    @property
    def started(self) -> tuple[Adapter, ...]:
        return tuple(self._started)

    def waiting(self) -> list[Adapter]:
        """Adapters that did not start and will be tried again."""
        return [
            a for a in self._adapters if a not in self._started and a.name not in self._given_up
        ]

    async def start_all(self, sink: MessageSink) -> list[Adapter]:
        """Start each adapter; one that cannot start is reported and the others go on."""
        for adapter in self._adapters:
            await self._try_start(adapter, sink)
        return list(self._started)

    async def run_restarts(self, sink: MessageSink, *, stop: asyncio.Event) -> None:
        """Start again, with backoff, the adapters whose platform was unreachable."""
        s = self._supervision
        delays = backoff(s.restart_delay, s.max_restart_delay)

        async def again() -> None:
            for adapter in self.waiting():
                if await self._try_start(adapter, sink):
                    await self._alert(f"adapter {adapter.name} is back")

        await run_every(
            lambda: next(delays),
            again,
            stop=stop,
            what="restarting adapters",
            pace=Pace(wait_first=True, done=lambda: not self.waiting()),
        )

    async def run_health(self, *, stop: asyncio.Event) -> None:
        """Write each started adapter's health to the database, for ``tactline status``."""
        await run_every(
            self._supervision.health_interval, self.report_health, stop=stop, what="health report"
        )

    async def report_health(self) -> None:
        for adapter in list(self._started):
            await self._save_health(adapter)

    async def stop_all(self) -> None:
        """Stop the started adapters and record that they stopped (else ``tactline status``
        would show them connected after we are gone)."""
        for adapter in self._started:
            try:
                await adapter.stop()
            except Exception as exc:  # stopping must not hide the reason we stop
                log.warning("stopping %s: %s", adapter.name, exception_text(exc))
            try:
                await self._save_health(adapter, stopped=True)
            except Exception as exc:
                log.warning("recording that %s stopped: %s", adapter.name, exception_text(exc))

    async def _try_start(self, adapter: Adapter, sink: MessageSink) -> bool:
        try:
            await adapter.start(sink)
        except Exception as exc:  # one adapter's bug must not stop the others
            failure = start_failure(adapter, exc)
        else:
            self._down.discard(adapter.platform)
            self._started.append(adapter)
            log.info("adapter %s listening", adapter.name)
            return True
        await self._failed(adapter, failure)
        return False

    async def _failed(self, adapter: Adapter, failure: StartFailure) -> None:
        self._down.add(adapter.platform)
        if failure.release:
            try:  # release what it holds (a half-started SDK client, a bound socket)
                await adapter.stop()
            except Exception as stop_exc:
                log.debug(
                    "stopping %s after a failed start: %s", adapter.name, exception_text(stop_exc)
                )
        again = "" if failure.permanent else "; retrying in the background"
        log.error("adapter %s cannot start: %s%s", adapter.name, failure.reason, again)
        await self._alert(f"adapter {adapter.name} is down: {failure.reason}{again}")
        await self._store.save_health(
            name=adapter.name,
            worker=worker_name(),
            connected=False,
            last_event_at=None,
            last_error=failure.reason,
        )
        if failure.permanent:
            self._given_up.add(adapter.name)

    async def _save_health(self, adapter: Adapter, *, stopped: bool = False) -> None:
        h = adapter.health()
        await self._store.save_health(
            name=h.name,
            worker=worker_name(),
            connected=h.connected and not stopped,
            last_event_at=h.last_event_at,
            last_error=STOPPED if stopped else (redact(h.last_error) if h.last_error else None),
        )


def start_failure(adapter: Adapter, exc: Exception) -> StartFailure:
    """What an exception from ``adapter.start`` means, in one line without secrets."""
    if isinstance(exc, AdapterUnhealthy):
        return StartFailure(exception_text(exc), exc.permanent, release=False)
    if isinstance(exc, OSError):  # e.g. two listeners on one port (both default to 8443)
        permanent = exc.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL)
        reason = f"{adapter.name}: cannot listen or connect: {exception_text(exc)}"
        return StartFailure(reason, permanent, release=True)
    log.debug("adapter %s failed to start", adapter.name, exc_info=exc)
    reason = f"{adapter.name}: {exc.__class__.__name__}: {exception_text(exc)}"
    return StartFailure(reason, permanent=False, release=True)
