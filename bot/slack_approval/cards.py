"""Block Kit for approval cards: what a moderator needs to decide in one look.

Every text goes through :mod:`bot.slack_approval.mrkdwn`: member text (message, display
name, channel title, draft, notes) is escaped, only Tactline's own markup is live.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain import Action, Decision, Draft, DraftStatus
from bot.slack_approval.mrkdwn import (
    Mrkdwn,
    bold,
    context,
    date,
    escape,
    fmt,
    italic,
    link,
    plain,
    quote,
    section,
)
from bot.store.store import StoredMessage

ACTIONS = ("approve", "edit", "reject", "escalate", "take_over")
# Before any draft exists (drafting, or the model failing): write the reply yourself. Its value
# is the message id, not a draft id.
WRITE_NOW = "write_now"
LABELS = {
    "approve": "Approve",
    "edit": "Edit",
    "reject": "Reject",
    "escalate": "Escalate",
    "take_over": "Take over",
}
UNSURE_BELOW = 0.45


def _button(action: str, draft_id: int) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action,
        "value": str(draft_id),
        "text": plain(LABELS[action]),
    }
    if action == "approve":
        button["style"] = "primary"
    elif action == "reject":
        button["style"] = "danger"
    return button


def card_blocks(
    stored: StoredMessage,
    decision: Decision,
    draft: Draft | None = None,
    notes: tuple[str, ...] = (),
    outcome: Mrkdwn | None = None,
    waiting: str | None = None,
    burst: Sequence[StoredMessage] = (),
) -> list[dict[str, Any]]:
    """The card. Without a draft it says why (``waiting``, or "drafting…") and still offers
    Take over: no message is ever without a human path. ``burst``: the member's later
    messages that joined this card (one draft answers them all)."""
    m = stored.message
    c = stored.classification
    ref = m.conversation
    where = f"{m.platform} #{ref.channel_name or ref.channel_id}"
    permalink = m.raw.get("permalink")
    urgent = "🚨 URGENT · " if decision.urgent else ""
    head = f"{urgent}{c.intent if c else 'message'} → {decision.group} ({decision.action})"
    origin = fmt("{} on {} · {}", bold(m.author.name), where, date(m.sent_at))
    if isinstance(permalink, str):
        origin += Mrkdwn(" · ") + link(permalink, "open")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain(head, 150)},
        context(origin),
        section(quote(m.text)),
    ]
    if burst:
        blocks.append(_burst_block(m.author.name, burst))
    if c is not None and c.evidence:
        # A long message's flag raised late in it: the moderator sees why without scrolling.
        blocks.append(section(fmt("⚠️ *Later in the message:*\n{}", quote(c.evidence))))
    if c is not None:
        flags = ", ".join(sorted(c.flags)) or "none"
        toxic = " (toxic)" if c.toxic else ""
        # Below this the label is right less than half the time (tactline eval's reliability
        # table on the community set): the moderator is told to check it.
        unsure = Mrkdwn(", *unsure: check the label*") if c.confidence < UNSURE_BELOW else ""
        blocks.append(
            context(
                fmt(
                    "intent {} ({:.0%}{}) · tone {} · toxicity {:.0%}{} · {} · flags: {} · "
                    "decided by {}",
                    bold(c.intent),
                    c.confidence,
                    unsure,
                    c.sentiment,
                    c.toxicity,
                    toxic,
                    c.language,
                    flags,
                    c.model or "unknown",
                )
            )
        )
    rules = "; ".join(f"{r.rule}: {r.reason}" for r in decision.matched_rules)
    blocks.append(context(fmt("rules: {} · policy {}", rules, decision.policy_version)))
    if decision.ticket:
        blocks.append(section(fmt("*Ticket:* {}", decision.ticket)))
    if draft is None:
        blocks.append(section(fmt("⏳ {}", waiting) if waiting else italic("drafting…")))
        if decision.action != Action.NO_REPLY:
            write = {
                "type": "button",
                "action_id": WRITE_NOW,
                "value": str(stored.id),
                "text": plain(LABELS["take_over"]),
            }
            blocks.append({"type": "actions", "block_id": "write", "elements": [write]})
        return blocks
    body = (
        escape(_clip(draft.text)) if draft.text else italic("no draft: write the reply (Take over)")
    )
    blocks.append(section(fmt("*Draft v{}:*\n{}", draft.version, body)))
    if notes:
        blocks.append(context(fmt("checks: {}", "; ".join(notes))))
    if outcome is not None:
        blocks.append(section(outcome))
    elif draft.status == DraftStatus.PENDING:
        actions = ACTIONS if draft.text else ("reject", "escalate", "take_over")
        blocks.append(
            {
                "type": "actions",
                "block_id": "decide",
                "elements": [_button(a, draft.id) for a in actions],
            }
        )
    return blocks


BURST_SHOWN = 8


def _burst_block(author: str, burst: Sequence[StoredMessage]) -> dict[str, Any]:
    """The later messages of a member's burst, newest last, each clipped."""
    lines = [
        fmt("*Then {} wrote {} more (one reply answers all):*", author, len(burst)),
        *(
            fmt("{} {}", date(b.message.sent_at), quote(b.message.text, 300))
            for b in burst[-BURST_SHOWN:]
        ),
    ]
    if len(burst) > BURST_SHOWN:
        lines.insert(1, italic(f"({len(burst) - BURST_SHOWN} earlier not shown)"))
    return section(Mrkdwn("\n").join(lines))


def _clip(text: str, n: int = 2800) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def card_fallback(prefix: str, text: str | None) -> Mrkdwn:
    """The notification text of a card (mrkdwn too: Slack parses mentions in it)."""
    return fmt("{}: {}", prefix, _clip(text or "", 200))


def text_modal(
    kind: str, draft_id: int, initial: str, title: str, label: str, *, required: bool = True
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "text",
        "multiline": True,
        "max_length": 3000,
    }
    if initial:
        element["initial_value"] = initial
    return {
        "type": "modal",
        "callback_id": kind,
        "private_metadata": str(draft_id),
        "title": plain(title, 24),
        "submit": plain("Submit"),
        "close": plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": "text",
                "optional": not required,
                "label": plain(label, 2000),
                "element": element,
            }
        ],
    }


def escalate_modal(draft_id: int, groups: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "escalate",
        "private_metadata": str(draft_id),
        "title": plain("Escalate"),
        "submit": plain("Escalate"),
        "blocks": [
            {
                "type": "input",
                "block_id": "group",
                "label": plain("To which group?"),
                "element": {
                    "type": "static_select",
                    "action_id": "group",
                    "options": [
                        {"text": plain(label, 75), "value": name} for name, label in groups
                    ],
                },
            },
            {
                "type": "input",
                "block_id": "text",
                "optional": True,
                "label": plain("Why (optional)"),
                "element": {"type": "plain_text_input", "action_id": "text"},
            },
        ],
    }
