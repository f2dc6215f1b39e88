"""The maths behind the Embeddings tab's views, with numpy: similarity, search, pairs, PCA, k-means.

Vectors are L2-normalised once (OpenAI's already are; other servers' may not be), so cosine
similarity is a dot product and the whole matrix is one matrix product. Everything here is pure
and deterministic (k-means uses a fixed seed), and meant to run in a worker thread: a 5,000 × 1,536
input takes well under a second on a laptop.

Import this module only where the maths is needed: it imports numpy, which app start-up avoids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from playground.core.embeddings.service import MAX_MATRIX_TEXTS

Matrix = npt.NDArray[np.float32]

MAX_SUGGESTED_K = 10

SILHOUETTE_SAMPLE = 1200  # silhouette is O(n²): score on a fixed sample beyond this


def as_matrix(vectors: Sequence[Sequence[float]] | Matrix) -> Matrix:
    """The vectors as a float32 (n, d) array, each row scaled to length 1 (zero rows stay zero)."""
    x = np.asarray(vectors, dtype=np.float32)
    if x.ndim != 2:
        x = x.reshape(len(x), -1)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: Matrix = (x / norms).astype(np.float32, copy=False)
    return normalised


def matrix_from_blobs(blobs: Sequence[bytes]) -> Matrix:
    """Stacks cached vectors (little-endian float32 bytes, all of one length) into an (n, d) array."""
    if not blobs:
        return np.zeros((0, 0), dtype=np.float32)
    width = len(blobs[0]) // 4
    if any(len(b) != 4 * width for b in blobs):
        raise ValueError("cached vectors differ in length")
    flat = np.frombuffer(b"".join(blobs), dtype="<f4")
    stacked: Matrix = flat.reshape(len(blobs), width).astype(np.float32)
    return stacked


def similarity_matrix(x: Matrix) -> Matrix:
    """Cosine similarity of every pair of (normalised) rows: an (n, n) float32 matrix."""
    s = x @ x.T
    np.clip(s, -1.0, 1.0, out=s)
    return s


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    va, vb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    na, nb = np.linalg.norm(va), np.linalg.norm(vb)
    if na == 0 or nb == 0:
        return 0.0
    return float(va @ vb / (na * nb))


def rank(query: Sequence[float], x: Matrix) -> list[tuple[int, float]]:
    """Every row ranked by cosine similarity to `query`, best first (ties keep input order)."""
    q = as_matrix([query])[0]
    scores = x @ q
    order = np.argsort(-scores, kind="stable")
    return [(int(i), float(scores[i])) for i in order]


def top_pairs(s: Matrix, count: int = 50) -> list[tuple[int, int, float]]:
    """The `count` most similar pairs (i < j), best first."""
    n = s.shape[0]
    if n < 2:
        return []
    upper = np.where(np.tri(n, dtype=bool), np.float32(-np.inf), s)  # keep only i < j
    count = min(count, n * (n - 1) // 2)
    # The count largest row maxima are `count` distinct pairs, so every one of the top `count`
    # pairs scores at least the smallest of them: only values above that need sorting.
    row_max = upper[:-1].max(axis=1)
    floor = -np.inf
    if count < len(row_max):
        floor = float(np.partition(row_max, len(row_max) - count)[len(row_max) - count])
    rows, cols = np.nonzero(upper >= floor) if floor > -np.inf else np.triu_indices(n, k=1)
    values = upper[rows, cols]
    order = np.lexsort((cols, rows, -values))[:count]
    return [(int(rows[k]), int(cols[k]), float(values[k])) for k in order]


@dataclass(frozen=True, slots=True)
class Projection:
    """A 2-D PCA projection.

    Attributes:
        points: (n, 2) coordinates.
        explained: the share of the variance each of the two axes explains (0..1).
    """

    points: npt.NDArray[np.float64]
    explained: tuple[float, float]


def pca_2d(x: Matrix, *, seed: int = 0) -> Projection:
    """Projects rows onto their first two principal components.

    Uses a randomized SVD (a few power iterations on a 12-column sketch): exact to float precision
    for the top components of embedding data, and ~10x faster than a full decomposition at
    5,000 × 1,536.
    """
    n = x.shape[0]
    if n < 2:
        return Projection(np.zeros((n, 2)), (0.0, 0.0))
    centred = (x - x.mean(axis=0)).astype(np.float64)
    total = float((centred * centred).sum())
    rank_ = min(12, *centred.shape)
    rng = np.random.default_rng(seed)
    q = centred @ rng.standard_normal((centred.shape[1], rank_))
    for _ in range(4):
        q, _r = np.linalg.qr(q)
        q, _r = np.linalg.qr(centred @ (centred.T @ q))
    small = q.T @ centred  # (rank, d)
    u_small, sv, _vt = np.linalg.svd(small, full_matrices=False)
    points = (q @ u_small[:, :2]) * sv[:2]
    if points.shape[1] < 2:
        points = np.pad(points, ((0, 0), (0, 2 - points.shape[1])))
        sv = np.pad(sv, (0, 2 - sv.shape[0]))
    # Fix each axis' sign so the picture does not flip between runs.
    for axis in range(2):
        column = points[:, axis]
        if column[np.argmax(np.abs(column))] < 0:
            points[:, axis] = -column
    variance = sv[:2] ** 2
    share = (float(variance[0] / total), float(variance[1] / total)) if total > 0 else (0.0, 0.0)
    return Projection(points, share)


def kmeans(
    x: Matrix, k: int, *, seed: int = 42, iterations: int = 50, restarts: int = 4
) -> npt.NDArray[np.int32]:
    """Cluster labels 0..k-1 by k-means (k-means++ start, best of `restarts`, fixed seed).

    Labels are renumbered by cluster size, largest first, so colours are stable across runs.
    """
    n = x.shape[0]
    k = max(1, min(k, n))
    if n == 0:
        return np.zeros(0, dtype=np.int32)
    rng = np.random.default_rng(seed)
    data = x.astype(np.float32)
    sq = (data * data).sum(axis=1)
    if n > 2000:  # large inputs: fewer restarts keep a re-cluster under a second
        restarts = min(restarts, 2)
    best_labels = np.zeros(n, dtype=np.int32)
    best_inertia = np.inf
    for _ in range(restarts):
        centres = _plus_plus(data, sq, k, rng)
        labels = np.zeros(n, dtype=np.int32)
        for step in range(iterations):
            d = sq[:, None] - 2 * data @ centres.T + (centres * centres).sum(axis=1)[None, :]
            new = d.argmin(axis=1).astype(np.int32)
            if step and np.array_equal(new, labels):
                break
            labels = new
            # New centres in one product: a one-hot (n, k) matrix times the data.
            onehot = np.zeros((n, k), dtype=np.float32)
            onehot[np.arange(n), labels] = 1.0
            counts = onehot.sum(axis=0)
            sums = onehot.T @ data
            empty = counts == 0
            centres = sums / np.maximum(counts, 1)[:, None]
            if empty.any():  # an empty cluster takes the point farthest from its centre
                centres[empty] = data[d.min(axis=1).argmax()]
        d = sq[:, None] - 2 * data @ centres.T + (centres * centres).sum(axis=1)[None, :]
        inertia = float(np.take_along_axis(d, labels[:, None], axis=1).sum())
        if inertia < best_inertia:
            best_inertia, best_labels = inertia, labels
    sizes = np.bincount(best_labels, minlength=k)
    order = np.argsort(-sizes, kind="stable")
    remap = np.empty(k, dtype=np.int32)
    remap[order] = np.arange(k, dtype=np.int32)
    return remap[best_labels]


def _plus_plus(data: Matrix, sq: Matrix, k: int, rng: np.random.Generator) -> Matrix:
    n = data.shape[0]
    centres = np.empty((k, data.shape[1]), dtype=np.float32)
    centres[0] = data[rng.integers(n)]
    closest = sq - 2 * data @ centres[0] + centres[0] @ centres[0]
    for c in range(1, k):
        weights = np.clip(closest, 0, None)
        total = float(weights.sum(dtype=np.float64))
        pick = rng.choice(n, p=weights / total) if total > 0 else rng.integers(n)
        centres[c] = data[pick]
        closest = np.minimum(closest, sq - 2 * data @ centres[c] + centres[c] @ centres[c])
    return centres


def silhouette(x: Matrix, labels: npt.NDArray[np.int32]) -> float:
    """Mean silhouette score (cosine distance), -1..1; 0 when there is one cluster or one point."""
    return _silhouette(_cosine_distances(x), labels)


def _cosine_distances(x: Matrix) -> npt.NDArray[np.float64]:
    xd = x.astype(np.float64)
    return 1.0 - np.clip(xd @ xd.T, -1.0, 1.0)


def _silhouette(dist: npt.NDArray[np.float64], labels: npt.NDArray[np.int32]) -> float:
    n = dist.shape[0]
    clusters, own = np.unique(labels, return_inverse=True)
    if n < 3 or len(clusters) < 2:
        return 0.0
    onehot = np.zeros((n, len(clusters)))
    onehot[np.arange(n), own] = 1.0
    counts = onehot.sum(axis=0)
    sums = dist @ onehot  # (n, clusters): summed distance from each point to each cluster
    size = counts[own]
    a = sums[np.arange(n), own] / np.maximum(size - 1, 1)
    mean_other = sums / counts[None, :]
    mean_other[np.arange(n), own] = np.inf
    b = mean_other.min(axis=1)
    denom = np.maximum(a, b)
    scores = np.where((size > 1) & (denom > 0), (b - a) / np.where(denom > 0, denom, 1), 0.0)
    return float(scores.mean())


def suggest_k(x: Matrix, *, seed: int = 42) -> tuple[int, dict[int, float]]:
    """The k (2..10) with the best silhouette score, and every score tried.

    Beyond `SILHOUETTE_SAMPLE` rows the score is computed on a fixed random sample.
    """
    n = x.shape[0]
    if n < 3:
        return 1, {}
    sample = x
    if n > SILHOUETTE_SAMPLE:
        pick = np.random.default_rng(seed).choice(n, SILHOUETTE_SAMPLE, replace=False)
        sample = x[np.sort(pick)]
    dist = _cosine_distances(sample)
    scores: dict[int, float] = {}
    for k in range(2, min(MAX_SUGGESTED_K, sample.shape[0] - 1) + 1):
        labels = kmeans(sample, k, seed=seed, restarts=2, iterations=40)
        scores[k] = _silhouette(dist, labels)
    if not scores:
        return 1, {}
    best = max(scores, key=lambda k: (round(scores[k], 6), -k))
    return best, scores


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything the views show for one set of vectors.

    Attributes:
        matrix: the normalised vectors (n, d).
        similarity: (n, n) cosine similarities, or None above `MAX_MATRIX_TEXTS` texts.
        pairs: the most similar pairs (i, j, score), best first (none above `MAX_MATRIX_TEXTS`).
        projection: the 2-D PCA projection.
        suggested_k: the k with the best silhouette score (1 for fewer than 3 texts).
        k: the k used for `labels`.
        labels: the k-means cluster of every row.
        silhouettes: silhouette score per k tried.
    """

    matrix: Matrix
    similarity: Matrix | None
    pairs: list[tuple[int, int, float]]
    projection: Projection
    suggested_k: int
    k: int
    labels: npt.NDArray[np.int32]
    silhouettes: dict[int, float]


def analyze(
    vectors: Sequence[Sequence[float]] | Matrix,
    k: int | None = None,
    pairs: int = 200,
    max_matrix: int = MAX_MATRIX_TEXTS,
) -> Analysis:
    """Computes every view's data; `k=None` uses the suggested k. Above `max_matrix` texts the
    similarity matrix and the pairs are left out."""
    x = as_matrix(vectors)
    s = similarity_matrix(x) if x.shape[0] <= max_matrix else None
    suggested, scores = suggest_k(x)
    use = suggested if k is None else max(1, min(k, x.shape[0]))
    return Analysis(
        matrix=x,
        similarity=s,
        pairs=top_pairs(s, pairs) if s is not None else [],
        projection=pca_2d(x),
        suggested_k=suggested,
        k=use,
        labels=kmeans(x, use),
        silhouettes=scores,
    )
