"""Text generation backends behind ``models.base.ChatBackend``.

- ``llamacpp``: llama.cpp on the GGUF file (the default: about 3× faster than transformers on
  2 CPU cores, a third of the memory; an optional extra, built from source).
- ``transformers``: PyTorch, from the GGUF (dequantised once, then a cached bf16 copy).
- ``openai``: any OpenAI-compatible chat-completions server by URL (vLLM, llama.cpp server,
  Ollama, TGI), for scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.errors import ModelUnavailable
from models.base import ChatBackend


@dataclass(frozen=True, slots=True)
class BackendChoice:
    """Which backend runs the model, with what it needs: ``threads`` and ``cache_dir`` for
    the local ones, ``url``, ``api_key_env`` and ``timeout`` for a server."""

    kind: str  # "llamacpp" | "transformers" | "openai"
    model: str
    threads: int = 2
    cache_dir: Path = Path("~/.cache/tactline/models")
    url: str | None = None
    api_key_env: str | None = None
    timeout: float = 120.0


def make_backend(choice: BackendChoice, *, model_path: Path | None) -> ChatBackend:
    if choice.kind == "openai":
        from models.backends.openai_backend import OpenAIBackend, Patience

        if not choice.url:
            raise ModelUnavailable("models.drafter.url is required for the openai backend")
        return OpenAIBackend(
            url=choice.url,
            model=choice.model,
            api_key_env=choice.api_key_env,
            patience=Patience(timeout=choice.timeout),
        )
    if model_path is None:
        raise ModelUnavailable(f"the {choice.kind} backend needs a model file")
    if choice.kind == "llamacpp":
        from models.backends.llamacpp_backend import LlamaCppBackend

        return LlamaCppBackend(model_path=model_path, threads=choice.threads)
    from models.backends.transformers_backend import TransformersBackend

    return TransformersBackend(
        model_path=model_path, threads=choice.threads, cache_dir=choice.cache_dir.expanduser()
    )


__all__ = ["BackendChoice", "make_backend"]
