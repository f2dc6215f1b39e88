"""Runs the Embeddings tab's learning pages: Classify, Outliers and Recommend.

Part of `EmbeddingsController` (which builds it and hands it each finished run's vectors). Examples
and label descriptions are embedded like the tab's texts: through the cache (a text is never
embedded twice) and with a ledger row per request (`record`). The maths is
`core/embeddings/learn.py`, run off the GUI thread.

Task groups: `"embeddings-learn"` (embedding examples, training, labelling) and
`"embeddings-learn-file"` (reading an examples file).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from playground.core.api.errors import AppError
from playground.core.embeddings.cache import EmbeddingCache
from playground.core.embeddings.files import InputTable, read_table_or_explain
from playground.core.embeddings.service import (
    BatchResult,
    EmbeddingService,
    RunProgress,
    prepare,
    run_plan,
)
from playground.core.money.tokens import TokenCounter
from playground.ui.embeddings.learn_views import (
    MEASURE_CLUSTER,
    MODE_EXAMPLES,
    MODE_ZERO_SHOT,
    ClassifyPage,
    OutliersPage,
    RecommendPage,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from playground.core.embeddings.learn import CrossValidation, Examples, Prediction
    from playground.core.embeddings.maths import Analysis, Matrix
    from playground.ui.shell.bridge import TaskRunner

GROUP = "embeddings-learn"
LABEL_COLUMNS = ("label", "labels", "category", "class", "sentiment", "tag", "topic")
RECOMMENDATIONS = 10


@dataclass
class _Vectors:
    """The tab's last run, as the learning pages use it."""

    model: str
    dimensions: int | None
    texts: tuple[str, ...]
    analysis: Analysis


@dataclass
class _Trained:
    cv: CrossValidation | None
    examples: Examples | None
    predictions: list[Prediction]
    note: str


class EmbeddingsLearning(QObject):
    """Classify, Outliers and Recommend.

    Args:
        classify, outliers, recommend: the pages.
        service, cache, counter: embed (through the cache) and count tokens, as the tab does.
        runner: runs the requests and the maths.
        model: the model and dimensions picked in the tab (used before any run).
        record: writes the ledger row of one request (usage, latency, request id, model).
    """

    def __init__(
        self,
        classify: ClassifyPage,
        outliers: OutliersPage,
        recommend: RecommendPage,
        service: EmbeddingService,
        cache: EmbeddingCache,
        counter: TokenCounter,
        runner: TaskRunner,
        model: Callable[[], tuple[str, int | None]],
        record: Callable[[BatchResult, str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.classify = classify
        self.outliers = outliers
        self.recommend = recommend
        self.service = service
        self.cache = cache
        self.counter = counter
        self.runner = runner
        self._model = model
        self._record = record
        self.vectors: _Vectors | None = None
        self.table: InputTable | None = None
        self._columns = ("", "")
        self.predictions: list[Prediction] = []
        classify.train_requested.connect(self.train)
        classify.file_chosen.connect(self.load_file)
        classify.columns_chosen.connect(self._on_columns_chosen)
        classify.export_requested.connect(self.export)
        outliers.measure_changed.connect(lambda _m: self._update_outliers())
        recommend.recommend_requested.connect(self.recommend_for)

    # --- state -------------------------------------------------------------------------------------

    def save_state(self, max_text: int) -> dict[str, Any]:
        """The typed examples and label descriptions, the mode and the method (texts longer than
        `max_text` characters are not kept)."""
        page = self.classify
        state: dict[str, Any] = {"mode": page.mode(), "method": page.method()}
        for key, text in (
            ("examples", page.examples_text()),
            ("descriptions", page.descriptions_text()),
        ):
            if len(text) <= max_text:
                state[key] = text
        return state

    def restore_state(self, state: dict[str, Any]) -> None:
        page = self.classify
        page.set_mode(str(state.get("mode") or MODE_EXAMPLES))
        page.set_method(str(state.get("method") or "centroid"))
        page.set_examples_text(str(state.get("examples") or ""))
        page.set_descriptions_text(str(state.get("descriptions") or ""))

    # --- a run's vectors -------------------------------------------------------------------------

    def set_vectors(
        self, model: str, dimensions: int | None, texts: Sequence[str], analysis: Analysis
    ) -> None:
        """A run finished (or re-clustered): the pages work on these vectors from now on."""
        same = self.vectors is not None and self.vectors.texts == tuple(texts)
        self.vectors = _Vectors(model, dimensions, tuple(texts), analysis)
        if not same:
            self.recommend.set_texts(texts)
            self.predictions = []
            self.classify.show_predictions([], [])
        self._update_outliers()

    def set_clusters(self, labels: npt.NDArray[np.int32]) -> None:
        """The tab re-clustered (another k): outliers from their cluster follow."""
        if self.vectors is None:
            return
        from dataclasses import replace

        self.vectors.analysis = replace(self.vectors.analysis, labels=labels)
        self._update_outliers()

    def _update_outliers(self) -> None:
        vectors = self.vectors
        if vectors is None:
            return
        from playground.core.embeddings.learn import default_threshold, outlier_scores

        analysis = vectors.analysis
        clusters = analysis.labels if self.outliers.measure() == MEASURE_CLUSTER else None

        def _score() -> list[float]:
            return [float(s) for s in outlier_scores(analysis.matrix, clusters)]

        def _shown(scores: list[float]) -> None:
            if self.vectors is not vectors:
                return
            import numpy as np

            self.outliers.show_outliers(
                vectors.texts,
                scores,
                default_threshold(np.asarray(scores)),
                analysis.projection.points,
                analysis.labels,
                analysis.projection.explained,
            )

        self.runner.start_blocking(_score, group="embeddings-outliers", on_result=_shown)

    # --- recommend -------------------------------------------------------------------------------

    def recommend_for(self, more: list[int], less: list[int]) -> None:
        vectors = self.vectors
        if vectors is None:
            return
        from playground.core.embeddings.learn import recommend

        matrix = vectors.analysis.matrix
        self.runner.start_blocking(
            lambda: recommend(matrix, more, less, RECOMMENDATIONS),
            group="embeddings-recommend",
            on_result=self.recommend.show_recommendations,
        )

    # --- classify --------------------------------------------------------------------------------

    def load_file(self, path: str) -> None:
        file = Path(path)
        self.runner.start_blocking(
            lambda: read_table_or_explain(file),
            group="embeddings-learn-file",
            on_result=self._on_table_loaded,
            on_error=lambda error: self.classify.show_problem(error.text),
        )

    def _on_table_loaded(self, table: InputTable) -> None:
        if len(table.columns) < 2:
            self.classify.show_problem(
                f"{table.name} has one column only: labelled examples need two, one with the "
                "text and one with its label."
            )
            return
        self.table = table
        lowered = [c.lower() for c in table.columns]
        label = next(
            (table.columns[lowered.index(n)] for n in LABEL_COLUMNS if n in lowered),
            table.columns[-1],
        )
        text = table.default_column
        if text == label:
            text = next(c for c in table.columns if c != label)
        self._columns = (text, label)
        self.classify.show_problem("")
        self.classify.set_file(
            f"{len(table.rows):,} rows from {table.name}; they are added to any typed examples.",
            table.columns,
            text,
            label,
        )

    def _on_columns_chosen(self, text: str, label: str) -> None:
        self._columns = (text, label)

    def _examples(self) -> Examples:
        """The typed examples and those of the open file, together. Raises `LabelProblem`."""
        from playground.core.embeddings.learn import (
            Examples,
            examples_from_table,
            parse_typed_examples,
        )

        typed = parse_typed_examples(self.classify.examples_text())
        if self.table is None:
            return typed
        loaded = examples_from_table(self.table, *self._columns)
        return Examples(
            typed.texts + loaded.texts, typed.labels + loaded.labels, typed.skipped + loaded.skipped
        )

    def train(self) -> None:
        """Train and label: checks the examples (or descriptions), embeds them, cross-validates,
        and labels the tab's texts."""
        from playground.core.embeddings.learn import (
            LabelProblem,
            check_examples,
            parse_descriptions,
        )

        if self.runner.is_busy(GROUP):
            return
        vectors = self.vectors
        model, dims = (vectors.model, vectors.dimensions) if vectors else self._model()
        if not model:
            self.classify.show_problem("Choose an embedding model first (on the left).")
            return
        try:
            if self.classify.mode() == MODE_ZERO_SHOT:
                labels, descriptions = parse_descriptions(self.classify.descriptions_text())
                if vectors is None:
                    raise LabelProblem(
                        "Zero-shot labels the texts on the left: type them and press Embed first."
                    )
                job: Any = self._zero_shot(vectors, labels, descriptions)
            else:
                examples = self._examples()
                check_examples(examples)
                job = self._learn(model, dims, examples, vectors)
        except LabelProblem as problem:
            self.classify.show_problem(str(problem))
            return
        self.classify.set_busy(True)
        self.runner.start(job, group=GROUP, on_result=self._trained, on_error=self._failed)

    async def _embed(self, model: str, dims: int | None, texts: Sequence[str]) -> Matrix:
        """The vectors of `texts`: from the cache, the rest fetched (one ledger row a request)."""
        from playground.core.embeddings.maths import matrix_from_blobs

        counter = self.counter
        plan = await self.runner.run_blocking(
            lambda: prepare(
                list(dict.fromkeys(texts)),
                model,
                dims,
                lambda t: int(counter.count(t, model)),
                self.cache,
            )
        )
        if plan.oversize:
            raise AppError.local(
                "An example is too long",
                f"{len(plan.oversize)} example(s) are longer than {model} reads at once.",
                "Shorten them.",
            )
        await run_plan(
            plan, self.service, self.cache, RunProgress(), lambda _n, r: self._record(r, model)
        )
        found = await self.runner.run_blocking(lambda: self.cache.get_many(model, dims, texts))
        return matrix_from_blobs([found[t] for t in texts])

    async def _learn(
        self, model: str, dims: int | None, examples: Examples, vectors: _Vectors | None
    ) -> _Trained:
        from playground.core.embeddings.learn import Method, cross_validate, train

        x = await self._embed(model, dims, examples.texts)
        method = Method(self.classify.method())

        def _work() -> tuple[CrossValidation, list[Prediction]]:
            cv = cross_validate(x, examples, method)
            if vectors is None:
                return cv, []
            return cv, train(x, examples.labels, method).predict(vectors.analysis.matrix)

        cv, predictions = await self.runner.run_blocking(_work)
        right = int(cv.confusion.trace())
        total = int(cv.confusion.sum())
        note = (
            f"<b>{cv.accuracy:.0%} right</b> ({right} of {total}) on examples it had not "
            f"learned from ({method.label.lower()}, {cv.folds}-fold cross-validation, "
            f"{len(cv.classes)} labels)."
        )
        if examples.skipped:
            note += f" {examples.skipped} example(s) without text were left out."
        if vectors is None:
            note += " Type texts on the left and press Embed to label them."
        elif len(cv.mistakes) == 0:
            note += " It got every example right."
        return _Trained(cv, examples, predictions, note)

    async def _zero_shot(
        self, vectors: _Vectors, labels: list[str], descriptions: list[str]
    ) -> _Trained:
        from playground.core.embeddings.learn import zero_shot

        d = await self._embed(vectors.model, vectors.dimensions, descriptions)
        matrix = vectors.analysis.matrix
        predictions = await self.runner.run_blocking(lambda: zero_shot(matrix, d, labels))
        note = (
            f"Zero-shot: each text got the nearest of the {len(labels)} label descriptions. "
            "There are no examples to check it against: read the labels to judge, or switch to "
            "examples for an accuracy."
        )
        return _Trained(None, None, predictions, note)

    def _trained(self, trained: _Trained) -> None:
        self.classify.set_busy(False)
        texts = trained.examples.texts if trained.examples is not None else ()
        self.classify.show_report(trained.cv, texts, trained.note)
        vectors = self.vectors
        self.predictions = trained.predictions
        self.classify.show_predictions(vectors.texts if vectors else (), trained.predictions)

    def _failed(self, error: AppError) -> None:
        self.classify.set_busy(False)
        self.classify.show_report(None, (), "")
        self.classify.show_problem(error.text)

    def export(self, path: str) -> None:
        from playground.core.embeddings.learn import predictions_csv, predictions_jsonl

        vectors = self.vectors
        if vectors is None or not self.predictions:
            return
        texts, predictions = vectors.texts, list(self.predictions)
        target = Path(path)
        if target.suffix.lower() not in (".csv", ".jsonl"):
            target = target.with_suffix(".csv")

        def _write() -> str:
            if target.suffix.lower() == ".jsonl":
                body = predictions_jsonl(texts, predictions)
            else:
                body = predictions_csv(texts, predictions)
            target.write_text(body, encoding="utf-8")
            return target.name

        self.runner.start_blocking(
            _write,
            group="embeddings-learn-file",
            on_result=lambda name: self.classify.show_note(
                f"{len(predictions):,} labelled texts saved to {name}."
            ),
            on_error=lambda error: self.classify.show_problem(f"Could not save: {error.text}"),
        )
