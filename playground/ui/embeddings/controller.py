"""Runs the Embeddings tab: estimates, batched requests with cache, analysis, search, exports.

Work runs through the `TaskRunner` in these groups:

* `"embeddings"`: one run: plan (worker thread) → batches (one request each, vectors cached as they
  arrive, a ledger row per request) → vectors from the cache and the analysis (worker thread).
* `"embeddings-search"`: embed the query (or take it from the cache) and rank the texts.
* `"embeddings-estimate"`, `"embeddings-analysis"`, `"embeddings-file"`: the live estimate (token
  counts and cache look-ups), re-clustering when k changes, reading an input file.

The live estimate is coalesced without timers, as `CountersController` does for Chat: while one
estimate runs, further edits only mark it stale, and one more runs when it ends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from playground.core.api.capabilities import ModelKind
from playground.core.api.errors import AppError, ErrorKind
from playground.core.api.retirements import retired_error
from playground.core.embeddings.cache import EmbeddingCache, EmbeddingCacheError
from playground.core.embeddings.files import (
    InputFileError,
    InputTable,
    ParsedTexts,
    parse_lines,
    read_table_or_explain,
)
from playground.core.embeddings.service import (
    MAX_MATRIX_TEXTS,
    BatchResult,
    EmbeddingPlan,
    EmbeddingService,
    RunProgress,
    check_dimensions,
    embedding_limits,
    prepare,
    run_plan,
)
from playground.core.models import Endpoint, LedgerEntry, ModelInfo, RequestStatus, Usage
from playground.core.money.formatting import format_cost, format_tokens
from playground.ui.common.feature import FeatureController
from playground.ui.embeddings.learning import GROUP as LEARN_GROUP
from playground.ui.embeddings.learning import EmbeddingsLearning
from playground.ui.embeddings.tab import EmbeddingsTab

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from playground.core.api.catalog import CatalogSnapshot
    from playground.core.api.session import ApiSession
    from playground.core.embeddings.maths import Analysis
    from playground.core.money.pricing import Pricer
    from playground.core.money.tokens import TokenCounter
    from playground.ui.shell.bridge import TaskRunner
    from playground.ui.shell.counters import CountersController

log = logging.getLogger(__name__)

MAX_SAVED_TEXT = 200_000  # characters of input text kept in the settings between runs


@dataclass
class EmbeddingResult:
    """A finished run: the texts that have vectors, the vectors as returned, and the analysis."""

    model: str
    dimensions: int | None
    texts: tuple[str, ...]
    vectors: npt.NDArray[np.float32]
    analysis: Analysis


class EmbeddingsController(FeatureController):
    """Connects the `EmbeddingsTab` to the embeddings service, the cache and the ledger.

    Args:
        view: the tab it runs.
        service: sends the requests.
        cache: the vectors already fetched.
        session: the provider profile (picks the prices).
        pricer: prices the estimate.
        counter: counts tokens for the estimate.
        counters: writes the ledger rows and shows them in the status bar.
        runner: runs the requests and the blocking work.
        cache_notice: why the cache lasts for this session only, if it does ("" otherwise).
        parent: the controller's QObject parent (the window).
        today: what day it is (judges which models are retired; tests pass a fixed date).
    """

    busy_groups = ("embeddings", "embeddings-search", LEARN_GROUP)

    def __init__(
        self,
        view: EmbeddingsTab,
        service: EmbeddingService,
        cache: EmbeddingCache,
        session: ApiSession,
        pricer: Pricer,
        counter: TokenCounter,
        counters: CountersController,
        runner: TaskRunner,
        *,
        cache_notice: str = "",
        parent: QObject | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__(view, parent)
        self.today = today
        self._listed: tuple[ModelInfo, ...] | None = None  # the model list, with shutdown dates
        self.tab = view
        self.session = session
        self.pricer = pricer
        self.counter = counter
        self.runner = runner
        self.counters = counters
        self.service = service
        self.cache = cache
        self.result: EmbeddingResult | None = None
        self.plan: EmbeddingPlan | None = None
        self.progress: RunProgress | None = None
        self.table: InputTable | None = None
        self._cache_notice = cache_notice
        self._estimating = False
        self._estimate_stale = False
        self._limits_model: str | None = None
        self._wanted_model = ""
        self._wanted_dimensions: int | None = None
        self._run_cost: Decimal | None = Decimal(0)
        self._run_requests = 0
        self._in_flight: tuple[int, ...] = ()

        view.inputs_changed.connect(self._on_inputs_changed)
        view.embed_requested.connect(self.embed)
        view.resume_requested.connect(self.embed)
        view.stop_requested.connect(self.stop)
        view.file_chosen.connect(self.load_file)
        view.column_chosen.connect(self._apply_column)
        view.search_requested.connect(self.search)
        view.k_changed.connect(self.recluster)
        view.export_requested.connect(self.export)
        view.clear_cache_requested.connect(self.clear_cache)
        runner.busy_changed.connect(self._on_busy_changed)
        self.learning = EmbeddingsLearning(
            view.classify_page,
            view.outliers_page,
            view.recommend_page,
            service,
            cache,
            counter,
            runner,
            lambda: (view.model(), view.dimensions()),
            lambda batch, model: self._record_batch(batch, model),
            parent=self,
        )
        self._on_inputs_changed()

    # --- the cache ------------------------------------------------------------------------------

    def clear_cache(self) -> None:
        """Deletes every cached vector, after asking; says how many went (or why not)."""
        if any(self.runner.is_busy(g) for g in self.busy_groups) or self.tab.confirm_box:
            return  # the button is disabled meanwhile; a run reads and writes the cache
        try:
            vectors = self.cache.count()
        except EmbeddingCacheError as exc:
            self.tab.show_error(AppError(ErrorKind.LOCAL, "Cache not read", str(exc)))
            return
        if not vectors:
            self.tab.show_result("The cache is empty: nothing to clear.")
            return

        def clear() -> None:
            try:
                self.cache.clear()
            except EmbeddingCacheError as exc:
                self.tab.show_error(AppError(ErrorKind.LOCAL, "Cache not cleared", str(exc)))
                return
            self.tab.show_result(
                f"Cleared {vectors:,} cached vector{'s' if vectors != 1 else ''}. The next run "
                "fetches every text again."
            )
            self._on_inputs_changed()  # the estimate now counts every text as new

        self.tab.ask_clear_cache(vectors, clear)

    # --- feature hooks --------------------------------------------------------------------------

    def show_models(self, snapshot: CatalogSnapshot | None) -> None:
        if snapshot is None:
            self.tab.set_models([], self._wanted_model or self.tab.model())
            return
        # The default follows `retirements.DEFAULT_RULES` (text-embedding-3-small when listed,
        # never a retired model); a retired wanted model gives way to it unless "Show retired".
        picker = snapshot.picker(ModelKind.EMBEDDING, self.today())
        self._listed = snapshot.models
        wanted = self._wanted_model or self.tab.model()
        current = wanted
        if not wanted or snapshot.get(wanted) is not None:
            current = picker.pick(wanted, self.tab.model_combo.shows_retired())
        default = picker.default.model if picker.default is not None else ""
        self.tab.set_models(list(picker.choices), current, default)

    def restore_state(self, state: dict[str, Any]) -> None:
        self._wanted_model = str(state.get("model") or "")
        dims = state.get("dimensions")
        self._wanted_dimensions = int(dims) if isinstance(dims, int) and dims > 0 else None
        if self._wanted_model:
            self.tab.select_model(self._wanted_model)
        text = state.get("text")
        if isinstance(text, str) and text:
            self.tab.set_text(text)
        k = state.get("k")
        if isinstance(k, int) and k > 0:
            self.tab.set_k(k)
        classify = state.get("classify")
        if isinstance(classify, dict):
            self.learning.restore_state(classify)
        self._limits_model = None
        self._on_inputs_changed()

    def save_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "model": self.tab.model(),
            "dimensions": self.tab.dimensions(),
            "k": self.tab.k(),
        }
        text = self.tab.text()
        if len(text) <= MAX_SAVED_TEXT:
            state["text"] = text
        state["classify"] = self.learning.save_state(MAX_SAVED_TEXT)
        return state

    def shutdown(self) -> None:
        for group in (
            *self.busy_groups,
            "embeddings-estimate",
            "embeddings-analysis",
            "embeddings-file",
            "embeddings-export",
        ):
            self.runner.cancel(group)
        self.cache.close()

    # --- estimate -------------------------------------------------------------------------------

    def _on_inputs_changed(self) -> None:
        model = self.tab.model()
        if model != self._limits_model:
            self._limits_model = model
            wanted = self._wanted_dimensions if model == self._wanted_model else None
            self.tab.set_limits(embedding_limits(model), model, wanted or self.tab.dimensions())
        if self._estimating:
            self._estimate_stale = True
            return
        self._start_estimate()

    def _start_estimate(self) -> None:
        parsed = parse_lines(self.tab.text())
        model, dims = self.tab.model(), self.tab.dimensions()
        if not parsed.texts:
            self.tab.set_estimate(self._skipped_note(parsed) or "Type or load some texts.")
            return
        if not model:
            self.tab.set_estimate(f"{len(parsed.texts):,} texts · choose a model to see the cost.")
            return
        self._estimating = True
        self._estimate_stale = False
        self.runner.start(
            self.runner.run_blocking(lambda: self._prepare(parsed, model, dims)),
            group="embeddings-estimate",
            on_result=lambda plan: self._estimate_done(plan, parsed),
            on_error=lambda err: self._estimate_failed(err),
            on_cancel=self._estimate_stopped,
        )

    def _estimate_done(self, plan: EmbeddingPlan, parsed: ParsedTexts) -> None:
        self._estimating = False
        if self._estimate_stale:
            self._start_estimate()
            return
        self.tab.set_estimate(self.describe_plan(plan, parsed))

    def _estimate_failed(self, error: AppError) -> None:
        self._estimating = False
        self.tab.set_estimate(f"Can't estimate: {error.message}")
        if self._estimate_stale:
            self._start_estimate()

    def _estimate_stopped(self) -> None:
        self._estimating = False

    def describe_plan(self, plan: EmbeddingPlan, parsed: ParsedTexts | None = None) -> str:
        """The estimate line: texts, skipped and oversize ones, tokens and cost, new vs cached."""
        parts = [f"<b>{len(plan.texts):,}</b> texts"]
        skipped = self._skipped_note(parsed) if parsed else ""
        if skipped:
            parts.append(skipped)
        lines = [" · ".join(parts)]
        if plan.oversize:
            where = ", ".join(
                f"line {parsed.line_numbers[i]}" if parsed and parsed.line_numbers else f"#{i + 1}"
                for i in plan.oversize[:5]
            )
            more = "…" if len(plan.oversize) > 5 else ""
            lines.append(
                f"<span style='color:{_red()}'>{len(plan.oversize):,} too long for "
                f"{plan.model} (over {plan.limits.max_tokens_per_input:,} tokens): {where}{more}. "
                "They will be left out; shorten or split them.</span>"
            )
        cost = self._estimate_cost(plan.model, plan.new_tokens)
        new = plan.new_count
        requests = len(plan.batches)
        send = (
            f"{format_tokens(plan.new_tokens, estimated=True)} · "
            f"{format_cost(cost, estimated=True) if cost is not None else 'price unknown'} "
            f"for <b>{new:,}</b> new "
            f"in {requests:,} request{'s' if requests != 1 else ''}"
            if new
            else "nothing to send"
        )
        cached = f" · <b>{len(plan.cached):,}</b> cached (free)" if plan.cached else ""
        lines.append(send + cached)
        if self._cache_notice:
            lines.append(self._cache_notice)
        return "<br>".join(lines)

    @staticmethod
    def _skipped_note(parsed: ParsedTexts) -> str:
        n = parsed.skipped_empty
        return f"{n:,} empty line{'s' if n != 1 else ''} skipped" if n else ""

    def _estimate_cost(self, model: str, tokens: int) -> Decimal | None:
        profile = self.session.profile
        cost: Decimal | None = self.pricer.estimate(model, tokens, profile.price_provider)
        return cost

    def _prepare(self, parsed: ParsedTexts, model: str, dims: int | None) -> EmbeddingPlan:
        counter = self.counter
        return prepare(
            parsed.texts,
            model,
            dims,
            lambda text: int(counter.count(text, model)),
            self.cache,
            skipped_empty=parsed.skipped_empty,
        )

    # --- a run ----------------------------------------------------------------------------------

    def embed(self) -> None:
        """Embed / Resume: plan, send what is not cached, then analyse everything."""
        if self.runner.is_busy("embeddings"):
            return
        parsed = parse_lines(self.tab.text())
        model, dims = self.tab.model(), self.tab.dimensions()
        problem = self._check_inputs(parsed, model, dims)
        if problem is not None:
            self.tab.show_error(problem)
            return
        self.tab.hide_error()
        self.tab.show_result("")
        self.tab.set_progress(0, 0, "Counting tokens and checking the cache…")
        self._run_cost, self._run_requests = Decimal(0), 0
        self.progress = RunProgress()
        self.runner.start(
            self._run(parsed, model, dims, self.progress),
            group="embeddings",
            on_result=self._on_run_done,
            on_error=self._on_run_failed,
            on_cancel=self._on_run_cancelled,
        )

    def stop(self) -> None:
        self.runner.cancel("embeddings")

    def _check_inputs(self, parsed: ParsedTexts, model: str, dims: int | None) -> AppError | None:
        if not parsed.texts:
            return AppError.local(
                "Nothing to embed",
                "There are no texts.",
                "Type texts, one per line, or open a file.",
            )
        if not model:
            return AppError.local(
                "No model chosen",
                "Choose an embedding model.",
                "Refresh the model list, or type a model id.",
            )
        why = check_dimensions(model, dims)
        if why:
            return AppError.local("Dimensions not accepted", why)
        return None

    async def _run(
        self, parsed: ParsedTexts, model: str, dims: int | None, progress: RunProgress
    ) -> EmbeddingResult:
        plan = await self.runner.run_blocking(lambda: self._prepare(parsed, model, dims))
        self.plan = plan
        usable = plan.usable
        if not usable:
            raise AppError.local(
                "Every text is too long",
                f"Each text is over {plan.limits.max_tokens_per_input:,} tokens, the most "
                f"{model} reads at once.",
                "Shorten or split them.",
            )
        self.tab.set_estimate(self.describe_plan(plan, parsed))
        progress.total_batches = len(plan.batches)
        self.tab.set_progress(0, len(plan.batches))
        self._in_flight = plan.batches[0] if plan.batches else ()
        await run_plan(plan, self.service, self.cache, progress, self._on_batch)
        self.tab.set_progress(
            len(plan.batches), len(plan.batches), "Drawing the similarity, clusters and pairs…"
        )
        texts = tuple(plan.texts[i] for i in usable)
        return await self.runner.run_blocking(lambda: self._analyse(model, dims, texts))

    def _analyse(self, model: str, dims: int | None, texts: tuple[str, ...]) -> EmbeddingResult:
        from playground.core.embeddings.maths import analyze, matrix_from_blobs

        found = self.cache.get_many(model, dims, texts)
        vectors = matrix_from_blobs([found[t] for t in texts])
        return EmbeddingResult(model, dims, texts, vectors, analyze(vectors))

    def _on_batch(self, number: int, result: BatchResult) -> None:
        assert self.plan is not None
        entry = self._record(result.usage, RequestStatus.OK, result.latency_ms, result.request_id)
        self._run_requests += 1
        if entry.cost is None or self._run_cost is None:
            self._run_cost = None
        else:
            self._run_cost += entry.cost
        total = len(self.plan.batches)
        following = number + 1
        self._in_flight = self.plan.batches[following] if following < total else ()
        self.tab.set_progress(following, total)

    def _record(
        self,
        usage: Usage,
        status: RequestStatus,
        latency_ms: float | None = None,
        request_id: str | None = None,
        model: str | None = None,
    ) -> LedgerEntry:
        entry = self.counters.record(
            profile=self.session.profile,
            tab="embeddings",
            model=model or (self.plan.model if self.plan else self.tab.model()),
            endpoint=Endpoint.EMBEDDINGS,
            usage=usage,
            latency_ms=latency_ms,
            status=status,
            request_id=request_id,
        )
        return entry

    def _record_batch(self, batch: BatchResult, model: str) -> None:
        """The ledger row of a request the learning pages made (examples, label descriptions)."""
        self._record(batch.usage, RequestStatus.OK, batch.latency_ms, batch.request_id, model)

    def show_result(self, result: EmbeddingResult) -> None:
        """Shows a finished run's analysis in every view (and searches and clusters it later)."""
        self.result = result
        analysis = result.analysis
        projection = analysis.projection
        self.tab.show_analysis(
            list(result.texts),
            analysis.similarity,
            projection.points,
            analysis.labels,
            projection.explained,
            analysis.pairs,
            analysis.suggested_k,
            analysis.k,
        )
        self.learning.set_vectors(result.model, result.dimensions, result.texts, analysis)

    def _show_partial(self, plan: EmbeddingPlan) -> None:
        """After a failure or Stop: the views for the texts whose vectors did arrive."""
        usable = [plan.texts[i] for i in plan.usable]

        def _subset() -> EmbeddingResult | None:
            have = self.cache.contains(plan.model, plan.dimensions, usable)
            texts = tuple(t for t in usable if t in have)
            if len(texts) < 2:
                return None
            return self._analyse(plan.model, plan.dimensions, texts)

        def _shown(result: EmbeddingResult | None) -> None:
            if result is None or self.runner.is_busy("embeddings"):
                return
            self.show_result(result)
            self.tab.show_result(
                f"Showing the {len(result.texts):,} of {len(usable):,} texts whose vectors "
                "arrived; Resume fetches the rest."
            )

        self.runner.start(
            self.runner.run_blocking(_subset),
            group="embeddings-analysis",
            on_result=_shown,
            on_error=lambda _e: None,  # the run's own error is already shown
        )

    def _on_run_done(self, result: EmbeddingResult) -> None:
        plan, progress = self.plan, self.progress
        assert plan is not None
        assert progress is not None
        self.tab.hide_progress()
        self.tab.hide_error()
        self.show_result(result)
        cached = len(plan.cached)
        if progress.done_batches:
            sent = (
                f"Sent {format_tokens(progress.usage.input_tokens)} · "
                f"{format_cost(self._run_cost)} in {progress.done_batches:,} "
                f"request{'s' if progress.done_batches != 1 else ''} for {plan.new_count:,} new"
            )
        else:
            sent = "Nothing sent ($0)"
        from_cache = f" · {cached:,} from the cache" if cached else ""
        width = result.vectors.shape[1] if result.vectors.size else 0
        self.tab.show_result(
            f"✓ {sent}{from_cache}. {len(result.texts):,} vectors of {width:,} numbers."
        )
        self._on_inputs_changed()  # everything is cached now: the estimate says so

    def _on_run_failed(self, error: AppError) -> None:
        self.tab.hide_progress()
        progress, plan = self.progress, self.plan
        if plan is not None:  # a retired model's 404 says so; the tab offers its replacement
            error = retired_error(error, plan.model, self._listed, self.today())
        if progress is None or plan is None or progress.failed_batch is None:
            self.tab.show_error(error)  # failed before sending (a local check, the cache)
            return
        self._record(Usage(), RequestStatus.ERROR)
        done, total = progress.done_batches, progress.total_batches
        left = total - done
        kept = (
            f" The {done:,} finished batch{'es' if done != 1 else ''} "
            f"{'are' if done != 1 else 'is'} saved in the cache."
            if done
            else ""
        )
        failed = AppError(
            error.kind,
            error.title,
            f"Batch {progress.failed_batch + 1} of {total} failed: {error.message}{kept}",
            error.hint,
            error.status,
            error.retry_after,
            error.request_id,
            error.details,
            replacement=error.replacement,
        )
        self.tab.show_error(
            failed, resume=f"Resume ({left:,} batch{'es' if left != 1 else ''} left)"
        )
        self._show_partial(plan)
        self._on_inputs_changed()

    def _on_run_cancelled(self) -> None:
        self.tab.hide_progress()
        progress, plan = self.progress, self.plan
        if progress is None or plan is None or not progress.total_batches:
            return
        if self._in_flight:
            # The server may have answered (and billed) the request we stopped waiting for.
            tokens = sum(plan.tokens[i] for i in self._in_flight)
            self._record(Usage(input_tokens=tokens, estimated=True), RequestStatus.CANCELLED)
        done, total = progress.done_batches, progress.total_batches
        left = total - done
        self.tab.show_error(
            AppError.local(
                "Stopped",
                f"Stopped after {done:,} of {total:,} batches; the finished ones are saved.",
            ),
            resume=f"Resume ({left:,} batch{'es' if left != 1 else ''} left)",
        )
        self._show_partial(plan)
        self._on_inputs_changed()

    # --- search, clusters -----------------------------------------------------------------------

    def search(self, query: str) -> None:
        result = self.result
        if result is None:
            self.tab.show_search_error(
                AppError.local("Nothing to search", "Embed some texts first.")
            )
            return
        self.runner.cancel("embeddings-search")
        self.tab.set_search_busy(True)
        self.runner.start(
            self._search(result, query),
            group="embeddings-search",
            on_result=lambda ranking: self.tab.show_search(query, ranking),
            on_error=self.tab.show_search_error,
        )

    async def _search(self, result: EmbeddingResult, query: str) -> list[tuple[int, float]]:
        from playground.core.embeddings.cache import unpack
        from playground.core.embeddings.maths import rank

        found = self.cache.get_many(result.model, result.dimensions, [query])
        if query in found:
            vector: list[float] = list(unpack(found[query]))
        else:
            batch = await self.service.embed(result.model, [query], result.dimensions)
            self.cache.put_many(result.model, result.dimensions, [(query, batch.vectors[0])])
            self._record(
                batch.usage, RequestStatus.OK, batch.latency_ms, batch.request_id, result.model
            )
            vector = batch.vectors[0]
        return await self.runner.run_blocking(lambda: rank(vector, result.analysis.matrix))

    def recluster(self, k: int) -> None:
        result = self.result
        if result is None:
            return
        from playground.core.embeddings.maths import kmeans

        self.runner.cancel("embeddings-analysis")
        matrix = result.analysis.matrix

        def _shown(labels: Any) -> None:
            if self.result is not result:
                return
            projection = result.analysis.projection
            self.tab.show_clusters(
                projection.points, labels, projection.explained, result.analysis.suggested_k, k
            )
            self.learning.set_clusters(labels)

        self.runner.start(
            self.runner.run_blocking(lambda: kmeans(matrix, k)),
            group="embeddings-analysis",
            on_result=_shown,
            on_error=self.tab.show_error,
        )

    # --- files and exports ----------------------------------------------------------------------

    def load_file(self, path: str) -> None:
        """Reads texts from a .txt, .csv or .jsonl file (in a worker thread)."""
        file = Path(path)
        self.runner.start(
            self.runner.run_blocking(read_table_or_explain, file),
            group="embeddings-file",
            on_result=self._on_table_loaded,
            on_error=self.tab.show_error,
        )

    def _on_table_loaded(self, table: InputTable) -> None:
        self.table = table
        self.tab.hide_error()
        self._apply_column(table.default_column)

    def _apply_column(self, column: str) -> None:
        table = self.table
        if table is None:
            return
        try:
            parsed = table.column(column)
        except InputFileError as exc:
            self.tab.show_error(AppError.local("Can't use that column", str(exc)))
            return
        # One text per line in the editor: line breaks inside a text become spaces.
        self.tab.set_text("\n".join(" ".join(t.split()) for t in parsed.texts))
        skipped = f"; {parsed.skipped_empty:,} empty skipped" if parsed.skipped_empty else ""
        where = f", column “{column}”" if len(table.columns) > 1 else ""
        self.tab.set_file_info(
            f"{len(parsed.texts):,} texts from {table.name}{where}{skipped}.",
            table.columns,
            column,
        )

    def export(self, kind: str, path: str) -> None:
        result = self.result
        if result is None:
            return
        from playground.core.embeddings import files as eio

        target = Path(path)
        texts = list(result.texts)

        def _write() -> str:
            try:
                if kind == "vectors-csv":
                    eio.write_vectors_csv(target, texts, result.vectors.tolist())
                elif kind == "vectors-npy":
                    eio.write_npy(target, result.vectors)
                elif kind == "vectors-jsonl":
                    eio.write_vectors_jsonl(target, texts, result.vectors.tolist())
                elif kind == "similarity-csv":
                    matrix = result.analysis.similarity
                    if matrix is None:
                        raise AppError.local(
                            "Too many texts",
                            f"The similarity matrix is kept for up to {MAX_MATRIX_TEXTS:,} texts.",
                            "Export the vectors instead.",
                        )
                    eio.write_similarity_csv(target, texts, matrix.tolist())
                else:
                    raise ValueError(f"unknown export {kind!r}")
            except OSError as exc:
                raise AppError.local(
                    "Can't save the file",
                    f"{target.name} cannot be written: {exc.strerror or exc}.",
                    "Choose another folder.",
                ) from exc
            what = "similarity matrix" if kind == "similarity-csv" else f"{len(texts):,} vectors"
            return f"Saved the {what} to {target.name}."

        self.runner.start(
            self.runner.run_blocking(_write),
            group="embeddings-export",
            on_result=self.tab.show_result,
            on_error=self.tab.show_error,
        )

    # --- plumbing -------------------------------------------------------------------------------

    def _on_busy_changed(self, group: str, busy: bool) -> None:
        if group == "embeddings":
            self.tab.set_busy(busy)
        elif group == "embeddings-search":
            self.tab.set_search_busy(busy)


def _red() -> str:
    from playground.ui.shell.theme import is_dark

    return "#ff8a80" if is_dark() else "#b3261e"
