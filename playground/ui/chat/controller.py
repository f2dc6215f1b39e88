"""The Chat tab's controller: one object that owns the tab's parts and is the tab's
`FeatureController`.

The parts share one `ChatState` (the open conversation, the send in flight) and each owns one
section of the tab's behaviour:

- `sending.ChatSending`: send, stream, Stop, Retry, the price line, the draft's estimate;
- `editing.TurnEditing`: edit, move, delete, regenerate, choices and tool results;
- `conversations.ConversationHistory`: open, new, rename, duplicate, fork, delete, drafts and the
  history list;
- `presets_export.PresetsAndExport`: presets, View code, Paste request, export and import;
- `moderation_check.ModerationCheck`: the moderation check of each turn.

This class builds them, connects the tab's signals to them, and answers the app's hooks
(`FeatureController`) and Chat's commands (`ChatCommands`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QObject

from playground.core.api.catalog import CatalogSnapshot
from playground.core.api.errors import AppError
from playground.core.api.session import ApiSession
from playground.core.chat.context import is_compaction
from playground.core.chat.learned import Learned
from playground.core.chat.presets import PresetStore, fill_variables
from playground.core.chat.service import ChatRequest, ChatService, Conversation
from playground.core.images.library import ImageLibrary
from playground.core.money.accounting import Accounting
from playground.core.money.tokens import TokenCounter
from playground.core.platform.vector_stores import VectorStoresService
from playground.core.storage.history import HistoryStore
from playground.ui.chat.conversations import ConversationHistory
from playground.ui.chat.downloads import StepFileDownloads
from playground.ui.chat.editing import TurnEditing
from playground.ui.chat.link import ChatTabLink, turn_case
from playground.ui.chat.mcp_headers import McpHeaders
from playground.ui.chat.moderation_check import ModerationCheck
from playground.ui.chat.openai_delete import DeleteOnOpenAI
from playground.ui.chat.pictures import ChatPictures
from playground.ui.chat.presets_export import PresetsAndExport
from playground.ui.chat.sending import ChatSending
from playground.ui.chat.starter_actions import ChatStarters
from playground.ui.chat.state import GROUP, ChatState
from playground.ui.chat.tab import ChatTab
from playground.ui.chat.vector_stores import VectorStoreList
from playground.ui.common.chat_link import COMPARE_TAB, ChatLink, ChatSettings, CompareRequest
from playground.ui.common.chat_params import API_CHAT_COMPLETIONS
from playground.ui.common.feature import CHAT, FeatureController
from playground.ui.shell.bridge import TaskRunner
from playground.ui.shell.counters import CountersController


class ChatController(FeatureController):
    """Owns the open conversation and drives the Chat tab through its parts.

    Signals:
        refresh_models_requested: the tab asked for a fresh model list (from FeatureController).
    """

    busy_groups = (GROUP,)

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
        show_tab: Callable[[str], None] | None = None,
        default_api: Callable[[], str] | None = None,
        parent: QObject | None = None,
        today: Callable[[], date] = date.today,
        test_starter: Callable[[str], None] | None = None,
        pictures: ImageLibrary | None = None,
    ) -> None:
        super().__init__(view, parent)
        self.view: ChatTab = view
        self.service = service
        self.counters = counters
        self.history = history or HistoryStore.in_memory()
        self.state = ChatState()
        self._preferred_model = ""
        self._link = ChatTabLink(
            view,
            lambda: show_tab(CHAT) if show_tab else None,
            lambda: show_tab("lab") if show_tab else None,
            lambda: show_tab(COMPARE_TAB) if show_tab else None,
        )
        view.turn_lab_requested.connect(self._to_lab)
        self.moderation = ModerationCheck(
            self.state, view, session, runner, counters, self.history, self
        )
        self.conversations = ConversationHistory(
            self.state,
            view,
            self.history,
            before_switch=self._before_switch,
            after_load=self._after_load,
            default_api=default_api,
            save_ledger=counters.save_unsaved,
            ledger_error=lambda: counters.write_error,
            parent=self,
        )
        self.sending = ChatSending(
            self.state,
            view,
            service,
            session,
            runner,
            counter,
            accounting,
            counters,
            self.history,
            self.conversations,
            self.moderation,
            self,
            today=today,
        )
        view.switch_model_requested.connect(self.sending.model_changed)
        self._link.use_learned(lambda: self.sending.learned, self.sending.show_learned)
        self.editing = TurnEditing(self.state, view, runner, self.conversations, self.sending, self)
        self.exports = PresetsAndExport(
            self.state,
            view,
            session,
            self.history,
            presets,
            self.conversations,
            self.sending,
            draft_changed=self._on_view_draft_changed,
            parent=self,
        )
        self.starters = ChatStarters(
            view, runner, self.exports.apply_preset, today, test_starter, parent=self
        )
        self.vector_stores = VectorStoreList(
            view, VectorStoresService(session.client), runner, parent=self
        )
        self.downloads = StepFileDownloads(view, session, runner, parent=self)
        self.mcp_headers = McpHeaders(view, session.secrets, runner, parent=self)
        if pictures is not None:
            self.sending.pictures = ChatPictures(pictures, view, runner)
        self.openai_delete = DeleteOnOpenAI(
            view,
            self.history,
            self.sending.server_conversations.keeper,
            runner,
            self.sending.server_conversations.forget,
            parent=self,
        )
        self._connect(view, runner)
        view.set_api((default_api or (lambda: API_CHAT_COMPLETIONS))())
        view.set_history_persistent(self.history.persistent)
        self.exports.refresh_presets()
        self.conversations.refresh_history()
        self.sending.model_changed(view.current_model())
        self.sending.resume_background()  # answers left running on OpenAI at the last close

    def _connect(self, view: ChatTab, runner: TaskRunner) -> None:
        sending, editing = self.sending, self.editing
        history, exports = self.conversations, self.exports
        view.send_requested.connect(sending.send_draft)
        view.stop_requested.connect(sending.stop)
        view.retry_requested.connect(sending.retry)
        view.learned_reset_requested.connect(sending.forget_learned)
        view.mcp_always_allow_changed.connect(self._set_mcp_always)
        view.save_now_requested.connect(history.save_all)
        view.model_changed.connect(sending.model_changed)
        view.draft_changed.connect(self._on_view_draft_changed)
        view.refresh_models_requested.connect(self.refresh_models_requested)
        view.add_turn_requested.connect(editing.add_example)
        view.turn_edited.connect(editing.edited)
        view.turn_role_toggled.connect(editing.role_toggled)
        view.turn_pin_toggled.connect(editing.pin_toggled)
        view.turn_move_requested.connect(editing.moved)
        view.turn_delete_requested.connect(editing.deleted)
        view.turn_regenerate_requested.connect(editing.regenerate)
        view.turn_choice_selected.connect(editing.choice_selected)
        view.turn_tool_results_submitted.connect(editing.tool_results)
        view.mcp_approval_given.connect(sending.approve)
        view.turn_fork_requested.connect(history.fork)
        view.turn_answer_selected.connect(editing.answer_selected)
        view.turn_compare_requested.connect(self.compare_turn)
        view.clear_requested.connect(history.new_conversation)
        view.open_conversation_requested.connect(history.open_conversation)
        view.history_search_changed.connect(history.on_search)
        view.rename_conversation_requested.connect(history.rename)
        view.duplicate_conversation_requested.connect(history.duplicate)
        view.delete_conversation_requested.connect(history.delete)
        view.undo_delete_requested.connect(history.undo_delete)
        view.delete_conversation_requested.connect(self.openai_delete.on_deleted)  # after it
        view.delete_on_openai_requested.connect(self.openai_delete.delete)
        view.copy_last_answer_requested.connect(exports.copy_last_answer)
        view.export_requested.connect(exports.export_conversation)
        view.import_conversation_requested.connect(exports.import_conversation)
        view.view_code_requested.connect(exports.show_code)
        view.import_requested.connect(exports.paste_request)
        view.preset_save_requested.connect(exports.save_preset)
        view.preset_load_requested.connect(exports.load_preset)
        view.preset_rename_requested.connect(exports.rename_preset)
        view.preset_delete_requested.connect(exports.delete_preset)
        view.preset_import_requested.connect(exports.import_presets)
        view.preset_export_requested.connect(exports.export_presets)
        runner.busy_changed.connect(sending.on_busy_changed)

    def _on_view_draft_changed(self) -> None:
        self.sending.estimate_draft()
        self.conversations.draft_edited()

    def _before_switch(self) -> None:
        self.sending.stop(leaving=True)
        self.sending.settle_unfiled()

    def _after_load(self) -> None:
        self.sending.sync_busy()  # an answer picked up at start may be coming into this one
        self.sending.show_conversation_totals()
        self.sending.estimate_draft()

    def compare_turn(self, index: int) -> None:
        """ "Compare this": opens Compare with the conversation up to turn `index` (its last
        message of the user, and the turns before as context) and Chat's current settings."""
        turns = self.state.conversation.turns[: index + 1]
        if turns and turns[-1].role == "assistant":
            turns = turns[:-1]
        at = next((i for i in range(len(turns) - 1, -1, -1) if turns[i].role == "user"), None)
        if at is None:
            self.view.show_error(
                AppError.local(
                    "Nothing to compare yet",
                    "Compare this needs a message of yours before the answer.",
                )
            )
            return
        draft = self.view.draft()
        settings = self.view.chat_settings()
        system = fill_variables(draft.system_prompt, draft.variables)
        self._link.compare(
            CompareRequest(
                ChatSettings(settings.model, system, settings.fields),
                # A compaction is Chat's own: Compare gets the turns it replaced instead.
                tuple(m for m in turns[:at] if not is_compaction(m)),
                turns[at].content,
            )
        )

    @property
    def conversation(self) -> Conversation:
        """The open conversation."""
        return self.state.conversation

    def current_request(self) -> ChatRequest:
        """The request Send would make now."""
        return self.sending.current_request()

    def stop(self) -> None:
        self.sending.stop()

    # --- FeatureController ---------------------------------------------------------------------

    def show_models(self, snapshot: CatalogSnapshot | None) -> None:
        self.sending.show_models(snapshot, self._preferred_model)
        self.starters.show_models(snapshot)

    def shutdown(self) -> None:
        """Closing: what a failed write left out is tried once more (the draft is saved by
        `save_state`)."""
        self.conversations.save_all()

    def restore_state(self, state: dict[str, Any]) -> None:
        """`ChatSettings` as a dict: the input's Enter key, the moderation check, the system
        prompt, the model to prefer and the conversation to reopen."""
        view = self.view
        view.set_enter_sends(bool(state.get("enter_sends", False)))
        view.set_moderation_check(bool(state.get("moderation_check", False)))
        view.set_system_prompt(str(state.get("system_prompt", "")))
        view.set_show_retired(bool(state.get("show_retired", False)))
        self._preferred_model = str(state.get("model", ""))
        self.sending.learned = Learned.from_dict(state.get("learned") or {})
        always = state.get("mcp_always_allow") or []
        self.sending.mcp_always = {str(label) for label in always if str(label)}
        view.set_mcp_always_allowed(sorted(self.sending.mcp_always))
        self.sending.show_learned()
        self.conversations.restore_last(str(state.get("conversation_id", "")))

    def save_state(self) -> dict[str, Any]:
        self.conversations.save_draft()
        draft = self.view.draft()
        return {
            "model": draft.model,
            "system_prompt": draft.system_prompt,
            "enter_sends": self.view.enter_sends,
            "moderation_check": self.view.moderation_check_on,
            "conversation_id": self.state.conversation.id,
            "learned": self.sending.learned.to_dict(),
            "show_retired": self.view.shows_retired(),
            "mcp_always_allow": sorted(self.sending.mcp_always),
        }

    def _set_mcp_always(self, label: str, on: bool) -> None:
        """ "Always allow" for MCP server `label`: kept per server, in settings."""
        if on:
            self.sending.mcp_always.add(label)
        else:
            self.sending.mcp_always.discard(label)

    # --- ChatCommands --------------------------------------------------------------------------

    def link(self) -> ChatLink:
        return self._link

    def _to_lab(self, index: int) -> None:
        """ "To Lab" on an answer: Prompt Lab gets a case from it (and comes to the front)."""
        conversation = self.state.conversation
        values = self.view.known_variables()
        case = turn_case(conversation.turns, index, conversation.system_prompt, values)
        if case is not None:
            self._link.add_to_lab(case)

    def new_conversation(self) -> None:
        self.conversations.new_conversation()

    def open_conversation(self, conversation_id: str) -> None:
        self.conversations.open_conversation(conversation_id)

    def export_conversation(self, kind: str) -> None:
        self.exports.export_conversation(kind)

    def copy_last_answer(self) -> None:
        self.exports.copy_last_answer()

    def save_preset(self, name: str) -> None:
        self.exports.save_preset(name)

    def show_code(self) -> None:
        self.exports.show_code()
