"""The one way out to Slack: mrkdwn where member text is inert.

Slack reads ``<…>`` in mrkdwn, and in a message's fallback ``text``, as mentions
(``<@U123>``), special mentions (``<!channel>``, ``<!here>``, ``<!everyone>``) and links
(``<https://x|label>``). A member controls much of what a card shows: the message, a display
name, a channel or group title, and through the model, the draft. Escaping ``&``, ``<`` and
``>`` makes all of it plain text (Slack's own rule: nothing else needs escaping).

Two types keep that from being forgotten. Member text, error text, anything from outside is a
plain ``str``; Tactline's own markup is :class:`Mrkdwn`. Every builder here escapes a plain
``str`` and passes ``Mrkdwn`` through, and concatenating or joining with ``Mrkdwn`` escapes the
other side, so a forgotten ``escape`` shows ``&lt;`` at worst and never pings anyone. Special
mentions and links exist only through :func:`user`, :func:`subteam`, :func:`link` and
:func:`date`, which Tactline calls when it means them.

    fmt("*{}* on {} · {}", author_name, where, date(sent_at))   # the name is escaped

``fmt``'s template must be Tactline's literal text: never build it from member text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, SupportsIndex
from urllib.parse import quote as _percent

__all__ = [
    "Mrkdwn",
    "bold",
    "clip",
    "context",
    "date",
    "escape",
    "fmt",
    "italic",
    "link",
    "plain",
    "quote",
    "section",
    "subteam",
    "text_object",
    "user",
]

MAX_SECTION = 2800  # Block Kit section text is capped at 3000 characters
MAX_CONTEXT = 2000


class Mrkdwn(str):
    """Text that is safe to send as mrkdwn: Tactline's markup, member text escaped."""

    __slots__ = ()

    def __add__(self, other: str) -> Mrkdwn:
        return Mrkdwn(str.__add__(self, escape(other)))

    def __radd__(self, other: str) -> Mrkdwn:
        return Mrkdwn(str.__add__(escape(other), self))

    def join(self, parts: Iterable[str]) -> Mrkdwn:
        return Mrkdwn(str.join(self, (escape(p) for p in parts)))

    def __getitem__(self, key: SupportsIndex | slice) -> str:
        # A slice could cut an entity or a link in two: what comes out is plain text again.
        return str.__getitem__(str(self), key)


def escape(text: str) -> Mrkdwn:
    """``text`` as mrkdwn that shows exactly these characters; ``Mrkdwn`` is returned as is."""
    if isinstance(text, Mrkdwn):
        return text
    return Mrkdwn(str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def _arg(value: Any) -> Any:
    # Numbers keep their format specs ({:.0%}); anything else is text and is escaped.
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return escape(str(value))
    return value


def fmt(template: str, *args: Any, **kwargs: Any) -> Mrkdwn:
    """``template.format(...)`` with every argument escaped unless it is ``Mrkdwn``."""
    return Mrkdwn(
        template.format(*(_arg(a) for a in args), **{k: _arg(v) for k, v in kwargs.items()})
    )


def bold(text: str) -> Mrkdwn:
    return Mrkdwn("*" + escape(text) + "*")


def italic(text: str) -> Mrkdwn:
    return Mrkdwn("_" + escape(text) + "_")


def quote(text: str, limit: int = MAX_SECTION) -> Mrkdwn:
    """A block quote of member text (clipped first, so no entity is cut)."""
    lines = _clip_plain(str(text), limit).splitlines() or [""]
    return Mrkdwn("\n").join(Mrkdwn("> ") + escape(line) for line in lines)


_USER_ID = re.compile(r"[UW][A-Z0-9_]{1,30}")
_SUBTEAM_ID = re.compile(r"S[A-Z0-9_]{1,30}")


def user(user_id: str) -> Mrkdwn:
    """A mention of a Slack user id (as Slack signed it in a click); anything else as text."""
    if _USER_ID.fullmatch(user_id):
        return Mrkdwn(f"<@{user_id}>")
    return escape(user_id)


def subteam(group_id: str) -> Mrkdwn:
    """A mention of a Slack user group (the policy's approvers)."""
    if _SUBTEAM_ID.fullmatch(group_id):
        return Mrkdwn(f"<!subteam^{group_id}>")
    return escape(group_id)


def link(url: str | None, label: str) -> Mrkdwn:
    """A link to an http(s) URL with an escaped label; any other URL is not linked."""
    if not url or not re.match(r"https?://[^\s]+\Z", url):
        return escape(label)
    # `<`, `>` and `|` would end the link early: percent-encoded; `&` as Slack's entity.
    safe_url = _percent(url, safe=":/?#[]@!$&'()*+,;=%-._~").replace("&", "&amp;")
    return Mrkdwn(f"<{safe_url}|{escape(label.replace('|', '¦'))}>")


def date(at: datetime) -> Mrkdwn:
    """A time each reader sees in their own time zone (UTC in the fallback)."""
    return Mrkdwn(
        f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{at:%Y-%m-%d %H:%M} UTC>"
    )


def _clip_plain(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def clip(text: str, n: int) -> Mrkdwn:
    """At most ``n`` characters of mrkdwn, never ending inside an entity or a ``<…>``."""
    safe = escape(text)
    if len(safe) <= n:
        return safe
    cut = str(safe)[: n - 1]
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    if cut.rfind("&") > cut.rfind(";"):
        cut = cut[: cut.rfind("&")]
    return Mrkdwn(cut + "…")


# -- Block Kit ---------------------------------------------------------------------------------


def text_object(text: str, limit: int = MAX_SECTION) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit)}


def plain(text: str, limit: int = 150) -> dict[str, Any]:
    """A plain_text object: Slack shows it literally (no mentions, no links), so it is not
    escaped (an escape would show as ``&lt;``)."""
    return {"type": "plain_text", "text": _clip_plain(str(text), limit)}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": text_object(text)}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [text_object(text, MAX_CONTEXT)]}
