"""The Voice chat page of the Audio tab: talk to a realtime model and hear it answer.

A view only: it emits intents (start, stop, reconnect, push-to-talk pressed and released, a tool
result typed, a saved chat chosen, export, play a turn) and shows what the controller hands it
(the turns, the level, the cost, errors). `VoiceChatController` does the work.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from html import escape

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from playground.core.api.errors import AppError
from playground.core.api.retirements import ModelChoice
from playground.core.audio.files import format_clock
from playground.core.audio.live import LIVE_VOICES, is_live_model
from playground.core.audio.realtime import REALTIME_VOICES
from playground.core.audio.voicechat import ASSISTANT, TOOL, USER, SavedVoiceChat, VoiceTurn
from playground.core.money.formatting import format_cost
from playground.ui.audio.player import LevelMeter, MessageLine, PlayerBar
from playground.ui.common.model_picker import ModelCombo, picker_field
from playground.ui.common.widgets import fill, side_by_side, wrapped_label

TOOLS_PLACEHOLDER = (
    '[{"name": "get_weather", "description": "Weather for a city",\n'
    '  "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]'
)


def _named(widget: QWidget, name: str, accessible: str) -> None:
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)


def turn_line(turn: VoiceTurn) -> str:
    """One turn as the transcript shows it."""
    if turn.role == TOOL:
        result = "waiting for your result" if turn.output is None else f"result: {turn.output}"
        return f"Tool {turn.name}({turn.text}) · {result}"
    who = "You" if turn.role == USER else "Assistant"
    text = turn.text.strip() or ("…" if not turn.done else "(nothing was transcribed)")
    marks: list[str] = []
    if turn.pcm:
        marks.append(format_clock(len(turn.heard_pcm) / 48_000))
    if turn.interrupted:
        marks.append(
            "interrupted"
            if turn.heard_ms is None
            else f"interrupted after {format_clock(turn.heard_ms / 1000)}"
        )
    if turn.role == ASSISTANT and turn.usage is not None:
        marks.append(f"cost {format_cost(turn.cost)}")
    suffix = f"  ({', '.join(marks)})" if marks else ""
    return f"{who}: {text}{suffix}"


class VoiceChatPage(QWidget):
    """Voice chat: settings on the left, the live conversation on the right.

    Signals:
        start_requested: Start pressed (the settings are read with the properties).
        stop_requested: Stop pressed.
        reconnect_requested: Reconnect pressed after the session dropped.
        talk_pressed: push-to-talk pressed (the Talk button or Space held).
        talk_released: push-to-talk released.
        tool_result_entered: the user typed a function's result. arg: the text.
        history_chosen: a saved chat was picked. arg: its id ("" for the current one).
        export_requested: Export chosen with a target. args: the chat id, the zip path.
        turn_chosen: a turn of the shown chat was picked to play. arg: its index.
    """

    start_requested = Signal()
    stop_requested = Signal()
    reconnect_requested = Signal()
    talk_pressed = Signal()
    talk_released = Signal()
    tool_result_entered = Signal(str)
    history_chosen = Signal(str)
    export_requested = Signal(str, str)
    turn_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audioVoicePage")
        self._running = False
        self._talking = False
        self._has_mic = True
        self.shown_id = ""

        # --- settings ------------------------------------------------------------------------
        self.model_combo = ModelCombo()
        _named(self.model_combo, "voiceModelCombo", "Voice chat model")
        self.voice_combo = QComboBox()
        _named(self.voice_combo, "voiceVoiceCombo", "Voice")
        self.voice_combo.setEditable(True)  # a custom voice id (voice_…) may be typed
        self.voice_combo.addItems(list(REALTIME_VOICES))
        self.voice_combo.setCurrentText("marin")
        self.instructions = QPlainTextEdit()
        _named(self.instructions, "voiceInstructions", "System prompt")
        self.instructions.setPlaceholderText("System prompt, e.g. “You are a patient tutor.”")
        self.instructions.setFixedHeight(64)
        self.vad_radio = QRadioButton("Just talk: it answers when you pause")
        _named(self.vad_radio, "voiceVadRadio", "Answer when I pause")
        self.ptt_radio = QRadioButton("Push to talk: hold Space while you speak")
        _named(self.ptt_radio, "voicePttRadio", "Push to talk")
        self.vad_radio.setChecked(True)
        self._modes = QButtonGroup(self)
        self._modes.addButton(self.vad_radio)
        self._modes.addButton(self.ptt_radio)
        self.device_combo = QComboBox()
        _named(self.device_combo, "voiceDeviceCombo", "Microphone")
        self.device_note = MessageLine("voiceDeviceNote")
        self.tools_edit = QPlainTextEdit()
        _named(self.tools_edit, "voiceTools", "Function tools (JSON)")
        self.tools_edit.setPlaceholderText(TOOLS_PLACEHOLDER)
        self.tools_edit.setFixedHeight(84)
        self.tools_edit.setToolTip(
            "Functions the model may call, as in Chat. When it calls one, you type the result."
        )

        form = QFormLayout()
        model_field = picker_field(self.model_combo)
        form.addRow("Model", model_field)
        form.addRow("Voice", self.voice_combo)
        form.addRow("System prompt", self.instructions)
        modes = QWidget()
        modes_layout = QVBoxLayout(modes)
        modes_layout.setContentsMargins(0, 0, 0, 0)
        modes_layout.addWidget(self.vad_radio)
        modes_layout.addWidget(self.ptt_radio)
        form.addRow("Turns", modes)
        # Fields made of several widgets keep their height: given spare room, a form spreads it
        # over them, which pushed the model box below its label and the two choices apart.
        for compound in (model_field, modes):
            compound.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        form.addRow("Microphone", self.device_combo)
        form.addRow("", self.device_note)
        form.addRow("Tools", self.tools_edit)
        settings = QGroupBox("Settings")
        settings.setLayout(form)

        self.history = QListWidget()
        _named(self.history, "voiceHistory", "Saved voice chats")
        self.history.itemClicked.connect(self._on_history_clicked)
        self.export_button = QPushButton("Export…")
        _named(self.export_button, "voiceExportButton", "Export the shown chat")
        self.export_button.setToolTip("A zip with the transcript and the audio of both sides")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self._on_export)
        saved = QGroupBox("Saved chats")
        saved_layout = QVBoxLayout(saved)
        saved_layout.addWidget(self.history)
        saved_layout.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignLeft)

        left_inner = QWidget()
        left_layout = QVBoxLayout(left_inner)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(settings)
        left_layout.addWidget(saved, 1)
        left = QScrollArea()
        left.setObjectName("voiceSettingsScroll")
        left.setWidgetResizable(True)
        left.setFrameShape(QScrollArea.Shape.NoFrame)
        left.setWidget(left_inner)

        # --- the conversation ----------------------------------------------------------------
        self.start_button = QPushButton("Start talking")
        _named(self.start_button, "voiceStartButton", "Start talking")
        self.start_button.clicked.connect(self._on_start_clicked)
        self.talk_button = QPushButton("Hold to talk (Space)")
        _named(self.talk_button, "voiceTalkButton", "Hold to talk")
        self.talk_button.pressed.connect(self._press)
        self.talk_button.released.connect(self._release)
        self.reconnect_button = QPushButton("Reconnect")
        _named(self.reconnect_button, "voiceReconnectButton", "Reconnect")
        self.reconnect_button.clicked.connect(self.reconnect_requested)
        self.reconnect_button.hide()
        self.level = LevelMeter()
        self.level.setObjectName("voiceLevelMeter")
        self.state_label = wrapped_label("voiceState", "Press Start talking, then speak.")
        self.cost_label = wrapped_label("voiceCost", "")
        self.cost_label.setAccessibleName("Cost so far")
        self.message = MessageLine("voiceMessage")
        self.route_label = wrapped_label("voiceRoute", "")

        self.transcript = QListWidget()
        _named(self.transcript, "voiceTranscript", "Conversation")
        self.transcript.setWordWrap(True)
        self.transcript.itemActivated.connect(self._on_turn_activated)
        self.transcript.itemClicked.connect(self._on_turn_activated)
        self.player = PlayerBar("voicePlayer")

        self.tool_label = wrapped_label("voiceToolLabel", "")
        self.tool_result = QLineEdit()
        _named(self.tool_result, "voiceToolResult", "Tool result")
        self.tool_result.setPlaceholderText("Type what the function returns, then press Enter")
        self.tool_result.returnPressed.connect(self._on_tool_result)
        self.tool_send = QPushButton("Send result")
        _named(self.tool_send, "voiceToolSend", "Send the tool result")
        self.tool_send.clicked.connect(self._on_tool_result)
        self.tool_box = QWidget()
        tool_layout = QVBoxLayout(self.tool_box)
        tool_layout.setContentsMargins(0, 0, 0, 0)
        tool_layout.addWidget(self.tool_label)
        tool_row = QHBoxLayout()
        tool_row.addWidget(self.tool_result, 1)
        tool_row.addWidget(self.tool_send)
        tool_layout.addLayout(tool_row)
        self.tool_box.hide()

        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.talk_button)
        buttons.addWidget(self.reconnect_button)
        buttons.addStretch(1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(buttons)
        right_layout.addWidget(self.level)
        right_layout.addWidget(self.state_label)
        right_layout.addWidget(self.message)
        right_layout.addWidget(self.cost_label)
        right_layout.addWidget(self.transcript, 1)
        right_layout.addWidget(self.tool_box)
        right_layout.addWidget(self.player)
        right_layout.addWidget(self.route_label)
        fill(self, side_by_side([(left, 2), (right, 3)], name="voiceSplit"))

        self.ptt_radio.toggled.connect(self._update)
        self.model_combo.currentTextChanged.connect(self._show_route)
        # Space means "talk" wherever the focus is on this page while push-to-talk runs: a
        # focused button would otherwise take it as a click (Start would become Stop).
        for widget in (
            self,
            self.start_button,
            self.talk_button,
            self.reconnect_button,
            self.transcript,
            self.tool_send,
            self.history,
            self.export_button,
        ):
            widget.installEventFilter(self)
        self._update()

    # --- what the user set ---------------------------------------------------------------------

    @property
    def model(self) -> str:
        return self.model_combo.currentText().strip()

    @property
    def voice(self) -> str:
        return self.voice_combo.currentText().strip()

    @property
    def push_to_talk(self) -> bool:
        return self.ptt_radio.isChecked()

    @property
    def device_id(self) -> str:
        return str(self.device_combo.currentData() or "")

    @property
    def talking(self) -> bool:
        return self._talking

    # --- slots -------------------------------------------------------------------------------------

    def set_models(self, models: Sequence[str | ModelChoice], current: str) -> None:
        """Lists the realtime models; selects `current` (or the first)."""
        first = str(models[0]) if models else ""
        self.model_combo.set_choices(models, current or first, first)
        if not models:
            self.route_label.setText(
                "No realtime model is in your model list, so voice chat cannot start. "
                "Refresh the model list (View → Refresh models) or check your provider."
            )
        else:
            self._show_route()
        self._update()

    def _show_route(self, *_args: object) -> None:
        """Says how the chosen model talks (the Realtime API or the Live API)."""
        if not self.model_combo.count():
            return
        live = is_live_model(self.model)
        voices = list(LIVE_VOICES if live else REALTIME_VOICES)
        if [self.voice_combo.itemText(i) for i in range(self.voice_combo.count())] != voices:
            voice = self.voice_combo.currentText()
            with QSignalBlocker(self.voice_combo):
                self.voice_combo.clear()
                self.voice_combo.addItems(voices)
            # A custom voice id stays; a name the other route lacks falls back to marin.
            self.voice_combo.setCurrentText(
                voice if voice in voices or voice.startswith("voice_") else "marin"
            )
        if live:
            self.route_label.setText(
                f"Talks with {self.model} through the Live API: it listens while it speaks, so "
                "you can cut in at any time, and it decides itself when to answer. Billed per "
                "second of the chat; no push to talk or tools with this model."
            )
        else:
            self.route_label.setText(
                "Talks through a live session (Realtime API): your voice goes out as you speak, "
                "the answer plays as it arrives."
            )

    def set_devices(self, devices: list[tuple[str, str]]) -> None:
        """Fills the microphone picker; with none, says so and disables Start."""
        self.device_combo.clear()
        for device_id, name in devices:
            self.device_combo.addItem(name, device_id)
        self._has_mic = bool(devices)
        if not devices:
            self.device_combo.addItem("No microphone found")
            self.device_note.show_note(
                "No microphone was found, so voice chat cannot listen. Plug one in; saved chats "
                "can still be played and exported, and everything else on this tab works."
            )
        else:
            self.device_note.show_note("")
        self._update()

    def set_running(self, running: bool) -> None:
        """A session is open (or being opened) or not."""
        self._running = running
        if not running:
            self._talking = False
            self.level.set_level(0.0)
            self.tool_box.hide()  # a call left unanswered cannot be answered once stopped
        self._update()

    def set_level(self, level: float) -> None:
        self.level.set_level(level)

    def set_state(self, text: str) -> None:
        self.state_label.setText(text)

    def show_turns(self, turns: Sequence[VoiceTurn], conversation_id: str) -> None:
        """Shows a conversation's turns (the live one, or a saved one)."""
        self.shown_id = conversation_id
        bar = self.transcript.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4
        selected = self.transcript.currentRow()
        for index, turn in enumerate(turns):
            text = turn_line(turn)
            if index < self.transcript.count():
                item = self.transcript.item(index)
                if item.text() != text:
                    item.setText(text)
            else:
                item = QListWidgetItem(text)
                self.transcript.addItem(item)
            item.setData(Qt.ItemDataRole.UserRole, turn.role)
        while self.transcript.count() > len(turns):
            self.transcript.takeItem(self.transcript.count() - 1)
        if 0 <= selected < self.transcript.count():
            self.transcript.setCurrentRow(selected)
        if at_end:
            self.transcript.scrollToBottom()
        self.export_button.setEnabled(bool(turns) and bool(conversation_id))

    def show_cost(self, text: str) -> None:
        self.cost_label.setText(text)

    def show_error(self, error: AppError) -> None:
        self.message.show_error(error)

    def clear_message(self) -> None:
        self.message.clear_message()

    def show_dropped(self, error: AppError) -> None:
        """The session dropped: say so and offer Reconnect."""
        self.set_running(False)
        self.message.show_error(error)
        self.reconnect_button.show()

    def ask_tool_result(self, name: str, arguments: str) -> None:
        self.tool_label.setText(
            f"The model called <b>{escape(name)}</b>({escape(arguments)}). "
            "Type what it returns; the model answers with it."
        )
        self.tool_result.clear()
        self.tool_box.show()
        self.tool_result.setFocus()

    def set_history(self, chats: Sequence[SavedVoiceChat], select: str = "") -> None:
        self.history.clear()
        for chat in chats:
            when = chat.created[:16].replace("T", " ")
            cost = format_cost(_decimal(chat.cost) if chat.cost else None)
            item = QListWidgetItem(f"{chat.title}\n{when} · {chat.turns} turns · {cost}")
            item.setData(Qt.ItemDataRole.UserRole, chat.id)
            self.history.addItem(item)
            if chat.id == select:
                self.history.setCurrentItem(item)

    # --- push-to-talk ------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if (
            kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease)
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Space
            and self._can_talk()
        ):
            if not event.isAutoRepeat():
                if kind == QEvent.Type.KeyPress:
                    self._press()
                else:
                    self._release()
            return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and self._can_talk():
            if not event.isAutoRepeat():
                self._press()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and self._can_talk():
            if not event.isAutoRepeat():
                self._release()
            return
        super().keyReleaseEvent(event)

    def _can_talk(self) -> bool:
        return self._running and self.push_to_talk and not self.tool_result.hasFocus()

    def _press(self) -> None:
        if self._can_talk() and not self._talking:
            self._talking = True
            self.talk_button.setText("Talking… release to send")
            self.talk_pressed.emit()

    def _release(self) -> None:
        if self._talking:
            self._talking = False
            self.talk_button.setText("Hold to talk (Space)")
            self.talk_released.emit()

    # --- internals ---------------------------------------------------------------------------------

    def _update(self) -> None:
        running = self._running
        self.start_button.setText("Stop" if running else "Start talking")
        self.start_button.setAccessibleName("Stop the voice chat" if running else "Start talking")
        self.start_button.setEnabled(running or (self._has_mic and bool(self.model)))
        self.talk_button.setVisible(self.push_to_talk)
        self.talk_button.setEnabled(running and self.push_to_talk)
        for widget in (
            self.model_combo,
            self.voice_combo,
            self.instructions,
            self.vad_radio,
            self.ptt_radio,
            self.device_combo,
            self.tools_edit,
        ):
            widget.setEnabled(not running)
        self.device_combo.setEnabled(not running and self._has_mic)
        if running:
            self.reconnect_button.hide()

    def _on_start_clicked(self) -> None:
        if self._running:
            self.stop_requested.emit()
        else:
            self.start_requested.emit()

    def _on_tool_result(self) -> None:
        text = self.tool_result.text().strip()
        if not text:
            return
        self.tool_box.hide()
        self.tool_result_entered.emit(text)

    def _on_history_clicked(self, item: QListWidgetItem) -> None:
        self.history_chosen.emit(str(item.data(Qt.ItemDataRole.UserRole) or ""))

    def _on_turn_activated(self, item: QListWidgetItem) -> None:
        self.turn_chosen.emit(self.transcript.row(item))

    def _on_export(self) -> None:
        """A window-modal, non-blocking save dialog; choosing a file emits `export_requested`."""
        chat = self.shown_id
        if not chat:
            return
        dialog = QFileDialog(self, "Export voice chat", "", "Zip archive (*.zip);;All files (*)")
        dialog.setObjectName("voiceExportDialog")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("zip")
        dialog.selectFile(f"voice-chat-{chat}.zip")
        dialog.fileSelected.connect(lambda path: self.export_requested.emit(chat, path))
        dialog.open()


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None
