"""The hate decision: an attack on people for who they are, not an insult, not a report of one.

The hate head (``models/weights/tone.npz``) says how hateful a message reads; on its own it
fires on anything that mentions a group in a heated tone, counter-speech included. The
decision asks for more:

- a message that reports, quotes, negates or condemns hate is never hate ("calling immigrants
  rats is dehumanising", "I'd never say women are inferior");
- otherwise it is hate when it is about a group (origin, religion, gender, sexuality,
  disability...) and either says something hateful about it (dehumanising names, contempt,
  exclusion, violence) or the head is confident;
- without any group named, only a very confident head calls it hate.

Violence wished on a group is also a safety matter (``group_violence``).
"""

from __future__ import annotations

from dataclasses import dataclass

from models import signals


@dataclass(frozen=True)
class HateThresholds:
    with_group: float = 0.6  # head score enough when a group is named
    alone: float = 0.8  # head score enough with no group named


def is_hate(folded: str, score: float, th: HateThresholds) -> bool:
    """``folded`` is ``signals.fold(text)``; ``score`` the hate head's probability."""
    alone = score >= th.alone
    if not alone and not signals.about_group(folded):
        return False
    if signals.reports_or_rejects_hate(folded):
        return False
    return (
        alone or score >= th.with_group or signals.hateful(folded) or signals.group_violence(folded)
    )


def threatens_group(folded: str) -> bool:
    return signals.group_violence(folded) and signals.about_group(folded)
