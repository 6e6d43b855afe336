"""The shape of each policy file, as admins write it. Validation only: no behaviour here.

Every model forbids unknown keys, so a typo (``escalte = true``) is an error with a line
number rather than a setting silently ignored.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

PLATFORMS = ("discord", "telegram", "slack")
TONES = ("default", "negative", "neutral", "positive", "toxic", "sarcasm")
ACTIONS = ("reply", "escalate", "no_reply")
CENSORING = frozenset({"delete", "remove", "hide", "mute", "ban", "kick", "timeout", "block"})
# Intents that are never "low risk": no policy may let them post without a human.
NEVER_AUTOSEND = frozenset({"complaint", "bug_report", "attack", "spam", "legal_threat", "safety"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Scope(_Strict):
    """Where something applies. Empty lists mean "everywhere"."""

    platforms: tuple[Literal["discord", "telegram", "slack"], ...] = ()
    channels: tuple[str, ...] = ()  # channel ids or names ("general" or "#general")


# --- brand.toml -------------------------------------------------------------------------


class BrandSection(_Strict):
    name: str = Field(min_length=1)
    voice: str = Field(min_length=1)
    avoid_topics: tuple[str, ...] = ()
    forbidden_promises: tuple[str, ...] = ()
    max_facts: int = Field(default=3, ge=0, le=10)


class FactEntry(_Strict):
    id: str = Field(min_length=1)
    text: str = Field(min_length=1, max_length=600)
    keywords: tuple[str, ...] = Field(min_length=1)
    platforms: tuple[Literal["discord", "telegram", "slack"], ...] = ()
    channels: tuple[str, ...] = ()


class BrandFile(_Strict):
    brand: BrandSection
    fact: tuple[FactEntry, ...] = ()


# --- intents.toml -----------------------------------------------------------------------


class IntentEntry(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = Field(min_length=1)
    examples: dict[Literal["en", "fr"], tuple[str, ...]]

    @field_validator("examples")
    @classmethod
    def _has_examples(
        cls, v: dict[Literal["en", "fr"], tuple[str, ...]]
    ) -> dict[Literal["en", "fr"], tuple[str, ...]]:
        if not any(v.values()):
            raise ValueError("give at least one example message")
        return v


class IntentsFile(_Strict):
    intent: tuple[IntentEntry, ...] = Field(min_length=1)


# --- replies.toml -----------------------------------------------------------------------


class StrategyEntry(_Strict):
    """How to answer one intent; tone keys refine the default."""

    default: str = Field(min_length=1)
    negative: str | None = None
    neutral: str | None = None
    positive: str | None = None
    toxic: str | None = None
    sarcasm: str | None = None


class StyleEntry(_Strict):
    max_chars: int | None = Field(default=None, ge=40, le=4000)
    max_sentences: int | None = Field(default=None, ge=1, le=12)
    end_with_question: bool | None = None
    formality: Literal["tu", "vous"] | None = None
    emoji: bool | None = None


class ChannelStyle(StyleEntry):
    platforms: tuple[Literal["discord", "telegram", "slack"], ...] = ()
    channels: tuple[str, ...] = Field(min_length=1)


class StyleSection(_Strict):
    default: StyleEntry
    discord: StyleEntry = StyleEntry()
    telegram: StyleEntry = StyleEntry()
    slack: StyleEntry = StyleEntry()
    channel: tuple[ChannelStyle, ...] = ()


class RepliesFile(_Strict):
    strategy: dict[str, StrategyEntry]
    style: StyleSection


# --- routing.toml -----------------------------------------------------------------------


class Defaults(_Strict):
    group: str
    urgent_group: str  # who gets safety and other urgent messages no rule routes
    platforms: tuple[Literal["discord", "telegram", "slack"], ...] = ()
    channels: tuple[str, ...] = ()


class GroupEntry(_Strict):
    label: str = ""
    approvers: tuple[str, ...] = Field(min_length=1)  # Slack user (U…) or user-group (S…) ids
    respond_within_minutes: int = Field(ge=1, le=7 * 24 * 60)

    @field_validator("approvers")
    @classmethod
    def _slack_ids(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for a in v:
            if not a or a[0] not in "USW" or not a[1:].isalnum():
                raise ValueError(f"{a!r} is not a Slack user (U…/W…) or user-group (S…) id")
        return v


class When(_Strict):
    match: Literal["all", "any"] = "all"
    intents: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    sentiments: tuple[Literal["negative", "neutral", "positive"], ...] = ()
    toxic: bool | None = None
    languages: tuple[Literal["en", "fr"], ...] = ()
    keywords: tuple[str, ...] = ()
    min_confidence: float | None = Field(default=None, ge=0, le=1)


class RuleEntry(_Strict):
    name: str = Field(min_length=1)
    description: str = ""
    when: When
    action: str  # a str rather than a Literal, so "delete" gets the explanation it deserves
    group: str | None = None
    urgent: bool = False
    draft: bool = True  # escalations: prepare a draft for the group to edit
    strategy: str | None = None
    ticket: bool = False  # attach a ticket summary for the group (bug reports)
    platforms: tuple[Literal["discord", "telegram", "slack"], ...] | None = None
    channels: tuple[str, ...] | None = None

    @field_validator("action")
    @classmethod
    def _no_censoring(cls, v: str) -> str:
        if v in CENSORING:
            raise ValueError(
                f"action {v!r} is not possible: Tactline never deletes, hides, mutes or bans; "
                "use reply, escalate or no_reply"
            )
        if v not in ACTIONS:
            raise ValueError(f"unknown action {v!r} (use {', '.join(ACTIONS)})")
        return v


class AutosendSection(_Strict):
    enabled: bool = False
    intents: tuple[str, ...] = ()
    min_confidence: float = Field(default=0.8, ge=0.5, le=1)
    max_per_channel: int = Field(default=3, ge=1, le=100)
    window_seconds: int = Field(default=3600, ge=60)
    platforms: tuple[Literal["discord", "telegram", "slack"], ...] = ()
    channels: tuple[str, ...] = ()


class RoutingFile(_Strict):
    defaults: Defaults
    groups: dict[str, GroupEntry] = Field(min_length=1)
    rule: tuple[RuleEntry, ...] = ()
    autosend: AutosendSection = AutosendSection()


FILES: dict[str, type[_Strict]] = {
    "brand.toml": BrandFile,
    "intents.toml": IntentsFile,
    "replies.toml": RepliesFile,
    "routing.toml": RoutingFile,
}
