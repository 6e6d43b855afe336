"""The Slack manifests: their methods, events and scopes are what the code uses (scanned from
the source, so they cannot drift), and the YAML Slack takes for each mode."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.errors import TactlineError
from bot.golive.manifest import (
    APPS,
    EVENTS,
    METHOD_SCOPES,
    ROOT,
    build_manifest,
    source_paths,
    to_yaml,
)
from bot.golive.source_scan import scan


@pytest.mark.parametrize("app", sorted(APPS))
def test_each_app_lists_exactly_the_methods_its_code_calls(app: str) -> None:
    spec = APPS[app]  # type: ignore[index]
    used = scan(source_paths(spec))
    assert spec.methods == used.methods, (
        f"{app}: called but not listed: {sorted(used.methods - spec.methods)}; "
        f"listed but never called: {sorted(spec.methods - used.methods)}"
    )


@pytest.mark.parametrize("app", sorted(APPS))
def test_each_app_lists_exactly_the_events_and_interactivity_its_code_uses(app: str) -> None:
    spec = APPS[app]  # type: ignore[index]
    used = scan(source_paths(spec))
    assert spec.events == used.events
    assert spec.interactive == used.interactive
    assert spec.path in used.paths, f"{app}: the listener path is {sorted(used.paths)}"


def test_the_scope_tables_cover_every_call_and_list_nothing_unused() -> None:
    called = set().union(*(scan(source_paths(s)).methods for s in APPS.values()))
    subscribed = set().union(*(scan(source_paths(s)).events for s in APPS.values()))
    assert called - set(METHOD_SCOPES) == set(), "add these methods to METHOD_SCOPES"
    assert set(METHOD_SCOPES) - called == set(), "nothing calls these: remove them"
    assert subscribed - set(EVENTS) == set(), "add these events to EVENTS"
    assert set(EVENTS) - subscribed == set(), "nothing subscribes to these: remove them"


def test_the_scan_reads_calls_events_and_listeners(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text(
        "async def f(client, bolt, out):\n"
        "    await client.chat_postMessage(channel='C', text='t')\n"
        "    await client.api_call('reactions.add')\n"
        "    await out.update('C', '1', 't', [])\n"  # not a Web API method
        "    bolt.event('app_mention')(f)\n"
        "    bolt.action('approve')(f)\n"
        "    bolt.web_app(path='/x')\n"
    )
    used = scan([tmp_path])
    assert used.methods == {"chat.postMessage", "reactions.add"}
    assert used.events == {"app_mention"}
    assert used.interactive is True
    assert used.paths == {"/x"}


def test_the_sources_named_exist() -> None:
    for spec in APPS.values():
        for path in source_paths(spec):
            assert path.exists(), path
    assert (ROOT / "bot" / "cli.py").is_file()


def test_approval_manifest_in_socket_mode() -> None:
    m = yaml.safe_load(to_yaml(build_manifest("approval", "socket")))
    assert m["oauth_config"]["scopes"]["bot"] == [
        "channels:read",
        "chat:write",
        "groups:read",
        "usergroups:read",
    ]
    assert m["settings"]["event_subscriptions"] == {"bot_events": ["subteam_members_changed"]}
    assert m["settings"]["interactivity"] == {"is_enabled": True}
    assert m["settings"]["socket_mode_enabled"] is True
    assert m["features"]["bot_user"]["display_name"] == "tactline-approvals"


def test_approval_manifest_in_http_mode_posts_events_and_clicks_to_the_listener() -> None:
    m = build_manifest("approval", "http", "https://tactline.example.com/")
    url = "https://tactline.example.com/slack/events"
    assert m["settings"]["event_subscriptions"]["request_url"] == url
    assert m["settings"]["interactivity"] == {"is_enabled": True, "request_url": url}
    assert m["settings"]["socket_mode_enabled"] is False


def test_community_manifest_reads_channels_and_takes_no_clicks() -> None:
    m = build_manifest("community", "http", "https://bot.example.com/slack/community")
    assert m["oauth_config"]["scopes"]["bot"] == [
        "channels:history",
        "chat:write",
        "groups:history",
        "reactions:read",
        "users:read",
    ]
    events = m["settings"]["event_subscriptions"]
    assert events["bot_events"] == [
        "message.channels",
        "message.groups",
        "reaction_added",
        "reaction_removed",
    ]
    assert events["request_url"] == "https://bot.example.com/slack/community"
    assert "interactivity" not in m["settings"]


@pytest.mark.parametrize(
    ("mode", "url", "says"),
    [
        ("http", None, "--url is required"),
        ("http", "http://plain.example.com", "https://"),
        ("socket", "https://x.example.com", "Socket Mode needs no public URL"),
    ],
)
def test_a_wrong_url_is_a_one_line_error(mode: str, url: str | None, says: str) -> None:
    with pytest.raises(TactlineError, match=says):
        build_manifest("community", mode, url)  # type: ignore[arg-type]


def test_the_command_prints_yaml_and_the_next_steps(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slack", "manifest", "--app", "approval"]) == 0
    out, err = capsys.readouterr()
    assert yaml.safe_load(out)["settings"]["socket_mode_enabled"] is True
    assert "connections:write" in err and "TACTLINE_SLACK_APP_TOKEN" in err


def test_the_command_refuses_http_without_a_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slack", "manifest", "--app", "community", "--mode", "http"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tactline: error: --url is required")
    assert err.count("\n") == 1
