""" "View code" and "Paste a request": a chat request as Python, curl and JSON, and the way back.

Both dialogs are views. They hold no network code and read no settings or secrets: `CodeDialog`
takes the `ChatRequest` and the connection facts (base URL, Azure, deployment, API version) as plain
arguments and shows what `core.codegen` writes; `ImportRequestDialog` runs `codegen.parse_request`
on what the user pastes and hands back the `ParsedRequest` for the controller to apply.

Code is highlighted with pygments (the Xcode style on light palettes, Monokai on dark ones, as in
the chat transcript), token by token into `QTextCharFormat`s, so the editor's text is exactly the
generated code. Long code is shown plain. pygments is imported on first use, not at start-up.
"""

# pygments ships no type hints (and types-Pygments is not a dependency): its names are Any here.
# mypy: disable-error-code="import-untyped"

from __future__ import annotations

import html
from collections import Counter
from functools import cache
from typing import Any, Final, Literal

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from playground.core.chat.codegen import (
    AZURE_KEY_VAR,
    OPENAI_KEY_VAR,
    CodeViews,
    ParsedRequest,
    chat_params_to_dict,
    code_views,
    parse_request,
    to_curl,
    to_json,
    to_python,
)
from playground.core.chat.responses import responses_omitted
from playground.core.chat.service import ChatRequest, ResponsesRequest
from playground.ui.common.widgets import named, single_shot, wrapped_label
from playground.ui.shell.theme import icon, is_dark

CodeKind = Literal["python", "curl", "json"]

#: The tabs of "View code", in order: (kind, tab title, what the tab is for).
CODE_KINDS: Final[tuple[tuple[CodeKind, str, str], ...]] = (
    ("python", "Python", "A Python script that uses the openai package (pip install openai)."),
    ("curl", "curl", "A command for a macOS or Linux terminal (bash or zsh)."),
    ("json", "JSON", "The request body the app sends to /chat/completions."),
)

#: Longest code that is highlighted; longer code is shown plain (a long conversation with pasted
#: documents should not hold the GUI thread while pygments runs).
MAX_HIGHLIGHT_CHARS: Final = 200_000
#: How long the user may pause typing before a paste is read again.
PARSE_DELAY_MS: Final = 250
#: How long "Copied" stays on a Copy button.
COPIED_MS: Final = 1500
#: The most problems, notes and ignored lines shown under a paste (the rest are counted).
MAX_MESSAGES: Final = 8

KEY_DROPPED_TEXT: Final = "An API key was in the text; it was dropped and will not be used."


# --- highlighting ------------------------------------------------------------------------------


def _palette_is_dark(widget: QWidget) -> bool:
    return is_dark(widget.palette())


@cache
def _style_class(dark: bool) -> Any:
    # The styles of the chat transcript (core/markdown.py); their faintest colour (comments) still
    # reads at about 4.5:1 on the palettes' base colours. Imported by module, not by name, so that
    # PyInstaller sees them.
    if dark:
        from pygments.styles.monokai import MonokaiStyle

        return MonokaiStyle
    from pygments.styles.xcode import XcodeStyle

    return XcodeStyle


@cache
def _lexer(kind: CodeKind) -> Any:
    # stripnl/ensurenl off: the tokens then join back to exactly the generated code.
    if kind == "python":
        from pygments.lexers.python import PythonLexer

        return PythonLexer(stripnl=False, ensurenl=False)
    if kind == "curl":
        from pygments.lexers.shell import BashLexer

        return BashLexer(stripnl=False, ensurenl=False)
    from pygments.lexers.data import JsonLexer

    return JsonLexer(stripnl=False, ensurenl=False)


_FORMATS: dict[tuple[bool, Any], QTextCharFormat] = {}


def _format_for(ttype: Any, dark: bool) -> QTextCharFormat:
    fmt = _FORMATS.get((dark, ttype))
    if fmt is not None:
        return fmt
    style = _style_class(dark)
    info = style.style_for_token(ttype)
    base = str(style.style_for_token(_token_root())["color"] or "")
    color = str(info["color"] or "").lower()
    fmt = QTextCharFormat()
    # Plain text (the style's base colour, or pure black/white) keeps the palette's text colour.
    if color and color not in (base.lower(), "000000", "ffffff"):
        fmt.setForeground(QColor(f"#{color}"))
    if info["bold"]:
        fmt.setFontWeight(QFont.Weight.Bold)
    if info["italic"]:
        fmt.setFontItalic(True)
    _FORMATS[(dark, ttype)] = fmt
    return fmt


def _token_root() -> Any:
    from pygments.token import Token

    return Token


def highlight_runs(code: str, kind: CodeKind, *, dark: bool) -> list[tuple[str, QTextCharFormat]]:
    """Splits code into runs of text with the format pygments gives them.

    Args:
        code: the code; joining the runs gives it back exactly.
        kind: which language it is.
        dark: pick the colours for a dark background.

    Returns:
        `(text, format)` runs, neighbours with the same format merged; one plain run for code
        longer than `MAX_HIGHLIGHT_CHARS`.
    """
    if not code:
        return []
    if len(code) > MAX_HIGHLIGHT_CHARS:
        return [(code, QTextCharFormat())]
    runs: list[tuple[str, QTextCharFormat]] = []
    for ttype, value in _lexer(kind).get_tokens(code):
        if not value:
            continue
        fmt = _format_for(ttype, dark)
        if runs and runs[-1][1] is fmt:
            runs[-1] = (runs[-1][0] + value, fmt)
        else:
            runs.append((value, fmt))
    return runs


def _mono_font() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def muted_color(palette: QPalette) -> QColor:
    """The palette's secondary text colour, made opaque over the window colour.

    Fusion's light palette gives its placeholder colour as half-transparent text; style sheets and
    rich text drop the alpha (`QColor.name()`), which would make it plain black. It is blended at
    60 % or more, which keeps about 5:1 contrast on the light window colour (half would be 2.5:1).
    """
    color = palette.color(QPalette.ColorRole.PlaceholderText)
    if color.alphaF() >= 1.0:
        return color
    alpha = max(color.alphaF(), 0.6)
    back = palette.color(QPalette.ColorRole.Window)
    return QColor.fromRgbF(
        color.redF() * alpha + back.redF() * (1 - alpha),
        color.greenF() * alpha + back.greenF() * (1 - alpha),
        color.blueF() * alpha + back.blueF() * (1 - alpha),
    )


def _muted_color(widget: QWidget) -> QColor:
    return muted_color(widget.palette())


def _problem_color(widget: QWidget) -> QColor:
    return QColor("#ff8a80") if _palette_is_dark(widget) else QColor("#b3261e")


class CodeEditor(QPlainTextEdit):
    """A read-only, monospace, highlighted view of one piece of generated code."""

    def __init__(self, kind: CodeKind, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind: CodeKind = kind
        self._code = ""
        self._dark = _palette_is_dark(self)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setTabChangesFocus(True)
        self.setFont(_mono_font())
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        # Long lines wrap at the edge: easier to read than scrolling sideways, and Copy is exact.
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)

    def code(self) -> str:
        """The code shown (exactly what was set)."""
        return self._code

    def set_code(self, code: str) -> None:
        """Shows `code`, highlighted for the current palette."""
        self._code = code
        self._render()

    def _render(self) -> None:
        self._dark = _palette_is_dark(self)
        self.clear()
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        for text, fmt in highlight_runs(self._code, self.kind, dark=self._dark):
            cursor.insertText(text, fmt)
        cursor.endEditBlock()
        self.moveCursor(QTextCursor.MoveOperation.Start)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if (
            event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)
            and _palette_is_dark(self) != self._dark
        ):
            self._render()


# --- View code ---------------------------------------------------------------------------------


class CodeDialog(QDialog):
    """ "View code": the request as Python, curl and JSON, each with a Copy button.

    What is shown may have long image data shortened (a note says so); Copy always puts the exact
    code on the clipboard (`to_python`/`to_curl`/`to_json` with the full data). The key is never
    part of the code: it is read from an environment variable, and the dialog says which.

    Args:
        request: the request to show.
        base_url: the API base URL (None: OpenAI's; for Azure, the resource endpoint).
        azure: the profile is an Azure OpenAI deployment.
        deployment: the Azure deployment (None: the model id).
        api_version: the Azure API version (None: read from `OPENAI_API_VERSION`).
        stream: whether "Stream" starts ticked (the app streams, so True shows what it sends).
        parent: the parent widget.

    Signals:
        code_copied: Copy put code on the clipboard. arg: "python", "curl" or "json".
    """

    code_copied = Signal(str)

    def __init__(
        self,
        request: ChatRequest,
        *,
        base_url: str | None = None,
        azure: bool = False,
        deployment: str | None = None,
        api_version: str | None = None,
        stream: bool = True,
        api: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("codeDialog")
        self.setWindowTitle("View code")
        self._request = request
        self._api = api  # "chat.completions" or "responses" ("": by the request's class)
        self._base_url = base_url
        self._azure = azure
        self._deployment = deployment
        self._api_version = api_version
        self._views: CodeViews | None = None

        intro = QLabel(
            "The request the app sends with your current messages and settings, ready to run "
            "outside the app."
        )
        intro.setWordWrap(True)

        self.stream_check = named(
            QCheckBox("Stream the answer"), "streamCheck", "Stream the answer"
        )
        self.stream_check.setToolTip(
            'Ticked: the answer arrives word by word, as the app shows it (adds "stream": true).\n'
            "Unticked: the whole answer arrives at once."
        )
        self.stream_check.setChecked(stream)
        self.stream_check.toggled.connect(self._on_stream_toggled)

        self.tabs = named(QTabWidget(), "codeTabs", "Code language")
        self.tabs.setDocumentMode(True)
        self.editors: dict[CodeKind, CodeEditor] = {}
        self.copy_buttons: dict[CodeKind, QPushButton] = {}
        self._copy_timers: dict[CodeKind, QTimer] = {}
        self._muted_labels: list[QLabel] = []
        for kind, title, about in CODE_KINDS:
            self.tabs.addTab(self._make_tab(kind, title, about), title)
            self.tabs.setTabToolTip(self.tabs.count() - 1, about)

        self.note_label = wrapped_label("shortenedNote")
        self.note_label.setVisible(False)
        self.kept_label = wrapped_label("keptOnOpenAINote", _kept_text(request))
        self.kept_label.setVisible(bool(self.kept_label.text()))

        key_icon = QLabel()
        key_icon.setPixmap(icon("key").pixmap(16, 16))
        key_icon.setFixedSize(QSize(16, 16))
        self._key_icon = key_icon
        self.key_label = wrapped_label("keyNote")
        self.key_label.setTextFormat(Qt.TextFormat.PlainText)
        key_var = AZURE_KEY_VAR if azure else OPENAI_KEY_VAR
        self.key_label.setText(
            f"The code reads your API key from ${key_var}; the key itself is never shown here."
        )
        key_row = QHBoxLayout()
        key_row.setSpacing(6)
        key_row.addWidget(key_icon, 0, Qt.AlignmentFlag.AlignTop)
        key_row.addWidget(self.key_label, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setObjectName("closeButton")
        close.setAccessibleName("Close")
        close.setToolTip("Close this window (Esc)")
        buttons.rejected.connect(self.reject)

        top = QHBoxLayout()
        top.addWidget(intro, 1)
        top.addWidget(self.stream_check, 0, Qt.AlignmentFlag.AlignBottom)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.note_label)
        layout.addWidget(self.kept_label)
        layout.addLayout(key_row)
        layout.addWidget(buttons)
        self._style_labels()
        self.resize(780, 560)
        self._regenerate()

    def _make_tab(self, kind: CodeKind, title: str, about: str) -> QWidget:
        page = QWidget()
        page.setObjectName(f"{kind}Page")
        editor = named(
            CodeEditor(kind),
            f"{kind}Code",
            f"{title} code",
            f"{about} Select text to copy part of it.",
        )
        copy = named(
            QPushButton(icon("copy"), "Copy"),
            f"{kind}CopyButton",
            f"Copy {title} code",
            f"Copy the complete {title} code to the clipboard",
        )
        copy.clicked.connect(lambda: self.copy_code(kind))
        timer = single_shot(self, COPIED_MS, lambda: copy.setText("Copy"))
        about_label = wrapped_label(f"{kind}About", about)
        self._muted_labels.append(about_label)
        row = QHBoxLayout()
        row.addWidget(about_label, 1)
        row.addWidget(copy)
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 6, 0, 0)
        box.addWidget(editor, 1)
        box.addLayout(row)
        self.editors[kind] = editor
        self.copy_buttons[kind] = copy
        self._copy_timers[kind] = timer
        return page

    # -- public API ------------------------------------------------------------------------------

    def set_request(self, request: ChatRequest, api: str | None = None) -> None:
        """Shows another request (the user changed the messages or settings meanwhile), and the
        API it goes to when `api` is given."""
        self._request = request
        if api is not None:
            self._api = api
        self._regenerate()

    def stream(self) -> bool:
        """Whether the code shown is for a streamed request."""
        return self.stream_check.isChecked()

    def views(self) -> CodeViews:
        """The code as shown (image data possibly shortened)."""
        assert self._views is not None  # set in __init__
        return self._views

    def shown_code(self, kind: CodeKind) -> str:
        """The code in the `kind` tab, as shown."""
        return self.editors[kind].code()

    def exact_code(self, kind: CodeKind) -> str:
        """The complete code for `kind`, image data and all: what Copy puts on the clipboard."""
        stream = self.stream()
        if kind == "json":
            return to_json(self._request, stream=stream, api=self._api)
        make = to_python if kind == "python" else to_curl
        return make(
            self._request,
            base_url=self._base_url,
            stream=stream,
            azure=self._azure,
            deployment=self._deployment,
            api_version=self._api_version,
            api=self._api,
        )

    def copy_code(self, kind: CodeKind) -> None:
        """Puts the exact `kind` code on the clipboard and says so on its button."""
        QApplication.clipboard().setText(self.exact_code(kind))
        self.copy_buttons[kind].setText("Copied")
        self._copy_timers[kind].start()
        self.code_copied.emit(kind)

    def current_kind(self) -> CodeKind:
        """The kind of the tab shown."""
        return CODE_KINDS[max(self.tabs.currentIndex(), 0)][0]

    def show_kind(self, kind: CodeKind) -> None:
        """Switches to the `kind` tab."""
        self.tabs.setCurrentIndex([k for k, _, _ in CODE_KINDS].index(kind))

    # -- internals -------------------------------------------------------------------------------

    def _on_stream_toggled(self, _checked: bool) -> None:
        self._regenerate()

    def _regenerate(self) -> None:
        views = code_views(
            self._request,
            base_url=self._base_url,
            stream=self.stream(),
            azure=self._azure,
            deployment=self._deployment,
            api_version=self._api_version,
            api=self._api,
        )
        self._views = views
        self.editors["python"].set_code(views.python)
        self.editors["curl"].set_code(views.curl)
        self.editors["json"].set_code(views.json)
        self.note_label.setText(views.note)
        self.note_label.setVisible(bool(views.note))

    def _style_labels(self) -> None:
        muted = _muted_color(self).name()
        for label in self._muted_labels:
            label.setStyleSheet(f"color: {muted}")
        self._key_icon.setPixmap(icon("key").pixmap(16, 16))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if getattr(self, "_views", None) is not None and event.type() in (
            QEvent.Type.PaletteChange,
            QEvent.Type.ApplicationPaletteChange,
        ):
            self._style_labels()
            for button in self.copy_buttons.values():
                button.setIcon(icon("copy"))


# --- Paste a request ---------------------------------------------------------------------------


_PLACEHOLDER: Final = """Paste a curl command or a JSON request body, for example:

curl https://api.openai.com/v1/chat/completions \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer $OPENAI_API_KEY" \\
  -d '{
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Hello!"}]
  }'"""


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def _short_value(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else f"{value:,}"
    if isinstance(value, str):
        return value if len(value) <= 24 else value[:21] + "…"
    if isinstance(value, list):
        return f"{len(value)}"
    return "set"


def summarize(parsed: ParsedRequest) -> list[str]:
    """What Apply will fill in, as short plain-language items ([] when there is no request).

    The first item names the model, then the messages, images, parameters and the server the text
    sends to, if it names one.
    """
    request = parsed.request
    if request is None:
        return []
    items = [f"model {request.model}" if request.model else "no model given"]
    if request.messages:
        roles = Counter(m.role for m in request.messages)
        detail = ", ".join(f"{n} {role}" for role, n in roles.items())
        items.append(f"{_plural(len(request.messages), 'message')} ({detail})")
    else:
        items.append("no messages")
    images = sum(len(m.images) for m in request.messages)
    if images:
        items.append(_plural(images, "image"))
    if parsed.api == "responses":
        items.append("API Responses")
    params = chat_params_to_dict(request, include_model=False)
    if isinstance(request, ResponsesRequest):
        params.update(
            (k, getattr(request, k))
            for k in ("reasoning_summary", "verbosity", "service_tier")
            if getattr(request, k)
        )
        if request.builtin_tools:
            params["built-in tools"] = ", ".join(t.kind for t in request.builtin_tools)
        if request.prompt_cache_key:
            params["prompt cache key"] = request.prompt_cache_key
        if request.prompt_cache_ttl:
            ttl = request.prompt_cache_ttl
            params["cache lifetime"] = {"30m": "30 minutes", "12h": "12 hours"}.get(ttl, ttl)
    if params:
        shown = ", ".join(f"{k.replace('_', ' ')} {_short_value(v)}" for k, v in params.items())
        items.append(f"parameters: {shown}")
    else:
        items.append("no parameters (the defaults)")
    if parsed.azure and parsed.deployment:
        items.append(f"Azure deployment {parsed.deployment}")
    elif parsed.base_url:
        items.append(f"server {parsed.base_url}")
    return items


def _not_sent(parsed: ParsedRequest) -> list[str]:
    """What the pasted request sets that its model (at its effort) does not take: kept in the
    panel, greyed, but never sent. Said, never dropped silently."""
    request = parsed.request
    if request is None or not request.model:
        return []
    if parsed.api == "responses":
        return responses_omitted(request)
    return request.omitted()


class ImportRequestDialog(QDialog):
    """ "Paste a request": read a curl command or a JSON body, see what will be filled in, Apply.

    The paste is read again a moment after the user stops typing (`parse_request`, which never
    raises and drops any API key it finds). Problems, notes and ignored fields are listed in plain
    words; "Apply" is enabled whenever a request could be read, even with problems (the user sees
    them first). Nothing is applied here: the caller reads `parsed()` after `accepted`, or connects
    `request_applied`.

    Args:
        text: text to start with (for example the clipboard), read at once.
        parent: the parent widget.

    Signals:
        request_applied: the user pressed Apply. arg: the `ParsedRequest` (its `request` is set).
    """

    request_applied = Signal(object)

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importRequestDialog")
        self.setWindowTitle("Paste a request")
        self._parsed: ParsedRequest | None = None

        intro = QLabel(
            "Paste a curl command (for example from OpenAI's documentation) or a JSON request "
            "body. Its model, messages and settings replace the ones in the Chat tab."
        )
        intro.setWordWrap(True)

        self.text_edit = named(QPlainTextEdit(), "pasteEdit", "Request to read")
        self.text_edit.setToolTip(
            "Paste a curl command or a JSON body here. An API key in it is never kept."
        )
        self.text_edit.setFont(_mono_font())
        self.text_edit.setPlaceholderText(_PLACEHOLDER)
        self.text_edit.setTabChangesFocus(True)
        self.text_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)

        self.summary_label = wrapped_label("importSummary")
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.messages_label = wrapped_label("importMessages")
        self.messages_label.setTextFormat(Qt.TextFormat.RichText)
        self.messages_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.buttons = QDialogButtonBox()
        self.apply_button = self.buttons.addButton("Apply", QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setObjectName("applyButton")
        self.apply_button.setAccessibleName("Apply the pasted request")
        self.apply_button.setToolTip(
            "Fill the Chat tab with this model, these messages and settings"
        )
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("cancelButton")
        cancel.setAccessibleName("Cancel")
        cancel.setToolTip("Close without changing anything (Esc)")
        self.buttons.accepted.connect(self._on_apply)
        self.buttons.rejected.connect(self.reject)

        self._timer = single_shot(self, PARSE_DELAY_MS, self.refresh)
        self.text_edit.textChanged.connect(self._timer.start)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.text_edit, 1)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.messages_label)
        layout.addWidget(self.buttons)
        self.resize(720, 520)

        if text:
            self.text_edit.setPlainText(text)
        self.refresh()
        self.text_edit.setFocus()

    # -- public API ------------------------------------------------------------------------------

    def parsed(self) -> ParsedRequest | None:
        """What the text was read as, or None while there is no text."""
        return self._parsed

    def set_text(self, text: str) -> None:
        """Replaces the text and reads it at once."""
        self.text_edit.setPlainText(text)
        self.refresh()

    def refresh(self) -> None:
        """Reads the text now (normally done a moment after the last keystroke)."""
        self._timer.stop()
        text = self.text_edit.toPlainText()
        self._parsed = parse_request(text) if text.strip() else None
        self._show()

    # -- internals -------------------------------------------------------------------------------

    def _show(self) -> None:
        parsed = self._parsed
        self.apply_button.setEnabled(parsed is not None and parsed.request is not None)
        muted = _muted_color(self).name()
        if parsed is None:
            self.summary_label.setText("")
            self.summary_label.setVisible(False)
            self.messages_label.setText(
                f'<span style="color:{muted}">Nothing pasted yet. Tip: on a documentation '
                "page, use its copy button, then paste here with Ctrl+V.</span>"
            )
            return
        items = summarize(parsed)
        self.summary_label.setText(
            "<b>Apply fills in:</b> " + " · ".join(html.escape(i) for i in items) if items else ""
        )
        self.summary_label.setVisible(bool(items))
        self.messages_label.setText(self._messages_html(parsed))

    def _messages_html(self, parsed: ParsedRequest) -> str:
        bad = f"color:{_problem_color(self).name()}"
        muted = f"color:{_muted_color(self).name()}"
        lines: list[tuple[str, str]] = [("⚠ " + p, bad) for p in parsed.problems]
        if parsed.key_dropped:
            lines.append((KEY_DROPPED_TEXT, "font-weight:600"))
        for note in parsed.notes:
            # parse_request words the dropped key as a note too; it is said once, above.
            if parsed.key_dropped and "API key" in note and "dropped" in note:
                continue
            lines.append((note, muted))
        if parsed.ignored:
            lines.append(("Not taken: " + ", ".join(parsed.ignored) + ".", muted))
        dropped = _not_sent(parsed)
        if dropped:
            lines.append((f"Filled in but not sent to {parsed.request.model if parsed.request else 'this model'}: "
                          + ", ".join(dropped) + " (the model does not take them).", bad))  # fmt: skip
        if not lines and parsed.request is not None:
            lines.append(("✓ Everything in the text was understood.", muted))
        extra = len(lines) - MAX_MESSAGES
        if extra > 0:
            lines = [*lines[: MAX_MESSAGES - 1], (f"…and {extra + 1} more.", muted)]
        return "".join(f'<div style="{style}">{html.escape(text)}</div>' for text, style in lines)

    def _on_apply(self) -> None:
        if self._timer.isActive():
            self.refresh()
        parsed = self._parsed
        if parsed is None or parsed.request is None:
            return
        self.request_applied.emit(parsed)
        self.accept()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if hasattr(self, "_timer") and event.type() in (
            QEvent.Type.PaletteChange,
            QEvent.Type.ApplicationPaletteChange,
        ):
            self._show()


def _kept_text(request: ChatRequest) -> str:
    """What the code leaves to OpenAI with "Keep on OpenAI" as an OpenAI conversation."""
    if not isinstance(request, ResponsesRequest) or request.keep_as != "conversation":
        return ""
    if request.conversation:
        return (
            "Only the new message is in this request: it names the OpenAI conversation that "
            'holds the earlier turns ("conversation").'
        )
    return (
        "Before this request the app creates an OpenAI conversation holding the earlier turns "
        '(conversations.create) and names it in the request as "conversation".'
    )
