"""The Dataset doctor's "From Chat conversations…" dialog: tick saved conversations, then the
answers of each to learn from. A view: it shows what the controller gives it and says what the
user picked."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.platform.from_chat import AnswerTurn
from playground.core.storage.history import ConversationSummary
from playground.ui.common.widgets import named, side_by_side, wrapped_label

ID_ROLE = Qt.ItemDataRole.UserRole


class FromChatDialog(QDialog):
    """Pick conversations and their answers.

    Signals:
        conversation_opened: the user looks at a conversation's answers. arg: its id.
        build_requested: Build was clicked (read `picked()`).
    """

    conversation_opened = Signal(str)
    build_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fromChatDialog")
        self.setWindowTitle("Build a dataset from Chat conversations")
        self._turns: dict[str, set[int]] = {}  # answers unticked by hand, per conversation
        self._shown = ""
        self.conversations = named(
            QListWidget(), "fromChatConversations", "Saved Chat conversations"
        )
        self.conversations.currentItemChanged.connect(self._on_current)
        self.conversations.itemChanged.connect(lambda _item: self._update())
        self.turns = named(QListWidget(), "fromChatTurns", "The conversation's answers")
        self.turns.setWordWrap(True)
        self.turns.itemChanged.connect(self._on_turn_changed)
        self.turns_title = wrapped_label("fromChatTurnsTitle", "Click a conversation to see it.")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("<b>Conversations</b> (tick the ones to use)"))
        left_layout.addWidget(self.conversations, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.turns_title)
        right_layout.addWidget(self.turns, 1)
        self.summary = wrapped_label("fromChatSummary")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.build_button = named(
            QPushButton("Build dataset…"),
            "fromChatBuild",
            "Build the dataset",
            "Save the ticked answers as a JSONL training file and check it",
        )
        self.buttons.addButton(self.build_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.build_button.clicked.connect(self.build_requested)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            wrapped_label(
                "fromChatIntro",
                "Each ticked answer becomes one example: the conversation up to that answer, "
                "with its system prompt. Earlier answers stay as context and are not learned "
                "twice.",
            )
        )
        layout.addWidget(
            side_by_side([(left, 2), (right, 3)], name="fromChatSplitter", sizes=(300, 460)), 1
        )
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self.resize(820, 520)
        self._update()

    def set_conversations(self, conversations: list[ConversationSummary]) -> None:
        self.conversations.blockSignals(True)
        self.conversations.clear()
        for summary in conversations:
            when = summary.last_used.strftime("%Y-%m-%d")
            title = summary.title or summary.preview or "Untitled"
            item = QListWidgetItem(f"{title}\n{when} · {summary.message_count} messages")
            item.setData(ID_ROLE, summary.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.conversations.addItem(item)
        self.conversations.blockSignals(False)
        if not conversations:
            self.turns_title.setText(
                "No saved conversations yet: chat in the Chat tab first, then come back."
            )
        self._update()

    def show_turns(self, conversation_id: str, turns: list[AnswerTurn]) -> None:
        """The answers of the conversation being looked at (ticked unless unticked before)."""
        if conversation_id != self._shown:
            return
        off = self._turns.get(conversation_id, set())
        self.turns.blockSignals(True)
        self.turns.clear()
        for turn in turns:
            item = QListWidgetItem(turn.text)
            item.setData(ID_ROLE, turn.index)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = turn.index not in off
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.turns.addItem(item)
        self.turns.blockSignals(False)
        self.turns_title.setText(
            f"{len(turns)} answer{'s' if len(turns) != 1 else ''} (untick the ones not to learn)"
            if turns
            else "This conversation has no answer to learn from."
        )

    def picked(self) -> list[tuple[str, set[int]]]:
        """Ticked conversations, each with the answers unticked by hand (empty: every answer)."""
        picked = []
        for row in range(self.conversations.count()):
            item = self.conversations.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                conversation_id = str(item.data(ID_ROLE))
                picked.append((conversation_id, set(self._turns.get(conversation_id, set()))))
        return picked

    def set_conversation_checked(self, conversation_id: str, checked: bool) -> None:
        for row in range(self.conversations.count()):
            item = self.conversations.item(row)
            if item.data(ID_ROLE) == conversation_id:
                state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
                item.setCheckState(state)

    def open_conversation(self, conversation_id: str) -> None:
        for row in range(self.conversations.count()):
            if self.conversations.item(row).data(ID_ROLE) == conversation_id:
                self.conversations.setCurrentRow(row)

    def set_turn_checked(self, index: int, checked: bool) -> None:
        for row in range(self.turns.count()):
            item = self.turns.item(row)
            if item.data(ID_ROLE) == index:
                state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
                item.setCheckState(state)

    def set_info(self, text: str) -> None:
        self.summary.setText(text)

    # -- internals -----------------------------------------------------------------------------

    def _on_current(self, current: QListWidgetItem | None, _previous: object) -> None:
        if current is None:
            return
        self._shown = str(current.data(ID_ROLE))
        self.turns.clear()
        self.turns_title.setText("Reading the conversation…")
        self.conversation_opened.emit(self._shown)

    def _on_turn_changed(self, item: QListWidgetItem) -> None:
        off = self._turns.setdefault(self._shown, set())
        index = int(item.data(ID_ROLE))
        if item.checkState() == Qt.CheckState.Checked:
            off.discard(index)
        else:
            off.add(index)
        self._update()

    def _update(self) -> None:
        count = len(self.picked())
        self.build_button.setEnabled(count > 0)
        self.summary.setText(
            f"{count} conversation{'s' if count != 1 else ''} ticked."
            if count
            else "Tick at least one conversation."
        )
