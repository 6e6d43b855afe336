"""The composition root: every part of Tactline built and wired in one place
(:func:`build_app`), started and stopped in order, and the adapters and approval app that
``tactline run`` adds from config.toml (:func:`run_parts`)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TypedDict, Unpack

from adapters.base import Adapter, Audience, Reaction
from bot.approval import (
    ApprovalChannel,
    ApprovalContext,
    ApprovalFactory,
    ApprovalService,
    LogApprovalChannel,
)
from bot.config import (
    AdaptersConfig,
    ApprovalConfig,
    Config,
    SlackAdapterConfig,
    TelegramAdapterConfig,
    secret,
)
from bot.delivery import Deliverer, RetryPolicy
from bot.domain import Decision, InboundMessage, IntentSpec, Platform
from bot.errors import TactlineError
from bot.learning import ReplyBank, TextEncoder
from bot.listening.listener import Listener
from bot.pipeline import (
    ClassifierFactory,
    DraftingPatience,
    FactMeaning,
    Judgement,
    MeaningFactory,
    Pipeline,
)
from bot.policy import Policy, PolicyErrors, PolicyWatcher
from bot.store.outcomes import NewAudience, NewReaction
from bot.store.store import Store, open_store
from bot.supervisor import AdapterSupervisor, Supervision
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

    async def reacted(self, reaction: Reaction) -> bool:
        """Keep a reaction when it is on one of our posted replies (outcomes of a reply)."""
        return await self._store.record_reaction(
            NewReaction(
                reaction.platform,
                reaction.channel_id,
                reaction.message_id,
                reaction.user_id,
                reaction.emoji,
                reaction.at,
                reaction.removed,
            )
        )

    async def audience(self, audience: Audience) -> None:
        """Keep how many members a channel we posted in had (visibility in the report)."""
        a = audience
        await self._store.record_audience(NewAudience(a.platform, a.channel_id, a.members, a.at))


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
    cache = config.resolve(dc.cache_dir)
    path: Path | None = None
    if dc.backend != "openai":
        path = resolve_model_path(dc.model_choice(), cache_dir=cache)
    backend = make_backend(dc.backend_choice(cache), model_path=path)
    return LocalDrafter(backend=backend, max_tokens=dc.max_tokens)


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


@dataclass(frozen=True, slots=True)
class AppParts:
    """Parts given explicitly instead of the defaults built from the config.

    ``approvals``: an approval channel the caller owns (a test's recorder), or a factory the
    app calls with the store and the policy, and then starts, runs and stops (Slack); by
    default approval events go to the log. ``meaning``: how facts are picked by meaning; the
    real classifier's embeddings by default, keywords only with a classifier given instead.
    ``encoder``: the sentence embeddings of the reply bank; the classifier's by default, no
    bank (no learning) with a classifier given instead and no encoder.
    """

    adapters: Sequence[Adapter] = ()
    approvals: ApprovalChannel | ApprovalFactory | None = None
    drafter: Drafter | None = None
    classifier_factory: ClassifierFactory | None = None
    meaning: MeaningFactory | None = None
    supervision: Supervision = field(default_factory=Supervision)
    encoder: TextEncoder | None = None


class AppPartsKw(TypedDict, total=False):
    adapters: Sequence[Adapter]
    approvals: ApprovalChannel | ApprovalFactory | None
    drafter: Drafter | None
    classifier_factory: ClassifierFactory | None
    meaning: MeaningFactory | None
    supervision: Supervision
    encoder: TextEncoder | None


@dataclass(frozen=True, slots=True)
class Running:
    """Every part of a started app."""

    store: Store
    policy: PolicyWatcher
    approvals: ApprovalChannel
    service: ApprovalService | None  # the approval channel the app started (Slack)
    drafter: Drafter
    listener: Listener
    pipeline: Pipeline
    supervisor: AdapterSupervisor
    deliverer: Deliverer
    worker: Worker
    sink: StoreSink


class App:
    """Tactline's parts, wired from ``config``: build with :func:`build_app`, then
    ``async with`` it (or :meth:`start` and :meth:`stop`). Starting loads the policy, opens
    the database and builds the parts, then starts the approval service; stopping undoes it
    in reverse. An app starts once; stopping one not started is an error."""

    def __init__(self, config: Config, parts: AppParts = AppParts()) -> None:
        self.config = config
        self._parts = parts
        self._running: Running | None = None
        self._state = "new"

    async def start(self) -> None:
        if self._state != "new":
            raise RuntimeError(f"the app was already started (it is {self._state})")
        self._state = "starting"
        store: Store | None = None
        try:
            policy = await self._load_policy()
            store = await open_database(self.config)
            self._running = self._assemble(policy, store)
            if self._running.service is not None:
                await self._running.service.start()
        except BaseException:
            built, self._running = self._running, None
            await self._close(store, built.drafter if built else None)
            self._state = "stopped"
            raise
        self._state = "started"

    async def stop(self) -> None:
        if self._state != "started":
            raise RuntimeError(f"the app cannot stop: it is {self._state}, not started")
        self._state = "stopped"
        running, self._running = self._running, None
        assert running is not None
        try:
            if running.service is not None:
                await running.service.stop()
        finally:
            await self._close(running.store, running.drafter)

    async def __aenter__(self) -> App:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _load_policy(self) -> PolicyWatcher:
        async def on_policy_error(errors: PolicyErrors) -> None:
            await self.approvals.admin_alert(
                "policy edit rejected, the previous policy stays in force:\n" + str(errors)
            )

        watcher = PolicyWatcher(
            directory=self.config.resolve(self.config.policies.path),
            interval=self.config.policies.reload_interval,
            on_error=on_policy_error,
        )
        await watcher.reload_now()
        return watcher

    def _assemble(self, policy: PolicyWatcher, store: Store) -> Running:
        parts, workers = self._parts, self.config.workers
        corrections = _Corrections()
        approvals, service = _approvals(
            parts.approvals, ApprovalContext(store, policy.current, corrections)
        )
        drafter = parts.drafter or default_drafter(self.config)
        listener = Listener(store=store, policy=policy.current, notify=approvals.admin_alert)
        judgement = Judgement(
            classifier_factory=parts.classifier_factory or default_classifier_factory(self.config),
            drafter=drafter,
            # The real classifier's embeddings also pick facts by meaning; a classifier given
            # in its place (tests) comes with keywords only unless meaning is given too.
            meaning=parts.meaning or (fact_meaning if parts.classifier_factory is None else None),
            patience=DraftingPatience(
                patience=timedelta(minutes=workers.drafting_patience_minutes),
                base_backoff=workers.retry_base_seconds,
            ),
            bank=_reply_bank(parts, store),
        )
        pipeline = Pipeline(
            store=store,
            policy=policy.current,
            judgement=judgement,
            approvals=approvals,
            listener=listener,
        )
        corrections.pipeline = pipeline
        supervisor = AdapterSupervisor(
            adapters=parts.adapters,
            store=store,
            alert=approvals.admin_alert,
            supervision=parts.supervision,
        )
        retry = RetryPolicy(
            max_attempts=workers.max_attempts,
            patience=timedelta(minutes=workers.delivery_patience_minutes),
            base_backoff=workers.retry_base_seconds,
        )
        deliverer = Deliverer(store=store, adapters=supervisor, approvals=approvals, retry=retry)
        worker = Worker(store=store, pipeline=pipeline, deliverer=deliverer, config=workers)
        return Running(
            store=store,
            policy=policy,
            approvals=approvals,
            service=service,
            drafter=drafter,
            listener=listener,
            pipeline=pipeline,
            supervisor=supervisor,
            deliverer=deliverer,
            worker=worker,
            sink=StoreSink(store=store),
        )

    async def _close(self, store: Store | None, drafter: Drafter | None = None) -> None:
        try:
            if drafter is not None:
                await drafter.aclose()
        finally:
            if store is not None:
                await store.aclose()

    # -- the parts, once started ---------------------------------------------------------

    @property
    def running(self) -> Running:
        if self._running is None:
            raise RuntimeError(f"the app is {self._state}: use `async with build_app(...)`")
        return self._running

    @property
    def store(self) -> Store:
        return self.running.store

    @property
    def policy(self) -> PolicyWatcher:
        return self.running.policy

    @property
    def approvals(self) -> ApprovalChannel:
        return self.running.approvals

    @property
    def drafter(self) -> Drafter:
        return self.running.drafter

    @property
    def listener(self) -> Listener:
        return self.running.listener

    @property
    def pipeline(self) -> Pipeline:
        return self.running.pipeline

    @property
    def supervisor(self) -> AdapterSupervisor:
        return self.running.supervisor

    @property
    def deliverer(self) -> Deliverer:
        return self.running.deliverer

    @property
    def worker(self) -> Worker:
        return self.running.worker

    @property
    def sink(self) -> StoreSink:
        return self.running.sink


class _Corrections:
    """A moderator's correction from a card, handed to the pipeline (built after the
    approval service that receives it)."""

    def __init__(self) -> None:
        self.pipeline: Pipeline | None = None

    async def correct(
        self, message_id: int, field: str, value: str, author: str
    ) -> Decision | None:
        if self.pipeline is None:
            raise TactlineError("the pipeline is not running yet")
        return await self.pipeline.correct(message_id, field, value, author)


def _reply_bank(parts: AppParts, store: Store) -> ReplyBank | None:
    """The reply bank on the given encoder, or the classifier's (None: a classifier was
    given and no encoder, so nothing is learned)."""
    if parts.encoder is not None:
        name = str(getattr(parts.encoder, "name", "given"))
        return ReplyBank(db=store.db, encoder=parts.encoder, model=name)
    if parts.classifier_factory is not None:
        return None
    from models.encoder import ENCODER_NAME, shared_encoder

    return ReplyBank(db=store.db, encoder=shared_encoder(), model=ENCODER_NAME)


def _approvals(
    given: ApprovalChannel | ApprovalFactory | None, context: ApprovalContext
) -> tuple[ApprovalChannel, ApprovalService | None]:
    """The approval channel, and the service the app owns when it built it."""
    if given is None:
        return LogApprovalChannel(), None
    if callable(given):
        service = given(context)
        return service, service
    return given, None


def build_app(config: Config, parts: AppParts = AppParts()) -> App:
    """Tactline wired from ``config`` (``parts`` given replace the defaults). Nothing is
    opened until the app is started."""
    return App(config, parts)


@asynccontextmanager
async def open_app(config: Config, **parts: Unpack[AppPartsKw]) -> AsyncIterator[App]:
    """A started :func:`build_app` for the length of the ``async with``."""
    async with build_app(config, AppParts(**parts)) as app:
        yield app


def run_parts(config: Config) -> AppParts:
    """What ``tactline run`` adds to the defaults: the platform adapters config.toml
    enables, and the Slack approval app when enabled. Secrets are read now: one missing is
    an error before anything is opened."""
    adapters = build_adapters(config.adapters)
    approvals: ApprovalFactory | None = None
    if config.approval.enabled:
        approvals = slack_approval_factory(config.approval)
        if not config.approval.channel:
            raise TactlineError("approval.channel: set the Slack channel id for approval cards")
    return AppParts(adapters=adapters, approvals=approvals)


def slack_approval_factory(a: ApprovalConfig) -> ApprovalFactory:
    """The Slack approval app from ``config.toml``; tokens from the named variables."""
    from bot.slack_approval import SlackApproval, SlackCredentials

    token = secret(a.bot_token_env, what="the Slack bot token for approvals")
    if a.mode == "http":
        signing = secret(a.signing_secret_env, what="the Slack signing secret")
        credentials = SlackCredentials(token, signing_secret=signing)
    else:
        app_token = secret(a.app_token_env, what="the Slack app-level token (Socket Mode)")
        credentials = SlackCredentials(token, app_token=app_token)

    def build(context: ApprovalContext) -> ApprovalService:
        return SlackApproval(a, context=context, credentials=credentials)

    return build


def build_adapters(config: AdaptersConfig) -> list[Adapter]:
    """The adapters enabled in ``config``; tokens come from the variables it names."""
    out: list[Adapter] = []
    if config.telegram.enabled:
        out.append(_telegram(config.telegram))
    if config.slack.enabled:
        out.append(_slack_community(config.slack))
    if config.discord.enabled:
        from adapters.discord import DiscordAdapter

        token = secret(config.discord.token_env, what="the Discord bot token")
        out.append(DiscordAdapter(config.discord, token=token))
    return out


def _telegram(c: TelegramAdapterConfig) -> Adapter:
    from adapters.telegram import TelegramAdapter

    token = secret(c.token_env, what="the Telegram bot token")
    hook = (
        secret(c.signing_secret_env, what="the Telegram webhook secret")
        if c.mode == "webhook" and c.signing_secret_env
        else None
    )
    return TelegramAdapter(c, token=token, webhook_secret=hook)


def _slack_community(sc: SlackAdapterConfig) -> Adapter:
    from adapters.slack import SlackCommunityAdapter

    token = secret(sc.token_env, what="the Slack community bot token")
    if sc.mode == "socket":
        app_token = secret(
            sc.app_token_env or "TACTLINE_SLACK_COMMUNITY_APP_TOKEN",
            what="the Slack community app-level token",
        )
        return SlackCommunityAdapter(sc, token=token, app_token=app_token)
    signing = secret(
        sc.signing_secret_env or "TACTLINE_SLACK_COMMUNITY_SIGNING_SECRET",
        what="the Slack community signing secret",
    )
    return SlackCommunityAdapter(sc, token=token, signing_secret=signing)


__all__ = [
    "App",
    "AppParts",
    "Policy",
    "Running",
    "StoreSink",
    "build_adapters",
    "build_app",
    "open_app",
    "open_database",
    "run_parts",
]
