"""Chat's sending and streaming: one send from the click to the stored, priced answer, Stop and
Retry, the model's price line and the live estimate of the draft.

Flow of one send: the view emits `send_requested(ChatDraft)`; the user turn is appended, a
`ChatRequest` is built from the conversation and the parameters, and `ChatService.stream` starts
through the `TaskRunner` (group "chat"). The turns, the emptied input and the history rows follow
at the first fragment or a frame later (`_send`). Each fragment goes to the answer's turn
(incremental rendering) and to the history store (written at most a second behind). When the task
ends (answer, failure or Stop) the usage is priced, the ledger row written, the answer stored with
its numbers and the counters updated. A failed or stopped answer keeps its partial text in the
conversation, marked.

One send touches the history store once per row it makes (filed in one step, `file_send`, with
no reads), refreshes the history list once, queries the conversation's totals once and
re-estimates the draft once (tests/gui/test_chat_controller.py counts them).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QObject, QSignalBlocker, QTimer

from playground.core.api.capabilities import ModelKind, capabilities
from playground.core.api.catalog import CatalogSnapshot
from playground.core.api.errors import AppError, ErrorKind
from playground.core.api.retirements import send_notice
from playground.core.api.retry import RetryWait
from playground.core.api.session import ApiSession
from playground.core.chat.builtin_tools import McpApproval
from playground.core.chat.engine import Api, Engine, engine_for
from playground.core.chat.leaks import describe, find_secrets
from playground.core.chat.presets import fill_variables, missing_variables
from playground.core.chat.schema import check_reply
from playground.core.chat.service import (
    ChatProgress,
    ChatRequest,
    ChatResult,
    ChatService,
    ChoiceResult,
    Conversation,
    ProgressEvent,
    ReasoningDelta,
    ResponsesRequest,
    StepChanged,
)
from playground.core.models import Endpoint, LedgerEntry, Message, RequestStatus, Usage
from playground.core.money.accounting import Accounting
from playground.core.money.formatting import (
    format_cost,
    format_duration_ms,
    format_price_per_mtok,
    format_tokens,
)
from playground.core.money.metering import (
    RequestRecord,
    extra_input_tokens,
    input_tokens,
    reply_usage,
    unfinished_usage,
)
from playground.core.money.pricing import ModelPrices
from playground.core.money.tokens import TokenCounter
from playground.core.storage.history import (
    HistoryError,
    HistoryStore,
    MessageMeta,
    MessageStatus,
    NotInHistoryError,
    pick_answer,
)
from playground.ui.chat.conversation_view import TurnInfo, TurnWidget
from playground.ui.chat.conversations import ConversationHistory
from playground.ui.chat.moderation_check import ModerationCheck
from playground.ui.chat.state import FRAME_MS, GROUP, ChatState, InFlight, frame_timer
from playground.ui.chat.tab import ChatDraft, ChatTab
from playground.ui.chat.texts import (
    default_chat_model,
    limits_text,
    partial_info,
    reply_details,
    reply_info,
)
from playground.ui.common.chat_params import API_CHAT_COMPLETIONS, API_RESPONSES
from playground.ui.common.countdown import Countdown
from playground.ui.common.question import ask
from playground.ui.common.wait_line import WaitLine
from playground.ui.shell.bridge import TaskRunner
from playground.ui.shell.counters import CountersController

log = logging.getLogger(__name__)


_PRE_SEND_CHECKS = ("secrets", "length")


class ChatSending(QObject):
    """Sends the draft, streams the answer into the tab, and prices and stores it."""

    def __init__(
        self,
        state: ChatState,
        view: ChatTab,
        service: ChatService,
        session: ApiSession,
        runner: TaskRunner,
        counter: TokenCounter,
        accounting: Accounting,
        counters: CountersController,
        history: HistoryStore,
        conversations: ConversationHistory,
        moderation: ModerationCheck,
        parent: QObject | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.today = today
        self._snapshot: CatalogSnapshot | None = None
        self._noticed: set[str] = set()  # conversations told of their model's retirement
        self.view = view
        self.service = service
        # One engine per API; each send goes through the one its conversation uses.
        self.engines: dict[str, Engine] = {
            API_CHAT_COMPLETIONS: service,
            API_RESPONSES: engine_for(Api.RESPONSES, session.client),
        }
        self.session = session
        self.runner = runner
        self.counter = counter
        self.accounting = accounting
        self.counters = counters
        self.history = history
        self.conversations = conversations
        self.moderation = moderation
        self._estimated_request: ChatRequest | None = None  # the last draft sent for counting
        # (model, last message's text, tokens) of the newest estimate: the length check uses it.
        self._counted: tuple[str, str, int] | None = None
        self._retry = Countdown(self)
        self._retry.changed.connect(view.set_retry_countdown)
        self._retry.text_changed.connect(self._on_retry_text)
        self._failed_error: AppError | None = None
        # How long the request has waited, and each retry as it is announced (core.api.retry).
        self.wait_line = WaitLine(self)
        self.wait_line.text_changed.connect(view.set_reply_info)
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(1000)  # a stalled stream is still on disk within a second
        self._flush_timer.timeout.connect(self._flush_history)
        # The first count loads the encoding off the GUI thread; show the estimate once it is ready.
        counters.draft_estimated.connect(self._on_draft_counted)

    @property
    def conversation(self) -> Conversation:
        return self.state.conversation

    def engine(self, api: str) -> Engine:
        """The engine for `api` ("responses" or "chat.completions")."""
        return self.engines[API_RESPONSES] if api == API_RESPONSES else self.service

    # --- models --------------------------------------------------------------------------------

    def show_models(self, snapshot: CatalogSnapshot | None, preferred: str) -> None:
        """Fills the picker with the chat models of `snapshot`, keeping the current or `preferred` one."""
        self._snapshot = snapshot
        models = snapshot.ids(ModelKind.CHAT) if snapshot else []
        self.state.moderation_models = snapshot.ids(ModelKind.MODERATION) if snapshot else []
        current = self.view.current_model() or preferred
        if not current and models:
            current = default_chat_model(models)
        self.view.set_models(models, current)
        self.model_changed(self.view.current_model())

    def model_changed(self, model: str) -> None:
        caps = capabilities(model)
        self.view.set_model_capabilities(caps, model)
        if not model:
            return
        # The price table loads on first use (a quarter second): look it up off the GUI thread.
        pricer, provider = self.accounting.pricer, self.session.profile.price_provider

        def _show(prices: ModelPrices | None) -> None:
            if self.view.current_model() != model:
                return  # the user picked another model meanwhile
            if prices is not None:
                text = (
                    f"Price: {format_price_per_mtok(prices.input_per_mtok)} in · "
                    f"{format_price_per_mtok(prices.output_per_mtok)} out"
                )
            else:
                text = "Price: unknown (set one in Settings → Prices)"
            self.view.set_model_info(text + limits_text(caps.context_window, caps.max_output))

        self.runner.start_blocking(
            pricer.prices, model, provider, group="model-info", on_result=_show
        )

    # --- sending -------------------------------------------------------------------------------

    def send_draft(self, draft: ChatDraft) -> None:
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
        problems = self.view.param_problems()
        missing = missing_variables([draft.system_prompt, draft.user_text], draft.variables)
        if missing:
            problems = [*problems, "Fill in " + ", ".join(f"{{{{{m}}}}}" for m in missing)]
        if problems:
            self.view.show_error(AppError.local("Can't send yet", " ".join(problems)))
            return
        self._confirm_then_send(draft, list(_PRE_SEND_CHECKS))

    def _confirm_then_send(self, draft: ChatDraft, checks: list[str]) -> None:
        """Asks each question a draft raises (a secret in it, too long for the model) in turn,
        window-modal, with "Send anyway"; sends when every answer is yes. Never blocks silently."""
        while checks:
            check = checks.pop(0)
            question = (
                self._secrets_question(draft)
                if check == "secrets"
                else self._length_question(draft)
            )
            if question:
                title, text = question

                def answered(yes: bool) -> None:
                    if yes:
                        self._confirm_then_send(draft, checks)

                ask(
                    self.view, f"chatAsk{check.title()}", title, text + "\n\nSend anyway?", answered
                )
                return
        self._send_draft_now(draft)

    def _secrets_question(self, draft: ChatDraft) -> tuple[str, str] | None:
        lines = [
            describe(find_secrets(text), where)
            for where, text in (
                ("Your message", draft.user_text),
                ("The system prompt", draft.system_prompt),
            )
            if text
        ]
        found = [line for line in lines if line]
        return ("Looks like a secret", "\n\n".join(found)) if found else None

    def _length_question(self, draft: ChatDraft) -> tuple[str, str] | None:
        window = capabilities(draft.model).context_window
        if not window:
            return None
        counted = self._counted
        if counted is not None and counted[0] == draft.model and counted[1] == draft.user_text:
            tokens, how = counted[2], ""
        else:  # not counted yet (a huge paste is counted off the GUI thread): a safe lower bound
            chars = len(draft.user_text) + len(draft.system_prompt)
            chars += sum(len(m.content) for m in self.conversation.turns)
            tokens, how = chars // 4, "at least "
        if tokens <= window:
            return None
        return (
            "Too long for this model",
            f"This request is {how}{tokens:,} tokens; {draft.model} reads at most {window:,}. "
            "The server will most likely refuse it. Shorten the message, or pick a model with a "
            "larger context.",
        )

    def _send_draft_now(self, draft: ChatDraft) -> None:
        text = draft.user_text.strip()
        self.conversation.system_prompt = fill_variables(draft.system_prompt, draft.variables)
        user = Message("user", fill_variables(text, draft.variables), images=draft.images)
        self.conversation.turns.append(user)
        self.state.metas.append(MessageMeta())
        # The request goes out first; the turns, history rows and input box follow (see send).
        self.send(self.request_for(draft), user=user, system_prompt=draft.system_prompt)

    def request_for(self, draft: ChatDraft) -> ChatRequest:
        return draft.request(self.conversation.messages_with())

    def resend(self, kept: tuple[Message, MessageMeta] | None = None) -> None:
        """Asks for an answer to the conversation as it is (after an edit, a regenerate, tool
        results). `kept`: the answer Regenerate replaces, kept beside the new one."""
        self.send(self.request_for(self.view.draft()), kept=kept)

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
        return draft.request(conversation.messages_with())

    def send(
        self,
        request: ChatRequest,
        *,
        user: Message | None = None,
        system_prompt: str | None = None,
        api: str | None = None,
        kept: tuple[Message, MessageMeta] | None = None,
    ) -> None:
        """Starts streaming an answer to `request` into a new assistant turn (after `user`'s turn,
        when the request sends a new message). `system_prompt`: as typed (with its {{variables}}),
        stored with the conversation; the view's when None.

        The click only starts the request. Its steps (building it, writing it, reading the answer)
        run on this thread's loop, so any widget work between them delays the answer. The turns
        (the sent message's and the answer's) and the emptied input therefore appear together at
        the first fragment, or one frame (`FRAME_MS`) after the click when none has come by then
        (always, with a real server); the history rows and the moderation check follow a frame
        after that, never before the first token (bench/overhead.py). `api`: the API to send
        through (None: the conversation's, as the panel shows it).

        A Responses answer's reasoning summary and built-in tool steps come as progress events
        (`ChatProgress.listener`); they are rendered with the text, once per frame.
        """
        self.view.hide_error()
        self._failed_error = None
        self._retry.stop()
        self.state.last_request = request
        turn = InFlight(
            request,
            ChatProgress(),
            self.conversation,
            frame_timer(self),
            user=user,
            system_prompt=system_prompt,
            api=api or self.view.api(),
            kept=kept,
        )
        self.state.unfiled = turn

        def on_delta(index: int, fragment: str) -> None:
            if turn.conversation is not self.conversation:
                return  # "New chat" or another conversation opened: the answer is detached
            # Fragments arrive a token at a time; render them once per frame, not once each. The
            # first one is shown at once: time to first token is what the user waits for.
            turn.pending.setdefault(index, []).append(fragment)
            if not turn.first_shown:
                turn.first_shown = True
                self.wait_line.stop()
                self._show_send(turn)
                self._render_pending(turn)
            elif not turn.frame_timer.isActive():
                turn.frame_timer.start()

        def on_frame() -> None:
            self._show_send(turn)
            self._render_pending(turn)

        turn.frame_timer.timeout.connect(on_frame)
        self._flush_timer.start()

        def on_event(event: ProgressEvent) -> None:
            if turn.conversation is not self.conversation:
                return
            if isinstance(event, ReasoningDelta):
                turn.reasoning.append(event.text)
            elif isinstance(event, StepChanged):
                turn.steps[event.index] = event.step
            else:
                return
            if not turn.frame_timer.isActive():
                turn.frame_timer.start()

        turn.progress.listener = on_event

        def on_wait(wait: RetryWait) -> None:
            if turn.conversation is self.conversation:
                self._show_send(turn)
                self.wait_line.retrying(wait)

        self.runner.start(
            self.engine(turn.api).stream(request, on_delta, turn.progress, on_wait=on_wait),
            group=GROUP,
            on_result=lambda result: self._on_reply(turn, result),
            on_error=lambda error: self._on_failed(turn, error),
            on_cancel=lambda: self._on_cancelled(turn),
        )
        turn.frame_timer.start()  # shows the turns if no fragment comes within a frame

    def _retirement_notice(self, model: str) -> None:
        """Once per conversation: the model retires within 30 days (or has), with its replacement
        as a button (issue 15's send notice). The request is already on its way."""
        conversation = self.conversation.id
        if conversation in self._noticed or self._snapshot is None:
            return
        notice = send_notice(model, self._snapshot.models, self.today())
        if notice is None:
            return
        self._noticed.add(conversation)
        replacement = notice.replacement
        switch_to = replacement.model if replacement is not None and replacement.can_switch else ""
        self.view.show_notice(notice.text, switch_to)

    def _show_send(self, turn: InFlight) -> None:
        """The widgets of a send (once): the sent message's turn, the answer's and the emptied
        input; its history rows and moderation check follow a frame later."""
        if turn.widget is not None:
            return
        if turn.conversation is not self.conversation:
            # Another conversation was opened in between: the answer is detached; its widget is
            # never shown.
            turn.widget = self.view.detached_turn()
            return
        if turn.user is not None:
            turn.user_widget = self.view.add_turn(turn.user, TurnInfo())
        turn.widget = self.view.add_turn(Message("assistant", ""), TurnInfo(status="streaming"))
        if turn.user is not None:
            with QSignalBlocker(self.view):  # the estimate of the next draft comes with the answer
                self.view.clear_input()
        if turn.progress.first_token_at is None and not self.wait_line.active:
            self.wait_line.start()
        # After the frame that shows them: the rows and the history list are not what the user
        # waits for.
        QTimer.singleShot(FRAME_MS, self, lambda: self._file_send(turn))

    def _file_send(self, turn: InFlight) -> None:
        """Files a send in the history (once, in one step): the settings, the sent message and the
        coming answer (with what of it was shown already); refreshes the list; then checks the
        message's moderation."""
        if turn.filed:
            return
        turn.filed = True
        if self.state.unfiled is turn:
            self.state.unfiled = None
        if turn.conversation is not self.conversation:
            return
        user = turn.user
        system_prompt = turn.system_prompt
        if system_prompt is None:
            system_prompt = self.view.draft().system_prompt
        user_id, turn.message_id = self.conversations.file_send(turn.request, system_prompt, user)
        if turn.message_id is not None and turn.unfiled:
            try:
                self.history.stream_update(turn.message_id, "".join(turn.unfiled))
            except HistoryError as exc:
                self.conversations.write_failed(exc)
        turn.unfiled = []
        self.conversations.refresh_history()
        self._retirement_notice(turn.request.model)  # after the first token: not on its path
        if user is not None:
            shown = turn.user_widget is not None and self.view.shows_turn(turn.user_widget)
            widget = turn.user_widget if shown else None
            self.moderation.check(widget, user.content, [i.url for i in user.images], user_id)

    def _render_pending(self, turn: InFlight) -> None:
        """Shows what arrived since the last frame and writes it to the history."""
        pending, turn.pending = turn.pending, {}
        if turn.conversation is not self.conversation or turn.widget is None:
            return
        if turn.reasoning:
            reasoning, turn.reasoning = turn.reasoning, []
            turn.widget.append_reasoning("".join(reasoning))
        if turn.steps:
            steps, turn.steps = turn.steps, {}
            for index, step in sorted(steps.items()):
                turn.widget.set_step(index, step)
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
                self.conversations.write_failed(exc)
        if pending:
            self.view.set_reply_info(f"Streaming… {turn.progress.chunks:,} tokens")

    def settle(self, turn: InFlight) -> TurnWidget:
        """Before an outcome: the turns are shown and the send filed, whatever came first."""
        self._show_send(turn)
        self._file_send(turn)
        assert turn.widget is not None
        return turn.widget

    def settle_unfiled(self) -> None:
        """Before another conversation is loaded: a send just made still belongs to the open one."""
        if self.state.unfiled is not None:
            self.settle(self.state.unfiled)

    def stop(self) -> None:
        """Stops the answer at once; what arrived is kept and marked stopped."""
        self.runner.cancel(GROUP)

    def retry(self) -> None:
        """Sends the last request again, replacing its failed answer."""
        last = self.state.last_request
        if self.runner.is_busy(GROUP):
            return
        self.conversations.save_all()  # what a failed write left out (or nothing)
        if last is None:
            return
        turns = self.conversation.turns
        failed = (MessageStatus.ERROR, MessageStatus.STOPPED)
        kept = None
        if turns and turns[-1].role == "assistant" and self.state.metas[-1].status in failed:
            meta = self.state.metas[-1]
            if meta.alternatives:  # a failed Regenerate: the answers it kept stay
                text, kept_meta = pick_answer(meta.alternatives, len(meta.alternatives) - 1)
                kept = (Message("assistant", text), kept_meta)
            self.state.remove_turns_from(len(turns) - 1)
        self.send(dataclasses.replace(last, messages=self.conversation.messages_with()), kept=kept)

    # --- outcomes ------------------------------------------------------------------------------

    def _on_reply(self, turn: InFlight, result: ChatResult) -> None:
        self.wait_line.stop()
        self.settle(turn)
        self._flush_timer.stop()
        turn.frame_timer.stop()
        self._render_pending(turn)
        turn.frame_timer.deleteLater()
        first = result.choices[0] if result.choices else ChoiceResult(0, "", "")
        usage = reply_usage(self.counter, turn.request, result.usage, result.text, first.tool_calls)
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
        meta = turn.with_kept(meta)
        message = Message("assistant", first.text, tool_calls=first.tool_calls)
        turn.conversation.turns.append(message)
        if turn.conversation is self.conversation:
            self.state.metas.append(meta)
            self.state.results[len(self.conversation.turns) - 1] = result
        self._store_reply(turn, message, meta)
        if turn.conversation is self.conversation:
            widget = self.settle(turn)
            widget.message = message
            widget.finish_stream(first.text)
            info = reply_info(result, usage, entry.cost)
            violations = self._schema_violations(turn.request, first.text)
            error = ""
            if first.refusal:
                error = f"The model refused: {first.refusal}"
            elif violations:
                error = "The answer does not match the schema:\n• " + "\n• ".join(violations[:8])
            answers = (meta.alternative_index, len(meta.alternatives) + 1)
            widget.set_info(TurnInfo(meta=info, error=error, answers=answers))
            widget.show_choices([c.text for c in result.choices])
            widget.set_reasoning(result.reasoning_summary)
            widget.set_steps(result.steps)
            widget.set_citations(result.citations, first.text)
            widget.set_logprobs(list(first.logprobs))
            if first.tool_calls:
                widget.show_tool_calls(first.tool_calls, awaiting=True)
            if any(step.status == "awaiting_approval" for step in result.steps):
                info = "Waiting for your approval (Approve or Deny above) · " + info
            self.view.set_reply_info(info, reply_details(result))
            self.moderation.check(widget, first.text, message_id=turn.message_id)

    def approve(self, index: int, item_id: str, approve: bool) -> None:
        """The user answered an MCP approval request in answer `index`: the next request carries
        the answer (`McpApproval`) through the Responses API; the model's answer follows as a new
        turn."""
        result = self.state.results.get(index)
        step = next((s for s in result.steps if s.item_id == item_id), None) if result else None
        if step is None or self.runner.is_busy(GROUP):
            self.view.show_error(
                AppError.local(
                    "This approval can no longer be sent",
                    "The request it answers belongs to an earlier session or another answer is "
                    "on its way. Send the message again to be asked again.",
                )
            )
            return
        self.view.mark_approval(index, item_id, approve)
        request = self.request_for(self.view.draft())
        base = {f.name: getattr(request, f.name) for f in dataclasses.fields(request)}
        base["mcp_approvals"] = (McpApproval(step, approve=approve),)
        self.send(ResponsesRequest(**base), api=API_RESPONSES)

    def _on_failed(self, turn: InFlight, error: AppError) -> None:
        _entry, meta = self._end_partial(turn, RequestStatus.ERROR, MessageStatus.ERROR, error.text)
        if turn.conversation is self.conversation:
            if meta is not None:
                self.settle(turn).set_info(
                    TurnInfo(meta=partial_info(turn, meta), status="error", error=error.text)
                )
            what = "Interrupted" if meta is not None else "Failed"
            self.view.set_reply_info(f"{what} after {format_duration_ms(turn.progress.elapsed_ms)}")
            self.view.show_error(error, retry=True)
            if error.kind == ErrorKind.RATE_LIMIT and error.retry_after:
                self._failed_error = error
                self._retry.start_for(error)  # the hint counts down with the Retry button

    def _on_retry_text(self, _text: str) -> None:
        """The wait a 429 asked for changed: its hint says what is left, never a stale wait."""
        error = self._failed_error
        if error is not None and self._retry.left >= 0:
            self.view.show_error(dataclasses.replace(error, hint=self._retry.hint()), retry=True)

    def _on_cancelled(self, turn: InFlight) -> None:
        _entry, meta = self._end_partial(turn, RequestStatus.CANCELLED, MessageStatus.STOPPED, "")
        if turn.conversation is self.conversation:
            if meta is not None:
                self.settle(turn).set_info(
                    TurnInfo(meta=partial_info(turn, meta) + " · ⏹ stopped", status="stopped")
                )
            self.view.set_reply_info(
                f"Stopped after {format_duration_ms(turn.progress.elapsed_ms)}"
            )

    def _end_partial(
        self, turn: InFlight, status: RequestStatus, stored: MessageStatus, error: str
    ) -> tuple[LedgerEntry, MessageMeta | None]:
        """Keeps what arrived (marked) and records its row: $0 when nothing arrived.

        An answer that never started leaves no turn: an empty assistant message would be sent with
        the next request (and charged); the error line with Retry says what happened instead.
        Returns the row and the kept turn's meta (None when nothing was kept).
        """
        widget = self.settle(turn)
        self.wait_line.stop()
        self._flush_timer.stop()
        turn.frame_timer.stop()
        self._render_pending(turn)
        turn.frame_timer.deleteLater()
        partial = turn.progress.text
        usage = unfinished_usage(self.counter, turn.request, None, partial)
        entry = self._record(turn, usage, status, turn.progress.elapsed_ms, None)
        if not partial:
            if turn.kept is not None and turn.conversation is self.conversation:
                self.state.conversation.turns.append(turn.kept[0])  # Regenerate got nothing:
                self.state.metas.append(turn.kept[1])  # the answer it replaced is shown again
                self.conversations.append(*turn.kept)
            self._drop_empty_answer(turn)
            return entry, None
        meta = MessageMeta(
            status=stored, model=turn.request.model, usage=usage, cost=entry.cost, error=error,
            elapsed_ms=turn.progress.elapsed_ms, ttft_ms=turn.progress.ttft_ms,
        )  # fmt: skip
        meta = turn.with_kept(meta)
        message = Message("assistant", partial)
        turn.conversation.turns.append(message)
        if turn.conversation is self.conversation:
            self.state.metas.append(meta)
            widget.message = message
            widget.finish_stream()
        self._store_reply(turn, message, meta)
        return entry, meta

    def _drop_empty_answer(self, turn: InFlight) -> None:
        """Removes the answer that never started: its row in the history and its widget."""
        if turn.message_id is not None:  # its row was filed while it waited
            try:
                self.history.discard_reply(turn.message_id)
            except HistoryError as exc:
                self.conversations.write_failed(exc)
            turn.message_id = None
        if turn.conversation is self.conversation:
            self.conversations.rebuild_view()
            self.estimate_draft()

    def _store_reply(self, turn: InFlight, message: Message, meta: MessageMeta) -> None:
        """Writes the answer's final text and numbers. The history list was refreshed when the
        send was filed (its row does not change now), so it is not refreshed again, unless the
        answer had no row (its conversation was left before it was filed)."""
        current = turn.conversation is self.conversation
        try:
            if current and self.state.unsaved:
                self.conversations.save_all()  # this answer with what a failed write left out
            elif turn.message_id is not None:
                try:
                    self.history.finish_reply(turn.message_id, message.content, meta)
                except NotInHistoryError:  # its row was rewritten while it streamed (Save now)
                    turn.message_id = self.history.append_message(
                        turn.conversation.id, message, meta
                    )
                if message.tool_calls:  # finish_reply stores text; the calls need the full message
                    self.conversations.persist_turns(turn.conversation, refresh=False)
            else:
                turn.message_id = self.history.append_message(turn.conversation.id, message, meta)
                self.conversations.refresh_history()
        except HistoryError as exc:
            if current:
                self.conversations.write_failed(exc)
            else:
                log.warning("history: %s", exc)
        if turn.conversation is self.conversation:
            self.estimate_draft()  # the next request carries this answer: estimate it

    def _schema_violations(self, request: ChatRequest, text: str) -> list[str]:
        fmt = request.response_format or {}
        if fmt.get("type") != "json_schema":
            return []
        schema = fmt.get("json_schema", {}).get("schema")
        return check_reply(text, schema) if isinstance(schema, dict) else []

    def _flush_history(self) -> None:
        try:
            self.history.flush_streams()
        except HistoryError as exc:
            self.conversations.write_failed(exc)

    # --- usage ---------------------------------------------------------------------------------

    def _record(
        self,
        turn: InFlight,
        usage: Usage,
        status: RequestStatus,
        latency_ms: float,
        request_id: str | None,
    ) -> LedgerEntry:
        entry = self.counters.write(
            RequestRecord(
                profile=self.session.profile,
                model=turn.request.model,
                endpoint=Endpoint.CHAT,
                usage=usage,
                status=status,
                latency_ms=latency_ms,
                conversation_id=turn.conversation.id,
                request_id=request_id,
            )
        )
        if turn.conversation is self.conversation:
            if self.counters.write_error is not None:  # kept in memory; Save now writes it
                self.conversations.write_failed(self.counters.write_error)
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

    # --- live estimate -------------------------------------------------------------------------

    def estimate_draft(self) -> None:
        """The Send state and the estimate of the request Send would make now."""
        draft = self.view.draft()
        blockers = self.view.param_problems()
        missing = missing_variables([draft.system_prompt, draft.user_text], draft.variables)
        if missing:
            blockers = [*blockers, "Fill in " + ", ".join(f"{{{{{m}}}}}" for m in missing)]
        self.view.set_send_blockers(blockers)
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
            tokens = counted + extra_input_tokens(self.counter, request)
        elif sum(len(m.content) for m in request.messages) < 20_000:
            tokens = input_tokens(self.counter, request)
        else:
            return  # the off-thread count will call back with the number
        draft_text = request.messages[-1].content if request.messages else ""
        self._counted = (model, draft_text, tokens)
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

    def on_busy_changed(self, group: str, busy: bool) -> None:
        if group == GROUP:
            self.view.set_busy(busy)
