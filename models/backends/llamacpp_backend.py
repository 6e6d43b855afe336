"""llama.cpp (llama-cpp-python) on a GGUF file: the fast CPU path."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.errors import ModelUnavailable
from models.base import ChatMessage, Completion


class LlamaCppBackend:
    def __init__(self, *, model_path: Path, threads: int = 2, n_ctx: int = 2048) -> None:
        self.name = f"llamacpp:{model_path.name}"
        self._path, self._threads, self._n_ctx = model_path, threads, n_ctx
        self._llm: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ModelUnavailable(
                    "the llamacpp backend needs llama-cpp-python (pip install -e '.[llamacpp]' "
                    "with the CMAKE_ARGS in the Makefile), or set models.drafter.backend = "
                    '"transformers"'
                ) from exc
            try:
                self._llm = Llama(
                    model_path=str(self._path),
                    n_ctx=self._n_ctx,
                    n_threads=self._threads,
                    verbose=False,
                    seed=0,
                )
            except (ValueError, RuntimeError) as exc:
                raise ModelUnavailable(f"llama.cpp could not load {self._path}: {exc}") from exc
        return self._llm

    def _complete(self, messages: Sequence[ChatMessage], max_tokens: int) -> Completion:
        with self._lock:
            llm = self._load()
            start = time.perf_counter()
            out = llm.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in messages],
                max_tokens=max_tokens,
                temperature=0.0,
                top_k=1,
                repeat_penalty=1.1,
            )
            seconds = time.perf_counter() - start
        usage = out.get("usage") or {}
        return Completion(
            text=out["choices"][0]["message"]["content"] or "",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            seconds=seconds,
        )

    async def load(self) -> None:
        await asyncio.to_thread(self._load)

    async def complete(self, messages: Sequence[ChatMessage], *, max_tokens: int) -> Completion:
        return await asyncio.to_thread(self._complete, messages, max_tokens)

    async def aclose(self) -> None:
        """Free the model, once a completion in progress has finished: waited for in a
        thread, never on the event loop."""
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None
