"""The edit-teaches path on the real models: the small test model drafts through llama.cpp,
the sentence encoder finds the similar message, and the prompt the model is given for it
holds the moderator's edited reply."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from models.backends import BackendChoice, make_backend
from models.base import ChatBackend, ChatMessage, Completion
from models.drafter import LocalDrafter
from models.encoder import shared_encoder
from tests.builders import make_message
from tests.learning.test_replies_teach import EDITED, FIRST, SIMILAR
from tests.models.test_backends import small_model
from tests.slack_approval.harness import Env, running_env


async def drain(env: Env) -> None:
    """As the harness's, with time for the real models to load and write on a busy CPU."""
    await asyncio.wait_for(env.app.worker.drain(), 600)


class Recorded:
    """The real backend, keeping every prompt it was given."""

    def __init__(self, inner: ChatBackend) -> None:
        self.name = inner.name
        self._inner = inner
        self.prompts: list[list[ChatMessage]] = []

    async def complete(self, messages: Sequence[ChatMessage], *, max_tokens: int) -> Completion:
        self.prompts.append(list(messages))
        return await self._inner.complete(messages, max_tokens=max_tokens)

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.mark.slow
async def test_the_real_small_model_is_shown_the_edited_reply_for_a_similar_message(
    db_url: str,
) -> None:
    backend = Recorded(
        make_backend(
            BackendChoice(kind="llamacpp", model="smollm2-135m", threads=2),
            model_path=small_model(),
        )
    )
    drafter = LocalDrafter(backend=backend, max_tokens=48)
    async with running_env(db_url, drafter=drafter, encoder=shared_encoder()) as e:
        assert await e.fake.inject(make_message(FIRST, author="maya"))
        await drain(e)
        [pending] = await e.app.store.pending_drafts()
        assert backend.prompts and all(EDITED not in m.content for m in backend.prompts[-1])
        assert await e.submit("edit", pending.draft.id, EDITED) == 200
        await drain(e)

        asked = len(backend.prompts)
        assert await e.fake.inject(make_message(SIMILAR, author="noor"))
        await drain(e)
        prompt = backend.prompts[asked]
        # The edited reply is an earlier assistant turn, after the message it answered.
        turns = [(m.role, m.content) for m in prompt]
        at = turns.index(("assistant", EDITED))
        assert turns[at - 1][0] == "user" and FIRST in turns[at - 1][1]
        assert SIMILAR in prompt[-1].content
        drafts = [p.draft for p in await e.app.store.pending_drafts()]
        assert drafts and drafts[-1].model.startswith("llamacpp:")
