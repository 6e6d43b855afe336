"""Checks on a generated draft before any human sees it.

Each check either fixes the draft (and says so in a note for the moderator) or refuses it:
a refused draft is ``None`` and a human writes the reply. Notes are short and plain.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bot.domain import DraftBrief
from models import signals, verify
from models.language import detect_language
from models.register import to_vous

# A sentence ends at . ! ? … followed by space, but not after a list number ("1. Go to").
_SENTENCE_END = re.compile(r"(?<=[.!?…])(?<!\b\d\.)\s+")
# Written so no run of spaces can be split two ways (linear on any input).
_LABEL = re.compile(
    r"^\s*(?:\*+\s*)?(reply|response|answer|draft|réponse|reponse|assistant|brouillon)"
    r"\s*(?:\*+\s*)?:\s*(?:\*+\s*)?",
    re.IGNORECASE,
)
_ROLE_LINE = re.compile(r"^\s*\[?(system|user|assistant|us)\]?\s*(?::\s*)?$", re.IGNORECASE)
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
_GREETING_ONLY = re.compile(r"^\W*(hi|hello|hey|bonjour|salut|coucou|bonsoir)\W*$", re.I)
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


@dataclass
class Checked:
    """A draft after the checks: the text a moderator should see (None: nothing safe), the
    notes they read, and why the model should try again (empty: no need)."""

    text: str | None
    notes: list[str] = field(default_factory=list)
    retry: list[str] = field(default_factory=list)


def check(text: str, brief: DraftBrief, *, system: str = "") -> tuple[str | None, list[str]]:
    """The draft as a moderator should see it, or None; and what was changed or refused."""
    result = verify_draft(text, brief, system=system)
    if result.text is None:
        refused = "refused: " + "; ".join(result.retry) + "; a human should write this reply"
        return None, [*result.notes, refused]
    return result.text, result.notes


def verify_draft(text: str, brief: DraftBrief, *, system: str = "") -> Checked:
    """Clean the draft, drop what the verifier finds wrong, put back the answering fact if
    the draft left it out, and fit it to the platform's style."""
    draft = clean(text)
    if not draft:
        return Checked(None, [], ["the model produced nothing usable"])
    refusal = _refused(draft, brief, system)
    if refusal:
        return Checked(None, [], [refusal])
    notes: list[str] = []
    draft = _scrub(draft, brief, notes)
    kept, dropped = _screen(sentences(draft), brief, notes)
    missing = verify.missing_items(" ".join(kept), brief)
    apology = verify.owes_apology(kept, brief)
    # The answering fact or the apology, put in below, is something to say too.
    says_something = bool(missing) or apology
    says_something |= any(not s.endswith("?") and not _GREETING_ONLY.match(s) for s in kept)
    if not kept or (dropped and not says_something):
        return Checked(None, notes, dropped or ["nothing left after the checks"])
    protected = _put_back_fact(kept, brief, missing, notes) if missing else ""
    if apology:
        kept.insert(0, verify.APOLOGY.get(brief.language, verify.APOLOGY["en"]))
        notes.append("added an apology: the member is upset and the draft did not say sorry")
    kept, protected = _register(kept, protected, brief, notes)
    result = " ".join(_fit(kept, brief, protected, notes))
    problem = verify.register_problem(result, brief)
    if problem:
        notes.append(f"check the register: {problem}")
    if brief.style.end_with_question and not result.rstrip().endswith("?"):
        notes.append("no closing question")
    return Checked(unicodedata.normalize("NFC", result), notes)


def _register(
    kept: list[str], protected: str, brief: DraftBrief, notes: list[str]
) -> tuple[list[str], str]:
    """French sentences said in « tu » where this platform says « vous », put in « vous »."""
    if brief.language != "fr" or brief.style.formality != "vous":
        return kept, protected
    polite = [to_vous(s) for s in kept]
    if polite != kept:
        notes.append("put « tu » in « vous », as this platform says")
    return polite, to_vous(protected)


def _refused(draft: str, brief: DraftBrief, system: str) -> str | None:
    """Why the whole draft is refused (it leaks its instructions, or is in another
    language), or None."""
    # The facts and examples are material to quote: only the instructions may not leak.
    rules = [ln for ln in system.splitlines() if not any(f in ln for f in brief.facts)]
    if _LEAKS.search(draft) or verify.leaked(draft, rules):
        if "prompt_injection" in brief.flags:
            return "the draft followed instructions found in the message"
        return "the draft repeated its instructions"
    if detect_language(draft, default=brief.language) != brief.language:
        return f"the draft is not in the message's language ({brief.language})"
    return None


def _scrub(draft: str, brief: DraftBrief, notes: list[str]) -> str:
    """Mentions always out; emoji out where the platform's style says so."""
    draft, mentioned = verify.strip_mentions(draft)
    if mentioned:
        notes.append("removed mentions (@everyone, @here, user mentions)")
    if not brief.style.emoji and _EMOJI.search(draft):
        draft = _EMOJI.sub("", draft).replace("  ", " ").strip()
        notes.append("removed emoji")
    return draft


@dataclass(frozen=True, slots=True)
class _Screen:
    """What each sentence is checked against, prepared once per draft."""

    brief: DraftBrief
    insults: set[str]
    forbidden: list[tuple[str, str]]
    facts: str  # folded

    def problem(self, sentence: str, position: int) -> tuple[str, str] | None:
        """(note for the card, reason for a regeneration) when the sentence must go."""
        folded = signals.fold(sentence)
        if any(re.search(rf"\b{re.escape(w)}\b", folded) for w in self.insults):
            return "removed a sentence repeating an insult", "repeated an insult"
        promised = [p for p, f in self.forbidden if f and f in folded]
        if promised:
            return f"removed a forbidden promise ({promised[0]})", f"promised {promised[0]}"
        deadline = _DEADLINE.search(folded)
        stated = deadline is not None and deadline.group(0) in self.facts
        if _PROMISE_VERB.search(folded) and deadline and not stated:
            return "removed a promise of a date", "promised a date"
        findings = verify.sentence_findings(sentence, position, self.brief)
        if findings:
            return f"removed a sentence: {findings[0].note}", findings[0].note
        return None


def _screen(parts: list[str], brief: DraftBrief, notes: list[str]) -> tuple[list[str], list[str]]:
    """The sentences kept, and the reasons of those dropped."""
    screen = _Screen(
        brief,
        _insult_words(brief.text),
        [(p, signals.fold(p)) for p in brief.forbidden_promises],
        signals.fold(" ".join(brief.facts)),
    )
    kept: list[str] = []
    dropped: list[str] = []
    duplicates = verify.repeated(parts)
    for i, sentence in enumerate(parts):
        if i in duplicates:
            notes.append("removed a repeated sentence")
            continue
        sentence, renamed = verify.fix_greeting(sentence, brief.author_name)
        if renamed:
            notes.append("removed a name that is not the member's")
        problem = screen.problem(sentence, len(kept))
        head = _sound_clause(screen, sentence, len(kept)) if problem else None
        if problem and head:
            notes.append(f"cut a sentence short: {problem[1]}")
            sentence = head
        elif problem:
            notes.append(problem[0])
            dropped.append(problem[1])
            continue
        kept.append(sentence)
    return kept, dropped


# Where a sentence joins two clauses: "Sorry about search, but thanks for the gift."
# (A dash is matched from the first space before it: scanning each space of a long run of
# them for a dash would take quadratic time.)
_CLAUSE = re.compile(
    r",\s*(?:mais|but|and|et|so|donc|alors|though)\s+|;\s*|(?<!\s)\s+[—–]\s+", re.IGNORECASE
)


def _sound_clause(screen: _Screen, sentence: str, position: int) -> str | None:
    """The sentence's first clause, as a sentence, when the problem was only in what followed
    it (at least three words, and nothing wrong with it on its own)."""
    parts = _CLAUSE.split(sentence, maxsplit=1)
    head = parts[0].strip(" ,;")
    if len(parts) < 2 or len(head.split()) < 3:
        return None
    head += "."
    return head if screen.problem(head, position) is None else None


def _put_back_fact(kept: list[str], brief: DraftBrief, missing: list[str], notes: list[str]) -> str:
    """Insert the answering fact the draft left out (after the greeting); it is protected
    from trimming."""
    fact = brief.facts[0]
    fact_id = brief.fact_ids[0] if brief.fact_ids else "the first fact"
    at = 1 if len(kept) > 1 or not kept[0].endswith("?") else 0
    kept.insert(min(at, len(kept)), fact.strip())
    notes.append(f"added the fact that answers ({fact_id}): the draft left out {missing[0]}")
    return fact.strip()


def _fit(kept: list[str], brief: DraftBrief, protected: str, notes: list[str]) -> list[str]:
    """At most the style's sentences and characters, keeping the closing question and the
    answering fact."""
    cap = brief.style.max_sentences
    before = " ".join(kept)
    if len(kept) > cap:
        question = next((s for s in reversed(kept) if s.endswith("?")), None)
        must = [s for s in kept if s == protected]
        rest = [s for s in kept if s != protected and s != question]
        room = cap - len(must) - (1 if question and brief.style.end_with_question else 0)
        chosen = set(rest[: max(room, 0)]) | set(must)
        trimmed = [s for s in kept if s in chosen]
        if question and brief.style.end_with_question and question not in trimmed:
            trimmed.append(question)
        notes.append(f"trimmed to {cap} sentences")
        kept = trimmed or kept[:cap]
    limit = brief.style.max_chars
    while len(" ".join(kept)) > limit and len(kept) > 1:
        removable = [
            i
            for i, s in enumerate(kept)
            if s != protected and not (s.endswith("?") and i == len(kept) - 1)
        ]
        if not removable:
            break
        kept = [s for i, s in enumerate(kept) if i != removable[-1]]
    result = " ".join(kept)
    if len(result) > limit:
        cut = result[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
        kept = [cut + "…"]
    if len(" ".join(kept)) < len(before) and not any("trimmed" in n for n in notes):
        notes.append(f"shortened to {limit} characters")
    return kept


def facts_used(draft: str, brief: DraftBrief) -> list[str]:
    """The ids of the facts the draft carries (a key item, or most of its words)."""
    used = []
    for fact_id, fact in zip(brief.fact_ids, brief.facts, strict=False):
        items = verify.key_items(fact)
        if any(verify.carries(draft, i) for i in items) or (
            not items
            and len(
                verify.content_words(fact)
                & verify.content_words(draft) - verify.content_words(brief.text)
            )
            >= 3
        ):
            used.append(fact_id)
    return used
