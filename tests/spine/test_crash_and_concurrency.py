"""Durability: SIGKILLed workers lose nothing and post nothing twice; several workers on
PostgreSQL process each message exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.domain import ApprovalDecision, Platform, Verdict
from bot.store import Store, open_store
from bot.store import schema as t
from bot.store.store import utcnow
from tests.builders import make_message
from tests.conftest import SKIP_PG, drop_pg_schema, fresh_pg_url, sqlite_url

REPO = Path(__file__).resolve().parents[2]
HARNESS = REPO / "tests" / "spine" / "worker_harness.py"


async def start_worker(db_url: str, posts: Path, *extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(HARNESS),
        db_url,
        str(posts),
        *extra,
        cwd=REPO,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


async def seed(store: Store, n: int) -> None:
    platforms = list(Platform)
    for i in range(n):
        text = "buy spam now" if i % 10 == 0 else f"How do I do thing number {i}?"
        mid = await store.accept(
            make_message(
                text,
                message_id=f"m{i}",
                platform=platforms[i % 3],
                channel=f"c{i % 5}",
                author=f"member{i}",  # one member's burst would be one card and one draft
            )
        )
        assert mid is not None


async def approve_all(store: Store) -> int:
    n = 0
    for p in await store.pending_drafts(limit=10_000):
        outcome = await store.decide_draft(
            ApprovalDecision(
                draft_id=p.draft.id, actor="U_MOD", at=utcnow(), verdict=Verdict.APPROVE
            )
        )
        n += outcome.applied
    return n


def read_posts(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


async def run_to_completion(db_url: str, posts: Path, *extra: str) -> None:
    proc = await start_worker(db_url, posts, *extra)
    _, err = await asyncio.wait_for(proc.communicate(), 240)
    assert proc.returncode == 0, err.decode()[-3000:]


async def kill_repeatedly(db_url: str, posts: Path, kills: int, rng: random.Random) -> int:
    killed = 0
    for _ in range(kills):
        proc = await start_worker(db_url, posts, "--send-delay", "0.02")
        await asyncio.sleep(rng.uniform(0.8, 2.5))  # start-up takes ~0.7s
        if proc.returncode is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        await proc.wait()
    return killed


async def assert_exactly_once(store: Store, posts: Path, n_messages: int) -> None:
    async with store.engine.connect() as conn:
        stages: dict[str, int] = dict(
            (
                await conn.execute(
                    select(t.messages.c.stage, func.count()).group_by(t.messages.c.stage)
                )
            ).all()
        )
        drafts_per_message = Counter(
            (await conn.execute(select(t.drafts.c.message_id))).scalars().all()
        )
        outbox = (await conn.execute(select(t.outbox.c.idempotency_key, t.outbox.c.status))).all()
        open_jobs = (
            await conn.execute(
                select(func.count())
                .select_from(t.jobs)
                .where(t.jobs.c.status.in_(["ready", "claimed"]))
            )
        ).scalar_one()
        no_reply = (
            await conn.execute(
                select(func.count())
                .select_from(t.messages)
                .where(t.messages.c.action == "no_reply")
            )
        ).scalar_one()
    assert stages == {"decided": n_messages}
    assert set(drafts_per_message.values()) == {1}
    assert len(drafts_per_message) + no_reply == n_messages
    assert open_jobs == 0
    assert {s for _, s in outbox} == {"sent"}
    keys = Counter(p["idempotency_key"] for p in read_posts(posts))
    assert keys and max(keys.values()) == 1, [k for k, v in keys.items() if v > 1]
    assert set(keys) == {k for k, _ in outbox}


async def test_sigkilled_worker_loses_nothing_and_posts_nothing_twice(tmp_path: Path) -> None:
    rng = random.Random(20261124)
    url = sqlite_url(tmp_path)
    posts = tmp_path / "posts.jsonl"
    store = await open_store(url, upgrade=True)
    try:
        await seed(store, 300)
        killed = await kill_repeatedly(url, posts, 6, rng)
        await run_to_completion(url, posts)
        approved = await approve_all(store)
        assert approved == 270  # every non-spam message got exactly one draft
        killed += await kill_repeatedly(url, posts, 6, rng)
        await run_to_completion(url, posts)
        assert killed >= 6, "the kills should land while the worker is busy"
        await assert_exactly_once(store, posts, 300)
    finally:
        await store.aclose()


@pytest.mark.postgres
@pytest.mark.skipif(SKIP_PG, reason="TACTLINE_SKIP_POSTGRES=1")
async def test_several_workers_on_postgresql_process_each_message_once(tmp_path: Path) -> None:
    url = await fresh_pg_url()
    posts = tmp_path / "posts.jsonl"
    store = await open_store(url, upgrade=True)
    try:
        await seed(store, 400)
        procs = [await start_worker(url, posts) for _ in range(4)]
        for proc in procs:
            _, err = await asyncio.wait_for(proc.communicate(), 240)
            assert proc.returncode == 0, err.decode()[-3000:]
        assert await approve_all(store) == 360
        procs = [await start_worker(url, posts, "--send-delay", "0.01") for _ in range(4)]
        for proc in procs:
            _, err = await asyncio.wait_for(proc.communicate(), 240)
            assert proc.returncode == 0, err.decode()[-3000:]
        await assert_exactly_once(store, posts, 400)
        async with store.engine.connect() as conn:
            classified = Counter(
                (
                    await conn.execute(
                        select(t.audit.c.message_id).where(t.audit.c.event == "classified")
                    )
                )
                .scalars()
                .all()
            )
            workers = (
                await conn.execute(select(func.count(func.distinct(t.jobs.c.claimed_by))))
            ).scalar_one()
        assert set(classified.values()) == {1}, "a message was classified twice"
        assert workers > 1, "the work should have been shared"
    finally:
        await store.aclose()
        await drop_pg_schema(url)
