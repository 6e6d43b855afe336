"""The CLI around the spine: migrations, status, terminal approvals, clear errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.migrations import head_revision
from bot.store import open_store
from tests.builders import make_message


def write_config(tmp_path: Path, body: str = "") -> Path:
    f = tmp_path / "config.toml"
    f.write_text(f'[database]\nurl = "sqlite+aiosqlite:///db/t.db"\n{body}')
    return f


def test_db_upgrade_then_current(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path)
    head = head_revision()
    assert main(["-c", str(cfg), "db", "upgrade"]) == 0
    assert f"migrated from empty to {head}" in capsys.readouterr().out
    assert main(["-c", str(cfg), "db", "upgrade"]) == 0
    assert f"already at revision {head}" in capsys.readouterr().out
    assert main(["-c", str(cfg), "db", "current"]) == 0


def test_bad_config_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(tmp_path, "[workers]\nconcurrency = 0\n")
    assert main(["-c", str(cfg), "status"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"tactline: error: {cfg}: workers.concurrency:")
    assert "Traceback" not in err


def test_unreachable_database_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "config.toml"
    f.write_text('[database]\nurl = "postgresql+psycopg://nobody@127.0.0.1:1/none"\n')
    assert main(["-c", str(f), "status"]) == 1
    assert "database unavailable" in capsys.readouterr().err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["drafts", "approve", "not-a-number"])
    assert exc.value.code == 2


def test_status_and_terminal_approval(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'db' / 't.db'}"

    async def seed() -> int:
        store = await open_store(url, upgrade=True)
        mid = await store.accept(make_message("How do I export?"))
        assert mid is not None
        draft = await store.add_draft(
            message_id=mid, text="Settings > Export.", group="support", model="m"
        )
        await store.aclose()
        return draft.id

    (tmp_path / "db").mkdir()
    draft_id = asyncio.run(seed())
    assert main(["-c", str(cfg), "status"]) == 0
    out = capsys.readouterr().out
    assert "jobs      process/ready: 1" in out
    assert "drafts    pending: 1" in out
    assert main(["-c", str(cfg), "drafts", "list"]) == 0
    assert f"#{draft_id} [support]" in capsys.readouterr().out
    assert main(["-c", str(cfg), "drafts", "approve", str(draft_id), "--as", "ana"]) == 0
    assert "approved (a worker posts it)" in capsys.readouterr().out
    assert main(["-c", str(cfg), "drafts", "approve", str(draft_id)]) == 1
    assert "already approved" in capsys.readouterr().out

    async def adapter_down() -> None:
        store = await open_store(url)
        await store.save_health(
            name="discord",
            worker="w1",
            connected=False,
            last_event_at=None,
            last_error="the bot token was refused",
        )
        await store.aclose()

    asyncio.run(adapter_down())
    assert main(["-c", str(cfg), "status"]) == 0
    assert (
        "adapter   discord: DOWN, last event never, 1 replies waiting, reported 0s ago by w1, "
        "last error: the bot token was refused"
    ) in capsys.readouterr().out
    assert main(["-c", str(cfg), "drafts", "reject", "999", "--reason", "x"]) == 1
    assert "no draft with id 999" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[adapters.discord]\nenabled = true\n", "TACTLINE_DISCORD_TOKEN: the Discord bot"),
        ("[adapters.telegram]\nenabled = true\n", "TACTLINE_TELEGRAM_TOKEN: the Telegram bot"),
        ("[approval]\nenabled = true\n", "TACTLINE_SLACK_BOT_TOKEN: the Slack bot token"),
    ],
)
def test_enabling_a_platform_without_its_token_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, message: str
) -> None:
    cfg = write_config(tmp_path, body)
    assert main(["-c", str(cfg), "run"]) == 1
    assert message in capsys.readouterr().err


def test_jobs_lists_dead_and_failing_jobs_and_retry_requeues(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'db' / 't.db'}"

    async def seed() -> tuple[int, int]:
        store = await open_store(url, upgrade=True)
        for i in range(2):
            assert await store.accept(make_message(f"question {i}", message_id=f"m{i}"))
        first, second = await store.claim(worker="w", kinds=["process"], limit=2, lease=60)
        await store.finish(first, dead=True, error="ValueError: cannot classify message 1")
        await store.retry_later(second, delay=600, error="ConnectionError: server down")
        await store.aclose()
        return first.id, second.id

    (tmp_path / "db").mkdir()
    dead, failing = asyncio.run(seed())
    assert main(["-c", str(cfg), "jobs"]) == 0
    out = capsys.readouterr().out
    assert f"job {dead:<6} classify and card message 1" in out and "dead, 1 tries" in out
    assert "reason: ValueError: cannot classify message 1" in out
    assert f"job {failing:<6}" in out and "failing, next try in" in out
    assert "1 dead: `tactline jobs retry`" in out
    assert main(["-c", str(cfg), "jobs", "retry", str(failing)]) == 1  # not dead
    assert "0 dead job(s) back in the queue" in capsys.readouterr().out
    assert main(["-c", str(cfg), "jobs", "retry"]) == 0
    assert "1 dead job(s) back in the queue" in capsys.readouterr().out

    async def due() -> int:
        store = await open_store(url)
        try:
            return await store.due_jobs()
        finally:
            await store.aclose()

    assert asyncio.run(due()) == 1  # the dead one is due again; the failing one waits
