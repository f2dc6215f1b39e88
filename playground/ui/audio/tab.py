"""The Audio tab's views: Speech, Compare voices, and Speech to text (transcribe or translate).

Views only: each page emits intent signals and exposes slots; `AudioController` does the work.
Option lists (voices, formats, what a model accepts) come from `core.audio_models`, never from here.
The player and recorder are QtMultimedia wrappers (`widgets.audio_media`) created on first use, so
building the tab costs nothing when the user never plays or records anything.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QStackedWidget,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.api.errors import AppError
from playground.core.api.retirements import ModelChoice
from playground.core.audio.clips import Clip
from playground.core.audio.files import format_clock
from playground.core.audio.models import (
    LIVE_FORMATS,
    SPEECH_FORMATS,
    SPEED_MAX,
    SPEED_MIN,
    TRANSCRIPT_FORMATS,
    UPLOAD_SUFFIXES,
    speech_caps,
    speech_route,
    transcription_caps,
)
from playground.core.audio.service import SpeechRequest, TranscriptionRequest
from playground.core.audio.transcripts import Segment, Transcript
from playground.ui.audio.player import LevelMeter, MessageLine, PlayerBar
from playground.ui.audio.transcribe_options import TranscribeOptions
from playground.ui.audio.voice_page import VoiceChatPage
from playground.ui.common.model_picker import ModelCombo, UseReplacementButton, picker_field
from playground.ui.common.widgets import fill, select_data, side_by_side, wrapped_label

#: Languages offered for transcription (ISO-639-1); the field also takes any other code.
LANGUAGES: tuple[tuple[str, str], ...] = (
    ("", "Detect automatically"),
    ("en", "English"),
    ("de", "German"),
    ("fr", "French"),
    ("es", "Spanish"),
    ("it", "Italian"),
    ("nl", "Dutch"),
    ("pt", "Portuguese"),
    ("pl", "Polish"),
    ("ru", "Russian"),
    ("uk", "Ukrainian"),
    ("tr", "Turkish"),
    ("ar", "Arabic"),
    ("hi", "Hindi"),
    ("ja", "Japanese"),
    ("ko", "Korean"),
    ("zh", "Chinese"),
)
#: The one-line hint shown while the tab has no result yet.
EMPTY_HINT = (
    "Type some text and press Generate (Ctrl+Enter) to hear it; your clips are listed here."
)
COMPARE_MAX = 8


def _named(widget: QWidget, name: str, accessible: str) -> None:
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)


def _shortcuts(page: QWidget, keys: tuple[str, ...], slot: object) -> None:
    """Shortcuts active only while the focus is inside `page` (the window has others for Esc)."""
    for key in keys:
        shortcut = QShortcut(QKeySequence(key), page)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(slot)


def _buddy(form: QFormLayout, combo: QComboBox) -> None:
    """Points the form's "Model" label at the combo inside its picker field (Alt+M, readers)."""
    field = combo.parentWidget()
    label = form.labelForField(field) if field is not None else None
    if isinstance(label, QLabel):
        label.setBuddy(combo)


def _set_combo(combo: QComboBox, items: list[str], current: str) -> None:
    with QSignalBlocker(combo):
        combo.clear()
        combo.addItems(items)
        if current in items:
            combo.setCurrentText(current)
        elif combo.isEditable():
            combo.setEditText(current)


_last_dir: dict[str, str] = {}  # per kind of file ("audio", "transcript"), for this run


def _start_dir(kind: str) -> str:
    from PySide6.QtCore import QStandardPaths

    if kind in _last_dir:
        return _last_dir[kind]
    where = {
        "audio": QStandardPaths.StandardLocation.MusicLocation,
        "transcript": QStandardPaths.StandardLocation.DocumentsLocation,
    }.get(kind, QStandardPaths.StandardLocation.HomeLocation)
    folder = QStandardPaths.writableLocation(where)
    return folder if folder and Path(folder).is_dir() else str(Path.home())


def _remember_dir(kind: str, path: str) -> None:
    _last_dir[kind] = str(Path(path).parent)


def _file_dialog(parent: QWidget, name: str, title: str, filters: str, kind: str) -> QFileDialog:
    """A window-modal, non-blocking file dialog (native where the platform has one) that starts
    where the last one of its kind ended."""
    dialog = QFileDialog(parent, title, _start_dir(kind), filters)
    dialog.setObjectName(name)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.fileSelected.connect(lambda path: _remember_dir(kind, path))
    return dialog


def _save_dialog(
    parent: QWidget, name: str, title: str, filters: str, suggested: str, kind: str
) -> QFileDialog:
    dialog = _file_dialog(parent, name, title, filters, kind)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.selectFile(suggested)
    return dialog


# ------------------------------------------------------------------------------------------------
# Speech
# ------------------------------------------------------------------------------------------------


class SpeechPage(QWidget):
    """Text to speech: settings, the text, a player and the clip history.

    Signals:
        generate_requested: Generate was pressed. args: SpeechRequest, live (play as it arrives).
        stop_requested: Stop (or Esc) was pressed.
        draft_changed: the text, model or format changed (the estimate needs updating).
        clip_selected: a history entry was chosen. arg: clip id.
        clip_delete_requested: Delete was chosen on a history entry. arg: clip id.
        clip_save_requested: Save as… chose a file. args: clip id, target path.
        clip_duration_changed: the player measured the loaded clip. arg: its length in ms.
    """

    generate_requested = Signal(object, bool)
    stop_requested = Signal()
    draft_changed = Signal()
    clip_selected = Signal(str)
    clip_delete_requested = Signal(str)
    clip_save_requested = Signal(str, str)
    clip_duration_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audioSpeechPage")
        self._busy = False
        self._current_clip: Clip | None = None

        self.model_combo = ModelCombo()
        _named(self.model_combo, "speechModelCombo", "Speech model")
        self.model_combo.setEditable(True)  # any id the provider serves, listed or not
        self.model_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.voice_combo = QComboBox()
        _named(self.voice_combo, "speechVoiceCombo", "Voice")
        self.custom_voice = QLineEdit()
        _named(self.custom_voice, "speechCustomVoice", "Custom voice id")
        self.custom_voice.setPlaceholderText("Custom voice id (voice_…), optional")
        self.instructions = QPlainTextEdit()
        _named(self.instructions, "speechInstructions", "Instructions")
        self.instructions.setPlaceholderText("How to speak, e.g. “Speak calmly, like a teacher.”")
        self.instructions.setFixedHeight(56)
        self.speed = QDoubleSpinBox()
        _named(self.speed, "speechSpeed", "Speed")
        self.speed.setRange(SPEED_MIN, SPEED_MAX)
        self.speed.setSingleStep(0.05)
        self.speed.setDecimals(2)
        self.speed.setValue(1.0)
        self.speed.setSuffix(" ×")
        self.format_combo = QComboBox()
        _named(self.format_combo, "speechFormatCombo", "Format")
        for fmt, text in SPEECH_FORMATS.items():
            self.format_combo.addItem(text, fmt)
        self.live_check = QCheckBox("Play as it arrives")
        _named(self.live_check, "speechLiveCheck", "Play as it arrives")
        self.live_check.setChecked(True)

        form = QFormLayout()
        form.addRow("Model", picker_field(self.model_combo))
        _buddy(form, self.model_combo)
        voice_row = QHBoxLayout()
        voice_row.addWidget(self.voice_combo, 1)
        voice_row.addWidget(self.custom_voice, 2)
        form.addRow("Voice", voice_row)
        form.addRow("Instructions", self.instructions)
        speed_row = QHBoxLayout()
        speed_row.addWidget(self.speed)
        speed_row.addSpacing(12)
        speed_row.addWidget(QLabel("Format"))
        speed_row.addWidget(self.format_combo, 1)
        form.addRow("Speed", speed_row)
        form.addRow("", self.live_check)
        # How the chosen model speaks (speech endpoint or a live Realtime session), in words.
        self.route_label = QLabel()
        _named(self.route_label, "speechRoute", "How the speech is made")
        self.route_label.setWordWrap(True)
        form.addRow("Route", self.route_label)

        self.text_edit = QPlainTextEdit()
        _named(self.text_edit, "speechInput", "Text to speak")
        self.text_edit.setPlaceholderText("Type the text to speak (Ctrl+Enter generates)")
        self.char_count = QLabel()
        self.char_count.setObjectName("speechCharCount")
        self.estimate_label = wrapped_label("speechEstimate")
        self.generate_button = QPushButton("Generate")
        _named(self.generate_button, "speechGenerateButton", "Generate speech")
        self.generate_button.setToolTip("Generate speech (Ctrl+Enter)")
        self.generate_button.setDefault(True)
        self.stop_button = QPushButton("Stop")
        _named(self.stop_button, "speechStopButton", "Stop")
        self.stop_button.setToolTip("Stop (Esc)")
        self.stop_button.setVisible(False)
        self.message = MessageLine("speechMessage")
        self.result_label = wrapped_label("speechResult")

        bottom = QHBoxLayout()
        bottom.addWidget(self.char_count)
        bottom.addStretch(1)
        bottom.addWidget(self.generate_button)
        bottom.addWidget(self.stop_button)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(form)
        left_layout.addWidget(self.text_edit, 1)
        left_layout.addLayout(bottom)
        left_layout.addWidget(self.estimate_label)
        left_layout.addWidget(self.message)
        self.use_replacement = UseReplacementButton(self.model_combo)
        left_layout.addWidget(self.use_replacement)  # under a retired model's error
        left_layout.addWidget(self.result_label)

        # Right: the player and the history.
        self.player = PlayerBar("speechPlayer")
        self.now_playing = wrapped_label("speechNowPlaying", "No clip yet")
        self.save_button = QPushButton("Save as…")
        _named(self.save_button, "speechSaveButton", "Save clip as")
        self.save_button.setEnabled(False)
        self.history = QListWidget()
        _named(self.history, "speechHistory", "Generated clips")
        self.history.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.delete_button = QPushButton("Delete")
        _named(self.delete_button, "speechDeleteButton", "Delete clip")
        self.delete_button.setEnabled(False)
        self.reuse_button = QPushButton("Use settings")
        _named(self.reuse_button, "speechReuseButton", "Use this clip's settings")
        self.reuse_button.setToolTip("Put this clip's model, voice, speed, format and text back")
        self.reuse_button.setEnabled(False)

        player_box = QGroupBox("Player")
        pl = QVBoxLayout(player_box)
        pl.addWidget(self.now_playing)
        pl.addWidget(self.player)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        save_row.addWidget(self.save_button)
        pl.addLayout(save_row)
        history_box = QGroupBox("History")
        hl = QVBoxLayout(history_box)
        # A one-line hint while no clip has been made yet (Help → Getting started has more).
        self.empty_hint = wrapped_label("speechEmptyHint", EMPTY_HINT)
        hl.addWidget(self.empty_hint)
        hl.addWidget(self.history, 1)
        hrow = QHBoxLayout()
        hrow.addWidget(self.reuse_button)
        hrow.addStretch(1)
        hrow.addWidget(self.delete_button)
        hl.addLayout(hrow)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(player_box)
        rl.addWidget(history_box, 1)

        fill(self, side_by_side([(left, 3), (right, 2)]))

        self.model_combo.currentTextChanged.connect(self._on_model_changed)
        self.format_combo.currentIndexChanged.connect(self._on_format_changed)
        self.text_edit.textChanged.connect(self._on_text_changed)
        self.generate_button.clicked.connect(self._on_generate)
        self.stop_button.clicked.connect(self.stop_requested)
        self.history.currentItemChanged.connect(self._on_history_item)
        self.delete_button.clicked.connect(self._on_delete)
        self.save_button.clicked.connect(self._on_save)
        self.reuse_button.clicked.connect(self._on_reuse)
        _shortcuts(self, ("Ctrl+Return", "Ctrl+Enter"), self._on_generate)
        _shortcuts(self, ("Escape",), self._on_escape)
        self.history.setWordWrap(True)
        self.history.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.history.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.history.setSpacing(2)
        self._on_model_changed("")
        self._on_format_changed()
        self._on_text_changed()
        self.player.player.duration_changed.connect(self.clip_duration_changed)

    # --- reading ------------------------------------------------------------------------------

    def text(self) -> str:
        return self.text_edit.toPlainText()

    def current_clip(self) -> Clip | None:
        """The clip in the player, if any."""
        return self._current_clip

    @property
    def model(self) -> str:
        return self.model_combo.currentText().strip()

    @property
    def voice(self) -> str:
        return self.custom_voice.text().strip() or self.voice_combo.currentText()

    @property
    def response_format(self) -> str:
        return str(self.format_combo.currentData() or "mp3")

    def request(self) -> SpeechRequest:
        return SpeechRequest(
            model=self.model,
            voice=self.voice,
            input=self.text_edit.toPlainText(),
            instructions=self.instructions.toPlainText() if self.instructions.isEnabled() else "",
            speed=round(self.speed.value(), 2),
            response_format=self.response_format,
        )

    @property
    def live(self) -> bool:
        return self.live_check.isEnabled() and self.live_check.isChecked()

    # --- slots --------------------------------------------------------------------------------

    def set_models(
        self, models: Sequence[str | ModelChoice], current: str, default: str = ""
    ) -> None:
        """Lists the speech models (ids, or choices with retirement badges); selects `current`."""
        first = str(models[0]) if models and isinstance(models[0], str) else ""
        with QSignalBlocker(self.model_combo):
            self.model_combo.set_choices(models, current or default or first, default)
        self._on_model_changed(self.model)

    def set_voice(self, voice: str) -> None:
        if self.voice_combo.findText(voice) >= 0:
            self.voice_combo.setCurrentText(voice)
            self.custom_voice.clear()
        elif voice:
            self.custom_voice.setText(voice)

    def set_format(self, fmt: str) -> None:
        select_data(self.format_combo, fmt)

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.generate_button.setVisible(not busy)
        self.stop_button.setVisible(busy)
        if busy:
            self.result_label.setText("Generating…")

    def set_estimate(self, text: str) -> None:
        self.estimate_label.setText(text)

    def show_error(self, error: AppError) -> None:
        self.message.show_error(error)
        self.use_replacement.offer(error)  # "Use <model>" for a retired model's 404

    def clear_error(self) -> None:
        self.message.clear_message()
        self.use_replacement.offer(None)

    def show_result(self, text: str) -> None:
        self.result_label.setText(text)

    def show_clips(self, clips: list[Clip], select: str | None = None) -> None:
        with QSignalBlocker(self.history):
            self.history.clear()
            for clip in clips:
                when = _local_time(clip.created)
                length = format_clock(clip.duration_s) if clip.duration_s else ""
                text = clip.text.replace("\n", " ")
                item = QListWidgetItem(
                    f"{clip.label} · {clip.response_format} · {length}  {when}\n"
                    f"{text[:60]}{'…' if len(text) > 60 else ''}"
                )
                item.setData(Qt.ItemDataRole.UserRole, clip.id)
                item.setToolTip(_clip_tooltip(clip))
                self.history.addItem(item)
                if clip.id == select:
                    self.history.setCurrentItem(item)
        self.empty_hint.setVisible(self.history.count() == 0)
        current = self.history.currentItem()
        has = current is not None
        self.delete_button.setEnabled(has)
        self.reuse_button.setEnabled(has)

    def set_text(self, text: str) -> None:
        self.text_edit.setPlainText(text)

    def set_instructions(self, text: str) -> None:
        self.instructions.setPlainText(text)

    def play_clip(self) -> None:
        """Plays the clip in the player from where it is."""
        self.player.player.play()

    def set_player_time(self, text: str) -> None:
        """The player's position / length text (before the player has measured the clip)."""
        self.player.time_label.setText(text)

    def load_clip(self, clip: Clip | None, path: Path | None) -> None:
        """Puts a clip in the player (None empties it)."""
        self._current_clip = clip
        self.save_button.setEnabled(clip is not None)
        if clip is None or path is None:
            self.now_playing.setText("No clip yet")
            self.player.load(None)
            return
        self.now_playing.setText(f"<b>{clip.label}</b> · {clip.response_format}")
        self.player.load(path)

    def apply_clip_settings(self, clip: Clip) -> None:
        if not clip.voice:  # a translation's speech: only its text can be spoken again
            self.text_edit.setPlainText(clip.text)
            return
        self.set_models(
            [self.model_combo.itemText(i) for i in range(self.model_combo.count())], clip.model
        )
        self.set_voice(clip.voice)
        self.speed.setValue(clip.speed)
        self.set_format(clip.response_format)
        self.instructions.setPlainText(clip.instructions)
        self.text_edit.setPlainText(clip.text)

    # --- private ------------------------------------------------------------------------------

    def _on_model_changed(self, _model: str) -> None:
        caps = speech_caps(self.model)
        voice = self.voice_combo.currentText()
        _set_combo(self.voice_combo, list(caps.voices), voice or caps.voices[0])
        self.instructions.setEnabled(caps.instructions)
        self.instructions.setToolTip(
            ""
            if caps.instructions
            else caps.why_no_instructions or "This model takes no instructions."
        )
        self.speed.setEnabled(caps.speed)
        for i in range(self.format_combo.count()):
            item = self.format_combo.model().item(i)  # type: ignore[attr-defined]
            item.setEnabled(self.format_combo.itemData(i) in caps.formats)
        self._show_route(caps.formats)
        self._update_counter()
        self.draft_changed.emit()

    def _show_route(self, formats: tuple[str, ...]) -> None:
        route = speech_route(self.model)
        text = route.text
        if route.live:
            text += (
                " The clip is saved as WAV or raw PCM: nothing installed with the app encodes "
                "MP3, Opus, AAC or FLAC."
            )
            if self.response_format not in formats:
                self.set_format(formats[0])
        self.route_label.setText(text)

    def _on_format_changed(self) -> None:
        live = self.response_format in LIVE_FORMATS
        self.live_check.setEnabled(live)
        self.live_check.setToolTip(
            "Starts playing before the whole clip has arrived."
            if live
            else "Only WAV and PCM can play while they arrive; this format plays once complete."
        )
        self.draft_changed.emit()

    def _update_counter(self) -> None:
        count = len(self.text_edit.toPlainText())
        limit = speech_caps(self.model).max_chars
        over = count > limit
        red = "color: #d93025; font-weight: 600;" if over else ""
        self.char_count.setStyleSheet(red)
        self.char_count.setText(f"{count:,} / {limit:,} characters")
        self.generate_button.setEnabled(0 < count <= limit and not self._busy)
        self.generate_button.setToolTip(
            f"The text is {count - limit:,} characters over the limit"
            if over
            else "Generate speech (Ctrl+Enter)"
        )

    def _on_text_changed(self) -> None:
        self._update_counter()
        self.draft_changed.emit()

    def _on_generate(self) -> None:
        if self._busy:
            return
        self.message.clear_message()
        self.generate_requested.emit(self.request(), self.live)

    def _on_escape(self) -> None:
        if self._busy:
            self.stop_requested.emit()

    def _selected_id(self) -> str | None:
        item = self.history.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def _on_history_item(self, *_args: object) -> None:
        clip_id = self._selected_id()
        self.delete_button.setEnabled(clip_id is not None)
        self.reuse_button.setEnabled(clip_id is not None)
        if clip_id is not None:
            self.clip_selected.emit(clip_id)

    def _on_delete(self) -> None:
        clip_id = self._selected_id()
        if clip_id is not None:
            self.clip_delete_requested.emit(clip_id)

    def _on_reuse(self) -> None:
        clip_id = self._selected_id()
        if clip_id is not None and self._current_clip is not None:
            self.apply_clip_settings(self._current_clip)

    def _on_save(self) -> None:
        clip = self._current_clip
        if clip is None:
            return
        suffix = clip.response_format
        dialog = _save_dialog(
            self,
            "speechSaveDialog",
            "Save clip as",
            f"{suffix.upper()} audio (*.{suffix});;All files (*)",
            f"{clip.voice}-{clip.id}.{suffix}",
            "audio",
        )
        dialog.setDefaultSuffix(suffix)
        dialog.fileSelected.connect(lambda path: self.clip_save_requested.emit(clip.id, path))
        dialog.open()


def _local_time(iso: str) -> str:
    """`14:05` (today) or `3 Nov 14:05`, in the user's time zone, from a stored UTC time."""
    from datetime import datetime

    try:
        when = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return ""
    if when.date() == datetime.now().astimezone().date():
        return when.strftime("%H:%M")
    return f"{when.day} {when.strftime('%b %H:%M')}"


def _clip_tooltip(clip: Clip) -> str:
    lines = [
        f"Model: {clip.model}",
        f"Voice: {clip.voice}",
        f"Speed: {clip.speed:g}×",
        f"Format: {clip.response_format}",
    ]
    if clip.instructions:
        lines.append(f"Instructions: {clip.instructions}")
    if clip.cost:
        lines.append(f"Cost: ${clip.cost}")
    lines.append(f"Made: {_local_time(clip.created)}")
    text = clip.text if len(clip.text) <= 300 else clip.text[:300] + "…"
    return "\n".join([*lines, "", text])


# ------------------------------------------------------------------------------------------------
# Compare voices
# ------------------------------------------------------------------------------------------------


class CompareRow(QFrame):
    """One rendering in a comparison: its label, state, own player and a save button."""

    save_requested = Signal(str)
    use_requested = Signal()

    def __init__(self, index: int, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"compareRow{index}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.clip_id = ""
        self.title = QLabel(f"<b>{label}</b>")
        self.title.setMinimumWidth(170)
        self.state = QLabel("Waiting…")
        self.state.setObjectName(f"compareRow{index}State")
        self.player = PlayerBar(f"compareRow{index}Player")
        self.save_button = QToolButton()
        _named(self.save_button, f"compareRow{index}Save", f"Save {label}")
        self.save_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton)
        )
        self.save_button.setToolTip("Save this clip as…")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(lambda: self.save_requested.emit(self.clip_id))
        self.use_button = QPushButton("Use this voice")
        _named(self.use_button, f"compareRow{index}Use", f"Use {label} for text to speech")
        self.use_button.setToolTip("Choose this model and voice on the Text to speech page")
        self.use_button.clicked.connect(self.use_requested)
        self.message = MessageLine(f"compareRow{index}Message")
        grid = QGridLayout(self)
        grid.addWidget(self.title, 0, 0)
        grid.addWidget(self.player, 0, 1)
        grid.addWidget(self.save_button, 0, 2)
        grid.addWidget(self.use_button, 0, 3)
        grid.addWidget(self.state, 1, 0)
        grid.addWidget(self.message, 1, 1, 1, 3)
        grid.setColumnStretch(1, 1)

    @property
    def play_button(self) -> QToolButton:
        return self.player.play_button


class ComparePage(QWidget):
    """The same text in several voices (and models), each with its own play button.

    Signals:
        compare_requested: Render was pressed. arg: list of SpeechRequest (one per row).
        stop_requested: Stop was pressed.
        save_requested: a row's Save chose a file. args: clip id, target path.
        voice_chosen: a row's "Use this voice" was pressed. args: model, voice.
        draft_changed: the text, the models or the voices changed (the estimate needs updating).
    """

    compare_requested = Signal(list)
    stop_requested = Signal()
    save_requested = Signal(str, str)
    voice_chosen = Signal(str, str)
    draft_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audioComparePage")
        self.rows: list[CompareRow] = []
        self._busy = False

        self.text_edit = QPlainTextEdit()
        _named(self.text_edit, "compareInput", "Text to compare")
        self.text_edit.setPlaceholderText("One sentence is enough to hear the difference.")
        self.text_edit.setFixedHeight(80)
        self.models = QListWidget()
        _named(self.models, "compareModels", "Models to compare")
        self.voices = QListWidget()
        _named(self.voices, "compareVoices", "Voices to compare")
        for lst in (self.models, self.voices):
            lst.setMaximumHeight(64)
            # Unchecked boxes in item views are nearly invisible in the dark palette: outline them.
            lst.setStyleSheet(
                "QListWidget::indicator:unchecked { border: 1px solid palette(mid);"
                " border-radius: 2px; background: palette(base); width: 12px; height: 12px; }"
            )
            lst.setFlow(QListWidget.Flow.LeftToRight)
            lst.setWrapping(True)
            lst.setResizeMode(QListWidget.ResizeMode.Adjust)
            lst.setSpacing(4)
        self.format_combo = QComboBox()
        _named(self.format_combo, "compareFormatCombo", "Format")
        for fmt, text in SPEECH_FORMATS.items():
            self.format_combo.addItem(text, fmt)
        self.count_label = QLabel()
        self.count_label.setObjectName("compareCount")
        self.estimate_label = QLabel()
        self.estimate_label.setObjectName("compareEstimate")
        self.render_button = QPushButton("Render all")
        _named(self.render_button, "compareRenderButton", "Render all")
        self.stop_button = QPushButton("Stop")
        _named(self.stop_button, "compareStopButton", "Stop")
        self.stop_button.setVisible(False)
        self.message = MessageLine("compareMessage")

        pick = QGridLayout()
        pick.addWidget(QLabel("Models"), 0, 0)
        pick.addWidget(QLabel("Voices"), 0, 1)
        pick.addWidget(self.models, 1, 0)
        pick.addWidget(self.voices, 1, 1)
        actions = QHBoxLayout()
        actions.addWidget(QLabel("Format"))
        actions.addWidget(self.format_combo)
        actions.addWidget(self.count_label, 1)
        actions.addWidget(self.render_button)
        actions.addWidget(self.stop_button)

        self.rows_box = QWidget()
        self.rows_box.setObjectName("compareRows")
        self.rows_layout = QVBoxLayout(self.rows_box)
        self.rows_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.rows_box)
        scroll.setFrameShape(QFrame.Shape.NoFrame)

        outer = QVBoxLayout(self)
        outer.addWidget(QLabel("Text"))
        outer.addWidget(self.text_edit)
        outer.addLayout(pick)
        outer.addLayout(actions)
        outer.addWidget(self.estimate_label)
        outer.addWidget(self.message)
        outer.addWidget(scroll, 1)

        self.models.itemChanged.connect(self._on_models_changed)
        self.voices.itemChanged.connect(self._update_count)
        self.text_edit.textChanged.connect(self._update_count)
        self.text_edit.textChanged.connect(self.draft_changed)
        self.models.itemChanged.connect(lambda _item: self.draft_changed.emit())
        self.voices.itemChanged.connect(lambda _item: self.draft_changed.emit())
        self.render_button.clicked.connect(self._on_render)
        self.stop_button.clicked.connect(self.stop_requested)
        self.render_button.setToolTip("Render every chosen voice (Ctrl+Enter)")
        _shortcuts(self, ("Ctrl+Return", "Ctrl+Enter"), self._on_render)
        _shortcuts(self, ("Escape",), self._on_escape)
        self._update_count()

    def set_models(self, models: list[str], checked: list[str]) -> None:
        with QSignalBlocker(self.models):
            self.models.clear()
            for model in models:
                item = QListWidgetItem(model)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                on = model in checked or (not checked and model == models[0])
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                self.models.addItem(item)
        self._on_models_changed()

    def checked(self, lst: QListWidget) -> list[str]:
        return [
            lst.item(i).text()
            for i in range(lst.count())
            if lst.item(i).checkState() == Qt.CheckState.Checked
            and lst.item(i).flags() & Qt.ItemFlag.ItemIsEnabled
        ]

    def set_checked_voices(self, voices: list[str]) -> None:
        for i in range(self.voices.count()):
            item = self.voices.item(i)
            item.setCheckState(
                Qt.CheckState.Checked if item.text() in voices else Qt.CheckState.Unchecked
            )

    def requests(self) -> list[SpeechRequest]:
        text = self.text_edit.toPlainText()
        fmt = str(self.format_combo.currentData() or "mp3")
        out = []
        for model in self.checked(self.models):
            caps = speech_caps(model)
            # A live (Realtime) session gives WAV or PCM only; other formats fall back to WAV.
            model_fmt = fmt if fmt in caps.formats else caps.formats[0]
            for voice in self.checked(self.voices):
                if voice in caps.voices:
                    out.append(SpeechRequest(model, voice, text, response_format=model_fmt))
        return out

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.render_button.setVisible(not busy)
        self.stop_button.setVisible(busy)

    def set_estimate(self, text: str) -> None:
        self.estimate_label.setText(text)

    def show_error(self, error: AppError) -> None:
        self.message.show_error(error)

    def start_rows(self, labels: list[str], pairs: list[tuple[str, str]] | None = None) -> None:
        for row in self.rows:
            row.player.stop()
            row.deleteLater()
        self.rows = []
        for index, label in enumerate(labels):
            row = CompareRow(index, label, self.rows_box)
            row.save_requested.connect(self._on_row_save)
            if pairs is not None:
                model, voice = pairs[index]
                row.use_requested.connect(lambda m=model, v=voice: self.voice_chosen.emit(m, v))
            else:
                row.use_button.setVisible(False)
            self.rows_layout.insertWidget(index, row)
            self.rows.append(row)

    def row_done(self, index: int, clip: Clip, path: Path, detail: str) -> None:
        row = self.rows[index]
        row.clip_id = clip.id
        row.state.setText(detail)
        row.player.load(path)
        row.save_button.setEnabled(True)

    def row_failed(self, index: int, error: AppError) -> None:
        row = self.rows[index]
        row.state.setText("Failed")
        row.message.show_error(error)

    def row_cancelled(self, index: int) -> None:
        self.rows[index].state.setText("Stopped")

    def text(self) -> str:
        return self.text_edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.text_edit.setPlainText(text)

    def set_row_time(self, index: int, text: str) -> None:
        """A row player's position / length text (before the player has measured the clip)."""
        self.rows[index].player.time_label.setText(text)

    def stop_players(self) -> None:
        for row in self.rows:
            row.player.stop()

    def _on_models_changed(self, *_args: object) -> None:
        voices: list[str] = []
        for model in self.checked(self.models) or [""]:
            for voice in speech_caps(model).voices:
                if voice not in voices:
                    voices.append(voice)
        before = set(self.checked(self.voices)) or {"alloy", "coral", "nova"}
        with QSignalBlocker(self.voices):
            self.voices.clear()
            for voice in voices:
                item = QListWidgetItem(voice)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(
                    Qt.CheckState.Checked if voice in before else Qt.CheckState.Unchecked
                )
                self.voices.addItem(item)
        self._update_count()

    def _update_count(self, *_args: object) -> None:
        n = len(self.requests())
        text_ok = bool(self.text_edit.toPlainText().strip())
        if n > COMPARE_MAX:
            self.count_label.setText(f"{n} clips: choose at most {COMPARE_MAX}")
        else:
            self.count_label.setText(f"{n} clip{'s' if n != 1 else ''}")
        self.render_button.setEnabled(text_ok and 0 < n <= COMPARE_MAX)

    def _on_escape(self) -> None:
        if self._busy:
            self.stop_requested.emit()

    def _on_render(self) -> None:
        if self._busy or not self.render_button.isEnabled():
            return
        self.message.clear_message()
        self.compare_requested.emit(self.requests())

    def _on_row_save(self, clip_id: str) -> None:
        if not clip_id:
            return
        fmt = next(
            (
                r.player.player.path.suffix.lstrip(".")
                for r in self.rows
                if r.clip_id == clip_id and r.player.player.path
            ),
            "mp3",
        )
        dialog = _save_dialog(
            self,
            "compareSaveDialog",
            "Save clip as",
            f"Audio (*.{fmt});;All files (*)",
            f"{clip_id}.{fmt}",
            "audio",
        )
        dialog.setDefaultSuffix(fmt)
        dialog.fileSelected.connect(lambda path: self.save_requested.emit(clip_id, path))
        dialog.open()


# ------------------------------------------------------------------------------------------------
# Speech to text
# ------------------------------------------------------------------------------------------------


class SpeechToTextPage(QWidget):
    """Transcribe or translate a file or a microphone take.

    Signals:
        file_chosen: a file was picked (or a take finished). arg: path.
        run_requested: Transcribe/Translate was pressed. arg: TranscriptionRequest.
        stop_requested: Stop was pressed.
        options_changed: model, task or format changed (the estimate needs updating).
        duration_measured: the player measured the source's length. arg: seconds.
        save_requested: Save chose a file. arg: target path.
        record_toggled: Record or Stop recording was pressed. arg: True to start.
        take_save_requested: "Save take as…" chose a file. arg: target path.
        devices_requested: the microphone picker is shown and needs the device list.
    """

    file_chosen = Signal(str)
    run_requested = Signal(object)
    stop_requested = Signal()
    options_changed = Signal()
    duration_measured = Signal(float)
    save_requested = Signal(str)
    record_toggled = Signal(bool)
    devices_requested = Signal()
    take_save_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audioSttPage")
        self.source: Path | None = None
        self.transcript: Transcript | None = None
        self._busy = False
        self._recording = False
        self._live_translator = ""
        self._live_transcriber = ""
        self._live_text = ""  # the live translation shown so far

        # Source: a file or the microphone.
        self.file_radio = QRadioButton("File")
        _named(self.file_radio, "sttFileRadio", "Audio from a file")
        self.mic_radio = QRadioButton("Microphone")
        _named(self.mic_radio, "sttMicRadio", "Audio from the microphone")
        self.file_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.file_radio)
        group.addButton(self.mic_radio)
        self.choose_button = QPushButton("Choose file…")
        _named(self.choose_button, "sttChooseButton", "Choose audio file")
        self.choose_button.setToolTip(
            "Audio files: " + ", ".join(UPLOAD_SUFFIXES) + " (at most 25 MB)"
        )
        self.device_combo = QComboBox()
        _named(self.device_combo, "sttDeviceCombo", "Microphone")
        self.record_button = QPushButton("● Record")
        _named(self.record_button, "sttRecordButton", "Record")
        self.level = LevelMeter()
        self.record_time = QLabel("0:00")
        self.record_time.setObjectName("sttRecordTime")
        self.device_note = MessageLine("sttDeviceNote")
        self.save_take_button = QPushButton("Save take as…")
        _named(self.save_take_button, "sttSaveTakeButton", "Save the recording as")
        self.save_take_button.setVisible(False)
        self.file_info = wrapped_label("sttFileInfo", "No audio chosen yet.")
        self.source_message = MessageLine("sttSourceMessage")
        self.player = PlayerBar("sttPlayer")

        source_box = QGroupBox("Audio")
        sb = QVBoxLayout(source_box)
        pick_row = QHBoxLayout()
        pick_row.addWidget(self.file_radio)
        pick_row.addWidget(self.choose_button)
        pick_row.addSpacing(16)
        pick_row.addWidget(self.mic_radio)
        pick_row.addWidget(self.device_combo, 1)
        pick_row.addStretch(0)
        sb.addLayout(pick_row)
        self.live_check = QCheckBox("Write it down as I speak")
        _named(self.live_check, "sttLiveCheck", "Transcribe live while recording")
        self.live_check.setVisible(False)
        mic_row = QHBoxLayout()
        mic_row.addWidget(self.record_button)
        mic_row.addWidget(self.level, 1)
        mic_row.addWidget(self.record_time)
        mic_row.addWidget(self.live_check)
        self.mic_panel = QWidget()
        self.mic_panel.setLayout(mic_row)
        mic_row.setContentsMargins(0, 0, 0, 0)
        sb.addWidget(self.mic_panel)
        sb.addWidget(self.device_note)
        info_row = QHBoxLayout()
        info_row.addWidget(self.file_info, 1)
        info_row.addWidget(self.save_take_button)
        sb.addLayout(info_row)
        sb.addWidget(self.source_message)
        sb.addWidget(self.player)

        # Options.
        self.transcribe_radio = QRadioButton("Transcribe")
        _named(self.transcribe_radio, "sttTranscribeRadio", "Transcribe (same language)")
        self.translate_radio = QRadioButton("Translate to English")
        _named(self.translate_radio, "sttTranslateRadio", "Translate to English")
        self.transcribe_radio.setChecked(True)
        task_group = QButtonGroup(self)
        task_group.addButton(self.transcribe_radio)
        task_group.addButton(self.translate_radio)
        self.model_combo = ModelCombo()
        _named(self.model_combo, "sttModelCombo", "Transcription model")
        self.model_combo.setEditable(True)
        self.model_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.language_combo = QComboBox()
        _named(self.language_combo, "sttLanguageCombo", "Language")
        self.language_combo.setEditable(True)
        for code, name in LANGUAGES:
            self.language_combo.addItem(f"{name} ({code})" if code else name, code)
        self.prompt_edit = QLineEdit()
        _named(self.prompt_edit, "sttPrompt", "Prompt")
        self.prompt_edit.setPlaceholderText("Optional: names, spelling, style to follow")
        self.temperature = QDoubleSpinBox()
        _named(self.temperature, "sttTemperature", "Temperature")
        self.temperature.setRange(0.0, 1.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setToolTip("0 lets the model choose; higher is more varied")
        self.format_combo = QComboBox()
        _named(self.format_combo, "sttFormatCombo", "Output format")
        self.stream_check = QCheckBox("Show text as it arrives")
        _named(self.stream_check, "sttStreamCheck", "Stream the transcript")
        self.stream_check.setChecked(True)
        self.words_check = QCheckBox("Word timings")
        _named(self.words_check, "sttWordsCheck", "Also time every word")
        task_row = QHBoxLayout()
        task_row.addWidget(self.transcribe_radio)
        task_row.addWidget(self.translate_radio)
        task_row.addStretch(1)
        form = QFormLayout()
        form.addRow("Task", task_row)
        form.addRow("Model", picker_field(self.model_combo))
        _buddy(form, self.model_combo)
        form.addRow("Language", self.language_combo)
        form.addRow("Prompt", self.prompt_edit)
        opts = QHBoxLayout()
        opts.addWidget(self.temperature)
        opts.addSpacing(12)
        opts.addWidget(QLabel("Output"))
        opts.addWidget(self.format_combo, 1)
        form.addRow("Temperature", opts)
        checks = QHBoxLayout()
        checks.addWidget(self.stream_check)
        checks.addSpacing(12)
        checks.addWidget(self.words_check)
        checks.addStretch(1)
        form.addRow("", checks)
        self.options = TranscribeOptions()
        form.addRow(self.options)
        # The options' own form lines its boxes up with this one's (widest label: Temperature).
        labels = [
            form.itemAt(row, QFormLayout.ItemRole.LabelRole) for row in range(form.rowCount())
        ]
        widgets = [item.widget() for item in labels if item is not None]
        self.options.align_labels(max(w.sizeHint().width() for w in widgets if w is not None))
        self.estimate_label = wrapped_label("sttEstimate")
        self.run_button = QPushButton("Transcribe")
        _named(self.run_button, "sttRunButton", "Transcribe")
        self.run_button.setToolTip("Send the audio (Ctrl+Enter)")
        self.stop_button = QPushButton("Stop")
        _named(self.stop_button, "sttStopButton", "Stop")
        self.stop_button.setVisible(False)
        self.message = MessageLine("sttMessage")
        run_row = QHBoxLayout()
        run_row.addWidget(self.estimate_label, 1)
        run_row.addWidget(self.run_button)
        run_row.addWidget(self.stop_button)

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(source_box)
        ll.addLayout(form)
        ll.addLayout(run_row)
        ll.addWidget(self.message)
        self.use_replacement = UseReplacementButton(self.model_combo)
        ll.addWidget(self.use_replacement)  # under a retired model's error
        ll.addStretch(1)

        # Result.
        self.result_title = QLabel("Transcript")
        self.result_title.setObjectName("sttResultTitle")
        self.text_view = QPlainTextEdit()
        _named(self.text_view, "sttTranscript", "Transcript")
        self.text_view.setReadOnly(True)
        self.text_view.setPlaceholderText("The transcript appears here.")
        self.segments = QTableWidget(0, 4)
        _named(self.segments, "sttSegments", "Segments")
        self.segments.setHorizontalHeaderLabels(["Start", "End", "Speaker", "Text"])
        self.segments.setColumnHidden(2, True)  # shown for speaker-labelled transcripts
        self.segments.verticalHeader().setVisible(False)
        self.segments.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.segments.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.segments.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.segments.setWordWrap(True)
        header = self.segments.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.segments.setToolTip("Click a segment to play the audio from there")
        self.result_stack = QStackedWidget()
        self.result_stack.addWidget(self.text_view)
        self.result_stack.addWidget(self.segments)
        self.view_combo = QComboBox()
        _named(self.view_combo, "sttViewCombo", "Show the transcript as")
        self.view_combo.setVisible(False)
        self._rows: tuple[Segment, ...] = ()  # what the table shows: segments or words
        self.copy_button = QPushButton("Copy")
        _named(self.copy_button, "sttCopyButton", "Copy transcript")
        self.save_button = QPushButton("Save…")
        _named(self.save_button, "sttSaveButton", "Save transcript")
        for b in (self.copy_button, self.save_button):
            b.setEnabled(False)
        self.result_info = wrapped_label("sttResultInfo")
        result_actions = QHBoxLayout()
        result_actions.addWidget(self.result_info, 1)
        result_actions.addWidget(self.view_combo)
        result_actions.addWidget(self.copy_button)
        result_actions.addWidget(self.save_button)
        # The translated speech a live translation sends back (saved to the clip history too).
        self.speech_box = QWidget()
        self.speech_box.setObjectName("sttSpeechBox")
        self.speech_player = PlayerBar("sttSpeechPlayer")
        self.speech_player.setAccessibleName("Play the spoken English")
        speech_row = QHBoxLayout(self.speech_box)
        speech_row.setContentsMargins(0, 0, 0, 0)
        speech_row.addWidget(QLabel("Spoken English"))
        speech_row.addWidget(self.speech_player, 1)
        self.speech_box.setVisible(False)
        # What a live translation heard, in the speaker's language: a second, quieter line.
        self.live_source = wrapped_label("sttLiveSource")
        self.live_source.setAccessibleName("What was said, in its own language")
        self.live_source.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.live_source.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.live_source.setVisible(False)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.result_title)
        rl.addWidget(self.result_stack, 1)
        rl.addWidget(self.live_source)
        rl.addWidget(self.speech_box)
        rl.addLayout(result_actions)

        fill(self, side_by_side([(left, 2), (right, 3)]))

        self.file_radio.toggled.connect(self._on_source_kind)
        self.choose_button.clicked.connect(self._on_choose)
        self.record_button.clicked.connect(self._on_record_clicked)
        self.model_combo.currentTextChanged.connect(self._on_options)
        self.translate_radio.toggled.connect(self._on_options)
        self.format_combo.currentIndexChanged.connect(self._on_format)
        self.run_button.clicked.connect(self._on_run)
        self.stop_button.clicked.connect(self.stop_requested)
        self.segments.cellClicked.connect(self._on_segment_clicked)
        self.view_combo.currentIndexChanged.connect(self._on_view_changed)
        self.copy_button.clicked.connect(self._on_copy)
        self.save_take_button.clicked.connect(self._on_save_take)
        self.save_button.clicked.connect(self._on_save)
        self.player.player.duration_changed.connect(self._on_duration)
        _shortcuts(self, ("Ctrl+Return", "Ctrl+Enter"), self._on_run)
        _shortcuts(self, ("Escape",), self._on_escape)
        self._on_source_kind()
        self._on_options()

    # --- reading ------------------------------------------------------------------------------

    @property
    def model(self) -> str:
        return self.model_combo.currentText().strip()

    @property
    def task(self) -> str:
        return "translate" if self.translate_radio.isChecked() else "transcribe"

    @property
    def language(self) -> str:
        text = self.language_combo.currentText().strip()
        index = self.language_combo.findText(text)
        if index >= 0:
            return str(self.language_combo.itemData(index) or "")
        return text.lower()

    @property
    def response_format(self) -> str:
        return str(self.format_combo.currentData() or "text")

    @property
    def live_translation(self) -> bool:
        """Translating goes through a live session (the chosen model does not translate)."""
        caps = transcription_caps(self.model)
        return self.task == "translate" and not caps.translation and bool(self._live_translator)

    def set_live_translator(self, model: str) -> None:
        """The live (Realtime) translation model the list has, "" for none."""
        self._live_translator = model
        self._on_options()

    @property
    def run_model(self) -> str:
        """The model the request goes to: the live translation model when it translates."""
        return self._live_translator if self.live_translation else self.model

    def request(self) -> TranscriptionRequest | None:
        if self.source is None:
            return None
        return TranscriptionRequest(
            model=self.run_model,
            file=self.source,
            task=self.task,
            language=self.language,
            prompt=self.prompt_edit.text() if self.prompt_edit.isEnabled() else "",
            temperature=round(self.temperature.value(), 2),
            response_format=self.response_format,
            stream=self.stream_check.isEnabled() and self.stream_check.isChecked(),
            word_timestamps=self.words_check.isEnabled() and self.words_check.isChecked(),
            languages=self.options.languages,
            keywords=self.options.keywords,
            speakers=self.options.speakers,
            chunking=self.options.chunking,
        )

    # --- slots --------------------------------------------------------------------------------

    def set_models(
        self, models: Sequence[str | ModelChoice], current: str, default: str = ""
    ) -> None:
        """Lists the transcription models (ids, or choices with badges); selects `current`."""
        first = str(models[0]) if models and isinstance(models[0], str) else ""
        with QSignalBlocker(self.model_combo):
            self.model_combo.set_choices(models, current or default or first, default)
        self._on_options()

    def set_devices(self, devices: list[tuple[str, str]], note: str = "") -> None:
        """Fills the microphone picker; with none, says so and disables recording."""
        current = self.device_combo.currentData()
        with QSignalBlocker(self.device_combo):
            self.device_combo.clear()
            for device_id, name in devices:
                self.device_combo.addItem(name, device_id)
            select_data(self.device_combo, current)
        if not devices:
            self.device_combo.addItem("No microphone found")
            self.device_combo.setEnabled(False)
            self.record_button.setEnabled(self._recording)
            self.device_note.show_note(
                note
                or "No microphone was found. Plug one in, or transcribe a file instead; "
                "everything else on this tab works."
            )
        else:
            self.device_combo.setEnabled(not self._recording)
            self.record_button.setEnabled(not self._busy)
            self.device_note.show_note(note)

    @property
    def device_id(self) -> str:
        return str(self.device_combo.currentData() or "")

    def set_recording(self, recording: bool) -> None:
        self._recording = recording
        self.record_button.setText("■ Stop recording" if recording else "● Record")
        self.record_button.setAccessibleName("Stop recording" if recording else "Record")
        self.device_combo.setEnabled(not recording and bool(self.device_id))
        self.choose_button.setEnabled(not recording)
        self.run_button.setEnabled(not recording and not self._busy and self.source is not None)
        if recording:
            self.level.set_level(0)
            self.record_time.setText("0:00")

    def set_record_progress(self, level: float, seconds: float) -> None:
        self.level.set_level(level)
        self.record_time.setText(format_clock(seconds))

    def set_source(
        self, path: Path | None, info: str, *, take: bool = False, playable: bool = True
    ) -> None:
        """Makes `path` the audio to send; `take` marks a microphone recording (it can be saved
        elsewhere with "Save take as…"); `playable=False` leaves the player as it is (a file
        that is not on this machine, as in the screenshot sample)."""
        self.source = path
        self.file_info.setText(info)
        self.source_message.clear_message()
        if playable:
            self.player.load(path)
        self.save_take_button.setVisible(take and path is not None)
        self.run_button.setEnabled(path is not None and not self._busy and not self._recording)

    def show_source_error(self, error: AppError) -> None:
        self.source_message.show_error(error)

    def show_source_note(self, text: str) -> None:
        self.source_message.show_note(text)

    def set_source_info(self, info: str) -> None:
        """The source's name, size and length (once the player has measured it)."""
        self.file_info.setText(info)

    def set_player_time(self, text: str) -> None:
        """The player's position / length text (before the player has measured the source)."""
        self.player.time_label.setText(text)

    def stop_source(self) -> None:
        """Stops playing the source and clears its message (a take is about to be recorded)."""
        self.player.stop()
        self.source_message.clear_message()

    def show_device_note(self, text: str) -> None:
        self.device_note.show_note(text)

    def show_result_info(self, text: str) -> None:
        """The line under the transcript (how it was made, Stopped, Saved)."""
        self.result_info.setText(text)

    def set_format(self, fmt: str) -> None:
        select_data(self.format_combo, fmt)

    def set_word_timings(self, on: bool) -> None:
        self.words_check.setChecked(on)

    def use_microphone(self, on: bool) -> None:
        """Switches the source between the microphone and a file."""
        (self.mic_radio if on else self.file_radio).setChecked(True)

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.run_button.setVisible(not busy)
        self.stop_button.setVisible(busy)
        self.run_button.setEnabled(not busy and self.source is not None and not self._recording)

    def set_estimate(self, text: str) -> None:
        self.estimate_label.setText(text)

    def show_error(self, error: AppError) -> None:
        self.message.show_error(error)
        self.use_replacement.offer(error)  # "Use <model>" for a retired model's 404

    @property
    def live_transcribe(self) -> bool:
        """Record with a live transcription session (a live model exists, the task is
        Transcribe and the box is ticked)."""
        return (
            bool(self._live_transcriber)
            and self.task == "transcribe"
            and self.live_check.isChecked()
        )

    @property
    def live_translate(self) -> bool:
        """Record with a live translation session (the task is Translate, a live translation
        model is listed and the box is ticked)."""
        return (
            bool(self._live_translator) and self.task == "translate" and self.live_check.isChecked()
        )

    def set_live_transcriber(self, model: str) -> None:
        """The live transcription model the list has ("" for none: the box is hidden)."""
        self._live_transcriber = model
        self._update_live_check()

    def _update_live_check(self) -> None:
        """The "as I speak" box: live transcription for Transcribe, live translation for
        Translate (shown but off, with the reason, when no live translation model is listed)."""
        box = self.live_check
        if self.task == "translate":
            model = self._live_translator
            box.setText("Translate as I speak")
            box.setAccessibleName("Translate live while recording")
            box.setVisible(bool(model or self._live_transcriber))
            box.setEnabled(bool(model))
            box.setToolTip(
                f"While you record, {model} translates into English as you speak (a live "
                "session); the take is kept and can still be translated as a file."
                if model
                else "The model list has no live translation model, so nothing is translated "
                "while you speak: record, then press Translate."
            )
            return
        model = self._live_transcriber
        box.setText("Write it down as I speak")
        box.setAccessibleName("Transcribe live while recording")
        box.setVisible(bool(model))
        box.setEnabled(True)
        box.setToolTip(
            f"While you record, {model} writes the words down as you speak (a live session); "
            "the take is kept and can still be transcribed as a file."
            if model
            else ""
        )

    def begin_live_transcript(self) -> None:
        self.begin_transcript()
        self.result_title.setText("Live transcript")

    def show_live_text(self, text: str, info: str) -> None:
        """The words written down so far while recording."""
        if self.text_view.toPlainText() != text:
            self.text_view.setPlainText(text)
            self.text_view.moveCursor(self.text_view.textCursor().MoveOperation.End)
        self.result_info.setText(info)
        self.copy_button.setEnabled(bool(text))

    def begin_live_translation(self, info: str) -> None:
        """A take is translated while it is recorded: the view shows the English as it comes."""
        self.begin_transcript()
        self.result_title.setText("Live translation (English)")
        self.result_info.setText(info)

    def show_live_translation(self, text: str, source: str, info: str) -> None:
        """The English so far, and (on a quieter line) what was said in its own language.

        Text that only grew is appended (a long take gets a delta a word), anything else
        replaces what is shown."""
        shown = self._live_text
        if shown and text.startswith(shown):
            if len(text) > len(shown):
                self.append_text(text[len(shown) :])
        elif text != shown:
            self.text_view.setPlainText(text)
            self.text_view.moveCursor(self.text_view.textCursor().MoveOperation.End)
        self._live_text = text
        self.result_info.setText(info)
        self.copy_button.setEnabled(bool(text))
        self.live_source.setText(f"Heard: {source}" if source else "")
        self.live_source.setVisible(bool(source))

    def show_translated_speech(self, path: Path | None) -> None:
        """Shows a player for the spoken translation in `path` (None hides it)."""
        self.speech_player.load(path)
        self.speech_box.setVisible(path is not None)

    def begin_transcript(self) -> None:
        self.show_translated_speech(None)
        self._live_text = ""
        self.live_source.clear()
        self.live_source.setVisible(False)
        self.transcript = None
        self.text_view.clear()
        self.segments.setRowCount(0)
        self._rows = ()
        self.result_stack.setCurrentWidget(self.text_view)
        with QSignalBlocker(self.view_combo):
            self.view_combo.clear()
        self.view_combo.setVisible(False)
        self.result_info.clear()
        self.copy_button.setEnabled(False)
        self.save_button.setEnabled(False)

    def append_text(self, text: str) -> None:
        cursor = self.text_view.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        cursor.insertText(text)
        self.text_view.setTextCursor(cursor)

    def show_transcript(self, transcript: Transcript, info: str) -> None:
        self.transcript = transcript
        self.result_title.setText(
            "Translation (English)" if transcript.task == "translate" else "Transcript"
        )
        shown = transcript.raw if transcript.fmt in ("srt", "vtt", "json") else transcript.text
        self.text_view.setPlainText(shown)
        with QSignalBlocker(self.view_combo):
            self.view_combo.clear()
            if transcript.segments:
                self.view_combo.addItem(f"Segments ({len(transcript.segments):,})", "segments")
            if transcript.words:
                self.view_combo.addItem(f"Words ({len(transcript.words):,})", "words")
            self.view_combo.addItem("Plain text", "text")
        self.view_combo.setVisible(self.view_combo.count() > 1)
        self._on_view_changed()
        self.result_info.setText(info)
        self.copy_button.setEnabled(True)
        self.save_button.setEnabled(True)

    # --- private ------------------------------------------------------------------------------

    def _on_source_kind(self, *_args: object) -> None:
        mic = self.mic_radio.isChecked()
        self.mic_panel.setVisible(mic)
        self.device_combo.setVisible(mic)
        self.device_note.setVisible(mic and bool(self.device_note.text()))
        self.choose_button.setEnabled(not mic and not self._recording)
        if mic and self.device_combo.count() == 0:
            self.devices_requested.emit()

    def _on_options(self, *_args: object) -> None:
        caps = transcription_caps(self.model)
        translates = caps.translation or bool(self._live_translator)
        if not translates and self.translate_radio.isChecked():
            with QSignalBlocker(self.transcribe_radio):
                self.transcribe_radio.setChecked(True)
        self.translate_radio.setEnabled(translates)
        self.translate_radio.setToolTip(
            ""
            if translates
            else f"{self.model or 'This model'} does not translate, and the model list has no "
            "live translation model."
        )
        translate = self.task == "translate"
        self.options.set_caps(
            self.model or "This model",
            caps,
            translate,
            self._live_translator if self.live_translation else "",
        )
        if self.live_translation:
            caps = transcription_caps(self._live_translator)
        self.run_button.setText("Translate" if translate else "Transcribe")
        self._update_live_check()
        self.language_combo.setEnabled(not translate)
        self.prompt_edit.setEnabled(caps.prompt)
        self.temperature.setEnabled(caps.temperature)
        current = self.response_format
        with QSignalBlocker(self.format_combo):
            self.format_combo.clear()
            for fmt in caps.formats:
                self.format_combo.addItem(TRANSCRIPT_FORMATS.get(fmt, fmt), fmt)
            index = self.format_combo.findData(current)
            self.format_combo.setCurrentIndex(max(index, 0))
        self._on_format()

    def _on_format(self, *_args: object) -> None:
        caps = transcription_caps(self.model)
        can_stream = caps.streaming and self.task == "transcribe"
        self.stream_check.setEnabled(can_stream)
        self.stream_check.setToolTip(
            "" if can_stream else "This model sends the whole transcript at once."
        )
        timed = caps.timestamps and self.task == "transcribe"
        words = timed and self.response_format == "verbose_json"
        self.words_check.setEnabled(words)
        self.words_check.setToolTip(
            "Also return the start and end of every word (shown as a table you can click to play)"
            if words
            else f"Word timings come with the “{TRANSCRIPT_FORMATS['verbose_json']}” output"
            if timed
            else f"{self.model or 'This model'} gives no word timings; whisper-1 does."
            if self.task == "transcribe"
            else "Translations have no word timings."
        )
        self.options_changed.emit()

    def _on_choose(self) -> None:
        dialog = _file_dialog(
            self,
            "sttOpenDialog",
            "Choose audio",
            "Audio (" + " ".join(f"*.{s}" for s in UPLOAD_SUFFIXES) + ");;All files (*)",
            "source",
        )
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.file_chosen)
        dialog.open()

    def _on_record_clicked(self) -> None:
        self.record_toggled.emit(not self._recording)

    def _on_run(self) -> None:
        if self._busy or self._recording:
            return
        request = self.request()
        if request is None:
            self.message.show_error(
                AppError.local("No audio", "Choose a file or record something first.", "")
            )
            return
        self.message.clear_message()
        self.use_replacement.offer(None)
        self.run_requested.emit(request)

    def _on_escape(self) -> None:
        if self._busy:
            self.stop_requested.emit()
        elif self._recording:
            self.record_toggled.emit(False)

    def _on_segment_clicked(self, row: int, _column: int) -> None:
        if 0 <= row < len(self._rows):
            self.player.play_from(self._rows[row].start)

    def _on_view_changed(self, *_args: object) -> None:
        """Shows the segments, the words (a row each, timed) or the plain text."""
        view = self.view_combo.currentData()
        transcript = self.transcript
        if transcript is None or view not in ("segments", "words"):
            self.result_stack.setCurrentWidget(self.text_view)
            return
        rows = transcript.segments if view == "segments" else transcript.words
        if rows is not self._rows:
            self._rows = rows
            self.segments.setRowCount(len(rows))
            self.segments.setColumnHidden(2, not any(seg.speaker for seg in rows))
            for row, seg in enumerate(rows):
                values = (format_clock(seg.start), format_clock(seg.end), seg.speaker, seg.text)
                for col, value in enumerate(values):
                    item = QTableWidgetItem(value)
                    if col < 2:
                        item.setToolTip(f"{seg.start:.2f} s" if col == 0 else f"{seg.end:.2f} s")
                    self.segments.setItem(row, col, item)
            self.segments.resizeRowsToContents()
            self.segments.scrollToTop()
        self.segments.setToolTip(
            f"Click a {'segment' if view == 'segments' else 'word'} to play the audio from there"
        )
        self.result_stack.setCurrentWidget(self.segments)

    def _on_copy(self) -> None:
        from PySide6.QtGui import QGuiApplication

        # While a take is written down or translated live there is no transcript yet: the text
        # shown so far is what is copied.
        text = self.transcript.text if self.transcript is not None else self.text_view.toPlainText()
        if text:
            QGuiApplication.clipboard().setText(text)
            self.result_info.setText("Copied.")

    def _on_save(self) -> None:
        if self.transcript is None:
            return
        filters = ["Text (*.txt)"]
        if self.transcript.segments:
            filters[:0] = ["SubRip subtitles (*.srt)", "WebVTT subtitles (*.vtt)"]
        if self.transcript.fmt in ("json", "verbose_json"):
            filters.insert(0, "JSON (*.json)")
        suffix = self.transcript.suffix
        stem = self.source.stem if self.source else "transcript"
        dialog = _save_dialog(
            self,
            "sttSaveDialog",
            "Save transcript",
            ";;".join(filters),
            f"{stem}.{suffix}",
            "transcript",
        )
        dialog.setDefaultSuffix(suffix)
        dialog.fileSelected.connect(self.save_requested)
        dialog.open()

    def _on_save_take(self) -> None:
        if self.source is None:
            return
        dialog = _save_dialog(
            self,
            "sttSaveTakeDialog",
            "Save recording as",
            "WAV audio (*.wav);;All files (*)",
            self.source.name,
            "audio",
        )
        dialog.setDefaultSuffix("wav")
        dialog.fileSelected.connect(self.take_save_requested)
        dialog.open()

    def _on_duration(self, ms: int) -> None:
        if ms > 0:
            self.duration_measured.emit(ms / 1000)


# ------------------------------------------------------------------------------------------------
# The tab
# ------------------------------------------------------------------------------------------------


class AudioTab(QWidget):
    """Speech, Compare voices and Speech to text, as pages of one tab."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audioTab")
        self.speech = SpeechPage()
        self.compare = ComparePage()
        self.stt = SpeechToTextPage()
        self.voice = VoiceChatPage()
        self.pages = QTabWidget()
        _named(self.pages, "audioPages", "Audio pages")
        self.pages.setDocumentMode(True)
        self.pages.addTab(self.speech, "Text to speech")
        self.pages.addTab(self.compare, "Compare voices")
        self.pages.addTab(self.stt, "Speech to text")
        self.pages.addTab(self.voice, "Voice chat")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.pages)
        self.compare.voice_chosen.connect(self._on_voice_chosen)

    @property
    def main_input(self) -> QWidget:
        """Where Ctrl+3 puts the cursor: the input of the page shown now (the text to speak, the
        text to compare voices on, or Speech to text's "Choose file…")."""
        page = self.pages.currentWidget()
        if page is self.compare:
            return self.compare.text_edit
        if page is self.stt:
            return self.stt.choose_button
        if page is self.voice:
            return self.voice.start_button
        return self.speech.text_edit

    def _on_voice_chosen(self, model: str, voice: str) -> None:
        speech = self.speech
        models = [speech.model_combo.itemText(i) for i in range(speech.model_combo.count())]
        speech.set_models(models, model)
        speech.set_voice(voice)
        self.pages.setCurrentWidget(speech)

    # --- the whole tab ------------------------------------------------------------------------

    def show_page(self, page: QWidget | int) -> None:
        """Shows a page (`speech`, `compare`, `stt`, or its index)."""
        if isinstance(page, int):
            self.pages.setCurrentIndex(page)
        else:
            self.pages.setCurrentWidget(page)

    def stop_players(self) -> None:
        self.speech.player.stop()
        self.stt.player.stop()
        self.stt.speech_player.stop()
        self.voice.player.stop()
        self.compare.stop_players()

    def form_state(self) -> dict[str, Any]:
        """What the pages' forms hold, to put back with `restore_form` at the next start."""
        speech, stt, compare = self.speech, self.stt, self.compare
        return {
            "page": self.pages.currentIndex(),
            "speech_model": speech.model,
            "voice": speech.voice,
            "format": speech.response_format,
            "speed": round(speech.speed.value(), 2),
            "instructions": speech.instructions.toPlainText(),
            "text": speech.text_edit.toPlainText(),
            "live": speech.live_check.isChecked(),
            "compare_text": compare.text_edit.toPlainText(),
            "compare_models": compare.checked(compare.models),
            "compare_voices": compare.checked(compare.voices),
            "stt_model": stt.model,
            "stt_format": stt.response_format,
            "language": stt.language,
            "prompt": stt.prompt_edit.text(),
            "stream": stt.stream_check.isChecked(),
            "words": stt.words_check.isChecked(),
            "translate": stt.task == "translate",
            "stt_languages": stt.options.languages_edit.text(),
            "stt_keywords": stt.options.keywords_edit.text(),
            "stt_chunking": stt.options.chunking_check.isChecked(),
            "stt_speakers": [[name, str(clip)] for name, clip in stt.options.known_speakers],
        }

    def restore_form(self, state: dict[str, Any]) -> None:
        """Puts a `form_state` back (missing values get their defaults). The model lists, the
        compared models and voices and the transcript format wait for the models to arrive."""
        speech, stt, compare = self.speech, self.stt, self.compare
        if state.get("speech_model"):
            speech.set_models([str(state["speech_model"])], str(state["speech_model"]))
        if state.get("voice"):
            speech.set_voice(str(state["voice"]))
        speech.set_format(str(state.get("format", "mp3")))
        with contextlib.suppress(TypeError, ValueError):
            speech.speed.setValue(float(state.get("speed", 1.0)))
        speech.instructions.setPlainText(str(state.get("instructions", "")))
        speech.text_edit.setPlainText(str(state.get("text", "")))
        speech.live_check.setChecked(bool(state.get("live", True)))
        compare.text_edit.setPlainText(str(state.get("compare_text", "")))
        if state.get("stt_model"):
            stt.set_models([str(state["stt_model"])], str(state["stt_model"]))
        language = str(state.get("language", ""))
        index = stt.language_combo.findData(language)
        if index >= 0:
            stt.language_combo.setCurrentIndex(index)
        elif language:
            stt.language_combo.setEditText(language)
        stt.prompt_edit.setText(str(state.get("prompt", "")))
        stt.stream_check.setChecked(bool(state.get("stream", True)))
        stt.words_check.setChecked(bool(state.get("words", False)))
        stt.options.languages_edit.setText(str(state.get("stt_languages", "")))
        stt.options.keywords_edit.setText(str(state.get("stt_keywords", "")))
        stt.options.chunking_check.setChecked(bool(state.get("stt_chunking", False)))
        stt.options.clear_speakers()
        for entry in state.get("stt_speakers") or []:
            with contextlib.suppress(TypeError, ValueError):
                name, clip = entry
                stt.options.add_speaker(str(name), Path(str(clip)))
        if state.get("translate") and stt.translate_radio.isEnabled():
            stt.translate_radio.setChecked(True)
        if isinstance(state.get("page"), int):
            self.pages.setCurrentIndex(int(state["page"]))
