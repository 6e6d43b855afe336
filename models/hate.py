"""The hate decision: an attack on people for who they are, not an insult, not a report of one.

The hate heads (``models/weights/tone.npz``: one per training set, TweetEval tweets,
Stormfront forum posts, French FTR tweets) say how hateful a message reads; the score is the
highest of the three, each head's threshold folded into it so that 0.5 means "this head would
call it hate". On its own the score fires on some messages that mention a group in a heated
tone, counter-speech included. The decision asks for more:

- a message that reports, quotes, negates or condemns hate is never hate ("calling immigrants
  rats is dehumanising", "I'd never say women are inferior");
- otherwise it is hate when the score reaches ``alone`` (``at_people`` when the words are
  aimed at someone here, "you", the devs, the team: an insult, unless the heads are sure),
  or when it is about a group (origin, religion, gender, sexuality, disability...) and
  either says something hateful about it (dehumanising names, contempt, exclusion,
  violence) or the score reaches ``with_group``.

Violence wished on a group is also a safety matter (``group_violence``).
"""

from __future__ import annotations

from dataclasses import dataclass

from models import signals


@dataclass(frozen=True)
class HateThresholds:
    with_group: float = 0.5  # hate score enough when a group is named
    alone: float = 0.5  # hate score enough with no group named
    # ... and enough with no group named when the words are aimed at someone here. At 0.5,
    # insults at the team ("the devs are braindead monkeys", "t'es un débile") and an advert,
    # 6 of the 554 community messages in bench/data, read as hate; at 0.7 none does.
    at_people: float = 0.7


@dataclass(frozen=True)
class HateCues:
    """What the words say: a group named, hate reported or rejected, hateful wording."""

    group: bool
    rejected: bool
    hateful: bool
    at_people: bool = False  # aimed at someone here: "you", the devs, the team


def cues(folded: str) -> HateCues:
    return HateCues(
        group=signals.about_group(folded),
        rejected=signals.reports_or_rejects_hate(folded),
        hateful=signals.hateful(folded) or signals.group_violence(folded),
        at_people=signals.at_people_here(folded),
    )


def decide(c: HateCues, score: float, th: HateThresholds) -> bool:
    alone = score >= (max(th.alone, th.at_people) if c.at_people else th.alone)
    if (not alone and not c.group) or c.rejected:
        return False
    return alone or score >= th.with_group or c.hateful


def is_hate(folded: str, score: float, th: HateThresholds) -> bool:
    """``folded`` is ``signals.fold(text)``; ``score`` the hate heads' score."""
    if score < th.alone and not signals.about_group(folded):
        return False  # the common case, without reading the message further
    return decide(cues(folded), score, th)


def threatens_group(folded: str) -> bool:
    return signals.group_violence(folded) and signals.about_group(folded)
