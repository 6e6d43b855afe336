"""The Slack approval app: one object that the Tactline app builds, starts and stops.

It implements ``bot.approval.ApprovalService``: cards and admin alerts (``board.py``), the
Bolt app that receives the moderators' clicks (``routes.py``) over HTTP (signed requests) or
Socket Mode, the decisions they make (``service.py``), who may make them
(``permissions.py``) and reminders (``reminders.py``). Everything sent to Slack goes through
``out.py``, with mrkdwn built by :mod:`bot.slack_approval.mrkdwn`: a member's ``<!channel>``
or disguised link arrives as inert text; every word a moderator reads is in ``texts.py``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.approval import ApprovalContext
from bot.config import ApprovalConfig
from bot.domain import Decision, DeliveryReceipt, Draft
from bot.errors import TactlineError
from bot.slack_approval import routes, texts
from bot.slack_approval.board import MAYBE_SENT, CardBoard, decision_of
from bot.slack_approval.mrkdwn import Mrkdwn
from bot.slack_approval.out import SlackOut, slack_error
from bot.slack_approval.permissions import MEMBERS_TTL, Approvers, GroupLookupFailed
from bot.slack_approval.reminders import Reminders
from bot.slack_approval.service import Decisions
from bot.store.store import StoredMessage

log = logging.getLogger(__name__)

_MAYBE_SENT = MAYBE_SENT  # the name tests/adapters/test_delivery_unknown.py reads


@dataclass(frozen=True, slots=True)
class SlackCredentials:
    """The bot token, and the signing secret (HTTP mode) or app-level token (Socket Mode)."""

    token: str
    signing_secret: str | None = None
    app_token: str | None = None


@dataclass(frozen=True, slots=True)
class ApprovalTiming:
    """How often reminders are checked; the clock of the user-group cache (tests)."""

    reminder_interval: float = 60.0
    clock: Callable[[], float] = time.monotonic


def slack_client(config: ApprovalConfig, token: str) -> AsyncWebClient:
    return AsyncWebClient(
        token=token,
        base_url=config.api_base_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=5),
            AsyncServerErrorRetryHandler(max_retry_count=3),
        ],
    )


class SlackApproval:
    """The approval channel on Slack. Built with what it reads (store and policy); nothing
    happens until :meth:`start`, which may be called once."""

    def __init__(
        self,
        config: ApprovalConfig,
        *,
        context: ApprovalContext,
        credentials: SlackCredentials,
        timing: ApprovalTiming = ApprovalTiming(),
    ) -> None:
        self.config = config
        self.client = slack_client(config, credentials.token)
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=credentials.signing_secret or "socket-mode-needs-no-signing-secret",
            request_verification_enabled=config.mode == "http",
            ignoring_self_events_enabled=True,
        )
        self._app_token = credentials.app_token
        self._timing = timing
        self._out = SlackOut(self.client)
        self.approvers = Approvers(client=self.client, policy=context.policy, clock=timing.clock)
        corrector = context.corrector
        self.board = CardBoard(
            config=config,
            store=context.store,
            out=self._out,
            intents=(lambda: context.policy().intent_names) if corrector else tuple,
        )
        self.reminders = Reminders(store=context.store, out=self._out, policy=context.policy)
        decisions = Decisions(
            store=context.store,
            approvers=self.approvers,
            policy=context.policy,
            corrector=corrector,
        )
        self._inflight = routes.register(
            self.bolt,
            routes.RouteDeps(
                decisions=decisions,
                board=self.board,
                out=self._out,
                approvers=self.approvers,
                channel=config.channel,
            ),
        )
        self._runner: Any = None
        self._socket: Any = None
        self._started = False

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Check the token, then listen for clicks (HTTP server or Socket Mode)."""
        if self._started:
            raise RuntimeError("the Slack approval app is already started")
        self._started = True
        try:
            await self.client.auth_test()
        except SlackApiError as exc:
            raise TactlineError(
                texts.TOKEN_REFUSED.format(slack_error(exc), self.config.bot_token_env)
            ) from None
        if self.config.mode == "http":
            await self._serve_http()
        else:
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.bolt, self._app_token)
            await self._socket.connect_async()
            log.info("Slack approval connected over Socket Mode")

    async def _serve_http(self) -> None:
        from aiohttp import web

        self._runner = web.AppRunner(self.bolt.web_app(path="/slack/events"), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.config.http_host, self.config.http_port).start()
        log.info(
            "Slack approval listening on http://%s:%d/slack/events",
            self.config.http_host,
            self.config.http_port,
        )

    @property
    def http_port(self) -> int:
        """The port the HTTP mode listens on (the configured one, or the one given for 0)."""
        if self._runner is None:
            raise RuntimeError("the Slack approval app is not listening over HTTP")
        return int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop listening, then let the clicks already acknowledged finish their work (card
        updates, notices) before the store they use is closed."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        try:
            async with asyncio.timeout(10):
                await self._inflight.drained()
        except TimeoutError:
            log.warning("approval handlers still running after 10 s: stopping anyway")

    async def run(self, *, stop: asyncio.Event) -> None:
        """Reminders until ``stop`` is set."""
        await self.reminders.run(stop=stop, interval=self._timing.reminder_interval)

    async def remind_once(self, now: datetime | None = None) -> int:
        return await self.reminders.remind_once(now)

    async def allowed(self, user_id: str, group: str) -> bool:
        return await self.approvers.allowed(user_id, group)

    def channel_for(self, group: str) -> str:
        return self.board.channel_for(group)

    # -- ApprovalChannel -----------------------------------------------------------------

    async def message_decided(self, stored: StoredMessage, decision: Decision) -> None:
        await self.board.message_decided(stored, decision)

    async def drafting_delayed(self, stored: StoredMessage, decision: Decision, note: str) -> None:
        await self.board.drafting_delayed(stored, decision, note)

    async def burst_grew(self, leader_id: int) -> None:
        await self.board.burst_grew(leader_id)

    async def draft_ready(
        self, stored: StoredMessage, decision: Decision, draft: Draft, notes: tuple[str, ...]
    ) -> None:
        await self.board.draft_ready(stored, decision, draft, notes)

    async def delivery_result(
        self, draft_id: int, receipt: DeliveryReceipt | None, error: str | None
    ) -> None:
        await self.board.delivery_result(draft_id, receipt, error)

    async def admin_alert(self, text: str) -> None:
        """Post an alert to the approval channel. ``text`` is plain text (member excerpts,
        error messages) and is escaped; pass :class:`Mrkdwn` to keep markup."""
        try:
            await self._out.post(self.config.channel, Mrkdwn(texts.ALERT) + text)
        except SlackApiError as exc:
            log.error("could not post an admin alert to Slack (%s): %s", slack_error(exc), text)


__all__ = [
    "MEMBERS_TTL",
    "ApprovalTiming",
    "GroupLookupFailed",
    "SlackApproval",
    "SlackCredentials",
    "decision_of",
    "slack_error",
]
