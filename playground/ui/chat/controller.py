"""Connects the Chat tab to the chat service, history, presets, counters and the ledger.

Flow of one send: the view emits `send_requested(ChatDraft)`; the controller appends the user turn,
builds a `ChatRequest` from the conversation and the parameters panel, and starts
`ChatService.stream` through the `TaskRunner` (group "chat"). The turns, the emptied input and the
history rows follow at the first fragment or a frame later (`_send`). Each fragment goes to the
answer's turn (incremental rendering) and to the history store (written at most a second behind). When the
task ends (answer, failure or Stop) the controller prices the usage, writes the ledger row, stores
the answer with its numbers and updates the counters. A failed or stopped answer keeps its partial
text in the conversation, marked.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QObject, QSignalBlocker, QTimer, Signal
from PySide6.QtWidgets import QApplication, QFileDialog

from playground.core.api.capabilities import ModelKind, capabilities
from playground.core.api.catalog import CatalogSnapshot
from playground.core.api.errors import AppError, ErrorKind
from playground.core.api.session import ApiSession
from playground.core.chat.presets import Preset, PresetStore, fill_variables, missing_variables
from playground.core.chat.schema import check_reply
from playground.core.chat.service import (
    ChatProgress,
    ChatRequest,
    ChatResult,
    ChatService,
    ChoiceResult,
    Conversation,
)
from playground.core.chat.vision import image_tokens
from playground.core.models import Endpoint, LedgerEntry, Message, RequestStatus, Role, Usage
from playground.core.moderation.service import (
    BatchResult,
    ModerationResult,
    ModerationService,
    pick_model,
)
from playground.core.moderation.service import summary as moderation_summary
from playground.core.money.accounting import Accounting
from playground.core.money.formatting import (
    format_cost,
    format_duration_ms,
    format_price_per_mtok,
    format_tokens,
)
from playground.core.money.pricing import ModelPrices
from playground.core.money.tokens import TokenCounter
from playground.core.storage.history import (
    HistoryError,
    HistoryStore,
    MessageMeta,
    MessageStatus,
    ModerationNote,
    StoredMessage,
)
from playground.ui.chat.conversation_view import TurnInfo, TurnWidget
from playground.ui.chat.tab import ChatDraft, ChatTab
from playground.ui.common.countdown import Countdown
from playground.ui.common.moderation_badge import CLEAR, FAILED, FLAGGED, PENDING
from playground.ui.shell.bridge import TaskRunner
from playground.ui.shell.counters import CountersController

log = logging.getLogger(__name__)

GROUP = "chat"
MODERATION_GROUP = "chat-moderation"
DRAFT_SAVE_DELAY_MS = 800


class ChatController(QObject):
    """Owns the open conversation and drives the Chat tab.

    Signals:
        reply_finished: an answer ended (done, stopped or failed). arg: the ledger entry written.
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
        history: HistoryStore | None = None,
        presets: PresetStore | None = None,
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
        self._estimated_request: ChatRequest | None = None  # the last draft sent for counting
        self.history = history or HistoryStore.in_memory()
        self.presets = presets
        self.conversation = Conversation()
        self.metas: list[MessageMeta] = []
        self._results: dict[int, ChatResult] = {}  # turn index -> result with all answers
        self._last_request: ChatRequest | None = None
        self._unfiled_send: _Turn | None = None  # a send whose turns and rows are not made yet
        self._moderation_models: list[str] = []
        self._retry = Countdown(self)
        self._retry.changed.connect(self.view.set_retry_countdown)
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_SAVE_DELAY_MS)
        self._draft_timer.timeout.connect(self.save_draft)
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(1000)  # a stalled stream is still on disk within a second
        self._flush_timer.timeout.connect(self._flush_history)

        view.send_requested.connect(self._on_view_send_requested)
        view.add_turn_requested.connect(self._on_view_add_turn_requested)
        view.stop_requested.connect(self.stop)
        view.retry_requested.connect(self.retry)
        view.clear_requested.connect(self.new_conversation)
        view.draft_changed.connect(self._on_view_draft_changed)
        view.model_changed.connect(self._on_view_model_changed)
        view.refresh_models_requested.connect(self.refresh_models_requested)
        view.copy_last_answer_requested.connect(self.copy_last_answer)
        view.export_requested.connect(self.export_conversation)
        view.import_conversation_requested.connect(self.import_conversation)
        view.view_code_requested.connect(self.show_code)
        view.import_requested.connect(self.paste_request)
        conv = view.conversation
        conv.edit_committed.connect(self._on_turn_edited)
        conv.role_toggled.connect(self._on_turn_role_toggled)
        conv.move_requested.connect(self._on_turn_moved)
        conv.delete_requested.connect(self._on_turn_deleted)
        conv.regenerate_requested.connect(self._on_turn_regenerate)
        conv.fork_requested.connect(self._on_turn_fork)
        conv.choice_selected.connect(self._on_choice_selected)
        conv.tool_results_submitted.connect(self._on_tool_results)
        history_panel = view.history
        history_panel.open_requested.connect(self.open_conversation)
        history_panel.new_requested.connect(self.new_conversation)
        history_panel.search_changed.connect(self._on_history_search)
        history_panel.rename_requested.connect(self._on_history_rename)
        history_panel.duplicate_requested.connect(self._on_history_duplicate)
        history_panel.delete_requested.connect(self._on_history_delete)
        history_panel.undo_delete_requested.connect(self._on_history_undo_delete)
        menu = view.preset_menu
        menu.save_requested.connect(self.save_preset)
        menu.load_requested.connect(self.load_preset)
        menu.rename_requested.connect(self._on_preset_rename)
        menu.delete_requested.connect(self._on_preset_delete)
        menu.import_requested.connect(self._on_preset_import)
        menu.export_requested.connect(self._on_preset_export)
        runner.busy_changed.connect(self._on_runner_busy_changed)
        # The first count loads the encoding off the GUI thread; show the estimate once it is ready.
        counters.draft_estimated.connect(self._on_draft_counted)
        self._refresh_presets()
        self.refresh_history()
        self._on_view_model_changed(view.params.current_model())

    # --- models --------------------------------------------------------------------------------

    def show_models(self, snapshot: CatalogSnapshot | None, preferred: str) -> None:
        """Fills the picker with the chat models of `snapshot`, keeping the current or `preferred` one."""
        models = snapshot.ids(ModelKind.CHAT) if snapshot else []
        self._moderation_models = snapshot.ids(ModelKind.MODERATION) if snapshot else []
        current = self.view.params.current_model() or preferred
        if not current and models:
            current = _default_chat_model(models)
        self.view.set_models(models, current)
        self._on_view_model_changed(self.view.params.current_model())

    def _on_view_model_changed(self, model: str) -> None:
        caps = capabilities(model)
        self.view.params.set_capabilities(caps)
        self.view.params.set_model_limits(caps.max_output, caps.context_window)
        self.view.attachments.set_vision_supported(
            caps.vision or not model,
            "This model does not take images. Pick a vision model to attach one.",
        )
        if not model:
            return
        # The price table loads on first use (a quarter second): look it up off the GUI thread.
        pricer, provider = self.accounting.pricer, self.session.profile.price_provider
        loop = asyncio.get_event_loop()

        async def _lookup() -> ModelPrices | None:
            return await loop.run_in_executor(None, pricer.prices, model, provider)

        def _show(prices: ModelPrices | None) -> None:
            if self.view.params.current_model() != model:
                return  # the user picked another model meanwhile
            if prices is not None:
                text = (
                    f"Price: {format_price_per_mtok(prices.input_per_mtok)} in · "
                    f"{format_price_per_mtok(prices.output_per_mtok)} out"
                )
            else:
                text = "Price: unknown (set one in Settings → Prices)"
            self.view.params.limits_label.setText(
                text + _limits_text(caps.context_window, caps.max_output)
            )

        self.runner.start(_lookup(), group="model-info", on_result=_show)

    # --- sending -------------------------------------------------------------------------------

    def _on_view_send_requested(self, draft: ChatDraft) -> None:
        text = draft.user_text.strip()
        if not text and not draft.images:
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
        problems = self.view.params.problems()
        missing = missing_variables([draft.system_prompt, draft.user_text], draft.variables)
        if missing:
            problems = [*problems, "Fill in " + ", ".join(f"{{{{{m}}}}}" for m in missing)]
        if problems:
            self.view.show_error(AppError.local("Can't send yet", " ".join(problems)))
            return
        self.conversation.system_prompt = fill_variables(draft.system_prompt, draft.variables)
        user = Message("user", fill_variables(text, draft.variables), images=draft.images)
        self.conversation.turns.append(user)
        self.metas.append(MessageMeta())
        # The request goes out first; the turns, history rows and input box follow (see _send).
        self._send(self._request_for(draft), user=user)

    def _on_view_add_turn_requested(self, role: str, draft: ChatDraft) -> None:
        """Adds an example turn (few-shot) without sending."""
        message = Message(
            "assistant" if role == "assistant" else "user",
            draft.user_text.strip(),
            images=draft.images,
        )
        self.conversation.system_prompt = draft.system_prompt
        self._append_turn(message, MessageMeta())
        self.view.clear_input()

    def _request_for(self, draft: ChatDraft) -> ChatRequest:
        messages = self.conversation.messages_with()
        return ChatRequest(model=draft.model, messages=messages, **draft.fields)

    def current_request(
        self, *, include_draft: bool = True, draft: ChatDraft | None = None
    ) -> ChatRequest:
        """The request Send would make now (for View code and the estimate); `draft` if the caller
        has just read it from the view."""
        draft = draft or self.view.draft()
        conversation = Conversation(
            id=self.conversation.id,
            system_prompt=fill_variables(draft.system_prompt, draft.variables),
            turns=list(self.conversation.turns),
        )
        text = fill_variables(draft.user_text.strip(), draft.variables)
        if include_draft and (text or draft.images):
            conversation.turns.append(Message("user", text, images=draft.images))
        return ChatRequest(model=draft.model, messages=conversation.messages_with(), **draft.fields)

    def _send(self, request: ChatRequest, *, user: Message | None = None) -> None:
        """Starts streaming an answer to `request` into a new assistant turn (after `user`'s turn,
        when the request sends a new message).

        The click only starts the request. Its steps (building it, writing it, reading the answer)
        run on this thread's loop, so any widget work between them delays the answer. The turns
        (the sent message's and the answer's) and the emptied input therefore appear together at
        the first fragment, or one frame (`FRAME_MS`) after the click when none has come by then
        (always, with a real server); the history rows and the moderation check follow a frame
        after that, never before the first token (bench/overhead.py).
        """
        self.view.hide_error()
        self._retry.stop()
        self._last_request = request
        turn = _Turn(request, ChatProgress(), self.conversation, _frame_timer(self), user=user)
        self._unfiled_send = turn

        def on_delta(index: int, fragment: str) -> None:
            if turn.conversation is not self.conversation:
                return  # "New chat" or another conversation opened: the answer is detached
            # Fragments arrive a token at a time; render them once per frame, not once each. The
            # first one is shown at once: time to first token is what the user waits for.
            turn.pending.setdefault(index, []).append(fragment)
            if not turn.first_shown:
                turn.first_shown = True
                self._show_send(turn)
                self._render_pending(turn)
            elif not turn.frame_timer.isActive():
                turn.frame_timer.start()

        def on_frame() -> None:
            self._show_send(turn)
            self._render_pending(turn)

        turn.frame_timer.timeout.connect(on_frame)
        self._flush_timer.start()
        self.runner.start(
            self.service.stream(request, on_delta, turn.progress),
            group=GROUP,
            on_result=lambda result: self._on_reply(turn, result),
            on_error=lambda error: self._on_failed(turn, error),
            on_cancel=lambda: self._on_cancelled(turn),
        )
        turn.frame_timer.start()  # shows the turns if no fragment comes within a frame

    def _show_send(self, turn: _Turn) -> None:
        """The widgets of a send (once): the sent message's turn, the answer's and the emptied
        input; its history rows and moderation check follow a frame later."""
        if turn.widget is not None:
            return
        if turn.conversation is not self.conversation:
            # Another conversation was opened in between: the answer is detached; its widget is
            # never shown.
            turn.widget = TurnWidget(0, Message("assistant", ""), TurnInfo(), self.view)
            turn.widget.hide()
            return
        if turn.user is not None:
            turn.user_widget = self.view.conversation.add_turn(turn.user, TurnInfo())
        turn.widget = self.view.conversation.add_turn(
            Message("assistant", ""), TurnInfo(status="streaming")
        )
        if turn.user is not None:
            with QSignalBlocker(self.view):  # the estimate of the next draft comes with the rows
                self.view.clear_input()
        if turn.progress.first_token_at is None:
            self.view.reply_info.setText("Waiting for the first token…")
        # After the frame that shows them: the rows and the history list are not what the user
        # waits for.
        QTimer.singleShot(FRAME_MS, self, lambda: self._file_send(turn))

    def _file_send(self, turn: _Turn) -> None:
        """Files a send in the history (once): the sent message, the parameters and the coming
        answer (with what of it was shown already); then estimates the emptied input and checks
        the message's moderation."""
        if turn.filed:
            return
        turn.filed = True
        if self._unfiled_send is turn:
            self._unfiled_send = None
        if turn.conversation is not self.conversation:
            return
        user = turn.user
        self._ensure_in_history()
        user_id = None
        if user is not None:
            try:
                user_id = self.history.append_message(self.conversation.id, user, MessageMeta())
            except HistoryError as exc:
                log.warning("history: %s", exc)
        self._save_params(turn.request)
        try:
            turn.message_id = self.history.begin_reply(self.conversation.id, turn.request.model)
            if turn.unfiled:
                self.history.stream_update(turn.message_id, "".join(turn.unfiled))
        except HistoryError as exc:
            log.warning("history: %s", exc)
        turn.unfiled = []
        self.refresh_history()
        if user is not None:
            self._on_view_draft_changed()  # the emptied input's estimate and Send state
            shown = turn.user_widget in self.view.conversation.turns  # not rebuilt meanwhile
            widget = turn.user_widget if shown else None
            self.check_moderation(widget, user.content, [i.url for i in user.images], user_id)

    def _render_pending(self, turn: _Turn) -> None:
        """Shows what arrived since the last frame and writes it to the history."""
        pending, turn.pending = turn.pending, {}
        if turn.conversation is not self.conversation or turn.widget is None:
            return
        for index, parts in sorted(pending.items()):
            text = "".join(parts)
            turn.widget.append_stream(index, text)
            if index != 0:
                continue
            if turn.message_id is None:
                if not turn.filed:
                    turn.unfiled.append(text)  # written when the answer's row is created
                continue
            try:
                self.history.stream_update(turn.message_id, text)
            except HistoryError as exc:  # a full disk must not stop the stream
                log.warning("history: %s", exc)
        if pending:
            self.view.reply_info.setText(f"Streaming… {turn.progress.chunks:,} tokens")

    def _settle_send(self, turn: _Turn) -> TurnWidget:
        """Before an outcome: the turns are shown and the send filed, whatever came first."""
        self._show_send(turn)
        self._file_send(turn)
        assert turn.widget is not None
        return turn.widget

    def stop(self) -> None:
        """Stops the answer at once; what arrived is kept and marked stopped."""
        self.runner.cancel(GROUP)

    def retry(self) -> None:
        """Sends the last request again, replacing its failed answer."""
        if self._last_request is None or self.runner.is_busy(GROUP):
            return
        turns = self.conversation.turns
        failed = (MessageStatus.ERROR, MessageStatus.STOPPED)
        if turns and turns[-1].role == "assistant" and self.metas[-1].status in failed:
            self._remove_turns_from(len(turns) - 1)
        self._send(
            dataclasses.replace(self._last_request, messages=self.conversation.messages_with())
        )

    # --- outcomes ------------------------------------------------------------------------------

    def _on_reply(self, turn: _Turn, result: ChatResult) -> None:
        self._settle_send(turn)
        self._flush_timer.stop()
        turn.frame_timer.stop()
        self._render_pending(turn)
        turn.frame_timer.deleteLater()
        usage = result.usage or self._estimate(turn, result.text)
        first = result.choices[0] if result.choices else ChoiceResult(0, "", "")
        entry = self._record(turn, usage, RequestStatus.OK, result.elapsed_ms, result.request_id)
        meta = MessageMeta(
            status=MessageStatus.OK,
            model=result.model,
            usage=usage,
            cost=entry.cost,
            finish_reason=first.finish_reason,
            request_id=result.request_id,
            system_fingerprint=result.system_fingerprint,
            ttft_ms=result.ttft_ms,
            elapsed_ms=result.elapsed_ms,
        )
        message = Message("assistant", first.text, tool_calls=first.tool_calls)
        turn.conversation.turns.append(message)
        if turn.conversation is self.conversation:
            self.metas.append(meta)
            self._results[len(self.conversation.turns) - 1] = result
        self._store_reply(turn, message, meta)
        if turn.conversation is self.conversation:
            widget = self._settle_send(turn)
            widget.message = message
            if widget.view.text() == first.text:
                widget.view.flush()  # the streamed text is complete: no need to render it again
            else:
                widget.view.set_text(first.text)
            info = _reply_info(result, usage, entry.cost)
            violations = self._schema_violations(turn.request, first.text)
            error = ""
            if first.refusal:
                error = f"The model refused: {first.refusal}"
            elif violations:
                error = "The answer does not match the schema:\n• " + "\n• ".join(violations[:8])
            widget.set_info(TurnInfo(meta=info, error=error))
            widget.show_choices([c.text for c in result.choices])
            widget.set_logprobs(list(first.logprobs))
            if first.tool_calls:
                widget.show_tool_calls(first.tool_calls, awaiting=True)
            self.view.reply_info.setText(info)
            self.check_moderation(widget, first.text, message_id=turn.message_id)
        self.reply_finished.emit(entry)

    def _on_failed(self, turn: _Turn, error: AppError) -> None:
        entry, meta = self._end_partial(turn, RequestStatus.ERROR, MessageStatus.ERROR, error.text)
        if turn.conversation is self.conversation:
            self._settle_send(turn).set_info(
                TurnInfo(meta=_partial_info(turn, meta), status="error", error=error.text)
            )
            self.view.reply_info.setText(
                f"Interrupted after {format_duration_ms(turn.progress.elapsed_ms)}"
            )
            self.view.show_error(error, retry=True)
            if error.kind == ErrorKind.RATE_LIMIT and error.retry_after:
                self._retry.start(max(round(error.retry_after), 1))
        self.error_shown.emit(error)
        self.reply_finished.emit(entry)

    def _on_cancelled(self, turn: _Turn) -> None:
        entry, meta = self._end_partial(turn, RequestStatus.CANCELLED, MessageStatus.STOPPED, "")
        if turn.conversation is self.conversation:
            self._settle_send(turn).set_info(
                TurnInfo(meta=_partial_info(turn, meta) + " · ⏹ stopped", status="stopped")
            )
            self.view.reply_info.setText(
                f"Stopped after {format_duration_ms(turn.progress.elapsed_ms)}"
            )
        self.reply_finished.emit(entry)

    def _end_partial(
        self, turn: _Turn, status: RequestStatus, stored: MessageStatus, error: str
    ) -> tuple[LedgerEntry, MessageMeta]:
        """Keeps what arrived (marked) and records an estimated usage row."""
        widget = self._settle_send(turn)
        self._flush_timer.stop()
        turn.frame_timer.stop()
        self._render_pending(turn)
        turn.frame_timer.deleteLater()
        partial = turn.progress.text
        usage = self._estimate(turn, partial)
        entry = self._record(turn, usage, status, turn.progress.elapsed_ms, None)
        meta = MessageMeta(
            status=stored, model=turn.request.model, usage=usage, cost=entry.cost, error=error,
            elapsed_ms=turn.progress.elapsed_ms, ttft_ms=turn.progress.ttft_ms,
        )  # fmt: skip
        message = Message("assistant", partial)
        turn.conversation.turns.append(message)
        if turn.conversation is self.conversation:
            self.metas.append(meta)
            widget.message = message
            widget.view.flush()
        self._store_reply(turn, message, meta)
        return entry, meta

    def _store_reply(self, turn: _Turn, message: Message, meta: MessageMeta) -> None:
        try:
            if turn.message_id is not None:
                self.history.finish_reply(turn.message_id, message.content, meta)
                if message.tool_calls:  # finish_reply stores text; the calls need the full message
                    self._persist_turns(turn.conversation)
            else:
                turn.message_id = self.history.append_message(turn.conversation.id, message, meta)
        except HistoryError as exc:
            log.warning("history: %s", exc)
        self.refresh_history()
        if turn.conversation is self.conversation:
            self._on_view_draft_changed()  # the next request carries this answer: estimate it

    def _schema_violations(self, request: ChatRequest, text: str) -> list[str]:
        fmt = request.response_format or {}
        if fmt.get("type") != "json_schema":
            return []
        schema = fmt.get("json_schema", {}).get("schema")
        return check_reply(text, schema) if isinstance(schema, dict) else []

    def _estimate(self, turn: _Turn, output_text: str) -> Usage:
        """A local tiktoken estimate, used when the server sent no usage (stop, failure, some servers)."""
        model = turn.request.model
        return Usage(
            input_tokens=self._input_tokens(turn.request),
            output_tokens=self.counter.count(output_text, model) if output_text else 0,
            estimated=True,
        )

    def _input_tokens(self, request: ChatRequest) -> int:
        return self.counter.count_messages(
            request.messages, request.model
        ) + self._extra_input_tokens(request)

    def _extra_input_tokens(self, request: ChatRequest) -> int:
        """Images and tool definitions: what the chat-message count leaves out."""
        tokens = 0
        for message in request.messages:
            tokens += sum(image_tokens(i.width, i.height, i.detail) for i in message.images)
        if request.tools:
            tokens += self.counter.count(json.dumps(list(request.tools)), request.model)
        return tokens

    def _record(
        self,
        turn: _Turn,
        usage: Usage,
        status: RequestStatus,
        latency_ms: float,
        request_id: str | None,
    ) -> LedgerEntry:
        entry = self.counters.record(
            profile=self.session.profile,
            model=turn.request.model,
            endpoint=Endpoint.CHAT,
            usage=usage,
            latency_ms=latency_ms,
            status=status,
            conversation_id=turn.conversation.id,
            request_id=request_id,
        )
        if turn.conversation is self.conversation:
            self.show_conversation_totals()
        return entry

    def show_conversation_totals(self) -> None:
        totals = self.accounting.conversation_totals(self.conversation.id)
        if not totals.requests:
            self.view.set_conversation_totals("No requests yet")
            return
        cost = format_cost(totals.cost) + (" + ?" if totals.unpriced else "")
        n = totals.requests
        self.view.set_conversation_totals(
            f"This conversation: {n} request{'s' if n != 1 else ''} · "
            f"{format_tokens(totals.usage.input_tokens)} in · "
            f"{format_tokens(totals.usage.output_tokens)} out · {cost}"
        )

    # --- moderation check ----------------------------------------------------------------------

    def check_moderation(
        self,
        widget: TurnWidget | None,
        text: str,
        image_urls: list[str] | None = None,
        message_id: int | None = None,
    ) -> None:
        """With the tab's "Moderate" box on, sends a turn's text (and images) to the moderation
        endpoint and shows the verdict as a badge on `widget`'s turn; the verdict is kept with the
        turn (`message_id` in the history), so the badge is there when the conversation is opened
        again. It runs beside the chat request (its own task group): nothing waits for it and
        nothing is blocked. Each request is a ledger row.
        """
        images = image_urls or []
        if widget is None or not self.view.moderation_check_on or not (text.strip() or images):
            return
        model = pick_model(self._moderation_models)
        widget.set_moderation(PENDING, "Checking…", f"Sending this turn to {model}")
        service = ModerationService(self.session.client)
        profile = self.session.profile  # the rows go to the provider the check was sent to

        def on_result(outcome: tuple[ModerationResult, list[BatchResult]]) -> None:
            result, answers = outcome
            for answer in answers:
                self.counters.record_moderation(
                    profile, model, RequestStatus.OK, answer.elapsed_ms, answer.request_id
                )
            badge, tip = moderation_summary(result)
            state = FLAGGED if result.flagged else CLEAR
            self._keep_moderation(widget, message_id, state, badge, tip)

        def on_error(error: AppError) -> None:
            self.counters.record_moderation(
                profile, model, RequestStatus.ERROR, None, error.request_id
            )
            self._keep_moderation(widget, message_id, FAILED, "Check failed", error.text)

        self.runner.start(
            service.check_message(model, text, images),
            group=MODERATION_GROUP,
            on_result=on_result,
            on_error=on_error,
            on_cancel=lambda: None,
        )

    def _keep_moderation(
        self, widget: TurnWidget, message_id: int | None, state: str, badge: str, tip: str
    ) -> None:
        """Shows a verdict on its turn and keeps it with the turn's metadata and stored row."""
        note = ModerationNote(state, badge, tip)
        # Not rebuilt (an edit, another conversation) meanwhile: its index is still its message's.
        if widget in self.view.conversation.turns:
            widget.set_moderation(state, badge, tip)
            if widget.index < len(self.metas):
                self.metas[widget.index] = dataclasses.replace(
                    self.metas[widget.index], moderation=note
                )
        if message_id is not None:
            try:
                self.history.set_moderation(message_id, note)
            except HistoryError as exc:  # edited or deleted meanwhile: the badge was for then
                log.info("history: %s", exc)

    # --- editing turns -------------------------------------------------------------------------

    def _append_turn(self, message: Message, meta: MessageMeta) -> None:
        self.conversation.turns.append(message)
        self.metas.append(meta)
        self._show_and_file_turn(message, meta)

    def _show_and_file_turn(self, message: Message, meta: MessageMeta) -> None:
        """The widget and the history row of a turn already in the conversation."""
        self.view.conversation.add_turn(message, TurnInfo())
        self._ensure_in_history()
        try:
            self.history.append_message(self.conversation.id, message, meta)
        except HistoryError as exc:
            log.warning("history: %s", exc)
        self.refresh_history()

    def _rebuild_view(self) -> None:
        self.view.conversation.set_turns(
            list(self.conversation.turns),
            [TurnInfo(meta=_meta_text(m), moderation=_badge(m)) for m in self.metas],
        )

    def _changed(self) -> None:
        self._rebuild_view()
        self._persist_turns(self.conversation)
        self._on_view_draft_changed()

    def _persist_turns(self, conversation: Conversation) -> None:
        if conversation is not self.conversation:
            return
        try:
            self._ensure_in_history()
            stored = [
                StoredMessage(id=0, message=m, meta=meta, created=_now())
                for m, meta in zip(self.conversation.turns, self.metas, strict=False)
            ]
            self.history.replace_messages(self.conversation.id, stored)
        except HistoryError as exc:
            log.warning("history: %s", exc)
        self.refresh_history()

    def _remove_turns_from(self, index: int) -> None:
        del self.conversation.turns[index:]
        del self.metas[index:]
        self._results = {k: v for k, v in self._results.items() if k < index}

    def _on_turn_edited(self, index: int, text: str, resend: bool) -> None:
        if self.runner.is_busy(GROUP) or index >= len(self.conversation.turns):
            return
        self.conversation.turns[index] = dataclasses.replace(
            self.conversation.turns[index], content=text
        )
        if resend:
            self._remove_turns_from(index + 1)
            self._changed()
            self._send(self._request_for(self.view.draft()))
        else:
            self._changed()

    def _on_turn_role_toggled(self, index: int) -> None:
        turn = self.conversation.turns[index]
        role: Role = "assistant" if turn.role == "user" else "user"
        self.conversation.turns[index] = dataclasses.replace(turn, role=role)
        self._changed()

    def _on_turn_moved(self, index: int, delta: int) -> None:
        other = index + delta
        if self.runner.is_busy(GROUP) or not 0 <= other < len(self.conversation.turns):
            return
        turns, metas = self.conversation.turns, self.metas
        turns[index], turns[other] = turns[other], turns[index]
        metas[index], metas[other] = metas[other], metas[index]
        self._changed()

    def _on_turn_deleted(self, index: int) -> None:
        if self.runner.is_busy(GROUP) or index >= len(self.conversation.turns):
            return
        del self.conversation.turns[index]
        del self.metas[index]
        self._changed()

    def _on_turn_regenerate(self, index: int) -> None:
        if self.runner.is_busy(GROUP) or index >= len(self.conversation.turns):
            return
        self._remove_turns_from(index)
        self._changed()
        self._send(self._request_for(self.view.draft()))

    def _on_turn_fork(self, index: int) -> None:
        try:
            self.save_draft()
            new_id = self.history.fork(self.conversation.id, index)
        except (HistoryError, ValueError) as exc:
            self.view.show_error(AppError.local("Could not fork", str(exc)))
            return
        self.open_conversation(new_id)

    def _on_choice_selected(self, index: int, choice: int) -> None:
        result = self._results.get(index)
        if result is None or not 0 <= choice < len(result.choices):
            return
        picked = result.choices[choice]
        self.conversation.turns[index] = Message(
            "assistant", picked.text, tool_calls=picked.tool_calls
        )
        self._changed()

    def _on_tool_results(self, index: int, results: dict[str, str]) -> None:
        """Adds the user's tool results as tool messages and lets the model continue."""
        if self.runner.is_busy(GROUP):
            return
        for call in self.conversation.turns[index].tool_calls:
            self._append_turn(
                Message("tool", results.get(call.id, ""), name=None, tool_call_id=call.id),
                MessageMeta(),
            )
        self._send(self._request_for(self.view.draft()))

    # --- conversations and history -------------------------------------------------------------

    def new_conversation(self) -> None:
        self.stop()
        self.save_draft()
        self._load_into_view(
            Conversation(system_prompt=self.view.draft().system_prompt), [], "", None
        )
        self.view.set_input("")
        self.refresh_history()

    def open_conversation(self, conversation_id: str) -> None:
        if conversation_id == self.conversation.id and self.conversation.turns:
            return
        self.stop()
        self.save_draft()
        try:
            stored = self.history.load(conversation_id)
            self.history.touch(conversation_id)
        except HistoryError as exc:
            self.view.show_error(AppError.local("Could not open the conversation", str(exc)))
            return
        conversation = stored.to_conversation()
        fields = _fields_of(stored.params)
        self._load_into_view(conversation, [m.meta for m in stored.messages], stored.title, fields)
        if stored.params.model:
            self.view.model_combo.setCurrentText(stored.params.model)
        self.view.set_input(stored.draft)
        self.refresh_history()

    def _load_into_view(
        self,
        conversation: Conversation,
        metas: list[MessageMeta],
        title: str,
        fields: dict[str, Any] | None,
    ) -> None:
        if self._unfiled_send is not None:  # a send just made still belongs to the old one
            self._settle_send(self._unfiled_send)
        self.conversation = conversation
        self.metas = list(metas) + [MessageMeta()] * (len(conversation.turns) - len(metas))
        self._results = {}
        self._last_request = None
        self.view.set_system_prompt(conversation.system_prompt)
        if fields is not None:
            self.view.params.set_fields(fields)
        self._rebuild_view()
        self.view.set_title(title)
        self.view.hide_error()
        self.view.reply_info.clear()
        self.show_conversation_totals()
        self._on_view_draft_changed()

    def _ensure_in_history(self) -> None:
        try:
            if not self.history.exists(self.conversation.id):
                self.history.create(
                    self.conversation.id,
                    params=ChatRequest(model=self.view.params.current_model(), messages=()),
                    system_prompt=self.conversation.system_prompt,
                )
        except HistoryError as exc:
            log.warning("history: %s", exc)

    def _save_params(self, request: ChatRequest) -> None:
        try:
            self.history.save_params(
                self.conversation.id,
                dataclasses.replace(request, messages=()),
                system_prompt=self.view.draft().system_prompt,
            )
        except HistoryError as exc:
            log.warning("history: %s", exc)

    def save_draft(self) -> None:
        """Keeps the unsent text (and the system prompt) so a restart loses nothing."""
        self._draft_timer.stop()
        draft = self.view.draft()
        try:
            if not draft.user_text and not self.history.exists(self.conversation.id):
                return
            self._ensure_in_history()
            self.history.save_draft(self.conversation.id, draft.user_text)
            self.history.save_params(
                self.conversation.id,
                ChatRequest(model=draft.model, messages=(), **draft.fields),
                system_prompt=draft.system_prompt,
            )
        except HistoryError as exc:
            log.warning("history: %s", exc)

    def _flush_history(self) -> None:
        try:
            self.history.flush_streams()
        except HistoryError as exc:
            log.warning("history: %s", exc)

    def refresh_history(self, query: str = "") -> None:
        try:
            rows = self.history.search(query) if query else self.history.list()
        except HistoryError as exc:
            log.warning("history: %s", exc)
            return
        self.view.history.set_conversations(rows, current_id=self.conversation.id)
        for row in rows:
            if row.id == self.conversation.id:
                self.view.set_title(row.title)

    def _on_history_search(self, query: str) -> None:
        self.refresh_history(query.strip())

    def _on_history_rename(self, conversation_id: str, title: str) -> None:
        try:
            self.history.rename(conversation_id, title)
        except HistoryError as exc:
            log.warning("history: %s", exc)
        self.refresh_history()

    def _on_history_duplicate(self, conversation_id: str) -> None:
        try:
            self.save_draft()
            new_id = self.history.duplicate(conversation_id)
        except HistoryError as exc:
            self.view.show_error(AppError.local("Could not duplicate", str(exc)))
            return
        self.open_conversation(new_id)

    def _on_history_delete(self, conversation_id: str) -> None:
        try:
            title = self.history.load(conversation_id).title
            self.history.delete(conversation_id)
        except HistoryError as exc:
            log.warning("history: %s", exc)
            return
        if conversation_id == self.conversation.id:
            self._load_into_view(
                Conversation(system_prompt=self.view.draft().system_prompt), [], "", None
            )
        self.refresh_history()
        self.view.history.show_undo(conversation_id, title)

    def _on_history_undo_delete(self, conversation_id: str) -> None:
        try:
            self.history.undo_delete(conversation_id)
        except HistoryError as exc:
            log.warning("history: %s", exc)
        self.refresh_history()

    def restore_last(self, conversation_id: str) -> None:
        """At start-up: reopen the conversation the user left (with its draft), if it still exists."""
        try:
            found = bool(conversation_id) and self.history.exists(conversation_id)
        except HistoryError as exc:
            log.warning("history: %s", exc)
            return
        if found:
            self.open_conversation(conversation_id)

    # --- presets -------------------------------------------------------------------------------

    def _refresh_presets(self) -> None:
        if self.presets is not None:
            self.view.preset_menu.set_presets(self.presets.list())

    def save_preset(self, name: str) -> None:
        if self.presets is None:
            return
        draft = self.view.draft()
        preset = Preset.from_request(
            name,
            ChatRequest(model=draft.model, messages=(), **draft.fields),
            system_prompt=draft.system_prompt,
        )
        self._preset_call(lambda store: store.save(preset))

    def load_preset(self, name: str) -> None:
        if self.presets is None:
            return
        preset = self.presets.get(name)
        if preset is None:
            return
        self.view.set_system_prompt(preset.system_prompt)
        self.view.params.set_fields(_fields_of(preset.params))
        if preset.model:
            self.view.model_combo.setCurrentText(preset.model)
        self._on_view_draft_changed()

    def _on_preset_rename(self, old: str, new: str) -> None:
        self._preset_call(lambda store: store.rename(old, new))

    def _on_preset_delete(self, name: str) -> None:
        self._preset_call(lambda store: store.delete(name))

    def _on_preset_import(self, path: str) -> None:
        def _import(store: PresetStore) -> None:
            with open(path, encoding="utf-8") as fh:
                _added, problems = store.import_json(fh.read())
            if problems:
                self.view.show_error(
                    AppError.local("Some presets were not imported", " ".join(problems))
                )

        self._preset_call(_import)

    def _on_preset_export(self, path: str) -> None:
        def _export(store: PresetStore) -> None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(store.export_json())

        self._preset_call(_export)

    def _preset_call(self, action: Callable[[PresetStore], object]) -> None:
        if self.presets is None:
            return
        try:
            action(self.presets)
        except (OSError, ValueError) as exc:
            self.view.show_error(AppError.local("Presets", str(exc)))
        self._refresh_presets()

    # --- code, import, export ------------------------------------------------------------------

    def show_code(self) -> None:
        from playground.ui.chat.code_dialog import CodeDialog

        profile = self.session.profile
        conn = self.session.connection()
        dialog = CodeDialog(
            self.current_request(),
            base_url=conn.base_url,
            azure=profile.kind.value == "azure",
            deployment=profile.azure_deployment or None,
            api_version=profile.api_version or None,
            parent=self.view,
        )
        dialog.setModal(False)
        dialog.open()

    def paste_request(self) -> None:
        from playground.ui.chat.code_dialog import ImportRequestDialog

        dialog = ImportRequestDialog(parent=self.view)
        dialog.request_applied.connect(self._apply_parsed)
        dialog.open()

    def _apply_parsed(self, parsed: Any) -> None:
        if parsed is None or parsed.request is None:
            return
        request: ChatRequest = parsed.request
        system = "\n\n".join(
            m.content for m in request.messages if m.role in ("system", "developer")
        )
        turns = [m for m in request.messages if m.role not in ("system", "developer")]
        last_user = (
            turns.pop().content
            if turns and turns[-1].role == "user" and not turns[-1].images
            else ""
        )
        self.new_conversation()
        self.conversation.turns = turns
        self.metas = [MessageMeta() for _ in turns]
        self.view.set_system_prompt(system)
        self.view.params.set_fields(_fields_of(request))
        if request.model:
            self.view.model_combo.setCurrentText(request.model)
        self._rebuild_view()
        if turns:
            self._persist_turns(self.conversation)
        self.view.set_input(last_user)

    def export_conversation(self, kind: str) -> None:
        from playground.core.chat.export import ExportConversation, ExportTurn, to_json, to_markdown

        suffix, filter_ = (
            (".md", "Markdown (*.md)") if kind == "markdown" else (".json", "JSON (*.json)")
        )
        title = self.view.title_label.text() or "conversation"
        path = self._ask_save_path(f"{_safe_filename(title)}{suffix}", filter_)
        if not path:
            return
        draft = self.view.draft()
        conversation = ExportConversation(
            title=title,
            system_prompt=draft.system_prompt,
            params={
                "model": draft.model,
                **{k: v for k, v in draft.fields.items() if v not in (None, (), False)},
            },
            turns=tuple(
                ExportTurn(m, meta.usage, meta.cost, meta.model or None, meta.finish_reason or None)
                for m, meta in zip(self.conversation.turns, self.metas, strict=False)
            ),
        )
        text = to_markdown(conversation) if kind == "markdown" else to_json(conversation)
        try:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            self.view.show_error(AppError.local("Could not save the file", str(exc)))

    def import_conversation(self) -> None:
        from playground.core.chat.export import from_json

        path = self._ask_open_path("JSON (*.json)")
        if not path:
            return
        try:
            with open(path, encoding="utf-8") as fh:
                conversation, problems = from_json(fh.read())
        except OSError as exc:
            self.view.show_error(AppError.local("Could not read the file", str(exc)))
            return
        if conversation is None:
            self.view.show_error(
                AppError.local("Not a Playground conversation", " ".join(problems))
            )
            return
        self.new_conversation()
        self.conversation.system_prompt = conversation.system_prompt
        self.conversation.turns = [t.message for t in conversation.turns]
        self.metas = [
            MessageMeta(
                usage=t.usage, cost=t.cost, model=t.model or "", finish_reason=t.finish_reason or ""
            )
            for t in conversation.turns
        ]
        self.view.set_system_prompt(conversation.system_prompt)
        self._rebuild_view()
        self._persist_turns(self.conversation)
        try:
            self.history.rename(self.conversation.id, conversation.title)
        except HistoryError as exc:
            log.warning("history: %s", exc)
        self.refresh_history()

    # Dialog seams: tests replace these on the instance instead of driving native file dialogs.
    def _ask_save_path(self, suggested: str, filter_: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self.view, "Export conversation", suggested, filter_)
        return path

    def _ask_open_path(self, filter_: str) -> str:
        path, _ = QFileDialog.getOpenFileName(self.view, "Open a conversation", "", filter_)
        return path

    def copy_last_answer(self) -> None:
        for message in reversed(self.conversation.turns):
            if message.role == "assistant" and message.content:
                QApplication.clipboard().setText(message.content)
                return

    # --- live estimate -------------------------------------------------------------------------

    def _on_view_draft_changed(self) -> None:
        draft = self.view.draft()
        blockers = self.view.params.problems()
        missing = missing_variables([draft.system_prompt, draft.user_text], draft.variables)
        if missing:
            blockers = [*blockers, "Fill in " + ", ".join(f"{{{{{m}}}}}" for m in missing)]
        self.view.set_send_blockers(blockers)
        self._draft_timer.start()
        request = self.current_request(draft=draft)
        self._estimated_request = request
        self.counters.estimate_draft(request.messages, draft.model, self.session.profile)
        self._show_estimate(request)

    def _on_draft_counted(self, tokens: int, _cost: object) -> None:
        # The count is of the newest draft's messages (the counters controller drops older ones):
        # the request built for it is reused, not read again from the (possibly long) text boxes.
        request = self._estimated_request
        if request is None:
            request = self._estimated_request = self.current_request()
        self._show_estimate(request, counted=tokens)

    def _show_estimate(self, request: ChatRequest, counted: int | None = None) -> None:
        """The estimate line and context bar. Long drafts use the count the counters controller made
        off the GUI thread (`counted`, the messages only); short ones are counted here."""
        model = request.model
        if not model or not self.counter.is_loaded(model):
            self.view.set_estimate("", None, False)
            return
        caps = capabilities(model)
        if counted is not None:
            tokens = counted + self._extra_input_tokens(request)
        elif sum(len(m.content) for m in request.messages) < 20_000:
            tokens = self._input_tokens(request)
        else:
            return  # the off-thread count will call back with the number
        max_out = request.max_output_tokens or caps.max_output or 0
        provider = self.session.profile.price_provider
        low = self.accounting.pricer.estimate(model, tokens, provider)
        high = self.accounting.pricer.cost(
            model, Usage(input_tokens=tokens, output_tokens=max_out), provider
        )
        cost = format_cost(low, estimated=True)
        if high is not None and max_out:
            cost += f"–{format_cost(high)}"
        window = caps.context_window
        fill = (tokens + (request.max_output_tokens or 0)) / window if window else None
        warn = bool(window and tokens > window)
        text = f"{format_tokens(tokens, estimated=True)}"
        if window:
            text += f" of {window:,} context"
        text += f" · {cost}"
        if warn:
            text += " · too long for this model"
        self.view.set_estimate(text, fill, warn)

    def _on_runner_busy_changed(self, group: str, busy: bool) -> None:
        if group == GROUP:
            self.view.set_busy(busy)


@dataclass(slots=True)
class _Turn:
    """One send in flight: its request, what has arrived, its conversation, widget and stored id."""

    request: ChatRequest
    progress: ChatProgress
    conversation: Conversation
    frame_timer: QTimer  # one frame's worth of fragments is rendered at a time
    user: Message | None = None  # the message this send added, if any
    message_id: int | None = None
    pending: dict[int, list[str]] = field(default_factory=dict)
    first_shown: bool = False
    widget: TurnWidget | None = None  # built at the first fragment or a frame after the click
    user_widget: TurnWidget | None = None  # the sent message's turn, built with `widget`
    filed: bool = False  # the history rows of the send are written
    unfiled: list[str] = field(default_factory=list)  # answer text shown before its row existed


FRAME_MS = 16


def _frame_timer(parent: QObject) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(FRAME_MS)
    return timer


def _fields_of(request: ChatRequest) -> dict[str, Any]:
    """The parameter-panel fields of a stored or pasted request (everything but model and messages)."""
    names = [f.name for f in dataclasses.fields(ChatRequest) if f.name not in ("model", "messages")]
    return {name: getattr(request, name) for name in names}


def _reply_info(result: ChatResult, usage: Usage, cost: Decimal | None) -> str:
    """The line under an answer: finish reason, speed, tokens, cost and fingerprint."""
    parts = [f"finish: {result.finish_reason or '—'}"]
    if result.ttft_ms is not None:
        parts.append(f"first token {format_duration_ms(result.ttft_ms)}")
    tps = result.tokens_per_second
    if tps is not None:
        parts.append(f"{tps:,.0f} tok/s")
    parts.append(f"{format_tokens(usage.input_tokens, estimated=usage.estimated)} in")
    if usage.cached_tokens:
        parts.append(f"{format_tokens(usage.cached_tokens)} cached")
    parts.append(f"{format_tokens(usage.output_tokens, estimated=usage.estimated)} out")
    if usage.reasoning_tokens:
        parts.append(f"{format_tokens(usage.reasoning_tokens)} reasoning")
    parts.append(format_cost(cost, estimated=usage.estimated))
    if result.system_fingerprint:
        parts.append(f"fingerprint {result.system_fingerprint}")
    return " · ".join(parts)


def _meta_text(meta: MessageMeta) -> str:
    """The line under a stored answer."""
    if meta.usage is None:
        return ""
    usage = meta.usage
    parts = []
    if meta.finish_reason:
        parts.append(f"finish: {meta.finish_reason}")
    if meta.ttft_ms is not None:
        parts.append(f"first token {format_duration_ms(meta.ttft_ms)}")
    parts.append(f"{format_tokens(usage.input_tokens, estimated=usage.estimated)} in")
    parts.append(f"{format_tokens(usage.output_tokens, estimated=usage.estimated)} out")
    parts.append(format_cost(meta.cost, estimated=usage.estimated))
    if meta.status == MessageStatus.STOPPED:
        parts.append("⏹ stopped")
    if meta.status == MessageStatus.ERROR:
        parts.append("⚠ interrupted")
    return " · ".join(parts)


def _partial_info(turn: _Turn, meta: MessageMeta) -> str:
    usage = meta.usage or Usage()
    return (
        f"{format_tokens(usage.output_tokens, estimated=True)} out so far · "
        f"{format_cost(meta.cost, estimated=True)} · after {format_duration_ms(turn.progress.elapsed_ms)}"
    )


def _limits_text(context: int | None, max_output: int | None) -> str:
    parts = []
    if context:
        parts.append(f"context {context:,}")
    if max_output:
        parts.append(f"max output {max_output:,}")
    return ("\n" + " · ".join(parts)) if parts else ""


def _safe_filename(title: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in " -_" else "_" for c in title).strip()
    return cleaned[:60] or "conversation"


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _default_chat_model(models: list[str]) -> str:
    """A sensible first pick for a new user: a small, cheap current model if the list has one."""
    for hint in ("mini", "small", "nano"):
        for m in models:
            if hint in m and not capabilities(m).reasoning:
                return m
    return models[0]


def _badge(meta: MessageMeta) -> tuple[str, str, str] | None:
    """The kept moderation verdict of a turn, as its badge shows it."""
    note = meta.moderation
    return None if note is None else (note.state, note.badge, note.tip)
