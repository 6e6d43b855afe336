"""The Discord invite URL: the permission bits the adapter needs, no more, and the intent."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import discord
import pytest

from bot.cli import main
from bot.errors import TactlineError
from bot.golive.invite import client_id_from_token, invite_url, permission_bits


def test_the_bits_are_view_read_history_send_and_send_in_threads() -> None:
    wanted = discord.Permissions(
        view_channel=True,
        read_message_history=True,
        send_messages=True,
        send_messages_in_threads=True,
    )
    assert permission_bits() == wanted.value == 274877975552
    granted = discord.Permissions(permission_bits())
    for risky in ("administrator", "manage_messages", "mention_everyone", "create_public_threads"):
        assert getattr(granted, risky) is False


def test_the_url_asks_for_the_bot_scope_and_the_bits() -> None:
    url = urlsplit(invite_url("1234567890"))
    assert (url.scheme, url.netloc, url.path) == ("https", "discord.com", "/oauth2/authorize")
    assert parse_qs(url.query) == {
        "client_id": ["1234567890"],
        "scope": ["bot"],
        "permissions": [str(permission_bits())],
    }


def test_a_client_id_that_is_not_an_id_is_refused() -> None:
    with pytest.raises(TactlineError, match="Application ID"):
        invite_url("my-bot")


def _token(user_id: str) -> str:
    head = base64.b64encode(user_id.encode()).decode().rstrip("=")
    return f"{head}.GhIjKl.{'x' * 27}"


def test_the_client_id_is_read_from_the_token() -> None:
    assert client_id_from_token(_token("112233445566778899")) == "112233445566778899"
    assert client_id_from_token("not a token") is None
    assert client_id_from_token("") is None


def test_the_command_prints_the_url_and_the_intent(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _token("4242424242")
    monkeypatch.setenv("TACTLINE_DISCORD_TOKEN", token)
    assert main(["discord", "invite-url"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == invite_url("4242424242")
    assert "Message Content Intent" in err
    assert token not in out + err


def test_the_command_without_an_id_or_token_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TACTLINE_DISCORD_TOKEN", raising=False)
    assert main(["discord", "invite-url"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tactline: error: --client-id is required")
    assert err.count("\n") == 1
