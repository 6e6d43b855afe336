"""config.toml: typed, validated, errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config, secret
from bot.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def test_shipped_config_equals_the_defaults() -> None:
    shipped = load_config(REPO / "config.toml")
    defaults = load_config(None)
    assert shipped.model_dump(exclude={"base_dir"}) == defaults.model_dump(exclude={"base_dir"})


def test_relative_sqlite_path_resolves_against_the_config_folder(tmp_path: Path) -> None:
    f = tmp_path / "config.toml"
    f.write_text('[database]\nurl = "sqlite+aiosqlite:///data/t.db"\n')
    url = load_config(f).database_url
    assert url == f"sqlite+aiosqlite:///{(tmp_path / 'data' / 't.db').resolve()}"
    assert (tmp_path / "data").is_dir()


@pytest.mark.parametrize(
    ("body", "key", "reason"),
    [
        ("[workers]\nconcurency = 3\n", "workers.concurency", "Extra inputs"),
        ("[workers]\nconcurrency = 'many'\n", "workers.concurrency", "valid integer"),
        ("[models.drafter]\nbackend = 'gpt'\n", "models.drafter.backend", "Input should be"),
        ("[workers\n", "-", "not valid TOML"),
    ],
)
def test_errors_name_file_and_key(tmp_path: Path, body: str, key: str, reason: str) -> None:
    f = tmp_path / "config.toml"
    f.write_text(body)
    with pytest.raises(ConfigError) as err:
        load_config(f)
    assert err.value.path == str(f)
    assert err.value.key == key
    assert reason in err.value.reason


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")


def test_secret_error_names_the_variable_never_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TL_TEST_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="TL_TEST_TOKEN"):
        secret("TL_TEST_TOKEN", what="the Discord token")
    monkeypatch.setenv("TL_TEST_TOKEN", "s3cr3t")
    assert secret("TL_TEST_TOKEN", what="the Discord token") == "s3cr3t"
