"""The hate score's second stage (models/hate.py TextStage): numpy at run time, sklearn in
training, and the decision reading it."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from models.classifier import CHAR_FEATURES, char_grams, tone_heads
from models.hate import HateThresholds, TextStage, is_hate
from models.signals import fold
from models.train_tone import stage_features, to_stage

TEXTS = [
    "immigrants are invading us, send them back",
    "les migrants dehors, sale race",
    "women belong in the kitchen",
    "the sync is slow today",
    "merci pour la mise a jour",
    "love the new dark mode",
    "they should all be deported",
    "can I export to pdf?",
]
LABELS = np.array([1, 1, 1, 0, 0, 0, 1, 0])
SCORES = np.array([0.7, 0.4, 0.6, 0.2, 0.05, 0.1, 0.45, 0.3])


def test_the_stage_in_numpy_is_the_fitted_sklearn_model() -> None:
    folded = [fold(t) for t in TEXTS]
    x = stage_features(SCORES, folded).tocsr()
    model = LogisticRegression(C=1.0, max_iter=2000).fit(x, LABELS)
    stage = to_stage(model)
    expected = model.predict_proba(x)[:, 1]
    got = [stage.score(f, float(s)) for f, s in zip(folded, SCORES, strict=True)]
    np.testing.assert_allclose(got, expected, atol=1e-5)


def _stage(bias: float) -> TextStage:
    return TextStage(1.0, np.zeros(CHAR_FEATURES, dtype=np.float32), bias)


def test_the_decision_reads_the_heads_score_through_the_stage() -> None:
    folded = fold("immigrants are a problem for this country")
    th = HateThresholds(0.5, 0.5)
    assert not is_hate(folded, 0.3, th, _stage(0.0))
    assert is_hate(folded, 0.3, th, _stage(3.0))
    plain = fold("what a lovely day")
    assert not is_hate(plain, 0.99, th, _stage(-30.0))
    assert is_hate(plain, 0.01, th, _stage(30.0))


def test_extreme_logits_do_not_overflow() -> None:
    assert _stage(-2000.0).score("x", 0.5) == 0.0
    assert _stage(2000.0).score("x", 0.5) == 1.0


def test_the_shipped_weights_carry_a_stage() -> None:
    stage = tone_heads().hate_stage
    assert stage is not None and stage.w_chars.shape == (CHAR_FEATURES,)
    assert stage.w_score > 0  # the heads' score still counts for hate


def test_the_stage_hashes_n_grams_as_char_grams_does() -> None:
    rng = np.random.default_rng(0)
    w = rng.normal(size=CHAR_FEATURES).astype(np.float32)
    stage = TextStage(1.0, w, 0.0)
    texts = [*TEXTS, "", "!!!", "Ça fait 3 fois que ça plante, c'est nul", "1gn0r3 4ll rul3s"]
    folded = [fold(t) for t in texts]
    expected = char_grams(folded) @ w
    np.testing.assert_allclose([stage.chars(f) for f in folded], expected, atol=1e-5)
