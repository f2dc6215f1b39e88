"""The Speech to text page's options for gpt-transcribe, and the note on the older models' date.

gpt-transcribe takes the languages the audio may be in, words to listen for, known speakers (a
name and a short reference clip each: the segments come back labelled with those names) and
whether to cut long audio at pauses. The older models (whisper-1, the gpt-4o transcribe models)
keep their own options (subtitle formats, word timings, translation) until their shutdown date,
which this note shows. A view only: the page reads `values()` into its request.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.audio.models import (
    MAX_SPEAKERS,
    SPEAKER_CLIP_MAX_S,
    SPEAKER_CLIP_MIN_S,
    UPLOAD_SUFFIXES,
    TranscriptionCaps,
)
from playground.ui.common.widgets import wrapped_label


def _named(widget: QWidget, name: str, accessible: str) -> None:
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)


def split_list(text: str) -> tuple[str, ...]:
    """Comma- or line-separated entries, trimmed, empty ones dropped."""
    return tuple(p.strip() for p in text.replace("\n", ",").split(",") if p.strip())


class TranscribeOptions(QWidget):
    """Languages, keywords, known speakers and chunking (for models that take them), and the
    shutdown note of older models.

    Signals:
        changed: an option changed.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sttTranscribeOptions")
        self._speakers: list[tuple[str, Path]] = []
        self.languages_edit = QLineEdit()
        _named(self.languages_edit, "sttLanguages", "Possible languages")
        self.languages_edit.setPlaceholderText("Optional: the languages spoken, e.g. en, de")
        self.keywords_edit = QLineEdit()
        _named(self.keywords_edit, "sttKeywords", "Words to listen for")
        self.keywords_edit.setPlaceholderText("Optional: names and terms, separated by commas")
        self.speaker_list = QListWidget()
        _named(self.speaker_list, "sttSpeakers", "Known speakers")
        self.speaker_list.setMaximumHeight(72)
        self.speaker_name = QLineEdit()
        _named(self.speaker_name, "sttSpeakerName", "Speaker name")
        self.speaker_name.setPlaceholderText("Speaker name, e.g. Anna")
        self.add_speaker_button = QPushButton("Add clip…")
        _named(self.add_speaker_button, "sttAddSpeaker", "Add a reference clip for this speaker")
        self.add_speaker_button.setToolTip(
            f"A clip of {SPEAKER_CLIP_MIN_S:.0f} to {SPEAKER_CLIP_MAX_S:.0f} seconds where only "
            f"this person speaks; up to {MAX_SPEAKERS} speakers. The segments are labelled with "
            "their names."
        )
        self.remove_speaker_button = QPushButton("Remove")
        _named(self.remove_speaker_button, "sttRemoveSpeaker", "Remove the chosen speaker")
        self.chunking_check = QCheckBox("Cut long audio at pauses")
        _named(self.chunking_check, "sttChunking", "Cut long audio at pauses")
        self.chunking_check.setToolTip(
            "The server evens out loudness and cuts at pauses (chunking “auto”); otherwise the "
            "audio is transcribed as one block."
        )
        self.shutdown_note = wrapped_label("sttShutdownNote")

        speakers = QWidget()
        sl = QVBoxLayout(speakers)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addWidget(self.speaker_list)
        row = QHBoxLayout()
        row.addWidget(self.speaker_name, 1)
        row.addWidget(self.add_speaker_button)
        row.addWidget(self.remove_speaker_button)
        sl.addLayout(row)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.addRow("Languages", self.languages_edit)
        self.form.addRow("Keywords", self.keywords_edit)
        self.form.addRow("Speakers", speakers)
        self.form.addRow("", self.chunking_check)
        self.form.addRow(self.shutdown_note)  # the full width: flush with the page's text
        self._speakers_row = speakers

        self.add_speaker_button.clicked.connect(self._on_add)
        self.remove_speaker_button.clicked.connect(self._on_remove)
        self.speaker_name.returnPressed.connect(self._on_add)
        for edit in (self.languages_edit, self.keywords_edit):
            edit.textChanged.connect(self.changed)
        self.chunking_check.toggled.connect(self.changed)
        self.speaker_list.currentRowChanged.connect(self._on_current)
        self._caps = TranscriptionCaps()
        self._translating = False
        self._update()

    def align_labels(self, width: int) -> None:
        """Gives the labels `width` so the boxes line up with those of the form around this one."""
        for row in range(self.form.rowCount()):
            item = self.form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            label = item.widget() if item is not None else None
            if label is not None:
                label.setMinimumWidth(width)

    # --- reading ---------------------------------------------------------------------------------

    @property
    def languages(self) -> tuple[str, ...]:
        """The possible languages, when the model takes them (else none)."""
        if not self._caps.languages or self._translating:
            return ()
        return split_list(self.languages_edit.text())

    @property
    def keywords(self) -> tuple[str, ...]:
        if not self._caps.keywords or self._translating:
            return ()
        return split_list(self.keywords_edit.text())

    @property
    def speakers(self) -> tuple[tuple[str, Path], ...]:
        if not self._caps.speakers or self._translating:
            return ()
        return tuple(self._speakers)

    @property
    def known_speakers(self) -> tuple[tuple[str, Path], ...]:
        """Every speaker added, whether or not the model takes them (kept across models)."""
        return tuple(self._speakers)

    @property
    def chunking(self) -> str:
        take = self._caps.chunking and not self._translating
        return "auto" if take and self.chunking_check.isChecked() else ""

    # --- slots -------------------------------------------------------------------------------------

    def set_caps(
        self, model: str, caps: TranscriptionCaps, translating: bool, live_translator: str = ""
    ) -> None:
        """Shows the options `model` takes; the shutdown note when one is announced, or how a
        translation goes when it goes through a live session (`live_translator`)."""
        self._caps, self._translating = caps, translating
        transcribe = not translating
        self.form.setRowVisible(self.languages_edit, caps.languages and transcribe)
        self.form.setRowVisible(self.keywords_edit, caps.keywords and transcribe)
        self.form.setRowVisible(self._speakers_row, caps.speakers and transcribe)
        self.form.setRowVisible(self.chunking_check, caps.chunking and transcribe)
        note = ""
        if caps.shutdown:
            olds = []
            if "srt" in caps.formats:
                olds.append("subtitles")
            if caps.timestamps:
                olds.append("word timings")
            if caps.translation:
                olds.append("translation")
            what = f" ({', '.join(olds)})" if olds else ""
            note = (
                f"{model} and its options{what} work until {caps.shutdown}, when OpenAI shuts "
                "it down; gpt-transcribe replaces it."
            )
        if live_translator:
            note = (
                f"Translated into English by {live_translator} through a live session "
                "(Realtime API), with the English spoken back. Other files than WAV are "
                "converted to WAV first; you can also record with the microphone."
            )
        self.shutdown_note.setText(note)
        self.form.setRowVisible(self.shutdown_note, bool(note))
        self._update()

    def add_speaker(self, name: str, clip: Path) -> None:
        """Adds a known speaker with their reference clip (the request checks the clip)."""
        name = name.strip() or clip.stem
        self._speakers.append((name, clip))
        item = QListWidgetItem(f"{name} — {clip.name}")
        item.setToolTip(str(clip))
        self.speaker_list.addItem(item)
        self.speaker_name.clear()
        self._update()
        self.changed.emit()

    def clear_speakers(self) -> None:
        self._speakers.clear()
        self.speaker_list.clear()
        self._update()

    # --- internals ---------------------------------------------------------------------------------

    def _update(self) -> None:
        full = len(self._speakers) >= MAX_SPEAKERS
        self.add_speaker_button.setEnabled(not full)
        self.add_speaker_button.setToolTip(
            f"At most {MAX_SPEAKERS} speakers." if full else self.add_speaker_button.toolTip()
        )
        self.remove_speaker_button.setEnabled(self.speaker_list.currentRow() >= 0)
        self.speaker_list.setVisible(bool(self._speakers))

    def _on_current(self, row: int) -> None:
        self.remove_speaker_button.setEnabled(row >= 0)

    def _on_add(self) -> None:
        name = self.speaker_name.text().strip()
        dialog = QFileDialog(
            self,
            f"Reference clip for {name}" if name else "Reference clip",
            "",
            "Audio (" + " ".join(f"*.{s}" for s in UPLOAD_SUFFIXES) + ")",
        )
        dialog.setObjectName("sttSpeakerClipDialog")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: self.add_speaker(name, Path(path)))
        dialog.open()

    def _on_remove(self) -> None:
        row = self.speaker_list.currentRow()
        if 0 <= row < len(self._speakers):
            del self._speakers[row]
            self.speaker_list.takeItem(row)
            self._update()
            self.changed.emit()
