"""Grouping vectors into topics: agglomerative clustering on cosine distance (scikit-learn).

Average linkage with a distance threshold needs no number of topics and is deterministic for
the same vectors in the same order. Its cost is quadratic, so above :data:`DIRECT_LIMIT`
messages Birch (scikit-learn, one pass, linear) first gathers near-duplicates into small
subclusters, and the same agglomerative step groups their centres.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sklearn.cluster import AgglomerativeClustering, Birch

from models.encoder import Vectors

Labels = npt.NDArray[np.intp]

# Average cosine distance under which messages share a topic. Multilingual USE puts two
# phrasings of one complaint (English and French too) at 0.25-0.5, unrelated product messages
# at 0.75-1.0; the demo's morning of traffic needs 0.7 to pair its English and French
# complaints about an update.
THRESHOLD = 0.7
DIRECT_LIMIT = 2500
# Birch's subcluster radius (Euclidean on unit vectors): members within about 0.1 cosine
# distance of their subcluster's centre, far tighter than a topic.
MICRO_RADIUS = 0.45


def normalise(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    out: Vectors = (vectors / np.maximum(norms, 1e-9)).astype(np.float32)
    return out


def _agglomerate(vectors: Vectors, threshold: float) -> Labels:
    if len(vectors) == 1:
        return np.zeros(1, dtype=np.intp)
    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=threshold
    )
    labels: Labels = model.fit_predict(vectors).astype(np.intp)
    return labels


def _agglomerate_means(means: Vectors, threshold: float) -> Labels:
    """Average linkage over subclusters given their mean (not normalised) unit vectors.

    The mean cosine distance between the members of two subclusters is exactly
    ``1 - mean_a · mean_b``: the centres' own cosine would understate it (a centre is purer
    than its members) and merge topics that the messages keep apart."""
    if len(means) == 1:
        return np.zeros(1, dtype=np.intp)
    distances = np.clip(1.0 - means @ means.T, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=threshold
    )
    labels: Labels = model.fit_predict(distances).astype(np.intp)
    return labels


def group_vectors(vectors: Vectors, *, threshold: float = THRESHOLD) -> Labels:
    """A topic index per row of ``vectors`` (0, 1, …; arbitrary order)."""
    if len(vectors) == 0:
        return np.zeros(0, dtype=np.intp)
    unit = normalise(vectors)
    if len(unit) <= DIRECT_LIMIT:
        return _agglomerate(unit, threshold)
    birch = Birch(threshold=MICRO_RADIUS, n_clusters=None, compute_labels=True).fit(unit)
    micro: Labels = birch.labels_.astype(np.intp)
    means = np.asarray(birch.subcluster_centers_, dtype=np.float32)
    merged = _agglomerate_means(means, threshold)
    labels: Labels = merged[micro]
    return labels


def centroid(vectors: Vectors) -> Vectors:
    """The unit-length mean direction of ``vectors``."""
    centre: Vectors = normalise(vectors.mean(axis=0, keepdims=True))[0]
    return centre


def closest(vectors: Vectors, centre: Vectors, k: int) -> list[int]:
    """Row indices of the ``k`` vectors nearest ``centre`` (ties by row order)."""
    similarity = normalise(vectors) @ centre
    order = np.lexsort((np.arange(len(similarity)), -similarity))
    return [int(i) for i in order[:k]]


def nearest_topic(vectors: Vectors, centres: Vectors, *, threshold: float = THRESHOLD) -> Labels:
    """For each vector the index of the nearest centre, or -1 when none is within
    ``threshold`` cosine distance (how the previous period is counted against this one's
    topics)."""
    if len(vectors) == 0 or len(centres) == 0:
        return np.full(len(vectors), -1, dtype=np.intp)
    similarity = normalise(vectors) @ centres.T
    best = similarity.argmax(axis=1)
    near = similarity[np.arange(len(best)), best] >= 1.0 - threshold
    labels: Labels = np.where(near, best, -1).astype(np.intp)
    return labels
