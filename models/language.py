"""English / French identification for short, informal messages.

Function words decide: they are frequent even in three-word messages, and the two languages
share few of them. Accents break ties. Anything else is reported as the default language.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)

_FR = frozenset(
    """le la les un une des du de au aux et ou mais donc car ni que qui quoi dont où est sont
    suis es sommes êtes ai as avons avez ont était je tu il elle nous vous ils elles on me te se
    moi toi lui leur leurs mon ma mes ton ta tes son sa ses notre nos votre vos ce cet cette ces
    pas plus ne rien jamais toujours très trop bien merci bonjour salut avec pour par sur dans
    sans sous chez vers comme quand comment pourquoi alors aussi encore déjà ça cela ceci c'est
    j'ai n'est qu'il d'un l'appli vraiment depuis votre svp s'il plaît oui non mise jour
    marche fonctionne bug application compte problème aide besoin""".split()
)
_EN = frozenset(
    """the a an and or but so because of to in on at for with without from by about into is are
    was were be been being am i you he she it we they me him her us them my your his its our
    their this that these those not no never always very too well thanks thank hello hi please
    what which who whom how why when where do does did don't doesn't can't won't isn't it's i'm
    i've you're there here just still again already yes any some all have has had will would
    should could can update app account problem help need works working broken""".split()
)
_ACCENTS = re.compile(r"[éèêëàâîïôûùüçœ]", re.IGNORECASE)


def detect_language(text: str, *, default: str = "en") -> str:
    """Return ``"en"`` or ``"fr"`` for ``text`` (``default`` when there is no evidence)."""
    words = [w.lower().replace("’", "'") for w in _WORD.findall(text)]
    fr: float = sum(1 for w in words if w in _FR)
    en = sum(1 for w in words if w in _EN)
    fr += 0.5 * min(len(_ACCENTS.findall(text)), 4)
    if fr == en:
        return default
    return "fr" if fr > en else "en"
