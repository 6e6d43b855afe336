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
    # The languages replies are written in: every fact should carry its text in each
    # (`text` is English, `text_fr` French); `tactline policy check` warns when one is missing.
    languages: tuple[Literal["en", "fr"], ...] = ("en", "fr")


class FactEntry(_Strict):
    id: str = Field(min_length=1)
    text: str = Field(min_length=1, max_length=600)
    text_fr: str | None = Field(default=None, min_length=1, max_length=600)
    keywords: tuple[str, ...] = Field(min_length=1)
    # Messages this fact answers, in any language: they teach the match by meaning, so a
    # question worded with none of the keywords still finds its fact.
    questions: tuple[str, ...] = ()
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


class ExampleEntry(_Strict):
    """A reply the team would approve as it is, shown to the drafter as a model answer for
    messages of the same kind and language (the seed of the reply bank)."""

    strategy: str = Field(min_length=1)  # a [strategy.<key>] table: an intent, or a rule's
    language: Literal["en", "fr"]
    message: str = Field(min_length=1, max_length=600)
    reply: str = Field(min_length=1, max_length=600)


class RepliesFile(_Strict):
    strategy: dict[str, StrategyEntry]
    style: StyleSection
    example: tuple[ExampleEntry, ...] = ()


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


# --- alerts.toml ------------------------------------------------------------------------


class BadBuzz(_Strict):
    window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    baseline_hours: int = Field(default=24, ge=1, le=24 * 30)
    min_messages: int = Field(default=5, ge=2)
    ratio: float = Field(default=3.0, ge=1)
    cooldown_minutes: int = Field(default=60, ge=1)
    grow_factor: float = Field(default=2.0, gt=1)


class HateAlert(_Strict):
    window_minutes: int = Field(default=30, ge=1, le=24 * 60)
    min_messages: int = Field(default=3, ge=2)
    cooldown_minutes: int = Field(default=60, ge=1)
    grow_factor: float = Field(default=2.0, gt=1)


class Flood(_Strict):
    """One member posting a burst in one channel (a raid needs many authors)."""

    window_minutes: int = Field(default=10, ge=1, le=24 * 60)
    max_messages: int = Field(default=10, ge=2)  # from one author in one channel
    cooldown_minutes: int = Field(default=60, ge=1)
    grow_factor: float = Field(default=2.0, gt=1)
    # A member's plain messages in one conversation within this many seconds of the first,
    # while its draft has not begun, join its card and get one draft that answers them all
    # (0: a card per message). Urgent, flagged or toxic messages always get their own card.
    join_seconds: int = Field(default=120, ge=0, le=3600)


class Raid(_Strict):
    window_minutes: int = Field(default=10, ge=1, le=24 * 60)
    new_account_days: int = Field(default=7, ge=1)
    min_new_accounts: int = Field(default=5, ge=2)
    similar_messages: int = Field(default=4, ge=2)
    similarity: float = Field(default=0.8, gt=0, le=1)
    cooldown_minutes: int = Field(default=60, ge=1)


class Backlog(_Strict):
    max_pending_drafts: int = Field(default=50, ge=1)
    max_wait_minutes: int = Field(default=120, ge=1)
    cooldown_minutes: int = Field(default=60, ge=1)


class AdaptersAlerts(_Strict):
    down_after_seconds: int = Field(default=120, ge=10)
    cooldown_minutes: int = Field(default=30, ge=1)


class Digest(_Strict):
    enabled: bool = True
    weekday: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ] = "monday"
    hour_utc: int = Field(default=8, ge=0, le=23)


class AlertsFile(_Strict):
    bad_buzz: BadBuzz = BadBuzz()
    hate: HateAlert = HateAlert()
    flood: Flood = Flood()
    raid: Raid = Raid()
    backlog: Backlog = Backlog()
    adapters: AdaptersAlerts = AdaptersAlerts()
    digest: Digest = Digest()


FILES: dict[str, type[_Strict]] = {
    "alerts.toml": AlertsFile,
    "brand.toml": BrandFile,
    "intents.toml": IntentsFile,
    "replies.toml": RepliesFile,
    "routing.toml": RoutingFile,
}
