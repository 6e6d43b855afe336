"""Any OpenAI-compatible chat-completions server (vLLM, llama.cpp server, Ollama, TGI)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.errors import ModelUnavailable
from models.base import ChatMessage, Completion


class InferenceError(ModelUnavailable):
    """The inference server refused or failed; the message never includes the API key."""


@dataclass(frozen=True, slots=True)
class Patience:
    """How long one request may take, and how often a failed one is tried again."""

    timeout: float = 120.0
    retries: int = 3
    backoff: float = 0.5  # doubled at each retry


class OpenAIBackend:
    def __init__(
        self,
        *,
        url: str,
        model: str,
        api_key_env: str | None = None,
        patience: Patience | None = None,
    ) -> None:
        self.name = f"openai:{model}"
        self._url = url.rstrip("/") + "/chat/completions"
        self._model = model
        self._api_key_env = api_key_env
        self._patience = patience or Patience()
        self._timeout = aiohttp.ClientTimeout(total=self._patience.timeout)
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
        body = {
            "model": self._model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens,
            "temperature": 0,
            "stream": False,
        }
        tries = self._patience.retries + 1
        last = "no attempt"
        for attempt in range(tries):
            if attempt:
                await asyncio.sleep(self._patience.backoff * 2 ** (attempt - 1))
            outcome = await self._attempt(body)
            if isinstance(outcome, Completion):
                return outcome
            last = outcome
        raise InferenceError(f"{self._url}: no answer after {tries} tries ({last})")

    async def _attempt(self, body: dict[str, Any]) -> Completion | str:
        """One request: the completion, or why another try is worth it (refusals raise)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        start = time.perf_counter()
        try:
            async with self._session.post(self._url, json=body, headers=self._headers()) as resp:
                retry = await self._retryable(resp)
                if retry is not None:
                    return retry
                data = await self._answer(resp)
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            return exc.__class__.__name__
        usage = data.get("usage") or {}
        return Completion(
            text=str(data["choices"][0]["message"]["content"] or ""),
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            seconds=time.perf_counter() - start,
        )

    async def _retryable(self, resp: aiohttp.ClientResponse) -> str | None:
        """None for a 200; why to try again for a busy or failing server; raises for a
        request that no retry will fix."""
        if resp.status in (401, 403):
            raise InferenceError(f"{self._url}: {resp.status}, check the API key")
        if resp.status == 404:
            raise InferenceError(f"{self._url}: 404, check the URL and model name")
        if resp.status == 429 or resp.status >= 500:
            retry_after = resp.headers.get("Retry-After")
            if retry_after and retry_after.replace(".", "", 1).isdigit():
                await asyncio.sleep(min(float(retry_after), 30.0))
            return f"HTTP {resp.status}"
        if resp.status != 200:
            raise InferenceError(f"{self._url}: HTTP {resp.status}")
        return None

    async def _answer(self, resp: aiohttp.ClientResponse) -> dict[str, Any]:
        try:
            data: Any = await resp.json(content_type=None)
            _ = data["choices"][0]["message"]["content"]  # the shape a chat answer has
        except (ValueError, KeyError, IndexError, TypeError, aiohttp.ContentTypeError):
            raise InferenceError(f"{self._url}: not a chat-completions answer") from None
        if not isinstance(data, dict):
            raise InferenceError(f"{self._url}: not a chat-completions answer")
        return data

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
