"""The drafter: brief → prompt → local model → output checks → a draft a human can approve."""

from __future__ import annotations

import logging
import time

from bot.domain import DraftBrief
from models.base import ChatBackend, ChatMessage, DraftResult
from models.checks import facts_used, verify_draft
from models.prompt import LANGUAGES, build_messages

log = logging.getLogger(__name__)


class LocalDrafter:
    """Implements ``models.base.Drafter`` on any ``ChatBackend``."""

    def __init__(self, *, backend: ChatBackend, max_tokens: int = 96) -> None:
        self.name = backend.name
        self._backend = backend
        self._max_tokens = max_tokens

    async def draft(self, brief: DraftBrief) -> DraftResult:
        """Generate, verify; regenerate once with the reasons when the verifier cannot repair
        the draft; hand it to a human (text None) with the reasons when that fails too."""
        start = time.perf_counter()
        messages = build_messages(brief)
        system = messages[0].content
        completion = await self._backend.complete(messages, max_tokens=self._max_tokens)
        result = verify_draft(completion.text, brief, system=system)
        tokens = completion.completion_tokens
        notes = result.notes
        if result.text is None:
            reasons = "; ".join(result.retry)
            language = LANGUAGES.get(brief.language, brief.language)
            retry = [
                *messages,
                ChatMessage("assistant", completion.text),
                ChatMessage(
                    "user",
                    f"That reply cannot be sent: {reasons}. Write a new reply in {language} "
                    "that follows the rules. Write only the reply.",
                ),
            ]
            completion = await self._backend.complete(retry, max_tokens=self._max_tokens)
            tokens += completion.completion_tokens
            second = verify_draft(completion.text, brief, system=system)
            notes = [f"regenerated once: {reasons}", *second.notes]
            result = second
            if second.text is None:
                notes.append(
                    "refused: " + "; ".join(second.retry) + ". A human should write this reply"
                )
        used = facts_used(result.text, brief) if result.text else []
        if used:
            notes = [*notes, "facts used: " + ", ".join(used)]
        seconds = time.perf_counter() - start
        log.info("drafted in %.1fs (%d tokens) with %s", seconds, tokens, self.name)
        return DraftResult(
            text=result.text,
            model=self.name,
            notes=tuple(notes),
            seconds=seconds,
            facts_used=tuple(used),
        )

    async def aclose(self) -> None:
        await self._backend.aclose()
