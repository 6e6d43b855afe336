"""Secrets never shown: configured values and token-shaped strings are redacted in text,
in log records (message, arguments, traceback) and in database URLs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Config, load_config, secret
from bot.redact import (
    MASK,
    RedactingFilter,
    exception_text,
    forget_all,
    install_log_redaction,
    redact,
    remember,
    safe_url,
)

TELEGRAM = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
SLACK_BOT = "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_APP = "xapp-1-A0123456789-1234567890123-0a1b2c3d4e5f"
DISCORD = "MTA5ODc2NTQzMjEwOTg3NjU0Mw.GhIjKl.aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789ab"


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    forget_all()
    yield
    forget_all()
    for handler in logging.getLogger().handlers:  # the filter must not outlive the test
        for f in list(handler.filters):
            if isinstance(f, RedactingFilter):
                handler.removeFilter(f)


@pytest.mark.parametrize(
    "text",
    [
        f"The token `{TELEGRAM}` was rejected by the server.",
        f"POST https://api.telegram.org/bot{TELEGRAM}/getMe 404",
        f"invalid_auth for {SLACK_BOT}",
        f"socket mode with {SLACK_APP} refused",
        f"login with {DISCORD} failed",
        "Authorization: Bearer sk-abcdef0123456789abcdef",
    ],
)
def test_token_shaped_strings_are_redacted_without_being_configured(text: str) -> None:
    out = redact(text)
    assert MASK in out
    for token in (TELEGRAM, SLACK_BOT, SLACK_APP, DISCORD, "sk-abcdef0123456789abcdef"):
        assert token not in out


def test_a_bot_url_keeps_its_method_and_a_database_url_its_user() -> None:
    assert redact(f"https://api.telegram.org/bot{TELEGRAM}/getMe") == (
        f"https://api.telegram.org/bot{MASK}/getMe"
    )
    assert redact("postgresql+psycopg://tl:hunter2pw@db:5432/x failed") == (
        "postgresql+psycopg://tl:***@db:5432/x failed"
    )


def test_configured_values_are_redacted_in_any_shape_of_text() -> None:
    remember("hook:secret/42")
    remember("on")  # too short to be a secret worth mangling every "on" for
    out = redact("secret hook:secret/42 (in a URL: hook%3Asecret%2F42) is on")
    assert out == f"secret {MASK} (in a URL: {MASK}) is on"
    assert redact("x plain-value-9 y", extra=["plain-value-9"]) == f"x {MASK} y"


def test_secret_read_from_the_environment_is_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TL_TEST_TOKEN", "tok-0123456789")
    assert secret("TL_TEST_TOKEN", what="a token") == "tok-0123456789"
    assert redact("got tok-0123456789 back") == f"got {MASK} back"


def test_every_configured_secret_variable_is_known(tmp_path: Path) -> None:
    f = tmp_path / "config.toml"
    f.write_text(
        '[models.drafter]\napi_key_env = "MY_LLM_KEY"\n'
        '[adapters.telegram]\nsigning_secret_env = "MY_HOOK"\n'
        '[adapters.slack]\napp_token_env = "MY_SLACK_APP"\n'
    )
    names = set(load_config(f).secret_env_names())
    assert {
        "TACTLINE_DISCORD_TOKEN",
        "TACTLINE_TELEGRAM_TOKEN",
        "TACTLINE_SLACK_COMMUNITY_TOKEN",
        "TACTLINE_SLACK_BOT_TOKEN",
        "TACTLINE_SLACK_APP_TOKEN",
        "TACTLINE_SLACK_SIGNING_SECRET",
        "MY_LLM_KEY",
        "MY_HOOK",
        "MY_SLACK_APP",
    } <= names
    assert Config().secret_env_names()  # the defaults name them too


def test_exception_text_is_one_redacted_line() -> None:
    exc = RuntimeError(f"boom\n  token {TELEGRAM}\n")
    assert exception_text(exc) == f"boom token {MASK}"
    assert exception_text(TimeoutError()) == "TimeoutError"


def test_log_filter_redacts_message_arguments_and_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    remember("configured-secret-1")
    install_log_redaction()
    log = logging.getLogger("tests.redact")
    with caplog.at_level(logging.INFO):
        log.info("calling %s with %s", f"/bot{TELEGRAM}/getMe", "configured-secret-1")
        try:
            raise ValueError(f"rejected {SLACK_BOT}")
        except ValueError:
            log.exception("it failed")
    assert TELEGRAM not in caplog.text and "configured-secret-1" not in caplog.text
    assert SLACK_BOT not in caplog.text and "ValueError: rejected [redacted]" in caplog.text


def test_safe_url_hides_the_password_even_of_a_url_that_does_not_parse() -> None:
    assert safe_url("postgresql+psycopg://tl:hunter2pw@db/x") == "postgresql+psycopg://tl:***@db/x"
    assert "hunter2pw" not in safe_url("postgres ql://tl:hunter2pw@db/x")
    assert safe_url("sqlite+aiosqlite:///var/t.db") == "sqlite+aiosqlite:///var/t.db"


def test_status_with_a_mistyped_database_url_never_prints_its_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for url in (
        "postgresql+psycopq://tl:hunter2pw@127.0.0.1:1/x",  # a driver that does not exist
        "postgresql+psycopg://tl:hunter2pw@127.0.0.1:1/x",  # nothing listens there
        "postgresql+psycopg://tl:hunter2pw@127.0.0.1:notaport/x",
    ):
        f = tmp_path / "config.toml"
        f.write_text(f'[database]\nurl = "{url}"\n')
        assert main(["-c", str(f), "status"]) == 1
        out, err = capsys.readouterr()
        assert err.startswith("tactline: error:") and "hunter2pw" not in out + err
