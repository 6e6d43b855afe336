"""`tactline policy check` and `tactline policy replay` (which never posts)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.domain import Platform
from bot.policy import decide, load_policy
from bot.store import open_store
from tests.builders import make_message
from tests.policy.helpers import REPO, classified, edit, policy_copy


def test_check_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "check", "--path", str(REPO / "policies")]) == 0
    out = capsys.readouterr().out
    assert "OK" in out and "autosend: off" in out


def test_check_reports_path_line_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = policy_copy(tmp_path)
    edit(d, "routing.toml", 'action = "no_reply"', 'action = "ban"')
    assert main(["policy", "check", "--path", str(d)]) == 1
    captured = capsys.readouterr()
    [line] = captured.out.splitlines()
    assert line.startswith(f"{d / 'routing.toml'}:") and "'ban' is not possible" in line
    assert "Traceback" not in captured.err


def test_replay_reports_changes_and_posts_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    cfg = tmp_path / "config.toml"
    d = policy_copy(tmp_path)
    cfg.write_text(f'[database]\nurl = "{url}"\n[policies]\npath = "{d}"\n')
    policy = load_policy(d)

    async def seed() -> dict[str, dict[str, int]]:
        store = await open_store(url, upgrade=True)
        for text, intent in [
            ("Please add dark mode", "feature_request"),
            ("How do I export?", "question"),
        ]:
            m = make_message(text, platform=Platform.SLACK, channel="random")
            mid = await store.accept(m)
            assert mid is not None
            c = classified(intent)
            await store.save_classification(mid, c)
            await store.save_decision(mid, decide(policy, m, c))
        counts = await store.status_counts()
        await store.aclose()
        return counts

    before = asyncio.run(seed())
    # The admin moves feature requests to the community team.
    edit(
        d,
        "routing.toml",
        'when = { intents = ["feature_request"] }\naction = "reply"\ngroup = "product"',
        'when = { intents = ["feature_request"] }\naction = "reply"\ngroup = "community"',
    )
    assert main(["-c", str(cfg), "policy", "replay", "--since", "1d", "--json"]) == 0
    captured = capsys.readouterr()
    [row] = [json.loads(x) for x in captured.out.splitlines()]
    assert row["before"]["group"] == "product" and row["after"]["group"] == "community"
    assert row["text"] == "Please add dark mode"
    assert "2 message(s)" in captured.err and "1 would change" in captured.err

    async def counts() -> dict[str, dict[str, int]]:
        store = await open_store(url)
        c = await store.status_counts()
        await store.aclose()
        return c

    assert asyncio.run(counts()) == before  # nothing stored, queued or posted


def test_replay_bad_since(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "replay", "--since", "last week"]) == 1
    assert "use a number and a unit" in capsys.readouterr().err
