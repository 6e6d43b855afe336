"""French register: a reply that says « tu » where the brand says « vous », put in « vous ».

The drafting model often slips into « tu » (the policy's example replies for Discord use it,
and so does much of what it read), and a moderator then has to edit every pronoun and verb by
hand. ``to_vous`` does that edit for the forms replies use: subject « tu » and its verb
(present, imperfect, conditional, future, subjunctive of the common verbs and of regular -er
and -re verbs), inverted questions (« peux-tu »), imperatives with a pronoun (« écris-nous »,
« n'hésite pas »), object pronouns (« te », « t' », « toi ») and possessives (« ton », « ta »,
« tes »). A verb it does not know is left as it is, and the card still says to check the
register. The reverse (« vous » to « tu ») is not done: « vous » may be plural, and it is never
rude.
"""

from __future__ import annotations

import re

# Second person singular -> plural of verbs whose plural is not the regular ending change.
_IRREGULAR = {
    "es": "êtes",
    "as": "avez",
    "vas": "allez",
    "fais": "faites",
    "dis": "dites",
    "refais": "refaites",
    "peux": "pouvez",
    "veux": "voulez",
    "sais": "savez",
    "dois": "devez",
    "vois": "voyez",
    "crois": "croyez",
    "prends": "prenez",
    "comprends": "comprenez",
    "apprends": "apprenez",
    "reprends": "reprenez",
    "mets": "mettez",
    "remets": "remettez",
    "permets": "permettez",
    "viens": "venez",
    "reviens": "revenez",
    "tiens": "tenez",
    "obtiens": "obtenez",
    "écris": "écrivez",
    "décris": "décrivez",
    "inscris": "inscrivez",
    "lis": "lisez",
    "reçois": "recevez",
    "connais": "connaissez",
    "reconnais": "reconnaissez",
    "pars": "partez",
    "sors": "sortez",
    "sens": "sentez",
    "dors": "dormez",
    "suis": "suivez",
    "ouvres": "ouvrez",
    "offres": "offrez",
    "choisis": "choisissez",
    "finis": "finissez",
    "remplis": "remplissez",
    "réussis": "réussissez",
    "sois": "soyez",
    "aies": "ayez",
    "ailles": "alliez",
    "fasses": "fassiez",
    "puisses": "puissiez",
    "veuilles": "veuilliez",
    "saches": "sachiez",
    "envoies": "envoyez",
    "essaies": "essayez",
    "essayes": "essayez",
    "paies": "payez",
    "payes": "payez",
    "appelles": "appelez",
    "rappelles": "rappelez",
    "achètes": "achetez",
    "jettes": "jetez",
    "préfères": "préférez",
    "répètes": "répétez",
}
# Imperatives (no subject): « dis-nous », « va voir », « n'hésite pas ».
_IMPERATIVE = {
    "dis": "dites",
    "fais": "faites",
    "va": "allez",
    "vas": "allez",
    "viens": "venez",
    "prends": "prenez",
    "mets": "mettez",
    "écris": "écrivez",
    "lis": "lisez",
    "sois": "soyez",
    "aie": "ayez",
    "envoie": "envoyez",
    "essaie": "essayez",
    "tiens": "tenez",
    "choisis": "choisissez",
    "réponds": "répondez",
    "attends": "attendez",
    "suis": "suivez",
    "ouvre": "ouvrez",
}
_CLITICS = r"(?:(?:ne|me|nous|se|le|la|les|lui|leur|y|en)\s+|(?:n'|m'|s'|l')\s*)*"
_SUBJECT_VERB = re.compile(
    rf"\b(tu)(\s+)({_CLITICS})(t'\s*|te\s+)?([a-zà-ÿ]+)\b(?!-)", re.IGNORECASE
)
_INVERTED = re.compile(r"\b([a-zà-ÿ]+)-(t-)?tu\b", re.IGNORECASE)
# An imperative starts its clause: « Écris-nous », « …, dis-moi », « et envoie-nous ».
_IMPERATIVE_PRONOUN = re.compile(
    r"(^|[.!?,;:]\s+|\b(?:et|puis|alors|donc)\s+)([a-zà-ÿ]+)-(nous|moi|le|la|les|y|en|lui|leur)\b",
    re.IGNORECASE,
)
_HESITATE = re.compile(r"\bn'h[ée]site\b", re.IGNORECASE)
_OBJECT = re.compile(r"\b(te|toi)\b|\bt'(?=[a-zà-ÿ])", re.IGNORECASE)
# « le ton », « un ton » is a tone of voice, not « your ».
_POSSESSIVE = re.compile(r"(?<!le )(?<!un )(?<!du )(?<!au )(?<!ce )\b(ton|ta|tes)\b", re.IGNORECASE)
_TU_LEFT = re.compile(r"\b(tu|te|toi|ton|ta|tes)\b|\bt'", re.IGNORECASE)


def _plural(verb: str) -> str | None:
    """The « vous » form of a verb said with « tu », or None when it is not known."""
    low = verb.lower()
    if low in _IRREGULAR:
        return _IRREGULAR[low]
    for ending, plural in (("ais", "iez"), ("ras", "rez"), ("ds", "dez"), ("es", "ez")):
        if low.endswith(ending) and len(low) > len(ending) + 1:
            return low[: -len(ending)] + plural
    return None


def _case(like: str, word: str) -> str:
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


def _subject(m: re.Match[str]) -> str:
    tu, space, clitics, reflexive, verb = m.groups()
    plural = _plural(verb)
    if plural is None:
        return m.group(0)
    own = "vous " if reflexive else ""
    return f"{_case(tu, 'vous')}{space}{clitics}{own}{plural}"


def _inverted(m: re.Match[str]) -> str:
    verb = m.group(1)
    plural = _plural(verb)
    return m.group(0) if plural is None else f"{_case(verb, plural)}-vous"


def _imperative(m: re.Match[str]) -> str:
    before, verb, pronoun = m.groups()
    low = verb.lower()
    plural = _IMPERATIVE.get(low) or (low[:-1] + "ez" if low.endswith("e") else None)
    if plural is None:
        return m.group(0)
    return f"{before}{_case(verb, plural)}-{pronoun}"


def _object(m: re.Match[str]) -> str:
    word = m.group(0)
    return _case(word, "vous ") if word.lower() == "t'" else _case(word, "vous")


def _possessive(m: re.Match[str]) -> str:
    word = m.group(1)
    return _case(word, "vos" if word.lower() == "tes" else "votre")


def to_vous(text: str) -> str:
    """``text`` with « tu » and its forms put in « vous »; anything not understood is left."""
    if not _TU_LEFT.search(text):
        return text
    out = _INVERTED.sub(_inverted, text)
    out = _SUBJECT_VERB.sub(_subject, out)
    out = _IMPERATIVE_PRONOUN.sub(_imperative, out)
    out = _HESITATE.sub(lambda m: _case(m.group(0), "n'hésitez"), out)
    out = _OBJECT.sub(_object, out)
    return _POSSESSIVE.sub(_possessive, out)
