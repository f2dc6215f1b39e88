"""Learning from embeddings, with numpy only: classify, find outliers, recommend.

* **Classify**: labelled examples (text and label, from a CSV/JSONL file or typed as
  `label: text`) train a nearest-centroid or a logistic-regression classifier on their vectors.
  `cross_validate` reports the accuracy on held-out folds, a confusion matrix and the examples it
  gets wrong; `Classifier.predict` labels new lines with a confidence. Zero-shot mode
  (`zero_shot`) needs no examples: each line gets the label whose description it is nearest to.
* **Outliers**: each line's distance (1 − cosine) from the centre of its cluster, or from the
  centre of all the other lines; ranked, with a threshold.
* **Recommend**: the lines nearest to the picked ones ("more like this"), pushed away from others
  ("less like that"), as in Rocchio's relevance feedback.

Everything is deterministic (fixed seeds) and meant for a worker thread. No Qt here; this module
imports numpy, so import it only where the maths is needed.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from playground.core.embeddings.files import InputTable
from playground.core.embeddings.maths import Matrix, as_matrix

MIN_PER_CLASS = 2
MAX_FOLDS = 5
ZERO_SHOT_SHARPNESS = 20.0  # softmax scale on cosine similarities (they differ by a few hundredths)
LOGISTIC_DIMENSIONS = 128  # directions logistic regression learns in (see `_logistic`)
LESS_WEIGHT = 0.6  # how hard "less like that" pushes away, relative to "more like this"


class LabelProblem(ValueError):
    """Labelled examples that cannot train a classifier; the message says what is needed."""


# --- examples --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Examples:
    """Labelled examples: `texts[i]` is labelled `labels[i]`.

    Attributes:
        skipped: lines left out (empty text), for the message about them.
    """

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    skipped: int = 0

    def classes(self) -> list[str]:
        """The labels, in order of first appearance."""
        return list(dict.fromkeys(self.labels))

    def counts(self) -> Counter[str]:
        return Counter(self.labels)


def parse_typed_examples(text: str) -> Examples:
    """Examples typed one per line as `label: text` ("positive: I loved it").

    Raises:
        LabelProblem: a line has no label (no `:` or nothing before it); the message quotes it.
    """
    texts: list[str] = []
    labels: list[str] = []
    skipped = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        label, colon, body = line.partition(":")
        if not colon or not label.strip():
            raise LabelProblem(
                f"Line {number} has no label: write each example as “label: text”, for "
                f"example “positive: I loved it”. The line was “{_short(line)}”."
            )
        if not body.strip():
            skipped += 1
            continue
        texts.append(body.strip())
        labels.append(" ".join(label.split()))
    return Examples(tuple(texts), tuple(labels), skipped)


def examples_from_table(table: InputTable, text_column: str, label_column: str) -> Examples:
    """Examples from two columns of an opened CSV/JSONL file.

    Raises:
        LabelProblem: the two columns are the same, or some rows have a text but no label.
    """
    if text_column == label_column:
        raise LabelProblem("Pick two different columns: one with the texts, one with the labels.")
    at_text = table.columns.index(text_column)
    at_label = table.columns.index(label_column)
    texts: list[str] = []
    labels: list[str] = []
    unlabelled: list[int] = []
    skipped = 0
    for number, row in enumerate(table.rows, 1):
        text = row[at_text].strip() if at_text < len(row) else ""
        label = " ".join(row[at_label].split()) if at_label < len(row) else ""
        if not text:
            skipped += 1
            continue
        if not label:
            unlabelled.append(number)
            continue
        texts.append(text)
        labels.append(label)
    if unlabelled:
        rows = ", ".join(str(n) for n in unlabelled[:5]) + ("…" if len(unlabelled) > 5 else "")
        raise LabelProblem(
            f"{len(unlabelled)} example{'s have' if len(unlabelled) != 1 else ' has'} an empty "
            f"label (row {rows}). Give every example a label, or remove those rows."
        )
    return Examples(tuple(texts), tuple(labels), skipped)


def check_examples(examples: Examples) -> None:
    """Raises `LabelProblem` unless there are at least two labels with two examples each."""
    counts = examples.counts()
    if not counts:
        raise LabelProblem(
            "There are no labelled examples yet. Add a few lines for each label, as “label: text”."
        )
    if len(counts) == 1:
        only = next(iter(counts))
        raise LabelProblem(
            f"Every example has the same label, “{only}”. A classifier needs at least two labels "
            "to tell apart: add examples of another label."
        )
    few = [label for label, n in counts.items() if n < MIN_PER_CLASS]
    if few:
        named = ", ".join(f"“{label}” ({counts[label]})" for label in few)
        raise LabelProblem(
            f"Each label needs at least {MIN_PER_CLASS} examples to be learned and checked; "
            f"these have fewer: {named}. Add examples, or remove those labels."
        )


# --- classifiers -----------------------------------------------------------------------------------


class Method(StrEnum):
    CENTROID = "centroid"
    LOGISTIC = "logistic"

    @property
    def label(self) -> str:
        return {
            Method.CENTROID: "Nearest centre",
            Method.LOGISTIC: "Logistic regression",
        }[self]


@dataclass(frozen=True, slots=True)
class Prediction:
    label: str
    confidence: float  # 0–1: the share of the probability the winning label gets


@dataclass(frozen=True)
class Classifier:
    """A trained classifier: `weights` (classes × d) and `bias` give one score per class."""

    method: Method
    classes: tuple[str, ...]
    weights: npt.NDArray[np.float64]
    bias: npt.NDArray[np.float64]
    sharpness: float = 1.0

    def probabilities(self, x: Matrix) -> npt.NDArray[np.float64]:
        """(n, classes) probabilities for the (normalised) rows of `x`."""
        scores = as_matrix(x).astype(np.float64) @ self.weights.T + self.bias
        return _softmax(scores * self.sharpness)

    def predict(self, x: Matrix) -> list[Prediction]:
        if x.shape[0] == 0:
            return []
        p = self.probabilities(x)
        best = p.argmax(axis=1)
        return [Prediction(self.classes[b], float(p[i, b])) for i, b in enumerate(best)]


def train(x: Matrix, labels: Sequence[str], method: Method) -> Classifier:
    """A classifier learned from the rows of `x` and their labels (checked: `check_examples`)."""
    classes = tuple(dict.fromkeys(labels))
    y = np.array([classes.index(label) for label in labels])
    data = as_matrix(x).astype(np.float64)
    if method == Method.CENTROID:
        return _centroid(data, y, classes)
    return _logistic(data, y, classes)


def _centroid(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.int_], classes: tuple[str, ...]
) -> Classifier:
    centres = np.stack([x[y == c].mean(axis=0) for c in range(len(classes))])
    norms = np.linalg.norm(centres, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    # Cosine to each centre; the softmax scale turns differences of a few hundredths into a margin.
    return Classifier(
        Method.CENTROID, classes, centres / norms, np.zeros(len(classes)), ZERO_SHOT_SHARPNESS
    )


def _logistic(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.int_],
    classes: tuple[str, ...],
    *,
    steps: int = 300,
    rate: float = 0.5,
    l2: float = 1e-3,
) -> Classifier:
    """Multinomial logistic regression by full-batch gradient descent (features scaled up so unit
    vectors separate within a few hundred steps)."""
    n, d = x.shape
    k = len(classes)
    # Learned in the span of the examples' main directions (at most LOGISTIC_DIMENSIONS of them):
    # the same answers on a few hundred examples, a tenth of the work on 1,536-number vectors.
    basis = _principal_directions(x, LOGISTIC_DIMENSIONS)
    z = x @ basis.T
    scale = np.sqrt(d)  # unit vectors have tiny coordinates; this keeps the step size sensible
    zs = z * scale
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    w = np.zeros((k, basis.shape[0]))
    b = np.zeros(k)
    for _ in range(steps):
        p = _softmax(zs @ w.T + b)
        grad = (p - onehot) / n
        w -= rate * (grad.T @ zs + l2 * w)
        b -= rate * grad.sum(axis=0)
    return Classifier(Method.LOGISTIC, classes, (w * scale) @ basis, b)


def _principal_directions(x: npt.NDArray[np.float64], count: int) -> npt.NDArray[np.float64]:
    """Up to `count` orthonormal directions (rows) that keep most of `x`: the span of its rows
    when there are few, else a randomised range finder (Halko et al.) with a fixed seed."""
    n, _d = x.shape
    sample = x.T if n <= count else x.T @ np.random.default_rng(0).normal(size=(n, count))
    q, _r = np.linalg.qr(sample)
    directions: npt.NDArray[np.float64] = q.T
    return directions


def _softmax(scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    out: npt.NDArray[np.float64] = e / e.sum(axis=1, keepdims=True)
    return out


# --- cross-validation ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mistake:
    index: int  # the example's row in `Examples`
    expected: str
    predicted: str
    confidence: float


@dataclass(frozen=True)
class CrossValidation:
    """How a method does on examples it did not learn from.

    Attributes:
        folds: how many parts the examples were split into (each held out once).
        classes: the labels, in the confusion matrix's order.
        confusion: `confusion[i][j]` = examples labelled `classes[i]` predicted as `classes[j]`.
        mistakes: the examples it gets wrong, least sure last.
    """

    method: Method
    folds: int
    classes: tuple[str, ...]
    confusion: npt.NDArray[np.int_]
    mistakes: list[Mistake] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        total = int(self.confusion.sum())
        return float(np.trace(self.confusion)) / total if total else 0.0


def cross_validate(
    x: Matrix, examples: Examples, method: Method, *, seed: int = 0
) -> CrossValidation:
    """Stratified k-fold cross-validation (k = up to 5, no more than the smallest label's count).

    Raises:
        LabelProblem: see `check_examples`.
    """
    check_examples(examples)
    classes = tuple(examples.classes())
    labels = examples.labels
    folds = max(2, min(MAX_FOLDS, min(examples.counts().values())))
    rng = np.random.default_rng(seed)
    fold_of = np.zeros(len(labels), dtype=int)
    for label in classes:
        rows = np.array([i for i, lab in enumerate(labels) if lab == label])
        rng.shuffle(rows)
        fold_of[rows] = np.arange(len(rows)) % folds
    confusion = np.zeros((len(classes), len(classes)), dtype=int)
    mistakes: list[Mistake] = []
    for fold in range(folds):
        test = np.flatnonzero(fold_of == fold)
        learn = np.flatnonzero(fold_of != fold)
        model = train(x[learn], [labels[i] for i in learn], method)
        for row, prediction in zip(test, model.predict(x[test]), strict=True):
            expected = labels[row]
            confusion[classes.index(expected), classes.index(prediction.label)] += 1
            if prediction.label != expected:
                mistakes.append(
                    Mistake(int(row), expected, prediction.label, prediction.confidence)
                )
    mistakes.sort(key=lambda m: -m.confidence)
    return CrossValidation(method, folds, classes, confusion, mistakes)


# --- zero-shot -----------------------------------------------------------------------------------


def parse_descriptions(text: str) -> tuple[list[str], list[str]]:
    """Zero-shot labels typed one per line as `label: description` (a line without `:` is its
    own description). Returns `(labels, descriptions)`.

    Raises:
        LabelProblem: fewer than two labels, or a label given twice.
    """
    labels: list[str] = []
    descriptions: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        label, colon, body = line.partition(":")
        label = " ".join(label.split())
        description = body.strip() if colon and body.strip() else line.strip()
        if not colon:
            label = " ".join(line.split())
        if label.casefold() in (seen.casefold() for seen in labels):
            raise LabelProblem(f"The label “{label}” is described twice: keep one line per label.")
        labels.append(label)
        descriptions.append(description)
    if len(labels) < 2:
        raise LabelProblem(
            "Zero-shot needs at least two labels, one per line, as “label: what it means”, for "
            "example “complaint: the customer is unhappy about something”."
        )
    return labels, descriptions


def zero_shot(x: Matrix, descriptions: Matrix, labels: Sequence[str]) -> list[Prediction]:
    """Each row of `x` gets the label whose description vector is nearest (cosine)."""
    model = Classifier(
        Method.CENTROID,
        tuple(labels),
        as_matrix(descriptions).astype(np.float64),
        np.zeros(len(labels)),
        ZERO_SHOT_SHARPNESS,
    )
    return model.predict(x)


def predictions_csv(texts: Sequence[str], predictions: Sequence[Prediction]) -> str:
    """The labelled lines as CSV: text, label, confidence (0–1, three decimals)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["text", "label", "confidence"])
    for text, p in zip(texts, predictions, strict=True):
        writer.writerow([text, p.label, f"{p.confidence:.3f}"])
    return buffer.getvalue()


def predictions_jsonl(texts: Sequence[str], predictions: Sequence[Prediction]) -> str:
    return "".join(
        json.dumps(
            {"text": t, "label": p.label, "confidence": round(p.confidence, 3)}, ensure_ascii=False
        )
        + "\n"
        for t, p in zip(texts, predictions, strict=True)
    )


# --- outliers ------------------------------------------------------------------------------------


def outlier_scores(
    x: Matrix, clusters: npt.NDArray[np.int32] | Sequence[int] | None = None
) -> npt.NDArray[np.float64]:
    """Each row's distance (1 − cosine) from the centre of its cluster, or, without clusters, from
    the centre of all the other rows. A cluster of one row is measured against all the others."""
    data = as_matrix(x).astype(np.float64)
    n = data.shape[0]
    if n < 2:
        return np.zeros(n)
    groups = np.asarray(clusters) if clusters is not None else np.zeros(n, dtype=int)
    _, index, sizes = np.unique(groups, return_inverse=True, return_counts=True)
    sums = np.stack([data[index == c].sum(axis=0) for c in range(len(sizes))])
    # Each row's centre without the row itself: its cluster's sum minus it, or, alone in its
    # cluster, the sum of all the other rows. One pass, O(n·d).
    centres = np.where((sizes[index] > 1)[:, None], sums[index], data.sum(axis=0)) - data
    norms = np.linalg.norm(centres, axis=1)
    dots = np.einsum("ij,ij->i", data, centres)
    cosine = np.divide(dots, norms, out=np.zeros(n), where=norms > 0)
    scores: npt.NDArray[np.float64] = 1.0 - cosine
    return scores


def ranked_outliers(scores: npt.NDArray[np.float64]) -> list[tuple[int, float]]:
    """(row, distance), farthest first."""
    order = np.argsort(-scores, kind="stable")
    return [(int(i), float(scores[i])) for i in order]


def default_threshold(scores: npt.NDArray[np.float64]) -> float:
    """A starting threshold: the mean distance plus two standard deviations (about the top 2–5%)."""
    if scores.size == 0:
        return 0.0
    return float(min(scores.max(), scores.mean() + 2 * scores.std()))


# --- recommend -----------------------------------------------------------------------------------


def recommend(
    x: Matrix, more: Sequence[int], less: Sequence[int] = (), count: int = 10
) -> list[tuple[int, float]]:
    """The rows nearest to the `more` rows and away from the `less` rows, best first, without the
    picked rows themselves: (row, score), the score being the cosine to the combined query."""
    if not more:
        return []
    data = as_matrix(x).astype(np.float64)
    query = data[list(more)].mean(axis=0)
    if less:
        query = query - LESS_WEIGHT * data[list(less)].mean(axis=0)
    norm = np.linalg.norm(query)
    if norm == 0:
        return []
    scores = data @ (query / norm)
    picked = set(more) | set(less)
    order = [int(i) for i in np.argsort(-scores, kind="stable") if int(i) not in picked]
    return [(i, float(scores[i])) for i in order[:count]]


def _short(text: str, width: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
