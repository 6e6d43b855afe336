"""The drafter: brief → prompt → local model → output checks → a draft a human can approve."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import replace

from bot.domain import DraftBrief
from models.base import ChatBackend, ChatMessage, DraftResult
from models.checks import Checked, facts_used, verify_draft
from models.prompt import LANGUAGES, build_messages

log = logging.getLogger(__name__)
# Reasons that mean the draft answered in the brand's name what no fact states.
_GROUNDING = re.compile(r"no fact states|not in the facts|facts say no|plan or roadmap")


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
            retry = self._retry_messages(brief, messages, completion.text, reasons)
            completion = await self._backend.complete(retry, max_tokens=self._max_tokens)
            tokens += completion.completion_tokens
            second = verify_draft(completion.text, brief, system=system)
            notes = [f"regenerated once: {reasons}", *second.notes]
            result = second
            if second.text is None:
                result, notes = _quote_the_answer(brief, system, second, notes)
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

    @staticmethod
    def _retry_messages(
        brief: DraftBrief, messages: list[ChatMessage], failed: str, reasons: str
    ) -> list[ChatMessage]:
        """A draft that answered what no fact states is asked again under the policy's
        `unanswered` strategy and its examples (a small model shown the failed reply tends to
        repeat it); any other failure is shown to the model with the reasons."""
        if brief.fallback_strategy and not brief.answered and _GROUNDING.search(reasons):
            return build_messages(
                replace(
                    brief,
                    strategy=brief.fallback_strategy,
                    examples=brief.fallback_examples or brief.examples,
                    # The sent replies answered what this draft may not: not shown again.
                    learned_examples=(),
                )
            )
        language = LANGUAGES.get(brief.language, brief.language)
        return [
            *messages,
            ChatMessage("assistant", failed),
            ChatMessage(
                "user",
                f"That reply cannot be sent: {reasons}. Write a new reply in {language} "
                "that follows the rules. Write only the reply.",
            ),
        ]

    async def aclose(self) -> None:
        await self._backend.aclose()


def _quote_the_answer(
    brief: DraftBrief, system: str, failed: Checked, notes: list[str]
) -> tuple[Checked, list[str]]:
    """Both drafts failed: when a fact answers the message, the policy's own words are a reply
    a moderator can send (the small model sometimes insists on a "yes" the fact denies);
    otherwise no draft, and a human writes it."""
    refused = "; ".join(failed.retry)
    answer = brief.facts[0] if brief.answered and brief.facts else ""
    quoted = verify_draft(answer, brief, system=system) if answer else None
    if quoted is not None and quoted.text is not None:
        return quoted, [
            *notes,
            f"both drafts failed the checks ({refused}): the draft quotes the fact that answers",
            *quoted.notes,
        ]
    return failed, [*notes, f"refused: {refused}. A human should write this reply"]
