"""`tactline run`'s loop with the three real adapters at once, each against its local server:
messages from every platform reach the one pipeline, approved replies go back threaded, and
replies approved while a platform is down are posted once, when it is back."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from adapters.base import Adapter
from adapters.discord import DiscordAdapter
from adapters.slack import SlackCommunityAdapter
from adapters.telegram import TelegramAdapter
from bot.app import AppParts, build_app
from bot.config import (
    Config,
    DatabaseConfig,
    DiscordAdapterConfig,
    PoliciesConfig,
    SlackAdapterConfig,
    TelegramAdapterConfig,
    WorkersConfig,
)
from bot.domain import ApprovalDecision, Platform, Verdict
from bot.runtime import serve
from bot.store import open_store
from bot.store.store import Store, utcnow
from bot.supervisor import Supervision
from tests.adapters.test_slack_community import SECRET, message, post_event
from tests.doubles import TemplateDrafter
from tests.servers.discord import DiscordServer
from tests.servers.slack import SlackServer
from tests.servers.telegram import TelegramServer
from tests.spine.test_end_to_end import RecordingChannel, classifier_factory
from tests.waiting import eventually

REPO = Path(__file__).resolve().parents[2]


async def migrated_config(tmp_path: Path, **workers: float) -> Config:
    """A fresh SQLite database, migrated as `tactline db upgrade` does, and fast workers."""
    db_url = f"sqlite+aiosqlite:///{tmp_path / 't.db'}"
    await (await open_store(db_url, upgrade=True)).aclose()
    return Config(
        database=DatabaseConfig(url=db_url),
        policies=PoliciesConfig(path=str(REPO / "policies")),
        workers=WorkersConfig(poll_interval=0.05, **workers),  # type: ignore[arg-type]
    )


def telegram_adapter(server: TelegramServer) -> TelegramAdapter:
    config = TelegramAdapterConfig(enabled=True, api_base_url=server.base_url)
    return TelegramAdapter(config, token=server.token, poll_timeout=1, retry_pause=0.05)


async def approve_pending(store: Store) -> int:
    n = 0
    for p in await store.pending_drafts():
        decision = ApprovalDecision(
            draft_id=p.draft.id, actor="U_ANA", at=utcnow(), verdict=Verdict.APPROVE
        )
        n += (await store.decide_draft(decision)).applied
    return n


async def test_three_platforms_one_pipeline_and_an_outage(tmp_path: Path) -> None:
    telegram, discord, slack = (
        TelegramServer(),
        DiscordServer(),
        SlackServer(token="xoxb-community", users={"U_MAYA": "maya"}),
    )
    for server in (telegram, discord, slack):
        await server.start()
    config = await migrated_config(tmp_path, retry_base_seconds=0.2)
    slack_adapter = SlackCommunityAdapter(
        SlackAdapterConfig(enabled=True, api_base_url=slack.base_url, mode="http", listen_port=0),
        token="xoxb-community",
        signing_secret=SECRET,
    )
    adapters: list[Adapter] = [
        telegram_adapter(telegram),
        DiscordAdapter(
            DiscordAdapterConfig(
                enabled=True, api_base_url=discord.api, gateway_url=discord.gateway
            ),
            token=discord.token,
            identify_delay=0,
        ),
        slack_adapter,
    ]
    stop = asyncio.Event()
    try:
        parts = AppParts(
            adapters=adapters,
            approvals=RecordingChannel(),
            drafter=TemplateDrafter(),
            classifier_factory=classifier_factory,
        )
        async with build_app(config, parts) as app:
            running = asyncio.create_task(serve(app, stop))
            await eventually(lambda: _all_connected(adapters), within=30)

            tg_msg = telegram.push("How do I export my notes?")["message"]
            dc_msg = await discord.member_says("Comment exporter mes notes ?")
            assert await post_event(slack_adapter, message("Is there a dark mode?")) == 200

            async def three_pending() -> bool:
                return len(await app.store.pending_drafts()) == 3

            await eventually(three_pending, within=30)
            platforms = {p.stored.message.platform for p in await app.store.pending_drafts()}
            assert platforms == {Platform.TELEGRAM, Platform.DISCORD, Platform.SLACK}

            # Discord and Telegram are down when the moderators approve.
            for _ in range(3):
                discord.fail_next_post(503)
            telegram.fail("sendMessage", 502, "Bad Gateway", times=3)
            assert await approve_pending(app.store) == 3

            async def all_posted_and_done() -> bool:
                counts = await app.store.status_counts()
                deliveries = {k: v for k, v in counts["jobs"].items() if k.startswith("deliver")}
                # no delivery job left to run: nothing more can be posted later
                return counts["outbox"] == {"sent": 3} and set(deliveries) == {"deliver/done"}

            await eventually(all_posted_and_done, within=60)
    finally:
        stop.set()
        for server in (telegram, discord, slack):
            await server.stop()
    await asyncio.wait_for(running, 30)

    assert [m["reply_parameters"]["message_id"] for m in telegram.sent] == [tg_msg["message_id"]]
    assert len(discord.posted) == 1
    assert str(discord.posted[0]["message_reference"]["message_id"]) == dc_msg["id"]
    assert discord._faults == [] and telegram._faults["sendMessage"] == []  # the outage happened
    posts = slack.called("chat.postMessage")
    assert len(posts) == 1 and posts[0].args["thread_ts"] == "1700000000.000100"


async def _all_connected(adapters: Sequence[Adapter]) -> bool:
    return all(a.health().connected for a in adapters)


async def test_an_adapter_that_cannot_start_is_retried_unless_refused(tmp_path: Path) -> None:
    telegram, discord = TelegramServer(), DiscordServer()
    await telegram.start()
    await telegram.stop()  # Telegram is unreachable when Tactline starts
    await discord.start()
    config = await migrated_config(tmp_path)
    adapters: list[Adapter] = [
        telegram_adapter(telegram),
        DiscordAdapter(  # a wrong token: refused for good, not retried
            DiscordAdapterConfig(
                enabled=True, api_base_url=discord.api, gateway_url=discord.gateway
            ),
            token="wrong",
            identify_delay=0,
        ),
    ]
    channel = RecordingChannel()
    stop = asyncio.Event()
    parts = AppParts(
        adapters=adapters,
        approvals=channel,
        drafter=TemplateDrafter(),
        classifier_factory=classifier_factory,
        supervision=Supervision(restart_delay=0.2),
    )
    try:
        async with build_app(config, parts) as app:
            running = asyncio.create_task(serve(app, stop))

            async def both_reported() -> bool:
                return len(await app.store.health_rows()) == 2

            await eventually(both_reported, within=30)
            assert app.supervisor.available() == frozenset()
            assert app.supervisor.given_up == {"discord"}
            await telegram.start()  # the Bot API is back
            await eventually(lambda: _all_connected(adapters[:1]), within=30)
            telegram.push("How do I export my notes?")

            async def one_pending() -> bool:
                return len(await app.store.pending_drafts()) == 1

            await eventually(one_pending, within=30)
            assert app.supervisor.available() == {Platform.TELEGRAM}
            stop.set()
            await asyncio.wait_for(running, 30)
    finally:
        stop.set()
        await telegram.stop()
        await discord.stop()
    assert any("adapter telegram is down" in a and "retrying" in a for a in channel.alerts)
    assert any(a == "adapter telegram is back" for a in channel.alerts)
    discord_alerts = [a for a in channel.alerts if "adapter discord" in a]
    assert len(discord_alerts) == 1 and "token was refused" in discord_alerts[0]
