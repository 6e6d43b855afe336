"""What the engine decides about: one message, its classification, and what surrounds it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypedDict

from bot.domain import Classification, ContextMessage, InboundMessage


class Circumstances(TypedDict, total=False):
    """The optional keyword arguments of ``decide`` and ``explain``."""

    context: Sequence[ContextMessage]  # the thread before the message
    auto_sends_in_window: int  # replies already sent without approval in the channel
    meaning: Mapping[str, float] | None  # fact id -> cosine with the message


@dataclass(frozen=True, slots=True)
class Situation:
    """One message to decide on, as the engine's steps read it."""

    message: InboundMessage
    classification: Classification
    context: tuple[ContextMessage, ...] = ()
    auto_sends_in_window: int = 0
    meaning: Mapping[str, float] | None = None

    @classmethod
    def of(
        cls,
        message: InboundMessage,
        classification: Classification,
        circumstances: Circumstances,
    ) -> Situation:
        """Raises TypeError on an unknown keyword, as a plain signature would."""
        extra = set(circumstances) - Circumstances.__optional_keys__
        if extra:
            raise TypeError(f"unexpected keyword argument {sorted(extra)[0]!r}")
        return cls(
            message,
            classification,
            tuple(circumstances.get("context", ())),
            circumstances.get("auto_sends_in_window", 0),
            circumstances.get("meaning"),
        )

    @property
    def tone(self) -> str:
        """The tone a strategy is refined by: toxic, then sarcasm, then the sentiment."""
        c = self.classification
        if c.toxic:
            return "toxic"
        if "sarcasm" in c.flags:
            return "sarcasm"
        return str(c.sentiment)
