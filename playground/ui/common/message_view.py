"""One chat message: rendered Markdown with copy buttons, a raw-text toggle and incremental streaming.

The body is a read-only QTextBrowser that grows to its content's height (no inner scroll bar), so a
conversation can stack one `MessageView` per turn in a scroll area.

Streaming never re-renders the whole message. The Markdown received so far is split with
`split_stable_prefix` into finished top-level blocks and an unfinished tail. Finished blocks are
rendered once and inserted at the end of the document with a cursor; only the tail (the last, still
growing block) is removed and rendered again on each fragment. `set_text` goes through the same
insertion code, so a streamed message and the same text set at once give the same document.

Two cases keep that cheap when the last block grows long. An open code fence is drawn as a frame
whose lines are added in place, so a fragment costs O(its own length); when the closing fence
arrives the block is finished and rendered once, fully highlighted, as a table. Any other last block
that took longer than `TAIL_BUDGET_MS` to render (a long table or list) is re-rendered on a short
timer instead of on every fragment; `flush()` renders it at once.

How HTML is inserted: `QTextCursor.insertFragment` merges the fragment's first block into the block
at the cursor, which would lose that block's format (a heading would become a plain paragraph). Each
fragment therefore starts with a one-character marker paragraph that takes the merge and is deleted
right after. Removing the tail merges the last removed block's format into the block where the tail
started, so that block's formats are saved before the tail goes in and restored after it is removed.
The document's first block is the merge target of the very first piece and stays empty: it is hidden.
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QEvent, QSizeF, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QFont,
    QFontDatabase,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocumentFragment,
    QTextFrameFormat,
    QTextLength,
    QTextOption,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.chat.markdown import (
    OpenFence,
    TokenStyle,
    highlight,
    markdown_colors,
    normalize_newlines,
    open_fence,
    render_code_header,
    render_markdown,
    split_stable_prefix,
)
from playground.ui.common.flow_row import FlowRow
from playground.ui.common.widgets import named
from playground.ui.shell.theme import icon, is_dark

# Takes the merge of a fragment's first block (see the module docstring); removed at once.
_MARKER = "\u2063"  # INVISIBLE SEPARATOR
_MARKER_HTML = f"<p>{_MARKER}</p>"

# Re-rendering the unfinished last block costs more as it grows; past this (a table or list of
# a few dozen rows), it is re-rendered a few times a second instead of on every fragment.
TAIL_BUDGET_MS = 8.0

_OPENABLE_SCHEMES = frozenset({"http", "https", "mailto"})
_COPIED_FEEDBACK_MS = 1200


class _AutoHeightBrowser(QTextBrowser):
    """A read-only rich-text view as tall as its document: it never scrolls itself."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setOpenLinks(False)
        self.document().setUndoRedoEnabled(False)  # the undo stack would keep every streamed edit
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self._fit_height(self.document().size())

    def _fit_height(self, size: QSizeF) -> None:
        margins = self.contentsMargins()
        height = math.ceil(size.height()) + margins.top() + margins.bottom()
        if height != self.height() or self.minimumHeight() != height:
            self.setFixedHeight(height)


class MessageView(QWidget):
    """One message of a conversation: role label, Copy, Raw, and the rendered Markdown.

    Slots the owner calls: `set_text` for a finished message, `append_stream` for each streamed
    fragment and `flush` when the stream ends, `set_raw` to show the Markdown source. The copy
    actions put raw text on the clipboard: the whole Markdown (header button) or one code block
    (its `Copy` link). The view follows the light/dark palette by itself.

    `full_renders`, `tail_renders` and `rendered_chars` count the work done, for tests and
    benchmarks: a full render rebuilds the document (set_text, Raw toggled, light/dark switched);
    a tail render replaces only the unfinished last block; `rendered_chars` adds up the length of
    the Markdown given to the renderer and of the code lines given to the highlighter.

    Signals:
        copied: text went to the clipboard. arg: what was copied ("message" or "code block <n>",
            counted from 1).
    """

    copied = Signal(str)

    def __init__(self, role: str = "Assistant", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageView")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

        self.role_label = QLabel(role)
        self.role_label.setObjectName("messageRole")
        font = self.role_label.font()
        font.setBold(True)
        self.role_label.setFont(font)

        self.copy_button = named(QToolButton(), "copyMessageButton", "Copy message")
        self.copy_button.setText("Copy")
        self.copy_button.setIcon(icon("copy"))
        self.copy_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.copy_button.setAutoRaise(True)
        self.copy_button.setToolTip("Copy the whole message as Markdown")

        self.raw_toggle = named(QToolButton(), "rawToggle", "Show raw Markdown")
        self.raw_toggle.setText("Raw")
        self.raw_toggle.setCheckable(True)
        self.raw_toggle.setAutoRaise(True)
        self.raw_toggle.setToolTip("Show the message as plain Markdown source")

        # The role (and what a turn puts beside it) on the left, the actions on the right; when
        # the message is narrow (large text) the actions wrap onto more lines, never cut.
        lead = QWidget()
        self._lead = QHBoxLayout(lead)
        self._lead.setContentsMargins(4, 0, 0, 0)
        self._lead.setSpacing(2)
        self._lead.addWidget(self.role_label)
        self.header_row = FlowRow(
            [lead, self.raw_toggle, self.copy_button], right_from=1, spacing=2, line_spacing=0
        )
        self.header_row.setObjectName("messageHeader")

        self.body = named(_AutoHeightBrowser(), "messageBody", "Message text")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header_row)
        layout.addWidget(self.body)
        self._layout = layout

        self.full_renders = 0
        self.tail_renders = 0
        self.rendered_chars = 0
        # A last block that took longer than this to render is re-rendered on a timer, not on
        # every fragment (tests set it to math.inf to make streaming synchronous).
        self.tail_budget_ms = TAIL_BUDGET_MS
        self._tail_cost_ms = 0.0
        self._tail_timer = QTimer(self)
        self._tail_timer.setSingleShot(True)
        self._tail_timer.timeout.connect(self._render_tail)

        self._parts: list[str] = []  # the raw Markdown, as received
        self._tail = ""  # the unfinished end of it, not yet rendered for good
        self._tail_start: int | None = None  # document position where the rendered tail starts
        self._tail_block_format = QTextBlockFormat()
        self._tail_char_format = QTextCharFormat()
        self._stable_code: list[str] = []
        self._tail_code: list[str] = []
        self._pending_cr = False  # a fragment ended in "\r": it may be half of "\r\n"
        # While the tail is an open code fence, its lines are added in place:
        self._fence: OpenFence | None = None  # what of it is in the document
        self._fence_code_start = 0  # document position of its first line
        self._code_block_format = QTextBlockFormat()
        self._code_base_format = QTextCharFormat()
        self._code_formats: dict[TokenStyle, QTextCharFormat] = {}
        self._dark = is_dark()
        self._raw_format = QTextCharFormat()
        self._raw_format.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))

        self.copy_button.clicked.connect(self.copy_message)
        self.raw_toggle.toggled.connect(self._on_raw_toggled)
        self.body.anchorClicked.connect(self._on_body_anchor_clicked)
        self._reset_document()

    def header_widgets(self) -> list[QWidget]:
        """The header's actions in order: the turn's actions, Raw and Copy."""
        return self.header_row.groups()[1:]

    def add_header_lead(self, widget: QWidget) -> None:
        """Puts `widget` in the header right of the role ("‹ 2/3 ›")."""
        self._lead.addWidget(widget)

    def add_header_widget(self, widget: QWidget, after: QWidget | None = None) -> None:
        """Puts a turn action (Edit, Regenerate…) in the header: right of `after` when given,
        else left of Raw and Copy."""
        groups = self.header_row.groups()
        at = groups.index(after) + 1 if after is not None else len(groups) - 2
        self.header_row.insert_group(at, widget)

    def insert_above_body(self, widget: QWidget, before: QWidget | None = None) -> None:
        """Puts `widget` between the header and the text (an answer's Thinking section and tool
        steps): above `before` when given, else below any put there before."""
        at = self._layout.indexOf(before) if before is not None else -1
        self._layout.insertWidget(at if at >= 0 else self._layout.indexOf(self.body), widget)

    # --- reading ----------------------------------------------------------------------------------

    def text(self) -> str:
        """The message's raw Markdown (newlines normalised to "\\n")."""
        if len(self._parts) > 1:
            self._parts[:] = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    def code_blocks(self) -> list[str]:
        """The raw code of each code block, in order (what its `Copy` link copies)."""
        return [*self._stable_code, *self._tail_code]

    def is_raw(self) -> bool:
        return self.raw_toggle.isChecked()

    # --- slots ------------------------------------------------------------------------------------

    def set_role(self, role: str) -> None:
        self.role_label.setText(role)

    def set_text(self, text: str) -> None:
        """Shows a finished message (one full render)."""
        text = normalize_newlines(text)
        self._parts = [text] if text else []
        self._pending_cr = False
        self._render_all()

    def append_stream(self, fragment: str) -> None:
        """Appends a streamed fragment; renders only what it changed (see the module docstring)."""
        fragment = self._normalize_fragment(fragment)
        if not fragment:
            return
        self._parts.append(fragment)
        if self.is_raw():
            cursor = QTextCursor(self.body.document())
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(fragment, self._raw_format)
            return
        # Only a new line, or the first character of one, can finish a block: skip the parse else.
        line_started = bool(self._tail) and not self._tail.endswith("\n")
        may_split = "\n" in fragment or not (
            line_started and self._tail.rpartition("\n")[2].strip()
        )
        self._tail += fragment
        if self._fence is not None:
            fence = self._fence.extend(fragment)
            if fence is not None:
                self._update_fence(fence)
                return
            # The fragment closed the code block: it is finished and rendered for good below.
        stable, tail = split_stable_prefix(self._tail) if may_split else ("", self._tail)
        if stable:
            self._remove_tail()
            self._insert_stable(stable)
            self._tail = tail
            self._render_tail()
        elif self._tail_cost_ms <= self.tail_budget_ms:
            self._render_tail()
        elif not self._tail_timer.isActive():
            # The last block is big (a long table or list): show its growth a few times a second
            # instead of on every fragment, keeping rendering to about a fifth of the time.
            self._tail_timer.start(round(min(max(4 * self._tail_cost_ms, 50), 400)))

    def flush(self) -> None:
        """Renders the last block now if a re-render is being held back (see `tail_budget_ms`).

        Call it when a stream ends; otherwise a timer does it within half a second.
        """
        if self._pending_cr:  # the stream ended on "\r": that was a newline after all
            self._pending_cr = False
            self.append_stream("\n")
        if self._tail_timer.isActive():
            self._render_tail()

    def set_raw(self, raw: bool) -> None:
        """Shows the Markdown source (True) or the rendered message (False)."""
        self.raw_toggle.setChecked(raw)  # re-renders through `toggled` if it changed

    def copy_message(self) -> None:
        """Puts the whole message's Markdown on the clipboard."""
        QApplication.clipboard().setText(self.text())
        self.copy_button.setText("Copied")
        QTimer.singleShot(_COPIED_FEEDBACK_MS, self, self._restore_copy_label)
        self.copied.emit("message")

    def copy_code_block(self, index: int) -> None:
        """Puts the raw code of code block `index` (from 0) on the clipboard."""
        blocks = self.code_blocks()
        if 0 <= index < len(blocks):
            QApplication.clipboard().setText(blocks[index])
            self.copied.emit(f"code block {index + 1}")

    # --- Qt overrides -----------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        palette_events = (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)
        if event.type() in palette_events and is_dark() != self._dark:
            self.copy_button.setIcon(icon("copy"))
            self._render_all()

    # --- internals --------------------------------------------------------------------------------

    def _normalize_fragment(self, fragment: str) -> str:
        """Turns "\\r\\n" and "\\r" into "\\n", also when a "\\r\\n" pair comes in two fragments."""
        if self._pending_cr:
            fragment = "\r" + fragment
            self._pending_cr = False
        if fragment.endswith("\r"):
            self._pending_cr = True
            fragment = fragment[:-1]
        return normalize_newlines(fragment)

    def _on_raw_toggled(self, _raw: bool) -> None:
        self._render_all()

    def _restore_copy_label(self) -> None:
        self.copy_button.setText("Copy")

    def _on_body_anchor_clicked(self, url: QUrl) -> None:
        if url.scheme() == "copy":
            index = url.path()
            if index.isdigit():
                self.copy_code_block(int(index))
        elif url.scheme().lower() in _OPENABLE_SCHEMES:
            QDesktopServices.openUrl(url)

    def _reset_document(self) -> None:
        document = self.body.document()
        document.clear()
        document.firstBlock().setVisible(False)  # only ever the merge target of the first piece
        self._tail_timer.stop()
        self._tail_cost_ms = 0.0
        self._tail = ""
        self._tail_start = None
        self._fence = None
        self._stable_code = []
        self._tail_code = []

    def _render_all(self) -> None:
        """Rebuilds the document from the whole text (the same insertion steps as streaming)."""
        self.full_renders += 1
        self._dark = is_dark()
        self._reset_document()
        text = self.text()
        if self.is_raw():
            self.body.document().firstBlock().setVisible(True)
            cursor = QTextCursor(self.body.document())
            cursor.insertText(text, self._raw_format)
            return
        stable, tail = split_stable_prefix(text)
        if stable:
            self._insert_stable(stable)
        self._tail = tail
        self._render_tail()

    def _insert_stable(self, markdown: str) -> None:
        rendered = render_markdown(
            markdown, dark=self._dark, code_index_start=len(self._stable_code)
        )
        self.rendered_chars += len(markdown)
        self._stable_code.extend(rendered.code_blocks)
        self._insert_html(rendered.html)

    def _render_tail(self) -> None:
        self._tail_timer.stop()
        self._remove_tail()
        self._tail_cost_ms = 0.0
        if not self._tail.strip():
            return
        self.tail_renders += 1
        started = time.perf_counter()
        cursor = QTextCursor(self.body.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        self._tail_block_format = cursor.blockFormat()
        self._tail_char_format = cursor.blockCharFormat()
        fence = open_fence(self._tail)
        if fence is not None:
            self._start_fence(fence)
            return
        rendered = render_markdown(
            self._tail, dark=self._dark, code_index_start=len(self._stable_code)
        )
        self.rendered_chars += len(self._tail)
        self._tail_code = rendered.code_blocks
        self._tail_start = self._insert_html(rendered.html)
        self._tail_cost_ms = (time.perf_counter() - started) * 1000

    def _remove_tail(self) -> None:
        self._fence = None
        self._tail_code = []
        if self._tail_start is None:
            return
        cursor = QTextCursor(self.body.document())
        cursor.setPosition(self._tail_start)
        visible = cursor.block().isVisible()
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        # The removal merged the last removed block's format (and visibility) into this block: put
        # its own back.
        cursor.setBlockFormat(self._tail_block_format)
        cursor.setBlockCharFormat(self._tail_char_format)
        if cursor.block().isVisible() != visible:
            cursor.block().setVisible(visible)
            self.body.document().markContentsDirty(cursor.block().position(), 1)
        self._tail_start = None

    def _insert_html(self, html: str) -> int:
        """Inserts `html` at the end of the document; returns the position where it starts."""
        cursor = QTextCursor(self.body.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        start = cursor.position()
        cursor.insertFragment(QTextDocumentFragment.fromHtml(_MARKER_HTML + html.strip()))
        cursor.setPosition(start)
        cursor.movePosition(
            QTextCursor.MoveOperation.NextCharacter, QTextCursor.MoveMode.KeepAnchor
        )
        if cursor.selectedText() == _MARKER:
            cursor.removeSelectedText()
        return start

    # --- a code block that is still streaming -------------------------------------------------------

    def _start_fence(self, fence: OpenFence) -> None:
        """Draws an open code block as a frame; its lines then stream in place (`_update_fence`).

        A finished code block is a table (from `render_code_block`), but Qt lays out a whole table
        again on every edit inside it, which grows with the block. A frame is laid out only where it
        changed, so a streaming block is a frame with the same header table (`render_code_header`,
        whose Copy link copies the code so far) over the code lines. When the closing fence
        arrives, the frame is replaced by the finished table, highlighted in one pass.
        """
        colors = markdown_colors(self._dark)
        cursor = QTextCursor(self.body.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        self._tail_start = cursor.position()
        frame_format = QTextFrameFormat()
        frame_format.setBackground(QColor(colors.code_bg))
        frame_format.setBorder(1)
        frame_format.setBorderBrush(QColor(colors.code_border))
        frame_format.setBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
        frame_format.setPadding(0)
        frame_format.setTopMargin(6)
        frame_format.setBottomMargin(6)
        frame_format.setWidth(QTextLength(QTextLength.Type.PercentageLength, 100))
        cursor.insertFrame(frame_format)

        # The frame's first block stays empty above the header table: hide it.
        cursor.block().setVisible(False)
        header = render_code_header(fence.language, dark=self._dark, index=len(self._stable_code))
        cursor.insertFragment(QTextDocumentFragment.fromHtml(header))

        self._code_block_format = QTextBlockFormat()
        self._code_block_format.setLeftMargin(8)
        self._code_block_format.setRightMargin(8)
        self._code_block_format.setTopMargin(0)
        self._code_base_format = QTextCharFormat()
        self._code_base_format.setFontFamilies(["monospace"])  # what Qt's <pre> uses
        self._code_base_format.setFontFixedPitch(True)
        self._code_formats = {}
        cursor.setBlockFormat(self._code_block_format)  # the block after the header table
        cursor.setBlockCharFormat(self._code_base_format)
        self._fence_code_start = cursor.position()
        # Space between header and code, as the finished block's cell padding. (A block right
        # after a table loses its top margin, so the table gets a bottom margin instead.)
        cursor.movePosition(QTextCursor.MoveOperation.PreviousBlock)
        table = cursor.currentTable()
        if table is not None:
            table_format = table.format()
            table_format.setBottomMargin(8)
            table.setFormat(table_format)
        self._fence = OpenFence(fence.language, "", "", fence.marker, fence.indent)
        self._update_fence(fence)

    def _update_fence(self, fence: OpenFence) -> None:
        """Adds what is new in an open code block: the lines that completed, highlighted, then the
        unfinished line as plain text. Costs O(new text), however long the block already is."""
        old = self._fence
        assert old is not None
        cursor = QTextCursor(self.body.document())
        cursor.beginEditBlock()  # one layout pass for the whole update
        cursor.setPosition(self._fence_code_start + len(old.code))
        end = cursor.position() + len(old.partial)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        new_lines = fence.code[len(old.code) :]
        for text, style in highlight(new_lines, fence.language, dark=self._dark):
            self._insert_code(cursor, text, self._code_format(style))
        self._insert_code(cursor, fence.partial, self._code_base_format)
        cursor.endEditBlock()
        self.rendered_chars += len(new_lines)  # the unfinished line is plain text, not rendered
        self._fence = fence
        self._tail_code = [fence.text.removesuffix("\n")]

    def _insert_code(self, cursor: QTextCursor, text: str, fmt: QTextCharFormat) -> None:
        for number, line in enumerate(text.split("\n")):
            if number:
                cursor.insertBlock(self._code_block_format, self._code_base_format)
            if line:
                cursor.insertText(line, fmt)

    def _code_format(self, style: TokenStyle) -> QTextCharFormat:
        fmt = self._code_formats.get(style)
        if fmt is None:
            fmt = QTextCharFormat(self._code_base_format)
            if style.color:
                fmt.setForeground(QColor(style.color))
            if style.bold:
                fmt.setFontWeight(QFont.Weight.Bold)
            if style.italic:
                fmt.setFontItalic(True)
            self._code_formats[style] = fmt
        return fmt
