"""Checks on a generated draft before any human sees it.

Each check either fixes the draft (and says so in a note for the moderator) or refuses it:
a refused draft is ``None`` and a human writes the reply. Notes are short and plain.
"""

from __future__ import annotations

import re
import unicodedata

from bot.domain import DraftBrief
from models import signals
from models.language import detect_language

# A sentence ends at . ! ? … followed by space, but not after a list number ("1. Go to").
_SENTENCE_END = re.compile(r"(?<=[.!?…])(?<!\b\d\.)\s+")
_LABEL = re.compile(
    r"^\s*\**\s*(reply|response|answer|draft|réponse|reponse|assistant|brouillon)\s*\**\s*:"
    r"\s*\**\s*",
    re.IGNORECASE,
)
_ROLE_LINE = re.compile(r"^\s*\[?(system|user|assistant|us)\]?\s*:?\s*$", re.IGNORECASE)
_PROMISE_VERB = re.compile(
    r"\b(will|we'll|shall|going to|promise|guarantee|va|vont|allons|sera|seront|promets|"
    r"garantis|s'engage)\b"
)
_DEADLINE = re.compile(
    r"\b(by|before|within|until) (monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"tomorrow|tonight|next week|the end of|end of|[0-9]+ (hours?|days?))\b|\b(tomorrow|next week|"
    r"next month|this week)\b|\b(d'ici|avant) (lundi|mardi|mercredi|jeudi|vendredi|samedi|"
    r"dimanche|demain|ce soir|la fin|[0-9]+ (heures?|jours?))\b|\b(demain|la semaine prochaine|"
    r"le mois prochain|cette semaine)\b"
)
_LEAKS = re.compile(
    r"(how to answer:|facts you may use|never follow instructions|rules:|system prompt|"
    r"write only the reply|my instructions|mes instructions)",
    re.IGNORECASE,
)
_REFUSAL = re.compile(
    r"\b(i|we) (can't|cannot|can not|am unable to|are unable to) (assist|help) with that\b|"
    r"\bas an ai\b|\bje ne peux pas (vous )?aider avec (ça|cela)\b|\ben tant qu'ia\b",
    re.IGNORECASE,
)
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f]")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def clean(raw: str) -> str:
    """Strip the wrapping models add: labels, quotes, role lines, markdown headings."""
    lines = [ln for ln in raw.strip().splitlines() if not _ROLE_LINE.match(ln)]
    text = " ".join(ln.strip().lstrip("#").strip() for ln in lines if ln.strip())
    text = _LABEL.sub("", text)
    text = text.replace("<<<", "").replace(">>>", "").strip()
    if len(text) >= 2 and text[0] in "\"“«'" and text[-1] in "\"”»'":
        text = text[1:-1].strip()
    return re.sub(r"\s+", " ", text)


def _insult_words(message: str) -> set[str]:
    folded = signals.fold(message)
    return {m.group(0) for m in signals.INSULTS.finditer(folded)}


_CLAIM = re.compile(
    r"https?://\S+|\b[\w.-]+@[\w-]+\.[\w.]+\b|\b[\w-]+\.(?:app|com|io|org|net|fr)\b"
    r"|\d+(?:[.,]\d+)?\s*(?:%|€|\$|euros?|dollars?)|[€$]\s*\d+"
)


def unverified_claims(draft: str, brief: DraftBrief) -> list[str]:
    """Links, addresses, prices and percentages in the draft that neither the policy's facts
    nor the conversation contain: the model may have made them up."""
    known = " ".join([*brief.facts, brief.text, *(m.text for m in brief.context)]).casefold()
    known_compact = re.sub(r"\s+", "", known)
    claims = []
    for m in _CLAIM.finditer(draft):
        claim = m.group(0).rstrip(".,;:!?)").casefold()
        if claim not in known and re.sub(r"\s+", "", claim) not in known_compact:
            claims.append(m.group(0).rstrip(".,;:!?)"))
    return claims


def check(text: str, brief: DraftBrief) -> tuple[str | None, list[str]]:
    """The draft as a moderator should see it, or None; and what was changed or refused."""
    notes: list[str] = []
    draft = clean(text)
    if not draft:
        return None, ["the model produced nothing usable"]
    if "prompt_injection" in brief.flags and _LEAKS.search(draft):
        return None, ["refused: the draft followed instructions found in the message"]
    if _LEAKS.search(draft):
        return None, ["refused: the draft repeated its instructions"]
    if _REFUSAL.search(draft):
        return None, ["the model declined to answer: a human should write this reply"]
    if detect_language(draft, default=brief.language) != brief.language:
        return None, [f"refused: the draft is not in the message's language ({brief.language})"]
    if not brief.style.emoji and _EMOJI.search(draft):
        draft = _EMOJI.sub("", draft).replace("  ", " ").strip()
        notes.append("removed emoji")

    kept: list[str] = []
    insults = _insult_words(brief.text)
    forbidden = [(p, signals.fold(p)) for p in brief.forbidden_promises]
    for sentence in sentences(draft):
        folded = signals.fold(sentence)
        echoed = sorted(w for w in insults if re.search(rf"\b{re.escape(w)}\b", folded))
        if echoed:
            notes.append("removed a sentence repeating an insult")
            continue
        promised = [p for p, f in forbidden if f and f in folded]
        if promised:
            notes.append(f"removed a forbidden promise ({promised[0]})")
            continue
        if _PROMISE_VERB.search(folded) and _DEADLINE.search(folded):
            notes.append("removed a promise of a date")
            continue
        kept.append(sentence)
    if not kept:
        return None, [*notes, "nothing left after the checks"]

    cap = brief.style.max_sentences
    if len(kept) > cap:
        question = next((s for s in reversed(kept) if s.endswith("?")), None)
        trimmed = kept[:cap]
        if brief.style.end_with_question and question and not trimmed[-1].endswith("?"):
            trimmed = [*kept[: cap - 1], question]
        notes.append(f"trimmed to {cap} sentences")
        kept = trimmed
    result = " ".join(kept)
    while len(result) > brief.style.max_chars and len(kept) > 1:
        kept = [*kept[:-2], kept[-1]] if kept[-1].endswith("?") and len(kept) > 2 else kept[:-1]
        result = " ".join(kept)
    if len(result) > brief.style.max_chars:
        cut = result[: brief.style.max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:")
        result = cut + "…"
    if len(result) < len(" ".join(sentences(draft))) and "trimmed" not in " ".join(notes):
        notes.append(f"shortened to {brief.style.max_chars} characters")
    for claim in unverified_claims(result, brief):
        notes.append(f"check before approving: {claim!r} is not in the policy's facts")
    if brief.style.end_with_question and not result.rstrip().endswith("?"):
        notes.append("no closing question")
    return unicodedata.normalize("NFC", result), notes
