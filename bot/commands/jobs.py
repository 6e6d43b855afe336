"""``tactline jobs``: the jobs that need a look (dead, failing, stuck), and putting them back.

A dead job is one given up after ``[workers] max_attempts`` (a bug, or the database refusing
a message); a failing one waits for its next try (a drafting model or a platform down); a
stuck one has been due or claimed for longer than ``--stuck-after`` minutes (no worker is
running, or one hangs). ``tactline jobs retry`` puts dead jobs back in the queue.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from bot.app import open_database
from bot.config import Config
from bot.redact import redact
from bot.store.store import JobRow

# What each kind of job does, as a moderator or admin would say it.
_KINDS = {
    "process": "classify and card message",
    "draft": "draft message",
    "deliver": "post outbox",
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("jobs", help="dead, failing and stuck jobs, with their reason; retry them")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--stuck-after",
        type=float,
        default=10.0,
        metavar="MINUTES",
        help="a job due or claimed this long counts as stuck (default 10)",
    )
    p.set_defaults(handler=list_jobs)
    jobs_sub = p.add_subparsers(dest="jobs_command")
    r = jobs_sub.add_parser("retry", help="put dead jobs back in the queue")
    r.add_argument(
        "ids", nargs="*", type=int, metavar="ID", help="job ids (default: every dead job)"
    )
    r.set_defaults(handler=retry_jobs)


def _state(job: JobRow, now: datetime) -> str:
    if job.status == "dead":
        return "dead"
    if job.status == "claimed":
        return "stuck (claimed)"
    if job.run_after > now:
        return f"failing, next try in {(job.run_after - now).total_seconds():.0f}s"
    return "stuck (due, no worker took it)"


async def list_jobs(args: argparse.Namespace, config: Config) -> int:
    store = await open_database(config)
    try:
        jobs = await store.jobs(stuck_after=timedelta(minutes=args.stuck_after))
    finally:
        await store.aclose()
    now = datetime.now(UTC)
    if args.json:
        rows = [
            {**asdict(j), "state": _state(j, now), "last_error": redact(j.last_error or "")}
            for j in jobs
        ]
        print(json.dumps(rows, default=str, indent=2))
        return 0
    if not jobs:
        print("no dead, failing or stuck jobs")
        return 0
    for j in jobs:
        what = f"{_KINDS.get(j.kind, j.kind)} {j.ref_id}"
        print(f"job {j.id:<6} {what:32} {_state(j, now)}, {j.attempts} tries")
        if j.last_error:
            print(f"           reason: {redact(j.last_error)}")
    dead = sum(j.status == "dead" for j in jobs)
    if dead:
        print(f"{dead} dead: `tactline jobs retry` puts them back in the queue")
    return 0


async def retry_jobs(args: argparse.Namespace, config: Config) -> int:
    store = await open_database(config)
    try:
        n = await store.requeue(args.ids or None)
    finally:
        await store.aclose()
    print(f"{n} dead job(s) back in the queue")
    if args.ids and n < len(args.ids):
        print("the others were not dead (see `tactline jobs`)")
        return 1
    return 0
