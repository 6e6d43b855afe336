"""The Slack approval app: cards in a team channel, one-click decisions, exactly-once posts.

It implements ``bot.approval.ApprovalChannel`` (cards, updates, admin alerts) and serves the
Bolt app that receives the moderators' clicks, over HTTP (signed requests) or Socket Mode.
A decision is a compare-and-set in the store, written *before* the click or the modal is
acknowledged (one CAS fits in Slack's 3 s): a click Slack showed as accepted is never lost,
and double clicks, two moderators and Slack's retries post one reply.

Everything sent to Slack goes through :meth:`SlackApproval._post`, ``_update`` and
``_ephemeral``, which take mrkdwn built by :mod:`bot.slack_approval.mrkdwn` (a plain ``str`` is
escaped): a member's ``<!channel>`` or disguised link arrives as inert text.
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
from sqlalchemy.exc import NoResultFound

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
from bot.slack_approval.cards import (
    ACTIONS,
    WRITE_NOW,
    card_blocks,
    card_fallback,
    escalate_modal,
    text_modal,
)
from bot.slack_approval.mrkdwn import Mrkdwn, date, escape, fmt, link, subteam, user
from bot.store import cards as card_store
from bot.store.store import ApprovalOutcome, Store, StoredMessage, utcnow

log = logging.getLogger(__name__)

_VERDICT_WORDS = {
    "approve": "✅ Approved",
    "edit": "✏️ Edited and approved",
    "take_over": "✍️ Taken over",
    "reject": "🚫 Rejected",
    "escalate": "↗️ Escalated",
}


# A successful user-group lookup is trusted this long: someone removed from the group stops
# deciding within a minute even without the ``subteam_members_changed`` event.
MEMBERS_TTL = 60.0
# Errors of a delivery given up that do not mean "the platform refused it" (bot/delivery.py,
# and Telegram's find_sent, which cannot look): the reply may be in the chat.
_MAYBE_SENT = ("unknown outcome", "reconciliation failed")


def slack_error(exc: SlackApiError) -> str:
    data = exc.response.data
    return str(data.get("error")) if isinstance(data, dict) else f"HTTP {exc.response.status_code}"


class GroupLookupFailed(Exception):
    """Slack would not list a user group's members: nobody can tell who is an approver."""

    def __init__(self, usergroup: str, error: str, needed: str | None) -> None:
        super().__init__(usergroup, error, needed)
        self.usergroup, self.error, self.needed = usergroup, error, needed

    def advice(self) -> str:
        if self.error == "missing_scope":
            scope = self.needed or "usergroups:read"
            return (
                f"the approval app lacks the `{scope}` scope, so Slack will not list user "
                f"group {self.usergroup}: an admin must add it and reinstall the app"
            )
        return f"Slack would not list user group {self.usergroup} ({self.error})"


def decision_of(stored: StoredMessage) -> Decision:
    """The recorded decision, enough to render a card again (nothing recomputed)."""
    return Decision(
        action=Action(stored.action or "reply"),
        group=stored.group or "",
        strategy=stored.strategy or "",
        matched_rules=tuple(RuleMatch(r["rule"], r["reason"]) for r in stored.matched_rules),
        policy_version=stored.policy_version or "",
        urgent=stored.urgent,
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
        clock: Callable[[], float] = time.monotonic,
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
        self._groups_cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._clock = clock  # for the membership cache's expiry
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
        resp = await self._post(
            self.channel_for(decision.group),
            card_fallback(stored.message.author.name, stored.message.text),
            blocks=card_blocks(stored, decision),
        )
        await card_store.save_card(
            self.store,
            message_id=stored.id,
            group=decision.group,
            channel=str(resp["channel"]),
            ts=str(resp["ts"]),
        )

    async def drafting_delayed(self, stored: StoredMessage, decision: Decision, note: str) -> None:
        card = await card_store.card_for(self.store, stored.id, decision.group)
        if card is None or card.draft_id is not None:
            return
        await self._update(
            card.channel,
            card.ts,
            card_fallback(f"Waiting for a draft for {stored.message.author.name}", note),
            card_blocks(stored, decision, waiting=note, burst=await self.store.burst_of(stored.id)),
        )

    async def burst_grew(self, leader_id: int) -> None:
        [stored] = await self.store.messages([leader_id])
        decision = decision_of(stored)
        card = await card_store.card_for(self.store, stored.id, decision.group)
        if card is None or card.draft_id is not None:
            return
        burst = await self.store.burst_of(stored.id)
        await self._update(
            card.channel,
            card.ts,
            card_fallback(stored.message.author.name, burst[-1].message.text),
            card_blocks(stored, decision, burst=burst),
        )

    async def draft_ready(
        self, stored: StoredMessage, decision: Decision, draft: Draft, notes: tuple[str, ...]
    ) -> None:
        card = await card_store.card_for(self.store, stored.id, decision.group)
        burst = await self.store.burst_of(stored.id)
        blocks = card_blocks(stored, decision, draft, notes, burst=burst)
        text = card_fallback(f"Draft for {stored.message.author.name}", draft.text)
        if card is None:
            resp = await self._post(self.channel_for(decision.group), text, blocks=blocks)
            card = await card_store.save_card(
                self.store,
                message_id=stored.id,
                group=decision.group,
                channel=str(resp["channel"]),
                ts=str(resp["ts"]),
                draft_id=draft.id,
            )
        else:
            await self._update(card.channel, card.ts, text, blocks)
            await card_store.attach_draft(self.store, card.id, draft.id)

    async def delivery_result(
        self, draft_id: int, receipt: DeliveryReceipt | None, error: str | None
    ) -> None:
        if receipt is not None:
            where = (
                link(receipt.permalink, "view the reply")
                if receipt.permalink
                else fmt("message {}", ", ".join(receipt.platform_message_ids))
            )
            line = fmt("📬 Posted on {} {}: {}", receipt.platform, date(receipt.sent_at), where)
        elif any(marker in (error or "") for marker in _MAYBE_SENT):
            # The send may have reached the platform: "nothing was posted" would invite a
            # moderator to post the reply twice.
            line = fmt(
                "⚠️ Delivery outcome unknown ({}). The reply *may have been posted* — check "
                "the chat{} before posting it again. The admins were told.",
                error,
                await self._chat_link(draft_id),
            )
        else:
            line = fmt("⚠️ Not delivered: {}. The admins were told.", error)
        await self._refresh(draft_id, extra=line)

    async def admin_alert(self, text: str) -> None:
        """Post an alert to the approval channel. ``text`` is plain text (member excerpts,
        error messages) and is escaped; pass :class:`Mrkdwn` to keep markup."""
        try:
            await self._post(self.config.channel, Mrkdwn(":rotating_light: ") + text)
        except SlackApiError as exc:
            log.error("could not post an admin alert to Slack (%s): %s", slack_error(exc), text)

    # -- the one way out -------------------------------------------------------------------

    async def _post(
        self,
        channel: str,
        text: str,
        *,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> Any:
        """chat.postMessage with ``text`` as mrkdwn (a plain ``str`` is escaped)."""
        args: dict[str, Any] = {"channel": channel, "text": escape(text)}
        if blocks is not None:
            args["blocks"] = blocks
        if thread_ts is not None:
            args["thread_ts"] = thread_ts
        return await self.client.chat_postMessage(**args)

    async def _update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> Any:
        return await self.client.chat_update(
            channel=channel, ts=ts, text=escape(text), blocks=blocks
        )

    async def _chat_link(self, draft_id: int) -> Mrkdwn:
        """`` (link to the source message)`` when the platform gave one."""
        draft = await self.store.draft(draft_id)
        permalink = (await self.store.message(draft.message_id)).message.raw.get("permalink")
        if isinstance(permalink, str) and permalink:
            return Mrkdwn(" (") + link(permalink, "open the message") + Mrkdwn(")")
        return Mrkdwn("")

    # -- cards -----------------------------------------------------------------------------

    async def _refresh(self, draft_id: int, *, extra: Mrkdwn | None = None) -> None:
        card = await card_store.card_for_draft(self.store, draft_id)
        if card is None:
            return
        draft = await self.store.draft(draft_id)
        stored = await self.store.message(card.message_id)
        verdict = await card_store.last_verdict(self.store, draft_id)
        lines: list[Mrkdwn] = []
        if verdict is not None:
            actor, word, at, reason, target = verdict
            line = fmt("{} by {} {}", _VERDICT_WORDS.get(word, word), user(actor), date(at))
            if reason:
                line += fmt(" — “{}”", reason)
            if target:
                line += fmt(" → {}", target)
            lines.append(line)
        if draft.status == DraftStatus.STALE:
            lines.append(escape("⏸️ The source message was edited or deleted: nothing was posted."))
        if extra:
            lines.append(extra)
        outcome = Mrkdwn("\n").join(lines) if lines else None
        await self._update(
            card.channel,
            card.ts,
            f"Draft {draft_id}: {draft.status}",
            card_blocks(
                stored,
                decision_of(stored),
                draft,
                outcome=outcome,
                burst=await self.store.burst_of(stored.id),
            ),
        )

    # -- who may act -------------------------------------------------------------------------

    async def allowed(self, user_id: str, group: str) -> bool:
        """Whether ``user_id`` is one of the group's approvers (listed, or a member of a
        listed user group). Raises :class:`GroupLookupFailed` when the answer depends on a
        user group Slack would not list."""
        assert self._policy is not None
        entry = self._policy().groups.get(group)
        if entry is None:
            return False
        if user_id in entry.approvers:
            return True
        failed: GroupLookupFailed | None = None
        for ref in entry.approvers:
            if not ref.startswith("S"):
                continue
            try:
                if user_id in await self._members(ref):
                    return True
            except GroupLookupFailed as exc:
                failed = failed or exc
        if failed is not None:
            raise failed
        return False

    async def _members(self, usergroup: str) -> frozenset[str]:
        """A user group's members, cached for ``MEMBERS_TTL`` seconds (or until Slack says
        the group changed). A failed lookup is never cached: it raises every time, so the
        approvers are let in as soon as the cause is fixed."""
        cached = self._groups_cache.get(usergroup)
        if cached and self._clock() - cached[0] < MEMBERS_TTL:
            return cached[1]
        try:
            resp = await self.client.usergroups_users_list(usergroup=usergroup)
        except SlackApiError as exc:
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            failed = GroupLookupFailed(usergroup, slack_error(exc), data.get("needed"))
            log.error("cannot list user group %s: %s", usergroup, failed.advice())
            raise failed from None
        members = frozenset(resp.get("users") or [])
        self._groups_cache[usergroup] = (self._clock(), members)
        return members

    async def _group_changed(self, event: dict[str, Any]) -> None:
        """``subteam_members_changed``: forget the group's cached members at once."""
        self._groups_cache.pop(str(event.get("subteam_id") or ""), None)

    async def _ephemeral(self, body: dict[str, Any], text: str) -> None:
        """A notice only the clicker sees; ``text`` is escaped unless it is ``Mrkdwn``."""
        channel = (body.get("channel") or {}).get("id") or self.config.channel
        try:
            await self.client.chat_postEphemeral(
                channel=channel, user=body["user"]["id"], text=escape(text)
            )
        except SlackApiError as exc:
            log.warning("ephemeral notice failed: %s", slack_error(exc))

    async def _refusal(self, body: dict[str, Any], draft_id: int) -> str | None:
        """Why the clicker may not decide this draft now, or None when they may."""
        try:
            draft = await self.store.draft(draft_id)
            group = await card_store.draft_group(self.store, draft_id)
        except (NoResultFound, TactlineError):
            return "This draft no longer exists: nothing done."
        if draft.status != DraftStatus.PENDING:
            why = (
                "its source message was edited or deleted"
                if draft.status == DraftStatus.STALE
                else f"it is already {draft.status}"
            )
            return f"Nothing done: {why}."
        try:
            if not await self.allowed(body["user"]["id"], group):
                return f"Only the {group} approvers can decide this draft."
        except GroupLookupFailed as exc:
            return f"Nothing done: cannot tell whether you are a {group} approver: {exc.advice()}."
        return None

    async def _check(self, body: dict[str, Any], draft_id: int) -> bool:
        """Whether the clicker may decide the draft now (if not, they are told why)."""
        refusal = await self._refusal(body, draft_id)
        if refusal is not None:
            await self._ephemeral(body, refusal)
        return refusal is None

    # -- Bolt handlers -----------------------------------------------------------------------

    def _register(self) -> None:
        self.bolt.action(re.compile(f"^({'|'.join(ACTIONS)})$"))(self._on_action)
        self.bolt.action(WRITE_NOW)(self._on_write_now)
        self.bolt.view(re.compile("^(edit|take_over|reject|escalate)$"))(self._on_submit)
        self.bolt.event("subteam_members_changed")(self._group_changed)

    async def _on_action(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        verb, draft_id = action["action_id"], int(action["value"])
        if verb == "approve":
            # Decide, then acknowledge: once Slack shows the click as accepted, the approval
            # is in the store (a crash in between leaves the click unacknowledged instead).
            try:
                done = await self._decide_now(body, draft_id, Verdict.APPROVE)
            finally:
                await ack()
            await self._after(body, draft_id, done)
            return
        await ack()  # a modal opens; nothing is decided until it is submitted
        if not await self._check(body, draft_id):
            return
        draft = await self.store.draft(draft_id)
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

    async def _on_write_now(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        """Take over before any draft exists (drafting, or the model failing): an empty
        draft is made for the approver (the machine's, if it just landed, is taken over
        instead) and the usual Take over modal opens."""
        await ack()
        found = await self.store.messages([int(action["value"])])
        if not found:
            await self._ephemeral(body, "This message no longer exists: nothing done.")
            return
        stored = found[0]
        group = stored.group or ""
        try:
            if not await self.allowed(body["user"]["id"], group):
                await self._ephemeral(body, f"Only the {group} approvers can answer this message.")
                return
        except GroupLookupFailed as exc:
            await self._ephemeral(
                body,
                f"Nothing done: cannot tell whether you are a {group} approver: {exc.advice()}.",
            )
            return
        draft = await self.store.add_draft(
            message_id=stored.id,
            text=None,
            group=group,
            model="",
            notes=("taken over by a moderator before the machine draft",),
        )
        card = await card_store.card_for(self.store, stored.id, group)
        if card is not None and card.draft_id is None:
            await card_store.attach_draft(self.store, card.id, draft.id)
        if not await self._check(body, draft.id):
            return
        await self.client.views_open(
            trigger_id=body["trigger_id"],
            view=text_modal(
                "take_over", draft.id, "", "Write the reply", "Your reply, posted as the brand"
            ),
        )
        await self._refresh(draft.id)

    async def _on_submit(self, ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        text = ((values.get("text") or {}).get("text") or {}).get("value") or ""
        kind, draft_id = view["callback_id"], int(view["private_metadata"])
        if kind in ("edit", "take_over", "reject") and not text.strip():
            await ack(response_action="errors", errors={"text": "This cannot be empty."})
            return
        kw: dict[str, Any]
        if kind == "escalate":
            target = (
                ((values.get("group") or {}).get("group") or {}).get("selected_option") or {}
            ).get("value") or ""
            assert self._policy is not None
            if target not in self._policy().groups:
                # A draft for a group the policy does not know would wait for nobody.
                await ack(
                    response_action="errors",
                    errors={"group": f"No group “{target}” in the policy: choose another."},
                )
                return
            verdict, kw = Verdict.ESCALATE, {"reason": text or None, "target_group": target}
        elif kind == "reject":
            verdict, kw = Verdict.REJECT, {"reason": text}
        else:
            verdict = Verdict.EDIT if kind == "edit" else Verdict.TAKE_OVER
            kw = {"edited_text": text}
        # As for a click: the decision is written before Slack closes the modal.
        try:
            done = await self._decide_now(body, draft_id, verdict, **kw)
        finally:
            await ack()
        await self._after(body, draft_id, done)

    async def _decide_now(
        self, body: dict[str, Any], draft_id: int, verdict: Verdict, **kw: Any
    ) -> ApprovalOutcome | str:
        """Check and compare-and-set, quickly (before the ack): the outcome, or what to tell
        the clicker."""
        refusal = await self._refusal(body, draft_id)
        if refusal is not None:
            return refusal
        try:
            outcome = await self.store.decide_draft(
                ApprovalDecision(
                    draft_id=draft_id, actor=body["user"]["id"], at=utcnow(), verdict=verdict, **kw
                )
            )
        except NoResultFound:
            return "This draft no longer exists: nothing done."
        except TactlineError as exc:
            return f"Nothing done: {exc}."
        if not outcome.applied:
            return f"Nothing done: the draft is {outcome.reason}."
        return outcome

    async def _after(
        self, body: dict[str, Any], draft_id: int, done: ApprovalOutcome | str
    ) -> None:
        """After the ack: tell the clicker, or show the decision on the cards."""
        if isinstance(done, str):
            await self._ephemeral(body, done)
            return
        await self._refresh(draft_id, extra=Mrkdwn("Posting…") if done.outbox_id else None)
        if done.new_draft_id is not None:
            await self._escalated(done.new_draft_id)

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
            resp = await self._post(
                self.channel_for(group),
                card_fallback(f"Escalated to {group}", stored.message.text),
                blocks=card_blocks(stored, decision, draft, notes),
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
            mentions = Mrkdwn(" ").join(
                subteam(a) if a.startswith("S") else user(a) for a in entry.approvers
            )
            try:
                await self._post(
                    card.channel,
                    fmt(
                        "⏰ This draft has waited {} min (target {} min). {}",
                        waited,
                        entry.respond_within_minutes,
                        mentions,
                    ),
                    thread_ts=card.ts,
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
