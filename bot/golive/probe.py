"""What every doctor check reads: the config, the environment, one HTTP session and the
resources a live run needs. Input only: checks return their results, they store nothing here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.config import Config
from bot.redact import remember

GIB = 1 << 30


@dataclass(frozen=True, slots=True)
class Needs:
    """What a live run needs beside the drafting model itself (whose size is added)."""

    free_disk_bytes: int = GIB  # the database's growth, logs, a model conversion
    memory_bytes: int = 3 * GIB // 2  # the classifier's encoder, torch, the app


@dataclass(frozen=True, slots=True)
class Probe:
    config: Config
    config_path: Path | None
    env: Mapping[str, str]
    http: aiohttp.ClientSession
    needs: Needs = Needs()

    def secret(self, name: str | None) -> str:
        """The value of the variable ``name`` ("" if unset), hidden from all output from now on."""
        value = self.env.get(name, "") if name else ""
        remember(value)
        return value
