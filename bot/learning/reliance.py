"""Which policy facts a banked reply relies on, and whether they still say the same thing.

A banked reply is kept with a hash of the text of every fact it carries (a key item such as a
link or a menu path, or most of the fact's words); it is shown to the drafter only while each
of those facts exists with the same text. Comparing the facts it relied on, not the policy
version: a new example or routing rule changes the version but not what the reply says.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from bot.policy import Policy
from bot.policy.facts import fact_text
from models.verify import carries, content_words, key_items


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fact_texts(policy: Policy, language: str) -> dict[str, str]:
    """Each fact's text as drafts in ``language`` are given it."""
    return {f.id: fact_text(f, language) or f.text for f in policy.facts}


def relied_on(policy: Policy, reply: str, message: str, language: str) -> dict[str, str]:
    """The facts ``reply`` carries, each with a hash of its text."""
    said = content_words(reply) - content_words(message)
    found: dict[str, str] = {}
    for fact_id, text in fact_texts(policy, language).items():
        items = key_items(text)
        if any(carries(reply, i) for i in items) or (
            not items and len(content_words(text) & said) >= 3
        ):
            found[fact_id] = _hash(text)
    return found


def still_true(policy: Policy, relied: Mapping[str, str], language: str) -> bool:
    """Every fact the reply relied on is still in the policy, unchanged."""
    if not relied:
        return True
    now = fact_texts(policy, language)
    return all(fact_id in now and _hash(now[fact_id]) == h for fact_id, h in relied.items())
