"""Test doubles at the model edge, for tests about the spine rather than about judgement.

The real classifier and drafters have their own tests (tests/models); these are deterministic
and instant so that hundreds of messages can go through the pipeline in a test.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import Classification, DraftBrief, IntentSpec, Sentiment
from models.base import ClassifyInput, DraftResult


class RuleClassifier:
    """ "spam" in the text: spam; "idiot": an attack; "lawyer": a legal threat; else a question."""

    name = "test-rules"

    def __init__(self, intents: Sequence[IntentSpec] = ()) -> None:
        self.intents = intents
        self.calls = 0

    async def classify(self, items: Sequence[ClassifyInput]) -> list[Classification]:
        self.calls += 1
        out = []
        for item in items:
            text = item.text.lower()
            intent, flags, toxic = "question", frozenset[str](), False
            if "spam" in text:
                intent, flags = "spam", frozenset({"spam"})
            elif "idiot" in text:
                intent, toxic = "attack", True
            elif "lawyer" in text:
                intent, flags = "legal_threat", frozenset({"legal_threat"})
            out.append(
                Classification(
                    language="fr" if "bonjour" in text else "en",
                    intent=intent,
                    sentiment=Sentiment.NEGATIVE if toxic else Sentiment.NEUTRAL,
                    toxic=toxic,
                    toxicity=0.9 if toxic else 0.05,
                    flags=flags,
                    confidence=0.9,
                    model=self.name,
                )
            )
        return out


class TemplateDrafter:
    """Answers every brief with a fixed, recognisable sentence."""

    name = "test-template"

    def __init__(self) -> None:
        self.briefs: list[DraftBrief] = []

    async def draft(self, brief: DraftBrief) -> DraftResult:
        self.briefs.append(brief)
        return DraftResult(
            text=f"Thanks for your message about {brief.intent}. Can you tell us more?",
            model=self.name,
            notes=(),
            seconds=0.0,
        )

    async def aclose(self) -> None:
        return None
