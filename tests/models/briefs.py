"""Briefs for drafter tests."""

from __future__ import annotations

from dataclasses import replace

from bot.domain import ContextMessage, DraftBrief, Platform, PlatformStyle

STYLE = PlatformStyle(
    max_chars=300, max_sentences=3, end_with_question=True, formality="vous", emoji=False
)


def brief(text: str = "How do I export my notes?", **kw: object) -> DraftBrief:
    base = DraftBrief(
        text=text,
        language="en",
        intent="question",
        platform=Platform.DISCORD,
        voice="We are the Inkwell team: warm, plain, humble.",
        strategy="Answer the question directly using the facts. Ask one follow-up question.",
        facts=("Export: Settings > Data > Export downloads all notes as Markdown.",),
        style=STYLE,
        forbidden_promises=("refund", "remboursement", "release date"),
        avoid_topics=("politics",),
        author_name="maya",
        context=(ContextMessage("maya", "I use the Android app", False),),
    )
    return replace(base, **kw)  # type: ignore[arg-type]
