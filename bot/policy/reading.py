"""Reading one policy file: its bytes, its TOML, then its model; each problem ``path:line``.

A file that cannot be read, decoded, parsed or validated yields its problems and no value;
the loader goes on with the other files, so an admin sees every problem at once.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from bot.errors import PolicyInvalid
from bot.policy.locate import LineIndex

M = TypeVar("M", bound=BaseModel)
Where = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Parsed(Generic[M]):
    """A validated file, with what it takes to point at one of its keys."""

    value: M
    path: Path
    index: LineIndex

    def problem(self, where: Where, reason: str) -> PolicyInvalid:
        """A problem at the line of the key ``where`` (or of its nearest known parent)."""
        return PolicyInvalid(str(self.path), self.index.line(where), reason)


@dataclass(frozen=True, slots=True)
class FileRead(Generic[M]):
    """What reading one file gave: its bytes (for the version), its value, its problems."""

    raw: bytes | None
    parsed: Parsed[M] | None
    problems: tuple[PolicyInvalid, ...]


class _Unreadable(Exception):
    """One step of reading a file failed; the loader reports it and moves on."""

    def __init__(self, *problems: PolicyInvalid) -> None:
        super().__init__()
        self.problems = problems


def _fail(path: Path, line: int, reason: str) -> _Unreadable:
    return _Unreadable(PolicyInvalid(str(path), line, reason))


def describe(error: Mapping[str, Any]) -> str:
    """A pydantic error as an admin reads it: the key's dotted path, then what is wrong."""
    loc = ".".join(str(p) for p in error["loc"])
    kind, msg = error["type"], str(error["msg"])
    if kind == "extra_forbidden":
        return f"unknown key {loc!r}"
    if kind == "missing":
        return f"missing required key {loc!r}"
    msg = msg.removeprefix("Value error, ") or kind
    return f"{loc}: {msg[0].lower()}{msg[1:]}" if loc else msg


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise _fail(path, 1, "file is missing") from None
    except OSError as exc:
        raise _fail(path, 1, f"cannot be read: {exc.strerror or exc}") from None


def _decode(path: Path, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _fail(path, 1, "not UTF-8 text") from None
    if all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.split("\n")):
        raise _fail(path, 1, "file is empty")
    return text


def _toml(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's message ends "(at line N, column M)"; 3.14 adds attributes.
        msg = str(exc)
        where = re.search(r"\s*\(at line (\d+), column \d+\)$", msg)
        line, reason = (int(where.group(1)), msg[: where.start()]) if where else (1, msg)
        raise _fail(path, line, f"not valid TOML: {reason}") from None
    except RecursionError:
        raise _fail(path, 1, "not valid TOML: nested too deeply") from None


def _validate(model: type[M], path: Path, data: dict[str, Any], index: LineIndex) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _Unreadable(
            *(PolicyInvalid(str(path), index.line(e["loc"]), describe(e)) for e in exc.errors())
        ) from None
    except RecursionError:
        raise _fail(path, 1, "values nested too deeply") from None


def read_file(path: Path, model: type[M]) -> FileRead[M]:
    """Read, parse and validate one policy file as ``model``."""
    raw: bytes | None = None
    try:
        raw = _read_bytes(path)
        text = _decode(path, raw)
        data = _toml(path, text)
        index = LineIndex(text)
        return FileRead(raw, Parsed(_validate(model, path, data, index), path, index), ())
    except _Unreadable as failed:
        return FileRead(raw, None, failed.problems)
