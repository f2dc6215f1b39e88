"""The Chat tab (view only): system prompt, transcript, message box and the main parameters.

The tab holds no network code and no conversation state. It emits what the user wants
(`send_requested`, `stop_requested`, ...) and its controller calls the slots below. Streaming text
is appended at the end of the transcript with a cursor, never by re-rendering the conversation.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.errors import AppError
from playground.ui.theme import icon, is_dark


@dataclass(frozen=True, slots=True)
class ChatDraft:
    """What the view holds when the user presses Send."""

    system_prompt: str
    user_text: str
    model: str
    temperature: float
    max_output_tokens: int | None


class ChatTab(QWidget):
    """The chat workbench view.

    Signals:
        send_requested: the user pressed Send or Ctrl+Enter. arg: the ChatDraft.
        stop_requested: the user pressed Stop or Esc while a reply streams.
        draft_changed: the system prompt, message or model changed (for the live estimate).
        clear_requested: the user wants a new, empty conversation.
        refresh_models_requested: the user asked for a fresh model list.
        model_changed: the model picker changed. arg: the model id.
    """

    send_requested = Signal(object)
    stop_requested = Signal()
    draft_changed = Signal()
    clear_requested = Signal()
    refresh_models_requested = Signal()
    model_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatTab")
        self._busy = False
        self._reply_open = False

        # --- conversation column -------------------------------------------------------------
        self.system_edit = QPlainTextEdit()
        self.system_edit.setObjectName("systemPrompt")
        self.system_edit.setAccessibleName("System prompt")
        self.system_edit.setPlaceholderText(
            "System prompt: tell the model who it is and how to answer, e.g. “You are a patient tutor. "
            "Answer in under 100 words.”"
        )
        self.system_edit.setToolTip("Instructions the model reads before every message. Optional.")
        self.system_edit.setFixedHeight(72)

        self.transcript = QTextBrowser()
        self.transcript.setObjectName("transcript")
        self.transcript.setAccessibleName("Conversation")
        self.transcript.setOpenExternalLinks(True)
        self.transcript.setPlaceholderText("The conversation appears here.")

        self.reply_info = QLabel("")
        self.reply_info.setObjectName("replyInfo")
        self.reply_info.setAccessibleName("Reply details")
        self.reply_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reply_info.setToolTip(
            "Finish reason, time to first token, speed and the server's fingerprint."
        )

        self.error_label = QLabel("")
        self.error_label.setObjectName("chatError")
        self.error_label.setAccessibleName("Chat error")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setVisible(False)

        self.input_edit = QPlainTextEdit()
        self.input_edit.setObjectName("chatInput")
        self.input_edit.setAccessibleName("Message")
        self.input_edit.setPlaceholderText("Type a message…  (Ctrl+Enter sends)")
        self.input_edit.setFixedHeight(96)

        self.clear_button = QPushButton(icon("clear"), "New chat")
        self.clear_button.setObjectName("clearButton")
        self.clear_button.setToolTip("Start a new, empty conversation (the system prompt stays).")
        self.stop_button = QPushButton(icon("stop"), "Stop")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setToolTip("Stop the reply and keep what arrived (Esc)")
        self.stop_button.setEnabled(False)
        self.send_button = QPushButton(icon("send"), "Send")
        self.send_button.setObjectName("sendButton")
        self.send_button.setToolTip("Send the message (Ctrl+Enter)")
        self.send_button.setDefault(True)

        buttons = QHBoxLayout()
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.send_button)

        convo = QWidget()
        convo_layout = QVBoxLayout(convo)
        convo_layout.setContentsMargins(0, 0, 0, 0)
        convo_layout.addWidget(self._caption("System"))
        convo_layout.addWidget(self.system_edit)
        convo_layout.addWidget(self._caption("Conversation"))
        convo_layout.addWidget(self.transcript, 1)
        convo_layout.addWidget(self.reply_info)
        convo_layout.addWidget(self.error_label)
        convo_layout.addWidget(self.input_edit)
        convo_layout.addLayout(buttons)

        # --- parameters column ---------------------------------------------------------------
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("modelCombo")
        self.model_combo.setAccessibleName("Model")
        self.model_combo.setEditable(True)
        self.model_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.model_combo.setMinimumContentsLength(14)
        self.model_combo.setToolTip("Which model answers. The list comes from your provider.")
        self.refresh_button = QToolButton()
        self.refresh_button.setObjectName("refreshModelsButton")
        self.refresh_button.setIcon(icon("refresh"))
        self.refresh_button.setToolTip("Fetch the model list from the provider again (F5)")
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_combo, 1)
        model_row.addWidget(self.refresh_button)

        self.temperature_slider = QSlider(Qt.Orientation.Horizontal)
        self.temperature_slider.setObjectName("temperatureSlider")
        self.temperature_slider.setAccessibleName("Temperature")
        self.temperature_slider.setRange(0, 200)
        self.temperature_slider.setValue(100)
        self.temperature_spin = QDoubleSpinBox()
        self.temperature_spin.setObjectName("temperatureSpin")
        self.temperature_spin.setRange(0.0, 2.0)
        self.temperature_spin.setSingleStep(0.05)
        self.temperature_spin.setDecimals(2)
        self.temperature_spin.setValue(1.0)
        temp_tip = (
            "Higher = more varied answers, lower = more focused and repeatable. 0–2, default 1."
        )
        self.temperature_slider.setToolTip(temp_tip)
        self.temperature_spin.setToolTip(temp_tip)
        temp_row = QHBoxLayout()
        temp_row.addWidget(self.temperature_slider, 1)
        temp_row.addWidget(self.temperature_spin)

        self.max_tokens_spin = QSpinBox()
        self.max_tokens_spin.setObjectName("maxTokensSpin")
        self.max_tokens_spin.setAccessibleName("Maximum output tokens")
        self.max_tokens_spin.setRange(0, 1_000_000)
        self.max_tokens_spin.setSingleStep(256)
        self.max_tokens_spin.setSpecialValueText("Model default")
        self.max_tokens_spin.setToolTip(
            "The longest answer allowed, in tokens (about ¾ of a word each). 0 = the model's own limit."
        )

        self.model_info = QLabel("")
        self.model_info.setObjectName("modelInfo")
        self.model_info.setWordWrap(True)
        self.model_info.setTextFormat(Qt.TextFormat.RichText)

        self.conversation_totals = QLabel("No requests yet")
        self.conversation_totals.setObjectName("conversationTotals")
        self.conversation_totals.setWordWrap(True)

        params_box = QGroupBox("Parameters")
        form = QFormLayout(params_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Model", model_row)
        form.addRow("Temperature", temp_row)
        form.addRow("Max output", self.max_tokens_spin)
        form.addRow(self.model_info)

        totals_box = QGroupBox("This conversation")
        totals_layout = QVBoxLayout(totals_box)
        totals_layout.addWidget(self.conversation_totals)

        params = QWidget()
        params.setObjectName("chatParameters")
        params_layout = QVBoxLayout(params)
        params_layout.setContentsMargins(0, 0, 0, 0)
        params_layout.addWidget(params_box)
        params_layout.addWidget(totals_box)
        params_layout.addStretch(1)
        params.setMinimumWidth(260)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("chatSplitter")
        splitter.addWidget(convo)
        splitter.addWidget(params)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([700, 300])
        splitter.setChildrenCollapsible(False)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 8, 10, 6)
        outer.addWidget(splitter)

        self.main_input: QWidget = self.input_edit

        # --- wiring (view-internal only) -----------------------------------------------------
        self.send_button.clicked.connect(self._on_send_clicked)
        self.stop_button.clicked.connect(self.stop_requested)
        self.clear_button.clicked.connect(self.clear_requested)
        self.refresh_button.clicked.connect(self.refresh_models_requested)
        self.temperature_slider.valueChanged.connect(self._on_temperature_slider_changed)
        self.temperature_spin.valueChanged.connect(self._on_temperature_spin_changed)
        self.input_edit.textChanged.connect(self.draft_changed)
        self.system_edit.textChanged.connect(self.draft_changed)
        self.model_combo.currentTextChanged.connect(self._on_model_changed)
        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(seq), self, self._on_send_clicked)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self._on_escape)

    @staticmethod
    def _caption(text: str) -> QLabel:
        label = QLabel(text)
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        return label

    def refresh_icons(self) -> None:
        """Re-tints the icons after a palette change."""
        self.clear_button.setIcon(icon("clear"))
        self.stop_button.setIcon(icon("stop"))
        self.send_button.setIcon(icon("send"))
        self.refresh_button.setIcon(icon("refresh"))

    # --- reading the view ------------------------------------------------------------------------

    def draft(self) -> ChatDraft:
        max_tokens = self.max_tokens_spin.value()
        return ChatDraft(
            system_prompt=self.system_edit.toPlainText(),
            user_text=self.input_edit.toPlainText(),
            model=self.model_combo.currentText().strip(),
            temperature=self.temperature_spin.value(),
            max_output_tokens=max_tokens or None,
        )

    # --- slots the controller calls ------------------------------------------------------------

    def set_models(self, models: list[str], current: str) -> None:
        """Fills the picker; keeps the user's choice even when the list does not have it."""
        with QSignalBlocker(self.model_combo):
            self.model_combo.clear()
            self.model_combo.addItems(models)
            if current:
                if self.model_combo.findText(current) < 0:
                    self.model_combo.addItem(current)
                self.model_combo.setCurrentText(current)
        self.model_changed.emit(self.model_combo.currentText().strip())

    def set_model_info(self, html: str) -> None:
        self.model_info.setText(html)

    def set_temperature_enabled(self, enabled: bool, why: str) -> None:
        for w in (self.temperature_slider, self.temperature_spin):
            w.setEnabled(enabled)
            w.setToolTip(
                "Higher = more varied answers, lower = more focused and repeatable. 0–2, default 1."
                if enabled
                else why
            )

    def set_system_prompt(self, text: str) -> None:
        with QSignalBlocker(self.system_edit):
            self.system_edit.setPlainText(text)

    def set_temperature(self, value: float) -> None:
        self.temperature_spin.setValue(value)

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.send_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)

    def clear_input(self) -> None:
        self.input_edit.clear()

    def clear_transcript(self) -> None:
        self.transcript.clear()
        self.reply_info.clear()
        self.hide_error()
        self._reply_open = False

    def add_user_turn(self, text: str) -> None:
        self._append_heading("You", "user")
        self._append_text(text)

    def begin_reply(self, model: str) -> None:
        self._append_heading(f"Assistant · {model}", "assistant")
        self._append_text("")  # the reply starts on its own line
        self._reply_open = True
        self.reply_info.setText("Waiting for the first token…")
        self.hide_error()

    def append_delta(self, text: str) -> None:
        """Adds streamed text at the end, without re-rendering what is already there."""
        self._append_text(text, new_block=False)

    def finish_reply(self, info: str, *, stopped: bool = False, failed: bool = False) -> None:
        if stopped or failed:
            mark = "⏹ stopped" if stopped else "⚠ interrupted"
            self._append_text(f"  [{mark}]", new_block=False, muted=True)
        self._reply_open = False
        self.reply_info.setText(info)

    def set_conversation_totals(self, text: str) -> None:
        self.conversation_totals.setText(text)

    def show_error(self, error: AppError) -> None:
        self.error_label.setText(f"<b>{error.title}.</b> {error.message} {error.hint}")
        self.error_label.setToolTip(error.details or "")
        self.error_label.setStyleSheet(
            "QLabel#chatError { color: %s; }" % ("#ff8a80" if is_dark() else "#b3261e")
        )
        self.error_label.setVisible(True)

    def hide_error(self) -> None:
        self.error_label.clear()
        self.error_label.setVisible(False)

    # --- internals ------------------------------------------------------------------------------

    def _append_heading(self, title: str, role: str) -> None:
        cursor = self.transcript.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        color = (
            self.palette().color(self.palette().ColorRole.Highlight).name()
            if role == "assistant"
            else ""
        )
        style = f' style="color:{color}"' if color else ""
        if not self.transcript.document().isEmpty():
            cursor.insertBlock()
            cursor.insertBlock()
        cursor.insertHtml(f"<b{style}>{_escape(title)}</b>")
        self.transcript.setTextCursor(cursor)

    def _append_text(self, text: str, *, new_block: bool = True, muted: bool = False) -> None:
        bar = self.transcript.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 4
        cursor = QTextCursor(self.transcript.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        if new_block:
            cursor.insertBlock()
        fmt = cursor.charFormat()
        fmt.setFontWeight(400)
        fmt.setForeground(
            self.palette().color(
                self.palette().ColorRole.PlaceholderText if muted else self.palette().ColorRole.Text
            )
        )
        cursor.insertText(text, fmt)
        if at_bottom:  # follow the stream only if the user has not scrolled up to read
            bar.setValue(bar.maximum())

    def _on_send_clicked(self) -> None:
        if self._busy:
            return
        self.send_requested.emit(self.draft())

    def _on_escape(self) -> None:
        if self._busy:
            self.stop_requested.emit()

    def _on_temperature_slider_changed(self, value: int) -> None:
        with QSignalBlocker(self.temperature_spin):
            self.temperature_spin.setValue(value / 100.0)

    def _on_temperature_spin_changed(self, value: float) -> None:
        with QSignalBlocker(self.temperature_slider):
            self.temperature_slider.setValue(round(value * 100))

    def _on_model_changed(self, model: str) -> None:
        self.model_changed.emit(model.strip())
        self.draft_changed.emit()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
