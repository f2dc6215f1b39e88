"""Runs the Compare tab: every column (and every sample) streams at once, each through the API its
column chose (Chat Completions or Responses, `engine_for`).

Requests, rendering and counters are Chat's: `ChatRequest`/`Engine.stream` build and send,
`MessageView` renders the streamed Markdown, `Accounting.record` writes one ledger row per request
and `CountersController.request_recorded` updates the status bar.

The controller is the tab's `FeatureController` (`feature.build` makes it). It knows Chat only
through a `ChatLink` and its columns only by index, through the tab's slots.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QObject

from playground.core.api.capabilities import ModelKind, allowed, capabilities
from playground.core.api.catalog import CatalogSnapshot
from playground.core.api.errors import AppError
from playground.core.api.retirements import retired_error
from playground.core.api.session import ApiSession
from playground.core.chat.engine import Api, Engine, engine_for
from playground.core.chat.learned import learned_text, refused_setting, without
from playground.core.chat.service import ChatProgress, ChatRequest, ChatResult, ChatService
from playground.core.compare.diff import (
    SampleOutcome,
    column_summary,
    similarity_text,
    word_diff,
)
from playground.core.lab.suite import GridEstimate, estimate_grid
from playground.core.models import Endpoint, Message, ModelInfo, RequestStatus, Usage
from playground.core.money.accounting import Accounting
from playground.core.money.formatting import format_cost, format_tokens
from playground.core.money.metering import (
    RequestRecord,
    limit_tokens,
    reply_usage,
    unfinished_usage,
)
from playground.core.money.ratelimits import wait_for_room
from playground.core.money.tokens import TokenCounter
from playground.ui.common.chat_link import COMPARE_TAB, ChatLink, ChatSettings, CompareRequest
from playground.ui.common.chat_params import (
    API_CHAT_COMPLETIONS,
    API_RESPONSES,
    FIELD_NAMES,
    build_request,
)
from playground.ui.common.feature import FeatureController
from playground.ui.common.widgets import single_shot
from playground.ui.compare.tab import CompareTab
from playground.ui.shell.bridge import TaskRunner
from playground.ui.shell.counters import CountersController

log = logging.getLogger(__name__)

GROUP = "compare"
#: Requests of one run streaming at the same time; the others wait their turn (4 columns x 10
#: samples would otherwise open 40 connections at once and meet the account's rate limit).
MAX_IN_FLIGHT = 8
ESTIMATE_GROUP = "compare-estimate"
FRAME_MS = 16
RENDER_BUDGET_S = 0.008  # rendering time per frame; answers left over are rendered next frame
ESTIMATE_DELAY_MS = 300
#: The efforts an effort sweep prefers, when the model takes them (else the ones it takes).
SWEEP_EFFORTS = ("none", "low", "medium", "high")


@dataclass(slots=True)
class _Sample:
    """One request in flight: its column (index), sample number, request and what has arrived."""

    column: int
    index: int
    request: ChatRequest
    progress: ChatProgress = field(default_factory=ChatProgress)
    pending: list[str] = field(default_factory=list)
    outcome: SampleOutcome | None = None
    api: str = API_CHAT_COMPLETIONS
    # Set once the answer has fully arrived; the frame renderer sets it when its last text is drawn.
    drawn: asyncio.Event | None = None


class CompareController(FeatureController):
    """Turns the Compare tab's intents into concurrent streamed requests."""

    busy_groups = (GROUP,)
    view: CompareTab

    def __init__(
        self,
        view: CompareTab,
        service: ChatService,
        session: ApiSession,
        runner: TaskRunner,
        counter: TokenCounter,
        accounting: Accounting,
        counters: CountersController,
        chat: ChatLink,
        parent: QObject | None = None,
        default_api: str = API_CHAT_COMPLETIONS,
        today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__(view, parent)
        self.today = today  # judges which models are retired; tests pass a fixed date
        self._listed: tuple[ModelInfo, ...] | None = None  # the model list, with shutdown dates
        self.service = service
        service.on_headers = counters.take_headers  # rate-limit gauges
        self._engines: dict[str, Engine] = {
            API_CHAT_COMPLETIONS: service,
            API_RESPONSES: engine_for(Api.RESPONSES, session.client, counters.take_headers),
        }
        for column in view.column_ids():
            view.set_column_api(column, default_api)
        self.session = session
        self.runner = runner
        self.counter = counter
        self.accounting = accounting
        self.counters = counters
        self.chat = chat
        self._samples: list[_Sample] = []
        self._context: tuple[Message, ...] = ()  # earlier Chat turns sent before the message
        self._next_render = 0  # where the next frame starts rendering (round robin)
        self._frame = single_shot(self, FRAME_MS, self._render_pending)
        self._estimate_again = False
        self._estimated_high: Decimal | None = None
        self._estimate_timer = single_shot(self, ESTIMATE_DELAY_MS, self._update_estimate)
        view.draft_changed.connect(self.schedule_estimate)

        view.run_requested.connect(self.run)
        view.stop_requested.connect(self.stop)
        view.diff_changed.connect(self.update_diff)
        runner.busy_changed.connect(self._on_runner_busy_changed)
        view.column_model_changed.connect(self._on_model_changed)
        view.copy_from_chat_requested.connect(self.copy_from_chat)
        view.send_to_chat_requested.connect(self.send_to_chat)
        view.effort_sweep_requested.connect(self.effort_sweep)
        view.context_cleared.connect(self.forget_context)
        chat.on_compare(self.compare_this)

    # --- models and settings ----------------------------------------------------------------------

    def show_models(self, snapshot: CatalogSnapshot | None) -> None:
        picker = snapshot.picker(ModelKind.CHAT, self.today()) if snapshot else None
        self._listed = snapshot.models if snapshot is not None else None
        models = picker.ids() if picker else []
        choices = list(picker.choices) if picker else []
        default = picker.default.model if picker and picker.default else ""
        # A new column starts on Chat's model, the next ones on other models from the list.
        preferred = [m for m in (self.chat.chat_settings().model, *models) if m]
        view = self.view
        taken = {m for c in view.column_ids() if (m := view.column_model(c))}
        for column in view.column_ids():
            current = view.column_model(column)
            if not current:  # left empty when no other model is known yet
                current = next((m for m in preferred if m not in taken), "")
                taken.add(current)
            view.set_column_models(column, choices, current, default)
            self._on_model_changed(column, view.column_model(column))

    def _on_model_changed(self, column: int, model: str) -> None:
        self.view.set_column_capabilities(column, capabilities(model))

    def effort_sweep(self) -> None:
        """Fills the columns with column A's model and settings at several reasoning efforts
        (none, low, medium, high where the model takes them), then runs them if a message is
        typed."""
        if self.runner.is_busy(GROUP):
            return
        view = self.view
        settings = view.column_settings(0)
        model = settings["model"]
        efforts = allowed(model).efforts if model else ()
        if not efforts:
            view.set_status(
                f"Effort sweep: {model or 'the model in column A'} does not reason; pick a "
                "reasoning model in column A."
            )
            return
        levels = [e for e in SWEEP_EFFORTS if e in efforts]
        if len(levels) < 2:
            levels = list(efforts)
        levels = levels[: len(view.columns)]
        view.set_column_count(max(len(levels), 2))
        fields = {**settings["fields"], **settings["extras"]}
        for column, effort in zip(view.column_ids(), levels, strict=False):
            view.apply_column_settings(
                column,
                model,
                settings["system"],
                {**fields, "reasoning_effort": effort},
                settings["api"],
            )
            self._on_model_changed(column, model)
        view.set_status(f"Effort sweep of {model}: " + ", ".join(levels) + ".")
        if view.message().strip():
            self.run()

    def compare_models(
        self, models: Sequence[str], message: str, system: str, params: ChatRequest | None
    ) -> str:
        """One column per model (the rest of the settings from `params`), on `message`, run at
        once when it is not empty: the Retirements view's "Try the replacement". Returns what
        to tell the user when it did not run ("" when it did)."""
        if self.runner.is_busy(GROUP):
            return "Compare is still running; try again when it has finished."
        view = self.view
        fields = (
            {n: getattr(params, n) for n in FIELD_NAMES if getattr(params, n, None) is not None}
            if params is not None
            else {}
        )
        view.set_column_count(max(len(models), 2))
        for column, model in zip(view.column_ids(), models, strict=False):
            view.apply_column_settings(column, model, system, dict(fields))
            self._on_model_changed(column, model)
        if message.strip():
            view.set_message(message)
            self.run()
            return ""
        view.set_status("Type a message and press Run to see both models answer it.")
        return "Compare is ready with both models: type a message there and press Run."

    def compare_this(self, request: CompareRequest) -> None:
        """ "Compare this" in Chat: two columns with Chat's settings, the second with a higher
        temperature where the model takes sampling (else another reasoning effort), the
        conversation before the message sent along, ready to run."""
        if self.runner.is_busy(GROUP):
            self.stop()
        view = self.view
        settings = request.settings
        fields = dict(settings.fields)
        api = fields.get("api") or None
        second, what = _variation(settings.model, fields)
        view.set_column_count(2)
        for column, column_fields in ((0, fields), (1, second)):
            view.apply_column_settings(column, settings.model, settings.system, column_fields, api)
            self._on_model_changed(column, settings.model)
        self._context = request.context
        view.set_context(len(request.context))
        view.set_message(request.message)
        view.set_status(
            f"From Chat: both columns use {settings.model or 'Chat’s model'}; {what} "
            "Press Run to compare."
        )
        self.schedule_estimate()

    def forget_context(self) -> None:
        self._context = ()
        self.view.set_context(0)
        self.schedule_estimate()

    def copy_from_chat(self, column: int) -> None:
        chat = self.chat.chat_settings()
        model, system, fields = chat.model, chat.system, chat.fields
        api = fields.get("api")  # Chat's settings carry its API among the fields
        self.view.apply_column_settings(column, model, system, fields, api if api else None)

    def send_to_chat(self, column: int) -> None:
        settings = self.view.column_settings(column)
        self.chat.use_in_chat(
            ChatSettings(
                settings["model"],
                settings["system"],
                {**settings["fields"], **settings["extras"], "api": settings["api"]},
            )
        )

    def save_state(self) -> dict[str, Any]:
        view = self.view
        settings = [view.column_settings(c) for c in view.column_ids()]
        return {
            "show_retired": view.shows_retired(),
            "columns": view.column_count(),
            "samples": view.samples(),
            "input": view.message(),
            "settings": [
                {
                    "model": s["model"],
                    "system": s["system"],
                    "api": s["api"],
                    # The Responses settings that are plain values (built-in tools are not kept).
                    "fields": _jsonable(
                        {
                            **s["fields"],
                            **{k: v for k, v in s["extras"].items() if isinstance(v, str)},
                        }
                    ),
                }
                for s in settings
            ],
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        try:
            self.view.set_show_retired(bool(state.get("show_retired", False)))
            self.view.set_column_count(int(state.get("columns", 2)))
            self.view.set_samples(int(state.get("samples", 1)))
            self.view.set_message(str(state.get("input", "")))
            saved_columns = state.get("settings", [])
            for column, saved in zip(self.view.column_ids(), saved_columns, strict=False):
                if isinstance(saved, dict) and saved.get("model"):
                    self.view.apply_column_settings(
                        column,
                        str(saved["model"]),
                        str(saved.get("system", "")),
                        dict(saved["fields"]),
                        str(saved["api"]) if saved.get("api") else None,
                    )
        except (TypeError, ValueError) as exc:  # an old or hand-edited state: start fresh
            log.warning("compare: saved state ignored (%s)", exc)

    # --- running ----------------------------------------------------------------------------------

    def run(self) -> None:
        """Sends the shared message to every column, `samples` times each, all at once."""
        if self.runner.is_busy(GROUP):
            return
        view = self.view
        text = view.message().strip()
        if not text:
            view.set_status("Type a message first.")
            return
        columns = view.active_column_ids()
        problems = []
        for column in columns:
            letter = view.column_letter(column)
            if not view.column_model(column):
                problems.append(f"Column {letter}: pick a model.")
            problems += [f"Column {letter}: {p}" for p in view.column_problems(column)]
        if problems:
            view.set_status("Can't run yet. " + " ".join(problems))
            return
        self.counters.budgets.guard(
            view,
            "compareBudget",
            self.session.profile.name,
            self._estimated_high,  # the newest estimate's upper end (None before the first)
            lambda: self._run_now(text, columns),
            what="This run",
            on_refused=lambda message: view.set_status("Not run. " + message),
        )

    def _run_now(self, text: str, columns: Sequence[int]) -> None:
        view = self.view
        view.set_status("")
        samples = view.samples()
        self._samples = []
        for column in columns:
            view.begin_column(column, samples)
            view.show_column_diff(column, None)
            request = self._request(view.column_settings(column), text)
            for index in range(samples):
                self._samples.append(
                    _Sample(column, index, request, api=view.column_settings(column)["api"])
                )
        # Every column's first sample goes first, then every column's second, and so on.
        gate = asyncio.Semaphore(MAX_IN_FLIGHT)
        for sample in sorted(self._samples, key=lambda s: s.index):
            self._start(sample, gate)

    def _request(self, settings: dict[str, Any], text: str) -> ChatRequest:
        messages: list[Message] = []
        if settings["system"].strip():
            messages.append(Message("system", settings["system"]))
        messages += self._context
        messages.append(Message("user", text))
        fields = {**settings["fields"], "n": 1}  # samples are separate requests
        every = {**fields, **settings.get("extras", {}), "api": settings.get("api")}
        request = build_request(settings["model"], tuple(messages), every)
        return without(request, self.chat.refused(request.model))  # what its server refused

    # --- estimate -----------------------------------------------------------------------------------

    def schedule_estimate(self) -> None:
        """Re-estimates the run's cost shortly after the user stops typing."""
        self._estimate_timer.start()

    def _estimate_inputs(
        self,
    ) -> (
        tuple[
            list[ChatRequest],
            Callable[[Sequence[Message], str], int],
            Callable[[str, Usage], Decimal | None],
        ]
        | None
    ):
        """What the estimate needs, as plain objects (safe to hand to a worker thread)."""
        view = self.view
        text = view.message().strip()
        columns = [c for c in view.active_column_ids() if view.column_model(c)]
        if not text or not columns:
            return None
        requests = [self._request(view.column_settings(c), text) for c in columns] * view.samples()
        cost = functools.partial(self.accounting.cost, self.session.profile)
        return requests, self.counter.count_messages, cost

    def _update_estimate(self) -> None:
        if self.runner.is_busy(ESTIMATE_GROUP):
            self._estimate_again = True  # counted again when the running count ends
            return
        self._estimate_again = False
        inputs = self._estimate_inputs()
        if inputs is None:
            self.view.set_estimate("")
            self.counters.set_tab_draft(COMPARE_TAB, None, None)
            return

        async def count() -> GridEstimate:
            # Only plain objects go to the worker thread: a Qt object (this controller) released
            # there would be destroyed off the GUI thread.
            return await self.runner.run_blocking(estimate_grid, *inputs)

        def show(estimate: GridEstimate) -> None:
            self._show_estimate(estimate)
            self._estimate_ended()

        def failed(error: AppError) -> None:
            log.warning("compare: estimate failed: %s", error.text)
            self.view.set_estimate("")
            self.counters.set_tab_draft(COMPARE_TAB, None, None)
            self._estimate_ended()

        self.runner.start(count(), group=ESTIMATE_GROUP, on_result=show, on_error=failed)

    def estimate_now(self) -> None:
        """Counts on the GUI thread, at once (`--screenshot` only: short sample text)."""
        self._estimate_timer.stop()
        inputs = self._estimate_inputs()
        if inputs is None:
            self.view.set_estimate("")
        else:
            self._show_estimate(estimate_grid(*inputs))

    def _show_estimate(self, estimate: GridEstimate) -> None:
        self._estimated_high = estimate.high
        n = estimate.requests
        text = (
            f"{n} request{'s' if n != 1 else ''} · "
            f"{format_tokens(estimate.input_tokens, estimated=True)} in · "
            f"{format_cost(estimate.low, estimated=True)}–{format_cost(estimate.high)}"
        )
        if estimate.unpriced:
            text += " + ?"
        self.view.set_estimate(text)
        # The status bar's draft: the input of the whole run (every column and sample).
        self.counters.set_tab_draft(COMPARE_TAB, estimate.input_tokens, estimate.low)

    def _estimate_ended(self) -> None:
        if self._estimate_again:  # the draft changed while counting
            self._estimate_timer.start()

    def _start(self, sample: _Sample, gate: asyncio.Semaphore) -> None:
        def on_delta(choice: int, fragment: str) -> None:
            if choice != 0:
                return
            sample.pending.append(fragment)
            if not self._frame.isActive():
                self._frame.start()

        async def stream() -> ChatResult:
            async with gate:  # its latency and first-token time start when it is sent
                engine = (
                    self._engines[API_RESPONSES] if sample.api == API_RESPONSES else self.service
                )
                # Paced by the requests and tokens left (the reply headers), as Prompt Lab.
                request = sample.request
                tokens = limit_tokens(self.counter, request)
                await wait_for_room(self.counters.rate_limits, request.model, tokens=tokens)
                try:
                    result = await engine.stream(sample.request, on_delta, sample.progress)
                finally:
                    self.counters.rate_limits.release(sample.request.model)
            # The last text is drawn by the frame renderer, one finished answer per frame: closing
            # a long code block or table takes tens of milliseconds, and eight answers ending
            # together must not hold the window for all of them (bench/compare_stream.py).
            sample.drawn = asyncio.Event()
            if not self._frame.isActive():
                self._frame.start()
            await sample.drawn.wait()
            return result

        self.runner.start(
            stream(),
            group=GROUP,
            on_result=lambda result: self._on_result(sample, result),
            on_error=lambda error: self._on_error(sample, error),
            on_cancel=lambda: self._on_cancel(sample),
        )

    def stop(self) -> None:
        self.runner.cancel(GROUP)

    def shutdown(self) -> None:
        self.stop()

    def _flush(self, sample: _Sample) -> None:
        """Shows what arrived for `sample` since its last render."""
        if sample.pending:
            text = "".join(sample.pending)
            sample.pending.clear()
            self.view.append_answer(sample.column, sample.index, text)

    def _render_pending(self) -> None:
        """One frame: renders the answers in turn until the frame's budget is spent, so dozens of
        streams (4 columns × 10 samples) never hold the window for long; the rest go next frame."""
        started = time.perf_counter()
        count = len(self._samples)
        for offset in range(count):
            sample = self._samples[(self._next_render + offset) % count]
            self._flush(sample)
            if time.perf_counter() - started > RENDER_BUDGET_S:
                self._next_render = (self._next_render + offset + 1) % count
                break
        if time.perf_counter() - started <= RENDER_BUDGET_S:
            for ending in self._samples:
                if ending.drawn is not None and not ending.drawn.is_set():
                    self._flush(ending)
                    ending.drawn.set()
                    break
        if not self._frame.isActive() and any(
            s.pending or (s.drawn and not s.drawn.is_set()) for s in self._samples
        ):
            self._frame.start()
        streaming: dict[int, int] = {}
        answered: set[int] = set()
        for sample in self._samples:
            if sample.outcome is None:
                streaming[sample.column] = streaming.get(sample.column, 0) + sample.progress.chunks
            else:
                answered.add(sample.column)
        for column, chunks in streaming.items():
            if chunks and column not in answered:  # else it shows "1 of 3 answers in"
                self.view.set_column_stats(column, f"Streaming… {chunks:,} tokens")

    def _on_result(self, sample: _Sample, result: ChatResult) -> None:
        self._flush(sample)
        calls = result.choices[0].tool_calls if result.choices else ()
        usage = reply_usage(self.counter, sample.request, result.usage, result.text, calls)
        entry = self._record(sample, usage, RequestStatus.OK, result.elapsed_ms, result.request_id)
        sample.outcome = SampleOutcome(
            usage, entry.cost, result.elapsed_ms, result.ttft_ms, result.finish_reason
        )
        self.view.finish_answer(sample.column, sample.index, result.text)
        self._column_done(sample.column)

    def _on_error(self, sample: _Sample, error: AppError) -> None:
        # A retired model's 404 says so, with its replacement (the column offers "Use <model>").
        error = retired_error(error, sample.request.model, self._listed, self.today())
        model = sample.request.model
        setting = refused_setting(sample.request, error.param, error.code, error.message)
        if setting is not None:  # learned for the model, shared with Chat and Prompt Lab
            self.chat.learn_refusal(model, setting)
            error = dataclasses.replace(
                error, title="Setting refused", message=learned_text(model, setting), hint=""
            )
        self._end_partial(sample, RequestStatus.ERROR, error.text, "⚠ interrupted")
        self.view.show_column_error(sample.column, error.text, error)

    def _on_cancel(self, sample: _Sample) -> None:
        self._end_partial(sample, RequestStatus.CANCELLED, "stopped", "⏹ stopped")

    def _end_partial(self, sample: _Sample, status: RequestStatus, error: str, note: str) -> None:
        self._flush(sample)
        text = sample.progress.text
        usage = self._estimate(sample, text)
        entry = self._record(sample, usage, status, sample.progress.elapsed_ms, None)
        sample.outcome = SampleOutcome(
            usage, entry.cost, sample.progress.elapsed_ms, sample.progress.ttft_ms, "", error
        )
        self.view.finish_answer(sample.column, sample.index, text, note)
        self._column_done(sample.column)

    def _column_done(self, column: int) -> None:
        view = self.view
        mine = [s for s in self._samples if s.column == column]
        outcomes = [s.outcome for s in mine if s.outcome is not None]
        view.set_column_stats(column, _with_reasoning(column_summary(outcomes), outcomes))
        if len(outcomes) == len(mine):
            texts = [s.progress.text for s in mine if not (s.outcome and s.outcome.error)]
            view.set_column_similarity(column, similarity_text(texts))
            if all(s.outcome is not None for s in self._samples):
                self.update_diff()  # only once every column is complete
        else:
            view.set_column_stats(
                column,
                f"{len(outcomes)} of {len(mine)} answers in · "
                + _with_reasoning(column_summary(outcomes), outcomes),
            )

    def _estimate(self, sample: _Sample, output: str) -> Usage:
        # As Chat: nothing produced costs nothing; else text, images and tools are estimated
        # (core/money/metering.py).
        return unfinished_usage(self.counter, sample.request, None, output)

    def _record(
        self,
        sample: _Sample,
        usage: Usage,
        status: RequestStatus,
        latency_ms: float,
        request_id: str | None,
    ) -> Any:
        record = RequestRecord(
            profile=self.session.profile,
            tab="compare",
            model=sample.request.model,
            endpoint=Endpoint.CHAT,
            usage=usage,
            status=status,
            latency_ms=latency_ms,
            request_id=request_id,
        )
        return self.counters.write(record)

    # --- diff ------------------------------------------------------------------------------------

    def update_diff(self) -> None:
        """Highlights the differences between the two chosen columns' first answers (or clears)."""
        view = self.view
        pair = view.diff_pair()
        for column in view.column_ids():
            view.show_column_diff(column, None)
        if pair is None:
            return
        left, right = pair
        left_texts, right_texts = view.column_texts(left), view.column_texts(right)
        if not left_texts or not right_texts:
            return
        a, b = word_diff(left_texts[0], right_texts[0])
        view.show_column_diff(left, a)
        view.show_column_diff(right, b)

    def _on_runner_busy_changed(self, group: str, busy: bool) -> None:
        if group == GROUP:
            self.view.set_busy(busy)
            if not busy:
                self._frame.stop()
                for sample in self._samples:
                    self._flush(sample)


def _variation(model: str, fields: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Column B's fields for "Compare this", and what differs, in words: a higher temperature
    where the model takes sampling, otherwise another reasoning effort, otherwise nothing (two
    samples of the same settings)."""
    effort = fields.get("reasoning_effort") or None
    if not model:
        return dict(fields), "column B is the same (pick another model or setting there)."
    if allowed(model, effort).sampling:
        base = fields.get("temperature")
        base = 1.0 if base is None else float(base)
        higher = round(min(base + 0.5, 2.0), 2) if base < 2.0 else 1.0
        return (
            {**fields, "temperature": higher},
            f"column B has temperature {higher:g} (A: {base:g}).",
        )
    efforts = list(allowed(model).efforts)
    if efforts:
        if effort in efforts:  # the next one up (or down, from the top)
            at = efforts.index(effort)
            other = efforts[at + 1] if at + 1 < len(efforts) else efforts[max(at - 1, 0)]
        else:  # the model's default (medium, mostly): think harder
            other = "high" if "high" in efforts else efforts[-1]
        if other != effort:
            shown = effort or "the model's default"
            return (
                {**fields, "reasoning_effort": other},
                f"column B reasons at effort “{other}” (A: {shown}).",
            )
    return dict(fields), "column B is the same (pick another model or setting there)."


def _with_reasoning(summary: str, outcomes: list[SampleOutcome]) -> str:
    """The column's numbers with its reasoning tokens after the output tokens (an effort sweep
    compares exactly these)."""
    reasoning = sum(o.usage.reasoning_tokens for o in outcomes)
    if not reasoning or " out · " not in summary:
        return summary
    head, tail = summary.split(" out · ", 1)
    return f"{head} out · {format_tokens(reasoning)} reasoning · {tail}"


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    out["stop"] = list(out.get("stop") or ())
    out["tools"] = list(out.get("tools") or ())
    return out
