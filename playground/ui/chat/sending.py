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

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Collection
from datetime import date
from decimal import Decimal

from PySide6.QtCore import QObject, QSignalBlocker, QTimer

from playground.core.api.capabilities import ModelKind, capabilities
from playground.core.api.catalog import CatalogSnapshot
from playground.core.api.errors import AppError, ErrorKind
from playground.core.api.retirements import retired_error, send_notice
from playground.core.api.retry import RetryWait
from playground.core.api.session import ApiSession
from playground.core.chat.builtin_tools import McpApproval, with_fees
from playground.core.chat.compaction import Compacted, compact, is_refusal
from playground.core.chat.context import (
    RESPONSES_ONLY,
    WARN_AT,
    Compaction,
    Fit,
    Strategy,
    compaction_note,
    fit,
    input_budget,
    is_compaction,
    is_summary,
    left_out,
    note_size,
    summary_note,
    summary_request_messages,
)
from playground.core.chat.engine import Api, Engine, engine_for
from playground.core.chat.leaks import describe, find_secrets
from playground.core.chat.learned import Learned, is_set, refusal_text, setting_for, without
from playground.core.chat.presets import fill_variables, missing_variables
from playground.core.chat.responses import (
    BACKGROUND_DROPPED,
    BACKGROUND_POLLING,
    BACKGROUND_RECONNECTED,
    BACKGROUND_STARTED,
    BackgroundRun,
    ResponsesEngine,
)
from playground.core.chat.schema import check_reply
from playground.core.chat.server_state import (
    KEEP_AS_CONVERSATION,
    KeptResponse,
    kept_response,
    previous_response,
)
from playground.core.chat.service import (
    ChatProgress,
    ChatRequest,
    ChatResult,
    ChatService,
    ChoiceResult,
    Conversation,
    DeltaCallback,
    ProgressEvent,
    ReasoningDelta,
    ResponsesRequest,
    StepChanged,
)
from playground.core.models import (
    Endpoint,
    LedgerEntry,
    Message,
    ProviderKind,
    RequestStatus,
    Usage,
)
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
    image_input_tokens,
    input_tokens,
    reply_usage,
    tool_call_tokens,
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
from playground.ui.chat.mcp_headers import with_mcp_approvals, with_mcp_headers
from playground.ui.chat.moderation_check import ModerationCheck
from playground.ui.chat.pictures import ChatPictures
from playground.ui.chat.server_conversations import ServerConversations
from playground.ui.chat.state import FRAME_MS, GROUP, ChatState, InFlight, frame_timer
from playground.ui.chat.tab import ChatDraft, ChatTab
from playground.ui.chat.texts import (
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
EXACT_COUNT_DELAY_MS = 600
"""How long typing pauses before the draft is counted exactly by the server."""
EXACT_GROUP = "chat-count"
BACKGROUND_NOTE = "Runs on OpenAI: you can close the window; it continues at the next start"
"""What the reply line says while a background answer streams."""
_BACKGROUND_STATES = {
    BACKGROUND_DROPPED: "Connection lost: picking the answer up again…",
    BACKGROUND_RECONNECTED: "Reconnected",
    BACKGROUND_POLLING: "Waiting for OpenAI to finish it (this server cannot stream it again)",
}


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
        service.on_headers = counters.take_headers  # rate-limit gauges
        self.engines: dict[str, Engine] = {
            API_CHAT_COMPLETIONS: service,
            API_RESPONSES: engine_for(Api.RESPONSES, session.client, counters.take_headers),
        }
        self.session = session
        self.pictures: ChatPictures | None = None  # set by the controller when there is a gallery
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
        # The request sent whole because OpenAI no longer had the answer it continued from.
        self._sent_whole: ChatRequest | None = None
        self._summarised: ChatRequest | None = None  # the send that follows a summary
        self._sizes: dict[tuple[str, Message], int] = {}  # (model, turn) -> input tokens
        # What servers refused, per model (kept in the settings by the controller), and the
        # refusal "Send again without it" would learn.
        self.learned = Learned()
        self.mcp_always: set[str] = set()  # MCP server labels the user chose to "Always allow"
        self._refused: tuple[str, str] | None = None
        # The answer running as a background response, and whether Stop cancelled it (else a
        # cancel is the window closing: it runs on, and is picked up at the next start).
        self._background: InFlight | None = None
        self._background_stopped: InFlight | None = None
        self._resumed: set[int] = set()  # history rows of background answers picked up
        self._following: dict[int, _Resumed] = {}  # those still coming in, by history row
        self._background_run: BackgroundRun | None = None  # its id and the last event read
        self._background_state = ""  # "Reconnected", … for the reply line
        # How long the request has waited, and each retry as it is announced (core.api.retry).
        self.wait_line = WaitLine(self)
        self.wait_line.text_changed.connect(view.set_reply_info)
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(1000)  # a stalled stream is still on disk within a second
        self._flush_timer.timeout.connect(self._flush_history)
        # The first count loads the encoding off the GUI thread; show the estimate once it is ready.
        counters.draft_estimated.connect(self._on_draft_counted)
        # The exact count of the draft (OpenAI's `responses/input_tokens`), asked for once the
        # user pauses typing; the local estimate shows meanwhile.
        self._exact_timer = QTimer(self)
        self._exact_timer.setSingleShot(True)
        self._exact_timer.setInterval(EXACT_COUNT_DELAY_MS)
        self._exact_timer.timeout.connect(self._count_exactly)
        self._exact: tuple[ChatRequest, int] | None = None  # the last exact count and its request
        self._exact_unavailable: set[str] = set()  # profiles whose server cannot count
        # "Keep on OpenAI" as an OpenAI conversation (ui/chat/server_conversations.py).
        self.server_conversations = ServerConversations(view, session, history, runner)

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
        self.state.moderation_models = snapshot.ids(ModelKind.MODERATION) if snapshot else []
        self.server_conversations.show_availability()  # per profile: the list is the profile's
        current = self.view.current_model() or preferred
        if snapshot is None:
            self.view.set_models([], current)
        else:
            # Badges and tooltips for dated models; the default is never a retired or dying
            # model when another is listed (retirements.default_model).
            picker = snapshot.picker(ModelKind.CHAT, self.today())
            default = picker.default.model if picker.default is not None else ""
            if not current:
                current = default or (picker.ids()[0] if picker.ids() else "")
            self.view.set_models(list(picker.choices), current, default)
        self.model_changed(self.view.current_model())

    def model_changed(self, model: str) -> None:
        caps = capabilities(model)
        self.view.set_model_capabilities(caps, model)
        self.view.set_learned(model, sorted(self.learned.of(model)))
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
        # Budgets first (the shell's one check, ui/shell/budget_gate.py), then the other questions.
        self.counters.budgets.guard(
            self.view,
            "chatBudget",
            self.session.profile.name,
            self._upper_cost(draft),
            lambda: self._confirm_then_send(draft, list(_PRE_SEND_CHECKS)),
            on_refused=lambda text: self.view.show_error(AppError.local("Not sent", text)),
        )

    def _upper_cost(self, draft: ChatDraft) -> Decimal | None:
        """The most this send may cost (its input and its whole maximum output)."""
        counted = self._counted
        if counted is not None and counted[0] == draft.model and counted[1] == draft.user_text:
            tokens = counted[2]
        else:  # not counted yet (a huge paste): from the characters
            chars = len(draft.user_text) + len(draft.system_prompt)
            tokens = (chars + sum(len(m.content) for m in self.conversation.turns)) // 4
        max_out = self.request_for(draft).max_output_tokens or capabilities(draft.model).max_output
        profile = self.session.profile
        return self.counters.budgets.upper_cost(draft.model, tokens, max_out or 0, profile)

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
        strategy = draft.extras.get("context_strategy") or Strategy.ASK
        if strategy in RESPONSES_ONLY and draft.api != API_RESPONSES:
            strategy = Strategy.ASK
        if strategy == Strategy.COMPACT and "compaction" in self.learned.of(draft.model):
            strategy = Strategy.ASK  # the server said this model cannot compact
        if not window or strategy != Strategy.ASK:
            return None  # the conversation's strategy leaves out what does not fit
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
            "The server will most likely refuse it. Shorten the message, pick a model with a "
            "larger context, or choose what happens to long conversations under Parameters → "
            "Long conversations.",
        )

    def _send_draft_now(self, draft: ChatDraft) -> None:
        text = draft.user_text.strip()
        self.conversation.system_prompt = fill_variables(draft.system_prompt, draft.variables)
        user = Message("user", fill_variables(text, draft.variables), images=draft.images)
        self.conversation.turns.append(user)
        self.state.metas.append(MessageMeta())
        # The request goes out first; the turns, history rows and input box follow (see send).
        self.send(self.request_for(draft), user=user, system_prompt=draft.system_prompt)

    def request_as_sent(self) -> ChatRequest:
        """The request Send would make now as it goes out (View code): without the turns an
        earlier summary or compaction note replaced (a compacted request shows its compaction
        item and only the newer turns), continuing what is kept on OpenAI
        (`previous_response_id` or `conversation`)."""
        gone = self._replaced()
        request = self._without(self.current_request(), gone)
        return self._continue_kept(request, self.view.api(), gone)

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

    def _replaced(self) -> tuple[int, ...]:
        """The turns an earlier summary or compaction note replaced (not sent)."""
        compacted = self.view.api() == API_RESPONSES
        return left_out(self.conversation.turns, self._pinned(), compacted=compacted)

    def _without_replaced(self, request: ChatRequest) -> ChatRequest:
        """`request` without the turns an earlier summary or compaction note replaced."""
        return self._without(request, self._replaced())

    @staticmethod
    def _without(request: ChatRequest, gone: Collection[int]) -> ChatRequest:
        """`request` without the turns at `gone` (indexes among its non-system messages)."""
        if not gone:
            return request
        turns = [m for m in request.messages if m.role not in ("system", "developer")]
        system = [m for m in request.messages if m.role in ("system", "developer")]
        kept = [m for i, m in enumerate(turns) if i not in gone]
        return dataclasses.replace(request, messages=(*system, *kept))

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
        self._exact_timer.stop()  # the draft is on its way: no count of it is wanted any more
        self._retry.stop()
        api = api or self.view.api()
        self._refused = None
        request = without(request, self.learned.of(request.model))
        request = with_mcp_approvals(request, self.mcp_always)
        fitted = self._fit_context(request, api, user, system_prompt)
        if fitted is None:
            return  # the older turns are being summarised first; this send follows
        request, not_sent = fitted
        self.view.mark_not_sent(set(not_sent))
        if not_sent and isinstance(request, ResponsesRequest) and request.keep_as:
            request = dataclasses.replace(request, keep_as=None)  # no conversation of a part
        # Left-out turns never come back through the stored chain: an answer is continued
        # only when it saw exactly the turns this request sends before it (its digest).
        request = self._continue_kept(request, api, not_sent)
        self.state.last_request = request
        turn = InFlight(
            request,
            ChatProgress(),
            self.conversation,
            frame_timer(self),
            user=user,
            system_prompt=system_prompt,
            api=api,
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

        background = (
            turn.api == API_RESPONSES
            and isinstance(request, ResponsesRequest)
            and request.background
        )
        self.runner.start(
            self._in_background(turn, on_delta, on_wait)
            if background
            else self._stream(turn, request, on_delta, on_wait),
            group=GROUP,
            on_result=lambda result: self._on_reply(turn, result),
            on_error=lambda error: self._on_failed(turn, error),
            on_cancel=lambda: self._on_cancelled(turn),
        )
        turn.frame_timer.start()  # shows the turns if no fragment comes within a frame

    async def _stream(
        self,
        turn: InFlight,
        request: ChatRequest,
        on_delta: Callable[[int, str], None],
        on_wait: Callable[[RetryWait], None],
    ) -> ChatResult:
        """Streams `request` with the MCP servers' kept headers added (only the wire has them)."""
        request = turn.request = await self.server_conversations.seed(
            turn, request, self._continue_kept
        )
        request = await with_mcp_headers(request, self.session.secrets, self.runner)
        return await self.engine(turn.api).stream(request, on_delta, turn.progress, on_wait=on_wait)

    # --- long conversations ------------------------------------------------------------------

    def _fit_context(
        self,
        request: ChatRequest,
        api: str,
        user: Message | None,
        system_prompt: str | None,
    ) -> tuple[ChatRequest, tuple[int, ...]] | None:
        """The request cut to the model's window by the conversation's strategy
        (`core.chat.context`), and the turns it leaves out; None when the oldest turns are
        summarised first (the send follows when the note is written)."""
        strategy, shaped = self._shape(request, api)
        system = tuple(m for m in request.messages if m.role in ("system", "developer"))
        turns = [m for m in request.messages if m.role not in ("system", "developer")]
        if strategy is Strategy.SUMMARISE and request is not self._summarised:
            older = [i for i in shaped.left_out if i not in set(left_out(turns, self._pinned()))]
            if older:
                self._summarise_then_send(request, api, older, user, system_prompt)
                return None
        if strategy is Strategy.COMPACT and request is not self._summarised:
            older = [i for i in shaped.left_out if i not in set(left_out(turns, self._pinned()))]
            if older:
                self._compact_then_send(request, api, older, user, system_prompt)
                return None
        if (
            strategy is Strategy.SERVER
            and isinstance(request, ResponsesRequest)
            and not shaped.fits
        ):
            request = dataclasses.replace(request, truncation="auto")
        if not shaped.left_out:
            return request, ()
        messages = (*system, *(turns[i] for i in shaped.kept))
        return dataclasses.replace(request, messages=messages), shaped.left_out

    def _shape(self, request: ChatRequest, api: str) -> tuple[Strategy, Fit]:
        """The conversation's strategy and what of `request` it sends (`core.chat.context.fit`).
        Counts only with the model's encoding loaded (else everything is taken to fit); each
        turn is counted once (`_turn_sizes`)."""
        extra = request if isinstance(request, ResponsesRequest) else None
        strategy = Strategy((extra.context_strategy if extra else None) or Strategy.ASK)
        if strategy in RESPONSES_ONLY and api != API_RESPONSES:
            strategy = Strategy.ASK
        if strategy is Strategy.COMPACT and "compaction" in self.learned.of(request.model):
            strategy = Strategy.ASK  # the server said this model cannot compact
        system = tuple(m for m in request.messages if m.role in ("system", "developer"))
        turns = [m for m in request.messages if m.role not in ("system", "developer")]
        model = request.model
        budget = input_budget(capabilities(model).context_window, request.max_output_tokens)
        sizes, base = [0] * len(turns), 0
        if budget is not None and model and self.counter.is_loaded(model):
            sizes = self._turn_sizes(turns, model)
            base = input_tokens(self.counter, dataclasses.replace(request, messages=system))
        else:
            budget = None  # counting now would load the encoding on this thread
        drop = strategy in (Strategy.DROP, Strategy.SUMMARISE, Strategy.COMPACT)
        compacted = api == API_RESPONSES  # Chat Completions sends the turns a compaction replaced
        shaped = fit(
            turns, sizes, base, budget, drop=drop, pinned=self._pinned(), compacted=compacted
        )
        return strategy, shaped

    def _pinned(self) -> set[int]:
        """The turns the user pinned: always sent (their indexes in the request's turns)."""
        return {i for i, meta in enumerate(self.state.metas) if meta.pinned}

    def _turn_sizes(self, turns: list[Message], model: str) -> list[int]:
        """Each turn's input tokens, from a cache: a turn is tokenized once per model."""
        if len(self._sizes) > 4096:
            self._sizes.clear()
        empty = self.counter.count_messages((), model)
        out: list[int] = []
        for m in turns:
            size = self._sizes.get((model, m))
            if size is None:
                size = note_size(m)  # a compaction is sent as its few items, not its text
            if size is None:
                size = self._sizes[(model, m)] = (
                    self.counter.count_messages((m,), model) - empty
                    + image_input_tokens((m,)) + tool_call_tokens(self.counter, m.tool_calls, model)
                )  # fmt: skip
            out.append(size)
        return out

    def _summarise_then_send(
        self,
        request: ChatRequest,
        api: str,
        older: list[int],
        user: Message | None,
        system_prompt: str | None,
    ) -> None:
        """Asks the summary model for a note on the `older` turns, puts the note in the
        conversation after them (shown, editable, metered), then sends `request` again with the
        note instead of those turns."""
        conversation = self.conversation
        turns = list(conversation.turns)
        extra = request if isinstance(request, ResponsesRequest) else None
        model = (extra.summary_model if extra else None) or request.model
        ask = ChatRequest(model=model, messages=summary_request_messages([turns[i] for i in older]))
        self.state.last_request = request  # Retry asks for the summary again
        n = len(older)
        self.view.set_reply_info(f"Summarising the {n} oldest turn{'s' if n != 1 else ''}…")
        self._hold_sent(user, conversation)

        def done(result: ChatResult) -> None:
            usage = reply_usage(self.counter, ask, result.usage, result.text, ())
            entry = self._record_note_request(conversation, model, usage, result)
            if conversation is not self.conversation:
                return
            if not result.text.strip():
                self.view.show_error(
                    AppError.local(
                        "The summary came back empty",
                        f"{model} wrote nothing for the older turns, so nothing was sent.",
                        "Try again, pick another model to summarise with, or choose “Drop "
                        "oldest” under Long conversations.",
                    ),
                    retry=True,
                    retry_text="Retry",
                )
                return
            at = max(older) + 1
            note = summary_note(result.text)
            meta = MessageMeta(model=model, usage=usage, cost=entry.cost, finish_reason="stop")
            self._insert_note_and_send(at, note, meta, request, system_prompt, api)

        def failed(error: AppError) -> None:
            if conversation is self.conversation:
                self.view.set_reply_info("The older turns could not be summarised")
                self.view.show_error(error, retry=True, retry_text="Retry")

        self.runner.start(
            self.engine(api).stream(ask, lambda _index, _text: None),
            group=GROUP,
            on_result=done,
            on_error=failed,
        )

    def _hold_sent(self, user: Message | None, conversation: Conversation) -> None:
        """While older turns are summarised or compacted, the sent message stays in view (and is
        stored); the box is emptied."""
        if user is None:
            return
        self.conversations.rebuild_view()
        self.conversations.persist_turns(conversation)
        with QSignalBlocker(self.view):
            self.view.clear_input()

    def _record_note_request(
        self, conversation: Conversation, model: str, usage: Usage, result: ChatResult | Compacted
    ) -> LedgerEntry:
        """The ledger row of the request that made a summary or compaction note (Chat's tab,
        the conversation's), and the conversation's totals shown again."""
        entry = self.counters.write(
            RequestRecord(
                profile=self.session.profile,
                tab="chat",
                model=model,
                endpoint=Endpoint.CHAT,
                usage=usage,
                status=RequestStatus.OK,
                latency_ms=result.elapsed_ms,
                conversation_id=conversation.id,
                request_id=result.request_id,
            )
        )
        if conversation is self.conversation:
            self.show_conversation_totals()
        return entry

    def _insert_note_and_send(
        self,
        at: int,
        note: Message,
        meta: MessageMeta,
        request: ChatRequest,
        system_prompt: str | None,
        api: str,
    ) -> None:
        """Puts a summary or compaction note into the conversation at `at` (stored, shown),
        then sends `request` again over the conversation with it."""
        conversation = self.conversation
        conversation.turns.insert(at, note)
        self.state.metas.insert(at, meta)
        self.state.results = {(k + 1 if k >= at else k): v for k, v in self.state.results.items()}
        self.conversations.persist_turns(conversation)
        self.conversations.rebuild_view()
        again = dataclasses.replace(request, messages=conversation.messages_with())
        self._summarised = again
        self.send(again, system_prompt=system_prompt, api=api)

    def _compact_then_send(
        self,
        request: ChatRequest,
        api: str,
        older: list[int],
        user: Message | None,
        system_prompt: str | None,
    ) -> None:
        """Sends the `older` turns to OpenAI's `/responses/compact` (off the GUI thread), puts
        the compacted form in the conversation after them as a note (shown, not editable,
        deletable, metered), then sends `request` again with the note instead of those turns.
        A model that cannot compact is learned and the user asked; a failure keeps everything
        and sends nothing."""
        conversation = self.conversation
        turns = list(conversation.turns)
        model = request.model
        instructions = "\n\n".join(
            m.content for m in request.messages if m.role in ("system", "developer")
        )
        older_turns = [turns[i] for i in older]
        self.state.last_request = request  # Retry asks for the compaction again
        n = len(older)
        self.view.set_reply_info(
            f"OpenAI is compacting the {n} oldest turn{'s' if n != 1 else ''}…"
        )
        self._hold_sent(user, conversation)

        def done(result: Compacted) -> None:
            usage = result.usage
            if usage is None:  # not reported: the turns' own count, marked as an estimate
                tokens = sum(self._turn_sizes(older_turns, model)) if model else 0
                usage = Usage(input_tokens=tokens, estimated=True)
            entry = self._record_note_request(conversation, model, usage, result)
            if conversation is not self.conversation:
                return
            at = max(older) + 1
            compaction = Compaction(result.items, n, usage.input_tokens, 0, model, entry.cost)
            # What the note takes when sent: the user messages it keeps, and the compaction
            # item (the compact request's output).
            kept = [Message("user", text) for text in compaction.user_texts()]
            after = usage.output_tokens + (sum(self._turn_sizes(kept, model)) if model else 0)
            note = compaction_note(dataclasses.replace(compaction, tokens_after=after))
            meta = MessageMeta(
                model=model,
                usage=usage,
                cost=entry.cost,
                request_id=result.request_id,
            )
            self._insert_note_and_send(at, note, meta, request, system_prompt, api)

        def failed(error: AppError) -> None:
            if conversation is not self.conversation:
                return
            if not is_refusal(error):
                self.view.set_reply_info("The older turns could not be compacted")
                self.view.show_error(
                    dataclasses.replace(
                        error,
                        hint=(error.hint + " " if error.hint else "")
                        + "Nothing was sent; your message is kept. Retry compacts again.",
                    ),
                    retry=True,
                    retry_text="Retry",
                )
                return
            # The model cannot compact: learned (the panel says so), and the user asked, as
            # "Ask me first" does, whether to send the whole conversation anyway.
            self.learned.learn(model, "compaction")
            if self.view.current_model() == model:
                self.view.set_learned(model, sorted(self.learned.of(model)))
            self.view.set_reply_info("OpenAI cannot compact with this model")

            def answered(yes: bool) -> None:
                if conversation is not self.conversation:
                    return
                if yes:
                    again = dataclasses.replace(request, messages=conversation.messages_with())
                    self._summarised = again
                    self.send(again, system_prompt=system_prompt, api=api)
                    return
                self.view.show_error(
                    AppError.local(
                        "Not sent",
                        f"{model} cannot compact conversations (the server said so), and the "
                        "conversation is longer than it reads.",
                        "Your message is kept. Choose “Drop oldest” or “Summarise” under "
                        "Parameters → Long conversations, or pick a model with a larger "
                        "context; then Edit → “Save and resend” on your message sends it.",
                    ),
                )

            ask(
                self.view,
                "chatAskCompact",
                "OpenAI cannot compact with this model",
                f"{model} cannot compact conversations (the server said so); from now on this "
                "conversation asks instead. The whole conversation is longer than the model "
                "reads, so the server will most likely refuse it.\n\nSend anyway?",
                answered,
            )

        self.runner.start(
            compact(self.session.client, model, older_turns, instructions),
            group=GROUP,
            on_result=done,
            on_error=failed,
        )

    def _continue_kept(
        self, request: ChatRequest, api: str, not_sent: tuple[int, ...] = ()
    ) -> ChatRequest:
        """With "Keep on OpenAI" on, the request continues from the last answer kept there (only
        the turns after it are sent) while the turns that answer saw are unchanged; after an edit,
        a move or a fork from an earlier turn it continues from that turn's answer, and with no
        usable answer the whole conversation is sent (and kept). See `core.chat.server_state`."""
        if api != API_RESPONSES or not isinstance(request, ResponsesRequest) or not request.store:
            return request
        if request.keep_as == KEEP_AS_CONVERSATION and not not_sent:  # else as a chain, below
            request = self.server_conversations.continue_request(request, self.conversation.id)
            if request.keep_as:
                return request
        gone = set(not_sent)  # the request's turns are the conversation's without these
        sent = [meta for i, meta in enumerate(self.state.metas) if i not in gone]
        kept = {
            i: KeptResponse(meta.response_id, meta.response_chain)
            for i, meta in enumerate(sent)
            if meta.response_id and meta.response_chain
        }
        previous = previous_response(request.messages, kept)
        if previous == request.previous_response_id:
            return request
        return dataclasses.replace(request, previous_response_id=previous)

    # --- background mode -----------------------------------------------------------------------

    async def _in_background(
        self, turn: InFlight, on_delta: DeltaCallback, on_wait: Callable[[RetryWait], None]
    ) -> ChatResult:
        """Runs `turn` as a background response, streamed like any answer while it runs on
        OpenAI: its id and the last event read go into the answer's history row with its text
        (about once a second, and when the window closes), so `resume_background` goes on from
        there at the next start."""
        engine = self.engines[API_RESPONSES]
        if not isinstance(engine, ResponsesEngine):
            raise AppError.local("Background mode needs the Responses API", "Switch the API.")
        turn.request = await self.server_conversations.seed(turn, turn.request, self._continue_kept)
        sent = await with_mcp_headers(turn.request, self.session.secrets, self.runner)
        self._background = turn
        self._background_state = ""
        run = self._background_run = BackgroundRun(
            listener=lambda what: self._on_background(turn, what)
        )
        return await engine.stream_background(
            sent, on_delta, turn.progress, run=run, on_wait=on_wait
        )

    def _on_background(self, turn: InFlight, what: str) -> None:
        if turn is not self._background:
            return
        if what == BACKGROUND_STARTED:
            self._mark_background(turn)
            return
        self._background_state = _BACKGROUND_STATES.get(what, "")
        self._background_note(turn)

    def _background_note(self, turn: InFlight) -> None:
        """The line under a background answer while it streams: where it runs, and any drop."""
        if turn is not self._background or turn.widget is None:
            return
        if turn.conversation is self.conversation:
            state = self._background_state
            note = f"{state + ' · ' if state else ''}{BACKGROUND_NOTE}"
            turn.widget.set_info(TurnInfo(meta=note, status="streaming"))

    def _mark_background(self, turn: InFlight) -> None:
        """Writes the background answer's text so far with its response id and the last event
        read (`MessageMeta.stream_mark`) into its (streaming) history row, once both exist;
        `resume_background` goes on from there after a restart. Called when the id comes, about
        once a second (the flush timer) and when the window closes."""
        response_id = turn.progress.response_id
        run = self._background_run
        if turn is not self._background or not response_id or turn.message_id is None:
            return
        if turn.widget is not None and turn.conversation is self.conversation:
            # The row's text and the view agree: nothing is written twice.
            self._render_pending(turn)
            self._background_note(turn)
        text = turn.progress.text
        turn.unfiled = []  # in `text`: not to be written again
        after = run.after if run is not None else None
        meta = MessageMeta(
            status=MessageStatus.STREAMING,
            model=turn.request.model,
            response_id=response_id,
            reasoning=turn.progress.reasoning,
            stream_mark=(after, len(text)) if after is not None else None,
        )
        try:
            self.history.update_message(turn.message_id, content=text, meta=meta)
        except HistoryError as exc:
            log.warning("history: %s", exc)

    def resume_background(self) -> None:
        """Picks up the background answers a closed window left running: their rows were marked
        interrupted at start (`HistoryStore.recover_interrupted`) with the response id and the
        last event read kept. Each goes on live from that event after the text saved up to it
        (from the start when none was saved), shown in its conversation when that is open, and
        its answer, numbers and ledger row are filled in when it is done."""
        engine = self.engines[API_RESPONSES]
        if not isinstance(engine, ResponsesEngine):
            return
        for reply in self.history.recovered:
            if reply.message_id in self._resumed:
                continue
            try:
                stored = self.history.load(reply.conversation_id)
            except HistoryError:
                continue
            index = next(
                (i for i, m in enumerate(stored.messages) if m.id == reply.message_id), None
            )
            if index is None or not stored.messages[index].meta.response_id:
                continue
            self._resumed.add(reply.message_id)
            meta = stored.messages[index].meta
            mark = meta.stream_mark
            if mark is not None and len(reply.text) >= mark[1]:
                text, after = reply.text[: mark[1]], mark[0]  # later text is read again
            else:
                text, after = "", None  # nothing saved with its place: read it all again
            model = reply.model or meta.model
            asked = stored.to_conversation()  # what was sent: its estimate if it cannot finish
            asked.turns = [m.message for m in stored.messages[:index]]
            resumed = _Resumed(
                reply.conversation_id, reply.message_id, index, str(meta.response_id),
                model, ChatProgress(), BackgroundRun(after=after), frame_timer(self),
                ChatRequest(model=model, messages=asked.messages_with()),
                meta.reasoning if after is not None else "",
            )  # fmt: skip
            self._resume(resumed, text, reply.text, engine)

    def _resume(self, resumed: _Resumed, text: str, saved: str, engine: ResponsesEngine) -> None:
        """Follows one picked-up answer: `text` is what is shown of it up to `resumed.run.after`
        ("" and None: read from the start), `saved` the row's text (kept until new text
        comes)."""
        conversation_id, message_id, index = (
            resumed.conversation_id, resumed.message_id, resumed.index,
        )  # fmt: skip
        response_id, model, progress = resumed.response_id, resumed.model, resumed.progress
        checkpoints = QTimer(self)
        checkpoints.setInterval(1000)  # the row is at most a second behind, as for any answer

        def checkpoint() -> None:
            self._show_resumed(resumed)  # also when its conversation was opened meanwhile
            after = resumed.run.after
            shown = progress.text or text  # `text` until the engine has taken it
            mark = (after, len(shown)) if shown and after is not None else None
            meta = MessageMeta(
                status=MessageStatus.STREAMING, model=model, response_id=response_id,
                reasoning=progress.reasoning or resumed.reasoning, stream_mark=mark,
            )  # fmt: skip
            try:
                self.history.update_message(message_id, content=shown or saved, meta=meta)
            except HistoryError as exc:
                log.warning("history: %s", exc)

        def on_delta(_index: int, _text: str) -> None:
            if not resumed.timer.isActive():
                resumed.timer.start()

        def stop_timers() -> None:
            checkpoints.stop()
            checkpoints.deleteLater()
            resumed.timer.stop()
            resumed.timer.deleteLater()
            self._following.pop(message_id, None)
            self.sync_busy()

        def finish(message: Message, meta: MessageMeta) -> None:
            stop_timers()
            try:
                self.history.update_message(message_id, content=message.content, meta=meta)
            except HistoryError as exc:
                log.warning("history: %s", exc)
            turns = self.conversation.turns
            if (
                self.conversation.id == conversation_id
                and index < len(turns)
                and turns[index].role == "assistant"
            ):
                turns[index] = message
                self.state.metas[index] = meta
                self.conversations.rebuild_view()
            self.conversations.refresh_history()

        def done(result: ChatResult) -> None:
            usage = result.usage or Usage()
            entry = self.counters.write(
                RequestRecord(
                    profile=self.session.profile,
                    tab="chat",
                    model=result.model or model,
                    endpoint=Endpoint.CHAT,
                    usage=usage,
                    status=RequestStatus.OK,
                    latency_ms=result.elapsed_ms,
                    conversation_id=conversation_id,
                    request_id=result.request_id,
                )
            )
            first = result.choices[0] if result.choices else ChoiceResult(0, "", "")
            meta = MessageMeta(
                status=MessageStatus.OK,
                model=result.model or model,
                usage=usage,
                cost=entry.cost,
                finish_reason=first.finish_reason,
                request_id=result.request_id,
                response_id=response_id,
                reasoning=result.reasoning_summary,
                steps=result.steps,
                citations=result.citations,
            )
            finish(Message("assistant", first.text, tool_calls=first.tool_calls), meta)
            if self.conversation.id == conversation_id:
                self.show_conversation_totals()
                self.view.set_reply_info("Finished on OpenAI while Playground was closed")

        def unfinished(status: MessageStatus, error: AppError | None, reasoning: str) -> None:
            kept = progress.text or text or saved
            # Not counted at start (`services._record_recovered` leaves it to this): its estimate.
            usage = unfinished_usage(self.counter, resumed.request, None, kept)
            entry = self.counters.write(
                RequestRecord(
                    profile=self.session.profile, tab="chat", model=model,
                    endpoint=Endpoint.CHAT, usage=usage,
                    status=RequestStatus.ERROR if error else RequestStatus.CANCELLED,
                    conversation_id=conversation_id,
                    request_id=error.request_id if error else None,
                )
            )  # fmt: skip
            meta = MessageMeta(
                status=status, model=model, usage=usage, cost=entry.cost,
                error=error.text if error else "", response_id=response_id, reasoning=reasoning,
            )  # fmt: skip
            finish(Message("assistant", kept), meta)

        def failed(error: AppError) -> None:
            unfinished(MessageStatus.ERROR, error, progress.reasoning)
            if self.conversation.id == conversation_id:
                self.view.set_reply_info(error.title)

        def closed() -> None:
            if resumed.stopped:  # Stop: cancelled on OpenAI; what came is kept
                stopped()
                return
            checkpoint()  # the window closed again: picked up at the next start
            stop_timers()

        def stopped() -> None:
            unfinished(MessageStatus.STOPPED, None, progress.reasoning or resumed.reasoning)
            if self.conversation.id == conversation_id:
                self.show_conversation_totals()
                self.view.set_reply_info("Stopped on OpenAI; what came is kept")

        resumed.timer.timeout.connect(lambda: self._show_resumed(resumed))
        checkpoints.timeout.connect(checkpoint)
        checkpoint()  # streaming again: a second close is picked up too
        checkpoints.start()
        self._following[message_id] = resumed
        resumed.task = self.runner.start(
            engine.follow_background(
                response_id, model, on_delta, progress, resumed.run,
                text=text, reasoning=resumed.reasoning,
            ),
            group="chat-resume",
            on_result=done,
            on_error=failed,
            on_cancel=closed,
        )  # fmt: skip
        self._show_resumed(resumed)

    def _show_resumed(self, resumed: _Resumed) -> None:
        """Shows a picked-up background answer's text in its turn when its conversation is
        open: what came since the last frame, or all of it in a turn built meanwhile."""
        turns = self.conversation.turns
        index = resumed.index
        if (
            self.conversation.id != resumed.conversation_id
            or index >= len(turns)
            or turns[index].role != "assistant"
        ):
            return
        widget = self.view.turn_at(index)
        if widget is None:
            return
        if widget is not resumed.widget:  # first shown, or built again (opened, edited)
            resumed.widget, resumed.shown = widget, -1
            self.sync_busy()  # Stop stops it
            widget.set_info(
                TurnInfo(meta=f"Picked up where it stopped · {BACKGROUND_NOTE}", status="streaming")
            )
        text = resumed.progress.text
        if not text:
            return  # the turn shows what was saved until new text comes
        if resumed.shown < 0:
            widget.finish_stream(text)
        elif len(text) > resumed.shown:
            widget.append_stream(0, text[resumed.shown :])
        resumed.shown = len(text)
        self.view.set_reply_info(f"Streaming… {resumed.progress.chunks:,} tokens")

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
        self._mark_background(turn)
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

    def stop(self, *, leaving: bool = False) -> None:
        """Stops the answer at once; what arrived is kept and marked stopped. A background
        response is cancelled on OpenAI too. A background answer picked up at start that is
        coming into the open conversation is stopped the same way, but not when the user only
        leaves the conversation (`leaving`): it goes on, and is saved when it ends."""
        resumed = None if leaving else self._resumed_here()
        if resumed is not None and resumed.task is not None:
            resumed.stopped = True
            engine = self.engines[API_RESPONSES]
            if isinstance(engine, ResponsesEngine):
                self.runner.start(
                    engine.cancel_background(resumed.response_id, resumed.model),
                    group="chat-cancel",
                    on_error=lambda error: log.info("cancel: %s", error.text),
                )
            resumed.task.cancel()
        turn = self._background
        response_id = turn.progress.response_id if turn is not None else None
        engine = self.engines[API_RESPONSES]
        if turn is not None and response_id and isinstance(engine, ResponsesEngine):
            self._background_stopped = turn
            self.runner.start(
                engine.cancel_background(response_id, turn.request.model),
                group="chat-cancel",
                on_error=lambda error: log.info("cancel: %s", error.text),
            )
        self.runner.cancel(GROUP)

    def retry(self) -> None:
        """Sends the last request again, replacing its failed answer; after a refused setting
        ("Send again without it"), without that setting, remembered for the model."""
        last = self.state.last_request
        if self.runner.is_busy(GROUP):
            return
        self.conversations.save_all()  # what a failed write left out (or nothing)
        if last is None:
            return
        if self._refused is not None:
            model, setting = self._refused
            self.learned.learn(model, setting)
            if self.view.current_model() == model:
                self.view.set_learned(model, sorted(self.learned.of(model)))
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
        if turn is self._background:
            self._background = None
        self.wait_line.stop()
        self.settle(turn)
        self._flush_timer.stop()
        turn.frame_timer.stop()
        self._render_pending(turn)
        turn.frame_timer.deleteLater()
        result = self._with_fees(result, turn)
        first = result.choices[0] if result.choices else ChoiceResult(0, "", "")
        usage = reply_usage(self.counter, turn.request, result.usage, result.text, first.tool_calls)
        entry = self._record(
            turn, usage, RequestStatus.OK, result.elapsed_ms, result.request_id,
            service_tier=result.service_tier,
        )  # fmt: skip
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
            reasoning=result.reasoning_summary,
            steps=result.steps,
            citations=result.citations,
        )
        meta = turn.with_kept(meta)
        message = Message("assistant", first.text, tool_calls=first.tool_calls)
        meta = dataclasses.replace(meta, response_id=result.response_id or None)
        request = turn.request
        if isinstance(request, ResponsesRequest) and (
            request.store or request.previous_response_id
        ):
            sent = [m for m in request.messages if m.role not in ("system", "developer")]
            kept = kept_response(result.response_id, sent, message)
            if kept is not None:  # the answer is kept on OpenAI: the next request continues it
                meta = dataclasses.replace(meta, response_chain=kept.chain)
        self.server_conversations.answered(turn, message)
        turn.conversation.turns.append(message)
        if turn.conversation is self.conversation:
            self.state.metas.append(meta)
            self.state.results[len(self.conversation.turns) - 1] = result
        self._store_reply(turn, message, meta)
        if turn.conversation is self.conversation:
            widget = self.settle(turn)
            widget.message = message
            widget.finish_stream(first.text)
            priced = self.accounting.pricer.tier_priced(
                result.model or turn.request.model,
                result.service_tier,
                self.session.profile.price_provider,
            )
            info = reply_info(result, usage, entry.cost, tier_priced=priced)
            info += _kept_note(turn.request) + self.server_conversations.note(turn)
            if turn.request is self._sent_whole:
                info += " (OpenAI no longer had the earlier answers)"
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
            if self.pictures is not None:  # drawn pictures into the Images gallery
                self.pictures.keep(result.steps, turn.request, self.session.profile.name)
            widget.set_logprobs(list(first.logprobs))
            if first.tool_calls:
                widget.show_tool_calls(first.tool_calls, awaiting=True)
            if any(step.status == "awaiting_approval" for step in result.steps):
                info = "Waiting for your approval (Approve or Deny above) · " + info
            self.view.set_reply_info(info, reply_details(result))
            self.moderation.check(widget, first.text, message_id=turn.message_id)

    def _with_fees(self, result: ChatResult, turn: InFlight) -> ChatResult:
        """`result` with the fee of each built-in tool call that has one (its step shows it)."""
        if not any(step.has_fee for step in result.steps):
            return result
        model = result.model or turn.request.model
        provider = self.session.profile.price_provider
        pricer = self.accounting.pricer
        fees = with_fees(result.steps, lambda kind: pricer.call_fee(model, kind, provider))
        return dataclasses.replace(result, steps=fees)

    def approve(self, index: int, item_id: str, approve: bool) -> None:
        """The user answered an MCP approval request in answer `index`: the next request carries
        the answer (`McpApproval`) through the Responses API; the model's answer follows as a new
        turn."""
        result = self.state.results.get(index)
        kept = self.state.metas[index].steps if 0 <= index < len(self.state.metas) else ()
        steps = result.steps if result else kept  # a reopened conversation: its kept steps
        step = next((s for s in steps if s.item_id == item_id), None)
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
        if turn is self._background:
            self._background = None
        again = self.server_conversations.gone(turn, error)
        if again is not None and turn.conversation is self.conversation:
            self._end_partial(turn, RequestStatus.ERROR, MessageStatus.ERROR, error.text)
            self.send(again, api=turn.api)  # a new conversation, once, with the turns so far
            return
        self.server_conversations.doubt(turn, error)
        if self._send_all_instead(turn, error):
            return
        _entry, meta = self._end_partial(turn, RequestStatus.ERROR, MessageStatus.ERROR, error.text)
        if turn.conversation is self.conversation:
            if meta is not None:
                self.settle(turn).set_info(
                    TurnInfo(meta=partial_info(turn, meta), status="error", error=error.text)
                )
            what = "Interrupted" if meta is not None else "Failed"
            self.view.set_reply_info(f"{what} after {format_duration_ms(turn.progress.elapsed_ms)}")
            setting = setting_for(error.param, error.code, error.message)
            if setting is not None and is_set(turn.request, setting):
                model = turn.request.model
                self._refused = (model, setting)
                refused = dataclasses.replace(
                    error,
                    title="Setting refused",
                    message=refusal_text(model, setting),
                    hint="Send again without it; it is then left out for this model (see "
                    "“Learned from the server” in the Parameters panel).",
                )
                self.view.show_error(refused, retry=True, retry_text="Send again without it")
                return
            if "vector_store_ids" in (error.param or ""):
                error = dataclasses.replace(
                    error,
                    title="Vector store not found",
                    message="A vector store ticked for File search no longer exists on OpenAI.",
                    hint="Press Refresh under File search and tick another one (or create one "
                    "in the Platform tab), then send again.",
                )
            # A retired model's 404 names it and its date; the view offers "Use <replacement>".
            listed = self._snapshot.models if self._snapshot is not None else None
            error = retired_error(error, turn.request.model, listed, self.today())
            self.view.show_error(error, retry=True, retry_text="Retry")
            if error.kind == ErrorKind.RATE_LIMIT and error.retry_after:
                self._failed_error = error
                self._retry.start_for(error)  # the hint counts down with the Retry button

    def _send_all_instead(self, turn: InFlight, error: AppError) -> bool:
        """OpenAI no longer has the answer a "Keep on OpenAI" request continued from (kept 30
        days, or deleted): the whole conversation is sent instead, at once, and kept again.
        Returns whether it was."""
        request = turn.request
        gone = error.param == "previous_response_id" or error.code == "previous_response_not_found"
        if (
            not gone
            or not isinstance(request, ResponsesRequest)
            or not request.previous_response_id
            or turn.conversation is not self.conversation
        ):
            return False
        self._end_partial(turn, RequestStatus.ERROR, MessageStatus.ERROR, error.text)
        self.state.metas[:] = [dataclasses.replace(m, response_chain="") for m in self.state.metas]
        self._sent_whole = dataclasses.replace(request, previous_response_id=None)
        self.send(self._sent_whole, api=turn.api)
        return True

    def show_learned(self) -> None:
        """Shows in the panel what the server refused for the current model."""
        model = self.view.current_model()
        self.view.set_learned(model, sorted(self.learned.of(model)))

    def forget_learned(self) -> None:
        """Forgets what the server refused for the current model: it is sent again."""
        model = self.view.current_model()
        self.learned.forget(model)
        self.view.set_learned(model, [])
        self.estimate_draft()

    def _on_retry_text(self, _text: str) -> None:
        """The wait a 429 asked for changed: its hint says what is left, never a stale wait."""
        error = self._failed_error
        if error is not None and self._retry.left >= 0:
            self.view.show_error(dataclasses.replace(error, hint=self._retry.hint()), retry=True)

    def _on_cancelled(self, turn: InFlight) -> None:
        self.server_conversations.doubt(turn)
        if turn is self._background:
            if self._background_stopped is not turn:
                # The window is closing: the response runs on at OpenAI; its history row keeps
                # its id, its text and the last event read, and is picked up at the next start
                # (`resume_background`).
                self._mark_background(turn)
                self._background = None
                return
            self._background = None
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
            reasoning=turn.progress.reasoning, steps=tuple(turn.progress.steps),
            citations=tuple(turn.progress.citations),
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
        if self._background is not None:
            self._mark_background(self._background)  # its text with the last event read
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
        *,
        service_tier: str | None = None,
    ) -> LedgerEntry:
        entry = self.counters.write(
            RequestRecord(
                profile=self.session.profile,
                tab="chat",
                model=turn.request.model,
                endpoint=Endpoint.CHAT,
                usage=usage,
                status=status,
                latency_ms=latency_ms,
                conversation_id=turn.conversation.id,
                request_id=request_id,
                service_tier=service_tier,
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
        # Turns an earlier summary replaced are never sent (counting may say more, below).
        compacted = draft.api == API_RESPONSES
        gone = left_out(self.conversation.turns, self._pinned(), compacted=compacted)
        self.view.mark_not_sent(set(gone))
        self._show_estimate(request)
        typed = bool(draft.user_text.strip() or draft.images)
        self._schedule_exact_count(request, draft.api if typed else "")

    def _schedule_exact_count(self, request: ChatRequest, api: str) -> None:
        """On OpenAI's Responses API, asks for the draft's exact input count once typing pauses
        (debounced, async: typing never waits for it); elsewhere (or with nothing typed: Send
        would send nothing) the local estimate stays."""
        self._exact_timer.stop()
        profile = self.session.profile
        if (
            api != API_RESPONSES
            or profile.kind is not ProviderKind.OPENAI
            or profile.id in self._exact_unavailable
            or not request.model
        ):
            return
        if self._exact is not None and self._exact[0] == request:
            return  # counted already: `_show_estimate` shows it
        self._exact_timer.start()

    def _count_exactly(self) -> None:
        request = self._estimated_request
        if request is None:
            return
        profile = self.session.profile.id
        engine = self.engines[API_RESPONSES]
        if not isinstance(engine, ResponsesEngine):
            return

        def counted(tokens: int) -> None:
            self._exact = (request, tokens)
            if self._estimated_request == request:
                self._show_estimate(request)

        def failed(error: AppError) -> None:
            # Offline, or a server without the endpoint: the local estimate stays, labelled
            # as one; a server that cannot count is not asked again this session.
            if error.status in (400, 404, 405, 501):
                self._exact_unavailable.add(profile)
            log.info("exact input count unavailable: %s", error.text)

        self.runner.start(
            engine.input_tokens(self._without_replaced(request)),  # what Send sends of it
            group=EXACT_GROUP,
            on_result=counted,
            on_error=failed,
            on_cancel=lambda: None,
        )

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
        exact = self._exact[1] if self._exact is not None and self._exact[0] == request else None
        if not model or (exact is None and not self.counter.is_loaded(model)):
            self.view.set_estimate("", None, False)
            return
        caps = capabilities(model)
        if exact is not None:
            tokens = exact
        elif counted is not None:
            tokens = counted + extra_input_tokens(self.counter, request)
        elif sum(len(m.content) for m in request.messages) < 20_000:
            tokens = input_tokens(self.counter, request)
        else:
            return  # the off-thread count will call back with the number
        if exact is None:
            tokens -= self._not_sent_by_notes(request)
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
        warn = bool(fill is not None and fill >= WARN_AT)
        text = f"{format_tokens(tokens, estimated=exact is None)}"
        if exact is not None:
            text += " (exact)"
        if window:
            text += f" of {window:,} context"
        text += f" · {cost}"
        text += self._context_warning(request, tokens, window)
        self.view.set_estimate(text, fill, warn)

    def _not_sent_by_notes(self, request: ChatRequest) -> int:
        """The tokens a count of `request` includes that Send does not send: the turns a summary
        or compaction note replaced, and a compaction note's stored form beyond the few tokens it
        takes when sent (or all of it where it is not sent: Chat Completions)."""
        model = request.model
        turns = [m for m in request.messages if m.role not in ("system", "developer")]
        notes = [i for i, m in enumerate(turns) if is_summary(m) or is_compaction(m)]
        if not notes or not model or not self.counter.is_loaded(model):
            return 0
        compacted = self.view.api() == API_RESPONSES
        gone = set(left_out(turns, self._pinned(), compacted=compacted))
        sizes = self._turn_sizes(turns, model)
        out = sum(sizes[i] for i in gone if not is_compaction(turns[i]))
        empty = self.counter.count_messages((), model)
        for i in notes:
            if is_compaction(turns[i]):
                key = (f"{model}\x00stored", turns[i])  # its JSON, counted once
                stored = self._sizes.get(key)
                if stored is None:
                    stored = self._sizes[key] = (
                        self.counter.count_messages((turns[i],), model) - empty
                    )
                out += stored if i in gone else stored - sizes[i]
        return max(out, 0)

    def _context_warning(self, request: ChatRequest, tokens: int, window: int | None) -> str:
        """What the estimate line says as the conversation nears or passes the window, by the
        conversation's strategy; marks the turns the next request would leave out."""
        strategy, shaped = self._shape(request, self.view.api())
        self.view.mark_not_sent({i for i in shaped.left_out if i < len(self.conversation.turns)})
        if not window:
            return ""
        budget = input_budget(window, request.max_output_tokens) or window
        if tokens <= budget:
            return " · nearly full" if tokens >= WARN_AT * budget else ""
        n = len(shaped.left_out) - len(left_out(self.conversation.turns))
        if strategy is Strategy.SERVER:
            return " · too long: OpenAI will leave out the oldest part"
        if strategy is Strategy.DROP and n > 0:
            return f" · too long: the {n} oldest turn{'s' if n != 1 else ''} will not be sent"
        if strategy is Strategy.SUMMARISE and n > 0:
            return f" · too long: the {n} oldest turn{'s' if n != 1 else ''} will be summarised"
        if strategy is Strategy.COMPACT and n > 0:
            return f" · too long: OpenAI will compact the {n} oldest turn{'s' if n != 1 else ''}"
        return " · too long for this model"

    def on_busy_changed(self, group: str, _busy: bool) -> None:
        if group == GROUP:  # an answer picked up at start may still keep Stop on
            self.sync_busy()

    def sync_busy(self) -> None:
        """Stop (and Send) follow whether an answer is coming into the open conversation: one
        sent now, or a background answer picked up at start."""
        self.view.set_busy(self.runner.is_busy(GROUP) or self._resumed_here() is not None)

    def _resumed_here(self) -> _Resumed | None:
        """The picked-up background answer still coming into the open conversation, if any."""
        cid = self.conversation.id
        return next((r for r in self._following.values() if r.conversation_id == cid), None)


def _kept_note(request: ChatRequest) -> str:
    """What the reply line says of "Keep on OpenAI": whether only the new message went out."""
    if not isinstance(request, ResponsesRequest):
        return ""
    if request.previous_response_id:
        return " · only the new message was sent (kept on OpenAI)"
    if request.conversation:
        return " · only the new message was sent (kept in an OpenAI conversation)"
    if request.store:
        return " · whole conversation sent, now kept on OpenAI"
    return ""


@dataclasses.dataclass(eq=False)
class _Resumed:
    """A background answer picked up at start (`ChatSending.resume_background`)."""

    conversation_id: str
    message_id: int
    index: int
    response_id: str
    model: str
    progress: ChatProgress
    run: BackgroundRun
    timer: QTimer  # one render per frame
    request: ChatRequest  # what was sent (its ledger row is written when it ends here)
    reasoning: str = ""
    widget: TurnWidget | None = None  # the turn it is shown in, and how much of it
    shown: int = 0
    task: asyncio.Task[ChatResult] | None = None  # following it (Stop cancels it)
    stopped: bool = False  # Stop was pressed: cancelled on OpenAI, ends as stopped
