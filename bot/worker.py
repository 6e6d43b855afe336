"""Workers: claim jobs from the database and run them.

Three lanes that do not wait for each other: ``process`` (classify, route, card and alerts,
in batches, at arrival), ``draft`` (one message at a time, urgent ones first, retried with
backoff while the drafting backend fails) and ``deliver`` (the outbox): a slow draft never
holds back a card, an alert or a reply that is ready to post. Any number of workers on
PostgreSQL share the queue; SQLite supports one worker process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import traceback

from bot.config import WorkersConfig
from bot.delivery import Deliverer
from bot.every import wait_or_stop
from bot.pipeline import Pipeline
from bot.redact import exception_text
from bot.store.store import ClaimedJob, Store

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive_elsewhere(owner: str) -> bool:
    """Another process of this machine that is still running (``host:pid``)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


class Worker:
    def __init__(
        self,
        *,
        store: Store,
        pipeline: Pipeline,
        deliverer: Deliverer,
        config: WorkersConfig,
        batch_size: int = 16,
    ) -> None:
        self._store = store
        self._pipeline = pipeline
        self._deliverer = deliverer
        self._config = config
        self.name = worker_name()
        self._batch_size = batch_size
        self._started = False

    async def recover(self) -> int:
        """SQLite: jobs still claimed by a process that no longer runs go back to the queue at
        once (a crash mid-job); those of a live process (`tactline run` beside a `tactline
        worker`) stay its own. PostgreSQL: leases expire instead."""
        if not self._store.is_sqlite:
            return 0
        n = 0
        for owner in await self._store.claim_owners():
            if _alive_elsewhere(owner):
                continue
            n += await self._store.release_claims(worker=owner)
        if n:
            log.warning("released %d jobs left claimed by a worker that died", n)
        return n

    async def process_once(self) -> int:
        jobs = await self._store.claim(
            worker=self.name,
            kinds=["process"],
            limit=self._batch_size,
            lease=self._config.lease_seconds,
        )
        if not jobs:
            return 0
        try:
            await self._pipeline.process([j.ref_id for j in jobs])
        except Exception as exc:  # one bad batch must not stop the worker
            log.error(
                "processing batch %s failed: %s", [j.ref_id for j in jobs], exception_text(exc)
            )
            log.debug("%s", traceback.format_exc())
            if len(jobs) > 1:  # isolate the bad message: retry one by one
                for job in jobs:
                    await self._process_single(job)
                return len(jobs)
            await self._retry_or_bury(jobs[0], exc)
            return len(jobs)
        for job in jobs:
            await self._store.finish(job)
        return len(jobs)

    async def _process_single(self, job: ClaimedJob) -> None:
        try:
            await self._pipeline.process([job.ref_id])
        except Exception as exc:
            await self._retry_or_bury(job, exc)
        else:
            await self._store.finish(job)

    async def _retry_or_bury(self, job: ClaimedJob, exc: BaseException) -> None:
        # Stored with the job and logged: never a secret (bot/redact.py).
        error = f"{exc.__class__.__name__}: {exception_text(exc)}"
        if job.attempts >= self._config.max_attempts:
            log.error(
                "job %d (%s %d) failed %d times, giving up: %s",
                job.id,
                job.kind,
                job.ref_id,
                job.attempts,
                error,
            )
            await self._store.finish(job, dead=True, error=error)
        else:
            await self._store.retry_later(job, delay=2.0**job.attempts, error=error)

    async def draft_once(self) -> int:
        """Draft one message: one at a time, so an urgent message that arrives meanwhile is
        the next one drafted."""
        jobs = await self._store.claim(
            worker=self.name, kinds=["draft"], limit=1, lease=self._config.lease_seconds
        )
        for job in jobs:
            try:
                step = await self._pipeline.draft(
                    job.ref_id, attempts=job.attempts, queued_at=job.created_at
                )
            except Exception as exc:  # not the backend (handled inside): a bug or the database
                log.error(
                    "drafting job %d (message %d) failed: %s",
                    job.id,
                    job.ref_id,
                    exception_text(exc),
                )
                log.debug("%s", traceback.format_exc())
                await self._retry_or_bury(job, exc)
                continue
            if step.done:
                await self._store.finish(job, error=step.error)
            else:
                await self._store.retry_later(
                    job, delay=step.retry_after or 5.0, error=step.error or ""
                )
        return len(jobs)

    async def deliver_once(self) -> int:
        jobs = await self._store.claim(
            worker=self.name,
            kinds=["deliver"],
            limit=self._batch_size,
            lease=self._config.lease_seconds,
        )

        async def one(job: ClaimedJob) -> None:
            try:
                outcome = await self._deliverer.deliver(job.ref_id)
            except Exception as exc:
                log.error("delivery of outbox %d failed: %s", job.ref_id, exception_text(exc))
                await self._retry_or_bury(job, exc)
                return
            if outcome.done:
                await self._store.finish(job, error=outcome.error)
            else:
                await self._store.retry_later(
                    job, delay=outcome.retry_after or 5.0, error=outcome.error or ""
                )

        # Different conversations in parallel; a Retry-After on one does not block others.
        await asyncio.gather(*(one(j) for j in jobs))
        return len(jobs)

    async def run(
        self,
        *,
        stop: asyncio.Event,
        exit_when_idle: bool = False,
        lanes: tuple[str, ...] = ("process", "draft", "deliver"),
    ) -> None:
        """Run the lanes until ``stop`` is set (or, with ``exit_when_idle``, none has work).
        Only a process that holds the platform connections runs the ``deliver`` lane."""
        if self._started:
            raise RuntimeError("worker already started")
        self._started = True
        await self.recover()
        await self._lanes(stop=stop, exit_when_idle=exit_when_idle, lanes=lanes)

    async def drain(self, lanes: tuple[str, ...] = ("process", "draft", "deliver")) -> None:
        """Run the lanes until no job is due now (a retry due later does not count); may be
        called again, for batch runs and tests. Not beside a running :meth:`run`."""
        if self._started:
            raise RuntimeError("worker already running: drain is for a worker not started")
        await self._lanes(stop=asyncio.Event(), exit_when_idle=True, lanes=lanes)

    async def _lanes(
        self, *, stop: asyncio.Event, exit_when_idle: bool, lanes: tuple[str, ...]
    ) -> None:
        idle = dict.fromkeys(lanes, False)

        async def lane(kind: str) -> None:
            step = {
                "process": self.process_once,
                "draft": self.draft_once,
                "deliver": self.deliver_once,
            }[kind]
            while not stop.is_set():
                n = await step()
                idle[kind] = n == 0
                if (
                    exit_when_idle
                    and all(idle.values())
                    and not await self._store.due_jobs(kinds=lanes)
                ):
                    stop.set()
                    return
                if n == 0:
                    await wait_or_stop(stop, self._config.poll_interval)

        async with asyncio.TaskGroup() as tg:
            for kind in lanes:
                tg.create_task(lane(kind), name=f"worker-{kind}")
