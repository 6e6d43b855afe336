"""``[logging] format = "json"``: every line `tactline` writes to stderr is one JSON object
(time, level, logger, message, exception), and secrets stay redacted in it."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import LoggingConfig, load_config
from bot.logs import HANDLER_NAME, JsonFormatter, configure_logging
from bot.redact import MASK, RedactingFilter, forget_all, remember

REPO = Path(__file__).resolve().parents[2]
# Shaped like a Telegram bot token: redacted by shape even when nobody remembered it.
TELEGRAM_SHAPED = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SLACK_SHAPED = "xoxb-1111-2222-abcdefabcdef"


def json_config(tmp_path: Path, level: str = "INFO") -> Path:
    f = tmp_path / "config.toml"
    f.write_text(
        '[database]\nurl = "sqlite+aiosqlite:///db/t.db"\n\n'
        f'[logging]\nformat = "json"\nlevel = "{level}"\n'
    )
    return f


def parse_lines(stderr: str) -> list[dict[str, Any]]:
    """Every line as a JSON object: fails the test on the first line that is not one."""
    records = []
    for number, line in enumerate(stderr.split("\n"), 1):
        if not line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            pytest.fail(f"stderr line {number} is not JSON: {line!r}")
        assert isinstance(record, dict), line
        assert {"time", "level", "logger", "message"} <= record.keys(), line
        records.append(record)
    return records


@pytest.fixture
def isolated_logger() -> Iterator[logging.Logger]:
    """A logger outside the hierarchy (no parent), which pytest's capture does not reach."""
    yield logging.Logger("tactline.test.json_logs")
    forget_all()


def test_the_config_section_defaults_to_text_and_refuses_other_formats(tmp_path: Path) -> None:
    assert load_config(None).logging == LoggingConfig(format="text", level="INFO")
    assert load_config(json_config(tmp_path)).logging.format == "json"
    bad = tmp_path / "bad.toml"
    bad.write_text('[logging]\nformat = "xml"\n')
    with pytest.raises(Exception, match=r"logging\.format"):
        load_config(bad)


def test_a_record_is_one_json_line_with_its_exception(isolated_logger: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging(LoggingConfig(format="json"), logger=isolated_logger, stream=out)
    try:
        raise ValueError("line one\nline two \u2028 après")
    except ValueError:
        isolated_logger.exception("drafting failed for %s", "maya")
    isolated_logger.debug("not shown at INFO")
    lines = out.getvalue().splitlines()  # also splits on U+2028: none may be left in a line
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["level"] == "ERROR" and record["logger"] == isolated_logger.name
    assert record["message"] == "drafting failed for maya"
    assert record["time"].endswith("+00:00")
    assert "ValueError: line one\nline two \u2028 après" in record["exception"]


def test_configuring_again_switches_format_without_a_second_handler(
    isolated_logger: logging.Logger,
) -> None:
    out = io.StringIO()
    configure_logging(logger=isolated_logger, stream=out)
    configure_logging(LoggingConfig(format="json"), logger=isolated_logger, stream=out)
    ours = [h for h in isolated_logger.handlers if h.get_name() == HANDLER_NAME]
    assert len(ours) == 1 and isinstance(ours[0].formatter, JsonFormatter)
    assert any(isinstance(f, RedactingFilter) for f in ours[0].filters)


def test_secrets_are_redacted_in_json_lines(isolated_logger: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging(LoggingConfig(format="json"), logger=isolated_logger, stream=out)
    remember("remembered-secret-value")
    try:
        raise RuntimeError(f"GET https://api.telegram.org/bot{TELEGRAM_SHAPED}/getMe failed")
    except RuntimeError:
        isolated_logger.exception("token %s and %s", SLACK_SHAPED, "remembered-secret-value")
    text = out.getvalue()
    record = json.loads(text)
    assert SLACK_SHAPED not in text and TELEGRAM_SHAPED not in text
    assert "remembered-secret-value" not in text
    assert record["message"] == f"token {MASK} and {MASK}"
    assert f"/bot{MASK}/getMe" in record["exception"]


def run_tactline(
    args: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    *,
    entry: tuple[str, ...] = ("-m", "bot"),
) -> subprocess.CompletedProcess[str]:
    """`tactline ARGS` in a child process (``entry``: ``-m bot`` or a driver script)."""
    return subprocess.run(
        [sys.executable, *entry, *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_tactline_status_logs_only_json_lines(tmp_path: Path) -> None:
    cfg = json_config(tmp_path, level="DEBUG")
    done = run_tactline(["-c", str(cfg), "status"], tmp_path)
    assert done.returncode == 0, done.stderr
    records = parse_lines(done.stderr)
    # a new database is migrated first: alembic says so at INFO
    assert any(r["logger"].startswith("alembic") and r["level"] == "INFO" for r in records)
    assert "database" in done.stdout  # the report itself stays on stdout, as text


def test_text_stays_the_default(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[database]\nurl = "sqlite+aiosqlite:///db/t.db"\n')
    done = run_tactline(["-c", str(cfg), "status"], tmp_path)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stderr.splitlines() if "alembic" in x)
    assert " INFO alembic.runtime.migration: " in line and not line.startswith("{")


def test_a_token_logged_by_a_command_is_redacted_in_its_json_line(tmp_path: Path) -> None:
    """The real `tactline status` run, whose handler logs the token it was given in its
    message and in an exception, as an SDK error would."""
    cfg = json_config(tmp_path)
    driver = tmp_path / "driver.py"
    driver.write_text(
        textwrap.dedent(
            """
            import logging, os, sys
            import bot.commands.status as status_command
            from bot.cli import main

            real = status_command.status

            async def status_that_logs_a_token(args, config):
                token = os.environ["TACTLINE_TELEGRAM_TOKEN"]
                log = logging.getLogger("adapters.telegram")
                log.warning("polling with %s and %s", token, os.environ["LEAKED"])
                try:
                    raise ConnectionError(f"https://api.telegram.org/bot{token}/getUpdates")
                except ConnectionError:
                    log.exception("poll failed")
                return await real(args, config)

            status_command.status = status_that_logs_a_token
            sys.exit(main(sys.argv[1:]))
            """
        )
    )
    env = {"TACTLINE_TELEGRAM_TOKEN": "configured-token-value-42", "LEAKED": SLACK_SHAPED}
    done = run_tactline(["-c", str(cfg), "status"], tmp_path, env, entry=(str(driver),))
    assert done.returncode == 0, done.stderr
    records = parse_lines(done.stderr)
    assert "configured-token-value-42" not in done.stderr and SLACK_SHAPED not in done.stderr
    warning = next(r for r in records if r["level"] == "WARNING")
    assert warning["message"] == f"polling with {MASK} and {MASK}"
    failed = next(r for r in records if r["message"] == "poll failed")
    assert f"/bot{MASK}/getUpdates" in failed["exception"]


def test_a_users_mistake_is_a_json_line_too(tmp_path: Path) -> None:
    cfg = json_config(tmp_path, level="INFO")
    done = run_tactline(["-c", str(cfg), "drafts", "reject", "999", "--reason", "x"], tmp_path)
    assert done.returncode == 1
    [record] = [r for r in parse_lines(done.stderr) if r["level"] == "ERROR"]
    assert record["message"].startswith("tactline: error: ") and "999" in record["message"]
