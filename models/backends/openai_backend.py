"""Any OpenAI-compatible chat-completions server (vLLM, llama.cpp server, Ollama, TGI)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from typing import Any

import aiohttp

from bot.errors import ModelUnavailable
from models.base import ChatMessage, Completion


class InferenceError(ModelUnavailable):
    """The inference server refused or failed; the message never includes the API key."""


class OpenAIBackend:
    def __init__(
        self,
        *,
        url: str,
        model: str,
        api_key_env: str | None = None,
        timeout: float = 120.0,
        retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self.name = f"openai:{model}"
        self._url = url.rstrip("/") + "/chat/completions"
        self._model = model
        self._api_key_env = api_key_env
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._retries, self._backoff = retries, backoff
        self._session: aiohttp.ClientSession | None = None

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self._api_key_env:
            key = os.environ.get(self._api_key_env, "")
            if not key:
                raise InferenceError(f"environment variable {self._api_key_env} is not set")
            headers["Authorization"] = f"Bearer {key}"
        return headers

    async def complete(self, messages: Sequence[ChatMessage], *, max_tokens: int) -> Completion:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        body = {
            "model": self._model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens,
            "temperature": 0,
            "stream": False,
        }
        last = "no attempt"
        for attempt in range(self._retries + 1):
            if attempt:
                await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
            start = time.perf_counter()
            try:
                async with self._session.post(
                    self._url, json=body, headers=self._headers()
                ) as resp:
                    if resp.status in (401, 403):
                        raise InferenceError(f"{self._url}: {resp.status}, check the API key")
                    if resp.status == 404:
                        raise InferenceError(f"{self._url}: 404, check the URL and model name")
                    if resp.status == 429 or resp.status >= 500:
                        last = f"HTTP {resp.status}"
                        retry_after = resp.headers.get("Retry-After")
                        if retry_after and retry_after.replace(".", "", 1).isdigit():
                            await asyncio.sleep(min(float(retry_after), 30.0))
                        continue
                    if resp.status != 200:
                        raise InferenceError(f"{self._url}: HTTP {resp.status}")
                    try:
                        data: Any = await resp.json(content_type=None)
                        text = data["choices"][0]["message"]["content"] or ""
                    except (ValueError, KeyError, IndexError, TypeError, aiohttp.ContentTypeError):
                        raise InferenceError(
                            f"{self._url}: not a chat-completions answer"
                        ) from None
            except (aiohttp.ClientConnectionError, TimeoutError) as exc:
                last = f"{exc.__class__.__name__}"
                continue
            usage = data.get("usage") or {}
            return Completion(
                text=str(text),
                prompt_tokens=int(usage.get("prompt_tokens", 0)),
                completion_tokens=int(usage.get("completion_tokens", 0)),
                seconds=time.perf_counter() - start,
            )
        raise InferenceError(f"{self._url}: no answer after {self._retries + 1} tries ({last})")

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
