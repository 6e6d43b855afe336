"""``tactline topics``: the text and JSON outputs, and ``--send`` posting a topic's summary to
the group's approval channel on the local Slack server, member text escaped."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.commands.topics import topics
from bot.config import load_config
from bot.errors import TactlineError
from bot.store import open_store
from bot.topics.finder import find_topics
from bot.topics.summaries import send_command
from bot.topics.values import TopicsReport
from tests.servers.slack import SlackServer
from tests.topics.seeding import Said, store_messages

HOSTILE = "E1023 on Android AGAIN <!channel> <https://evil.example|fix it> & now"


def bug_week() -> list[Said]:
    texts = [
        "Sync fails on Android with error E1023 whenever a note has an image",
        "La synchro plante sur Android avec l'erreur E1023",
        HOSTILE,
    ]
    return [
        Said(
            t,
            intent="bug_report",
            sentiment="negative",
            group="product",
            raw={"permalink": f"https://discord.com/channels/1/2/{n}"},
        )
        for n, t in enumerate(texts)
    ]


POLICIES = Path(__file__).resolve().parents[2] / "policies"


async def configured(tmp_path: Path, approval: str = "") -> Path:
    db = tmp_path / "t.db"
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{db}"\n[policies]\npath = "{POLICIES}"\n{approval}'
    )
    store = await open_store(f"sqlite+aiosqlite:///{db}", upgrade=True)
    await store_messages(store, bug_week(), end=datetime.now(UTC))
    await store.aclose()
    return cfg


async def run(cfg: Path, *argv: str) -> int:
    args = build_parser().parse_args(["-c", str(cfg), "topics", *argv])
    return await topics(args, load_config(cfg))


async def test_text_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = await configured(tmp_path)
    assert await run(cfg, "--since", "7d") == 0
    out = capsys.readouterr().out
    assert "1 topics in 3 messages" in out
    assert "new this week: 3 messages about" in out and "E1023" in out
    assert "https://discord.com/channels/1/2/" in out
    assert await run(cfg, "--since", "7d", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["topics"][0]["size"] == 3 and data["topics"][0]["trend"] == "new"
    assert data["topics"][0]["group"] == "product"
    assert len(data["topics"][0]["examples"]) == 3


async def test_send_posts_the_summary_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    slack = SlackServer(token="xoxb-topics")
    await slack.start()
    try:
        monkeypatch.setenv("TACTLINE_SLACK_BOT_TOKEN", "xoxb-topics")
        cfg = await configured(
            tmp_path,
            '[approval]\nenabled = true\nchannel = "C0DEFAULT"\n'
            f'channels = {{product = "C0PRODUCT"}}\napi_base_url = "{slack.base_url}"\n',
        )
        assert await run(cfg, "--send", "1", "--group", "product") == 0
    finally:
        await slack.stop()
    posts = slack.called("chat.postMessage")
    assert len(posts) == 1
    assert posts[0].args["channel"] == "C0PRODUCT"
    text = posts[0].args["text"]
    assert "E1023" in text and "3 messages" in text and "new" in text
    # three examples (all of them here), the member's markup inert
    assert "&lt;!channel&gt;" in text and "&lt;https://evil.example|fix it&gt; &amp; now" in text
    assert "<!channel>" not in text and "<https://evil.example" not in text
    assert "<https://discord.com/channels/1/2/" in text  # Tactline's own links stay links
    assert "sent topic 1" in capsys.readouterr().out


async def test_send_prints_the_summary_without_slack_approval(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = await configured(tmp_path)
    assert await run(cfg, "--send", "1", "--group", "support") == 0
    out = capsys.readouterr().out
    assert "no Slack approval configured" in out and "for support" in out
    assert "E1023" in out


async def test_send_needs_a_group_and_a_topic_that_exists(tmp_path: Path) -> None:
    cfg = await configured(tmp_path)
    with pytest.raises(TactlineError, match="--group"):
        await run(cfg, "--send", "1")
    with pytest.raises(TactlineError, match="no such topic"):
        await run(cfg, "--send", "9", "--group", "product")
    with pytest.raises(TactlineError, match="no such group in the policy"):
        await run(cfg, "--send", "1", "--group", "prodcut")  # never the default channel


async def test_the_reports_command_sends_the_reports_topic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The HTML report prints per topic the command that sends it: the same period to the
    second, so the same numbering, even after newer messages arrived."""
    cfg = await configured(tmp_path)
    until = datetime.now(UTC).replace(microsecond=0)
    store = await open_store(load_config(cfg).database.url)
    try:
        report = await find_topics(store.db, until - timedelta(days=7), until)
        later = [Said("Where do I change my avatar?", days_ago=0, group="support")] * 4
        await store_messages(store, later, first_id=100, end=until + timedelta(hours=1))
    finally:
        await store.aclose()
    command = send_command(report, 1, "product")
    assert command.startswith("tactline topics --since ")
    assert to_html_row_has(report, command)
    assert await run(cfg, *shlex.split(command)[2:]) == 0
    out = capsys.readouterr().out
    assert "for product" in out and "E1023" in out and "avatar" not in out


def to_html_row_has(report: TopicsReport, command: str) -> bool:
    from bot.reports.render import _topics_section

    return escape(command) in "".join(_topics_section(report, [], []))


async def test_until_and_since_as_times(tmp_path: Path) -> None:
    cfg = await configured(tmp_path)
    with pytest.raises(TactlineError, match="use a time"):
        await run(cfg, "--until", "yesterday")
    with pytest.raises(TactlineError, match="must start before it ends"):
        await run(cfg, "--since", "2026-12-06T10:00:00", "--until", "2026-12-06T09:00:00")
