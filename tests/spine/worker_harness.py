"""A real worker process for the crash and concurrency tests.

The wiring is the product's own (``open_app`` and ``Worker.run``); only the edges differ:
the platforms are fake adapters that record posts in a JSON Lines file shared by every
process (so posts survive SIGKILL), and the models are the deterministic test doubles.

    python tests/spine/worker_harness.py DB_URL POSTS_FILE [--send-delay SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from adapters.fake import FakeAdapter  # noqa: E402
from bot.app import open_app  # noqa: E402
from bot.config import Config, DatabaseConfig, PoliciesConfig, WorkersConfig  # noqa: E402
from bot.domain import DeliveryReceipt, OutboundReply, Platform  # noqa: E402
from tests.doubles import RuleClassifier, TemplateDrafter  # noqa: E402


class SlowFakeAdapter(FakeAdapter):
    """Sends take a while on both sides of the post, so kills land mid-send too."""

    def __init__(self, *, delay: float, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self._delay = delay

    async def send(self, reply: OutboundReply) -> DeliveryReceipt:
        await asyncio.sleep(random.uniform(0, self._delay))
        receipt = await super().send(reply)
        await asyncio.sleep(random.uniform(0, self._delay))
        return receipt


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db_url")
    ap.add_argument("posts", type=Path)
    ap.add_argument("--send-delay", type=float, default=0.0)
    ap.add_argument("--lease", type=float, default=300.0)
    args = ap.parse_args()
    config = Config(
        database=DatabaseConfig(url=args.db_url),
        policies=PoliciesConfig(path=str(REPO / "policies")),
        workers=WorkersConfig(poll_interval=0.05, lease_seconds=args.lease),
    )
    adapters = [
        SlowFakeAdapter(platform=p, log_path=args.posts, delay=args.send_delay) for p in Platform
    ]
    async with open_app(
        config, adapters=adapters, drafter=TemplateDrafter(), classifier_factory=RuleClassifier
    ) as app:
        await app.worker.run(stop=asyncio.Event(), exit_when_idle=True)


if __name__ == "__main__":
    asyncio.run(main())
