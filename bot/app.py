"""Wiring: the one place where the parts meet (``open_app``), and their lifecycle."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from adapters.base import Adapter
from bot.approval import ApprovalChannel, LogApprovalChannel
from bot.config import Config
from bot.delivery import Deliverer
from bot.domain import InboundMessage, IntentSpec, Platform
from bot.errors import TactlineError
from bot.listening.listener import Listener
from bot.pipeline import (
    ClassifierFactory,
    DraftingPatience,
    FactMeaning,
    MeaningFactory,
    Pipeline,
)
from bot.policy import Policy, PolicyErrors, PolicyWatcher
from bot.store.store import Store, open_store
from bot.worker import Worker
from models.base import Classifier, Drafter

log = logging.getLogger(__name__)


class StoreSink:
    """What adapters feed: a message is stored (and queued) before ``accept`` returns."""

    def __init__(self, *, store: Store) -> None:
        self._store = store

    async def accept(self, message: InboundMessage) -> bool:
        if message.author.is_bot:
            log.info("ignoring bot message %s/%s", message.platform, message.platform_message_id)
            return False
        return await self._store.accept(message) is not None

    async def source_changed(
        self,
        platform: Platform,
        platform_message_id: str,
        *,
        deleted: bool,
        new_text: str | None = None,
        channel_id: str | None = None,
    ) -> None:
        stale = await self._store.source_changed(
            platform, platform_message_id, deleted=deleted, new_text=new_text, channel_id=channel_id
        )
        if stale:
            log.info(
                "source %s/%s %s: drafts %s are stale",
                platform,
                platform_message_id,
                "deleted" if deleted else "edited",
                stale,
            )

    async def last_seen(self, platform: Platform, channel_id: str) -> str | None:
        return await self._store.last_seen(platform, channel_id)


@dataclass
class App:
    config: Config
    store: Store
    policy: PolicyWatcher
    pipeline: Pipeline
    deliverer: Deliverer
    worker: Worker
    sink: StoreSink
    adapters: dict[Platform, Adapter]
    approvals: ApprovalChannel
    drafter: Drafter
    listener: Listener
    given_up: set[str] = field(default_factory=set)  # adapters refused for good (token, intent)


def default_classifier_factory(config: Config) -> ClassifierFactory:
    def make(intents: Sequence[IntentSpec]) -> Classifier:
        from models.classifier import EmbeddingClassifier

        cc = config.models.classifier
        return EmbeddingClassifier(
            intents=intents,
            batch_size=cc.batch_size,
            thresholds={str(k): v for k, v in cc.thresholds.items()},
        )

    return make


def fact_meaning(policy: Policy) -> FactMeaning:
    """The policy's facts embedded with the classifier's encoder, for picking by meaning."""
    from models.facts import FactIndex

    return FactIndex({f.id: (f.text, f.text_fr or "", *f.questions) for f in policy.facts})


def default_drafter(config: Config) -> Drafter:
    """The configured drafter backend on the configured (installed) model."""
    from models.backends import make_backend
    from models.drafter import LocalDrafter
    from models.sources import resolve_model_path

    dc = config.models.drafter
    path: Path | None = None
    if dc.backend != "openai":
        path = resolve_model_path(dc, cache_dir=config.resolve(dc.cache_dir))
    return LocalDrafter(backend=make_backend(dc, model_path=path), max_tokens=dc.max_tokens)


async def open_database(config: Config) -> Store:
    """Open the configured database. SQLite is migrated in place (it is ours alone);
    a shared PostgreSQL must be migrated on purpose with ``tactline db upgrade``."""
    store = await open_store(config.database_url)
    if store.is_sqlite:
        await store.upgrade()
    else:
        from bot.migrations import head_revision

        current = await store.current_revision()
        if current != head_revision():
            await store.aclose()
            raise TactlineError(
                f"database schema is at {current or 'nothing'}, expected {head_revision()}: "
                "run `tactline db upgrade`"
            )
    return store


@asynccontextmanager
async def open_app(
    config: Config,
    *,
    adapters: Sequence[Adapter] = (),
    approvals: ApprovalChannel | None = None,
    drafter: Drafter | None = None,
    classifier_factory: ClassifierFactory | None = None,
    meaning: MeaningFactory | None = None,
    policy_errors: Callable[[PolicyErrors], object] | None = None,
) -> AsyncIterator[App]:
    """Build every part from ``config`` (parts given explicitly replace the defaults)."""
    approvals = approvals or LogApprovalChannel()

    async def on_policy_error(errors: PolicyErrors) -> None:
        await approvals.admin_alert(
            "policy edit rejected, the previous policy stays in force:\n" + str(errors)
        )

    watcher = PolicyWatcher(
        directory=config.resolve(config.policies.path),
        interval=config.policies.reload_interval,
        on_error=on_policy_error,
    )
    await watcher.reload_now()
    store = await open_database(config)
    try:
        drafter = drafter or default_drafter(config)
        listener = Listener(store=store, policy=watcher.current, notify=approvals.admin_alert)
        pipeline = Pipeline(
            listener=listener,
            store=store,
            policy=watcher.current,
            classifier_factory=classifier_factory or default_classifier_factory(config),
            drafter=drafter,
            approvals=approvals,
            # The real classifier's embeddings also pick facts by meaning; a classifier given
            # in its place (tests) comes with keywords only unless meaning is given too.
            meaning=meaning or (fact_meaning if classifier_factory is None else None),
            patience=DraftingPatience(
                patience=timedelta(minutes=config.workers.drafting_patience_minutes),
                base_backoff=config.workers.retry_base_seconds,
            ),
        )
        by_platform = {a.platform: a for a in adapters}
        deliverer = Deliverer(
            store=store,
            adapters=by_platform,
            approvals=approvals,
            max_attempts=config.workers.max_attempts,
            patience=timedelta(minutes=config.workers.delivery_patience_minutes),
            base_backoff=config.workers.retry_base_seconds,
        )
        worker = Worker(store=store, pipeline=pipeline, deliverer=deliverer, config=config.workers)
        yield App(
            config=config,
            store=store,
            policy=watcher,
            pipeline=pipeline,
            deliverer=deliverer,
            worker=worker,
            sink=StoreSink(store=store),
            adapters=by_platform,
            approvals=approvals,
            drafter=drafter,
            listener=listener,
        )
    finally:
        if drafter is not None:
            await drafter.aclose()
        await store.aclose()


__all__ = ["App", "Policy", "StoreSink", "open_app", "open_database"]
