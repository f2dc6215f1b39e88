"""What a Responses answer shows besides its text: the reasoning summary ("Thinking"), the built-in
tool steps (web search, file search, code interpreter, image generation, MCP) and the sources the
answer cites.

Each section is collapsed to one line and opens on click. An MCP approval request shows Approve and
Deny; the answer goes out as `approval_given(item_id, approve)`. These widgets are views: they
never send anything themselves.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.chat.builtin_tools import STEP_TITLES, Citation, ToolStep
from playground.core.money.formatting import format_cost
from playground.ui.common.widgets import wrapped_label

_STATUS_MARKS = {
    "completed": "✓",
    "failed": "✗",
    "incomplete": "…",
    "awaiting_approval": "?",
}
MAX_IMAGE_WIDTH = 360


class Collapsible(QFrame):
    """A one-line header (an arrow and a title) that shows or hides `body` when clicked."""

    def __init__(self, name: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.toggle = QToolButton()
        self.toggle.setObjectName(f"{name}Toggle")
        self.toggle.setAutoRaise(True)  # not checkable: an open section is not a pressed button
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setText(title)
        self.toggle.setAccessibleName(title)
        self.body = QWidget()
        self.body.setObjectName(f"{name}Body")
        self.body.setVisible(False)
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(22, 0, 4, 4)
        self.body_layout.setSpacing(4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.body)
        self._open = False
        self.toggle.clicked.connect(lambda: self.set_open(not self._open))

    def set_title(self, title: str) -> None:
        self.toggle.setText(title)
        self.toggle.setAccessibleName(title)

    def set_open(self, on: bool) -> None:
        self._open = on
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.toggle.setAccessibleDescription("open" if on else "closed")
        self.body.setVisible(on)

    @property
    def is_open(self) -> bool:
        return self._open


class ThinkingSection(Collapsible):
    """The reasoning summary, streamed in, collapsed to "Thinking" by default."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("thinking", "Thinking", parent)
        self.label = wrapped_label("thinkingText")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.label.font()
        font.setItalic(True)  # the model's thinking, not its answer
        self.label.setFont(font)
        self.body_layout.addWidget(self.label)
        self._parts: list[str] = []

    def append(self, text: str) -> None:
        self._parts.append(text)
        self.label.setText("".join(self._parts))

    def set_text(self, text: str) -> None:
        self._parts = [text]
        self.label.setText(text)

    def text(self) -> str:
        return "".join(self._parts)

    def set_streaming(self, on: bool) -> None:
        self.set_title("Thinking…" if on else "Thinking")


class StepWidget(Collapsible):
    """One built-in tool call: its summary on the header line, what it did when opened.

    Signals:
        approval_given: the user answered an MCP approval request. args: item id, approve.
        download_requested: Download on a file the code interpreter made. arg: its `Citation`.
    """

    approval_given = Signal(str, bool)
    download_requested = Signal(object)

    def __init__(self, step: ToolStep, parent: QWidget | None = None) -> None:
        super().__init__("toolStep", "", parent)
        self.step = step
        self.details = wrapped_label("stepDetails")
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setOpenExternalLinks(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.body_layout.addWidget(self.details)
        self.images = QLabel()
        self.images.setObjectName("stepImages")
        self.images.setVisible(False)
        self.body_layout.addWidget(self.images)
        self.files_box = QWidget()
        self.files_box.setObjectName("stepFiles")
        self._files_layout = QVBoxLayout(self.files_box)
        self._files_layout.setContentsMargins(0, 0, 0, 0)
        self._files_layout.setSpacing(2)
        self.files_box.setVisible(False)
        self.body_layout.addWidget(self.files_box)
        self.download_buttons: list[QPushButton] = []
        self._files: tuple[Citation, ...] = ()
        self.approve_button = QPushButton("Approve")
        self.approve_button.setObjectName("approveMcp")
        self.deny_button = QPushButton("Deny")
        self.deny_button.setObjectName("denyMcp")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(22, 0, 0, 4)
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.deny_button)
        buttons.addStretch(1)
        self.approval_row = QWidget()
        self.approval_row.setLayout(buttons)
        self.layout().addWidget(self.approval_row)  # type: ignore[union-attr]
        self.approve_button.clicked.connect(lambda: self._answer(True))
        self.deny_button.clicked.connect(lambda: self._answer(False))
        self.set_step(step)

    def set_step(self, step: ToolStep) -> None:
        self.step = step
        mark = _STATUS_MARKS.get(step.status, "…")
        title = STEP_TITLES.get(step.kind, step.kind)
        fee = f" · {format_cost(step.fee)}" if step.fee_checked and step.fee else ""
        self.set_title(f"{mark} {title}: {step.summary}{fee}")
        details = step_details_html(step)
        self.details.setText(details)
        self.details.setVisible(bool(details))
        pixmap = _pixmap(step.images[-1]) if step.images else None
        self.images.setVisible(pixmap is not None)
        if pixmap is not None:
            if pixmap.width() > MAX_IMAGE_WIDTH:
                pixmap = pixmap.scaledToWidth(
                    MAX_IMAGE_WIDTH, Qt.TransformationMode.SmoothTransformation
                )
            self.images.setPixmap(pixmap)
            self.set_open(True)  # a picture is what the user asked for: show it
        if step.files != self._files:
            self._show_files(step.files)
        awaiting = step.status == "awaiting_approval"
        self.approval_row.setVisible(awaiting)
        self.approve_button.setEnabled(awaiting)
        self.deny_button.setEnabled(awaiting)

    def _show_files(self, files: tuple[Citation, ...]) -> None:
        """A row per file the code interpreter made: its name and Download."""
        self._files = files
        while self._files_layout.count():
            item = self._files_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.download_buttons = []
        for file in files:
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            name = QLabel(f"<b>{html.escape(file.filename or 'A file')}</b>")
            name.setObjectName("stepFileName")
            name.setTextFormat(Qt.TextFormat.RichText)
            button = QPushButton("Download…")
            button.setObjectName("downloadStepFile")
            button.setAccessibleName(f"Download {file.filename}")
            button.setToolTip("Save the file the code made on this computer.")
            button.clicked.connect(lambda _=False, f=file: self.download_requested.emit(f))
            line.addWidget(name)
            line.addWidget(button)
            line.addStretch(1)
            self._files_layout.addWidget(row)
            self.download_buttons.append(button)
        self.files_box.setVisible(bool(files))
        if files:
            self.set_open(True)  # the files are what the user will want from this step

    def set_answered(self, approve: bool) -> None:
        """The user's answer was sent: the buttons go, the answer stays in words."""
        self.approval_row.setVisible(False)
        verdict = "approved" if approve else "denied"
        self.set_title(f"{_STATUS_MARKS['completed']} MCP approval: {verdict}, {self.step.summary}")

    def _answer(self, approve: bool) -> None:
        self.approve_button.setEnabled(False)
        self.deny_button.setEnabled(False)
        self.approval_given.emit(self.step.item_id, approve)


class StepsBox(QWidget):
    """The tool steps of one answer, in the order they ran.

    Signals:
        approval_given: args: item id, approve (from a step's Approve / Deny).
        download_requested: arg: the `Citation` of a file a step made (its Download).
    """

    approval_given = Signal(str, bool)
    download_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("toolSteps")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self.steps: list[StepWidget] = []

    def set_step(self, index: int, step: ToolStep) -> StepWidget:
        while len(self.steps) <= index:
            widget = StepWidget(step, self)
            widget.approval_given.connect(self.approval_given)
            widget.download_requested.connect(self.download_requested)
            self._layout.addWidget(widget)
            self.steps.append(widget)
        widget = self.steps[index]
        if widget.step != step:
            widget.set_step(step)
        return widget

    def set_steps(self, steps: Sequence[ToolStep]) -> None:
        for index, step in enumerate(steps):
            self.set_step(index, step)

    def step_for(self, item_id: str) -> StepWidget | None:
        return next((w for w in self.steps if w.step.item_id == item_id), None)


def citations_html(citations: Sequence[Citation]) -> str:
    """The sources under an answer: a numbered list of links (files by name)."""
    rows = []
    for n, citation in enumerate(_unique(citations), start=1):
        if citation.url:
            title = html.escape(citation.title or citation.url)
            url = html.escape(citation.url, quote=True)
            rows.append(f'{n}. <a href="{url}">{title}</a>')
        else:
            rows.append(f"{n}. {html.escape(citation.filename or citation.file_id)}")
    return "<b>Sources</b><br>" + "<br>".join(rows) if rows else ""


def text_with_citations(text: str, citations: Sequence[Citation]) -> str:
    """The answer's Markdown with a numbered link after each cited passage ("… [1]")."""
    unique = _unique(citations)
    numbers = {(c.url, c.file_id): n for n, c in enumerate(unique, start=1)}
    marks: list[tuple[int, str]] = []
    for citation in citations:
        end = citation.end_index
        if end is None or not 0 <= end <= len(text) or not citation.url:
            continue
        n = numbers[(citation.url, citation.file_id)]
        marks.append((end, f" [[{n}]]({citation.url})"))
    out = text
    for end, mark in sorted(set(marks), reverse=True):
        out = out[:end] + mark + out[end:]
    return out


def step_details_html(step: ToolStep) -> str:
    """What a step did, as rich text for its opened section."""
    mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()
    parts: list[str] = []
    if step.queries:
        parts.append(
            "<b>Searched for</b><br>" + "<br>".join(f"“{html.escape(q)}”" for q in step.queries)
        )
    if step.sources:
        links = (
            f'<a href="{html.escape(u, quote=True)}">{html.escape(u)}</a>' for u in step.sources
        )
        parts.append("<b>Read</b><br>" + "<br>".join(links))
    if step.hits:
        rows = []
        for hit in step.hits:
            score = "" if hit.score is None else f" · score {hit.score:.2f}"
            rows.append(
                f"<b>{html.escape(hit.filename or hit.file_id)}</b>{score}<br>"
                f"<i>{html.escape(_clip(hit.text, 300))}</i>"
            )
        parts.append("<b>Found</b><br>" + "<br>".join(rows))
    if step.server_label or step.tool_name:
        parts.append(
            f"<b>Server</b> {html.escape(step.server_label)} · "
            f"<b>tool</b> {html.escape(step.tool_name or '—')}"
        )
    if step.arguments:
        parts.append(_pre("Arguments", step.arguments, mono))
    if step.code:
        parts.append(_pre("Code", step.code, mono))
    if step.output:
        parts.append(_pre("Output", _clip(step.output, 4000), mono))
    if step.error:
        parts.append(f"<b>Error</b> {html.escape(step.error)}")
    if step.has_fee and step.fee_checked:
        parts.append(f"<b>Cost of this call</b> {html.escape(fee_text(step))}")
    if not parts and not step.images:
        parts.append("<i>No details yet.</i>" if not step.done else "<i>No details.</i>")
    return "<br>".join(parts)


def fee_text(step: ToolStep) -> str:
    """What a call with a fee of its own added to the answer's cost, in plain words."""
    if step.fee is None:
        return "— (the price data has no price for it; the answer's cost leaves it out)"
    return format_cost(step.fee)


def _pre(title: str, text: str, family: str) -> str:
    body = html.escape(text).replace("\n", "<br>").replace("  ", "&nbsp; ")
    return f"<b>{title}</b><br><span style=\"font-family:'{family}'\">{body}</span>"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unique(citations: Sequence[Citation]) -> list[Citation]:
    seen: set[tuple[str, str]] = set()
    out: list[Citation] = []
    for citation in citations:
        key = (citation.url, citation.file_id)
        if key not in seen:
            seen.add(key)
            out.append(citation)
    return out


def _pixmap(data: str) -> QPixmap | None:
    try:
        raw = base64.b64decode(data, validate=False)
    except ValueError:
        return None
    pixmap = QPixmap()
    return pixmap if pixmap.loadFromData(raw) else None
