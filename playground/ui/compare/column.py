"""One column of the Compare tab: its model, parameters and system prompt, and its answers.

The column is a view. Its parameters are Chat's own `ChatParamsPanel` (in the `ParamsDialog` the
"Parameters…" button opens), so every setting, check and capability rule is the same as in Chat.
Answers stream into Chat's `MessageView`, one per sample.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.api.capabilities import Capabilities
from playground.core.api.errors import AppError
from playground.core.api.retirements import ModelChoice
from playground.core.compare.diff import Piece
from playground.ui.common.chat_params import API_RESPONSES, FIELD_NAMES, RESPONSES_FIELD_NAMES
from playground.ui.common.message_view import MessageView
from playground.ui.common.model_picker import ModelCombo, UseReplacementButton
from playground.ui.common.params_dialog import ParamsDialog
from playground.ui.common.widgets import named, wrapped_label
from playground.ui.shell.theme import is_dark

LETTERS = "ABCD"


class CompareColumn(QFrame):
    """A column: header (model, Parameters…, From/To Chat), system prompt, answers, numbers.

    Signals:
        model_changed: the model changed. arg: the model id.
        settings_changed: a parameter or the system prompt changed.
        copy_from_chat_requested: "From Chat": take Chat's model, parameters and system prompt.
        send_to_chat_requested: "To Chat": give Chat this column's settings.
    """

    model_changed = Signal(str)
    settings_changed = Signal()
    copy_from_chat_requested = Signal()
    send_to_chat_requested = Signal()

    def __init__(self, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        letter = LETTERS[index]
        self.letter = letter
        self.setObjectName(f"compareColumn{letter}")
        self.setFrameShape(QFrame.Shape.StyledPanel)

        self.title = QLabel(letter)
        self.title.setObjectName("compareColumnTitle")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)

        self.params_dialog = ParamsDialog(f"Column {letter}: parameters", self)
        self.params = self.params_dialog.panel
        self.model_combo = ModelCombo()
        self.model_combo.setEditable(True)
        self.model_combo.setObjectName(f"compareModel{letter}")
        self.model_combo.setAccessibleName(f"Column {letter} model")
        self.model_combo.setToolTip("Which model answers in this column")
        self.model_combo.setMinimumContentsLength(10)
        self.model_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )

        self.params_button = named(
            QToolButton(), f"compareParams{letter}", f"Column {letter} parameters"
        )
        self.params_button.setText("Parameters…")
        self.params_button.setToolTip("Temperature, length, output format… (the same as Chat's)")
        self.from_chat_button = named(
            QToolButton(), f"compareFromChat{letter}", f"Column {letter}: copy settings from Chat"
        )
        self.from_chat_button.setText("From Chat")
        self.from_chat_button.setToolTip("Copy Chat's model, parameters and system prompt here")
        self.to_chat_button = named(
            QToolButton(), f"compareToChat{letter}", f"Column {letter}: send settings to Chat"
        )
        self.to_chat_button.setText("To Chat")
        self.to_chat_button.setToolTip(
            "Give Chat this column's model, parameters and system prompt"
        )

        header = QHBoxLayout()
        header.setSpacing(4)
        header.addWidget(self.title)
        header.addWidget(self.model_combo, 1)
        header.addWidget(self.params_button)
        tools = QHBoxLayout()
        tools.setSpacing(4)
        self.params_summary = QLabel("")
        self.params_summary.setObjectName("compareParamsSummary")
        self.params_summary.setEnabled(False)  # greyed: a quiet hint
        tools.addWidget(self.params_summary, 1)
        tools.addWidget(self.model_combo.retired_toggle)
        tools.addWidget(self.from_chat_button)
        tools.addWidget(self.to_chat_button)

        self.system_edit = named(
            QPlainTextEdit(), f"compareSystem{letter}", f"Column {letter} system prompt"
        )
        self.system_edit.setPlaceholderText("System prompt (optional)")
        self.system_edit.setTabChangesFocus(True)
        self.system_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)

        self.answers = QWidget()
        self.answers.setObjectName("compareAnswers")
        self.answers_layout = QVBoxLayout(self.answers)
        self.answers_layout.setContentsMargins(2, 2, 2, 2)
        self.answers_layout.setSpacing(6)
        self.diff_view = named(
            QTextBrowser(), f"compareDiff{letter}", f"Column {letter} differences"
        )
        self.diff_view.setFrameShape(QFrame.Shape.NoFrame)
        self.diff_view.setVisible(False)
        self.diff_view.setMinimumHeight(120)
        self.answers_layout.addWidget(self.diff_view, 1)
        self.placeholder = QLabel("Answers appear here.")
        self.placeholder.setObjectName("compareEmpty")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setEnabled(False)
        self.answers_layout.addWidget(self.placeholder)
        self.answers_layout.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName(f"compareScroll{letter}")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(self.answers)

        self.stats_label = wrapped_label(f"compareStats{letter}")
        self.stats_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.similarity_label = wrapped_label(f"compareSimilarity{letter}")
        self.similarity_label.setVisible(False)
        self.error_label = wrapped_label(f"compareError{letter}")
        self.error_label.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.model_combo.note)  # hidden while it has nothing to say
        layout.addLayout(tools)
        layout.addWidget(self.system_edit)
        layout.addWidget(self.scroll_area, 1)
        layout.addWidget(self.error_label)
        self.use_replacement = UseReplacementButton(self.model_combo)  # a retired model's 404
        layout.addWidget(self.use_replacement, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.similarity_label)
        layout.addWidget(self.stats_label)

        self.views: list[MessageView] = []
        self.params_button.clicked.connect(self._open_params)
        self.from_chat_button.clicked.connect(self.copy_from_chat_requested)
        self.to_chat_button.clicked.connect(self.send_to_chat_requested)
        self.model_combo.currentTextChanged.connect(self._on_header_model_changed)
        self.params.model_changed.connect(self._on_panel_model_changed)
        self.params.changed.connect(self._update_params_summary)
        self.params.changed.connect(self.settings_changed)
        self.system_edit.textChanged.connect(self.settings_changed)
        self._update_params_summary()

    # --- settings ---------------------------------------------------------------------------------

    def model(self) -> str:
        return self.model_combo.currentText().strip()

    def set_models(
        self, models: Sequence[str | ModelChoice], current: str, default: str = ""
    ) -> None:
        """Fills the picker (`ModelChoice` entries carry retirement badges; retired ones are
        hidden unless "Show retired"); `default` replaces a hidden retired `current`."""
        before = self.model()
        with QSignalBlocker(self.model_combo):
            self.model_combo.set_choices(models, current or before, default)
        # The panel follows the header (its model_changed would sync the header back).
        self.params.set_models(models, self.model(), default)
        if self.model() != before:
            self.model_changed.emit(self.model())

    def shows_retired(self) -> bool:
        return self.model_combo.shows_retired()

    def set_show_retired(self, on: bool) -> None:
        self.model_combo.retired_toggle.setChecked(on)

    def set_model(self, model: str) -> None:
        """Picks `model` as the user would (`model_changed` follows)."""
        self.model_combo.setCurrentText(model)

    def set_capabilities(self, caps: Capabilities) -> None:
        """What the model accepts: the parameters it rejects are greyed out, limits follow it."""
        self.params.set_capabilities(caps, self.model())
        self.params.set_model_limits(caps.max_output, caps.context_window)

    def problems(self) -> list[str]:
        """Why the parameters cannot be sent as they are (empty when they can)."""
        return self.params.problems()

    def settings(self) -> dict[str, Any]:
        """This column's settings: "model", "system", "fields" (Chat's request fields), "api"
        and "extras" (the panel's Responses settings)."""
        return {
            "model": self.model(),
            "system": self.system_edit.toPlainText(),
            "fields": self.params.request_fields(),
            "api": self.params.api(),
            "extras": self.params.responses_fields(),
        }

    def api(self) -> str:
        return self.params.api()

    def set_api(self, api: str) -> None:
        self.params.set_api(api)
        self._update_params_summary()

    def apply_settings(
        self, model: str, system: str, fields: dict[str, Any], api: str | None = None
    ) -> None:
        """Shows saved or copied settings (unknown parameter names are ignored); `api` when
        given (else the column keeps its own)."""
        names = set(FIELD_NAMES) | set(RESPONSES_FIELD_NAMES) | {"api"}
        known = {k: v for k, v in fields.items() if k in names and (k != "api" or v)}
        self.params.set_fields({**known, "model": model, **({"api": api} if api else {})})
        with QSignalBlocker(self.model_combo):
            self.model_combo.setCurrentText(model)
        self.system_edit.setPlainText(system)

    def _open_params(self) -> None:
        self.params_dialog.show()
        self.params_dialog.raise_()

    def _on_header_model_changed(self, text: str) -> None:
        model = text.strip()
        if model != self.params.current_model():
            with QSignalBlocker(self.params.model_combo):
                self.params.model_combo.setCurrentText(model)
        self.model_changed.emit(model)
        self._update_params_summary()

    def _on_panel_model_changed(self, model: str) -> None:
        if model != self.model():
            with QSignalBlocker(self.model_combo):
                self.model_combo.setCurrentText(model)
            self.model_changed.emit(model)
        self._update_params_summary()

    def _update_params_summary(self) -> None:
        fields = self.params.request_fields()
        parts = []
        if fields.get("temperature") is not None:
            parts.append(f"temperature {fields['temperature']:g}")
        if fields.get("max_output_tokens"):
            parts.append(f"max {fields['max_output_tokens']:,} tok")
        if fields.get("response_format"):
            parts.append("JSON")
        if fields.get("reasoning_effort"):
            parts.append(f"effort {fields['reasoning_effort']}")
        api = "Responses" if self.params.api() == API_RESPONSES else "Chat Completions"
        self.params_summary.setText(f"{api} · " + (" · ".join(parts) or "default parameters"))

    # --- answers ----------------------------------------------------------------------------------

    def begin(self, samples: int) -> None:
        """Empties the column for a new run of `samples` answers."""
        for view in self.views:
            self.answers_layout.removeWidget(view)
            view.deleteLater()
        self.views = []
        self.placeholder.setVisible(False)
        for i in range(samples):
            view = MessageView("Answer" if samples == 1 else f"Sample {i + 1}", self.answers)
            view.setObjectName(f"compareAnswer{self.letter}{i + 1}")
            self.answers_layout.insertWidget(self.answers_layout.count() - 2, view)
            self.views.append(view)
        self.stats_label.setText("Waiting for the first token…")
        self.similarity_label.setVisible(False)
        self.hide_error()

    def append(self, sample: int, text: str) -> None:
        self.views[sample].append_stream(text)

    def finish(self, sample: int, text: str, note: str = "") -> None:
        """The sample's stream ended; `text` is all of it, `note` marks a partial answer."""
        view = self.views[sample]
        if view.text() == text:
            view.flush()
        else:
            view.set_text(text)
        if note:
            view.set_role(f"{view.role_label.text()} · {note}")

    def texts(self) -> list[str]:
        return [view.text() for view in self.views]

    def set_stats(self, text: str) -> None:
        self.stats_label.setText(text)

    def set_similarity(self, text: str) -> None:
        self.similarity_label.setText(text)
        self.similarity_label.setVisible(bool(text))

    def show_error(self, text: str, error: AppError | None = None) -> None:
        """`text` in red; "Use <model>" under it when `error` is a retired model's 404."""
        red = "#ff8a80" if is_dark() else "#b3261e"
        self.error_label.setText(f"<span style='color:{red}'>{html.escape(text)}</span>")
        self.error_label.setVisible(True)
        self.use_replacement.offer(error)

    def hide_error(self) -> None:
        self.error_label.clear()
        self.error_label.setVisible(False)
        self.use_replacement.offer(None)

    def show_diff(self, pieces: list[Piece] | None) -> None:
        """Shows the first answer with the words the other column lacks highlighted, or (None)
        the rendered answers again."""
        if pieces is None:
            self.diff_view.setVisible(False)
            for view in self.views:
                view.setVisible(True)
            self.placeholder.setVisible(not self.views)
            return
        back = "#6b5300" if is_dark() else "#ffe08a"
        out = []
        for piece in pieces:
            text = html.escape(piece.text).replace("\n", "<br>")
            out.append(
                f"<span style='background-color:{back}'>{text}</span>" if piece.changed else text
            )
        self.diff_view.setHtml(f"<div style='white-space: pre-wrap'>{''.join(out)}</div>")
        self.diff_view.setVisible(True)
        self.placeholder.setVisible(False)
        for view in self.views:
            view.setVisible(False)
