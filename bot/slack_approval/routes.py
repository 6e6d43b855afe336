"""Bolt routing, the one place that reads Slack payloads and acknowledges them: clicks,
modal submissions and user-group events become plain calls on the decision service.

A decision is written *before* the click or the modal is acknowledged (one compare-and-set
fits in Slack's 3 s): a click Slack showed as accepted is never lost. Everything slower
(notices, card updates, modals) comes after the ack.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import Verdict
from bot.slack_approval import texts
from bot.slack_approval.board import CardBoard
from bot.slack_approval.cards import ACTIONS, CORRECT, WRITE_NOW, escalate_modal, text_modal
from bot.slack_approval.mrkdwn import Mrkdwn, fmt
from bot.slack_approval.out import SlackOut
from bot.slack_approval.permissions import Approvers
from bot.slack_approval.service import Choice, Decisions
from bot.store.store import ApprovalOutcome

TEXT_MODALS = ("edit", "take_over", "reject")


@dataclass(frozen=True, slots=True)
class RouteDeps:
    decisions: Decisions
    board: CardBoard
    out: SlackOut
    approvers: Approvers
    channel: str  # where a notice goes when the payload names no channel


@dataclass(frozen=True, slots=True)
class Clicker:
    """Who clicked or submitted, and where: read once from the payload."""

    user: str
    channel: str
    trigger_id: str

    @classmethod
    def of(cls, body: dict[str, Any], default_channel: str) -> Clicker:
        channel = (body.get("channel") or {}).get("id") or default_channel
        return cls(body["user"]["id"], channel, str(body.get("trigger_id") or ""))


class InFlight:
    """The handlers still running: Bolt finishes a handler's work after the ack, so a stop
    waits for them before the store they use is closed."""

    def __init__(self) -> None:
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def track(self, handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def tracked(*args: Any, **kwargs: Any) -> None:
            self._running += 1
            self._idle.clear()
            try:
                await handler(*args, **kwargs)
            finally:
                self._running -= 1
                if not self._running:
                    self._idle.set()

        return tracked

    async def drained(self) -> None:
        """Returns once no handler runs."""
        await self._idle.wait()


Handler = Callable[..., Coroutine[Any, Any, None]]


def register(bolt: AsyncApp, deps: RouteDeps) -> InFlight:
    """Route the approval app's clicks, submissions and events to their handlers; the
    returned tracker says when none is running."""
    routes = Routes(deps)
    inflight = InFlight()
    bolt.action(re.compile(f"^({'|'.join(ACTIONS)})$"))(inflight.track(routes.on_action))
    bolt.action(WRITE_NOW)(inflight.track(routes.on_write_now))
    bolt.action(CORRECT)(inflight.track(routes.on_correct))
    bolt.view(re.compile("^(edit|take_over|reject|escalate)$"))(inflight.track(routes.on_submit))
    bolt.event("subteam_members_changed")(inflight.track(routes.on_group_changed))
    return inflight


def submitted_text(view: dict[str, Any], block: str = "text") -> str:
    values = view["state"]["values"]
    return ((values.get(block) or {}).get(block) or {}).get("value") or ""


def selected_group(view: dict[str, Any]) -> str:
    values = view["state"]["values"]
    chosen = ((values.get("group") or {}).get("group") or {}).get("selected_option") or {}
    return str(chosen.get("value") or "")


class Routes:
    def __init__(self, deps: RouteDeps) -> None:
        self._d = deps

    def _clicker(self, body: dict[str, Any]) -> Clicker:
        return Clicker.of(body, self._d.channel)

    async def _tell(self, who: Clicker, text: str) -> None:
        await self._d.out.ephemeral(who.channel, who.user, text)

    async def on_action(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        verb, draft_id, who = action["action_id"], int(action["value"]), self._clicker(body)
        if verb == "approve":
            # Decide, then acknowledge: once Slack shows the click as accepted, the approval
            # is in the store (a crash in between leaves the click unacknowledged instead).
            try:
                done = await self._d.decisions.decide(who.user, draft_id, Choice(Verdict.APPROVE))
            finally:
                await ack()
            await self._after(who, draft_id, done)
            return
        await ack()  # a modal opens; nothing is decided until it is submitted
        refusal = await self._d.decisions.refusal(who.user, draft_id)
        if refusal is not None:
            await self._tell(who, refusal)
            return
        if verb == "escalate":
            view = escalate_modal(draft_id, await self._d.decisions.other_groups(draft_id))
        elif verb == "edit":
            view = text_modal("edit", draft_id, await self._d.decisions.draft_text(draft_id))
        else:
            view = text_modal(verb, draft_id)
        await self._d.out.open_view(who.trigger_id, view)

    async def on_write_now(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        """Take over before any draft exists: an empty draft is made for the approver and
        the usual Take over modal opens."""
        await ack()
        who = self._clicker(body)
        draft = await self._d.decisions.take_over_early(who.user, int(action["value"]))
        if isinstance(draft, str):
            await self._tell(who, draft)
            return
        refusal = await self._d.decisions.refusal(who.user, draft.id)
        if refusal is not None:
            await self._tell(who, refusal)
            return
        await self._d.out.open_view(who.trigger_id, text_modal("take_over", draft.id))
        await self._d.board.refresh(draft.id)

    async def on_correct(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        """ "Not right?": the message is read and decided again; its card shows it, and a new
        route gets a card of its own (posted by the pipeline)."""
        await ack()
        who = self._clicker(body)
        choice = str((action.get("selected_option") or {}).get("value") or "")
        done = await self._d.decisions.correct(who.user, choice)
        if isinstance(done, str):
            await self._tell(who, done)
            return
        await self._d.board.relabelled(done.message_id, done.group)
        decision = done.decision
        told = fmt(texts.CORRECTED, done.label, decision.group, str(decision.action))
        if decision.group != done.group:
            told += fmt(texts.CORRECTED_REROUTED, decision.group)
        await self._tell(who, told)

    async def on_submit(self, ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        text = submitted_text(view)
        kind, draft_id = view["callback_id"], int(view["private_metadata"])
        if kind in TEXT_MODALS and not text.strip():
            await ack(response_action="errors", errors={"text": texts.EMPTY})
            return
        if kind == "escalate":
            target = selected_group(view)
            if not self._d.decisions.knows_group(target):
                # A draft for a group the policy does not know would wait for nobody.
                error = texts.UNKNOWN_GROUP.format(target)
                await ack(response_action="errors", errors={"group": error})
                return
            choice = Choice(Verdict.ESCALATE, reason=text or None, target_group=target)
        elif kind == "reject":
            choice = Choice(Verdict.REJECT, reason=text)
        else:
            verdict = Verdict.EDIT if kind == "edit" else Verdict.TAKE_OVER
            choice = Choice(verdict, edited_text=text)
        # As for a click: the decision is written before Slack closes the modal.
        who = self._clicker(body)
        try:
            done = await self._d.decisions.decide(who.user, draft_id, choice)
        finally:
            await ack()
        await self._after(who, draft_id, done)

    async def on_group_changed(self, event: dict[str, Any]) -> None:
        """``subteam_members_changed``: forget the group's cached members at once."""
        self._d.approvers.forget(str(event.get("subteam_id") or ""))

    async def _after(self, who: Clicker, draft_id: int, done: ApprovalOutcome | str) -> None:
        """After the ack: tell the clicker, or show the decision on the cards."""
        if isinstance(done, str):
            await self._tell(who, done)
            return
        await self._d.board.refresh(
            draft_id, extra=Mrkdwn(texts.POSTING) if done.outbox_id else None
        )
        if done.new_draft_id is not None:
            await self._d.board.escalated(done.new_draft_id)
