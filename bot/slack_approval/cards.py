"""Block Kit for approval cards and modals: what a moderator needs to decide in one look.

Every text goes through :mod:`bot.slack_approval.mrkdwn`: member text (message, display
name, channel title, draft, notes) is escaped, only Tactline's own markup is live.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.domain import Action, Classification, Decision, Draft, DraftStatus
from bot.slack_approval import texts
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
    user,
)
from bot.store.replies import Use
from bot.store.store import StoredMessage

ACTIONS = ("approve", "edit", "reject", "escalate", "take_over")
# Before any draft exists (drafting, or the model failing): write the reply yourself. Its value
# is the message id, not a draft id.
WRITE_NOW = "write_now"
# "Not right?": a select whose option values are "<message id>:<intent|tone>:<value>".
CORRECT = "correct"
TONES = ("toxic", "not_toxic", "sarcastic")
LABELS = texts.BUTTONS
# The intent's confidence is calibrated (models/intents.py): below one half, the label is
# right about a third of the time on the community set, about 8% of messages.
UNSURE_BELOW = 0.5


@dataclass(frozen=True, slots=True)
class CardState:
    """What a card shows beyond the message and its decision: the draft and its check
    notes, the outcome once decided, why it waits without a draft (``waiting``), and the
    member's later messages that joined it (``burst``: one draft answers them all), what the
    draft learned from (``learned``), and the intents a moderator may correct the message to
    (``intents``; none: no "Not right?" control)."""

    draft: Draft | None = None
    notes: tuple[str, ...] = ()
    outcome: Mrkdwn | None = None
    waiting: str | None = None
    burst: Sequence[StoredMessage] = ()
    learned: Sequence[Use] = ()
    intents: Sequence[str] = ()


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
    state: CardState = CardState(),
    *,
    burst: Sequence[StoredMessage] = (),
) -> list[dict[str, Any]]:
    """The card. Without a draft it says why (``waiting``, or "drafting…") and still offers
    Take over: no message is ever without a human path. ``burst`` adds to ``state``'s."""
    if burst:
        state = replace(state, burst=burst)
    blocks = _message_blocks(stored, decision, state.burst)
    if state.intents and stored.classification is not None:
        blocks.append(_correct_block(stored, stored.classification, state.intents))
    if state.draft is None:
        return blocks + _waiting_blocks(stored, decision, state.waiting)
    return blocks + _draft_blocks(state.draft, state)


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, 75), "value": value[:150]}


def _correct_block(
    stored: StoredMessage, c: Classification, intents: Sequence[str]
) -> dict[str, Any]:
    """ "Not right?": the right intent, or the tone, in two clicks."""
    tones = [
        t
        for t in TONES
        if not (t == "toxic" and c.toxic)
        and not (t == "not_toxic" and not c.toxic)
        and not (t == "sarcastic" and "sarcasm" in c.flags)
    ]
    groups = [
        {
            "label": plain(texts.CORRECT_INTENT_GROUP, 75),
            "options": [
                _option(texts.CORRECT_INTENT.format(i), f"{stored.id}:intent:{i}")
                for i in intents
                if i != c.intent
            ][:100],
        },
        {
            "label": plain(texts.CORRECT_TONE_GROUP, 75),
            "options": [_option(texts.TONES[t], f"{stored.id}:tone:{t}") for t in tones],
        },
    ]
    select = {
        "type": "static_select",
        "action_id": CORRECT,
        "placeholder": plain(texts.NOT_RIGHT),
        "option_groups": [g for g in groups if g["options"]],
    }
    return {"type": "actions", "block_id": "correct", "elements": [select]}


def _message_blocks(
    stored: StoredMessage, decision: Decision, burst: Sequence[StoredMessage]
) -> list[dict[str, Any]]:
    """The message, where it came from, how it was read and decided."""
    m = stored.message
    c = stored.classification
    ref = m.conversation
    where = f"{m.platform} #{ref.channel_name or ref.channel_id}"
    permalink = m.raw.get("permalink")
    head = texts.HEAD.format(
        urgent=texts.URGENT if decision.urgent else "",
        intent=c.intent if c else texts.NO_INTENT,
        group=decision.group,
        action=decision.action,
    )
    origin = fmt(texts.ORIGIN, bold(m.author.name), where, date(m.sent_at))
    if isinstance(permalink, str):
        origin += Mrkdwn(" · ") + link(permalink, texts.OPEN)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain(head, 150)},
        context(origin),
        section(quote(m.text)),
    ]
    if burst:
        blocks.append(_burst_block(m.author.name, burst))
    if c is not None and c.evidence:
        # A long message's flag raised late in it: the moderator sees why without scrolling.
        blocks.append(section(fmt(texts.LATER_IN_MESSAGE, quote(c.evidence))))
    if c is not None:
        blocks.append(context(_classification_line(c)))
    rules = "; ".join(f"{r.rule}: {r.reason}" for r in decision.matched_rules)
    blocks.append(context(fmt(texts.RULES, rules, decision.policy_version)))
    if decision.ticket:
        blocks.append(section(fmt(texts.TICKET, decision.ticket)))
    return blocks


def _classification_line(c: Classification) -> Mrkdwn:
    flags = ", ".join(sorted(c.flags)) or texts.NO_FLAGS
    toxic = texts.TOXIC if c.toxic else ""
    # Below this the label is right less than half the time (tactline eval's reliability
    # table on the community set): the moderator is told to check it.
    unsure = Mrkdwn(texts.UNSURE) if c.confidence < UNSURE_BELOW else ""
    return fmt(
        texts.CLASSIFICATION,
        bold(c.intent),
        c.confidence,
        unsure,
        c.sentiment,
        c.toxicity,
        toxic,
        c.language,
        flags,
        c.model or texts.UNKNOWN_MODEL,
    )


def _waiting_blocks(
    stored: StoredMessage, decision: Decision, waiting: str | None
) -> list[dict[str, Any]]:
    blocks = [section(fmt(texts.WAITING, waiting) if waiting else italic(texts.DRAFTING))]
    if decision.action != Action.NO_REPLY:
        write = {
            "type": "button",
            "action_id": WRITE_NOW,
            "value": str(stored.id),
            "text": plain(LABELS["take_over"]),
        }
        blocks.append({"type": "actions", "block_id": "write", "elements": [write]})
    return blocks


def _draft_blocks(draft: Draft, state: CardState) -> list[dict[str, Any]]:
    body = escape(_clip(draft.text)) if draft.text else italic(texts.NO_DRAFT)
    blocks = [section(fmt(texts.DRAFT, draft.version, body))]
    if state.notes:
        blocks.append(context(fmt(texts.CHECKS, "; ".join(state.notes))))
    if state.learned:
        blocks.append(context(Mrkdwn("\n").join(_learned_line(u) for u in state.learned)))
    if state.outcome is not None:
        blocks.append(section(state.outcome))
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


def _learned_line(use: Use) -> Mrkdwn:
    """Where the draft's shape came from, or the rejected draft it resembles."""
    if use.kind == "rejected":
        return fmt(texts.CLOSE_TO_REJECTED, user(use.approver), use.reason or texts.NO_REASON)
    return fmt(texts.BASED_ON, _clip(use.message_text, 120), user(use.approver), use.similarity)


BURST_SHOWN = 8


def _burst_block(author: str, burst: Sequence[StoredMessage]) -> dict[str, Any]:
    """The later messages of a member's burst, newest last, each clipped."""
    lines = [
        fmt(texts.BURST, author, len(burst)),
        *(
            fmt("{} {}", date(b.message.sent_at), quote(b.message.text, 300))
            for b in burst[-BURST_SHOWN:]
        ),
    ]
    if len(burst) > BURST_SHOWN:
        lines.insert(1, italic(texts.BURST_HIDDEN.format(len(burst) - BURST_SHOWN)))
    return section(Mrkdwn("\n").join(lines))


def _clip(text: str, n: int = 2800) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def card_fallback(prefix: str, text: str | None) -> Mrkdwn:
    """The notification text of a card (mrkdwn too: Slack parses mentions in it)."""
    return fmt(texts.FALLBACK, prefix, _clip(text or "", 200))


def text_modal(kind: str, draft_id: int, initial: str = "") -> dict[str, Any]:
    """The modal of ``kind`` (edit, reject, take_over): one text box, required."""
    title, label = texts.TEXT_MODALS[kind]
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
        "submit": plain(texts.SUBMIT),
        "close": plain(texts.CANCEL),
        "blocks": [
            {
                "type": "input",
                "block_id": "text",
                "optional": False,
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
        "title": plain(texts.ESCALATE_TITLE),
        "submit": plain(texts.ESCALATE_SUBMIT),
        "blocks": [
            {
                "type": "input",
                "block_id": "group",
                "label": plain(texts.ESCALATE_TO),
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
                "label": plain(texts.ESCALATE_WHY),
                "element": {"type": "plain_text_input", "action_id": "text"},
            },
        ],
    }
