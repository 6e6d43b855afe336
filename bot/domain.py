"""Frozen value types shared by every part of Tactline.

They carry data only: no reference to an adapter, a model or the store. A reply is routed
by the small :class:`ConversationRef` the inbound message carries.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any


class Platform(enum.StrEnum):
    DISCORD = "discord"
    TELEGRAM = "telegram"
    SLACK = "slack"


class Intent(enum.StrEnum):
    """Built-in intents. Policy files may add more; code compares by string value."""

    QUESTION = "question"
    COMPLAINT = "complaint"
    BUG_REPORT = "bug_report"
    FEATURE_REQUEST = "feature_request"
    PRAISE = "praise"
    FEEDBACK = "feedback"
    ATTACK = "attack"
    SPAM = "spam"
    LEGAL_THREAT = "legal_threat"
    SAFETY = "safety"
    OFF_TOPIC = "off_topic"


class Sentiment(enum.StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class Flag(enum.StrEnum):
    LEGAL_THREAT = "legal_threat"
    SARCASM = "sarcasm"
    SPAM = "spam"
    PROMPT_INJECTION = "prompt_injection"
    SAFETY = "safety"
    HATE = "hate"  # an attack on people for who they are, not an insult at one person


class Action(enum.StrEnum):
    """What the policy decides for a message. There is deliberately no delete/hide/ban."""

    REPLY = "reply"
    ESCALATE = "escalate"
    NO_REPLY = "no_reply"


class DraftStatus(enum.StrEnum):
    PENDING = "pending"  # awaiting a human decision
    APPROVED = "approved"  # approved (possibly edited); an outbox row exists
    REJECTED = "rejected"
    ESCALATED = "escalated"  # handed to another approver group; a new card is due
    STALE = "stale"  # the source message changed or vanished before posting
    POSTED = "posted"
    FAILED = "failed"  # delivery failed for good; admins were told


class Verdict(enum.StrEnum):
    APPROVE = "approve"
    EDIT = "edit"
    REJECT = "reject"
    ESCALATE = "escalate"
    TAKE_OVER = "take_over"


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class ConversationRef:
    """Where a reply goes: data only, enough for the platform adapter to thread it."""

    platform: Platform
    channel_id: str
    thread_id: str | None = None
    reply_to_message_id: str | None = None
    channel_name: str | None = None


@dataclass(frozen=True, slots=True)
class Author:
    id: str
    name: str
    is_bot: bool = False
    joined_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One community message as the platform delivered it, normalised.

    ``raw`` keeps the platform payload, read-only, for audit and reprocessing.
    """

    platform: Platform
    platform_message_id: str
    conversation: ConversationRef
    author: Author
    text: str
    sent_at: datetime
    raw: Mapping[str, Any] = field(default_factory=lambda: _frozen(None))

    def __post_init__(self) -> None:
        if not isinstance(self.raw, MappingProxyType):
            object.__setattr__(self, "raw", _frozen(self.raw))


@dataclass(frozen=True, slots=True)
class Classification:
    language: str  # "en" or "fr" (ISO 639-1)
    intent: str
    sentiment: Sentiment
    toxic: bool
    toxicity: float  # in [0, 1]
    flags: frozenset[str]
    confidence: float  # confidence of the intent, in [0, 1]
    model: str = ""
    # Where a long message's urgent or abusive signal is, when not in its opening: the
    # sentence quoted on the card and kept in the prompt.
    evidence: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "intent": self.intent,
            "sentiment": str(self.sentiment),
            "toxic": self.toxic,
            "toxicity": round(self.toxicity, 4),
            "flags": sorted(self.flags),
            "confidence": round(self.confidence, 4),
            **({"evidence": self.evidence} if self.evidence else {}),
        }


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """A policy rule that matched, and why: shown to moderators and stored for audit."""

    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class PlatformStyle:
    max_chars: int
    max_sentences: int
    end_with_question: bool
    formality: str  # "tu" | "vous" | "casual" | "formal"
    emoji: bool


@dataclass(frozen=True, slots=True)
class ContextMessage:
    """An earlier message of the conversation, given to the drafter."""

    author: str
    text: str
    from_brand: bool


@dataclass(frozen=True, slots=True)
class DraftBrief:
    """Everything the drafter needs, produced by the policy engine for one message."""

    text: str
    language: str
    intent: str
    platform: Platform
    voice: str
    strategy: str
    facts: tuple[str, ...]
    style: PlatformStyle
    forbidden_promises: tuple[str, ...]
    avoid_topics: tuple[str, ...]
    author_name: str = ""
    context: tuple[ContextMessage, ...] = ()
    flags: frozenset[str] = frozenset()
    fact_ids: tuple[str, ...] = ()  # the ids of ``facts``, same order
    # True when facts[0] answers the message: the draft must carry its key items (addresses,
    # links, menu paths, error codes) or say them; False: no fact answers, so the draft must
    # not answer in the brand's name (it says who will follow up).
    answered: bool = False
    group_label: str = ""  # who follows up ("Customer support"), for drafts that cannot answer
    examples: tuple[tuple[str, str], ...] = ()  # (message, approved reply) from the policy
    # (message, sent reply) from the reply bank, for messages close in meaning to this one:
    # shown before the policy's examples; being on this topic, their words are not "borrowed".
    learned_examples: tuple[tuple[str, str], ...] = ()
    sentiment: str = ""  # of the message: an upset member gets an apology first
    # What to try when the draft answered what no fact states: the `unanswered` strategy and
    # its example replies (empty: no second strategy, only the reasons).
    fallback_strategy: str = ""
    fallback_examples: tuple[tuple[str, str], ...] = ()
    # The sentence of a long message that raised its flag (Classification.evidence): kept in
    # the prompt even when the message is cut.
    evidence: str = ""
    # A draft close to one a moderator rejected for a similar message, and their reason: the
    # model is shown it and asked for a reply that avoids what was wrong (empty: first try).
    avoid: tuple[str, ...] = ()  # (draft, reason)


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    group: str  # approver group that owns the message
    strategy: str
    matched_rules: tuple[RuleMatch, ...]
    policy_version: str  # content hash of the policy files
    auto_send: bool = False  # explicit, policy-enabled send without approval
    urgent: bool = False  # alert humans at once (legal, safety, attacks)
    brief: DraftBrief | None = None  # None when no draft is wanted
    ticket: str | None = None  # a ticket summary for the group (bug reports to product)

    @property
    def wants_draft(self) -> bool:
        return self.brief is not None


@dataclass(frozen=True, slots=True)
class Draft:
    id: int
    message_id: int
    version: int
    text: str
    status: DraftStatus
    created_at: datetime
    model: str = ""


@dataclass(frozen=True, slots=True)
class ApprovalDecision:
    draft_id: int
    actor: str
    at: datetime
    verdict: Verdict
    edited_text: str | None = None
    reason: str | None = None
    target_group: str | None = None


@dataclass(frozen=True, slots=True)
class OutboundReply:
    conversation: ConversationRef
    text: str
    idempotency_key: str  # stable per outbox row; adapters use it to dedupe sends


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    platform: Platform
    platform_message_ids: tuple[str, ...]  # several when a long reply was split
    sent_at: datetime
    permalink: str | None = None


@dataclass(frozen=True, slots=True)
class IntentSpec:
    """An intent as the policy files define it; the classifier learns from the examples."""

    name: str
    description: str
    examples: Mapping[str, tuple[str, ...]]  # language -> example messages
