"""Each message's vector, computed once with the shared sentence encoder and stored.

Stored vectors of the current encoder are read back; the missing ones (new messages, or rows
made by another encoder) are encoded in batches off the event loop and stored batch by batch,
so an interrupted first run keeps what it computed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np

from bot.store import vectors as stored
from bot.store.database import Database
from models.encoder import DIM, ENCODER_NAME, Encoder, Vectors, shared_encoder

BATCH = 256


async def message_vectors(
    db: Database,
    messages: Sequence[tuple[int, str]],
    *,
    encoder: Encoder | None = None,
) -> Vectors:
    """The vectors of ``messages`` ((id, text) pairs), one row each in the same order."""
    if not messages:
        return np.zeros((0, DIM), dtype=np.float32)
    ids = [mid for mid, _ in messages]
    known = await stored.read_vectors(db, ids, model=ENCODER_NAME)
    missing = [(mid, text) for mid, text in messages if mid not in known]
    if missing:
        known.update(await _encode_and_store(db, missing, encoder or shared_encoder()))
    return np.stack([known[mid] for mid in ids]).astype(np.float32)


async def _encode_and_store(
    db: Database, missing: Sequence[tuple[int, str]], encoder: Encoder
) -> dict[int, stored.Vector]:
    out: dict[int, stored.Vector] = {}
    for i in range(0, len(missing), BATCH):
        batch = missing[i : i + BATCH]
        # The encoder holds the cores for a while: never on the event loop.
        matrix = await asyncio.to_thread(encoder.encode, [text for _, text in batch])
        made = {mid: matrix[j] for j, (mid, _) in enumerate(batch)}
        await stored.save_vectors(db, made, model=ENCODER_NAME)
        out.update(made)
    return out
