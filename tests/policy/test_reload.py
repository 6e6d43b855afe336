"""A running Tactline takes good edits and keeps the last good policy on a broken one."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from bot.errors import PolicyErrors
from bot.policy import PolicyWatcher
from tests.policy.helpers import edit, policy_copy


def touch_later(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


async def test_good_edit_applies_broken_edit_is_rejected_once(tmp_path: Path) -> None:
    d = policy_copy(tmp_path)
    errors: list[PolicyErrors] = []

    async def on_error(e: PolicyErrors) -> None:
        errors.append(e)

    w = PolicyWatcher(directory=d, interval=0.05, on_error=on_error)
    assert await w.reload_now()
    first = w.current()
    assert not await w.reload_now()  # nothing changed

    edit(d, "brand.toml", "max_facts = 3", "max_facts = 2")
    touch_later(d / "brand.toml")
    assert await w.reload_now()
    second = w.current()
    assert second.version != first.version and second.brand.brand.max_facts == 2

    edit(d, "routing.toml", 'action = "no_reply"', 'action = "delete"')
    touch_later(d / "routing.toml")
    assert not await w.reload_now()
    assert w.current() is second
    assert len(errors) == 1 and "never deletes" in str(errors[0])
    assert not await w.reload_now()
    assert len(errors) == 1  # told once per broken state, not at every poll

    edit(d, "routing.toml", 'action = "delete"', 'action = "no_reply"')
    touch_later(d / "routing.toml")
    await w.reload_now()
    assert w.current().version == second.version and w.last_error is None


async def test_run_loop_picks_up_edits(tmp_path: Path) -> None:
    d = policy_copy(tmp_path)
    w = PolicyWatcher(directory=d, interval=0.02)
    await w.reload_now()
    before = w.current().version
    stop = asyncio.Event()
    task = asyncio.create_task(w.run(stop=stop))
    edit(d, "brand.toml", "max_facts = 3", "max_facts = 1")
    touch_later(d / "brand.toml")
    for _ in range(200):
        if w.current().version != before:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert w.current().brand.brand.max_facts == 1


async def test_broken_policy_at_start_is_an_error(tmp_path: Path) -> None:
    d = policy_copy(tmp_path)
    (d / "intents.toml").write_text("")
    with pytest.raises(PolicyErrors):
        await PolicyWatcher(directory=d).reload_now()
