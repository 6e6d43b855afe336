"""The openai drafter backend against the real llama.cpp server process (``llama_cpp.server``
from ``llama-cpp-python[server]``) serving the small test model on a local port: a draft,
the server killed while a request is in flight (a clear InferenceError, never a hang), and a
draft again once it is back on the same port."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import ModelUnavailable
from models.backends.openai_backend import InferenceError, OpenAIBackend, Patience
from models.base import ChatMessage
from models.drafter import LocalDrafter
from models.sources import ModelChoice, resolve_model_path
from tests.models.briefs import brief

MODEL_NAME = "smollm2-135m"
# The server reads its key from API_KEY (deploy/inference.env); Tactline from the variable
# [models.drafter] api_key_env names.
API_KEY = "test-inference-key-0123"
KEY_ENV = "TACTLINE_TEST_LLM_API_KEY"
# Variables the server reads as settings, which must not leak in from the test's environment.
SERVER_SETTINGS_ENV = ("HOST", "PORT", "MODEL", "CONFIG_FILE", "API_KEY")
STARTUP_SECONDS = 90.0
# A request the small model keeps generating for seconds: time to kill the server under it.
LONG_REQUEST = [
    ChatMessage("system", "You are a storyteller. Never stop early."),
    ChatMessage("user", "Tell a very long story about a lighthouse keeper, in many chapters."),
]


def missing_server_modules() -> list[str]:
    """The modules ``llama_cpp.server`` needs that are not installed (its `server` extra)."""
    wanted = (
        "llama_cpp",
        "uvicorn",
        "fastapi",
        "sse_starlette",
        "starlette_context",
        "pydantic_settings",
        "yaml",
    )
    return [name for name in wanted if importlib.util.find_spec(name) is None]


def small_model() -> Path:
    try:
        return resolve_model_path(ModelChoice(MODEL_NAME), cache_dir=Path("/nope"))
    except ModelUnavailable as exc:
        pytest.fail(f"the small test model is not installed ({exc}); `make test` installs it")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class InferenceServer:
    """One ``python -m llama_cpp.server`` child process on 127.0.0.1:port, its output in a
    log file (shown when it fails to start)."""

    def __init__(self, *, model: Path, port: int, log: Path) -> None:
        self.model, self.port, self.log = model, port, log
        self.url = f"http://127.0.0.1:{port}/v1"
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(self.model),
            "--model_alias",
            MODEL_NAME,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            "2048",
            "--n_threads",
            "2",
        ]

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        env = {k: v for k, v in os.environ.items() if k.upper() not in SERVER_SETTINGS_ENV}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command(),
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**env, "API_KEY": API_KEY},
                start_new_session=True,
            )

    def wait_ready(self) -> float:
        """Seconds until ``GET /v1/models`` answers 200; fails with the server's log if it
        exits or does not answer within STARTUP_SECONDS."""
        assert self.process is not None
        start = time.monotonic()
        while time.monotonic() - start < STARTUP_SECONDS:
            if self.process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited ({self.process.returncode}):\n{self.tail()}")
            request = urllib.request.Request(
                f"{self.url}/models", headers={"Authorization": f"Bearer {API_KEY}"}
            )
            try:
                with urllib.request.urlopen(request, timeout=2) as resp:
                    if resp.status == 200:
                        return time.monotonic() - start
            except urllib.error.HTTPError as exc:  # it answers, wrongly: no use waiting
                pytest.fail(f"llama_cpp.server answered {exc.code}:\n{self.tail()}")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        pytest.fail(f"llama_cpp.server did not answer in {STARTUP_SECONDS}s:\n{self.tail()}")

    async def generating(self, *, busy_seconds: float = 0.5, within: float = 30.0) -> bool:
        """True once the server has spent ``busy_seconds`` of CPU from now on (it is working
        on a request); False if it did not within ``within`` seconds."""
        before = self.cpu_seconds()
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            if self.cpu_seconds() - before >= busy_seconds:
                return True
        return False

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process, from /proc."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        """SIGKILL, as an out-of-memory kill or a crash would end it: no clean shutdown."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[InferenceServer]:
    missing = missing_server_modules()
    if missing:
        pytest.skip(
            "llama_cpp.server cannot run: missing modules "
            + ", ".join(missing)
            + " (the `server` extra: pip install 'llama-cpp-python[server]==0.3.36')"
        )
    running = InferenceServer(model=small_model(), port=free_port(), log=tmp_path / "server.log")
    running.start()
    try:
        yield running
    finally:
        running.kill()


@pytest.mark.slow
async def test_drafts_through_the_real_llamacpp_server_across_a_crash(
    server: InferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    await asyncio.to_thread(server.wait_ready)
    monkeypatch.setenv(KEY_ENV, API_KEY)
    backend = OpenAIBackend(
        url=server.url,
        model=MODEL_NAME,
        api_key_env=KEY_ENV,
        patience=Patience(timeout=60.0, retries=1, backoff=0.2),
    )
    drafter = LocalDrafter(backend=backend, max_tokens=32)
    try:
        # 1. a draft, non-streamed, from the real server
        first = await drafter.draft(brief())
        assert first.model == f"openai:{MODEL_NAME}" and first.seconds > 0
        assert first.text is None or len(first.text) <= 300
        answer = await backend.complete(LONG_REQUEST, max_tokens=8)
        assert answer.completion_tokens > 0 and answer.prompt_tokens > 5

        # the key is checked: without it, a clear error and no retry
        keyless = OpenAIBackend(url=server.url, model=MODEL_NAME, patience=Patience(retries=0))
        with pytest.raises(InferenceError, match="401, check the API key"):
            await keyless.complete(LONG_REQUEST, max_tokens=4)
        await keyless.aclose()

        # 2. the server dies while a long request is in flight
        in_flight = asyncio.create_task(backend.complete(LONG_REQUEST, max_tokens=1024))
        assert await server.generating(), "the server never started on the long request"
        assert not in_flight.done(), "the long request ended before the server was killed"
        server.kill()
        started = time.monotonic()
        with pytest.raises(InferenceError, match=r"no answer after 2 tries") as failure:
            await asyncio.wait_for(in_flight, timeout=30)
        assert time.monotonic() - started < 10  # retried once, then a clear error
        assert server.url in str(failure.value)

        # 3. back on the same port: the same drafter drafts again
        server.start()
        await asyncio.to_thread(server.wait_ready)
        again = await drafter.draft(brief())
        assert again.model == f"openai:{MODEL_NAME}" and again.seconds > 0
    finally:
        await drafter.aclose()
