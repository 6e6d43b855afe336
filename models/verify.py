"""The verifier: what a generated draft must never do, sentence by sentence, each with a note
the moderator reads.

A rule names the problem it found in one sentence (``Finding``); the drafter drops that
sentence when what remains still answers, regenerates once with the reasons, or hands the
message to a human with them. Nothing here calls a model: every rule is a plain check on the
draft, the message and the policy's brief, in English and French.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.domain import DraftBrief
from models import signals

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def words(text: str) -> set[str]:
    return set(_WORD.findall(signals.fold(text)))


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str  # short name: "ungrounded", "obeyed", "echo", ...
    note: str  # what the moderator reads


# --- key items of a fact --------------------------------------------------------------------

# Every pattern starts only where a run of its characters starts and bounds its parts, so
# it reads any input in linear time (tests/models/test_regex_linear.py).
_EMAIL = r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,6}"
_DOMAIN = (
    r"(?:https?://)?(?<![\w.-])(?:[\w-]{1,63}\.){1,6}(?:app|com|io|org|net|fr|dev)\b"
    r"(?:/[\w./-]{0,200})?"
)
# A menu path: two or more steps joined by ">" or "→" ("Settings > Data > Export").
_PATH = r"(?<![\w'-])[A-ZÀ-Ý][\w'-]{0,40}(?:\s{0,3}[>→]\s{0,3}[A-ZÀ-Ý][\w'-]{0,40}){1,6}"
_CODE = r"\b[A-Z]{1,3}\d{3,5}\b"
_ITEM = re.compile(rf"{_EMAIL}|{_DOMAIN}|{_CODE}")
_MENU = re.compile(_PATH)


def key_items(fact: str) -> list[str]:
    """What a draft answering with ``fact`` must carry: addresses, links, menu paths."""
    items = [m.group(0).rstrip(".,;:") for m in _ITEM.finditer(fact)]
    items += [m.group(0) for m in _MENU.finditer(fact)]
    seen: list[str] = []
    for item in items:
        if item and item not in seen and not re.fullmatch(_CODE, item):
            seen.append(item)
    return seen


def _steps(path: str) -> list[str]:
    return [s for s in re.split(r"\s*[>→]\s*", path.strip()) if s]


def carries(draft: str, item: str) -> bool:
    """The draft says ``item``: an address or link as written, a menu path with each of its
    steps ("Settings > Sync > Re-index" also as "in Settings, open Sync, then Re-index")."""
    fold = signals.fold
    compact = re.sub(r"[\s-]+", "", fold(draft))
    parts = _steps(item) if _MENU.fullmatch(item) else [item]
    return all(re.sub(r"[\s-]+", "", fold(p)) in compact for p in parts)


def missing_items(draft: str, brief: DraftBrief) -> list[str]:
    """The answering fact's key items the draft leaves out ([] when no fact answers)."""
    if not brief.answered or not brief.facts:
        return []
    return [i for i in key_items(brief.facts[0]) if not carries(draft, i)]


# --- sentence rules -------------------------------------------------------------------------

_REFUSAL = re.compile(
    r"\b(i|we)('m| am| are)? ?(can't|cannot|can not|am unable to|are unable to|'m unable to|"
    r"'re unable to|am not able to|are not able to) (help|assist|answer|respond|provide|share)|"
    r"\bas an ai\b|\blanguage model\b|\bai assistant\b|\bje ne (peux|suis) pas (en mesure de )?"
    r"(vous |t')?(aider|r[ée]pondre)|\bnous ne (pouvons|sommes) pas (en mesure de )?"
    r"(vous |t')?(aider|r[ée]pondre)|\ben tant qu'(ia|intelligence artificielle|assistant)\b|"
    r"\bmod[eè]le de langage\b",
    re.IGNORECASE,
)
_ROADMAP = re.compile(
    r"\bwe('re| are| have been)? (currently |already |actively )?(exploring|working on|planning|"
    r"building|looking into|considering|adding|going to add)\b|\bcoming soon\b|\bsoon\b|"
    r"\b(in|with) (the|a|our) (next|upcoming|future) (release|update|version)s?\b|roadmap|"
    r"\bconsider adding\b|\bwill (be )?(add|added|release|released|available|launch)|"
    r"\bje vais (faire|inclure|ajouter|essayer)|\b(notre|la|une) (prochaine?|future) (annonce|"
    r"version|mise)|\bnous (travaillons|pr[ée]voyons|envisageons|r[ée]fl[ée]chissons)|"
    r"\bc'est pr[ée]vu|\bprochainement\b|\bbient[ôo]t\b|\ben cours de d[ée]veloppement\b|"
    r"\b(sera|seront) (bient[ôo]t )?(disponibles?|ajout[ée]e?s?)",
    re.IGNORECASE,
)
_YES_NO = re.compile(
    r"^\W*(yes|no|yep|nope|absolutely|of course|sure|oui|non|bien s[ûu]r|absolument)\b"
    r"|\b(app|it|version|inkwell|editor|client|we|platform)s? (fully |already |now |does |do )?"
    r"supports?\b|\b(fully|already|now|does) supports?\b|\bis (fully )?supported\b|"
    r"\bprend(s)? en charge\b|"
    r"\best compatible\b|\bit does( not|n't)?\b",
    re.IGNORECASE,
)
# The live state of the service, which no policy fact can know.
_LIVE = re.compile(
    r"\b(is|are|it's|we're) (currently |now |right now )?(down|up|back up|working fine|"
    r"working normally|fine)\b|\bno (outage|incident)s?\b|\beverything is (fine|working)|"
    r"\b(est|sont) (actuellement )?(en panne|hors service|r[ée]tabli)|\baucune (panne|incident)|"
    r"\btout fonctionne\b|\bc'est normal\b",
    re.IGNORECASE,
)
# Numbers with a unit a model likes to invent: sizes, durations, money, counts of devices.
_NUMBER = re.compile(
    r"\b\d+(?:[.,]\d+)?\s?(?:%|€|\$|euros?|dollars?|[kmgt]b|[kmgt]o|mo|go|"
    r"minutes?|hours?|heures?|days?|jours?|weeks?|semaines?|months?|mois|devices?|appareils?|"
    r"users?|utilisateurs?)(?![\w])|[€$]\s?\d+",
    re.IGNORECASE,
)
_CLAIM = re.compile(
    rf"https?://\S+|{_EMAIL}|(?<![@\w.-])(?:[\w-]{{1,63}}\.){{1,6}}(?:app|com|io|org|net|fr)\b"
)
_HATE_SOFT = re.compile(
    r"\bsorry\b|\bapologi[sz]e|\bthank(s| you)\b|\bwe understand\b|\bunderstandable\b|"
    r"\byou('re| are) right\b|\bwe agree\b|\bfair point\b|\bvalid (point|concern)\b|"
    r"\bd[ée]sol[ée]s?\b|\bexcus|\bmerci\b|\bnous comprenons\b|\bje comprends\b|"
    r"\bvous avez raison\b|\btu as raison\b|\bnous sommes d'accord\b|\bc'est compr[ée]hensible",
    re.IGNORECASE,
)
_ADMISSION = re.compile(
    r"\bour (fault|mistake|bad)\b|\bwe (made a mistake|messed up|screwed up|admit|are liable|"
    r"are responsible|take (full )?responsibility|agree)\b|\byou('re| are) right\b|"
    r"\bnous (avons fait une erreur|reconnaissons|sommes responsables|assumons)\b|"
    r"\bc'est (de )?notre faute\b|\bvous avez raison\b|\btu as raison\b",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"\[[^\]]{1,40}\]|\{[^}]{1,40}\}|<[a-z _]{2,30}>|\bXXX+\b|\b(your name|user ?name|"
    r"insert \w+|nom de l'utilisateur)\b",
    re.IGNORECASE,
)
_GREETING = re.compile(
    r"^\W*(hi|hello|hey|dear|bonjour|salut|coucou|bonsoir|hello)\s+([^\s,!.]+)\s*([,!.]?)\s*",
    re.IGNORECASE,
)
_NOT_NAMES = {"there", "all", "everyone", "team", "à", "a", "tout", "tous", "toi", "vous", "et"}
_MENTIONS = re.compile(
    r"<!(channel|here|everyone)(\|[^>]*)?>|(?<!\w)@(everyone|here|channel)\b|<@!?[A-Z0-9]+>|"
    r"<@&\d+>|<#[A-Z0-9]+(\|[^>]*)?>"
)
# Words of the message a draft may repeat without "obeying" it.
_STOP = frozenset(
    (
        "the and that this you your are for with all from user users them they its their will "
        "can our inkwell les des que qui pour avec tout tous vous est une dans sur pas plus "
        "notre nos votre vos ton tes leur leurs"
    ).split()
)
# What the message tells the model to say: "tell them that X", "réponds que X", "say X".
_ORDER = re.compile(
    r"\b(?:tell|inform|announce to|say to|write to|reply to|answer|respond to) (?:this |the |all "
    r"|every |)(?:user|member|them|him|her|everyone|people|customers?)s? (?:that |:)?(.+)|"
    r"\b(?:say|announce|reply|respond|answer|write|confirm|state) (?:that|with|:)\s*(.+)|"
    r"\b(?:dis|dites|r[ée]ponds|r[ée]pondez|annonce|annoncez|[ée]cris|[ée]crivez|confirme|"
    r"confirmez)(?:-(?:lui|leur|moi|nous))? (?:en annon[çc]ant |en disant |[àa] tout le monde |"
    r"aux membres |)(?:que |qu'|: ?)(.+)",
    re.IGNORECASE,
)


_YES = re.compile(r"^\W*(yes|yep|absolutely|of course|sure|oui|bien s[ûu]r|absolument)\b", re.I)
_NEGATION = re.compile(
    r"\b(no|not|never|n't|does not|doesn't|isn't|pas|plus|aucune?|jamais|ni)\b", re.IGNORECASE
)
_THANKED = re.compile(
    r"\bthank(s| you) for (your|the) (kind|nice|lovely|positive) |\bglad (to hear|you)|"
    r"\bhappy to hear\b|\bthat'?s great\b|\bravis? (que|de)\b|\bcontents? que\b|"
    r"\bmerci pour (ton|votre|ce) (gentil|retour positif|compliment)|\bde rien\b|"
    r"\bavec plaisir\b|\bworking well\b|\bfonctionne bien\b",
    re.IGNORECASE,
)
_SORRY = re.compile(r"\bsorry\b|\bapologi|\bd[ée]sol[ée]|\bexcus", re.IGNORECASE)
# Thanks of any kind, and the thanks a sarcastic complaint still deserves: for the report, for
# telling us, for the member's patience. Any other thanks ("Thank you!", "merci pour ce
# cadeau") takes the sarcasm at its word.
_THANKS = re.compile(r"\b(thanks?|thank you|thx|merci)\b", re.IGNORECASE)
_THANKS_FOR_TELLING = re.compile(
    r"\bthank(s| you) for (letting us know|reporting|the report|flagging|telling us|raising|"
    r"(your|the) (patience|report|heads-up|details?|feedback))|"
    r"\bmerci (de|d') ?(nous |l')?(l'avoir |avoir |l')?(signal|pr[ée]ven|remont|ta patience|"
    r"votre patience|ton retour|votre retour)|"
    r"\bmerci pour (le|ton|votre|ce) (signalement|retour|patience|message|d[ée]tail)",
    re.IGNORECASE,
)


def ordered(message: str) -> list[str]:
    """What the message asks the model to say, if it gives orders."""
    return [next(g for g in m.groups() if g) for m in _ORDER.finditer(message)]


def content_words(text: str) -> set[str]:
    """The words that carry meaning: longer than two letters, not a common word."""
    return {w for w in words(text) if len(w) > 2 and w not in _STOP}


def _known_text(brief: DraftBrief) -> str:
    return " ".join([*brief.facts, brief.text, *(m.text for m in brief.context)])


@dataclass(frozen=True, slots=True)
class _Said:
    """One sentence of a draft, where it stands, and what the draft may draw on."""

    sentence: str
    index: int  # 0 is the first
    brief: DraftBrief
    known: str  # folded: the facts, the message and its thread


def _placeholder(s: _Said) -> Finding | None:
    if _PLACEHOLDER.search(s.sentence):
        return Finding("placeholder", "a placeholder instead of real words")
    return None


def _refusal(s: _Said) -> Finding | None:
    if _REFUSAL.search(s.sentence):
        return Finding("refusal", "a refusal or AI talk")
    return None


def _roadmap(s: _Said) -> Finding | None:
    if _ROADMAP.search(s.sentence) and not _in_facts(s.sentence, s.brief):
        return Finding("roadmap", "a plan or roadmap the facts do not state")
    return None


def _yes_no(s: _Said) -> Finding | None:
    if _YES.search(s.sentence) and _denied(s.brief):
        return Finding("ungrounded", "says yes where the facts say no")
    if _YES_NO.search(s.sentence) and not _grounded(s.sentence, s.brief):
        return Finding("ungrounded", "a yes/no answer about the product that no fact states")
    return None


def _live_state(s: _Said) -> Finding | None:
    live = _LIVE.search(s.sentence)
    if live and signals.fold(live.group(0)) not in signals.fold(" ".join(s.brief.facts)):
        return Finding("ungrounded", "a claim about the live state of the service")
    return None


def _number(s: _Said) -> Finding | None:
    known = s.known.replace(" ", "")
    for m in _NUMBER.finditer(s.sentence):
        if signals.fold(m.group(0)).replace(" ", "") not in known:
            return Finding("ungrounded", f"{m.group(0)!r} is not in the facts")
    return None


def _claim(s: _Said) -> Finding | None:
    for m in _CLAIM.finditer(s.sentence):
        claim = m.group(0).rstrip(".,;:!?)")
        if signals.fold(claim) not in s.known:
            return Finding("ungrounded", f"{claim!r} is not in the facts")
    return None


def _menu(s: _Said) -> Finding | None:
    for m in _MENU.finditer(s.sentence):
        if not any(carries(f, m.group(0)) for f in s.brief.facts):
            return Finding("ungrounded", f"the path {m.group(0)!r} is not in the facts")
    return None


def _thanks_sarcasm(s: _Said) -> Finding | None:
    if "sarcasm" not in s.brief.flags:
        return None
    thanked = _THANKS.search(s.sentence) and not _THANKS_FOR_TELLING.search(s.sentence)
    if thanked or _THANKED.search(s.sentence):
        return Finding("sarcasm", "takes a sarcastic message as praise")
    return None


def _soft_on_hate(s: _Said) -> Finding | None:
    if "hate" in s.brief.flags and _HATE_SOFT.search(s.sentence):
        return Finding("hate", "an apology, thanks or agreement addressed to hate speech")
    return None


def _admits_fault(s: _Said) -> Finding | None:
    flags = s.brief.flags
    hostile = {"legal_threat", "hate"} & flags or s.brief.intent in ("attack", "legal_threat")
    if hostile and _ADMISSION.search(s.sentence):
        return Finding("admission", "an admission of fault or agreement with an attack")
    return None


def _obeyed(s: _Said) -> Finding | None:
    for order in ordered(s.brief.text):
        asked = content_words(order)
        if len(asked) >= 2 and len(asked & content_words(s.sentence)) >= max(2, len(asked) // 2):
            return Finding("obeyed", "follows an instruction written in the message")
    return None


def _copied(s: _Said) -> Finding | None:
    borrowed = _borrowed(s.sentence, s.brief)
    if borrowed:
        return Finding("borrowed", f"copies {borrowed!r} from an example for another message")
    return None


def _echo(s: _Said) -> Finding | None:
    if s.index == 0 and _echoes(s.sentence, s.brief.text):
        return Finding("echo", "repeats the message instead of answering it")
    if _copied_run(s.sentence, s.brief.text) >= PARROT_WORDS:
        return Finding("echo", "copies the member's own words instead of answering them")
    return None


# This many words in a row taken from the member's message is parroting, not an answer
# (quoting a menu path or an error code takes far fewer).
PARROT_WORDS = 7


def _copied_run(sentence: str, message: str) -> int:
    """The longest run of consecutive words the sentence shares with the message."""
    mine = _WORD.findall(signals.fold(sentence))
    theirs = _WORD.findall(signals.fold(message))
    best, previous = 0, [0] * (len(theirs) + 1)
    for word in mine:
        current = [0] * (len(theirs) + 1)
        for j, other in enumerate(theirs, 1):
            if word == other:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


# In the order the card lists them (the first one found is the sentence's reason).
_RULES: tuple[Callable[[_Said], Finding | None], ...] = (
    _placeholder,
    _refusal,
    _roadmap,
    _yes_no,
    _live_state,
    _number,
    _claim,
    _menu,
    _thanks_sarcasm,
    _soft_on_hate,
    _admits_fault,
    _obeyed,
    _copied,
    _echo,
)


def sentence_findings(sentence: str, index: int, brief: DraftBrief) -> list[Finding]:
    """What is wrong with one sentence of a draft (``index`` 0 is the first)."""
    said = _Said(sentence, index, brief, signals.fold(_known_text(brief)))
    return [f for rule in _RULES if (f := rule(said)) is not None]


def _denied(brief: DraftBrief) -> bool:
    """A fact says no about something the message asks ("There is no student discount" for
    "do you have a student price?")."""
    asked = {w[:6] for w in content_words(brief.text) if len(w) > 3}
    for fact in brief.facts:
        for clause in re.split(r"[.;:]\s", fact):
            if _NEGATION.search(clause) and asked & {w[:6] for w in content_words(clause)}:
                return True
    return False


APOLOGY = {"en": "Sorry for the trouble.", "fr": "Désolés pour ce souci."}


def owes_apology(kept: Sequence[str], brief: DraftBrief) -> bool:
    """An upset member reporting a problem gets a sorry (the strategy asks for one; a small
    model often writes only "thanks for the report")."""
    upset = brief.sentiment == "negative" or "sarcasm" in brief.flags
    problem = brief.intent in ("complaint", "bug_report")
    return upset and problem and not any(_SORRY.search(s) for s in kept)


def _borrowed(sentence: str, brief: DraftBrief) -> str | None:
    """A word the draft can only have taken from an example's message ("liseuse" from the
    Kobo example), not from this message, its facts or its thread."""
    examples = [*brief.examples, *brief.fallback_examples]
    if not examples:
        return None
    # Compared by their first five letters: "offres" in a fact covers "offre", "exporte" in
    # an example is "exporter" in the draft.
    here = {w[:5] for w in content_words(_known_text(brief))} | _voice(examples)
    mine = {w[:5]: w for w in content_words(sentence) if len(w) >= 5}
    for message, _ in examples:
        for word in sorted(content_words(message)):
            if len(word) >= 5 and word[:5] not in here and word[:5] in mine:
                return mine[word[:5]]
    return None


# Courtesy and feeling words any reply may use: never a detail taken from another message.
_COURTESY = {
    w[:5]
    for w in (
        "happy unhappy thanks thank sorry pleased please glad great welcome merci desole "
        "desolee desoles plaisir heureux bienvenue super"
    ).split()
}


def _voice(examples: Sequence[tuple[str, str]]) -> set[str]:
    """Words of the team's voice: courtesy words, and words in the replies of two examples
    or more; saying them copies no other message's subject."""
    seen: dict[str, int] = {}
    for _, reply in examples:
        for stem in {w[:5] for w in content_words(reply)}:
            seen[stem] = seen.get(stem, 0) + 1
    return _COURTESY | {stem for stem, n in seen.items() if n >= 2}


def _in_facts(sentence: str, brief: DraftBrief) -> bool:
    return any(_ROADMAP.search(f) for f in brief.facts) and _grounded(sentence, brief)


def _grounded(sentence: str, brief: DraftBrief) -> bool:
    """The sentence gives a fact's key item, or most of its content words come from the
    facts."""
    if any(carries(sentence, i) for f in brief.facts for i in key_items(f)):
        return True
    mine = content_words(sentence) - content_words(brief.text)
    facts = set().union(*(content_words(f) for f in brief.facts)) if brief.facts else set()
    return bool(mine) and len(mine & facts) / len(mine) >= 0.6


def _echoes(sentence: str, message: str) -> bool:
    """The first sentence restates the message ("Is Inkwell down?" → "Yes, Inkwell is down")."""
    mine = words(sentence) - {"yes", "oui", "no", "non"}
    theirs = words(message)
    new_digits = {w for w in mine - theirs if any(ch.isdigit() for ch in w)}
    return len(mine) >= 4 and len(mine & theirs) / len(mine) >= 0.8 and not new_digits


def fix_greeting(sentence: str, author: str) -> tuple[str, bool]:
    """Drop a name from a greeting unless it is the member's ("Bonjour cli," → "Bonjour,")."""
    m = _GREETING.match(sentence)
    if not m:
        return sentence, False
    name = m.group(2)
    if signals.fold(name) in _NOT_NAMES or (author and signals.fold(name) == signals.fold(author)):
        return sentence, False
    rest = sentence[m.end() :]
    if not rest:
        return f"{m.group(1).capitalize()}!", True
    return f"{m.group(1).capitalize()}, {rest[0].lower()}{rest[1:]}", True


def strip_mentions(text: str) -> tuple[str, bool]:
    """Mass mentions and user mentions never go out in a draft: the reply threads under the
    member's message already."""
    out = _MENTIONS.sub("", text)
    return re.sub(r"\s{2,}", " ", out).strip(), out != text


def repeated(sentences: Sequence[str]) -> set[int]:
    """Indexes of sentences that say again what an earlier one said."""
    seen: list[set[str]] = []
    dup: set[int] = set()
    for i, s in enumerate(sentences):
        w = words(s)
        if any(w and (w == o or (len(w) >= 4 and len(w & o) / len(w | o) >= 0.85)) for o in seen):
            dup.add(i)
        seen.append(w)
    return dup


_TU = re.compile(r"\b(tu|te|t'|toi|ton|ta|tes)\b", re.IGNORECASE)
_VOUS = re.compile(r"\b(vous|votre|vos)\b", re.IGNORECASE)


def register_problem(draft: str, brief: DraftBrief) -> str | None:
    """French only: « tu » where the style says « vous », or the reverse."""
    if brief.language != "fr":
        return None
    tu, vous = len(_TU.findall(draft)), len(_VOUS.findall(draft))
    if brief.style.formality == "tu" and vous > 0 and tu == 0:
        return "says « vous » where this platform says « tu »"
    if brief.style.formality == "vous" and tu > 0:
        return "says « tu » where this platform says « vous »"
    return None


def leaked(draft: str, system_lines: Iterable[str]) -> bool:
    """The draft repeats a line of its own instructions (the voice, the rules)."""
    mine = content_words(draft)
    for line in system_lines:
        theirs = content_words(line)
        if len(theirs) >= 6 and len(mine & theirs) / len(theirs) >= 0.6:
            return True
    return False
