"""Label corrections put to work: a corrected classification, the policy's intents with the
corrected messages as extra examples (what the classifier learns from), the tone moderators
gave a message applied to the messages very close to it, and the intents as an
``intents.toml`` an admin reviews and merges."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from bot.domain import Classification, Flag, IntentSpec
from bot.policy import Policy
from bot.policy.loader import LANGUAGE_NAMES
from bot.store.learned import Learned, latest

TOXIC_FLOOR = 0.9  # a message a moderator marks toxic is called so however the model scored
NOT_TOXIC_CEILING = 0.1
# A message gets the tone a moderator gave another when their sentence embeddings are this
# close (cosine): the same message reworded, not one on the same subject (those score 0.6 to
# 0.8). The tone heads are trained, not taught: a correction covers its near-copies only.
TONE_SIMILARITY = 0.9


def corrected(c: Classification, field: str, value: str, author: str) -> Classification:
    """The classification with a moderator's correction, credited to them."""
    model = f"moderator:{author}"
    if field == "intent":
        return dataclasses.replace(c, intent=value, confidence=1.0, model=model)
    if value == "toxic":
        return dataclasses.replace(
            c, toxic=True, toxicity=max(c.toxicity, TOXIC_FLOOR), model=model
        )
    if value == "not_toxic":
        flags = c.flags - {str(Flag.HATE)}
        return dataclasses.replace(
            c, toxic=False, toxicity=min(c.toxicity, NOT_TOXIC_CEILING), flags=flags, model=model
        )
    return dataclasses.replace(c, flags=c.flags | {str(Flag.SARCASM)}, model=model)


def taught_tone(
    c: Classification,
    vector: npt.NDArray[np.float32],
    tones: Sequence[Learned],
    tone_vectors: npt.NDArray[np.float32],
) -> Classification:
    """The classification with the tone a moderator gave the closest message they corrected
    (``tones``, their text embedded as ``tone_vectors``; L2-normalised like ``vector``), in
    the same language and at least ``TONE_SIMILARITY`` alike; unchanged without one."""
    if not tones:
        return c
    scores = tone_vectors @ vector
    for j in np.argsort(-scores, kind="stable"):
        if scores[j] < TONE_SIMILARITY:
            break
        taught = tones[j].correction
        if taught.language == c.language and taught.field == "tone":
            now = corrected(c, "tone", taught.value, taught.author)
            return dataclasses.replace(now, model=f"{c.model}; tone taught by {taught.author}")
    return c


def learned_intents(
    intents: Sequence[IntentSpec], learned: Sequence[Learned]
) -> tuple[IntentSpec, ...]:
    """The policy's intents, each with the messages moderators said were of it as extra
    examples (in their language); corrections to intents the policy dropped are ignored."""
    extra: dict[str, dict[str, list[str]]] = {}
    for item in latest(learned):
        c = item.correction
        if c.field == "intent":
            extra.setdefault(c.value, {}).setdefault(c.language, []).append(c.text)
    if not extra:
        return tuple(intents)
    out = []
    for spec in intents:
        more = extra.get(spec.name, {})
        examples = {
            lang: tuple(dict.fromkeys([*spec.examples.get(lang, ()), *more.get(lang, ())]))
            for lang in sorted({*spec.examples, *more})
        }
        out.append(dataclasses.replace(spec, examples=examples))
    return tuple(out)


def _string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(" ".join(text.split()), ensure_ascii=False)


def export_intents(policy: Policy, learned: Sequence[Learned]) -> str:
    """``intents.toml`` with the learned examples merged, each marked by who taught it: the
    file an admin reviews, then copies over ``policies/intents.toml``. Tone corrections
    are listed as comments (the tone heads are trained, not taught by examples)."""
    taught = {
        (i.correction.value, i.correction.language, " ".join(i.correction.text.split())): i
        for i in latest(learned)
        if i.correction.field == "intent"
    }
    lines = [
        "# policies/intents.toml with the examples moderators taught from the approval cards",
        "# (each marked `# learned`). Review, then copy over policies/intents.toml.",
    ]
    for spec in learned_intents(policy.intents, learned):
        lines += ["", "[[intent]]", f"name = {_string(spec.name)}"]
        lines.append(f"description = {_string(spec.description)}")
        for lang, examples in spec.examples.items():
            if lang not in LANGUAGE_NAMES:
                continue  # the policy files hold only the reply languages
            lines.append(f"examples.{lang} = [")
            for example in examples:
                item = taught.get((spec.name, lang, " ".join(example.split())))
                note = f"  # learned from {item.correction.author}" if item else ""
                lines.append(f"    {_string(example)},{note}")
            lines.append("]")
    tones = [i for i in latest(learned) if i.correction.field == "tone"]
    if tones:
        lines += ["", "# Tone corrections (not part of intents.toml):"]
        lines += [
            f"#   {i.correction.value}: {_string(i.correction.text)} ({i.correction.author})"
            for i in tones
        ]
    return "\n".join(lines) + "\n"
