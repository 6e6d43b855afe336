"""The drafter: brief → prompt → local model → output checks → a draft a human can approve."""

from __future__ import annotations

import logging
import time

from bot.domain import DraftBrief
from models.base import ChatBackend, ChatMessage, DraftResult
from models.checks import check
from models.prompt import LANGUAGES, build_messages

log = logging.getLogger(__name__)


class LocalDrafter:
    """Implements ``models.base.Drafter`` on any ``ChatBackend``."""

    def __init__(self, *, backend: ChatBackend, max_tokens: int = 96) -> None:
        self.name = backend.name
        self._backend = backend
        self._max_tokens = max_tokens

    async def draft(self, brief: DraftBrief) -> DraftResult:
        start = time.perf_counter()
        messages = build_messages(brief)
        completion = await self._backend.complete(messages, max_tokens=self._max_tokens)
        text, notes = check(completion.text, brief)
        if text is None and any("language" in n for n in notes):
            # One retry, insisting on the language: small models drift to English.
            language = LANGUAGES.get(brief.language, brief.language)
            retry = [
                *messages,
                ChatMessage("assistant", completion.text),
                ChatMessage("user", f"Rewrite your reply in {language} only."),
            ]
            completion = await self._backend.complete(retry, max_tokens=self._max_tokens)
            text, more = check(completion.text, brief)
            notes = [*notes, "asked the model again for the right language", *more]
        seconds = time.perf_counter() - start
        log.info(
            "drafted in %.1fs (%d tokens) with %s", seconds, completion.completion_tokens, self.name
        )
        return DraftResult(text=text, model=self.name, notes=tuple(notes), seconds=seconds)

    async def aclose(self) -> None:
        await self._backend.aclose()
