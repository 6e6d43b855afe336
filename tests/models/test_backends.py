"""Backends: an OpenAI-compatible server over real HTTP on 127.0.0.1, and the real small
model through llama.cpp and transformers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.config import DrafterConfig
from bot.errors import ModelUnavailable
from models.backends import BackendChoice, make_backend
from models.backends.openai_backend import InferenceError, OpenAIBackend, Patience
from models.base import ChatMessage
from models.drafter import LocalDrafter
from models.sources import ModelChoice, resolve_model_path
from tests.models.briefs import brief

MESSAGES = [ChatMessage("system", "Be brief."), ChatMessage("user", "Hello")]


class FakeInferenceServer:
    """Speaks /v1/chat/completions; scripted answers per request."""

    def __init__(self) -> None:
        self.script: list[Any] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(await request.json())
        self.headers.append(dict(request.headers))
        step = self.script.pop(0) if self.script else "ok"
        if step == "ok":
            return web.json_response(
                {
                    "id": "x",
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "Thanks! Anything else?"},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 12, "completion_tokens": 5},
                }
            )
        if step == "slow":
            await asyncio.sleep(2)
            return web.json_response({})
        if step == "garbage":
            return web.Response(text="<html>oops</html>", content_type="text/html")
        return web.Response(status=int(step), headers={"Retry-After": "0"})


@pytest.fixture
async def server() -> AsyncIterator[tuple[FakeInferenceServer, str]]:
    fake = FakeInferenceServer()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield fake, f"http://127.0.0.1:{port}/v1"
    await runner.cleanup()


async def test_openai_success(
    server: tuple[FakeInferenceServer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, url = server
    monkeypatch.setenv("TEST_INFER_KEY", "sekret")
    config = DrafterConfig(backend="openai", url=url, model="qwen", api_key_env="TEST_INFER_KEY")
    backend = make_backend(config.backend_choice(Path("/nope")), model_path=None)
    out = await backend.complete(MESSAGES, max_tokens=20)
    await backend.aclose()
    assert out.text == "Thanks! Anything else?" and out.completion_tokens == 5
    assert fake.requests[0]["messages"][1] == {"role": "user", "content": "Hello"}
    assert fake.requests[0]["max_tokens"] == 20 and fake.requests[0]["model"] == "qwen"
    assert fake.headers[0]["Authorization"] == "Bearer sekret"


async def test_openai_retries_server_errors(server: tuple[FakeInferenceServer, str]) -> None:
    fake, url = server
    fake.script = ["500", "503", "ok"]
    backend = OpenAIBackend(url=url, model="m", patience=Patience(backoff=0.01))
    out = await backend.complete(MESSAGES, max_tokens=8)
    await backend.aclose()
    assert out.text and len(fake.requests) == 3


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("401", "check the API key"),
        ("404", "check the URL"),
        ("garbage", "not a chat-completions answer"),
    ],
)
async def test_openai_clear_errors(
    server: tuple[FakeInferenceServer, str],
    step: str,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake, url = server
    fake.script = [step]
    monkeypatch.setenv("TEST_INFER_KEY", "sekret")
    backend = OpenAIBackend(
        url=url, model="m", api_key_env="TEST_INFER_KEY", patience=Patience(backoff=0.01)
    )
    with pytest.raises(InferenceError) as exc:
        await backend.complete(MESSAGES, max_tokens=8)
    await backend.aclose()
    assert message in str(exc.value) and "sekret" not in str(exc.value)


async def test_openai_timeout_and_unreachable(server: tuple[FakeInferenceServer, str]) -> None:
    fake, url = server
    fake.script = ["slow", "slow"]
    backend = OpenAIBackend(
        url=url, model="m", patience=Patience(timeout=0.3, retries=1, backoff=0.01)
    )
    with pytest.raises(InferenceError, match="no answer after 2 tries"):
        await backend.complete(MESSAGES, max_tokens=8)
    await backend.aclose()
    gone = OpenAIBackend(url="http://127.0.0.1:9/v1", model="m", patience=Patience(retries=0))
    with pytest.raises(InferenceError, match=r"ClientConnectorError|ClientConnectionError"):
        await gone.complete(MESSAGES, max_tokens=8)
    await gone.aclose()


async def test_drafter_end_to_end_over_http(server: tuple[FakeInferenceServer, str]) -> None:
    _, url = server
    drafter = LocalDrafter(backend=OpenAIBackend(url=url, model="m"), max_tokens=32)
    result = await drafter.draft(brief())
    await drafter.aclose()
    assert result.text == "Thanks! Anything else?" and result.model == "openai:m"


def test_missing_url_is_a_clear_error() -> None:
    with pytest.raises(ModelUnavailable, match=r"models\.drafter\.url"):
        make_backend(BackendChoice(kind="openai", model="qwen"), model_path=None)


def small_model() -> Path:
    try:
        return resolve_model_path(ModelChoice("smollm2-135m"), cache_dir=Path("/nope"))
    except ModelUnavailable as exc:
        pytest.fail(f"the small test model is not installed ({exc}); `make test` installs it")


@pytest.mark.slow
async def test_llamacpp_generates_with_the_real_small_model() -> None:
    backend = make_backend(
        BackendChoice(kind="llamacpp", model="smollm2-135m", threads=2), model_path=small_model()
    )
    out = await backend.complete(MESSAGES, max_tokens=12)
    drafter = LocalDrafter(backend=backend, max_tokens=24)
    result = await drafter.draft(brief())
    await drafter.aclose()
    assert out.completion_tokens > 0 and out.prompt_tokens > 5 and out.text.strip()
    assert result.model.startswith("llamacpp:") and result.seconds > 0
    assert result.text is None or len(result.text) <= 300


@pytest.mark.slow
async def test_transformers_generates_with_the_real_small_model(tmp_path: Path) -> None:
    from models.backends.transformers_backend import TransformersBackend

    backend = TransformersBackend(model_path=small_model(), threads=2, cache_dir=tmp_path)
    out = await backend.complete(MESSAGES, max_tokens=8)
    assert 0 < out.completion_tokens <= 8 and out.prompt_tokens > 5
    converted = backend.converted_dir()
    assert (converted / "config.json").is_file()  # the bf16 copy for fast restarts
    await backend.aclose()
    again = TransformersBackend(model_path=small_model(), threads=2, cache_dir=tmp_path)
    second = await again.complete(MESSAGES, max_tokens=8)
    await again.aclose()
    assert second.text == out.text  # greedy: the cached copy answers the same


async def test_closing_llamacpp_mid_completion_never_blocks_the_event_loop(tmp_path: Path) -> None:
    from models.backends.llamacpp_backend import LlamaCppBackend

    started, release, closed = threading.Event(), threading.Event(), threading.Event()

    class BusyModel:
        """A completion that runs until released, as a long generation would."""

        def create_chat_completion(self, **_: object) -> dict[str, object]:
            started.set()
            release.wait(10)
            return {"choices": [{"message": {"content": "ok"}}], "usage": {}}

        def close(self) -> None:
            closed.set()

    backend = LlamaCppBackend(model_path=tmp_path / "m.gguf")
    backend._llm = BusyModel()  # loaded, as after the first draft
    drafting = asyncio.create_task(backend.complete([ChatMessage("user", "hi")], max_tokens=4))
    assert await asyncio.to_thread(started.wait, 5)  # the completion holds the model
    closing = asyncio.create_task(backend.aclose())
    await asyncio.sleep(0.05)
    # The loop is free while close waits for the completion: this line runs at all.
    assert not closing.done() and not closed.is_set()
    release.set()
    assert (await drafting).text == "ok"
    await asyncio.wait_for(closing, 5)
    assert closed.is_set()
