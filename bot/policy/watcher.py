"""Reloading policy files while Tactline runs: a good edit takes effect, a broken one never.

The watcher polls the directory (cheap: names, sizes and mtimes), reloads on change, and
keeps the last good policy when the new files do not validate, telling admins what is wrong
once per broken state rather than at every poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.errors import PolicyErrors
from bot.every import Pace, run_every
from bot.policy.loader import Policy, load_policy

log = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int], ...]


def _fingerprint(directory: Path) -> Fingerprint:
    out = []
    with contextlib.suppress(OSError):
        for p in sorted(directory.glob("*.toml")):
            with contextlib.suppress(OSError):
                st = p.stat()
                out.append((p.name, st.st_mtime_ns, st.st_size))
    return tuple(out)


class PolicyWatcher:
    def __init__(
        self,
        *,
        directory: Path,
        interval: float = 2.0,
        on_error: Callable[[PolicyErrors], Awaitable[object]] | None = None,
        on_change: Callable[[Policy], Awaitable[object]] | None = None,
    ) -> None:
        self.directory = directory
        self.interval = interval
        self._on_error = on_error
        self._on_change = on_change
        self._policy: Policy | None = None
        self._seen: Fingerprint | None = None
        self.last_error: PolicyErrors | None = None

    def current(self) -> Policy:
        if self._policy is None:
            raise RuntimeError("no policy loaded yet: call reload_now() first")
        return self._policy

    async def reload_now(self) -> bool:
        """Load the files if they changed. True when a new policy took effect.

        With no good policy yet (at start-up), a broken one raises PolicyErrors.
        """
        fingerprint = _fingerprint(self.directory)
        if fingerprint == self._seen and self._policy is not None:
            return False
        self._seen = fingerprint
        try:
            policy = await asyncio.to_thread(load_policy, self.directory)
        except PolicyErrors as errors:
            if self._policy is None:
                raise
            self.last_error = errors
            log.warning(
                "policy edit rejected, keeping version %s:\n%s", self._policy.version, errors
            )
            if self._on_error is not None:
                await self._on_error(errors)
            return False
        self.last_error = None
        if self._policy is not None and policy.version == self._policy.version:
            return False
        previous, self._policy = self._policy, policy
        if previous is not None:
            log.info("policy reloaded: %s -> %s", previous.version, policy.version)
            if self._on_change is not None:
                await self._on_change(policy)
        return True

    async def run(self, *, stop: asyncio.Event) -> None:
        """Poll every ``interval`` seconds until ``stop``; an unexpected failure of a reload
        is logged and the current policy stays (a watcher must not take the service down)."""
        await run_every(
            self.interval,
            self.reload_now,
            stop=stop,
            what="policy reload (the current policy stays)",
            pace=Pace(wait_first=True),
        )
