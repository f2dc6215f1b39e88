"""Connects the Chat tab to the chat service, the counters and the ledger.

Flow of one send: the view emits `send_requested(ChatDraft)`; the controller builds a `ChatRequest`
from the conversation, starts `ChatService.stream` through the `TaskRunner` (group "chat"), and the
service hands each text fragment to `ChatTab.append_delta`. When the task ends (reply, failure or
Stop) the controller prices the usage, writes the ledger row and updates the counters. A failed or
stopped reply keeps its partial text in the transcript and in the conversation.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import QObject, Signal

from playground.core.accounting import Accounting
from playground.core.capabilities import ModelKind, capabilities
from playground.core.catalog import CatalogSnapshot
from playground.core.chat import ChatProgress, ChatRequest, ChatResult, ChatService, Conversation
from playground.core.errors import AppError
from playground.core.formatting import (
    format_cost,
    format_duration_ms,
    format_price_per_mtok,
    format_tokens,
)
from playground.core.models import Endpoint, LedgerEntry, Message, RequestStatus, Usage
from playground.core.pricing import ModelPrices
from playground.core.session import ApiSession
from playground.core.tokens import TokenCounter
from playground.ui.bridge import TaskRunner
from playground.ui.controllers.counters import CountersController
from playground.ui.tabs.chat_tab import ChatDraft, ChatTab

GROUP = "chat"


class ChatController(QObject):
    """Owns the conversation and drives the Chat tab.

    Signals:
        reply_finished: a reply ended (done, stopped or failed). arg: the ledger entry written.
        error_shown: an error was shown in the tab. arg: the AppError.
        refresh_models_requested: the tab asked for a fresh model list.
    """

    reply_finished = Signal(object)
    error_shown = Signal(object)
    refresh_models_requested = Signal()

    def __init__(
        self,
        view: ChatTab,
        service: ChatService,
        session: ApiSession,
        runner: TaskRunner,
        counter: TokenCounter,
        accounting: Accounting,
        counters: CountersController,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.service = service
        self.session = session
        self.runner = runner
        self.counter = counter
        self.accounting = accounting
        self.counters = counters
        self.conversation = Conversation()

        view.send_requested.connect(self._on_view_send_requested)
        view.stop_requested.connect(self.stop)
        view.clear_requested.connect(self._on_view_clear_requested)
        view.draft_changed.connect(self._on_view_draft_changed)
        view.model_changed.connect(self._on_view_model_changed)
        view.refresh_models_requested.connect(self.refresh_models_requested)
        runner.busy_changed.connect(self._on_runner_busy_changed)

    # --- models --------------------------------------------------------------------------------

    def show_models(self, snapshot: CatalogSnapshot | None, preferred: str) -> None:
        """Fills the picker with the chat models of `snapshot`, keeping `preferred` selected."""
        models = snapshot.ids(ModelKind.CHAT) if snapshot else []
        current = self.view.model_combo.currentText().strip() or preferred
        if not current and models:
            current = _default_chat_model(models)
        self.view.set_models(models, current)

    def _on_view_model_changed(self, model: str) -> None:
        caps = capabilities(model)
        self.view.set_temperature_enabled(caps.sampling, caps.why)
        traits = [t for t, on in (("reasoning", caps.reasoning), ("vision", caps.vision)) if on]
        accepts = "Accepts: " + ", ".join(traits) if traits else ""
        self.view.set_model_info(accepts)
        if not model:
            return
        # The price table loads on first use (a quarter second): look it up off the GUI thread.
        pricer, provider = self.accounting.pricer, self.session.profile.price_provider
        loop = asyncio.get_event_loop()

        async def _lookup() -> ModelPrices | None:
            return await loop.run_in_executor(None, pricer.prices, model, provider)

        def _show(prices: ModelPrices | None) -> None:
            if self.view.draft().model != model:
                return  # the user picked another model meanwhile
            if prices is not None:
                price = (
                    f"Price: {format_price_per_mtok(prices.input_per_mtok)} in · "
                    f"{format_price_per_mtok(prices.output_per_mtok)} out"
                )
            else:
                price = "Price: unknown (set one in Settings → Prices)"
            self.view.set_model_info("<br>".join(line for line in (price, accepts) if line))

        self.runner.start(_lookup(), group="model-info", on_result=_show)

    # --- sending -------------------------------------------------------------------------------

    def _on_view_send_requested(self, draft: ChatDraft) -> None:
        text = draft.user_text.strip()
        if not text:
            self.view.show_error(AppError.local("Nothing to send", "Type a message first."))
            return
        if not draft.model:
            self.view.show_error(
                AppError.local(
                    "No model chosen",
                    "Pick a model in the Parameters panel.",
                    "If the list is empty, check the provider in Settings and press Refresh.",
                )
            )
            return
        self.conversation.system_prompt = draft.system_prompt
        request = ChatRequest(
            model=draft.model,
            messages=self.conversation.messages_with(text),
            temperature=draft.temperature,
            max_output_tokens=draft.max_output_tokens,
        )
        self.conversation.turns.append(Message("user", text))
        self.view.add_user_turn(text)
        self.view.clear_input()
        self.view.begin_reply(draft.model)
        turn = _Turn(request, ChatProgress(), self.conversation)

        def on_delta(index: int, fragment: str) -> None:
            # "New chat" detaches a running reply; answers beyond the first come with the n issue.
            if turn.conversation is self.conversation and index == 0:
                self.view.append_delta(fragment)

        self.runner.start(
            self.service.stream(request, on_delta, turn.progress),
            group=GROUP,
            on_result=lambda result: self._on_reply(turn, result),
            on_error=lambda error: self._on_failed(turn, error),
            on_cancel=lambda: self._on_cancelled(turn),
        )

    def stop(self) -> None:
        """Stops the reply at once; what arrived is kept and marked stopped."""
        self.runner.cancel(GROUP)

    def _on_reply(self, turn: _Turn, result: ChatResult) -> None:
        usage = result.usage or self._estimate(turn, result.text)
        turn.conversation.turns.append(Message("assistant", result.text))
        entry = self._record(turn, usage, RequestStatus.OK, result.elapsed_ms, result.request_id)
        if turn.conversation is self.conversation:
            self.view.finish_reply(_reply_info(result, usage, entry.cost))
        self.reply_finished.emit(entry)

    def _on_failed(self, turn: _Turn, error: AppError) -> None:
        entry = self._end_partial(turn, RequestStatus.ERROR)
        if turn.conversation is self.conversation:
            elapsed = format_duration_ms(turn.progress.elapsed_ms)
            self.view.finish_reply(f"Interrupted after {elapsed}", failed=bool(turn.progress.text))
            self.view.show_error(error)
        self.error_shown.emit(error)
        self.reply_finished.emit(entry)

    def _on_cancelled(self, turn: _Turn) -> None:
        entry = self._end_partial(turn, RequestStatus.CANCELLED)
        if turn.conversation is self.conversation:
            elapsed = format_duration_ms(turn.progress.elapsed_ms)
            self.view.finish_reply(f"Stopped after {elapsed}", stopped=True)
        self.reply_finished.emit(entry)

    def _end_partial(self, turn: _Turn, status: RequestStatus) -> LedgerEntry:
        """Keeps what arrived in its conversation and records an estimated usage row."""
        partial = turn.progress.text
        if partial:
            turn.conversation.turns.append(Message("assistant", partial))
        return self._record(
            turn, self._estimate(turn, partial), status, turn.progress.elapsed_ms, None
        )

    def _estimate(self, turn: _Turn, output_text: str) -> Usage:
        """A local tiktoken estimate, used when the server sent no usage (stop, failure, some servers)."""
        model = turn.request.model
        return Usage(
            input_tokens=self.counter.count_messages(turn.request.messages, model),
            output_tokens=self.counter.count(output_text, model) if output_text else 0,
            estimated=True,
        )

    def _record(
        self,
        turn: _Turn,
        usage: Usage,
        status: RequestStatus,
        latency_ms: float,
        request_id: str | None,
    ) -> LedgerEntry:
        entry = self.accounting.record(
            profile=self.session.profile,
            model=turn.request.model,
            endpoint=Endpoint.CHAT,
            usage=usage,
            latency_ms=latency_ms,
            status=status,
            conversation_id=turn.conversation.id,
            request_id=request_id,
        )
        self.counters.request_recorded(entry)
        if turn.conversation is self.conversation:
            self.show_conversation_totals()
        return entry

    def show_conversation_totals(self) -> None:
        totals = self.accounting.conversation_totals(self.conversation.id)
        cost = format_cost(totals.cost) + (" + ?" if totals.unpriced else "")
        n = totals.requests
        self.view.set_conversation_totals(
            f"{n} request{'s' if n != 1 else ''} · {format_tokens(totals.usage.input_tokens)} in · "
            f"{format_tokens(totals.usage.output_tokens)} out · {cost}"
        )

    # --- other view intents ----------------------------------------------------------------------

    def _on_view_clear_requested(self) -> None:
        self.stop()
        self.conversation = Conversation(system_prompt=self.view.draft().system_prompt)
        self.view.clear_transcript()
        self.view.set_conversation_totals("No requests yet")
        self._on_view_draft_changed()

    def _on_view_draft_changed(self) -> None:
        draft = self.view.draft()
        self.conversation.system_prompt = draft.system_prompt
        self.counters.estimate_draft(
            self.conversation.messages_with(draft.user_text), draft.model, self.session.profile
        )

    def _on_runner_busy_changed(self, group: str, busy: bool) -> None:
        if group == GROUP:
            self.view.set_busy(busy)


@dataclass(slots=True)
class _Turn:
    """One send in flight: its request, what has arrived, and the conversation it belongs to."""

    request: ChatRequest
    progress: ChatProgress
    conversation: Conversation


def _reply_info(result: ChatResult, usage: Usage, cost: Decimal | None) -> str:
    """The line under a reply: finish reason, speed, tokens, cost and fingerprint."""
    parts = [f"finish: {result.finish_reason or '—'}"]
    if result.ttft_ms is not None:
        parts.append(f"first token {format_duration_ms(result.ttft_ms)}")
    tps = result.tokens_per_second
    if tps is not None:
        parts.append(f"{tps:,.0f} tok/s")
    parts.append(f"{format_tokens(usage.input_tokens, estimated=usage.estimated)} in")
    parts.append(f"{format_tokens(usage.output_tokens, estimated=usage.estimated)} out")
    parts.append(format_cost(cost, estimated=usage.estimated))
    if result.system_fingerprint:
        parts.append(f"fingerprint {result.system_fingerprint}")
    return " · ".join(parts)


def _default_chat_model(models: list[str]) -> str:
    """A sensible first pick for a new user: a small, cheap current model if the list has one."""
    for hint in ("mini", "small", "nano"):
        for m in models:
            if hint in m and not capabilities(m).reasoning:
                return m
    return models[0]
