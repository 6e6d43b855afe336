"""``tactline doctor`` against the local Slack, Telegram and Discord servers, a real SQLite
database and the repository's policy: green when everything is in place, and each failure
injected (a refused token, a missing channel, an old migration, a wrong model file, the
inference server down) is a ✗ line with its fix. No secret is ever printed."""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.cli import main
from bot.config import Config
from bot.golive import checks_model
from bot.golive.checklist import Result, Status, render
from bot.golive.doctor import CHECKS, run_checks
from bot.golive.probe import Needs, Probe
from bot.migrations import head_revision, upgrade_connection
from bot.store import open_store
from models.sources import ModelSpec
from tests.golive.servers import SlackWithChannels, TelegramWithWebhook
from tests.servers import serve_on_localhost
from tests.servers.discord import DiscordServer

REPO = Path(__file__).resolve().parents[2]
XOXB, XAPP = "xoxb-1111-2222-doctor-bot-token", "xapp-1-A1-3333-doctor-app-token"
SIGNING = "community-signing-secret-0001"
TG = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
DISCORD = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.doctor-discord-token-abcdefgh"
APPROVAL_CHANNEL = "C0APPROVE"
GROUPS = {
    "S0COMMUNITY": ["U_ANA", "U_BEN"],
    "S0SUPPORT": ["U_SUE"],
    "S0PRODUCT": ["U_PAT"],
    "S0ONCALL": ["U_OLI"],
}
GOOD_ENV = {
    "TACTLINE_SLACK_BOT_TOKEN": XOXB,
    "TACTLINE_SLACK_APP_TOKEN": XAPP,
    "TACTLINE_SLACK_COMMUNITY_TOKEN": XOXB,
    "TACTLINE_SLACK_COMMUNITY_SIGNING_SECRET": SIGNING,
    "TACTLINE_TELEGRAM_TOKEN": TG,
    "TACTLINE_DISCORD_TOKEN": DISCORD,
}
SECRETS = (XOXB, XAPP, SIGNING, TG, DISCORD)
NO_NEEDS = Needs(free_disk_bytes=0, memory_bytes=0)  # this machine's resources are not tested here


@dataclass
class Live:
    slack: SlackWithChannels
    telegram: TelegramWithWebhook
    discord: DiscordServer
    tmp: Path
    config: dict[str, Any]  # config.toml as a dict, edited by each test
    env: dict[str, str]

    async def run(self, needs: Needs = NO_NEEDS) -> dict[str, list[Result]]:
        """Doctor's lines, by check name."""
        config = Config.model_validate(self.config)
        async with aiohttp.ClientSession() as http:
            probe = Probe(config=config, config_path=None, env=self.env, http=http, needs=needs)
            results = await run_checks(probe)
        self.printed = render(results)
        for secret in SECRETS:
            assert secret not in self.printed
        found: dict[str, list[Result]] = {}
        for r in results:
            found.setdefault(r.name, []).append(r)
        return found

    def write_toml(self) -> Path:
        lines: list[str] = []
        for section, values in _tables(self.config):
            lines.append(f"[{section}]")
            lines += [f"{k} = {_toml(v)}" for k, v in values.items()]
        path = self.tmp / "config.toml"
        path.write_text("\n".join(lines) + "\n")
        return path


def _tables(config: dict[str, Any], prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    plain = {k: v for k, v in config.items() if not isinstance(v, dict)}
    found = [(prefix, plain)] if prefix and plain else []
    for k, v in config.items():
        if isinstance(v, dict):
            found += _tables(v, f"{prefix}.{k}" if prefix else k)
    return found


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else str(value)


async def _upgraded_db(tmp: Path, revision: str = "head") -> str:
    url = f"sqlite+aiosqlite:///{tmp / 'tactline.db'}"
    store = await open_store(url)
    async with store.begin() as conn:
        await conn.run_sync(upgrade_connection, revision)
    await store.aclose()
    return url


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    slack = SlackWithChannels(
        token=XOXB, app_token=XAPP, user_groups=dict(GROUPS), channels={APPROVAL_CHANNEL: True}
    )
    telegram, discord = TelegramWithWebhook(token=TG), DiscordServer(token=DISCORD)
    for server in (slack, telegram, discord):
        await server.start()
    model = tmp_path / "my-model.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    config = {
        "database": {"url": await _upgraded_db(tmp_path)},
        "policies": {"path": str(REPO / "policies")},
        "models": {"drafter": {"source": str(model), "cache_dir": str(tmp_path / "cache")}},
        "approval": {
            "enabled": True,
            "channel": APPROVAL_CHANNEL,
            "api_base_url": slack.base_url,
        },
        "adapters": {
            "slack": {"enabled": True, "api_base_url": slack.base_url},
            "telegram": {"enabled": True, "api_base_url": telegram.base_url},
            "discord": {"enabled": True, "api_base_url": discord.api},
        },
    }
    yield Live(slack, telegram, discord, tmp_path, config, dict(GOOD_ENV))
    for server in (slack, telegram, discord):
        await server.stop()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _status(found: dict[str, list[Result]], name: str) -> list[Status]:
    return [r.status for r in found[name]]


async def test_everything_in_place_is_all_green(live: Live) -> None:
    found = await live.run()
    failures = [r for rs in found.values() for r in rs if r.status is not Status.PASS]
    assert failures == []
    assert set(found) >= {
        "config",
        "slack approval token",
        "slack approval socket",
        f"approval channel {APPROVAL_CHANNEL}",
        "approver group community",
        "slack community token",
        "slack community http",
        "telegram token",
        "telegram privacy mode",
        "telegram webhook",
        "discord token",
        "discord message content intent",
        "database",
        "policy",
        "drafting model",
        "disk",
        "memory",
    }
    assert "✓ approver group community: S0COMMUNITY: 2 members" in live.printed
    assert "✓ approver group legal: 1 listed user(s)" in live.printed
    assert len(live.slack.called("conversations.info")) == 1


async def test_refused_tokens_fail_and_what_needs_them_is_skipped(live: Live) -> None:
    live.env.update(
        TACTLINE_SLACK_BOT_TOKEN="xoxb-9999-wrong",
        TACTLINE_TELEGRAM_TOKEN="999:wrongwrongwrongwrongwrongwrongwrongw",
        TACTLINE_DISCORD_TOKEN="wrong-discord-token",
    )
    found = await live.run()
    for name in ("slack approval token", "telegram token", "discord token"):
        assert _status(found, name) == [Status.FAIL], name
    assert "TACTLINE_SLACK_BOT_TOKEN" in found["slack approval token"][0].fix
    assert _status(found, f"approval channel {APPROVAL_CHANNEL}") == [Status.SKIP]
    assert set(_status(found, "approver group community")) == {Status.SKIP}
    assert "telegram privacy mode" not in found and "discord message content intent" not in found
    assert "xoxb-9999-wrong" not in live.printed


async def test_unset_token_variables_are_named(live: Live) -> None:
    live.env.clear()
    found = await live.run()
    assert "TACTLINE_SLACK_BOT_TOKEN is not set" in found["slack approval token"][0].detail
    assert "TACTLINE_TELEGRAM_TOKEN is not set" in found["telegram token"][0].detail
    assert "TACTLINE_DISCORD_TOKEN is not set" in found["discord token"][0].detail
    assert "TACTLINE_SLACK_COMMUNITY_SIGNING_SECRET" in found["slack community http"][0].detail


async def test_a_wrong_app_level_token_fails_socket_mode(live: Live) -> None:
    live.env["TACTLINE_SLACK_APP_TOKEN"] = "xapp-1-wrong"
    result = (await live.run())["slack approval socket"][0]
    assert result.status is Status.FAIL and "connections:write" in result.fix


async def test_a_missing_approval_channel_fails_with_where_to_find_the_id(live: Live) -> None:
    live.config["approval"]["channel"] = "C0MISSING"
    result = (await live.run())["approval channel C0MISSING"][0]
    assert result.status is Status.FAIL
    assert "channel_not_found" in result.detail and "About" in result.fix


async def test_a_channel_the_bot_is_not_in_fails_with_the_invite(live: Live) -> None:
    live.slack.channels[APPROVAL_CHANNEL] = False
    result = (await live.run())[f"approval channel {APPROVAL_CHANNEL}"][0]
    assert result.status is Status.FAIL and "/invite" in result.fix


async def test_an_empty_user_group_leaves_a_group_without_approvers(live: Live) -> None:
    live.slack.user_groups["S0SUPPORT"] = []
    found = await live.run()
    assert _status(found, "approver group support") == [Status.FAIL]
    assert _status(found, "approver group community") == [Status.PASS]


async def test_a_database_at_an_older_revision_fails(live: Live, tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    live.config["database"]["url"] = await _upgraded_db(old, "0003")
    result = (await live.run())["database"][0]
    assert result.status is Status.FAIL
    assert f"at revision 0003, the latest is {head_revision()}" in result.detail
    assert "tactline db upgrade" in result.fix


async def test_no_database_file_fails_and_none_is_created(live: Live, tmp_path: Path) -> None:
    missing = tmp_path / "none" / "tactline.db"
    live.config["database"]["url"] = f"sqlite+aiosqlite:///{missing}"
    result = (await live.run())["database"][0]
    assert result.status is Status.FAIL and "tactline db upgrade" in result.fix
    assert not missing.exists()


async def test_a_broken_policy_fails(live: Live, tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(REPO / "policies", policies)
    (policies / "routing.toml").write_text("[[rule]]\nwhen = 3\n")
    live.config["policies"]["path"] = str(policies)
    found = await live.run()
    assert _status(found, "policy") == [Status.FAIL]
    assert "tactline policy check" in found["policy"][0].fix
    assert _status(found, "approver groups") == [Status.SKIP]


async def test_a_wrong_model_file_in_the_cache_fails(live: Live, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf").write_bytes(b"not the model")
    live.config["models"]["drafter"] = {"source": "registry", "cache_dir": str(cache)}
    result = (await live.run())["drafting model"][0]
    assert result.status is Status.FAIL
    assert "sha256 cannot match" in result.detail and "tactline models pull" in result.fix


def test_the_sha256_of_a_model_file_is_compared(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF weights")
    right = checks_model.file_sha256(path)
    spec = ModelSpec("m", "m.gguf", size=path.stat().st_size, sha256="0" * 64, licence="x")
    wrong = checks_model.verify_file(path, spec)
    assert wrong.status is Status.FAIL and f"sha256 {right}, expected {'0' * 64}" in wrong.detail
    assert checks_model.verify_file(path, replace(spec, sha256=right)).status is Status.PASS
    assert checks_model.verify_file(tmp_path / "no.gguf", spec).status is Status.FAIL


async def test_the_inference_server_down_fails(live: Live) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    live.config["models"]["drafter"] = {"backend": "openai", "url": url}
    result = (await live.run())["inference server"][0]
    assert result.status is Status.FAIL
    assert url in result.detail and "start the inference server" in result.fix


async def test_the_inference_server_answering_passes(live: Live) -> None:
    async def models(request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer llm-key-123456"
        return web.json_response({"object": "list", "data": [{"id": "qwen"}]})

    app = web.Application()
    app.router.add_get("/v1/models", models)
    runner, port = await serve_on_localhost(app)
    try:
        live.env["LLM_KEY"] = "llm-key-123456"
        drafter = {
            "backend": "openai",
            "url": f"http://127.0.0.1:{port}/v1",
            "api_key_env": "LLM_KEY",
        }
        live.config["models"]["drafter"] = drafter
        found = await live.run()
    finally:
        await runner.cleanup()
    assert _status(found, "inference server") == [Status.PASS]
    assert "models: qwen" in found["inference server"][0].detail
    assert "llm-key-123456" not in live.printed


async def test_discord_without_the_message_content_intent_fails(live: Live) -> None:
    live.discord.app_flags = 0
    result = (await live.run())["discord message content intent"][0]
    assert result.status is Status.FAIL and "Message Content Intent" in result.fix


async def test_not_enough_disk_or_memory_fails(live: Live) -> None:
    found = await live.run(Needs(free_disk_bytes=1 << 60, memory_bytes=1 << 60))
    assert set(_status(found, "disk")) == {Status.FAIL}
    assert _status(found, "memory") == [Status.FAIL]


async def test_a_crashing_check_is_a_failed_line_and_the_others_run(live: Live) -> None:
    async def broken(probe: Probe) -> list[Result]:
        raise RuntimeError(f"boom with {XOXB}")

    config = Config.model_validate(live.config)
    async with aiohttp.ClientSession() as http:
        probe = Probe(config=config, config_path=None, env=live.env, http=http, needs=NO_NEEDS)
        results = await run_checks(probe, (broken, *CHECKS[:1]))
    assert [r.status for r in results][:2] == [Status.FAIL, Status.PASS]
    assert XOXB not in render(results)


def _disabled(live: Live) -> None:
    live.config["approval"]["enabled"] = False
    for adapter in live.config["adapters"].values():
        adapter["enabled"] = False


async def test_disabled_parts_are_skipped_not_failed(live: Live) -> None:
    _disabled(live)
    found = await live.run()
    for name in ("slack approval", "slack community", "telegram", "discord"):
        assert _status(found, name) == [Status.SKIP]
    assert _status(found, "config platforms") == [Status.WARN]


async def test_the_command_prints_the_checklist_and_its_exit_status(
    live: Live, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in live.env.items():
        monkeypatch.setenv(name, value)
    path = live.write_toml()
    run: Callable[[], int] = lambda: main(["-c", str(path), "doctor"])  # noqa: E731
    code = await asyncio.to_thread(run)
    out = capsys.readouterr().out
    failures = [line for line in out.splitlines() if line.startswith("✗")]
    # this machine may lack the memory or disk a live run needs; nothing else may fail
    assert all(line.startswith(("✗ memory", "✗ disk")) for line in failures), out
    assert code == (1 if failures else 0)
    assert f"✓ config: {path} parses" in out
    assert "✓ telegram token: bot @inkwell_bot" in out
    assert " passed, " in out.splitlines()[-1]
    for secret in SECRETS:
        assert secret not in out

    live.env["TACTLINE_DISCORD_TOKEN"] = "bad"
    monkeypatch.setenv("TACTLINE_DISCORD_TOKEN", "bad-discord-token-value")
    code = await asyncio.to_thread(run)
    out = capsys.readouterr().out
    assert code == 1
    assert "✗ discord token: GET /users/@me answered 401" in out
    assert "bad-discord-token-value" not in out
