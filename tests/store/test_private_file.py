"""The SQLite database holds every message: its file is created readable by its owner only."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from bot.store import open_store
from tests.builders import make_message


def file_modes(folder: Path, prefix: str) -> dict[str, int]:
    return {
        p.name: stat.S_IMODE(p.stat().st_mode)
        for p in folder.iterdir()
        if p.name.startswith(prefix)
    }


async def test_a_new_sqlite_database_and_its_journal_are_created_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask, which would give 0644
    try:
        store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 't.db'}", upgrade=True)
        try:
            assert await store.accept(make_message("hello")) is not None
            modes = file_modes(tmp_path, "t.db")
            assert set(modes) >= {"t.db", "t.db-wal"}
            assert set(modes.values()) == {0o600}, modes
        finally:
            await store.aclose()
    finally:
        os.umask(old)


async def test_an_existing_database_file_keeps_its_mode(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    db.touch(mode=0o640)
    db.chmod(0o640)
    store = await open_store(f"sqlite+aiosqlite:///{db}", upgrade=True)
    await store.aclose()
    assert stat.S_IMODE(db.stat().st_mode) == 0o640
