"""Text generation backends behind ``models.base.ChatBackend``.

- ``llamacpp``: llama.cpp on the GGUF file (the default: about 3× faster than transformers on
  2 CPU cores, a third of the memory; an optional extra, built from source).
- ``transformers``: PyTorch, from the GGUF (dequantised once, then a cached bf16 copy).
- ``openai``: any OpenAI-compatible chat-completions server by URL (vLLM, llama.cpp server,
  Ollama, TGI), for scale.
"""

from __future__ import annotations

from pathlib import Path

from bot.config import DrafterConfig
from bot.errors import ModelUnavailable
from models.base import ChatBackend


def make_backend(dc: DrafterConfig, *, model_path: Path | None) -> ChatBackend:
    if dc.backend == "openai":
        from models.backends.openai_backend import OpenAIBackend, Patience

        if not dc.url:
            raise ModelUnavailable("models.drafter.url is required for the openai backend")
        return OpenAIBackend(
            url=dc.url,
            model=dc.model,
            api_key_env=dc.api_key_env,
            patience=Patience(timeout=dc.timeout_seconds),
        )
    if model_path is None:
        raise ModelUnavailable(f"the {dc.backend} backend needs a model file")
    if dc.backend == "llamacpp":
        from models.backends.llamacpp_backend import LlamaCppBackend

        return LlamaCppBackend(model_path=model_path, threads=dc.threads)
    from models.backends.transformers_backend import TransformersBackend

    return TransformersBackend(
        model_path=model_path, threads=dc.threads, cache_dir=Path(dc.cache_dir).expanduser()
    )


__all__ = ["make_backend"]
