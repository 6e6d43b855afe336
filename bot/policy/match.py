"""Matching a message's words and place: keywords (case and accents ignored) and scopes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from bot.domain import InboundMessage


def normalize(text: str) -> str:
    """Lower case, accents removed: "Exporter" and "exportér" look alike to keywords."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> set[str]:
    """The words of more than two letters or digits in ``text``, normalized."""
    return {w for w in re.findall(r"[a-z0-9]+", normalize(text)) if len(w) > 2}


def keyword_in(keyword: str, normalized_text: str) -> bool:
    """Whether ``keyword`` starts a word of ``normalized_text`` ("synchro" finds "sync"),
    written in one word, two or with a hyphen ("backup" finds "back up", "log in" finds
    "login")."""
    k = re.sub(r"[\s-]+", "", normalize(keyword))
    if not k:
        return False
    spelt = "[ -]?".join(re.escape(ch) for ch in k)
    return re.search(rf"(?<![a-z0-9]){spelt}", normalized_text) is not None


def _channel_matches(channels: Sequence[str], message: InboundMessage) -> bool:
    if not channels:
        return True
    ref = message.conversation
    names = {ref.channel_id, (ref.channel_name or "").lstrip("#")}
    return any(c.lstrip("#") in names for c in channels)


def in_scope(platforms: Sequence[str], channels: Sequence[str], message: InboundMessage) -> bool:
    """Whether the message was posted where a scope applies (empty lists: everywhere)."""
    return (not platforms or str(message.platform) in platforms) and _channel_matches(
        channels, message
    )
