"""Admins stay in control: ``tactline replies`` and ``tactline learned`` list and forget what
was learned; ``tactline policy learned --export`` writes it as intents.toml the policy loads."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.domain import ApprovalDecision, Classification, Sentiment, Verdict
from bot.policy import load_policy
from bot.store import learned, open_store
from tests.builders import make_message
from tests.policy.helpers import policy_copy
from tests.spine.test_urgent_first import REPO


def write_config(tmp_path: Path) -> Path:
    cfg = tmp_path / "config.toml"
    db = tmp_path / "t.db"
    cfg.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{db}"\n[policies]\npath = "{REPO / "policies"}"\n',
        encoding="utf-8",
    )
    return cfg


async def _corrected(url: str) -> None:
    """One message, corrected to a bug report by a moderator."""
    store = await open_store(url, upgrade=True)
    try:
        message_id = await store.accept(make_message("zorblax wobbles sideways"))
        assert message_id is not None
        correction = learned.Correction(
            message_id,
            "zorblax wobbles sideways",
            "en",
            "intent",
            "bug_report",
            "question",
            "U_ANA",
            "v1",
            datetime.now(UTC),
        )
        await learned.add(store.db, correction)
        tone = dataclasses.replace(correction, field="tone", value="toxic", previous="not_toxic")
        await learned.add(store.db, tone)  # it sets the tone of near-copies of the message
    finally:
        await store.aclose()


def test_learned_list_export_and_forget(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path)
    asyncio.run(_corrected(f"sqlite+aiosqlite:///{tmp_path / 't.db'}"))
    assert main(["-c", str(cfg), "learned", "list"]) == 0
    listed = capsys.readouterr().out
    assert "intent: question → bug_report by U_ANA" in listed
    assert "tone: not_toxic → toxic by U_ANA" in listed

    exported = tmp_path / "intents.toml"
    assert main(["-c", str(cfg), "policy", "learned", "--export", str(exported)]) == 0
    target = policy_copy(tmp_path)
    shutil.copy(exported, target / "intents.toml")
    [bug] = [i for i in load_policy(target).intents if i.name == "bug_report"]
    assert "zorblax wobbles sideways" in bug.examples["en"]

    assert main(["-c", str(cfg), "learned", "forget", "1"]) == 0
    assert main(["-c", str(cfg), "learned", "forget", "2"]) == 0
    assert main(["-c", str(cfg), "learned", "list"]) == 0
    assert "no corrections yet" in capsys.readouterr().out


def test_replies_list_and_forget_on_an_empty_bank(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(tmp_path)
    assert main(["-c", str(cfg), "db", "upgrade"]) == 0
    assert main(["-c", str(cfg), "replies", "list"]) == 0
    assert "the reply bank is empty" in capsys.readouterr().out
    assert main(["-c", str(cfg), "replies", "show", "7"]) == 1
    assert main(["-c", str(cfg), "replies", "forget", "--author", "maya"]) == 0
    assert "0 banked entries forgotten" in capsys.readouterr().out


async def _edited(url: str) -> None:
    """A draft a moderator edited and approved, with no draft written since."""
    store = await open_store(url, upgrade=True)
    try:
        message_id = await store.accept(make_message("How do I export my notes to PDF?"))
        assert message_id is not None
        await store.save_classification(
            message_id,
            Classification("en", "question", Sentiment.NEUTRAL, False, 0.0, frozenset(), 0.9),
        )
        draft = await store.add_draft(
            message_id=message_id, text="Try the menu.", group="support", model="m"
        )
        outcome = await store.decide_draft(
            ApprovalDecision(
                draft_id=draft.id,
                actor="U_ANA",
                at=datetime.now(UTC),
                verdict=Verdict.EDIT,
                edited_text="Settings > Data > Export > PDF. Does that work for you?",
            )
        )
        assert outcome.applied
    finally:
        await store.aclose()


def test_replies_list_shows_a_decision_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(tmp_path)
    asyncio.run(_edited(f"sqlite+aiosqlite:///{tmp_path / 't.db'}"))
    assert main(["-c", str(cfg), "replies", "list"]) == 0
    out = capsys.readouterr().out
    assert "How do I export my notes to PDF?" in out and "Settings > Data > Export" in out


def test_forgetting_a_member_covers_a_decision_not_yet_banked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(tmp_path)
    asyncio.run(_edited(f"sqlite+aiosqlite:///{tmp_path / 't.db'}"))
    assert main(["-c", str(cfg), "replies", "forget", "--author", "maya"]) == 0
    assert "1 banked entry forgotten" in capsys.readouterr().out
    assert main(["-c", str(cfg), "replies", "list"]) == 0  # and it is not banked again
    assert "the reply bank is empty" in capsys.readouterr().out
