"""Message vectors: each message's sentence embedding, stored once with the encoder's name.

A vector is float32, little-endian bytes. A row made by another encoder counts as missing, so
changing the encoder recomputes vectors as they are needed, never mixes two models' spaces.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select

from bot.store import schema as t
from bot.store.database import Database, insert
from bot.store.values import utcnow

Vector = npt.NDArray[np.float32]

# Ids per IN (...) list: well under SQLite's and PostgreSQL's bound-parameter limits.
CHUNK = 1000
_LE_FLOAT32 = np.dtype("<f4")


def to_bytes(vector: Vector) -> bytes:
    return np.asarray(vector, dtype=_LE_FLOAT32).tobytes()


def from_bytes(data: bytes) -> Vector:
    return np.frombuffer(data, dtype=_LE_FLOAT32).astype(np.float32)


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


async def read_vectors(
    db: Database, message_ids: Sequence[int], *, model: str
) -> dict[int, Vector]:
    """The stored vectors of ``message_ids`` made by ``model`` (others are left out)."""
    v = t.message_vectors.c
    out: dict[int, Vector] = {}
    async with db.read() as conn:
        for chunk in _chunks(message_ids):
            rows = await conn.execute(
                select(v.message_id, v.vector).where(v.message_id.in_(chunk), v.model == model)
            )
            out.update((int(mid), from_bytes(data)) for mid, data in rows)
    return out


async def save_vectors(db: Database, vectors: Mapping[int, Vector], *, model: str) -> None:
    """Store ``vectors`` (message id → vector) as made by ``model``, replacing any other
    model's row for the same message; one unit of work."""
    if not vectors:
        return
    now = utcnow()
    rows = [
        {"message_id": mid, "model": model, "vector": to_bytes(vec), "created_at": now}
        for mid, vec in vectors.items()
    ]
    async with db.transaction() as conn:
        stmt = insert(conn, t.message_vectors)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.message_vectors.c.message_id],
            set_={
                "model": stmt.excluded.model,
                "vector": stmt.excluded.vector,
                "created_at": stmt.excluded.created_at,
            },
        )
        for i in range(0, len(rows), CHUNK):
            await conn.execute(stmt, rows[i : i + CHUNK])


async def count_vectors(db: Database, *, model: str | None = None) -> int:
    """How many vectors are stored (by ``model`` when given)."""
    v = t.message_vectors.c
    stmt = select(func.count()).select_from(t.message_vectors)
    if model is not None:
        stmt = stmt.where(v.model == model)
    async with db.read() as conn:
        return int(await conn.scalar(stmt) or 0)
