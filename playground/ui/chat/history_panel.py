"""The conversation list on the left of the Chat tab: search, new chat, open, rename, duplicate, delete.

A view over `core.history.ConversationSummary` rows: it never reads or writes the history itself. It
emits what the user asked for (`open_requested`, `rename_requested`, `delete_requested`...) and the
controller answers by calling `set_conversations`, `set_current` and `show_undo`.

Each row shows the title in bold (a conversation without one yet is "New chat"), then a muted line:
when it was last used ("2 h ago"), its model and how many messages it has. Search results add a
third line with the matching text, the matched words in bold. The conversation that is open has an
accent bar on its left; the selection is only the keyboard cursor.

Keyboard: Up/Down move through the list, Enter opens, F2 renames in place, Delete deletes; in the
search field Down moves into the list, Enter searches at once and moves into the list, Esc clears
the search. Ctrl+F is the tab's: it calls `focus_search`. Deleting shows a bar "Deleted “title”.
Undo" for `UNDO_SECONDS`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Final

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPalette,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.storage.history import ConversationSummary
from playground.ui.common.widgets import named, single_shot, wrapped_label

#: Pause after the last keystroke before `search_changed` is emitted.
SEARCH_DELAY_MS: Final = 250
#: How long the "Deleted … Undo" bar stays.
UNDO_SECONDS: Final = 10
#: Item data role carrying the row's `ConversationSummary`.
SUMMARY_ROLE: Final = Qt.ItemDataRole.UserRole + 1
NEW_CHAT_TITLE: Final = "New chat"

_PAD_X: Final = 10
_PAD_Y: Final = 6
_LINE_GAP: Final = 2
_ACCENT_WIDTH: Final = 3
_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
_Index = QModelIndex | QPersistentModelIndex


def relative_time(moment: datetime, now: datetime) -> str:
    """When something happened, as people say it: "just now", "5 min ago", "2 h ago", "yesterday",
    "3 days ago", then a date ("12 Mar", or "12 Mar 2024" in another year).

    Args:
        moment: the time (aware; a naive one is taken as local time).
        now: the current time (aware).
    """
    if moment.tzinfo is None:
        moment = moment.astimezone()
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "just now"  # also for a clock that is a little behind
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    local, today = moment.astimezone(), now.astimezone()
    days = (today.date() - local.date()).days
    if seconds < 6 * 3600 or days == 0:
        return f"{int(seconds // 3600)} h ago"
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    date = f"{local.day} {_MONTHS[local.month - 1]}"
    return date if local.year == today.year else f"{date} {local.year}"


def _mix(a: QColor, b: QColor, amount: float) -> QColor:
    """`a` moved `amount` of the way towards `b`."""
    return QColor(
        round(a.red() + (b.red() - a.red()) * amount),
        round(a.green() + (b.green() - a.green()) * amount),
        round(a.blue() + (b.blue() - a.blue()) * amount),
    )


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


class ConversationListModel(QAbstractListModel):
    """The rows of the list: one `ConversationSummary` each (read-only for the view)."""

    def __init__(self, clock: Callable[[], datetime], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ConversationSummary] = []
        self._clock = clock

    def set_rows(self, rows: Sequence[ConversationSummary]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def summary(self, row: int) -> ConversationSummary:
        return self._rows[row]

    def row_of(self, conversation_id: str | None) -> int:
        """The row of a conversation, or -1."""
        for row, summary in enumerate(self._rows):
            if summary.id == conversation_id:
                return row
        return -1

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        summary = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return summary.title or NEW_CHAT_TITLE
        if role == SUMMARY_ROLE:
            return summary
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(summary)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{summary.title or NEW_CHAT_TITLE}, {self.meta_text(summary)}"
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

    def setData(self, index: _Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Shows a new title at once (the controller confirms with `set_conversations`)."""
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or not isinstance(value, str):
            return False
        row = index.row()
        self._rows[row] = dataclasses.replace(self._rows[row], title=value)
        self.dataChanged.emit(index, index)
        return True

    def meta_text(self, summary: ConversationSummary) -> str:
        """The second line: "2 h ago · gpt-4o · 12 messages"."""
        parts = [relative_time(summary.last_used, self._clock())]
        if summary.model:
            parts.append(summary.model)
        parts.append(_plural(summary.message_count, "message"))
        return " · ".join(parts)

    def _tooltip(self, summary: ConversationSummary) -> str:
        lines = [summary.title or f"{NEW_CHAT_TITLE} (no title yet)"]
        if summary.preview and summary.preview != summary.title:
            lines.append(f"Starts with: {summary.preview}")
        lines.append(
            f"Last used {summary.last_used.astimezone():%Y-%m-%d %H:%M} · "
            f"{_plural(summary.message_count, 'message')}"
            + (f" · {summary.model}" if summary.model else "")
        )
        if summary.has_draft:
            lines.append("Has an unsent draft.")
        lines.append("Enter or click: open · F2: rename · Delete: delete")
        return "\n".join(lines)


class ConversationDelegate(QStyledItemDelegate):
    """Paints a row (bold title, muted details, highlighted snippet) and edits its title in place.

    Signals:
        title_edited: the user renamed a conversation in place. args: its id, the new title ("" to
            go back to the automatic title).
    """

    title_edited = Signal(str, str)

    def __init__(self, current: Callable[[], str | None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current = current

    # -- fonts and sizes --------------------------------------------------------------------------

    @staticmethod
    def _fonts(base: QFont) -> tuple[QFont, QFont, QFont]:
        title = QFont(base)
        title.setBold(True)
        small = QFont(base)
        if base.pointSizeF() > 0:
            small.setPointSizeF(base.pointSizeF() * 0.9)
        bold_small = QFont(small)
        bold_small.setBold(True)
        return title, small, bold_small

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        summary = index.data(SUMMARY_ROLE)
        title, small, _bold = self._fonts(option.font)
        lines = 2 if not isinstance(summary, ConversationSummary) or not summary.snippet else 3
        height = (
            2 * _PAD_Y
            + QFontMetrics(title).height()
            + (lines - 1) * (_LINE_GAP + QFontMetrics(small).height())
        )
        return QSize(200, height)

    # -- painting ---------------------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        summary = index.data(SUMMARY_ROLE)
        if not isinstance(summary, ConversationSummary):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        rect: QRect = opt.rect
        palette: QPalette = opt.palette
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        group = (
            QPalette.ColorGroup.Active
            if opt.state & QStyle.StateFlag.State_Active
            else QPalette.ColorGroup.Inactive
        )
        fg = palette.color(
            group,
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text,
        )
        bg = palette.color(
            group, QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Base
        )
        muted = _mix(fg, bg, 0.38)
        title_font, small, bold_small = self._fonts(opt.font)

        painter.save()
        if summary.id == self._current():
            accent = fg if selected else palette.color(group, QPalette.ColorRole.Highlight)
            painter.fillRect(
                QRect(rect.left() + 1, rect.top() + 4, _ACCENT_WIDTH, rect.height() - 8), accent
            )
        inner = rect.adjusted(_PAD_X, _PAD_Y, -_PAD_X, -_PAD_Y)
        y = inner.top()

        # Line 1: the title, and "draft" on the right when unsent text waits in it.
        title_metrics = QFontMetrics(title_font)
        right = inner.right()
        if summary.has_draft:
            small_metrics = QFontMetrics(small)
            tag = "draft"
            tag_width = small_metrics.horizontalAdvance(tag)
            painter.setFont(small)
            painter.setPen(muted)
            painter.drawText(
                QRect(right - tag_width, y, tag_width, title_metrics.height()),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                tag,
            )
            right -= tag_width + 8
        title = summary.title or NEW_CHAT_TITLE
        if not summary.title:
            title_font.setItalic(True)
            title_metrics = QFontMetrics(title_font)
        painter.setFont(title_font)
        painter.setPen(fg if summary.title else muted)
        width = max(0, right - inner.left())
        painter.drawText(
            QRect(inner.left(), y, width, title_metrics.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            title_metrics.elidedText(title, Qt.TextElideMode.ElideRight, width),
        )
        y += title_metrics.height() + _LINE_GAP

        # Line 2: when, model, how many messages.
        small_metrics = QFontMetrics(small)
        model = index.model()
        meta = model.meta_text(summary) if isinstance(model, ConversationListModel) else ""
        painter.setFont(small)
        painter.setPen(muted)
        painter.drawText(
            QRect(inner.left(), y, inner.width(), small_metrics.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            small_metrics.elidedText(meta, Qt.TextElideMode.ElideRight, inner.width()),
        )
        y += small_metrics.height() + _LINE_GAP

        # Line 3 (search results): the matching text, matched words in bold.
        if summary.snippet:
            line = QRect(inner.left(), y, inner.width(), small_metrics.height())
            _draw_highlighted(
                painter, line, summary.snippet, summary.highlights, small, bold_small, muted, fg
            )
        painter.restore()

    # -- editing the title in place ---------------------------------------------------------------

    def createEditor(
        self, parent: QWidget, _option: QStyleOptionViewItem, _index: _Index
    ) -> QWidget:
        editor = named(QLineEdit(parent), "conversationTitleEdit", "Conversation title")
        editor.setPlaceholderText("Empty: use the first message")
        editor.setToolTip(
            "Type a new title; Enter keeps it, Esc cancels. Leave it empty to go back to the "
            "first line of the first message."
        )
        return editor

    def setEditorData(self, editor: QWidget, index: _Index) -> None:
        summary = index.data(SUMMARY_ROLE)
        if isinstance(editor, QLineEdit) and isinstance(summary, ConversationSummary):
            editor.setText(summary.title)
            editor.selectAll()

    def setModelData(
        self, editor: QWidget, model: QAbstractListModel | object, index: _Index
    ) -> None:
        summary = index.data(SUMMARY_ROLE)
        if not isinstance(editor, QLineEdit) or not isinstance(summary, ConversationSummary):
            return
        title = " ".join(editor.text().split())
        if title == summary.title:
            return
        if isinstance(model, QAbstractListModel):
            model.setData(index, title, Qt.ItemDataRole.EditRole)
        self.title_edited.emit(summary.id, title)

    def updateEditorGeometry(
        self, editor: QWidget, option: QStyleOptionViewItem, _index: _Index
    ) -> None:
        rect: QRect = option.rect
        height = max(editor.sizeHint().height(), QFontMetrics(option.font).height() + 6)
        editor.setGeometry(
            QRect(rect.left() + _PAD_X - 4, rect.top() + 2, rect.width() - 2 * _PAD_X + 8, height)
        )


def _draw_highlighted(
    painter: QPainter,
    rect: QRect,
    text: str,
    spans: Sequence[tuple[int, int]],
    font: QFont,
    bold: QFont,
    color: QColor,
    bold_color: QColor,
) -> None:
    """Draws `text` on one line, the `spans` in bold, cut with "…" where it runs out of room."""
    segments: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted(spans):
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        if start > at:
            segments.append((text[at:start], False))
        segments.append((text[start:end], True))
        at = end
    if at < len(text):
        segments.append((text[at:], False))
    x = rect.left()
    flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    for segment, is_bold in segments:
        seg_font = bold if is_bold else font
        metrics = QFontMetrics(seg_font)
        room = rect.right() - x
        width = metrics.horizontalAdvance(segment)
        clipped = width > room
        if clipped:
            segment = metrics.elidedText(segment, Qt.TextElideMode.ElideRight, room)
            width = metrics.horizontalAdvance(segment)
        painter.setFont(seg_font)
        painter.setPen(bold_color if is_bold else color)
        painter.drawText(QRect(x, rect.top(), width + 1, rect.height()), flags, segment)
        x += width
        if clipped or x >= rect.right():
            break


class HistoryPanel(QWidget):
    """The list of saved conversations with search, and the actions on them.

    Signals:
        search_changed: the search text changed (after a short pause in typing). arg: the text,
            stripped ("" = list everything).
        open_requested: the user opened a conversation (click, Enter). arg: its id.
        new_requested: the user asked for a new, empty conversation.
        rename_requested: the user gave a conversation a title. args: its id, the title ("" = back
            to the automatic title).
        duplicate_requested: the user asked for a copy. arg: the conversation's id.
        delete_requested: the user deleted a conversation. arg: its id. Answer with `show_undo`.
        undo_delete_requested: the user clicked Undo after deleting. arg: the conversation's id.
        delete_on_openai_requested: the user asked to delete on OpenAI too what the deleted
            conversation kept there (`offer_delete_on_openai`). arg: the conversation's id.
            Answer with `show_delete_on_openai_result`.
    """

    search_changed = Signal(str)
    open_requested = Signal(str)
    new_requested = Signal()
    rename_requested = Signal(str, str)
    duplicate_requested = Signal(str)
    delete_requested = Signal(str)
    undo_delete_requested = Signal(str)
    delete_on_openai_requested = Signal(str)

    def __init__(
        self, parent: QWidget | None = None, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        """Builds the panel.

        Args:
            parent: the parent widget.
            clock: the current time, for "2 h ago" (tests pass a fixed one).
        """
        super().__init__(parent)
        self.setObjectName("historyPanel")
        self.setAccessibleName("Conversation history")
        self._clock = clock or (lambda: datetime.now(UTC))
        self._current_id: str | None = None
        self._undo_id: str | None = None
        self._emitted_search = ""

        self.search_edit = named(QLineEdit(), "historySearch", "Search conversations")
        self.search_edit.setPlaceholderText("Search conversations")
        self.search_edit.setToolTip(
            "Find conversations by title or by any word in their messages (Ctrl+F). "
            "Down or Enter moves into the results; Esc clears the search."
        )
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self._on_search_edited)
        self.search_edit.installEventFilter(self)
        self._search_timer = single_shot(self, SEARCH_DELAY_MS, self._emit_search)

        self.new_button = named(
            QPushButton("New chat"), "newChatButton", "New chat", "Start a new, empty conversation"
        )
        self.new_button.clicked.connect(self.new_requested)

        self.model = ConversationListModel(self._clock, self)
        self.delegate = ConversationDelegate(lambda: self._current_id, self)
        self.delegate.title_edited.connect(self.rename_requested)
        self.list_view = named(QListView(), "historyList", "Conversations")
        self.list_view.setToolTip("")  # each row has its own tooltip
        self.list_view.setModel(self.model)
        self.list_view.setItemDelegate(self.delegate)
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list_view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list_view.setUniformItemSizes(False)
        self.list_view.setMouseTracking(True)
        self.list_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list_view.customContextMenuRequested.connect(self._on_context_menu)
        self.list_view.clicked.connect(self._on_clicked)
        self.list_view.installEventFilter(self)
        selection = self.list_view.selectionModel()
        selection.currentChanged.connect(self._update_buttons)
        selection.selectionChanged.connect(self._update_buttons)

        # Said when the history cannot be written to disk (read-only or damaged file, no folder).
        self.session_only_label = wrapped_label(
            "historySessionOnly",
            "Kept for this session only: conversations are not saved to disk and are gone when "
            "the app closes.",
        )
        self.session_only_label.setVisible(False)
        self._session_only = False
        self.empty_label = QLabel()
        self.empty_label.setObjectName("historyEmpty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.empty_label.setMargin(12)
        self.empty_label.setFrameShape(QFrame.Shape.StyledPanel)  # looks like the empty list
        self.empty_label.setAutoFillBackground(True)
        self.empty_label.setBackgroundRole(QPalette.ColorRole.Base)
        self.stack = QStackedWidget()
        self.stack.setObjectName("historyStack")
        self.stack.addWidget(self.list_view)
        self.stack.addWidget(self.empty_label)

        self.open_action = self._action(
            "Open", "Open this conversation (Enter)", self._open_selected
        )
        self.rename_action = self._action(
            "Rename…", "Give this conversation a title (F2)", self.rename_selected, "F2"
        )
        self.duplicate_action = self._action(
            "Duplicate",
            "Make a copy of this conversation, to try another direction without losing this one",
            self._duplicate_selected,
        )
        self.delete_action = self._action(
            "Delete",
            "Delete this conversation (Delete). You can undo it for a few seconds.",
            self._delete_selected,
            QKeySequence(QKeySequence.StandardKey.Delete),
        )
        for action in (self.rename_action, self.delete_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            self.list_view.addAction(action)

        self.rename_button = self._button("renameConversationButton", "Rename", self.rename_action)
        self.duplicate_button = self._button(
            "duplicateConversationButton", "Duplicate", self.duplicate_action
        )
        self.delete_button = self._button("deleteConversationButton", "Delete", self.delete_action)

        self.undo_bar = QFrame()
        self.undo_bar.setObjectName("undoBar")
        self.undo_bar.setFrameShape(QFrame.Shape.StyledPanel)
        self.undo_bar.setAutoFillBackground(True)
        self.undo_bar.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self.undo_label = wrapped_label("undoLabel")
        self.undo_button = named(
            QPushButton("Undo"),
            "undoDeleteButton",
            "Undo delete",
            "Bring the deleted conversation back",
        )
        self.undo_button.clicked.connect(self._on_undo_clicked)
        self.undo_close_button = named(
            QToolButton(),
            "undoCloseButton",
            "Dismiss",
            "Hide this message (the conversation stays deleted)",
        )
        self.undo_close_button.setText("✕")
        self.undo_close_button.setAutoRaise(True)
        self.undo_close_button.clicked.connect(self.hide_undo)
        self.openai_delete_button = named(
            QPushButton("Also delete it on OpenAI"),
            "deleteOnOpenAIButton",
            "Also delete it on OpenAI",
            "This conversation was kept on OpenAI (“Keep on OpenAI”). Delete it there too; the "
            "copy in this app can still be brought back with Undo.",
        )
        self.openai_delete_button.clicked.connect(self._on_openai_delete_clicked)
        self.openai_delete_button.setVisible(False)
        self.openai_label = wrapped_label("deleteOnOpenAIResult")
        self.openai_label.setVisible(False)
        undo_box = QVBoxLayout(self.undo_bar)
        undo_box.setContentsMargins(8, 4, 4, 4)
        undo_layout = QHBoxLayout()
        undo_layout.addWidget(self.undo_label, 1)
        undo_layout.addWidget(self.undo_button)
        undo_layout.addWidget(self.undo_close_button)
        undo_box.addLayout(undo_layout)
        undo_box.addWidget(self.openai_delete_button, 0, Qt.AlignmentFlag.AlignLeft)
        undo_box.addWidget(self.openai_label)
        self._openai_id: str | None = None
        self.undo_bar.setVisible(False)
        self.undo_timer = single_shot(self, UNDO_SECONDS * 1000, self.hide_undo)

        # "5 min ago" must not go stale while the list sits there.
        self._tick = QTimer(self)
        self._tick.setInterval(60_000)
        self._tick.timeout.connect(self.list_view.viewport().update)
        self._tick.start()

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(6)
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.new_button)
        actions = QHBoxLayout()
        actions.setContentsMargins(0, 0, 0, 0)
        actions.setSpacing(4)
        actions.addWidget(self.rename_button)
        actions.addWidget(self.duplicate_button)
        actions.addWidget(self.delete_button)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.session_only_label)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.undo_bar)
        layout.addLayout(actions)
        self._show_empty_state()
        self._update_buttons()

    # -- slots ------------------------------------------------------------------------------------

    def set_conversations(
        self, conversations: Sequence[ConversationSummary], *, current_id: str | None = None
    ) -> None:
        """Shows these rows (the whole list, or search results for the text in the field).

        The keyboard selection stays on the same conversation when it is still listed; otherwise
        it goes to the open one.

        Args:
            conversations: the rows, in display order.
            current_id: the conversation open in the tab (marked), or None.
        """
        # Another conversation is open (New chat, or one opened): the selection follows it, and
        # with a new conversation not listed yet nothing stays highlighted.
        switched = current_id != self._current_id
        selected = None if switched else self.selected_id()
        scroll = self.list_view.verticalScrollBar().value()
        self._current_id = current_id
        self.model.set_rows(conversations)
        row = self.model.row_of(selected)
        if row < 0:
            row = self.model.row_of(current_id)
        if row >= 0:
            self.list_view.setCurrentIndex(self.model.index(row))
        else:
            self.list_view.clearSelection()
            self.list_view.setCurrentIndex(QModelIndex())
        self.list_view.verticalScrollBar().setValue(scroll)
        self._show_empty_state()
        self._update_buttons()

    def set_current(self, conversation_id: str | None) -> None:
        """Marks the open conversation (and moves the selection to it); emits nothing."""
        self._current_id = conversation_id
        row = self.model.row_of(conversation_id)
        if row >= 0:
            index = self.model.index(row)
            self.list_view.setCurrentIndex(index)
            self.list_view.scrollTo(index)
        self.list_view.viewport().update()

    def show_undo(self, conversation_id: str, title: str) -> None:
        """Shows "Deleted “title”. Undo" for `UNDO_SECONDS` (replacing an earlier one)."""
        self._undo_id = conversation_id
        shown = " ".join(title.split()) or NEW_CHAT_TITLE
        if len(shown) > 40:
            shown = shown[:39] + "…"
        self.undo_label.setText(f"Deleted “{shown}”.")
        self.undo_bar.setAccessibleName(f"Deleted {shown}. Undo")
        self.undo_bar.setVisible(True)
        self.undo_timer.start()
        self._openai_id = None
        self.openai_delete_button.setVisible(False)
        self.openai_label.setVisible(False)

    def offer_delete_on_openai(self, conversation_id: str) -> None:
        """Offers "Also delete it on OpenAI" in the bar of the conversation just deleted (it
        kept answers or a conversation there); the bar then stays until dismissed."""
        if conversation_id != self._undo_id:
            return
        self._openai_id = conversation_id
        self.undo_timer.stop()
        self.openai_delete_button.setEnabled(True)
        self.openai_delete_button.setVisible(True)
        self.openai_label.setVisible(False)

    def show_delete_on_openai_result(self, text: str) -> None:
        """The plain result line of "Also delete it on OpenAI" (done, or what went wrong)."""
        self.openai_delete_button.setVisible(False)
        self.openai_label.setText(text)
        self.openai_label.setVisible(True)
        self.undo_bar.setVisible(True)

    def _on_openai_delete_clicked(self) -> None:
        if self._openai_id is None:
            return
        self.openai_delete_button.setEnabled(False)
        self.openai_label.setText("Deleting on OpenAI…")
        self.openai_label.setVisible(True)
        self.delete_on_openai_requested.emit(self._openai_id)

    def hide_undo(self) -> None:
        """Hides the undo bar (the deletion stays)."""
        self.undo_timer.stop()
        self.undo_bar.setVisible(False)
        self._undo_id = None
        self._openai_id = None

    def focus_search(self) -> None:
        """Puts the cursor in the search field with its text selected (the tab's Ctrl+F)."""
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def rename_selected(self) -> None:
        """Starts editing the selected conversation's title in place (F2)."""
        index = self.list_view.currentIndex()
        if index.isValid():
            self.list_view.scrollTo(index)
            self.list_view.edit(index)

    # -- reading ----------------------------------------------------------------------------------

    def current_id(self) -> str | None:
        """The conversation marked as open."""
        return self._current_id

    def selected_id(self) -> str | None:
        """The conversation under the keyboard cursor, or None."""
        index = self.list_view.currentIndex()
        return self.model.summary(index.row()).id if index.isValid() else None

    def search_text(self) -> str:
        """The search text, stripped."""
        return self.search_edit.text().strip()

    # -- events -----------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if watched is self.list_view and self._list_key(event):
                return True
            if watched is self.search_edit and self._search_key(event):
                return True
        return super().eventFilter(watched, event)

    def _list_key(self, event: QKeyEvent) -> bool:
        if self.list_view.state() == QAbstractItemView.State.EditingState:
            return False
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._open_selected()
            return True
        return False

    def _search_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key == Qt.Key.Key_Down or key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self._search_timer.isActive():
                self._search_timer.stop()
                self._emit_search()
            self._focus_list()
            return True
        if key == Qt.Key.Key_Escape and self.search_edit.text():
            self.search_edit.clear()
            self._search_timer.stop()
            self._emit_search()
            return True
        return False

    # -- internals --------------------------------------------------------------------------------

    def _action(
        self,
        text: str,
        tip: str,
        slot: Callable[[], None],
        shortcut: str | QKeySequence | None = None,
    ) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def _button(self, name: str, text: str, action: QAction) -> QPushButton:
        button = named(QPushButton(text), name, f"{text} conversation", action.toolTip())
        button.clicked.connect(action.trigger)
        return button

    def _on_search_edited(self, _text: str) -> None:
        self._search_timer.start()

    def _emit_search(self) -> None:
        text = self.search_text()
        if text != self._emitted_search:
            self._emitted_search = text
            self.search_changed.emit(text)

    def _focus_list(self) -> None:
        self.list_view.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.list_view.currentIndex().isValid() and self.model.rowCount():
            self.list_view.setCurrentIndex(self.model.index(0))

    def _on_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self._open(self.model.summary(index.row()).id)

    def _open(self, conversation_id: str) -> None:
        if conversation_id != self._current_id:
            self.open_requested.emit(conversation_id)

    def _open_selected(self) -> None:
        selected = self.selected_id()
        if selected is not None:
            self._open(selected)

    def _duplicate_selected(self) -> None:
        selected = self.selected_id()
        if selected is not None:
            self.duplicate_requested.emit(selected)

    def _delete_selected(self) -> None:
        selected = self.selected_id()
        if selected is not None:
            self.delete_requested.emit(selected)

    def _on_undo_clicked(self) -> None:
        conversation_id = self._undo_id
        self.hide_undo()
        if conversation_id is not None:
            self.undo_delete_requested.emit(conversation_id)

    def context_menu_at(self, pos: QPoint) -> QMenu | None:
        """Selects the row at `pos` (viewport coordinates) and builds its menu; None off the rows."""
        index = self.list_view.indexAt(pos)
        if not index.isValid():
            return None
        self.list_view.setCurrentIndex(index)
        menu = QMenu(self)
        menu.setObjectName("historyContextMenu")
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for action in (self.open_action, self.rename_action, self.duplicate_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.delete_action)
        return menu

    def _on_context_menu(self, pos: QPoint) -> None:
        menu = self.context_menu_at(pos)
        if menu is not None:
            menu.popup(self.list_view.viewport().mapToGlobal(pos))

    def _update_buttons(self, *_args: object) -> None:
        has = self.list_view.currentIndex().isValid()
        for action in (
            self.open_action,
            self.rename_action,
            self.duplicate_action,
            self.delete_action,
        ):
            action.setEnabled(has)
        for button in (self.rename_button, self.duplicate_button, self.delete_button):
            button.setEnabled(has)

    def set_session_only(self, on: bool) -> None:
        """Says (or stops saying) that conversations are kept for this session only."""
        self.session_only_label.setVisible(on)
        self._session_only = on
        self._show_empty_state()

    def _show_empty_state(self) -> None:
        if self.model.rowCount():
            self.stack.setCurrentWidget(self.list_view)
            return
        query = self.search_text()
        if query:
            shown = query if len(query) <= 40 else query[:39] + "…"
            self.empty_label.setText(
                f"Nothing matches “{shown}”.\nTry fewer or other words, or clear the search (Esc)."
            )
        elif self._session_only:
            self.empty_label.setText("No conversations yet.\nThis session's chats are listed here.")
        else:
            self.empty_label.setText(
                "No saved conversations yet.\nYour chats are saved here as you go."
            )
        self.stack.setCurrentWidget(self.empty_label)
