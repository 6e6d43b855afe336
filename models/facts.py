"""The policy's facts by meaning: which facts a message is about, in any language.

Each fact is embedded once per policy version (its English and French texts and its keywords,
with the classifier's multilingual sentence encoder); a message's closeness to a fact is the
best cosine over those. The policy engine combines it with keyword hits (``pick_facts``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import numpy as np

from models.encoder import Encoder, Vectors, shared_encoder


class FactIndex:
    """``facts``: fact id → the texts that say it (each language, keywords)."""

    def __init__(
        self, facts: Mapping[str, Sequence[str]], *, encoder: Encoder | None = None
    ) -> None:
        self._encoder = encoder or shared_encoder()
        self._ids: list[str] = []
        texts: list[str] = []
        for fact_id, variants in facts.items():
            for text in variants:
                if text.strip():
                    self._ids.append(fact_id)
                    texts.append(text)
        self._texts = texts
        self._vectors: Vectors | None = None

    def _fact_vectors(self) -> Vectors:
        if self._vectors is None:
            self._vectors = self._encoder.encode(self._texts)
        return self._vectors

    def _scores(self, messages: Sequence[str]) -> list[dict[str, float]]:
        if not self._ids or not messages:
            return [{} for _ in messages]
        sims = self._encoder.encode(list(messages)) @ self._fact_vectors().T
        out: list[dict[str, float]] = []
        for row in np.asarray(sims):
            best: dict[str, float] = {}
            for fact_id, sim in zip(self._ids, row.tolist(), strict=True):
                if sim > best.get(fact_id, -1.0):
                    best[fact_id] = round(float(sim), 4)
            out.append(best)
        return out

    async def scores(self, messages: Sequence[str]) -> list[dict[str, float]]:
        """For each message, fact id → closeness of meaning (cosine, -1..1)."""
        return await asyncio.to_thread(self._scores, messages)
