"""The Chat tab (view only): history, system prompt, the conversation, the message box, parameters.

The tab holds no network code and no conversation state. It emits what the user wants and its
controller calls the slots. Streaming text goes into the last turn incrementally (`TurnWidget`);
nothing else is re-rendered while an answer streams.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QPainter, QPaintEvent, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.api.errors import AppError
from playground.core.api.retirements import ModelChoice
from playground.core.chat.service import ChatRequest
from playground.core.models import ImagePart, Message
from playground.ui.chat.conversation_view import ConversationView, TurnInfo, TurnWidget
from playground.ui.chat.history_panel import HistoryPanel
from playground.ui.chat.preset_menu import PresetMenu
from playground.ui.chat.starters import StarterGallery
from playground.ui.chat.variables_form import VariablesForm
from playground.ui.common.attachments import AttachmentsBar, RunBlocking
from playground.ui.common.chat_link import ChatSettings
from playground.ui.common.chat_params import (
    API_CHAT_COMPLETIONS,
    ChatParamsPanel,
    build_request,
    wrap_in_scroll_area,
)
from playground.ui.common.flow_row import FlowRow, group
from playground.ui.common.model_picker import UseReplacementButton
from playground.ui.common.widgets import fill, named, side_by_side, wrapped_label
from playground.ui.shell.theme import icon, is_dark

if TYPE_CHECKING:
    from playground.core.api.capabilities import Capabilities
    from playground.core.chat.presets import Preset
    from playground.core.starters import Starter
    from playground.core.storage.history import ConversationSummary


# Tab in a text box moves on, as everywhere else in the window; pasted text keeps its tabs.
TAB_KEY_TIP = "Tab moves to the next control, Shift+Tab back. Tabs in pasted text are kept."


@dataclass(frozen=True, slots=True)
class ChatDraft:
    """What the view holds when the user presses Send (or Add)."""

    system_prompt: str
    user_text: str
    model: str
    fields: dict[str, Any] = field(default_factory=dict)
    images: tuple[ImagePart, ...] = ()
    variables: dict[str, str] = field(default_factory=dict)
    api: str = API_CHAT_COMPLETIONS
    extras: dict[str, Any] = field(default_factory=dict)  # the panel's `responses_fields()`

    def request(self, messages: tuple[Message, ...]) -> ChatRequest:
        """The request for `messages` with the draft's model and settings (a `ResponsesRequest`
        when a Responses setting is set or the API is Responses)."""
        return build_request(self.model, messages, {**self.fields, **self.extras, "api": self.api})

    @property
    def temperature(self) -> float | None:
        value = self.fields.get("temperature")
        return None if value is None else float(value)

    @property
    def max_output_tokens(self) -> int | None:
        value = self.fields.get("max_output_tokens")
        return None if value is None else int(value)


REPLY_INFO_TIP = "Finish reason, time to first token, speed, tokens and cost of the last answer"


class ElidedLabel(QLabel):
    """A one-line label that ends in "…" when it is too narrow (`text()` stays whole; the owner
    puts the whole text in the tooltip)."""

    def paintEvent(self, _event: QPaintEvent) -> None:
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter = QPainter(self)
        self.style().drawItemText(
            painter,
            rect,
            int(self.alignment()),
            self.palette(),
            self.isEnabled(),
            text,
            self.foregroundRole(),
        )


class ChatTab(QWidget):
    """The chat workbench view.

    Signals:
        send_requested: Send / Ctrl+Enter. arg: the ChatDraft.
        add_turn_requested: add the typed text as a turn without sending (few-shot). args: role, draft.
        stop_requested: Stop or Esc while an answer streams.
        retry_requested: the Retry button after a failed request.
        draft_changed: the system prompt, message, attachments, variables or parameters changed.
        clear_requested: a new, empty conversation (Ctrl+N).
        refresh_models_requested: fetch the model list again.
        model_changed: the model changed. arg: the model id.
        view_code_requested: show the request as code.
        learned_reset_requested: forget what the server refused for the current model.
        vector_stores_wanted: file search needs the list of vector stores.
        mcp_headers_wanted, mcp_headers_save_requested, mcp_headers_forget_requested: an MCP
            server's headers in the keyring (see `ChatParamsPanel`).
        mcp_always_allow_changed: "Always allow" ticked or unticked for an MCP server. args:
            its label, on.
        import_requested: paste a curl command or JSON body.
        export_requested: save the conversation. arg: "markdown" or "json".
        import_conversation_requested: open an exported JSON conversation.
        copy_last_answer_requested: Ctrl+Shift+C.
        turn_edited: a turn's text was edited. args: turn index, new text, resend (bool).
        turn_role_toggled: switch a turn user ⇄ assistant. arg: turn index.
        turn_pin_toggled: pin or unpin a turn (pinned turns are always sent). arg: turn index.
        turn_move_requested: args: turn index, -1 (up) or +1 (down).
        turn_delete_requested: arg: turn index.
        turn_regenerate_requested: arg: turn index (an answer).
        turn_fork_requested: arg: turn index ("fork from here").
        turn_lab_requested: "To Lab" on an answer. arg: turn index.
        turn_compare_requested: "Compare this" on a turn. arg: turn index.
        turn_answer_selected: show another answer Regenerate kept. args: turn index, which.
        turn_choice_selected: args: turn index, choice index.
        turn_tool_results_submitted: args: turn index, {tool_call_id: result text}.
        step_file_download_requested: Download on a file the code interpreter made. arg: its
            `Citation` (with its container id).
        mcp_approval_given: Approve / Deny on an MCP approval request. args: turn index, the
            request's item id, approve.
        open_conversation_requested: a conversation was picked in the history list. arg: its id.
        history_search_changed: the history search text changed. arg: the text.
        rename_conversation_requested: args: conversation id, new title.
        duplicate_conversation_requested: arg: conversation id.
        delete_conversation_requested: arg: conversation id.
        undo_delete_requested: arg: conversation id.
        delete_on_openai_requested: "Also delete it on OpenAI" after a delete. arg: its id.
        preset_save_requested: arg: preset name.
        preset_load_requested: arg: preset name.
        preset_rename_requested: args: old name, new name.
        preset_delete_requested: arg: preset name.
        preset_import_requested: arg: file path.
        preset_export_requested: arg: file path.
        starter_open_requested: put a shipped starter into Chat. arg: its id.
        starter_test_requested: open a shipped starter's test suite in Prompt Lab. arg: its id.
        price_explain_requested: the reply line (True: the last answer) or the conversation
            totals (False: every request) were clicked: show how that cost was made.
    """

    send_requested = Signal(object)
    add_turn_requested = Signal(str, object)
    stop_requested = Signal()
    retry_requested = Signal()
    draft_changed = Signal()
    clear_requested = Signal()
    refresh_models_requested = Signal()
    model_changed = Signal(str)
    view_code_requested = Signal()
    learned_reset_requested = Signal()
    vector_stores_wanted = Signal()
    mcp_headers_wanted = Signal(str)
    mcp_headers_save_requested = Signal(str, str, str)
    mcp_headers_forget_requested = Signal(str)
    mcp_always_allow_changed = Signal(str, bool)
    import_requested = Signal()
    export_requested = Signal(str)
    import_conversation_requested = Signal()
    copy_last_answer_requested = Signal()
    switch_model_requested = Signal(str)
    # The conversation's turns, the history list and the presets menu, raised by the tab so that
    # its controllers never reach into its children.
    turn_edited = Signal(int, str, bool)
    turn_role_toggled = Signal(int)
    turn_pin_toggled = Signal(int)
    turn_move_requested = Signal(int, int)
    turn_delete_requested = Signal(int)
    turn_regenerate_requested = Signal(int)
    turn_fork_requested = Signal(int)
    turn_lab_requested = Signal(int)
    turn_compare_requested = Signal(int)
    turn_answer_selected = Signal(int, int)
    turn_choice_selected = Signal(int, int)
    turn_tool_results_submitted = Signal(int, dict)
    mcp_approval_given = Signal(int, str, bool)
    step_file_download_requested = Signal(object)
    open_conversation_requested = Signal(str)
    history_search_changed = Signal(str)
    rename_conversation_requested = Signal(str, str)
    duplicate_conversation_requested = Signal(str)
    delete_conversation_requested = Signal(str)
    undo_delete_requested = Signal(str)
    delete_on_openai_requested = Signal(str)
    preset_save_requested = Signal(str)
    preset_load_requested = Signal(str)
    preset_rename_requested = Signal(str, str)
    preset_delete_requested = Signal(str)
    preset_import_requested = Signal(str)
    preset_export_requested = Signal(str)
    starter_open_requested = Signal(str)
    starter_test_requested = Signal(str)
    save_now_requested = Signal()
    price_explain_requested = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatTab")
        self._busy = False
        self._blockers: list[str] = []
        self.enter_sends = False

        # --- left: history ---------------------------------------------------------------------
        self.history = HistoryPanel()
        self.history.setMinimumWidth(190)

        # --- centre: title bar, system prompt, conversation, composer -------------------------------
        # A long title ends in "…" (all of it in the tooltip) rather than widening the column.
        self.title_label = ElidedLabel("New conversation")
        self.title_label.setMinimumWidth(1)
        self.title_label.setObjectName("conversationTitle")
        font = self.title_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.title_label.setFont(font)
        self.presets_button = QToolButton()
        self.presets_button.setObjectName("presetsButton")
        self.presets_button.setText("Presets")
        self.presets_button.setToolTip(
            "Save or load the system prompt with every parameter (Ctrl+S saves)"
        )
        self.presets_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.preset_menu = PresetMenu(self.presets_button)
        self.presets_button.setMenu(self.preset_menu)
        self.code_button = QToolButton()
        self.code_button.setObjectName("viewCodeButton")
        self.code_button.setText("View code")
        self.code_button.setToolTip("The exact request as Python, curl and JSON")
        self.import_button = QToolButton()
        self.import_button.setObjectName("importRequestButton")
        self.import_button.setText("Paste request…")
        self.import_button.setToolTip("Fill this tab from a curl command or a JSON request body")
        self.export_button = QToolButton()
        self.export_button.setObjectName("exportButton")
        self.export_button.setText("Export")
        self.export_button.setToolTip(
            "Save this conversation as Markdown or JSON (with usage and cost)"
        )
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        export_menu = QMenu(self.export_button)
        export_menu.addAction("As Markdown…", lambda: self.export_requested.emit("markdown"))
        export_menu.addAction(
            "As JSON (re-importable)…", lambda: self.export_requested.emit("json")
        )
        export_menu.addSeparator()
        export_menu.addAction("Open a JSON conversation…", self.import_conversation_requested.emit)
        self.export_button.setMenu(export_menu)
        for button in (
            self.presets_button,
            self.code_button,
            self.import_button,
            self.export_button,
        ):
            button.setAutoRaise(True)
        # The buttons wrap under the title when the column is narrow (large text).
        self.title_row = FlowRow(
            [
                self.title_label,
                self.presets_button,
                self.code_button,
                self.import_button,
                self.export_button,
            ],
            right_from=1,
            spacing=2,
        )

        self.system_edit = named(QPlainTextEdit(), "systemPrompt", "System prompt")
        self.system_edit.setPlaceholderText(
            "System prompt: tell the model who it is and how to answer, e.g. “You are a patient tutor. "
            "Answer in under 100 words.”  Use {{name}} for values you fill in before sending."
        )
        self.system_edit.setToolTip(
            "Instructions the model reads before every message. Optional.\n" + TAB_KEY_TIP
        )
        self.system_edit.setTabChangesFocus(True)
        # 64 px tall, less when the window is short (large text): the Send row stays on screen.
        line = self.system_edit.fontMetrics().lineSpacing()
        self.system_edit.setMaximumHeight(64)
        self.system_edit.setMinimumHeight(min(64, line * 2 + 12))

        self.conversation = ConversationView()
        self.starters = StarterGallery()  # shown while the conversation is empty
        self.conversation.set_empty_view(self.starters)

        self.reply_info = named(ElidedLabel(""), "replyInfo", "Reply details")
        self.reply_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reply_info.setToolTip(REPLY_INFO_TIP)
        # Its text must not set the column's minimum width: a long line after each answer made the
        # splitter move by a pixel and every turn of the conversation lay itself out again.
        self.reply_info.setMinimumWidth(1)

        self.error_label = named(QLabel(""), "chatError", "Chat error")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton(icon("refresh"), "Retry")
        self.retry_button.setObjectName("retryButton")
        self.retry_button.setToolTip("Send the same request again")
        error_row = QHBoxLayout()
        error_row.addWidget(self.error_label, 1)
        error_row.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignTop)
        self.error_box = QFrame()
        self.error_box.setObjectName("chatErrorBox")
        self.error_box.setLayout(error_row)
        self.error_box.setVisible(False)

        # A one-line notice (a model that retires soon), with its action and a close button.
        self.notice_label = named(QLabel(""), "chatNotice", "Notice")
        self.notice_label.setWordWrap(True)
        self.notice_action = QPushButton("")
        self.notice_action.setObjectName("chatNoticeAction")
        self.notice_action.clicked.connect(self._on_notice_action)
        self.notice_close = QToolButton()
        self.notice_close.setObjectName("chatNoticeClose")
        self.notice_close.setText("×")
        self.notice_close.setToolTip("Dismiss this notice")
        self.notice_close.setAccessibleName("Dismiss notice")
        self.notice_close.clicked.connect(self.hide_notice)
        notice_row = QHBoxLayout()
        notice_row.setContentsMargins(4, 2, 4, 2)
        notice_row.addWidget(self.notice_label, 1)
        notice_row.addWidget(self.notice_action, 0, Qt.AlignmentFlag.AlignVCenter)
        notice_row.addWidget(self.notice_close, 0, Qt.AlignmentFlag.AlignVCenter)
        self.notice_box = QFrame()
        self.notice_box.setObjectName("chatNoticeBox")
        self.notice_box.setLayout(notice_row)
        self.notice_box.setVisible(False)
        self._notice_model = ""

        # What is shown but not saved (a full disk), with Save now: it stays until it is saved.
        self.unsaved_label = named(QLabel(""), "chatUnsaved", "Not saved")
        self.unsaved_label.setWordWrap(True)
        self.save_now_button = QPushButton("Save now")
        self.save_now_button.setObjectName("saveNowButton")
        self.save_now_button.setToolTip("Write this conversation to disk again")
        self.save_now_button.clicked.connect(self.save_now_requested)
        unsaved_row = QHBoxLayout()
        unsaved_row.setContentsMargins(4, 2, 4, 2)
        unsaved_row.addWidget(self.unsaved_label, 1)
        unsaved_row.addWidget(self.save_now_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.unsaved_box = QFrame()
        self.unsaved_box.setObjectName("chatUnsavedBox")
        self.unsaved_box.setLayout(unsaved_row)
        self.unsaved_box.setVisible(False)

        self.variables = VariablesForm()
        self.attachments = AttachmentsBar()

        self.input_edit = named(QPlainTextEdit(), "chatInput", "Message")
        self.input_edit.setPlaceholderText("Type a message…  (Ctrl+Enter sends)")
        self.input_edit.setMaximumHeight(88)
        self.input_edit.setMinimumHeight(min(88, line * 2 + 12))
        self.input_edit.setTabChangesFocus(True)
        self.input_edit.setToolTip(
            "Your message. Ctrl+Enter sends (or Enter, with “Enter sends”).\n" + TAB_KEY_TIP
        )
        self.input_edit.installEventFilter(self)
        self.input_edit.setAcceptDrops(True)
        self.input_edit.viewport().installEventFilter(
            self
        )  # image files dropped on the message box

        self.clear_button = QPushButton(icon("clear"), "New chat")
        self.clear_button.setObjectName("clearButton")
        self.clear_button.setToolTip(
            "Start a new, empty conversation (Ctrl+N). The system prompt stays."
        )
        self.add_role_combo = QComboBox()
        self.add_role_combo.setObjectName("addRoleCombo")
        self.add_role_combo.addItem("as user", "user")
        self.add_role_combo.addItem("as assistant", "assistant")
        self.add_role_combo.setToolTip(
            "Add the message to the conversation without sending it: build few-shot examples of "
            "questions (user) and the answers you want (assistant)."
        )
        self.add_button = QPushButton("Add")
        self.add_button.setObjectName("addTurnButton")
        self.add_button.setToolTip("Add the message as an example turn, without sending")
        self.stop_button = QPushButton(icon("stop"), "Stop")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setToolTip("Stop the answer and keep what arrived (Esc)")
        self.stop_button.setEnabled(False)
        self.send_button = QPushButton(icon("send"), "Send")
        self.send_button.setObjectName("sendButton")
        self.send_button.setToolTip("Send the message (Ctrl+Enter)")
        self.send_button.setDefault(True)
        self.enter_sends_check = QCheckBox("Enter sends")
        self.enter_sends_check.setObjectName("enterSendsCheck")
        self.enter_sends_check.setToolTip(
            "On: Enter sends and Shift+Enter starts a new line. Off: Ctrl+Enter sends."
        )
        self.enter_sends_check.toggled.connect(self.set_enter_sends)
        self.enter_sends_check.setMinimumWidth(self.enter_sends_check.sizeHint().width())
        self.moderation_check = self._make_moderation_check()
        # One line when it fits, more when the text is large or the column narrow.
        self.buttons_row = FlowRow(
            [
                group(self.clear_button),
                group(self.enter_sends_check, self.moderation_check),
                group(self.add_button, self.add_role_combo),
                group(self.stop_button, self.send_button),
            ],
            right_from=2,
        )
        self.buttons_row.setObjectName("chatButtonsRow")

        self.context_bar = named(QProgressBar(), "contextBar", "Context window used")
        self.context_bar.setMaximumHeight(14)
        self.context_bar.setTextVisible(False)
        self.context_bar.setRange(0, 1000)
        self.context_bar.setToolTip("How much of the model's context window this request fills")
        self.estimate_label = QLabel("")
        self.estimate_label.setObjectName("draftEstimate")
        self.estimate_label.setWordWrap(True)  # two lines rather than cut, at large text sizes
        self.estimate_label.setToolTip(
            "Before sending: the estimated input tokens, and the cost range from input only to input "
            "plus the maximum output"
        )
        estimate_row = QHBoxLayout()
        estimate_row.addWidget(self.estimate_label, 3)  # wraps only when the bar is at its least
        estimate_row.addWidget(self.context_bar, 1)
        self.context_bar.setMinimumWidth(60)

        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.setSpacing(4)
        centre_layout.addWidget(self.title_row)
        centre_layout.addWidget(self.system_edit)
        centre_layout.addWidget(self.conversation, 1)
        centre_layout.addWidget(self.reply_info)
        centre_layout.addWidget(self.error_box)
        centre_layout.addWidget(self.notice_box)
        centre_layout.addWidget(self.unsaved_box)
        centre_layout.addWidget(self.variables)
        centre_layout.addWidget(self.attachments)
        centre_layout.addWidget(self.input_edit)
        centre_layout.addLayout(estimate_row)
        centre_layout.addWidget(self.buttons_row)

        # --- right: parameters -------------------------------------------------------------------
        self.params = ChatParamsPanel(conversation=True)  # Keep on OpenAI, long conversations
        params_area = wrap_in_scroll_area(self.params)
        params_area.setMinimumWidth(290)
        self.conversation_totals = wrapped_label("conversationTotals", "No requests yet")
        self.conversation_totals.setToolTip("Every request of this conversation, with its cost")
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(params_area, 1)
        right_layout.addWidget(self.conversation_totals)
        for cost_label in (self.reply_info, self.conversation_totals):  # click: price explained
            cost_label.installEventFilter(self)
            cost_label.setCursor(Qt.CursorShape.PointingHandCursor)

        splitter = side_by_side(
            [(self.history, 0), (centre, 3), (right, 1)], name="chatSplitter", sizes=[210, 640, 320]
        )
        self.splitter = splitter
        fill(self, splitter, (8, 6, 8, 4))

        self.main_input: QWidget = self.input_edit
        # Compatibility names used by the controller and tests.
        self.model_combo = self.params.model_combo
        # A retired model's 404 offers its replacement, as in the other tabs.
        self.use_replacement = UseReplacementButton(self.model_combo)
        self.use_replacement.used.connect(self.switch_model_requested)
        error_row.insertWidget(1, self.use_replacement, 0, Qt.AlignmentFlag.AlignTop)

        # --- wiring (view-internal only) -----------------------------------------------------
        self.send_button.clicked.connect(self._on_send_clicked)
        self.add_button.clicked.connect(self._on_add_clicked)
        self.stop_button.clicked.connect(self.stop_requested)
        self.retry_button.clicked.connect(self.retry_requested)
        self.clear_button.clicked.connect(self.clear_requested)
        self.code_button.clicked.connect(self.view_code_requested)
        self.import_button.clicked.connect(self.import_requested)
        self.params.refresh_models_requested.connect(self.refresh_models_requested)
        self.params.learned_reset_requested.connect(self.learned_reset_requested)
        self.params.vector_stores_wanted.connect(self.vector_stores_wanted)
        self.params.mcp_headers_wanted.connect(self.mcp_headers_wanted)
        self.params.mcp_headers_save_requested.connect(self.mcp_headers_save_requested)
        self.params.mcp_headers_forget_requested.connect(self.mcp_headers_forget_requested)
        self.params.mcp_always_allow_changed.connect(self.mcp_always_allow_changed)
        self.params.model_changed.connect(self._on_model_changed)
        self.params.changed.connect(self._on_params_changed)
        self.input_edit.textChanged.connect(self._on_text_changed)
        self.system_edit.textChanged.connect(self._on_text_changed)
        self.attachments.changed.connect(self.draft_changed)
        self.attachments.changed.connect(self._update_send_enabled)
        self.attachments.problem.connect(self._on_attachment_problem)
        self.variables.changed.connect(self.draft_changed)
        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(seq), self, self._on_send_clicked)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self._on_escape)
        QShortcut(QKeySequence("Ctrl+N"), self, self.clear_requested.emit)
        QShortcut(QKeySequence("Ctrl+F"), self, self.history.focus_search)
        QShortcut(QKeySequence("Ctrl+Shift+C"), self, self.copy_last_answer_requested.emit)
        conv = self.conversation
        conv.edit_committed.connect(self.turn_edited)
        conv.role_toggled.connect(self.turn_role_toggled)
        conv.pin_toggled.connect(self.turn_pin_toggled)
        conv.move_requested.connect(self.turn_move_requested)
        conv.delete_requested.connect(self.turn_delete_requested)
        conv.regenerate_requested.connect(self.turn_regenerate_requested)
        conv.fork_requested.connect(self.turn_fork_requested)
        conv.lab_requested.connect(self.turn_lab_requested)
        conv.compare_requested.connect(self.turn_compare_requested)
        conv.answer_selected.connect(self.turn_answer_selected)
        conv.choice_selected.connect(self.turn_choice_selected)
        conv.tool_results_submitted.connect(self.turn_tool_results_submitted)
        conv.approval_given.connect(self.mcp_approval_given)
        conv.download_requested.connect(self.step_file_download_requested)
        history = self.history
        history.open_requested.connect(self.open_conversation_requested)
        history.new_requested.connect(self.clear_requested)
        history.search_changed.connect(self.history_search_changed)
        history.rename_requested.connect(self.rename_conversation_requested)
        history.duplicate_requested.connect(self.duplicate_conversation_requested)
        history.delete_requested.connect(self.delete_conversation_requested)
        history.undo_delete_requested.connect(self.undo_delete_requested)
        history.delete_on_openai_requested.connect(self.delete_on_openai_requested)
        menu = self.preset_menu
        menu.save_requested.connect(self.preset_save_requested)
        menu.load_requested.connect(self.preset_load_requested)
        menu.rename_requested.connect(self.preset_rename_requested)
        menu.delete_requested.connect(self.preset_delete_requested)
        menu.import_requested.connect(self.preset_import_requested)
        menu.export_requested.connect(self.preset_export_requested)
        menu.starter_requested.connect(self.starter_open_requested)
        self.starters.open_requested.connect(self.starter_open_requested)
        self.starters.test_requested.connect(self.starter_test_requested)

    # --- reading the view ------------------------------------------------------------------------

    def known_variables(self) -> dict[str, str]:
        """Every variable value typed, also of variables the message no longer holds."""
        return self.variables.all_values()

    def draft(self) -> ChatDraft:
        return ChatDraft(
            system_prompt=self.system_edit.toPlainText(),
            user_text=self.input_edit.toPlainText(),
            model=self.params.current_model(),
            fields=self.params.request_fields(),
            images=self.attachments.images(),
            variables=self.variables.values(),
            api=self.params.api(),
            extras=self.params.responses_fields(),
        )

    def api(self) -> str:
        """The API the conversation uses (`API_RESPONSES` or `API_CHAT_COMPLETIONS`)."""
        return self.params.api()

    def set_api(self, api: str) -> None:
        """Shows the conversation's API in the panel."""
        self.params.set_api(api)

    def mark_approval(self, index: int, item_id: str, approve: bool) -> None:
        """Turn `index`'s approval request `item_id` was answered: its buttons give way to the
        answer in words."""
        for turn in self.conversation.turns:
            if turn.index == index:
                turn.mark_approval(item_id, approve)

    # --- slots the controller calls --------------------------------------------------------------

    def set_vector_stores(self, stores: list[tuple[str, str]]) -> None:
        """File search's vector stores as the API listed them: (id, label) each."""
        self.params.set_vector_stores(stores)

    def set_vector_stores_problem(self, text: str) -> None:
        self.params.set_vector_stores_problem(text)

    def set_mcp_always_allowed(self, labels: list[str]) -> None:
        """The MCP server labels whose calls run without asking (kept in settings)."""
        self.params.set_mcp_always_allowed(labels)

    def set_mcp_headers_state(self, label: str, names: list[str], problem: str = "") -> None:
        """The header names kept for MCP server `label` (never their values), or a problem."""
        self.params.set_mcp_headers_state(label, names, problem)

    def set_models(
        self, models: Sequence[str | ModelChoice], current: str, default: str = ""
    ) -> None:
        self.params.set_models(models, current, default)

    def shows_retired(self) -> bool:
        """Whether the model picker lists retired models ("Show retired")."""
        return self.model_combo.shows_retired()

    def set_show_retired(self, on: bool) -> None:
        self.model_combo.retired_toggle.setChecked(on)

    def chat_settings(self) -> ChatSettings:
        """The model, system prompt and parameters shown (what Compare starts a column from)."""
        return ChatSettings(
            self.params.current_model(),
            self.system_edit.toPlainText(),
            # The API and the Responses settings travel with the fields (set_fields takes them).
            {**self.params.request_fields(), **self.params.responses_fields(), "api": self.api()},
        )

    def apply_chat_settings(self, settings: ChatSettings) -> None:
        self.params.set_fields({**settings.fields, "model": settings.model})
        self.set_system_prompt(settings.system)

    def current_model(self) -> str:
        return self.params.current_model()

    def set_model(self, model: str) -> None:
        """Picks `model` (typed in when the list does not have it)."""
        self.model_combo.setCurrentText(model)

    def set_param_fields(self, fields: dict[str, Any]) -> None:
        """Sets the parameter panel's request fields (everything but model and messages)."""
        self.params.set_fields(fields)

    def param_problems(self) -> list[str]:
        """What in the parameters keeps Send disabled (an invalid schema, ...)."""
        return self.params.problems()

    def set_model_capabilities(self, caps: Capabilities, model: str) -> None:
        """Shows what `model` supports: the parameters it takes, its limits, images or not."""
        self.params.set_capabilities(caps, model)
        self.params.set_model_limits(caps.max_output, caps.context_window)
        self.attachments.set_vision_supported(
            caps.vision or not model,
            "This model does not take images. Pick a vision model to attach one.",
        )

    def set_model_info(self, text: str) -> None:
        """The price and limits line under the model picker."""
        self.params.limits_label.setText(text)

    def title(self) -> str:
        return self.title_label.text()

    def set_reply_info(self, text: str, details: str = "") -> None:
        """The line under the conversation about the last answer ("" clears it); `details` (ids
        for a support request) go to its tooltip."""
        self.reply_info.setText(text)
        # The line ends in "…" when the column is narrow: the tooltip has all of it.
        self.reply_info.setToolTip("\n\n".join(t for t in (text, details or REPLY_INFO_TIP) if t))

    # --- the conversation's turns ---

    def set_turns(self, messages: list[Message], infos: list[TurnInfo]) -> None:
        self.conversation.set_turns(messages, infos)

    def add_turn(self, message: Message, info: TurnInfo | None = None) -> TurnWidget:
        """Adds a turn at the end and returns it (an answer streams into it)."""
        return self.conversation.add_turn(message, info)

    def detached_turn(self) -> TurnWidget:
        """A hidden turn that is never shown (an answer to a conversation no longer open)."""
        turn = TurnWidget(0, Message("assistant", ""), TurnInfo(), self)
        turn.hide()
        return turn

    def turn_at(self, index: int) -> TurnWidget | None:
        """The shown turn of message `index` (None: not built, or no such message)."""
        k = index - self.conversation.first_built
        turns = self.conversation.turns
        return turns[k] if 0 <= k < len(turns) else None

    def shows_turn(self, turn: TurnWidget) -> bool:
        """Whether `turn` is still one of the shown turns (not rebuilt by an edit meanwhile)."""
        return turn in self.conversation.turns

    # --- history and presets ---

    def show_conversations(
        self, rows: Sequence[ConversationSummary], current_id: str | None
    ) -> None:
        """The history list (or the search results)."""
        self.history.set_conversations(rows, current_id=current_id)

    def set_history_persistent(self, persistent: bool) -> None:
        """Whether conversations are saved to disk; the history panel says when they are not."""
        self.history.set_session_only(not persistent)

    def show_undo_delete(self, conversation_id: str, title: str) -> None:
        self.history.show_undo(conversation_id, title)

    def offer_delete_on_openai(self, conversation_id: str) -> None:
        """After a delete: offers to delete on OpenAI too what the conversation kept there."""
        self.history.offer_delete_on_openai(conversation_id)

    def show_delete_on_openai_result(self, text: str) -> None:
        self.history.show_delete_on_openai_result(text)

    def set_conversations_available(self, available: bool, reason: str = "") -> None:
        """Whether "Keep on OpenAI" may keep an OpenAI conversation here (`reason`: why not)."""
        self.params.set_conversations_available(available, reason)

    def set_presets(self, presets: Iterable[Preset | str]) -> None:
        self.preset_menu.set_presets(presets)

    def set_starters(self, starters: Sequence[Starter], problems: Sequence[str] = ()) -> None:
        """The shipped starters, for the empty conversation's gallery and the Presets menu."""
        self.starters.set_starters(starters, problems)
        self.starters.set_model(self.current_model())
        self.preset_menu.set_starters([(s.id, s.title, s.category) for s in starters])

    def set_starter_models(self, models: dict[str, str]) -> None:
        """The model each starter opens with, by id (the gallery shows its settings for it)."""
        self.starters.set_models(models)

    def set_run_blocking(self, door: RunBlocking) -> None:
        """Where the attachments prepare big pictures (the app's task runner, off the GUI thread)."""
        self.attachments.set_run_blocking(door)

    def set_system_prompt(self, text: str) -> None:
        self.system_edit.blockSignals(True)
        self.system_edit.setPlainText(text)
        self.system_edit.blockSignals(False)
        self._refresh_variables()

    def set_title(self, title: str) -> None:
        self.title_label.setText(title or "New conversation")
        self.title_label.setToolTip(title)

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        if not busy and self.stop_button.hasFocus():
            self.input_edit.setFocus(Qt.FocusReason.OtherFocusReason)  # as for Send, below
        self.stop_button.setEnabled(busy)
        self.save_now_button.setEnabled(not busy)  # the answer on its way is saved when it ends
        self._update_send_enabled()

    def set_send_blockers(self, problems: list[str]) -> None:
        """Problems that keep Send disabled (invalid schema, missing variables…), shown as its tooltip."""
        self._blockers = problems
        self._update_send_enabled()

    def _update_send_enabled(self) -> None:
        problems = list(self._blockers)
        if self.attachments.is_loading():
            problems.append("An image is still loading")
        has_text = bool(self.input_edit.toPlainText().strip()) or bool(self.attachments.images())
        enabled = not self._busy and has_text and not problems
        if not enabled and self.send_button.hasFocus():
            # Qt would pass the focus to the next widget in the tab chain (the parameters panel,
            # which then repainted before the request's first step): the input is where the user
            # types next.
            self.input_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.send_button.setEnabled(enabled)
        if problems:
            self.send_button.setToolTip("Can't send yet:\n• " + "\n• ".join(problems))
        elif not has_text:
            self.send_button.setToolTip("Type a message first")
        else:
            self.send_button.setToolTip("Send the message (Ctrl+Enter)")
        self.add_button.setEnabled(not self._busy and bool(self.input_edit.toPlainText().strip()))

    def set_enter_sends(self, on: bool) -> None:
        self.enter_sends = on
        if self.enter_sends_check.isChecked() != on:
            self.enter_sends_check.setChecked(on)
        self.input_edit.setPlaceholderText(
            "Type a message…  (Enter sends, Shift+Enter new line)"
            if on
            else "Type a message…  (Ctrl+Enter sends)"
        )

    def _make_moderation_check(self) -> QCheckBox:
        # A short label: the row under the input is narrow at the default window size.
        check = named(
            QCheckBox("Moderate"),
            "chatModerationCheck",
            "Check prompts and replies with moderation",
        )
        check.setToolTip(
            "Also send each prompt and each reply to the moderation endpoint (free on OpenAI) and "
            "show its verdict as a badge on the turn. It runs alongside the request: nothing waits "
            "for it and nothing is blocked."
        )
        check.setMinimumWidth(check.sizeHint().width())  # never clipped: the row gives way instead
        return check

    @property
    def moderation_check_on(self) -> bool:
        return self.moderation_check.isChecked()

    def set_moderation_check(self, on: bool) -> None:
        self.moderation_check.setChecked(on)

    def clear_input(self) -> None:
        self.input_edit.clear()
        self.attachments.clear()

    def set_input(self, text: str) -> None:
        self.input_edit.setPlainText(text)

    def focus_first_blank(self) -> None:
        """Puts the cursor where the user types next: the first empty {{variable}} field, else
        the message box."""
        if not self.variables.focus_first_missing():
            self.input_edit.setFocus()

    def set_estimate(self, text: str, fill: float | None, warn: bool) -> None:
        self.estimate_label.setText(text)
        if fill is None:
            self.context_bar.setVisible(False)
            return
        self.context_bar.setVisible(True)
        self.context_bar.setValue(int(min(max(fill, 0.0), 1.0) * 1000))
        color = "#d93025" if warn else ("#5b9cf6" if is_dark() else "#2676e6")
        self.context_bar.setStyleSheet(f"QProgressBar::chunk {{ background: {color}; }}")

    def set_learned(self, model: str, settings: list[str]) -> None:
        """Shows what the server refused for `model` (learned from its 400s), resettable."""
        self.params.set_learned(model, settings)

    def mark_not_sent(self, indexes: set[int]) -> None:
        """Greys the turns the last request left out, with a "not sent" mark."""
        self.conversation.mark_not_sent(indexes)

    def set_conversation_totals(self, text: str) -> None:
        self.conversation_totals.setText(text)

    def show_error(
        self, error: AppError, *, retry: bool = False, retry_text: str | None = None
    ) -> None:
        """The error above the input; with `retry`, a button that sends again. `retry_text`
        names it ("Retry", "Send again without it"); None leaves its text (a countdown's)."""
        red = "#ff8a80" if is_dark() else "#b3261e"
        self.error_label.setText(
            f"<span style='color:{red}'><b>{error.title}.</b> {error.message}</span> {error.hint}"
        )
        self.error_label.setToolTip(error.details or "")
        self.use_replacement.offer(error)
        self.retry_button.setVisible(retry)
        if retry_text is not None:
            self.retry_button.setText(retry_text)
        self.error_box.setVisible(True)

    def set_retry_countdown(self, seconds: int) -> None:
        self.retry_button.setEnabled(seconds <= 0)
        self.retry_button.setText("Retry" if seconds <= 0 else f"Retry in {seconds} s")

    def ask_download_path(self, filename: str) -> str:
        """Where to save a file the code interpreter made ("" if the user cancelled)."""
        path, _ = QFileDialog.getSaveFileName(self, "Save the file", filename)
        return path

    def show_notice(self, text: str, switch_to: str = "") -> None:
        """A one-line notice under the answer; with `switch_to`, a button that switches the
        conversation to that model (`switch_model_requested`)."""
        self.notice_label.setText(text)
        self._notice_model = switch_to
        self.notice_action.setText(f"Use {switch_to}" if switch_to else "")
        self.notice_action.setVisible(bool(switch_to))
        self.notice_box.setVisible(True)

    def show_unsaved(self, text: str) -> None:
        """Says what is shown but not saved (a full disk), with Save now."""
        red = "#ff8a80" if is_dark() else "#b3261e"
        self.unsaved_label.setText(f"<span style='color:{red}'>{html.escape(text)}</span>")
        self.unsaved_box.setVisible(True)

    def hide_unsaved(self) -> None:
        self.unsaved_box.setVisible(False)

    def hide_notice(self) -> None:
        self.notice_box.setVisible(False)

    def _on_notice_action(self) -> None:
        model = self._notice_model
        self.hide_notice()
        if model:
            self.set_model(model)
            self.switch_model_requested.emit(model)

    def hide_error(self) -> None:
        self.use_replacement.offer(None)
        self.error_label.clear()
        self.error_box.setVisible(False)

    def refresh_icons(self) -> None:
        """Re-tints the icons after a palette change."""
        self.clear_button.setIcon(icon("clear"))
        self.stop_button.setIcon(icon("stop"))
        self.send_button.setIcon(icon("send"))
        self.retry_button.setIcon(icon("refresh"))

    # --- internals ------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The only labels filtered here are the reply line and the conversation totals.
        released = event.type() == QEvent.Type.MouseButtonRelease
        if released and isinstance(watched, QLabel) and not watched.hasSelectedText():
            self.price_explain_requested.emit(watched is self.reply_info)
        if watched is self.input_edit.viewport() and event.type() in (
            QEvent.Type.DragEnter,
            QEvent.Type.DragMove,
            QEvent.Type.Drop,
        ):
            mime = event.mimeData()  # type: ignore[attr-defined]
            if self.attachments.can_accept(mime):
                event.acceptProposedAction()  # type: ignore[attr-defined]
                if event.type() == QEvent.Type.Drop:
                    self.attachments.accept_drop(mime)
                return True
        if watched is self.input_edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                mods = event.modifiers()
                if self.enter_sends and not (mods & Qt.KeyboardModifier.ShiftModifier) and not mods:
                    self._on_send_clicked()
                    return True
            if (
                event.matches(QKeySequence.StandardKey.Paste)
                and self.attachments.add_from_clipboard()
            ):
                return True  # an image was pasted as an attachment
        return super().eventFilter(watched, event)

    def _on_send_clicked(self) -> None:
        if self._busy or not self.send_button.isEnabled():
            return
        self.send_requested.emit(self.draft())

    def _on_add_clicked(self) -> None:
        if self._busy or not self.input_edit.toPlainText().strip():
            return
        self.add_turn_requested.emit(str(self.add_role_combo.currentData()), self.draft())

    def _on_attachment_problem(self, message: str) -> None:
        self.show_error(AppError.local("Image not attached", message))

    def _on_escape(self) -> None:
        if self._busy:
            self.stop_requested.emit()

    def _on_model_changed(self, model: str) -> None:
        self.starters.set_model(model)
        self.model_changed.emit(model)
        self.draft_changed.emit()

    def _on_params_changed(self) -> None:
        self.draft_changed.emit()

    def _on_text_changed(self) -> None:
        self._refresh_variables()
        self._update_send_enabled()
        self.draft_changed.emit()

    def _refresh_variables(self) -> None:
        self.variables.update_from_texts(
            [self.system_edit.toPlainText(), self.input_edit.toPlainText()]
        )
