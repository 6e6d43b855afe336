"""transformers + PyTorch: the pure-Python path, from a GGUF file or a model directory.

Dequantising a GGUF takes about a minute and several GB the first time; the result is saved
once as a bf16 copy in the cache, which later starts load in seconds.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.errors import ModelUnavailable
from models.base import ChatMessage, Completion

log = logging.getLogger(__name__)


class TransformersBackend:
    def __init__(self, *, model_path: Path, threads: int = 2, cache_dir: Path) -> None:
        self.name = f"transformers:{model_path.name}"
        self._path, self._threads, self._cache = model_path, threads, cache_dir
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def converted_dir(self) -> Path:
        return self._cache / f"{self._path.stem}-bf16"

    def _load(self) -> None:
        if self._model is not None:
            return
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        torch.set_num_threads(self._threads)
        converted = self.converted_dir()
        kwargs: dict[str, str]
        source: Path
        try:
            if self._path.is_dir():
                source, kwargs = self._path, {}
            elif (converted / "config.json").is_file():
                source, kwargs = converted, {}
            else:
                source, kwargs = self._path.parent, {"gguf_file": self._path.name}
            self._tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
            self._model = AutoModelForCausalLM.from_pretrained(
                source, dtype=torch.bfloat16, **kwargs
            )
        except (OSError, ValueError) as exc:
            raise ModelUnavailable(f"transformers could not load {self._path}: {exc}") from exc
        self._model.eval()
        if "gguf_file" in kwargs:
            self._save_conversion(converted)

    def _save_conversion(self, target: Path) -> None:
        """Keep a bf16 copy so the next start skips dequantisation."""
        partial = target.with_name(target.name + ".partial")
        try:
            shutil.rmtree(partial, ignore_errors=True)
            self._model.hf_quantizer = None
            if hasattr(self._model.config, "quantization_config"):
                del self._model.config.quantization_config
            self._model.save_pretrained(partial)
            self._tokenizer.save_pretrained(partial)
            shutil.rmtree(target, ignore_errors=True)
            partial.rename(target)
            log.info("saved a bf16 copy of %s in %s", self._path.name, target)
        except (OSError, ValueError, RuntimeError) as exc:  # a cache, not a requirement
            log.warning("could not cache the converted model: %s", exc)
            shutil.rmtree(partial, ignore_errors=True)

    def _complete(self, messages: Sequence[ChatMessage], max_tokens: int) -> Completion:
        import torch

        with self._lock:
            self._load()
            ids = self._tokenizer.apply_chat_template(
                [{"role": m.role, "content": m.content} for m in messages],
                add_generation_prompt=True,
                return_tensors="pt",
                return_dict=True,
            )
            start = time.perf_counter()
            with torch.inference_mode():
                out = self._model.generate(
                    **ids,
                    max_new_tokens=max_tokens,
                    do_sample=False,
                    repetition_penalty=1.1,
                    pad_token_id=self._tokenizer.eos_token_id,
                )
            seconds = time.perf_counter() - start
        prompt_len = ids["input_ids"].shape[1]
        new = out[0][prompt_len:]
        return Completion(
            text=self._tokenizer.decode(new, skip_special_tokens=True),
            prompt_tokens=int(prompt_len),
            completion_tokens=int(new.shape[0]),
            seconds=seconds,
        )

    async def load(self) -> None:
        await asyncio.to_thread(self._load)

    async def complete(self, messages: Sequence[ChatMessage], *, max_tokens: int) -> Completion:
        return await asyncio.to_thread(self._complete, messages, max_tokens)

    async def aclose(self) -> None:
        with self._lock:
            self._model = None
            self._tokenizer = None
