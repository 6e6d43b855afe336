"""Tactline learns from its moderators: the replies they send and the drafts they reject teach
the next drafts (``bank``), and their corrections of a message's label teach the classifier
(``labels``). ``Learning`` is what the pipeline calls; nothing learned leaves the database
except through ``tactline replies``, ``tactline learned`` and ``tactline policy learned``."""

from bot.learning.bank import MIN_SIMILARITY, Match, Recall, ReplyBank, TextEncoder
from bot.learning.labels import corrected, export_intents, learned_intents

__all__ = [
    "MIN_SIMILARITY",
    "Match",
    "Recall",
    "ReplyBank",
    "TextEncoder",
    "corrected",
    "export_intents",
    "learned_intents",
]
