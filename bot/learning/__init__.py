"""Tactline learns from its moderators: the replies they send and the drafts they reject teach
the next drafts (``bank``), and their corrections of a message's label teach the classifier
and set the tone of messages very close to a corrected one (``labels``). Nothing learned
leaves the database except through ``tactline replies``, ``tactline learned`` and
``tactline policy learned``."""

from bot.learning.bank import MIN_SIMILARITY, Match, Recall, ReplyBank, TextEncoder, taught
from bot.learning.labels import (
    TONE_SIMILARITY,
    corrected,
    export_intents,
    learned_intents,
    taught_tone,
)

__all__ = [
    "MIN_SIMILARITY",
    "TONE_SIMILARITY",
    "Match",
    "Recall",
    "ReplyBank",
    "TextEncoder",
    "corrected",
    "export_intents",
    "learned_intents",
    "taught",
    "taught_tone",
]
