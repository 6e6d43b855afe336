"""The app's lifecycle: built without side effects, started once, stopped once, in order;
misuse is a clear error at once."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.app import App, AppParts, build_app
from bot.approval import ApprovalContext
from bot.config import Config, DatabaseConfig, PoliciesConfig
from bot.domain import Decision, DeliveryReceipt, Draft, IntentSpec
from bot.store.store import StoredMessage
from tests.doubles import RuleClassifier, TemplateDrafter
from tests.spine.test_three_platforms import migrated_config

REPO = Path(__file__).resolve().parents[2]


class RecordingService:
    """An approval service that records its lifecycle and what it was given."""

    def __init__(self, context: ApprovalContext, events: list[str]) -> None:
        self.context = context
        self.events = events

    async def start(self) -> None:
        self.events.append("start")

    async def stop(self) -> None:
        self.events.append("stop")

    async def run(self, *, stop: object) -> None:
        return None

    async def message_decided(self, stored: StoredMessage, decision: Decision) -> None:
        return None

    async def burst_grew(self, leader_id: int) -> None:
        return None

    async def drafting_delayed(self, stored: StoredMessage, decision: Decision, note: str) -> None:
        return None

    async def draft_ready(
        self, stored: StoredMessage, decision: Decision, draft: Draft, notes: tuple[str, ...]
    ) -> None:
        return None

    async def delivery_result(
        self, draft_id: int, receipt: DeliveryReceipt | None, error: str | None
    ) -> None:
        return None

    async def admin_alert(self, text: str) -> None:
        self.events.append(f"alert: {text}")


def classifier(intents: Sequence[IntentSpec]) -> RuleClassifier:
    return RuleClassifier(intents)


def parts(**kw: object) -> AppParts:
    return AppParts(drafter=TemplateDrafter(), classifier_factory=classifier, **kw)  # type: ignore[arg-type]


async def test_built_app_opens_nothing_and_its_parts_wait_for_start(tmp_path: Path) -> None:
    config = Config(
        database=DatabaseConfig(url=f"sqlite+aiosqlite:///{tmp_path / 'none' / 'x.db'}"),
        policies=PoliciesConfig(path=str(REPO / "policies")),
    )
    app = build_app(config, parts())
    assert not (tmp_path / "none").exists()  # no database file yet
    with pytest.raises(RuntimeError, match="is new: use `async with build_app"):
        _ = app.store


async def test_start_twice_and_stop_before_start_are_refused(tmp_path: Path) -> None:
    config = await migrated_config(tmp_path)
    app = build_app(config, parts())
    with pytest.raises(RuntimeError, match="cannot stop: it is new, not started"):
        await app.stop()
    await app.start()
    with pytest.raises(RuntimeError, match="already started"):
        await app.start()
    await app.stop()
    with pytest.raises(RuntimeError, match="cannot stop: it is stopped"):
        await app.stop()
    with pytest.raises(RuntimeError, match="already started"):
        await app.start()  # an app starts once


async def test_an_approval_factory_gets_the_store_and_policy_and_its_lifecycle(
    tmp_path: Path,
) -> None:
    config = await migrated_config(tmp_path)
    events: list[str] = []
    built: list[RecordingService] = []

    def factory(context: ApprovalContext) -> RecordingService:
        built.append(RecordingService(context, events))
        return built[-1]

    app: App
    async with build_app(config, parts(approvals=factory)) as app:
        [service] = built
        assert service.context.store is app.store
        assert service.context.policy() is app.policy.current()
        assert app.approvals is service and events == ["start"]
    assert events == ["start", "stop"]


async def test_a_failed_approval_start_closes_what_was_opened(tmp_path: Path) -> None:
    config = await migrated_config(tmp_path)
    closed: list[str] = []

    class Refused(RecordingService):
        async def start(self) -> None:
            raise RuntimeError("token refused")

    class Drafter(TemplateDrafter):
        async def aclose(self) -> None:
            closed.append("drafter")

    app = build_app(
        config,
        AppParts(
            drafter=Drafter(),
            classifier_factory=classifier,
            approvals=lambda context: Refused(context, []),
        ),
    )
    with pytest.raises(RuntimeError, match="token refused"):
        await app.start()
    assert closed == ["drafter"]
    with pytest.raises(RuntimeError, match="already started"):
        await app.start()
