"""The Slack approval app: cards in a team channel, one-click decisions, exactly-once posts.

It implements ``bot.approval.ApprovalChannel`` (cards, updates, admin alerts) and serves the
Bolt app that receives the moderators' clicks, over HTTP (signed requests) or Socket Mode.
Every click is acknowledged at once; the decision itself is a compare-and-set in the store,
so double clicks, two moderators and Slack's retries post one reply.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import ApprovalConfig
from bot.domain import (
    Action,
    ApprovalDecision,
    Decision,
    DeliveryReceipt,
    Draft,
    DraftStatus,
    RuleMatch,
    Verdict,
)
from bot.errors import TactlineError
from bot.policy import Policy
from bot.slack_approval.cards import ACTIONS, card_blocks, escalate_modal, text_modal
from bot.store import cards as card_store
from bot.store.store import Store, StoredMessage, utcnow

log = logging.getLogger(__name__)

_URGENT_INTENTS = {"attack", "legal_threat", "safety"}
_VERDICT_WORDS = {
    "approve": "✅ Approved",
    "edit": "✏️ Edited and approved",
    "take_over": "✍️ Taken over",
    "reject": "🚫 Rejected",
    "escalate": "↗️ Escalated",
}


def _when(at: datetime) -> str:
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{at:%Y-%m-%d %H:%M} UTC>"


def slack_error(exc: SlackApiError) -> str:
    data = exc.response.data
    return str(data.get("error")) if isinstance(data, dict) else f"HTTP {exc.response.status_code}"


def decision_of(stored: StoredMessage) -> Decision:
    """The stored decision, enough to render a card again."""
    c = stored.classification
    urgent = bool(
        c and (c.intent in _URGENT_INTENTS or c.toxic or c.flags & {"legal_threat", "safety"})
    )
    return Decision(
        action=Action(stored.action or "reply"),
        group=stored.group or "",
        strategy="",
        matched_rules=tuple(RuleMatch(r["rule"], r["reason"]) for r in stored.matched_rules),
        policy_version=stored.policy_version or "",
        urgent=urgent,
    )


class SlackApproval:
    """The approval channel on Slack. ``bind`` it to the store and policy, then ``start``."""

    def __init__(
        self,
        config: ApprovalConfig,
        *,
        token: str,
        signing_secret: str | None = None,
        app_token: str | None = None,
        reminder_interval: float = 60.0,
    ) -> None:
        self.config = config
        self.client = AsyncWebClient(
            token=token,
            base_url=config.api_base_url,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(max_retry_count=2),
                AsyncRateLimitErrorRetryHandler(max_retry_count=5),
                AsyncServerErrorRetryHandler(max_retry_count=3),
            ],
        )
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=signing_secret or "socket-mode-needs-no-signing-secret",
            request_verification_enabled=config.mode == "http",
            ignoring_self_events_enabled=True,
        )
        self._app_token = app_token
        self._store: Store | None = None
        self._policy: Callable[[], Policy] | None = None
        self._groups_cache: dict[str, tuple[float, set[str]]] = {}
        self._runner: Any = None
        self._socket: Any = None
        self._reminder_interval = reminder_interval
        self._register()

    # -- lifecycle -----------------------------------------------------------------------

    def bind(self, *, store: Store, policy: Callable[[], Policy]) -> None:
        self._store, self._policy = store, policy

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("SlackApproval is not bound to a store")
        return self._store

    def channel_for(self, group: str) -> str:
        return self.config.channels.get(group) or self.config.channel

    async def start(self) -> None:
        """Check the token, then listen for clicks (HTTP server or Socket Mode)."""
        try:
            await self.client.auth_test()
        except SlackApiError as exc:
            raise TactlineError(
                f"approval: Slack refused the bot token ({slack_error(exc)}): check "
                f"${self.config.bot_token_env}"
            ) from None
        if self.config.mode == "http":
            from aiohttp import web

            self._runner = web.AppRunner(self.bolt.web_app(path="/slack/events"), access_log=None)
            await self._runner.setup()
            await web.TCPSite(self._runner, self.config.http_host, self.config.http_port).start()
            log.info(
                "Slack approval listening on http://%s:%d/slack/events",
                self.config.http_host,
                self.config.http_port,
            )
        else:
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.bolt, self._app_token)
            await self._socket.connect_async()
            log.info("Slack approval connected over Socket Mode")

    @property
    def http_port(self) -> int:
        assert self._runner is not None
        return int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None

    # -- ApprovalChannel -----------------------------------------------------------------

    async def message_decided(self, stored: StoredMessage, decision: Decision) -> None:
        if decision.action == Action.NO_REPLY or not self.channel_for(decision.group):
            return
        if await card_store.card_for(self.store, stored.id, decision.group) is not None:
            return  # a retried job: the card is already there
        blocks = card_blocks(stored, decision)
        resp = await self.client.chat_postMessage(
            channel=self.channel_for(decision.group),
            blocks=blocks,
            text=f"{stored.message.author.name}: {stored.message.text[:200]}",
        )
        await card_store.save_card(
            self.store,
            message_id=stored.id,
            group=decision.group,
            channel=str(resp["channel"]),
            ts=str(resp["ts"]),
        )

    async def draft_ready(
        self, stored: StoredMessage, decision: Decision, draft: Draft, notes: tuple[str, ...]
    ) -> None:
        card = await card_store.card_for(self.store, stored.id, decision.group)
        blocks = card_blocks(stored, decision, draft, notes)
        text = f"Draft for {stored.message.author.name}: {(draft.text or '')[:200]}"
        if card is None:
            resp = await self.client.chat_postMessage(
                channel=self.channel_for(decision.group), blocks=blocks, text=text
            )
            card = await card_store.save_card(
                self.store,
                message_id=stored.id,
                group=decision.group,
                channel=str(resp["channel"]),
                ts=str(resp["ts"]),
                draft_id=draft.id,
            )
        else:
            await self.client.chat_update(
                channel=card.channel, ts=card.ts, blocks=blocks, text=text
            )
            await card_store.attach_draft(self.store, card.id, draft.id)

    async def delivery_result(
        self, draft_id: int, receipt: DeliveryReceipt | None, error: str | None
    ) -> None:
        if receipt is not None:
            where = (
                f"<{receipt.permalink}|view the reply>"
                if receipt.permalink
                else f"message {', '.join(receipt.platform_message_ids)}"
            )
            line = f"📬 Posted on {receipt.platform} {_when(receipt.sent_at)}: {where}"
        else:
            line = f"⚠️ Not delivered: {error}. Nothing was posted; the admins were told."
        await self._refresh(draft_id, extra=line)

    async def admin_alert(self, text: str) -> None:
        try:
            await self.client.chat_postMessage(
                channel=self.config.channel, text=f":rotating_light: {text}"
            )
        except SlackApiError as exc:
            log.error("could not post an admin alert to Slack (%s): %s", slack_error(exc), text)

    # -- cards -----------------------------------------------------------------------------

    async def _refresh(self, draft_id: int, *, extra: str | None = None) -> None:
        card = await card_store.card_for_draft(self.store, draft_id)
        if card is None:
            return
        draft = await self.store.draft(draft_id)
        stored = await self.store.message(card.message_id)
        verdict = await card_store.last_verdict(self.store, draft_id)
        lines = []
        if verdict is not None:
            actor, word, at, reason, target = verdict
            line = f"{_VERDICT_WORDS.get(word, word)} by <@{actor}> {_when(at)}"
            if reason:
                line += f" — “{reason}”"
            if target:
                line += f" → {target}"
            lines.append(line)
        if draft.status == DraftStatus.STALE:
            lines.append("⏸️ The source message was edited or deleted: nothing was posted.")
        if extra:
            lines.append(extra)
        outcome = "\n".join(lines) if lines else None
        await self.client.chat_update(
            channel=card.channel,
            ts=card.ts,
            text=f"Draft {draft_id}: {draft.status}",
            blocks=card_blocks(stored, decision_of(stored), draft, outcome=outcome),
        )

    # -- who may act -------------------------------------------------------------------------

    async def allowed(self, user: str, group: str) -> bool:
        assert self._policy is not None
        policy = self._policy()
        entry = policy.groups.get(group)
        if entry is None:
            return False
        if user in entry.approvers:
            return True
        for ref in entry.approvers:
            if ref.startswith("S") and user in await self._members(ref):
                return True
        return False

    async def _members(self, usergroup: str) -> set[str]:
        cached = self._groups_cache.get(usergroup)
        if cached and time.monotonic() - cached[0] < 300:
            return cached[1]
        try:
            resp = await self.client.usergroups_users_list(usergroup=usergroup)
            members = set(resp.get("users") or [])
        except SlackApiError as exc:
            log.warning("cannot list user group %s: %s", usergroup, slack_error(exc))
            members = set()
        self._groups_cache[usergroup] = (time.monotonic(), members)
        return members

    async def _ephemeral(self, body: dict[str, Any], text: str) -> None:
        channel = (body.get("channel") or {}).get("id") or self.config.channel
        try:
            await self.client.chat_postEphemeral(
                channel=channel, user=body["user"]["id"], text=text
            )
        except SlackApiError as exc:
            log.warning("ephemeral notice failed: %s", slack_error(exc))

    async def _check(self, body: dict[str, Any], draft_id: int) -> str | None:
        """The group of a draft the user may decide now, or None (and the user is told)."""
        user = body["user"]["id"]
        try:
            draft = await self.store.draft(draft_id)
        except TactlineError:
            await self._ephemeral(body, "This draft no longer exists.")
            return None
        group = await card_store.draft_group(self.store, draft_id)
        if draft.status != DraftStatus.PENDING:
            why = (
                "its source message was edited or deleted"
                if draft.status == DraftStatus.STALE
                else f"it is already {draft.status}"
            )
            await self._ephemeral(body, f"Nothing done: {why}.")
            return None
        if not await self.allowed(user, group):
            await self._ephemeral(body, f"Only the {group} approvers can decide this draft.")
            return None
        return group

    # -- Bolt handlers -----------------------------------------------------------------------

    def _register(self) -> None:
        self.bolt.action(re.compile(f"^({'|'.join(ACTIONS)})$"))(self._on_action)
        self.bolt.view(re.compile("^(edit|take_over|reject|escalate)$"))(self._on_submit)

    async def _on_action(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        verb, draft_id = action["action_id"], int(action["value"])
        if await self._check(body, draft_id) is None:
            return
        draft = await self.store.draft(draft_id)
        if verb == "approve":
            await self._decide(body, draft_id, Verdict.APPROVE)
            return
        if verb == "escalate":
            assert self._policy is not None
            group = await card_store.draft_group(self.store, draft_id)
            groups = [(n, g.label or n) for n, g in self._policy().groups.items() if n != group]
            view = escalate_modal(draft_id, groups)
        elif verb == "reject":
            view = text_modal("reject", draft_id, "", "Reject", "Why? (kept for the report)")
        elif verb == "edit":
            view = text_modal(
                "edit",
                draft_id,
                draft.text or "",
                "Edit the reply",
                "The reply that will be posted",
            )
        else:
            view = text_modal(
                "take_over", draft_id, "", "Write the reply", "Your reply, posted as the brand"
            )
        await self.client.views_open(trigger_id=body["trigger_id"], view=view)

    async def _on_submit(self, ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        text = ((values.get("text") or {}).get("text") or {}).get("value") or ""
        kind, draft_id = view["callback_id"], int(view["private_metadata"])
        if kind in ("edit", "take_over", "reject") and not text.strip():
            await ack(response_action="errors", errors={"text": "This cannot be empty."})
            return
        await ack()
        if await self._check(body, draft_id) is None:
            return
        if kind == "escalate":
            target = values["group"]["group"]["selected_option"]["value"]
            await self._decide(
                body, draft_id, Verdict.ESCALATE, reason=text or None, target_group=target
            )
        elif kind == "reject":
            await self._decide(body, draft_id, Verdict.REJECT, reason=text)
        else:
            verdict = Verdict.EDIT if kind == "edit" else Verdict.TAKE_OVER
            await self._decide(body, draft_id, verdict, edited_text=text)

    async def _decide(
        self, body: dict[str, Any], draft_id: int, verdict: Verdict, **kw: Any
    ) -> None:
        try:
            outcome = await self.store.decide_draft(
                ApprovalDecision(
                    draft_id=draft_id, actor=body["user"]["id"], at=utcnow(), verdict=verdict, **kw
                )
            )
        except TactlineError as exc:
            await self._ephemeral(body, f"Nothing done: {exc}.")
            return
        if not outcome.applied:
            await self._ephemeral(body, f"Nothing done: the draft is {outcome.reason}.")
            return
        await self._refresh(draft_id, extra="Posting…" if outcome.outbox_id else None)
        if outcome.new_draft_id is not None:
            await self._escalated(outcome.new_draft_id)

    async def _escalated(self, new_draft_id: int) -> None:
        draft = await self.store.draft(new_draft_id)
        stored = await self.store.message(draft.message_id)
        group = await card_store.draft_group(self.store, new_draft_id)
        decision = decision_of(stored)
        decision = Decision(
            decision.action,
            group,
            decision.strategy,
            decision.matched_rules,
            decision.policy_version,
            urgent=decision.urgent,
        )
        notes = (f"escalated to {group}",)
        existing = await card_store.card_for(self.store, stored.id, group)
        if existing is None:
            resp = await self.client.chat_postMessage(
                channel=self.channel_for(group),
                blocks=card_blocks(stored, decision, draft, notes),
                text=f"Escalated to {group}: {stored.message.text[:200]}",
            )
            await card_store.save_card(
                self.store,
                message_id=stored.id,
                group=group,
                channel=str(resp["channel"]),
                ts=str(resp["ts"]),
                draft_id=new_draft_id,
            )
        else:
            await card_store.attach_draft(self.store, existing.id, new_draft_id)
            await self._refresh(new_draft_id)

    # -- reminders ---------------------------------------------------------------------------

    async def remind_once(self, now: datetime | None = None) -> int:
        """Remind in the card's thread when a draft waits past its group's target."""
        assert self._policy is not None
        now = now or utcnow()
        groups = self._policy().groups
        sent = 0
        for card, since in await card_store.waiting_cards(self.store):
            entry = groups.get(card.group)
            if entry is None:
                continue
            target = timedelta(minutes=entry.respond_within_minutes)
            last = card.reminded_at or since
            if now - since < target or now - last < target:
                continue
            waited = int((now - since).total_seconds() // 60)
            mentions = " ".join(
                f"<!subteam^{a}>" if a.startswith("S") else f"<@{a}>" for a in entry.approvers
            )
            try:
                await self.client.chat_postMessage(
                    channel=card.channel,
                    thread_ts=card.ts,
                    text=f"⏰ This draft has waited {waited} min (target "
                    f"{entry.respond_within_minutes} min). {mentions}",
                )
            except SlackApiError as exc:
                log.warning("reminder failed: %s", slack_error(exc))
                continue
            await card_store.mark_reminded(self.store, card.id, now)
            sent += 1
        return sent

    async def run_reminders(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.remind_once()
            except Exception:
                log.exception("reminders failed")
            try:
                await asyncio.wait_for(stop.wait(), self._reminder_interval)
            except TimeoutError:
                pass
