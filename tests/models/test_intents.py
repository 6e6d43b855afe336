"""Intent reading as a moderator sees it: the intent on the card, and a confidence that means
what it says. None of these messages is an example in policies/intents.toml or a message of
bench/data/community_intents.jsonl."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.domain import Classification, Flag, Intent
from bot.policy import load_policy
from models.classifier import EmbeddingClassifier
from models.evaluation import intents_on, read_jsonl
from models.intents import FORCED, Reading, agree
from models.signals import fold

REPO = Path(__file__).resolve().parents[2]
COMMUNITY = REPO / "bench" / "data" / "community_intents.jsonl"
NAMES = [
    str(i)
    for i in (
        Intent.QUESTION,
        Intent.COMPLAINT,
        Intent.PRAISE,
        Intent.FEEDBACK,
        Intent.ATTACK,
        Intent.SAFETY,
    )
]


def reading(best: str, p: float, text: str = "", second: str = Intent.COMPLAINT) -> Reading:
    """A reading of ``text`` that gives ``best`` probability ``p`` and ``second`` the rest."""
    scores = np.zeros(len(NAMES))
    scores[NAMES.index(best)] = p
    scores[NAMES.index(second)] += 1.0 - p
    return Reading(list(NAMES), scores, best, p, fold(text))


# -- agree(): what the flags may change, without the model ---------------------------------


def test_an_unsure_attack_the_tone_heads_call_harmless_is_a_complaint() -> None:
    r = reading(Intent.ATTACK, 0.55, "this release is a disgrace")
    agree(r, set(), toxic=False, hate=False)
    assert r.intent == Intent.COMPLAINT
    # The attack's probability moves to the complaint: the model thought it one or the other.
    assert r.confidence == pytest.approx(1.0)


def test_an_unsure_attack_the_tone_heads_call_harmless_is_what_else_the_model_thought() -> None:
    # A blunt opinion the model half took for an insult: no one is insulted, and the model's
    # other reading was feedback, not a complaint.
    r = reading(
        Intent.ATTACK, 0.45, "the new colour scheme is a crime against eyes", second=Intent.FEEDBACK
    )
    agree(r, set(), toxic=False, hate=False)
    assert r.intent == Intent.FEEDBACK
    assert r.confidence == pytest.approx(1.0)


def test_an_unsure_attack_never_falls_back_to_an_intent_that_needs_its_flag() -> None:
    # The model's other reading was a safety matter, but nothing flagged one.
    text = "we need a log of who deleted what, admins are going crazy"
    scores = np.array([0.0, 0.12, 0.0, 0.0, 0.48, 0.40])
    r = Reading(list(NAMES), scores, Intent.ATTACK, 0.48, fold(text))
    agree(r, set(), toxic=False, hate=False)
    assert r.intent == Intent.COMPLAINT


def test_a_sure_insult_at_people_stays_an_attack_though_not_toxic() -> None:
    r = reading(Intent.ATTACK, 0.95, "your head of support has the brains of a goldfish")
    agree(r, set(), toxic=False, hate=False)
    assert (r.intent, r.confidence) == (Intent.ATTACK, 0.95)


def test_condemning_an_insult_is_never_kept_as_an_attack() -> None:
    r = reading(Intent.ATTACK, 0.95, 'calling people "idiots" like he did is not ok')
    agree(r, set(), toxic=False, hate=False)
    assert r.intent != Intent.ATTACK


def test_a_toxic_threat_of_violence_stays_a_safety_matter() -> None:
    r = reading(Intent.SAFETY, 0.45, "someone should torch your office", second=Intent.ATTACK)
    agree(r, set(), toxic=True, hate=False)
    assert r.intent == Intent.SAFETY


def test_a_flag_forces_its_intent_with_at_least_the_floor_confidence() -> None:
    r = reading(Intent.QUESTION, 0.3, "is this legal?", second=Intent.PRAISE)
    agree(r, {Flag.SAFETY}, toxic=False, hate=False)
    assert (r.intent, r.confidence) == (Intent.SAFETY, FORCED)


def test_praise_with_a_sarcastic_turn_of_phrase_is_a_complaint() -> None:
    flags = {str(Flag.SARCASM)}
    r = reading(Intent.PRAISE, 0.97, "great, it crashed again. thanks a lot")
    agree(r, flags, toxic=False, hate=False)
    assert r.intent == Intent.COMPLAINT and Flag.SARCASM in flags


def test_sure_praise_only_the_irony_head_doubts_is_sincere() -> None:
    flags = {str(Flag.SARCASM)}
    r = reading(Intent.PRAISE, 0.97, "thank you for the quick reply, you are the best")
    agree(r, flags, toxic=False, hate=False)
    assert r.intent == Intent.PRAISE and Flag.SARCASM not in flags
    unsure = reading(Intent.PRAISE, 0.6, "thank you for the quick reply, you are the best")
    agree(unsure, {str(Flag.SARCASM)}, toxic=False, hate=False)
    assert unsure.intent == Intent.COMPLAINT


def test_thanks_for_a_fix_only_the_irony_head_doubts_is_sincere() -> None:
    for text in (
        "thank you for fixing the sync crash so fast ❤️",
        "merci d'avoir réglé mon problème de connexion en une heure",
    ):
        flags = {str(Flag.SARCASM)}
        r = reading(Intent.PRAISE, 0.7, text)
        agree(r, flags, toxic=False, hate=False)
        assert r.intent == Intent.PRAISE and Flag.SARCASM not in flags, text


def test_thanks_for_a_fix_in_quotes_is_not_sincere() -> None:
    r = reading(Intent.PRAISE, 0.7, "thanks for 'fixing' sync, now it crashes every hour")
    agree(r, {str(Flag.SARCASM)}, toxic=False, hate=False)
    assert r.intent == Intent.COMPLAINT


def test_praise_with_rolled_eyes_is_a_sarcastic_complaint_whatever_the_heads_read() -> None:
    for text in (
        "love how the new export flow takes six clicks now 🙄",
        "encore une déconnexion pendant ma réunion, merci hein",
        "so glad the new sidebar hides my favourites now 🙃",
    ):
        flags: set[str] = set()
        r = reading(Intent.PRAISE, 0.95, text)
        agree(r, flags, toxic=False, hate=False)
        assert r.intent == Intent.COMPLAINT and Flag.SARCASM in flags, text


def test_a_warm_hein_is_not_sarcasm() -> None:
    flags: set[str] = set()
    r = reading(Intent.PRAISE, 0.95, "merci pour tout, hein, vous êtes au top")
    agree(r, flags, toxic=False, hate=False)
    assert r.intent == Intent.PRAISE and not flags


# -- the real model on messages it has never seen ------------------------------------------


@pytest.fixture(scope="module")
def classifier() -> EmbeddingClassifier:
    return EmbeddingClassifier(load_policy(REPO / "policies").intents)


def classify(c: EmbeddingClassifier, texts: Sequence[str]) -> list[Classification]:
    return c.classify_sync(list(texts))


CASES = [
    # sarcastic praise is a complaint, and said to be sarcastic
    ("Wonderful, the update wiped my reading list. Just what I wanted.", "complaint"),
    (
        "Génial, la mise à jour a effacé ma liste de lecture. Exactement ce que je voulais.",
        "complaint",
    ),
    ("Perfect, the app crashed again right before my presentation. Thanks guys.", "complaint"),
    # harsh words about the product, no one insulted: a complaint to answer
    ("This update is an overpriced disgrace and the new layout is a mess.", "complaint"),
    (
        "Cette mise à jour est une honte hors de prix et la nouvelle interface est un fouillis.",
        "complaint",
    ),
    # an insult at staff without an insult word the tone heads know
    ("your head of support couldn't find his way out of a paper bag", "attack"),
    # refund demands are complaints, not legal threats
    ("Remboursez-moi ce mois-ci, la synchro n'a pas fonctionné une seule fois.", "complaint"),
    ("I want my money back for March, sync didn't work once.", "complaint"),
    # asking whether there is an outage is a question, not a bug report
    ("is the sync server down right now? nothing is coming through on my end", "question"),
    ("le serveur de synchro est en panne là ? rien ne passe chez moi", "question"),
    # thanks for a fix is praise, however many bad events it names
    ("thanks for fixing the export so fast, you're great", "praise"),
    ("merci d'avoir corrigé l'export aussi vite, vous êtes géniaux", "praise"),
    # feature requests phrased as questions
    ("any plans to let us add custom emojis to notes?", "feature_request"),
    ("ce serait possible d'ajouter des emojis perso dans les notes ?", "feature_request"),
]


@pytest.mark.slow
def test_what_moderators_need_read_right(classifier: EmbeddingClassifier) -> None:
    results = classify(classifier, [t for t, _ in CASES])
    wrong = [
        (t, want, r.intent) for (t, want), r in zip(CASES, results, strict=True) if r.intent != want
    ]
    assert not wrong
    sarcastic = results[:3]
    assert all("sarcasm" in r.flags and r.sentiment == "negative" for r in sarcastic), sarcastic
    assert not any(r.toxic for r in results[3:5]), results[3:5]
    assert "sarcasm" not in results[10].flags and "sarcasm" not in results[11].flags


def _held_half(row: dict[str, str]) -> bool:
    return hashlib.sha256(row["text"].encode()).digest()[0] % 2 == 1


@pytest.mark.slow
def test_confidence_means_what_it_says_on_the_community_set(
    classifier: EmbeddingClassifier,
) -> None:
    """The calibration was fitted on the policy's examples only: on community messages a
    higher confidence is right more often, and about as often as it says."""
    rows = read_jsonl(COMMUNITY)
    names = [i.name for i in load_policy(REPO / "policies").intents]
    score, rel = intents_on(classifier, rows, names)
    filled = [(lo, acc) for lo, _, n, acc in rel.bins if n >= 20]
    accuracies = [acc for _, acc in filled]
    assert len(filled) >= 3 and accuracies == sorted(accuracies), rel.bins
    assert rel.ece <= 0.08, rel
    # the intents themselves, on the half that was never used to choose the settings
    held = [r for r in rows if _held_half(r)]
    held_score, _ = intents_on(classifier, held, names)
    assert held_score.macro_f1 >= 0.80, held_score
    assert score.macro_f1 >= 0.80, score
