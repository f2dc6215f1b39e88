"""The Chat tab's parameter panel: every Chat Completions setting, explained for non-programmers.

The panel is a view. It never talks to the network and never decides what a model accepts: its
controller passes the model's `Capabilities` (`set_capabilities`) and output limits
(`set_model_limits`), and reads the request with `request_fields()`:

    ChatRequest(model=..., messages=..., **panel.request_fields())

Settings the model rejects are greyed out with a tooltip saying why, and `request_fields()` leaves
them out. Schema and tools text are checked as the user types (`core/schema.py`); `problems()` lists
what would make the API refuse the request, so the controller can block Send.

Put the panel in a `QScrollArea` (see `wrap_in_scroll_area`): it is taller than most windows. Inside a
scroll area, the mouse wheel scrolls the panel and only changes a slider, spin box or list once that
control has been clicked (has focus), so scrolling never changes a value by accident.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from PySide6.QtCore import QEvent, QRegularExpression, QSignalBlocker, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QPalette,
    QRegularExpressionValidator,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.api.capabilities import EFFORTS, Allowed, Capabilities, allowed, capabilities
from playground.core.api.retirements import ModelChoice
from playground.core.chat.builtin_tools import (
    BuiltinTool,
    CodeInterpreterTool,
    FileSearchTool,
    ImageGenerationTool,
    McpTool,
    WebSearchTool,
)
from playground.core.chat.context import STRATEGY_LABELS, Strategy
from playground.core.chat.learned import LABELS as LEARNED_LABELS
from playground.core.chat.schema import (
    DEFAULT_SCHEMA_NAME,
    JSON_OBJECT,
    JSON_SCHEMA,
    TEXT,
    JsonError,
    SchemaCheck,
    ToolsCheck,
    check_schema_text,
    check_tools_text,
    parse_json,
    response_format_for,
)
from playground.core.chat.service import (
    ChatRequest,
    ResponsesRequest,
    takes_prompt_cache,
)
from playground.core.models import Message, ProviderKind, ProviderProfile
from playground.ui.common.model_picker import ModelCombo
from playground.ui.common.vector_store_picker import VectorStorePicker
from playground.ui.common.widgets import named, select_data, wrapped_label
from playground.ui.shell.theme import icon, is_dark

MAX_STOP: Final = 4
MAX_N: Final = 8
MAX_TOP_LOGPROBS: Final = 20
UNKNOWN_OUTPUT_LIMIT: Final = 1_000_000  # the spin box's ceiling while the model's limit is unknown
REASONING_EFFORTS: Final = EFFORTS
API_RESPONSES: Final = "responses"
API_CHAT_COMPLETIONS: Final = "chat.completions"
APIS: Final = ((API_RESPONSES, "Responses"), (API_CHAT_COMPLETIONS, "Chat Completions"))
REASONING_SUMMARIES: Final = ("auto", "concise", "detailed")
VERBOSITIES: Final = ("low", "medium", "high")
SERVICE_TIERS: Final = ("auto", "default", "flex", "priority")
RESPONSES_FIELD_NAMES: Final = (
    "reasoning_summary",
    "verbosity",
    "service_tier",
    "builtin_tools",
    "store",
    "context_strategy",
    "summary_model",
    "background",
    "prompt_cache_key",
    "prompt_cache_ttl",
    "keep_as",
)
"""The `ResponsesRequest` settings the panel shows (the rest belong to one send, not the panel)."""

_EFFORT_LABELS: Final = {"xhigh": "Extra high"}
_EFFORT_TIPS: Final = {
    "none": "No reasoning: the model answers at once. On GPT-6 models this is the effort at "
    "which temperature, top P and token probabilities are taken.",
    "minimal": "The least thinking that still reasons: fast and cheap.",
    "low": "A little thinking: quick answers to plain questions.",
    "medium": "The usual balance of care, speed and cost.",
    "high": "Careful thinking: slower, and more hidden (billed) reasoning tokens.",
    "xhigh": "More thinking than high, for hard problems; slower and dearer.",
    "max": "As much thinking as the model can do: the slowest and most expensive.",
}
TOOL_CHOICES: Final = ("auto", "none", "required")
KEEP_ON_OPENAI_NOTE: Final = (
    "Your messages are kept by OpenAI for 30 days so only the new message is sent."
)
KEEP_OFF_NOTE: Final = "The whole conversation is sent each time; OpenAI keeps nothing."
KEEP_CONVERSATION_NOTE: Final = (
    "Your messages are kept by OpenAI in a conversation until it is deleted (no 30-day limit), "
    "so only the new message is sent."
)
KEEP_DELETE_NOTE: Final = " Deleting this chat in the history can delete it on OpenAI too."
KEEP_AS_CONVERSATION: Final = "conversation"  # ResponsesRequest.keep_as (core.chat.server_state)

FIELD_NAMES: Final = (
    "temperature",
    "top_p",
    "max_output_tokens",
    "frequency_penalty",
    "presence_penalty",
    "seed",
    "stop",
    "n",
    "logprobs",
    "top_logprobs",
    "response_format",
    "tools",
    "tool_choice",
    "reasoning_effort",
)
"""The `ChatRequest` fields the panel shows (`request_fields()`)."""

_NOT_ACCEPTED: Final = "This model does not accept this setting, so it is not sent."
_NOT_IN_RESPONSES: Final = (
    "The Responses API has no such setting, so it is not sent. Switch API to Chat Completions "
    "to use it."
)
CACHE_TTLS: Final = ((None, "Default (30 minutes)"), ("12h", "12 hours"))
"""The prompt cache lifetimes offered: (value sent as `prompt_cache_options.ttl`, label)."""
_CACHE_KEY_TIP: Final = (
    "Requests with the same key share OpenAI's prompt cache: the part they start with in common "
    "(a long system prompt, the earlier turns) is read from the cache, which is cheaper and "
    "faster. Give every request of one task the same key, e.g. “support-bot”. Leave empty to "
    "let OpenAI decide."
)
_CACHE_TTL_TIP: Final = (
    "How long OpenAI keeps the cached start of your requests. 30 minutes is the default; "
    "12 hours keeps it through a working day (newer models only)."
)
_CACHE_NOT_OPENAI: Final = (
    "Prompt caching settings go only to OpenAI's own models; this model's server does not take "
    "them, so they are not sent."
)
_CACHE_TTL_CHAT: Final = (
    "Chat Completions keeps the cache for 30 minutes only, so the lifetime is not sent. Switch "
    "API to Responses for 12 hours."
)

_REASONING_ONLY: Final = (
    "Only reasoning models (such as o3, o4-mini or GPT-5) think before they answer; this model has "
    "no reasoning effort, so it is not sent."
)

_SCHEMA_EXAMPLE: Final = """{
  "type": "object",
  "properties": {
    "answer": {
      "type": "string",
      "description": "A short answer"
    },
    "score": {
      "type": "integer",
      "description": "0 to 10"
    }
  },
  "required": ["answer", "score"],
  "additionalProperties": false
}
"""

_TOOLS_EXAMPLE: Final = """[
  {
    "name": "get_weather",
    "description": "Today's weather",
    "parameters": {
      "type": "object",
      "properties": {
        "city": {
          "type": "string",
          "description": "e.g. Paris"
        }
      },
      "required": ["city"],
      "additionalProperties": false
    }
  }
]
"""


# --- small building blocks ------------------------------------------------------------------------


def _wheel(widget: QWidget, event: QWheelEvent) -> bool:
    """True if `widget` may use the wheel; otherwise the enclosing scroll area scrolls instead."""
    if widget.hasFocus():
        return True
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    if parent is None:
        event.ignore()
    else:
        # Handed over explicitly: Qt only passes ignored wheel events up for real (spontaneous)
        # ones, and this way the panel behaves the same for both.
        QApplication.sendEvent(parent.viewport(), event)
        event.accept()
    return False


class _Slider(QSlider):
    def wheelEvent(self, event: QWheelEvent) -> None:
        if _wheel(self, event):
            super().wheelEvent(event)


class _SpinBox(QSpinBox):
    def wheelEvent(self, event: QWheelEvent) -> None:
        if _wheel(self, event):
            super().wheelEvent(event)


class _ComboBox(QComboBox):
    def wheelEvent(self, event: QWheelEvent) -> None:
        if _wheel(self, event):
            super().wheelEvent(event)


class _ModelCombo(ModelCombo):
    """The model picker (retirement badges, "Show retired"), scrolled only when focused."""

    def wheelEvent(self, event: QWheelEvent) -> None:
        if _wheel(self, event):
            super().wheelEvent(event)


class _ValueSpin(QDoubleSpinBox):
    """A number box that can show a word ("default") instead of its value while it is not used."""

    def set_shown_text(self, text: str | None) -> None:
        """Shows `text` instead of the number, or the number again when None."""
        self._shown_text = text
        self.lineEdit().setText(self.textFromValue(self.value()))

    def textFromValue(self, value: float) -> str:
        # Qt calls this from the base constructor, before any attribute of ours exists.
        shown: str | None = getattr(self, "_shown_text", None)
        return shown if shown is not None else super().textFromValue(value)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if _wheel(self, event):
            super().wheelEvent(event)


def _combo(name: str, accessible: str, tip: str) -> _ComboBox:
    combo = named(_ComboBox(), name, accessible, tip)
    combo.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)
    return combo


class _JsonEdit(QPlainTextEdit):
    """A monospace editor that grows with its text, from `min_lines` up to `max_lines`."""

    def __init__(self, min_lines: int = 5, max_lines: int = 20) -> None:
        super().__init__()
        self._min_lines = min_lines
        self._max_lines = max_lines
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setTabChangesFocus(True)  # keyboard users can leave the editor; JSON needs no tabs
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.textChanged.connect(self.fit_height)
        self.fit_height()

    def fit_height(self) -> None:
        """Sets the height to the wrapped line count, within the limits."""
        lines = max(self.document().size().height(), 1.0)  # plain-text layout counts lines
        lines = min(max(lines, self._min_lines), self._max_lines)
        margins = self.contentsMargins()
        doc_margin = self.document().documentMargin()
        height = round(
            lines * self.fontMetrics().lineSpacing()
            + 2 * doc_margin
            + margins.top()
            + margins.bottom()
            + 2
        )
        if height != self.height():
            self.setFixedHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_height()  # a new width wraps the text differently


def _mono_editor(name: str, accessible: str, tip: str, placeholder: str) -> _JsonEdit:
    edit = _JsonEdit()
    named(edit, name, accessible, tip)
    edit.setPlaceholderText(placeholder)
    return edit


def _status_label(name: str, accessible: str) -> QLabel:
    label = named(QLabel(""), name, accessible)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def encode_stop(text: str) -> str:
    r"""How a stop sequence is typed in a one-line box: a line break as \n, a tab as \t."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def decode_stop(text: str) -> str:
    r"""The stop sequence a one-line box means: \n is a line break, \t a tab, \\ a backslash."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "nt\\":
            out.append({"n": "\n", "t": "\t", "\\": "\\"}[text[i + 1]])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


class SliderRow(QWidget):
    """One sampling setting: a "send my own value" check box, an exact number box and a slider.

    Unticked means "not sent, the model's default": the slider and number box are greyed out and
    the box reads "default". The slider and box follow each other without echo (QSignalBlocker).

    Signals:
        changed: the value or the "send my own value" state changed.
    """

    changed = Signal()

    def __init__(
        self,
        key: str,
        label: str,
        tip: str,
        *,
        minimum: float,
        maximum: float,
        api_default: float,
        step: float = 0.05,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"{key}Row")
        self.key = key
        self.tip = tip
        self.api_default = api_default
        self._scale = 100
        self._supported = True
        self._why = ""
        self._custom = api_default  # the user's value, kept while "default" is chosen

        self.check = QCheckBox(label)
        named(self.check, f"{key}Check", f"Set {label.lower()}", "")
        self.spin = _ValueSpin()
        named(self.spin, f"{key}Spin", label, "")
        self.spin.setRange(minimum, maximum)
        self.spin.setDecimals(2)
        self.spin.setSingleStep(step)
        self.spin.setValue(api_default)
        self.spin.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.spin.setMinimumWidth(self.spin.fontMetrics().horizontalAdvance("default") + 40)
        self.slider = _Slider(Qt.Orientation.Horizontal)
        named(self.slider, f"{key}Slider", f"{label} slider", "")
        self.slider.setRange(round(minimum * self._scale), round(maximum * self._scale))
        self.slider.setSingleStep(round(step * self._scale))
        self.slider.setPageStep(round(step * self._scale * 2))
        self.slider.setValue(round(api_default * self._scale))
        self.slider.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        grid.addWidget(self.check, 0, 0)
        grid.addWidget(self.spin, 0, 1)
        grid.addWidget(self.slider, 1, 0, 1, 2)
        grid.setColumnStretch(0, 1)

        self.check.toggled.connect(self._on_check_toggled)
        self._grey_disabled_slider()
        self.slider.valueChanged.connect(self._on_slider_changed)
        self.spin.valueChanged.connect(self._on_spin_changed)
        self._refresh()

    # --- reading and writing ---------------------------------------------------------------------

    def value(self) -> float | None:
        """The value to send, or None for "the model's default" (unticked or not accepted)."""
        if not (self._supported and self.check.isChecked()):
            return None
        return round(self.spin.value(), 2)

    def set_value(self, value: float | None) -> None:
        """Shows `value` (ticked), or the model's default (unticked) for None. Emits nothing."""
        with QSignalBlocker(self.check):
            self.check.setChecked(value is not None)
        if value is not None:
            self._custom = value
        self._show(value if value is not None else self.api_default)
        self._refresh()

    def set_supported(self, supported: bool, why: str = "") -> None:
        """Greys the whole row out (keeping the user's choice) when the model rejects it."""
        self._supported = supported
        self._why = why or _NOT_ACCEPTED
        self._refresh()

    @property
    def supported(self) -> bool:
        return self._supported

    # --- internals -------------------------------------------------------------------------------

    def _show(self, value: float) -> None:
        with QSignalBlocker(self.spin), QSignalBlocker(self.slider):
            self.spin.setValue(value)
            self.slider.setValue(round(value * self._scale))

    def _refresh(self) -> None:
        checked = self.check.isChecked()
        self.check.setEnabled(self._supported)
        self.spin.setEnabled(self._supported and checked)
        self.slider.setEnabled(self._supported and checked)
        if not self._supported:
            self.spin.set_shown_text("not sent" if checked else "default")
        else:
            self.spin.set_shown_text(None if checked else "default")
        default = f"{self.api_default:g}"
        if self._supported:
            self.check.setToolTip(
                f"{self.tip}\n\nTick to send your own value. Unticked: nothing is sent and the "
                f"model uses its default ({default})."
            )
            self.spin.setToolTip(self.tip)
            self.slider.setToolTip(self.tip)
        else:
            for w in (self.check, self.spin, self.slider):
                w.setToolTip(self._why)

    def _grey_disabled_slider(self) -> None:
        # The light palette keeps its blue highlight for disabled widgets, so an unticked slider
        # would still look "on". Paint its filled part grey, like disabled text.
        pal = self.slider.palette()
        grey = self.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
        if pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight) != grey:
            pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, grey)
            self.slider.setPalette(pal)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._grey_disabled_slider()

    def _on_check_toggled(self, checked: bool) -> None:
        if checked:
            self._show(self._custom)
        else:
            self._custom = self.spin.value()
            self._show(self.api_default)  # the slider rests where the model's default is
        self._refresh()
        self.changed.emit()

    def _on_slider_changed(self, position: int) -> None:
        with QSignalBlocker(self.spin):
            self.spin.setValue(position / self._scale)
        self._custom = self.spin.value()
        self.changed.emit()

    def _on_spin_changed(self, value: float) -> None:
        with QSignalBlocker(self.slider):
            self.slider.setValue(round(value * self._scale))
        self._custom = value
        self.changed.emit()


# --- the panel ----------------------------------------------------------------------------------


class ChatParamsPanel(QWidget):
    """The parameter panel beside the chat: model, length, sampling, output format, tools, extras.

    Signals:
        changed: any setting changed (also after `set_fields`, `set_capabilities` and
            `set_model_limits` when they change what `request_fields()` returns).
        model_changed: the model picker changed. arg: the model id (stripped).
        refresh_models_requested: the user asked for a fresh model list.
        learned_reset_requested: "Forget" on what the server refused for this model.
        vector_stores_wanted: file search needs the list of vector stores (answer with
            `set_vector_stores` or `set_vector_stores_problem`).
        mcp_headers_wanted: which headers are kept for this MCP server label? (answer with
            `set_mcp_headers_state`).
        mcp_headers_save_requested: keep a header for a server. args: label, name, value.
        mcp_headers_forget_requested: forget a server's kept headers. arg: label.
        mcp_always_allow_changed: the user ticked or unticked "Always allow" for a server (kept
            per server label, not per conversation). args: label, on.
    """

    changed = Signal()
    model_changed = Signal(str)
    refresh_models_requested = Signal()
    learned_reset_requested = Signal()
    vector_stores_wanted = Signal()
    mcp_headers_wanted = Signal(str)
    mcp_headers_save_requested = Signal(str, str, str)
    mcp_headers_forget_requested = Signal(str)
    mcp_always_allow_changed = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None, *, conversation: bool = False) -> None:
        """`conversation`: the panel of a conversation that goes on (Chat): it offers "Keep on
        OpenAI" and what to do when the conversation outgrows the model's window."""
        super().__init__(parent)
        self.setObjectName("chatParamsPanel")
        self._conversation = conversation
        self._caps = Capabilities()
        self._loading = False
        self._schema_check = SchemaCheck(empty=True)
        self._tools_check = ToolsCheck()
        self._schema_description: str | None = None  # kept from set_fields; no field edits it
        self._max_output: int | None = None
        self._context_window: int | None = None
        self._muted: list[QLabel] = []
        self._model: str | None = None  # the model `_caps` is of (None: only the caps are known)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 4, 0)
        outer.setSpacing(8)
        outer.addWidget(self._build_model_group())
        outer.addWidget(self._build_learned_group())
        outer.addWidget(self._build_sampling_group())
        outer.addWidget(self._build_output_group())
        outer.addWidget(self._build_responses_group())
        outer.addWidget(self._build_tools_group())
        outer.addWidget(self._build_builtin_group())
        outer.addWidget(self._build_advanced_group())
        outer.addWidget(self._build_context_group())
        outer.addStretch(1)

        self._on_format_changed()
        self._revalidate_tools()
        self._apply_context()
        self._apply_capabilities()
        self._update_limits_label()
        self._recolor()

    # --- building ------------------------------------------------------------------------------

    @staticmethod
    def _form(box: QGroupBox) -> QFormLayout:
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.setContentsMargins(8, 8, 8, 8)
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(6)
        return form

    def _muted_label(self, name: str, text: str = "") -> QLabel:
        label = wrapped_label(name, text)
        self._muted.append(label)
        return label

    def _build_model_group(self) -> QGroupBox:
        box = QGroupBox("Model && length")
        box.setObjectName("modelGroup")
        form = self._form(box)

        self.model_combo = named(
            _ModelCombo(),
            "modelCombo",
            "Model",
            "Which model answers. The list comes from your provider; you can also type a name.",
        )
        self.model_combo.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.model_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.model_combo.setMinimumContentsLength(8)
        self.model_combo.setEditable(True)
        self.model_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.refresh_button = QToolButton()
        named(
            self.refresh_button,
            "refreshModelsButton",
            "Refresh model list",
            "Fetch the model list from the provider again",
        )
        self.refresh_button.setIcon(icon("refresh"))
        model_row = QHBoxLayout()
        model_row.setSpacing(4)
        model_row.addWidget(self.model_combo, 1)
        model_row.addWidget(self.refresh_button)
        form.addRow(self._label("Model", self.model_combo), model_row)
        form.addRow(self.model_combo.retired_toggle)  # both hidden while they have nothing to say
        form.addRow(self.model_combo.note)

        self.max_tokens_spin = _SpinBox()
        named(
            self.max_tokens_spin,
            "maxTokensSpin",
            "Maximum output tokens",
            "The longest answer allowed, in tokens (a token is about ¾ of a word). "
            "0 = the model's own limit. Reasoning models count their hidden thinking here too, "
            "so leave room for it.",
        )
        self.max_tokens_spin.setRange(0, UNKNOWN_OUTPUT_LIMIT)
        self.max_tokens_spin.setSingleStep(256)
        self.max_tokens_spin.setSpecialValueText("model default")
        self.max_tokens_spin.setGroupSeparatorShown(True)
        self.max_tokens_spin.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.max_tokens_spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow(self._label("Max output", self.max_tokens_spin), self.max_tokens_spin)
        self.limits_label = self._muted_label("modelLimits")
        form.addRow(self.limits_label)

        self.reasoning_combo = _combo(
            "reasoningEffortCombo",
            "Reasoning effort",
            "How long a reasoning model thinks before it answers. Higher = more careful answers, "
            "but slower and more (hidden, billed) output tokens.",
        )
        self._reasoning_tip = self.reasoning_combo.toolTip()
        self._fill_efforts(EFFORTS, None)
        self.reasoning_label = self._label("Reasoning", self.reasoning_combo)
        form.addRow(self.reasoning_label, self.reasoning_combo)

        self.model_combo.currentTextChanged.connect(self._on_model_text_changed)
        self.refresh_button.clicked.connect(self.refresh_models_requested)
        self.max_tokens_spin.valueChanged.connect(self._emit_changed)
        self.reasoning_combo.currentIndexChanged.connect(self._on_effort_changed)

        self.api_combo = _combo(
            "apiCombo",
            "API",
            "Which OpenAI API sends the request. Responses is OpenAI's current API: built-in "
            "tools, reasoning summaries, verbosity and service tiers live there. Chat Completions "
            "is the older one that most compatible servers speak.",
        )
        for value, label in APIS:
            self.api_combo.addItem(label, value)
        form.addRow(self._label("API", self.api_combo), self.api_combo)
        # Chat Completions until the controller says which the provider speaks (`set_api`).
        self.api_combo.setCurrentIndex(self.api_combo.findData(API_CHAT_COMPLETIONS))
        self.api_combo.currentIndexChanged.connect(self._on_api_changed)
        return box

    def _build_sampling_group(self) -> QGroupBox:
        box = QGroupBox("Sampling")
        box.setObjectName("samplingGroup")
        layout = QVBoxLayout(box)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)
        self.sampling_note = self._muted_label("samplingNote")
        self.sampling_note.setVisible(False)
        layout.addWidget(self.sampling_note)

        self.temperature_row = SliderRow(
            "temperature",
            "Temperature",
            "How adventurous the wording is. Higher = more varied, creative answers; lower = more "
            "focused and repeatable. 0 to 2; the model's default is 1. Change this or Top P, not "
            "both.",
            minimum=0.0,
            maximum=2.0,
            api_default=1.0,
        )
        self.top_p_row = SliderRow(
            "topP",
            "Top P",
            "Another way to control variety: the model only picks among the most likely words "
            "that together make up this share. Lower = safer, more predictable wording. 0 to 1; "
            "default 1. Change this or Temperature, not both.",
            minimum=0.0,
            maximum=1.0,
            api_default=1.0,
            step=0.01,
        )
        self.frequency_row = SliderRow(
            "frequencyPenalty",
            "Frequency penalty",
            "Discourages repeating the same words. Higher = less repetition; below 0 allows more. "
            "−2 to 2; default 0.",
            minimum=-2.0,
            maximum=2.0,
            api_default=0.0,
            step=0.1,
        )
        self.presence_row = SliderRow(
            "presencePenalty",
            "Presence penalty",
            "Nudges the model towards new topics. Higher = more likely to bring up something new; "
            "below 0 keeps it on topic. −2 to 2; default 0.",
            minimum=-2.0,
            maximum=2.0,
            api_default=0.0,
            step=0.1,
        )
        self.sampling_rows = (
            self.temperature_row,
            self.top_p_row,
            self.frequency_row,
            self.presence_row,
        )
        for row in self.sampling_rows:
            layout.addWidget(row)
            row.changed.connect(self._emit_changed)
        return box

    def _build_output_group(self) -> QGroupBox:
        box = QGroupBox("Output format")
        box.setObjectName("outputGroup")
        form = self._form(box)

        self.format_combo = _combo(
            "responseFormatCombo",
            "Response format",
            "Text: a normal answer. JSON object: the answer is always valid JSON. JSON schema: "
            "the answer follows the exact structure you describe below (Structured Outputs).",
        )
        self.format_combo.addItem("Text", TEXT)
        self.format_combo.addItem("JSON object", JSON_OBJECT)
        self.format_combo.addItem("JSON schema", JSON_SCHEMA)
        form.addRow(self._label("Format", self.format_combo), self.format_combo)

        self.json_object_hint = self._muted_label(
            "jsonObjectHint",
            "The answer will be valid JSON. Mention the word “JSON” in your messages, or the API "
            "refuses the request.",
        )
        form.addRow(self.json_object_hint)

        self.schema_box = QWidget()
        self.schema_box.setObjectName("schemaBox")
        schema_layout = QVBoxLayout(self.schema_box)
        schema_layout.setContentsMargins(0, 0, 0, 0)
        schema_layout.setSpacing(4)

        self.schema_name_edit = QLineEdit()
        named(
            self.schema_name_edit,
            "schemaNameEdit",
            "Schema name",
            "A short name for the structure, e.g. “recipe”. Letters, digits, _ and - only.",
        )
        self.schema_name_edit.setPlaceholderText(DEFAULT_SCHEMA_NAME)
        self.schema_name_edit.setMaxLength(64)
        self.schema_name_edit.setValidator(
            QRegularExpressionValidator(QRegularExpression(r"[A-Za-z0-9_-]*"), self)
        )
        name_row = QHBoxLayout()
        name_row.setSpacing(6)
        name_caption = QLabel("Name")
        name_caption.setBuddy(self.schema_name_edit)
        name_row.addWidget(name_caption)
        name_row.addWidget(self.schema_name_edit, 1)
        schema_layout.addLayout(name_row)

        self.strict_check = QCheckBox("Strict: always follow the schema")
        named(
            self.strict_check,
            "schemaStrictCheck",
            "Strict schema",
            "The API guarantees that the answer matches the schema exactly. It then needs every "
            "property listed in “required” and “additionalProperties”: false on every object.",
        )
        self.strict_check.setChecked(True)
        schema_layout.addWidget(self.strict_check)

        self.schema_edit = _mono_editor(
            "schemaEdit",
            "JSON schema",
            "Describe the structure of the answer as a JSON Schema. It is checked as you type.",
            "Paste a JSON Schema here, or press Example.",
        )
        schema_layout.addWidget(self.schema_edit)
        self.schema_status = _status_label("schemaStatus", "Schema check")
        schema_layout.addWidget(self.schema_status)
        self.schema_example_button, self.schema_tidy_button = self._editor_buttons(
            schema_layout, "schema", self.schema_edit, _SCHEMA_EXAMPLE
        )
        form.addRow(self.schema_box)

        self.format_combo.currentIndexChanged.connect(self._on_format_changed)
        self.schema_name_edit.textChanged.connect(self._emit_changed)
        self.strict_check.toggled.connect(self._on_schema_edited)
        self.schema_edit.textChanged.connect(self._on_schema_edited)
        return box

    def _build_tools_group(self) -> QGroupBox:
        box = QGroupBox("Tools")
        box.setObjectName("toolsGroup")
        form = self._form(box)
        self.tools_edit = _mono_editor(
            "toolsEdit",
            "Tools (JSON)",
            "Functions the model may ask to call, as a JSON list. Each needs a “name” and may have "
            "a “description” and “parameters” (a JSON Schema object). Checked as you type.",
            "No tools. Paste function definitions here, or press Example.",
        )
        form.addRow(self.tools_edit)
        self.tools_status = _status_label("toolsStatus", "Tools check")
        form.addRow(self.tools_status)
        buttons = QVBoxLayout()
        self.tools_example_button, self.tools_tidy_button = self._editor_buttons(
            buttons, "tools", self.tools_edit, _TOOLS_EXAMPLE
        )
        form.addRow(buttons)

        self.tool_choice_combo = _combo(
            "toolChoiceCombo",
            "Tool choice",
            "Whether the model may call a tool: it decides (auto), never (none), must call one "
            "(required), or must call the one you pick.",
        )
        self._tool_choice_tip = self.tool_choice_combo.toolTip()
        self._fill_tool_choices((), "auto")
        form.addRow(self._label("Tool choice", self.tool_choice_combo), self.tool_choice_combo)

        self.tools_edit.textChanged.connect(self._on_tools_edited)
        self.tool_choice_combo.currentIndexChanged.connect(self._on_tool_choice_changed)
        return box

    def _build_advanced_group(self) -> QGroupBox:
        box = QGroupBox("Advanced")
        box.setObjectName("advancedGroup")
        form = self._form(box)

        self.seed_edit = QLineEdit()
        named(
            self.seed_edit,
            "seedEdit",
            "Seed",
            "Same seed + same settings = (mostly) the same answer, handy for comparing prompts. "
            "Leave empty for a fresh answer each time.",
        )
        self._seed_tip = self.seed_edit.toolTip()
        self.seed_edit.setPlaceholderText("none")
        self.seed_edit.setValidator(
            QRegularExpressionValidator(QRegularExpression(r"-?\d{0,18}"), self)
        )
        form.addRow(self._label("Seed", self.seed_edit), self.seed_edit)

        self.n_spin = _SpinBox()
        named(
            self.n_spin,
            "nSpin",
            "Number of answers",
            "How many separate answers to generate for one message. Each one costs output tokens.",
        )
        self.n_spin.setRange(1, MAX_N)
        self.n_spin.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.n_spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow(self._label("Answers", self.n_spin), self.n_spin)

        stop_caption = QLabel("Stop sequences")
        self.stop_caption = stop_caption
        form.addRow(stop_caption)
        self._stop_tip = (
            "The answer ends just before any of these texts would appear (up to 4), "
            "e.g. “END”. Type \\n for a line break."
        )
        stop_caption.setToolTip(self._stop_tip)
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(4)
        self.stop_edits: list[QLineEdit] = []
        for i in range(MAX_STOP):
            edit = QLineEdit()
            named(edit, f"stopEdit{i + 1}", f"Stop sequence {i + 1}", self._stop_tip)
            edit.setPlaceholderText(f"stop {i + 1}")
            edit.setClearButtonEnabled(True)
            grid.addWidget(edit, i // 2, i % 2)
            edit.textChanged.connect(self._emit_changed)
            self.stop_edits.append(edit)
        stop_caption.setBuddy(self.stop_edits[0])
        form.addRow(grid)

        self.logprobs_check = QCheckBox("Token probabilities")
        self._logprobs_tip = (
            "Also return how likely each word (token) was, to see where the model was unsure."
        )
        named(self.logprobs_check, "logprobsCheck", "Token probabilities", self._logprobs_tip)
        form.addRow(self.logprobs_check)
        self.top_logprobs_spin = _SpinBox()
        self._top_logprobs_tip = (
            "For each token, also list this many likely alternatives (0–20). 0 = none."
        )
        named(
            self.top_logprobs_spin,
            "topLogprobsSpin",
            "Alternatives per token",
            self._top_logprobs_tip,
        )
        self.top_logprobs_spin.setRange(0, MAX_TOP_LOGPROBS)
        self.top_logprobs_spin.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.top_logprobs_spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.top_logprobs_label = self._label("Alternatives", self.top_logprobs_spin)
        form.addRow(self.top_logprobs_label, self.top_logprobs_spin)

        self.cache_caption = QLabel("Prompt caching")
        self.cache_caption.setToolTip(_CACHE_KEY_TIP)
        form.addRow(self.cache_caption)
        self.cache_key_edit = QLineEdit()
        named(self.cache_key_edit, "promptCacheKeyEdit", "Prompt cache key", _CACHE_KEY_TIP)
        self.cache_key_edit.setPlaceholderText("same key = shared cache")
        self.cache_key_edit.setClearButtonEnabled(True)
        self.cache_key_edit.setMaxLength(1024)
        self.cache_key_label = self._label("Cache key", self.cache_key_edit)
        form.addRow(self.cache_key_label, self.cache_key_edit)
        self.cache_ttl_combo = _combo("promptCacheTtlCombo", "Cache lifetime", _CACHE_TTL_TIP)
        for value, label in CACHE_TTLS:
            self.cache_ttl_combo.addItem(label, value)
        self.cache_ttl_label = self._label("Keep cache", self.cache_ttl_combo)
        form.addRow(self.cache_ttl_label, self.cache_ttl_combo)
        self.cache_note = self._muted_label("promptCacheNote")
        self.cache_note.setVisible(False)
        form.addRow(self.cache_note)
        self.cache_key_edit.textChanged.connect(self._emit_changed)
        self.cache_ttl_combo.currentIndexChanged.connect(self._on_cache_ttl_changed)

        self.seed_edit.textChanged.connect(self._emit_changed)
        self.n_spin.valueChanged.connect(self._emit_changed)
        self.logprobs_check.toggled.connect(self._on_logprobs_toggled)
        self.top_logprobs_spin.valueChanged.connect(self._emit_changed)
        return box

    def _build_responses_group(self) -> QGroupBox:
        box = QGroupBox("Responses API")
        box.setObjectName("responsesGroup")
        self.responses_group = box
        form = self._form(box)
        self.summary_combo = _combo(
            "reasoningSummaryCombo",
            "Reasoning summary",
            "Ask a reasoning model for a summary of its thinking, shown in a collapsible "
            "“Thinking” section above the answer. Auto picks the most detailed one available.",
        )
        self.verbosity_combo = _combo(
            "verbosityCombo",
            "Verbosity",
            "How long and detailed the answer is: low = terse, high = thorough.",
        )
        self.tier_combo = _combo(
            "serviceTierCombo",
            "Service tier",
            "How OpenAI serves the request: auto (the project's setting), default (standard "
            "price and speed), flex (cheaper, slower, may wait for capacity) or priority (faster, "
            "dearer). The tier that served it is shown after the reply.",
        )
        for combo, values in (
            (self.summary_combo, REASONING_SUMMARIES),
            (self.verbosity_combo, VERBOSITIES),
            (self.tier_combo, SERVICE_TIERS),
        ):
            combo.addItem("Not sent", None)
            for value in values:
                combo.addItem(value.capitalize(), value)
            combo.currentIndexChanged.connect(self._emit_changed)
        self._responses_tips = {
            "reasoning_summary": self.summary_combo.toolTip(),
            "verbosity": self.verbosity_combo.toolTip(),
            "service_tier": self.tier_combo.toolTip(),
        }
        self.summary_label = self._label("Summary", self.summary_combo)
        self.verbosity_label = self._label("Verbosity", self.verbosity_combo)
        self.tier_label = self._label("Service tier", self.tier_combo)
        form.addRow(self.summary_label, self.summary_combo)
        form.addRow(self.verbosity_label, self.verbosity_combo)
        form.addRow(self.tier_label, self.tier_combo)

        self.keep_check = QCheckBox("Keep on OpenAI")
        named(
            self.keep_check,
            "keepOnOpenAICheck",
            "Keep on OpenAI",
            "On: OpenAI keeps each answer and your messages for 30 days, and the next request "
            "only names the last answer, so just the new message is sent (faster and smaller "
            "for long conversations). Off: the whole conversation is sent every time and OpenAI "
            "keeps nothing. Leave it off for anything private. Below it: how OpenAI keeps it "
            "(a chain of answers for 30 days, or an OpenAI conversation until it is deleted).",
        )
        self.keep_note = self._muted_label("keepOnOpenAINote", KEEP_OFF_NOTE)
        self.keep_how_combo = _combo(
            "keepHowCombo",
            "How to keep it on OpenAI",
            "How OpenAI keeps this conversation while “Keep on OpenAI” is on.",
        )
        ways: tuple[tuple[str, str | None, str], ...] = (
            (
                "as a chain of answers",
                None,
                "Each answer is stored on OpenAI for 30 days and the next request names the "
                "last one. Works wherever the Responses API does.",
            ),
            (
                "as an OpenAI conversation",
                KEEP_AS_CONVERSATION,
                "The conversation is kept on OpenAI as one conversation, until it is deleted "
                "(there is no 30-day limit). Deleting this chat in the history offers to delete "
                "it on OpenAI too.",
            ),
        )
        for label, way, tip in ways:
            self.keep_how_combo.addItem(label, way)
            self.keep_how_combo.setItemData(
                self.keep_how_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole
            )
        self.keep_how_combo.setEnabled(False)
        self.keep_how_combo.currentIndexChanged.connect(self._on_keep_how_changed)
        self._keep_how_reason = ""  # why the conversation way is unavailable ("" when it is)
        form.addRow(self.keep_check)
        form.addRow(self.keep_how_combo)
        form.addRow(self.keep_note)
        self.keep_check.setVisible(self._conversation)
        self.keep_how_combo.setVisible(self._conversation)
        self.keep_note.setVisible(self._conversation)
        self.keep_check.toggled.connect(self._on_keep_toggled)
        self.background_check = QCheckBox("Keep running if I close the window")
        named(
            self.background_check,
            "backgroundCheck",
            "Keep running if I close the window",
            "For long requests: OpenAI works on the answer by itself (it keeps the request and "
            "the answer for 30 days); the app asks for it every few seconds, and picks it up at "
            "the next start if you close the window meanwhile. Stop cancels it. The answer "
            "appears when it is complete, not word by word.",
        )
        form.addRow(self.background_check)
        self.background_check.setVisible(self._conversation)
        self.background_check.toggled.connect(self._emit_changed)
        return box

    def _build_context_group(self) -> QGroupBox:
        box = QGroupBox("Long conversations")
        box.setObjectName("contextGroup")
        self.context_group = box
        form = self._form(box)
        self.context_combo = _combo(
            "contextStrategyCombo",
            "When the conversation is too long",
            "What happens when this conversation no longer fits in what the model can read: "
            "ask before sending; drop the oldest turns (the system prompt and the newest turn "
            "stay); summarise the oldest turns into one note with a cheap model; or (Responses "
            "only) let OpenAI trim the oldest part, or let OpenAI compact the oldest turns "
            "into a short form only it can read. Turns left out are greyed in the "
            "conversation and marked “not sent”.",
        )
        for strategy, label in STRATEGY_LABELS.items():
            self.context_combo.addItem(label, strategy.value)
        self.context_label = self._label("Too long?", self.context_combo)
        form.addRow(self.context_label, self.context_combo)
        self.summary_model_combo = _SummaryModelCombo(self)
        named(
            self.summary_model_combo,
            "summaryModelCombo",
            "Model that summarises",
            "The model that writes the summary of the oldest turns. A small, cheap model is "
            "usually enough; its cost is counted with this conversation's.",
        )
        edit = self.summary_model_combo.lineEdit()
        if edit is not None:
            edit.setPlaceholderText("the chat's own model")
        self.summary_model_label = self._label("Summarise with", self.summary_model_combo)
        form.addRow(self.summary_model_label, self.summary_model_combo)
        self.context_note = self._muted_label("contextNote")
        form.addRow(self.context_note)
        box.setVisible(self._conversation)
        self.context_combo.currentIndexChanged.connect(self._on_context_changed)
        self.summary_model_combo.currentTextChanged.connect(self._emit_changed)
        return box

    def _build_learned_group(self) -> QGroupBox:
        """What the server refused for this model (`set_learned`), with a way to forget it."""
        box = QGroupBox("Learned from the server")
        box.setObjectName("learnedGroup")
        self.learned_group = box
        self.learned_label = self._muted_label("learnedNote")
        self.learned_reset = QPushButton("Forget")
        named(
            self.learned_reset,
            "learnedResetButton",
            "Forget what was learned",
            "Send these settings to this model again (if the server has started taking them).",
        )
        layout = QVBoxLayout(box)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.learned_label)
        layout.addWidget(self.learned_reset, 0, Qt.AlignmentFlag.AlignRight)
        box.setVisible(False)
        self.learned_reset.clicked.connect(self.learned_reset_requested)
        return box

    def set_learned(self, model: str, settings: list[str]) -> None:
        """Shows the settings the server refused for `model` (learned from its 400s: they are
        not sent), or nothing when there are none."""
        self.learned_group.setVisible(bool(settings))
        if settings:
            names = ", ".join(LEARNED_LABELS.get(s, s) for s in settings)
            self.learned_label.setText(f"{model} does not take {names}, so it is not sent.")

    def _on_context_changed(self) -> None:
        self._apply_context()
        self._emit_changed()

    def _apply_context(self) -> None:
        """Shows the summary model only for "summarise", and the server's truncation only on
        Responses (a conversation on Chat Completions that had it falls back to asking)."""
        responses = self.api() == API_RESPONSES
        model = self.context_combo.model()
        for only in (Strategy.SERVER, Strategy.COMPACT):  # Responses only
            server = self.context_combo.findData(only.value)
            item = model.item(server) if hasattr(model, "item") else None
            if item is not None:
                item.setEnabled(responses)
        if not responses and self.context_combo.currentData() in (
            Strategy.SERVER.value,
            Strategy.COMPACT.value,
        ):
            with QSignalBlocker(self.context_combo):
                self.context_combo.setCurrentIndex(0)
        strategy = Strategy(self.context_combo.currentData() or Strategy.ASK.value)
        summarise = strategy is Strategy.SUMMARISE
        self.summary_model_combo.setVisible(summarise)
        self.summary_model_label.setVisible(summarise)
        self.context_note.setText(_CONTEXT_NOTES[strategy])

    def _context_fields(self) -> dict[str, Any]:
        if not self._conversation:
            return {"context_strategy": None, "summary_model": None}
        strategy = self.context_combo.currentData()
        model = self.summary_model_combo.currentText().strip()
        summarise = strategy == Strategy.SUMMARISE.value
        return {
            "context_strategy": None if strategy == Strategy.ASK.value else strategy,
            "summary_model": model if summarise and model else None,
        }

    def _build_builtin_group(self) -> QGroupBox:
        box = QGroupBox("Built-in tools")
        box.setObjectName("builtinToolsGroup")
        self.builtin_group = box
        form = self._form(box)
        self.builtin_note = self._muted_label("builtinToolsNote")
        self.builtin_note.setVisible(False)
        form.addRow(self.builtin_note)

        def check(key: str, label: str, tip: str) -> QCheckBox:
            box_ = QCheckBox(label)
            named(box_, f"{key}Check", label, tip)
            box_.toggled.connect(self._on_builtin_toggled)
            form.addRow(box_)
            return box_

        def line(key: str, label: str, tip: str, placeholder: str) -> QLineEdit:
            edit = QLineEdit()
            named(edit, f"{key}Edit", label, tip)
            edit.setPlaceholderText(placeholder)
            edit.textChanged.connect(self._emit_changed)
            form.addRow(self._label(label, edit), edit)
            return edit

        self.web_search_check = check(
            "webSearch",
            "Web search",
            "The model may search the web; its sources are cited as links in the answer.",
        )
        self.web_context_combo = _combo(
            "webContextCombo", "Search context", "How much of the pages found the model reads."
        )
        self.web_context_combo.addItem("Default", None)
        for value in ("low", "medium", "high"):
            self.web_context_combo.addItem(value.capitalize(), value)
        self.web_context_combo.currentIndexChanged.connect(self._emit_changed)
        form.addRow(self._label("Context", self.web_context_combo), self.web_context_combo)
        self.file_search_check = check(
            "fileSearch",
            "File search",
            "The model may search your vector stores (files uploaded to OpenAI).",
        )
        self.vector_stores = VectorStorePicker()
        self.vector_stores.changed.connect(self._emit_changed)
        self.vector_stores.wanted.connect(self.vector_stores_wanted)
        self.file_search_check.toggled.connect(self._on_file_search_toggled)
        form.addRow(self._label("Vector stores", self.vector_stores.list), self.vector_stores)
        self.code_check = check(
            "codeInterpreter",
            "Code interpreter",
            "The model may write and run Python in a sandbox; the code and its output are shown.",
        )
        self.image_check = check(
            "imageGeneration",
            "Image generation",
            "The model may draw pictures; they appear in the answer.",
        )
        self.mcp_check = check(
            "mcp",
            "Remote MCP server",
            "The model may call the tools of a remote MCP server. Each call asks for your "
            "approval unless “Always allow” is ticked.",
        )
        self.mcp_url_edit = line(
            "mcpUrl", "Server URL", "The MCP server's address.", "https://…/mcp"
        )
        self.mcp_label_edit = line(
            "mcpLabel", "Label", "A short name for the server (letters, digits, _ and -).", "docs"
        )
        self.mcp_tools_edit = line(
            "mcpTools",
            "Allowed tools",
            "The server's tools the model may call, separated by commas (empty: all).",
            "all tools",
        )
        self.mcp_always_check = QCheckBox("Always allow this server's calls")
        named(
            self.mcp_always_check,
            "mcpAlwaysCheck",
            "Always allow",
            "Run the server's tools without asking each time.",
        )
        self._mcp_always: set[str] = set()  # server labels whose calls run without asking
        self.mcp_always_check.toggled.connect(self._on_mcp_always_toggled)
        self.mcp_always_check.toggled.connect(self._emit_changed)
        self.mcp_label_edit.textChanged.connect(lambda _t: self._show_mcp_always())
        self._show_mcp_always()
        form.addRow(self.mcp_always_check)
        self.mcp_header_name_edit = line(
            "mcpHeaderName",
            "Header",
            "The header the server wants a key or token in (most use Authorization).",
            "Authorization",
        )
        self.mcp_header_value_edit = line(
            "mcpHeaderValue", "Value", "The key or token (hidden as you type).", "Bearer …"
        )
        self.mcp_header_value_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.mcp_header_save = named(
            QPushButton("Keep in keyring"),
            "mcpHeaderSave",
            "Keep in keyring",
            "Keep this header in the system keyring for this server's label; it is sent with "
            "each request to the server, never written to settings, history or exports.",
        )
        self.mcp_header_forget = named(
            QPushButton("Forget"), "mcpHeaderForget", "Forget", "Remove the kept header."
        )
        self.mcp_header_save.clicked.connect(self._save_mcp_header)
        self.mcp_header_forget.clicked.connect(
            lambda: self.mcp_headers_forget_requested.emit(self.mcp_label_edit.text().strip())
        )
        self.mcp_label_edit.editingFinished.connect(self._want_mcp_headers)
        header_buttons = QHBoxLayout()
        header_buttons.addWidget(self.mcp_header_save)
        header_buttons.addWidget(self.mcp_header_forget)
        header_buttons.addStretch(1)
        form.addRow(header_buttons)
        self.mcp_headers_note = self._muted_label("mcpHeadersNote", MCP_HEADERS_NOTE)
        form.addRow(self.mcp_headers_note)
        self.mcp_header_forget.setVisible(False)
        self.builtin_checks = {
            "web_search": self.web_search_check,
            "file_search": self.file_search_check,
            "code_interpreter": self.code_check,
            "image_generation": self.image_check,
            "mcp": self.mcp_check,
        }
        self._builtin_tips = {k: c.toolTip() for k, c in self.builtin_checks.items()}
        self._builtin_inputs: dict[str, tuple[QWidget, ...]] = {
            "web_search": (self.web_context_combo,),
            "file_search": (self.vector_stores,),
            "mcp": (
                self.mcp_url_edit,
                self.mcp_label_edit,
                self.mcp_tools_edit,
                self.mcp_always_check,
                self.mcp_header_name_edit,
                self.mcp_header_value_edit,
                self.mcp_header_save,
                self.mcp_header_forget,
            ),
        }
        return box

    @staticmethod
    def _label(text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        label.setToolTip(buddy.toolTip())
        return label

    def _editor_buttons(
        self, layout: QVBoxLayout, key: str, edit: QPlainTextEdit, example: str
    ) -> tuple[QPushButton, QPushButton]:
        example_button = QPushButton("Example")
        named(
            example_button,
            f"{key}ExampleButton",
            f"Insert {key} example",
            "Replace the text with a small working example (Ctrl+Z brings yours back).",
        )
        tidy_button = QPushButton("Tidy")
        named(
            tidy_button,
            f"{key}TidyButton",
            f"Tidy {key}",
            "Re-indent the JSON so it is easy to read (only when it is valid JSON).",
        )
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addStretch(1)
        row.addWidget(example_button)
        row.addWidget(tidy_button)
        layout.addLayout(row)
        example_button.clicked.connect(lambda: _replace_text(edit, example))
        tidy_button.clicked.connect(lambda: _tidy(edit))
        return example_button, tidy_button

    # --- public API ------------------------------------------------------------------------------

    def current_model(self) -> str:
        """The model id in the picker, stripped."""
        return self.model_combo.currentText().strip()

    def set_models(
        self, models: Sequence[str | ModelChoice], current: str, default: str = ""
    ) -> None:
        """Fills the picker; keeps `current` even when the list does not have it (typed in).

        Args:
            models: every listed model (`ModelChoice` entries carry the retirement badge,
                tooltip and note; retired ones are hidden unless "Show retired" is ticked).
            current: the model to select.
            default: the model to select when `current` is a hidden retired one.
        """
        before = self.current_model()
        with QSignalBlocker(self.model_combo):
            self.model_combo.set_choices(models, current, default)
        if self.current_model() != before:
            self.model_changed.emit(self.current_model())
            self._emit_changed()

    def set_capabilities(self, caps: Capabilities, model: str | None = None) -> None:
        """Greys out what the model rejects (with the reason as the tooltip) and stops sending it.

        With `model` (or when `caps` are those of the model in the picker), what is enabled
        follows `allowed(model, effort)`: the efforts the family takes, and sampling and
        logprobs at the efforts that take them (GPT-6 at `none`).
        """
        self._caps = caps
        self._model = model
        self._apply_capabilities()
        self._emit_changed()

    def knobs(self) -> Allowed:
        """What the model takes at the chosen effort (`allowed`), or, when only the capabilities
        are known, what they say."""
        model = self._model if self._model is not None else self.current_model()
        effort = self._chosen_effort()
        if capabilities(model) == self._caps:
            return allowed(model, effort)
        caps = self._caps
        why = caps.why or _NOT_ACCEPTED
        reasons = {k: why for k, on in (("sampling", caps.sampling), ("logprobs", caps.logprobs),
                                         ("stop", caps.stop)) if not on}  # fmt: skip
        return Allowed(
            efforts=caps.efforts or (EFFORTS[1:5] if caps.reasoning else ()),
            effort_ok=True,
            sampling=caps.sampling,
            logprobs=caps.logprobs,
            stop=caps.stop,
            chat_tools=caps.chat_tools_efforts is None,
            reasoning_summary=caps.reasoning_summary,
            verbosity=caps.verbosity,
            service_tier=caps.service_tier,
            builtin_tools=caps.builtin_tools,
            reasons=reasons,
        )

    def api(self) -> str:
        """The API the request goes through: `API_RESPONSES` or `API_CHAT_COMPLETIONS`."""
        return str(self.api_combo.currentData())

    def set_api(self, api: str) -> None:
        """Shows `api` (emits `changed` when it changes)."""
        index = self.api_combo.findData(api)
        if index >= 0 and index != self.api_combo.currentIndex():
            self.api_combo.setCurrentIndex(index)

    def responses_fields(self) -> dict[str, Any]:
        """The `ResponsesRequest` settings shown (`RESPONSES_FIELD_NAMES`); what the model does not
        take, or the API in use does not have, is None (not sent). Chat Completions also takes
        verbosity and the service tier. The prompt cache settings are kept as typed (see
        `_cache_fields`)."""
        knobs = self.knobs()
        responses = self.api() == API_RESPONSES
        return {
            "reasoning_summary": self.summary_combo.currentData()
            if responses and knobs.reasoning_summary
            else None,
            "verbosity": self.verbosity_combo.currentData() if knobs.verbosity else None,
            "service_tier": self.tier_combo.currentData() if knobs.service_tier else None,
            "builtin_tools": self._builtin_tools(knobs) if responses else (),
            "store": responses and self._conversation and self.keep_check.isChecked(),
            "keep_as": self.keep_how_combo.currentData()
            if responses and self._conversation and self.keep_check.isChecked()
            else None,
            "background": responses and self._conversation and self.background_check.isChecked(),
            **self._context_fields(),
            **self._cache_fields(),
        }

    def _cache_fields(self) -> dict[str, Any]:
        """The prompt cache settings as typed, also where they are not sent (a compatible
        server's model; 12 hours on Chat Completions), so they are kept with the conversation:
        the request bodies leave out what does not apply (`takes_prompt_cache`)."""
        return {
            "prompt_cache_key": self.cache_key_edit.text().strip() or None,
            "prompt_cache_ttl": self.cache_ttl_combo.currentData(),
        }

    def settings(self) -> dict[str, Any]:
        """Everything the panel holds but the model: `request_fields()`, `responses_fields()` and
        "api" (what Compare and Prompt Lab keep per column and variant)."""
        return {**self.request_fields(), **self.responses_fields(), "api": self.api()}

    def build_request(self, model: str, messages: tuple[Message, ...]) -> ChatRequest:
        """The request the panel describes for `model` and `messages` (see `build_request`)."""
        return build_request(model, messages, self.settings())

    def set_model_limits(self, max_output: int | None, context_window: int | None) -> None:
        """Bounds "Max output" by the model's output limit (or its context window, if that is all
        that is known). A larger value already set is lowered to the limit."""
        self._max_output = max_output if max_output and max_output > 0 else None
        self._context_window = context_window if context_window and context_window > 0 else None
        ceiling = self._max_output or self._context_window or UNKNOWN_OUTPUT_LIMIT
        before = self.max_tokens_spin.value()
        with QSignalBlocker(self.max_tokens_spin):
            self.max_tokens_spin.setMaximum(ceiling)
        self._update_limits_label()
        if self.max_tokens_spin.value() != before:
            self._emit_changed()

    def request_fields(self) -> dict[str, Any]:
        """Every keyword argument of `ChatRequest` except `model` and `messages`.

        Settings the model rejects, and settings left at "default", come back as None (or the
        empty value) so they are never sent. `response_format` and `tools` are only filled when
        their text is valid: check `problems()` first.
        """
        caps = self._caps
        knobs = self.knobs()
        responses = self.api() == API_RESPONSES  # no seed, stop or penalties there
        logprobs = knobs.logprobs and self.logprobs_check.isChecked()
        top = self.top_logprobs_spin.value()
        tools = self._tools_check.tools
        seed_text = self.seed_edit.text().strip()
        return {
            "temperature": self.temperature_row.value(),
            "top_p": self.top_p_row.value(),
            "max_output_tokens": self.max_tokens_spin.value() or None,
            "frequency_penalty": self.frequency_row.value(),
            "presence_penalty": self.presence_row.value(),
            "seed": int(seed_text) if seed_text not in ("", "-") and not responses else None,
            "stop": self.stop_sequences() if knobs.stop and not responses else (),
            "n": self.n_spin.value(),
            "logprobs": logprobs,
            "top_logprobs": top if logprobs and top > 0 else None,
            "response_format": self._response_format(),
            "tools": tools,
            "tool_choice": self._tool_choice() if tools else None,
            "reasoning_effort": self._chosen_effort() if caps.reasoning else None,
        }

    def set_fields(self, fields: dict[str, Any]) -> None:
        """Shows saved settings (a preset, a history entry, a pasted curl command).

        Args:
            fields: keys of `request_fields()` and `responses_fields()`, plus "model" and "api"
                if wanted. A missing key is reset to its default (a missing "api" is kept); more than 4 stop sequences keep the first 4. Two values come back
                as their "not sent" equivalent: tool_choice "auto" as None and top_logprobs 0 as
                None (the API does the same without them).

        Raises:
            ValueError: an unknown key (a typo must not be dropped silently).
        """
        unknown = set(fields) - set(FIELD_NAMES) - set(RESPONSES_FIELD_NAMES) - {"model", "api"}
        if unknown:
            raise ValueError(f"unknown chat parameter(s): {', '.join(sorted(unknown))}")
        model_before = self.current_model()
        self._loading = True
        try:
            self._set_all(fields)
        finally:
            self._loading = False
        self._on_format_changed(emit=False)
        self._revalidate_schema()
        self._revalidate_tools()
        self._apply_context()
        self._apply_capabilities()
        if self.current_model() != model_before:
            self.model_changed.emit(self.current_model())
        self.changed.emit()

    def problems(self) -> list[str]:
        """What would make the API refuse the request, each a sentence; empty when all is well."""
        out: list[str] = []
        if self.format_combo.currentData() == JSON_SCHEMA:
            out += [f"Output schema: {p}" for p in self._schema_check.problems]
        out += [f"Tools: {p}" for p in self._tools_check.problems]
        choice = self.tool_choice_combo.currentData()
        if (
            self._tools_check.ok
            and self._tools_check.tools
            and isinstance(choice, str)
            and choice.startswith("fn:")
            and choice[3:] not in self._tools_check.names
        ):
            out.append(f"Tools: tool choice asks for “{choice[3:]}”, but no tool has that name.")
        if self.api() == API_RESPONSES:
            offered = set(self.knobs().builtin_tools)
            files = "file_search" in offered and self.file_search_check.isChecked()
            if files and not self.vector_stores.chosen():
                out.append("File search: tick at least one vector store.")
            mcp = "mcp" in offered and self.mcp_check.isChecked()
            if mcp and not self.mcp_url_edit.text().strip():
                out.append("MCP server: type the server's URL.")
        return out

    def set_vector_stores(self, stores: Sequence[tuple[str, str]]) -> None:
        """The vector stores the API listed: (id, what the user sees) each."""
        self.vector_stores.set_stores(stores)

    def set_mcp_headers_state(self, label: str, names: Sequence[str], problem: str = "") -> None:
        """What is kept for the MCP server `label` (header names, never values), or why it
        could not be read or kept."""
        if label != self.mcp_label_edit.text().strip():
            return  # the label changed meanwhile: its own answer follows
        if problem:
            text = problem
        elif names:
            text = f"Kept in your system keyring for “{label}”: {', '.join(names)}."
            self.mcp_header_value_edit.clear()
        else:
            text = MCP_HEADERS_NOTE
        self.mcp_headers_note.setText(text)
        self.mcp_header_forget.setVisible(bool(names) and not problem)

    def set_mcp_always_allowed(self, labels: Sequence[str]) -> None:
        """The MCP server labels the user chose to "Always allow" (kept in settings)."""
        self._mcp_always = set(labels)
        self._show_mcp_always()

    def _mcp_label(self) -> str:
        return self.mcp_label_edit.text().strip() or "mcp"

    def _show_mcp_always(self) -> None:
        label = self._mcp_label()
        blocked = self.mcp_always_check.blockSignals(True)
        self.mcp_always_check.setChecked(label in self._mcp_always)
        self.mcp_always_check.blockSignals(blocked)
        short = label if len(label) <= 12 else label[:11] + "…"  # the panel stays narrow
        named_server = f"“{short}”" if self.mcp_label_edit.text().strip() else "this server"
        self.mcp_always_check.setText(f"Always allow {named_server} (all chats)")
        self.mcp_always_check.setToolTip(
            f"Run the tools of the server labelled “{label}” without asking, in every "
            "conversation that uses it. Kept for this server; untick to be asked again."
        )

    def _on_mcp_always_toggled(self, on: bool) -> None:
        label = self._mcp_label()
        if on:
            self._mcp_always.add(label)
        else:
            self._mcp_always.discard(label)
        self.mcp_always_allow_changed.emit(label, on)

    def _save_mcp_header(self) -> None:
        label = self.mcp_label_edit.text().strip()
        name = self.mcp_header_name_edit.text().strip() or "Authorization"
        value = self.mcp_header_value_edit.text().strip()
        if not label or not value:
            self.mcp_headers_note.setText(
                "Type the server's label and the header's value first."
                if not label
                else "Type the key or token in Value first."
            )
            return
        self.mcp_headers_save_requested.emit(label, name, value)

    def _want_mcp_headers(self) -> None:
        label = self.mcp_label_edit.text().strip()
        if label:
            self.mcp_headers_wanted.emit(label)

    def set_vector_stores_problem(self, text: str) -> None:
        """The vector stores could not be listed: `text` says why and what to do."""
        self.vector_stores.set_problem(text)

    def stop_sequences(self) -> tuple[str, ...]:
        """The stop sequences typed (escapes decoded), blanks skipped, at most 4."""
        return tuple(decode_stop(e.text()) for e in self.stop_edits if e.text())[:MAX_STOP]

    # --- setting values --------------------------------------------------------------------------

    def _set_all(self, fields: dict[str, Any]) -> None:
        get = fields.get
        if "model" in fields:
            with QSignalBlocker(self.model_combo):
                model = str(get("model") or "")
                if model and self.model_combo.findText(model) < 0:
                    self.model_combo.addItem(model)
                self.model_combo.setCurrentText(model)
        self.temperature_row.set_value(_float_or_none(get("temperature")))
        self.top_p_row.set_value(_float_or_none(get("top_p")))
        self.frequency_row.set_value(_float_or_none(get("frequency_penalty")))
        self.presence_row.set_value(_float_or_none(get("presence_penalty")))
        with QSignalBlocker(self.max_tokens_spin):
            self.max_tokens_spin.setValue(int(get("max_output_tokens") or 0))
        with QSignalBlocker(self.seed_edit):
            seed = get("seed")
            self.seed_edit.setText("" if seed is None else str(int(seed)))
        stops = [str(s) for s in (get("stop") or ())][:MAX_STOP]
        for i, edit in enumerate(self.stop_edits):
            with QSignalBlocker(edit):
                edit.setText(encode_stop(stops[i]) if i < len(stops) else "")
        with QSignalBlocker(self.n_spin):
            self.n_spin.setValue(int(get("n") or 1))
        with QSignalBlocker(self.logprobs_check):
            self.logprobs_check.setChecked(bool(get("logprobs")))
        with QSignalBlocker(self.top_logprobs_spin):
            self.top_logprobs_spin.setValue(int(get("top_logprobs") or 0))
        self._set_response_format(get("response_format"))
        tools = list(get("tools") or ())
        with QSignalBlocker(self.tools_edit):
            self.tools_edit.setPlainText(json.dumps(tools, indent=2) if tools else "")
        self._tools_check = check_tools_text(self.tools_edit.toPlainText())
        self._fill_tool_choices(self._tools_check.names, get("tool_choice"))
        effort = get("reasoning_effort")
        self._fill_efforts(self._offered_efforts(), effort if isinstance(effort, str) else None)
        if "api" in fields:
            with QSignalBlocker(self.api_combo):
                select_data(self.api_combo, get("api"))
        with QSignalBlocker(self.keep_check):
            self.keep_check.setChecked(bool(get("store")))
        with QSignalBlocker(self.keep_how_combo):
            self.keep_how_combo.setCurrentIndex(int(get("keep_as") == KEEP_AS_CONVERSATION))
        with QSignalBlocker(self.background_check):
            self.background_check.setChecked(bool(get("background")))
        with QSignalBlocker(self.context_combo):
            select_data(self.context_combo, get("context_strategy") or Strategy.ASK.value)
        with QSignalBlocker(self.summary_model_combo):
            self.summary_model_combo.setCurrentText(str(get("summary_model") or ""))
        self._show_keep_note()
        for combo, name in (
            (self.summary_combo, "reasoning_summary"),
            (self.verbosity_combo, "verbosity"),
            (self.tier_combo, "service_tier"),
        ):
            with QSignalBlocker(combo):
                value = get(name)
                index = combo.findData(value)
                if index < 0 and isinstance(value, str):  # a value newer than this list: keep it
                    combo.addItem(value, value)
                    index = combo.count() - 1
                combo.setCurrentIndex(max(index, 0))
        self._set_builtin_tools(tuple(get("builtin_tools") or ()))
        with QSignalBlocker(self.cache_key_edit):
            self.cache_key_edit.setText(str(get("prompt_cache_key") or ""))
        with QSignalBlocker(self.cache_ttl_combo):
            ttl = get("prompt_cache_ttl")
            if isinstance(ttl, str) and self.cache_ttl_combo.findData(ttl) < 0:
                self.cache_ttl_combo.addItem(ttl, ttl)  # a lifetime newer than this list: keep it
            self.cache_ttl_combo.setCurrentIndex(max(self.cache_ttl_combo.findData(ttl), 0))

    def _set_builtin_tools(self, tools: tuple[BuiltinTool, ...]) -> None:
        by_kind = {tool.kind: tool for tool in tools}
        widgets: list[QWidget] = [*self.builtin_checks.values(), self.web_context_combo]
        widgets += [self.vector_stores, self.mcp_url_edit, self.mcp_label_edit]
        widgets += [self.mcp_tools_edit, self.mcp_always_check]
        blockers = [QSignalBlocker(w) for w in widgets]
        for kind, box in self.builtin_checks.items():
            box.setChecked(kind in by_kind)
        web = by_kind.get("web_search")
        context = web.context_size if isinstance(web, WebSearchTool) else None
        self.web_context_combo.setCurrentIndex(max(self.web_context_combo.findData(context), 0))
        files = by_kind.get("file_search")
        ids = files.vector_store_ids if isinstance(files, FileSearchTool) else ()
        self.vector_stores.set_chosen(ids)
        mcp = by_kind.get("mcp")
        if isinstance(mcp, McpTool):
            self.mcp_url_edit.setText(mcp.server_url)
            self.mcp_label_edit.setText(mcp.server_label)
            self.mcp_tools_edit.setText(", ".join(mcp.allowed_tools))
        del blockers
        self._show_mcp_always()  # kept per server label, whatever the conversation said
        if isinstance(files, FileSearchTool):
            self.vector_stores.want()
        if isinstance(mcp, McpTool):
            self._want_mcp_headers()  # the chosen stores by name, and whether they still exist

    def _builtin_tools(self, knobs: Allowed) -> tuple[BuiltinTool, ...]:
        """The built-in tools ticked that the model supports (and that are filled in)."""
        on = {k for k, box in self.builtin_checks.items() if box.isChecked()}
        on &= set(knobs.builtin_tools)
        tools: list[BuiltinTool] = []
        if "web_search" in on:
            tools.append(WebSearchTool(context_size=self.web_context_combo.currentData()))
        ids = self.vector_stores.chosen()
        if "file_search" in on and ids:
            tools.append(FileSearchTool(vector_store_ids=ids))
        if "code_interpreter" in on:
            tools.append(CodeInterpreterTool())
        if "image_generation" in on:
            tools.append(ImageGenerationTool())
        url = self.mcp_url_edit.text().strip()
        if "mcp" in on and url:
            tools.append(
                McpTool(
                    server_label=self.mcp_label_edit.text().strip() or "mcp",
                    server_url=url,
                    allowed_tools=_split_list(self.mcp_tools_edit.text()),
                    require_approval="never" if self._mcp_label() in self._mcp_always else "always",
                )
            )
        return tuple(tools)

    def _chosen_effort(self) -> str | None:
        data = self.reasoning_combo.currentData()
        return data if isinstance(data, str) else None

    def _offered_efforts(self) -> tuple[str, ...]:
        model = self._model if self._model is not None else self.current_model()
        if capabilities(model) == self._caps and self._caps.efforts:
            return self._caps.efforts
        return self._caps.efforts or EFFORTS

    def _fill_efforts(self, efforts: tuple[str, ...], chosen: str | None) -> None:
        """Offers "Model default" and `efforts`; a `chosen` value the model lacks stays, marked."""
        combo = self.reasoning_combo
        with QSignalBlocker(combo):
            combo.clear()
            combo.addItem("Model default", None)
            combo.setItemData(0, "Nothing is sent: the model uses its own default.",
                              Qt.ItemDataRole.ToolTipRole)  # fmt: skip
            for effort in efforts:
                label = _EFFORT_LABELS.get(effort, effort.capitalize())
                combo.addItem(label, effort)
                combo.setItemData(combo.count() - 1, _EFFORT_TIPS.get(effort, ""),
                                  Qt.ItemDataRole.ToolTipRole)  # fmt: skip
            if chosen is not None and combo.findData(chosen) < 0:
                combo.addItem(f"{_EFFORT_LABELS.get(chosen, chosen.capitalize())} (not taken)",
                              chosen)  # fmt: skip
                combo.setItemData(
                    combo.count() - 1,
                    "This model does not take this effort; it is not sent.",
                    Qt.ItemDataRole.ToolTipRole,
                )
            combo.setCurrentIndex(max(combo.findData(chosen), 0))

    def _set_response_format(self, value: Any) -> None:
        mode, schema_text, name, strict = TEXT, "", "", True
        self._schema_description = None
        if isinstance(value, dict):
            kind = value.get("type")
            if kind == JSON_OBJECT:
                mode = JSON_OBJECT
            elif kind == JSON_SCHEMA:
                mode = JSON_SCHEMA
                spec = value.get("json_schema") or {}
                schema = spec.get("schema")
                schema_text = json.dumps(schema, indent=2) if schema is not None else ""
                name = str(spec.get("name") or "")
                strict = bool(spec.get("strict", False))  # the API's default is not strict
                description = spec.get("description")
                self._schema_description = description if isinstance(description, str) else None
        with QSignalBlocker(self.format_combo):
            self.format_combo.setCurrentIndex(max(self.format_combo.findData(mode), 0))
        with QSignalBlocker(self.schema_edit):
            self.schema_edit.setPlainText(schema_text)
        with QSignalBlocker(self.schema_name_edit):
            self.schema_name_edit.setText(name)
        with QSignalBlocker(self.strict_check):
            self.strict_check.setChecked(strict)

    # --- reading values --------------------------------------------------------------------------

    def _response_format(self) -> dict[str, Any] | None:
        mode = str(self.format_combo.currentData())
        if mode == JSON_SCHEMA and self._schema_check.schema is None:
            return None  # not a JSON object yet: problems() says so and Send stays blocked
        fmt = response_format_for(
            mode,
            self.schema_edit.toPlainText(),
            self.schema_name_edit.text(),
            self.strict_check.isChecked(),
        )
        if fmt is not None and self._schema_description and mode == JSON_SCHEMA:
            fmt["json_schema"]["description"] = self._schema_description
        return fmt

    def _tool_choice(self) -> str | dict[str, Any] | None:
        data = self.tool_choice_combo.currentData()
        if not isinstance(data, str) or data == "auto":
            return None  # "auto" is what the API does anyway
        if data.startswith("fn:"):
            return {"type": "function", "function": {"name": data[3:]}}
        return data

    # --- reacting ------------------------------------------------------------------------------

    def _emit_changed(self) -> None:
        if not self._loading:
            self.changed.emit()

    def _on_model_text_changed(self, text: str) -> None:
        if self._loading:
            return
        self.model_changed.emit(text.strip())
        self.changed.emit()

    def _on_format_changed(self, *_args: object, emit: bool = True) -> None:
        mode = self.format_combo.currentData()
        self.json_object_hint.setVisible(mode == JSON_OBJECT)
        self.schema_box.setVisible(mode == JSON_SCHEMA)
        if emit:
            self._emit_changed()

    def _on_schema_edited(self) -> None:
        if self._loading:
            return
        self._revalidate_schema()
        self._emit_changed()

    def _on_tools_edited(self) -> None:
        if self._loading:
            return
        self._revalidate_tools()
        self._emit_changed()

    def _on_tool_choice_changed(self) -> None:
        self._show_tools_status()
        self._emit_changed()

    def _on_effort_changed(self) -> None:
        self._apply_capabilities(refill=False)
        self._emit_changed()

    def _on_keep_toggled(self, _on: bool) -> None:
        self._show_keep_note()
        self._emit_changed()

    def _on_cache_ttl_changed(self) -> None:
        self._apply_cache(self.api() == API_RESPONSES)
        self._emit_changed()

    def _on_keep_how_changed(self) -> None:
        self._show_keep_note()

    def _show_keep_note(self) -> None:
        """The privacy line of "Keep on OpenAI": what OpenAI keeps, for how long, and how to
        delete it; the choice of how is open only while the switch is on."""
        on = self.keep_check.isChecked()
        self.keep_how_combo.setEnabled(on and not self._keep_how_reason)
        if not on:
            self.keep_note.setText(KEEP_OFF_NOTE)
        elif self.keep_how_combo.currentData() == KEEP_AS_CONVERSATION:
            self.keep_note.setText(KEEP_CONVERSATION_NOTE + KEEP_DELETE_NOTE)
        else:
            note = KEEP_ON_OPENAI_NOTE + KEEP_DELETE_NOTE.replace("delete it", "delete them")
            if self._keep_how_reason:
                note += " " + self._keep_how_reason
            self.keep_note.setText(note)

    def set_conversations_available(self, available: bool, reason: str = "") -> None:
        """Offers "as an OpenAI conversation" or not (a server without conversations), saying
        why in the privacy line; a conversation set to it falls back to the chain of answers."""
        self._keep_how_reason = "" if available else reason or "This server cannot keep them."
        if not available and self.keep_how_combo.currentData() == KEEP_AS_CONVERSATION:
            with QSignalBlocker(self.keep_how_combo):
                self.keep_how_combo.setCurrentIndex(0)  # as a chain of answers
            self._emit_changed()
        tip = (
            "How OpenAI keeps this conversation while “Keep on OpenAI” is on."
            if available
            else f"Only as a chain of answers here: {self._keep_how_reason}"
        )
        self.keep_how_combo.setToolTip(tip)
        self._show_keep_note()

    def _on_api_changed(self) -> None:
        self._apply_context()
        self._apply_capabilities(refill=False)
        self._emit_changed()

    def _on_file_search_toggled(self, on: bool) -> None:
        if on:
            self.vector_stores.want()

    def _on_builtin_toggled(self) -> None:
        self._apply_capabilities(refill=False)
        self._emit_changed()

    def _on_logprobs_toggled(self) -> None:
        self._apply_capabilities()
        self._emit_changed()

    def _revalidate_schema(self) -> None:
        text = self.schema_edit.toPlainText()
        self._schema_check = check_schema_text(text, strict=self.strict_check.isChecked())
        check = self._schema_check
        if check.empty:
            self._set_status(self.schema_status, "Write or paste a JSON Schema.", "muted")
        elif check.ok:
            self._set_status(self.schema_status, "✓ Valid schema.", "ok")
        else:
            self._set_status_list(self.schema_status, check.problems)
        _mark_error(self.schema_edit, check.json_error, self._error_color())

    def _revalidate_tools(self) -> None:
        check = check_tools_text(self.tools_edit.toPlainText())
        self._tools_check = check
        current = self.tool_choice_combo.currentData()
        self._fill_tool_choices(check.names, _choice_from_data(current))
        _mark_error(self.tools_edit, check.json_error, self._error_color())
        self._show_tools_status()

    def _show_tools_status(self) -> None:
        check = self._tools_check
        has_tools = bool(check.tools)
        self.tool_choice_combo.setEnabled(has_tools)
        self.tool_choice_combo.setToolTip(
            self._tool_choice_tip if has_tools else "Add at least one valid tool above first."
        )
        choice_problems = [p for p in self.problems() if p.startswith("Tools: tool choice")]
        if not self.tools_edit.toPlainText().strip():
            self._set_status(
                self.tools_status, "No tools: the model only answers in text.", "muted"
            )
        elif not check.ok:
            self._set_status_list(self.tools_status, check.problems)
        elif choice_problems:
            self._set_status_list(self.tools_status, [p[len("Tools: ") :] for p in choice_problems])
        else:
            count = len(check.tools)
            names = ", ".join(check.names)
            self._set_status(
                self.tools_status,
                f"✓ {count} tool{'s' if count != 1 else ''}: {names}.",
                "ok",
            )

    def _fill_tool_choices(
        self, names: tuple[str, ...], choice: str | dict[str, Any] | None
    ) -> None:
        """Rebuilds the tool-choice list for `names`, keeping `choice` (even an unknown function)."""
        wanted = _data_from_choice(choice)
        combo = self.tool_choice_combo
        with QSignalBlocker(combo):
            combo.clear()
            combo.addItem("Model decides (auto)", "auto")
            combo.addItem("Never (none)", "none")
            combo.addItem("Must call one (required)", "required")
            for name in names:
                if combo.findData(f"fn:{name}") < 0:
                    combo.addItem(f"Must call {name}", f"fn:{name}")
            if wanted.startswith("fn:") and combo.findData(wanted) < 0:
                combo.addItem(f"Must call {wanted[3:]} (not defined)", wanted)
            combo.setCurrentIndex(max(combo.findData(wanted), 0))

    def _apply_capabilities(self, *, refill: bool = True) -> None:
        caps = self._caps
        if refill:
            self._fill_efforts(self._offered_efforts(), self._chosen_effort())
        knobs = self.knobs()
        responses = self.api() == API_RESPONSES
        sampling_why = knobs.reason("sampling") or caps.why or _NOT_ACCEPTED
        for row in self.sampling_rows:
            if row in (self.frequency_row, self.presence_row) and knobs.sampling and responses:
                row.set_supported(False, _NOT_IN_RESPONSES)
            else:
                row.set_supported(knobs.sampling, sampling_why)
        self.sampling_note.setVisible(not knobs.sampling)
        lead = "Not sent at this effort." if caps.sampling_efforts else "Not used by this model."
        self.sampling_note.setText(f"{lead} {knobs.reason('sampling')}".strip())
        self.seed_edit.setEnabled(not responses)
        self.seed_edit.setToolTip(_NOT_IN_RESPONSES if responses else self._seed_tip)

        why = knobs.reason("logprobs") or caps.why or _NOT_ACCEPTED
        self.logprobs_check.setEnabled(knobs.logprobs)
        self.logprobs_check.setToolTip(self._logprobs_tip if knobs.logprobs else why)
        top_on = knobs.logprobs and self.logprobs_check.isChecked()
        self.top_logprobs_spin.setEnabled(top_on)
        self.top_logprobs_label.setEnabled(top_on)
        self.top_logprobs_spin.setToolTip(self._top_logprobs_tip if knobs.logprobs else why)

        why = caps.why or knobs.reason("stop") or _NOT_ACCEPTED
        stop = knobs.stop and not responses
        if knobs.stop and responses:
            why = _NOT_IN_RESPONSES
        for edit in self.stop_edits:
            edit.setEnabled(stop)
            edit.setToolTip(self._stop_tip if stop else why)
        self.stop_caption.setEnabled(stop)
        self.stop_caption.setToolTip(self._stop_tip if stop else why)

        self.reasoning_combo.setEnabled(caps.reasoning)
        self.reasoning_label.setEnabled(caps.reasoning)
        if caps.reasoning:
            tip = self._reasoning_tip + " This model takes: " + ", ".join(knobs.efforts) + "."
            if knobs.reason("effort"):
                tip = knobs.reason("effort")
            effort = self._chosen_effort()
            if effort in _EFFORT_TIPS:
                tip += "\n\n" + _EFFORT_TIPS[str(effort)]
        else:
            tip = _REASONING_ONLY
        self.reasoning_combo.setToolTip(tip)
        self.reasoning_label.setToolTip(tip)

        self.responses_group.setVisible(responses)
        self.builtin_group.setVisible(responses)
        for combo, label, name in (
            (self.summary_combo, self.summary_label, "reasoning_summary"),
            (self.verbosity_combo, self.verbosity_label, "verbosity"),
            (self.tier_combo, self.tier_label, "service_tier"),
        ):
            on = bool(getattr(knobs, name))
            combo.setEnabled(on)
            label.setEnabled(on)
            combo.setToolTip(self._responses_tips[name] if on else knobs.reason(name))
        for kind, box in self.builtin_checks.items():
            on = kind in knobs.builtin_tools
            box.setEnabled(on)
            box.setToolTip(self._builtin_tips[kind] if on else knobs.reason("builtin_tools")
                           or "This model does not support this tool.")  # fmt: skip
            for widget in self._builtin_inputs.get(kind, ()):
                widget.setEnabled(on and box.isChecked())
        self.builtin_note.setVisible(not knobs.builtin_tools)
        self.builtin_note.setText(knobs.reason("builtin_tools"))
        self._apply_cache(responses)

    def _apply_cache(self, responses: bool) -> None:
        """Prompt caching: only for OpenAI's own models; 12 hours only on Responses."""
        cache_on = takes_prompt_cache(self._caps)
        ttl_on = cache_on and responses
        widget: QWidget
        for widget in (self.cache_key_edit, self.cache_key_label):
            widget.setEnabled(cache_on)
            widget.setToolTip(_CACHE_KEY_TIP if cache_on else _CACHE_NOT_OPENAI)
        for widget in (self.cache_ttl_combo, self.cache_ttl_label):
            widget.setEnabled(ttl_on)
            widget.setToolTip(
                _CACHE_TTL_TIP if ttl_on else _CACHE_TTL_CHAT if cache_on else _CACHE_NOT_OPENAI
            )
        note = ""
        if not cache_on:
            note = _CACHE_NOT_OPENAI
        elif not responses and self.cache_ttl_combo.currentData() is not None:
            note = _CACHE_TTL_CHAT
        self.cache_note.setText(note)
        self.cache_note.setVisible(bool(note))

    def _update_limits_label(self) -> None:
        parts: list[str] = []
        if self._max_output:
            parts.append(f"up to {self._max_output:,} output tokens")
        if self._context_window:
            parts.append(f"{self._context_window:,}-token context window")
        if parts:
            text = "This model: " + ", ".join(parts) + "."
        else:
            text = "The output limit of this model is not known."
        self.limits_label.setText(text)
        self.limits_label.setToolTip(
            "The context window holds the whole conversation plus the answer."
        )

    # --- colours ---------------------------------------------------------------------------------

    def _error_color(self) -> QColor:
        return QColor("#ff8a80") if is_dark(self.palette()) else QColor("#b3261e")

    def _ok_color(self) -> QColor:
        return QColor("#81c995") if is_dark(self.palette()) else QColor("#1e7b34")

    def _muted_color(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.PlaceholderText)

    def _set_status(self, label: QLabel, text: str, kind: str) -> None:
        label.setText(text)
        label.setToolTip(text if kind == "error" else "")
        label.setProperty("statusKind", kind)
        self._paint(label)

    def _set_status_list(self, label: QLabel, problems: tuple[str, ...] | list[str]) -> None:
        shown = list(problems[:3])
        if len(problems) > 3:
            shown.append(f"… and {len(problems) - 3} more (hover to see all).")
        label.setText("\n".join(f"⚠ {p}" for p in shown))
        label.setToolTip("\n".join(problems))
        label.setProperty("statusKind", "error")
        self._paint(label)

    def _paint(self, label: QLabel) -> None:
        kind = label.property("statusKind")
        color = (
            self._error_color()
            if kind == "error"
            else self._ok_color()
            if kind == "ok"
            else self._muted_color()
        )
        pal = label.palette()
        pal.setColor(QPalette.ColorRole.WindowText, color)
        label.setPalette(pal)

    def _recolor(self) -> None:
        for label in self._muted:
            label.setProperty("statusKind", "muted")
            self._paint(label)
        for label in (self.schema_status, self.tools_status):
            self._paint(label)
        self._revalidate_schema()
        _mark_error(self.tools_edit, self._tools_check.json_error, self._error_color())
        self.refresh_button.setIcon(icon("refresh"))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if not hasattr(self, "tools_edit"):  # still being built
            return
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._recolor()


# --- helpers -------------------------------------------------------------------------------------

_CONTEXT_NOTES: Final = {
    Strategy.ASK: "Send asks before a request the model cannot read whole.",
    Strategy.DROP: "The oldest turns are left out; the system prompt and the newest turn stay.",
    Strategy.SUMMARISE: "The oldest turns become one summary note, which you can edit.",
    Strategy.SERVER: "Everything is sent; OpenAI drops the oldest part that does not fit.",
    Strategy.COMPACT: "OpenAI replaces the oldest turns with a short form only it can read; "
    "they stay on your screen, greyed “not sent”.",
}


class _SummaryModelCombo(_ComboBox):
    """An editable model list for the summary: the chat's models, read when it opens (so the
    panel's own model picker stays as it is)."""

    def __init__(self, panel: ChatParamsPanel) -> None:
        super().__init__()
        self._panel = panel
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(8)

    def showPopup(self) -> None:
        picker = self._panel.model_combo
        models = [picker.itemText(i) for i in range(picker.count())]
        text = self.currentText()
        with QSignalBlocker(self):
            self.clear()
            self.addItems(models)
            self.setCurrentText(text)
        super().showPopup()


def build_request(
    model: str, messages: tuple[Message, ...], settings: dict[str, Any]
) -> ChatRequest:
    """The request for `settings` (`ChatParamsPanel.settings()`; "api" and the Responses keys
    optional): a `ResponsesRequest` when a Responses setting is set or the API is Responses, else
    a plain `ChatRequest` (so Chat Completions requests are what they always were)."""
    base = {k: v for k, v in settings.items() if k in FIELD_NAMES}
    extra = {k: v for k, v in settings.items() if k in RESPONSES_FIELD_NAMES and v}
    if extra or settings.get("api") == API_RESPONSES:
        return ResponsesRequest(model=model, messages=messages, **base, **extra)
    return ChatRequest(model=model, messages=messages, **base)


def default_api(provider: bool | ProviderProfile) -> str:
    """Responses for OpenAI (`provider` True, or an OpenAI profile) and for compatible servers
    Test connection found it on; Chat Completions for other servers."""
    if isinstance(provider, ProviderProfile):
        provider = provider.kind is ProviderKind.OPENAI or provider.responses_api
    return API_RESPONSES if provider else API_CHAT_COMPLETIONS


MCP_HEADERS_NOTE = (
    "A server that needs a key or token: type it above and press Keep in keyring. It is kept "
    "in your system keyring for this label, never in settings, history or exports."
)


def _split_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def wrap_in_scroll_area(panel: QWidget) -> QScrollArea:
    """A frameless, vertically scrolling area holding `panel` at the area's full width."""
    area = QScrollArea()
    area.setObjectName("chatParamsScroll")
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(panel)
    return area


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _data_from_choice(choice: str | dict[str, Any] | None) -> str:
    if isinstance(choice, dict):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        return f"fn:{name}" if isinstance(name, str) and name else "auto"
    if choice in TOOL_CHOICES:
        return str(choice)
    return "auto"


def _choice_from_data(data: Any) -> str | dict[str, Any] | None:
    if isinstance(data, str) and data.startswith("fn:"):
        return {"type": "function", "function": {"name": data[3:]}}
    return data if isinstance(data, str) else None


def _replace_text(edit: QPlainTextEdit, text: str) -> None:
    """Replaces everything in one undoable step (setPlainText would wipe the undo history)."""
    cursor = edit.textCursor()
    cursor.beginEditBlock()
    cursor.select(QTextCursor.SelectionType.Document)
    cursor.insertText(text)
    cursor.endEditBlock()
    edit.setTextCursor(cursor)


def _tidy(edit: QPlainTextEdit) -> None:
    data, error = parse_json(edit.toPlainText())
    if error is None and edit.toPlainText().strip():
        _replace_text(edit, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _mark_error(edit: QPlainTextEdit, error: JsonError | None, color: QColor) -> None:
    """Underlines the character where the JSON breaks (or clears the mark)."""
    if error is None:
        edit.setExtraSelections([])
        return
    block = edit.document().findBlockByLineNumber(error.line - 1)
    if not block.isValid():
        edit.setExtraSelections([])
        return
    cursor = QTextCursor(block)
    offset = min(error.column - 1, max(block.length() - 1, 0))
    cursor.setPosition(block.position() + offset)
    if offset < block.length() - 1:
        cursor.movePosition(QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.KeepAnchor)
    else:  # at the end of a line: mark the last character instead
        cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor)
    selection = QTextEdit.ExtraSelection()
    fmt = QTextCharFormat()
    fill = QColor(color)
    fill.setAlpha(70)
    fmt.setBackground(fill)
    fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
    fmt.setUnderlineColor(color)
    selection.format = fmt
    selection.cursor = cursor
    edit.setExtraSelections([selection])
