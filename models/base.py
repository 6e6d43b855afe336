"""The seams between the pipeline and the models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.domain import Classification, DraftBrief, Platform


@dataclass(frozen=True, slots=True)
class ClassifyInput:
    text: str
    platform: Platform | None = None


class Classifier(Protocol):
    """Labels messages with intent, tone and flags. Implementations batch internally."""

    name: str

    async def classify(self, items: Sequence[ClassifyInput]) -> list[Classification]: ...


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float


class ChatBackend(Protocol):
    """Text generation: transformers, llama.cpp, or an OpenAI-compatible server."""

    name: str

    async def complete(self, messages: Sequence[ChatMessage], *, max_tokens: int) -> Completion: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class DraftResult:
    text: str | None  # None when the output checks found nothing safe to propose
    model: str
    notes: tuple[str, ...]  # what the output checks changed or refused, for moderators
    seconds: float
    facts_used: tuple[str, ...] = ()  # ids of the policy facts the draft carries


class Drafter(Protocol):
    """Turns a policy brief into a reply draft that passed the output checks."""

    name: str

    async def draft(self, brief: DraftBrief) -> DraftResult: ...

    async def aclose(self) -> None: ...
