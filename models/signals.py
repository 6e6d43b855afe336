"""Cheap textual signals, English and French, that sharpen what the embedding heads say.

They never decide alone what a message is about: the intent comes from the policy's examples.
They flag what must not be missed (a legal threat, a safety message, an injection attempt)
and tell an insult at a person from harsh words about a product.
"""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower case, accents and zero-width characters removed, apostrophes unified."""
    text = text.replace("’", "'").replace("\u200b", "").replace("\u200d", "").replace("\u2060", "")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


LEGAL = _any(
    r"\b(sue|suing|lawsuit|legal action|lawyer|attorney|solicitor|court|tribunal|class action)\b",
    r"\bgdpr (request|complaint)\b|\bdata protection (authority|regulator)\b|\bico\b|\bftc\b",
    r"\bcease and desist\b|\bsmall claims\b|\bformal (complaint|notice)\b",
    r"\b(porter|deposer) plainte\b|\bavocat\b|\bproces\b|\bmise en demeure\b|\bcnil\b",
    r"\bpoursuites?( judiciaires)?\b|\bdgccrf\b|\bjustice\b|\btribunal\b|\bhuissier\b",
)

SAFETY = _any(
    r"\b(kill|hurt|harm|end) (myself|my ?self)\b|\bsuicid\w*\b|\bend it all\b",
    r"\bwant to die\b|\bdon't want to live\b|\bself[- ]harm\b|\bcut myself\b",
    r"\b(i'?ll|i will|gonna|going to) (kill|shoot|stab|hurt|find) (you|him|her|them|everyone)\b",
    r"\b(bomb|shoot up|gun|knife)\b.*\b(office|you|your)\b|\bcoming (for you|with a gun)\b",
    r"\ben finir\b|\bme suicider\b|\bme tuer\b|\bplus envie de vivre\b|\bme faire du mal\b",
    r"\b(vous|te) (tuer|buter|descendre)\b|\bfaire la peau\b|\bje vais venir .*(arme|couteau)\b",
)

INJECTION = _any(
    r"\bignore (all |any )?(the )?(previous|prior|above|earlier) (instructions|prompts?|rules)\b",
    r"\b(disregard|forget) (all |your )?(previous |prior )?(instructions|rules|prompt)\b",
    r"\byou are now\b|\bact as (an? )?(unfiltered|jailbroken|dan)\b|\bdeveloper mode\b",
    r"\b(system|hidden) prompt\b|\breveal (your|the) (prompt|instructions)\b",
    r"\bignore (les|toutes les) (instructions|consignes|regles)( precedentes)?\b",
    r"\boublie (tes|les|toutes tes) (instructions|consignes)\b|\btu es maintenant\b",
    r"\b(reply|answer|respond) (only )?with\b.*\b(password|token|prompt)\b",
)

SPAM = _any(
    r"\b(crypto|airdrop|nft|forex|casino|giveaway|bitcoin|usdt)\b",
    r"\b(earn|gagne[rz]?) \$?\d+",
    r"\b(dm|message|ecri[st]?(-moi)?) me\b|\bdm me\b|\bcontact me on (whatsapp|telegram)\b",
    r"\b(cheap|free) (followers|likes|subscribers)\b|\babonnes pas chers\b",
    r"\bclick (the )?link\b|\blink in (my )?bio\b|\bcliquez? (sur )?le lien\b",
)
URL = re.compile(r"https?://|www\.|\b[a-z0-9-]+\.(ly|io|xyz|ru|top|gg|link|click)/")

# Words that insult a person; harsh words about a product ("unacceptable", "garbage update")
# are not here on purpose.
INSULTS = _any(
    r"\b(idiots?|morons?|imbeciles?|stupid|dumb|clowns?|losers?|scum|liars?|incompetents?)\b",
    r"\b(assholes?|dickheads?|bastards?|retards?|cretins?|fools?|jerks?|pathetic)\b",
    r"\b(abrutis?|connards?|connasses?|bande de cons|debiles?|cretins?|incompetents?|nuls)\b",
    r"\b(encules?|batards?|guignols?|bouffons?|idiots?|menteurs?|minables?)\b",
    r"\b(fuck (you|off)|ta gueule|ferme[- ]la|va te faire)\b",
)
# Who the words are aimed at: people (you, the team, staff) rather than a thing.
PEOPLE = _any(
    r"\b(you|u|your|ur|you're|youre|yall|y'all)\b",
    r"\b(devs?|developers?|team|staff|support|ceo|founders?|managers?|moderators?|mods?|admins?)\b",
    r"\b(people|guys|everyone|he|she|they|them)\b",
    r"\b(tu|toi|t'es|vous|vos|votre|ton|ta|tes|equipe|developpeurs?|devs?|ils|elles)\b",
)
# Counter-speech: quoting an insult to condemn it.
CONDEMN = _any(
    r"\b(not ok|not okay|not acceptable|unacceptable|uncalled for|out of line|no place)\b",
    r"\b(calling|called|call) (people|someone|him|her|them|others)\b",
    r"\bplease (don't|do not|stop)\b|\b(stop|quit) (calling|insulting)\b",
    r"\b(pas (ok|acceptable|normal|correct)|inadmissible|pas la peine d'insulter)\b",
    r"\b(traiter|traite[rz]?) (les gens|quelqu'un|les autres)\b|\barrete[rz]? d'insulter\b",
)
QUOTED = re.compile(r"[\"“”«»']\s*[^\"“”«»']{1,40}\s*[\"“”«»']")


def legal(t: str) -> bool:
    return LEGAL.search(t) is not None


def safety(t: str) -> bool:
    return SAFETY.search(t) is not None


def injection(t: str) -> bool:
    return INJECTION.search(t) is not None


def spammy(t: str) -> bool:
    hits = len(SPAM.findall(t)) + (1 if URL.search(t) else 0)
    return hits >= 2


def insult_at_people(t: str) -> bool:
    return INSULTS.search(t) is not None and PEOPLE.search(t) is not None


def insult(t: str) -> bool:
    return INSULTS.search(t) is not None


def counter_speech(t: str, original: str) -> bool:
    """Quoting an insult to condemn it ("calling people 'idiots' is not ok")."""
    return CONDEMN.search(t) is not None and (
        QUOTED.search(original) is not None or re.search(r"\b(calling|traiter)\b", t) is not None
    )


_PRAISE_WORDS = _any(
    r"\b(great|wonderful|fantastic|awesome|amazing|brilliant|perfect|love|thanks|thank you)\b",
    r"\b(genial|super|parfait|merveilleux|formidable|bravo|merci|top|trop bien)\b",
)
_BAD_EVENTS = _any(
    r"\b(deletes?|deleted|lost|broke|broken|crash(es|ed)?|fails?|wiped|erased)\b",
    r"\b(efface|supprime|perdu|casse|plante|bug(ue)?|panne|vide)\b",
)
_IDIOMS = _any(
    r"\bthanks for nothing\b|\bmerci pour rien\b|\bbravo pour (la|le|cette)\b",
    r"\byeah right\b|\bc'est ca oui\b|\bslow clap\b",
)


def sarcastic_cue(t: str) -> bool:
    """Praise words around a bad event ("great, it crashed again"), or a sarcastic idiom."""
    return (_PRAISE_WORDS.search(t) is not None and _BAD_EVENTS.search(t) is not None) or (
        _IDIOMS.search(t) is not None
    )
