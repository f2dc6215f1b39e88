"""The conversation as a column of turns, each editable in place (few-shot examples are turns too).

Every turn can be edited, switched between user and assistant, moved, deleted, copied, forked from,
and (for answers) regenerated. An answer streams into its turn incrementally (`MessageView`); the
other turns are never re-rendered while it does. The view holds no conversation state of its own:
the controller rebuilds or updates turns through the slots below and reacts to the signals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar, overload

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.chat.builtin_tools import Citation, ToolStep
from playground.core.chat.context import is_compaction, read_compaction
from playground.core.chat.service import TokenLogprob
from playground.core.models import ImagePart, Message, Role, ToolCall
from playground.ui.chat.logprobs_view import LogprobsView
from playground.ui.chat.steps_view import (
    StepsBox,
    ThinkingSection,
    citations_html,
    text_with_citations,
)
from playground.ui.common.message_view import MessageView
from playground.ui.common.moderation_badge import ModerationBadge
from playground.ui.common.widgets import named, single_shot, wrapped_label
from playground.ui.shell.theme import icon, is_dark

ROLE_TITLES = {
    "user": "You",
    "assistant": "Assistant",
    "system": "System",
    "developer": "Developer",
    "tool": "Tool",
}


@dataclass(frozen=True, slots=True)
class TurnInfo:
    """What a turn shows besides its text: the line of numbers under an answer, and its state."""

    meta: str = ""
    status: str = ""  # "", "streaming", "stopped", "error"
    error: str = ""
    moderation: tuple[str, str, str] | None = None  # a kept check's badge: state, text, tooltip
    answers: tuple[int, int] = (0, 1)  # which of the answers Regenerate kept is shown, of how many
    reasoning: str = ""  # a kept answer's reasoning summary ("Thinking")
    steps: tuple[ToolStep, ...] = ()  # a kept answer's built-in tool steps
    citations: tuple[Citation, ...] = ()  # a kept answer's sources
    pinned: bool = False  # always sent, however long the conversation grows


COMPACTION_TITLE = "Compacted by OpenAI"
COMPACTION_TIP = (
    "OpenAI replaced the earlier turns with a compact form that only OpenAI can read, so it "
    "cannot be edited. The earlier turns stay here, greyed “not sent”. Delete this note to send "
    "them again. The Chat Completions API cannot use it: there the earlier turns are sent instead."
)

PIN_TEXT = "Pin: always send this turn"
UNPIN_TEXT = "Unpin"


def _tool_button(text: str, tip: str, name: str, icon_name: str = "") -> QToolButton:
    button = named(QToolButton(), name, tip)
    button.setText(text)
    button.setToolTip(tip)
    button.setAutoRaise(True)
    if icon_name:
        button.setIcon(icon(icon_name))
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    return button


_Part = TypeVar("_Part")


class _BuiltOnNeed(Generic[_Part]):
    """A part of a turn that `build` makes on first use.

    `build` makes the part with its siblings and keeps each in `_<name>` (None until then), so
    reading any of them builds the group once.
    """

    def __init__(self, build: Callable[[TurnWidget], None], doc: str = "") -> None:
        self._build = build
        self.__doc__ = doc

    def __set_name__(self, owner: type[TurnWidget], name: str) -> None:
        self._slot = f"_{name}"

    @overload
    def __get__(self, turn: None, owner: type[TurnWidget]) -> _BuiltOnNeed[_Part]: ...
    @overload
    def __get__(self, turn: TurnWidget, owner: type[TurnWidget]) -> _Part: ...
    def __get__(
        self, turn: TurnWidget | None, owner: type[TurnWidget]
    ) -> _Part | _BuiltOnNeed[_Part]:
        if turn is None:
            return self
        part: _Part | None = getattr(turn, self._slot)
        if part is None:
            self._build(turn)
            part = getattr(turn, self._slot)
        assert part is not None
        return part


class TurnWidget(QFrame):
    """One message with its actions.

    Signals:
        edit_committed: the text was edited. args: turn index, new text, resend (bool).
        role_toggled: switch user ⇄ assistant. arg: turn index.
        move_requested: args: turn index, -1 (up) or +1 (down).
        delete_requested: arg: turn index.
        regenerate_requested: arg: turn index (an answer).
        fork_requested: arg: turn index ("fork from here").
        lab_requested: "To Lab" on an answer (a Prompt Lab test case from it). arg: turn index.
        compare_requested: "Compare this": open Compare with the conversation up to this turn.
            arg: turn index.
        answer_selected: show another of the answers Regenerate kept. args: turn index, which.
        choice_selected: which of several answers continues the chat. args: turn index, choice index.
        tool_results_submitted: args: turn index, {tool_call_id: result text}.
        approval_given: an MCP approval request was answered. args: turn index, item id, approve.
    """

    approval_given = Signal(int, str, bool)
    download_requested = Signal(object)  # a file the code interpreter made (its `Citation`)
    edit_committed = Signal(int, str, bool)
    role_toggled = Signal(int)
    pin_toggled = Signal(int)
    move_requested = Signal(int, int)
    delete_requested = Signal(int)
    regenerate_requested = Signal(int)
    fork_requested = Signal(int)
    lab_requested = Signal(int)
    compare_requested = Signal(int)
    answer_selected = Signal(int, int)
    choice_selected = Signal(int, int)
    tool_results_submitted = Signal(int, dict)

    def __init__(
        self, index: int, message: Message, info: TurnInfo, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"turn{index}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.index = index
        self.message = message
        self._choices: list[MessageView] = []
        self._tool_inputs: dict[str, QPlainTextEdit] = {}
        # Built on first need (most turns never show them): a turn is built while the user waits
        # for the first token of an answer (bench/overhead.py), and 40 at once when a
        # conversation opens (bench/history.py).
        self._placed: list[str] = []  # the rows of `_ROWS` in the layout, in order
        self._editor: QPlainTextEdit | None = None
        self._edit_bar: QWidget | None = None
        self._save_button: QPushButton | None = None
        self._resend_button: QPushButton | None = None
        self._cancel_button: QPushButton | None = None
        self._images_label: QLabel | None = None
        self._tools_box: QWidget | None = None
        self._tools_layout: QVBoxLayout | None = None
        self._choices_tabs: QTabWidget | None = None
        self._use_choice_button: QPushButton | None = None
        self._logprobs_view: LogprobsView | None = None
        self._logprobs_button: QToolButton | None = None
        self._error_label: QLabel | None = None
        self._thinking: ThinkingSection | None = None
        self._steps: StepsBox | None = None
        self._citations_label: QLabel | None = None
        self._not_sent_label: QLabel | None = None
        self._pin_mark: QLabel | None = None
        self.pinned = False
        self._answers: tuple[int, int] = (0, 1)
        self._pager: QWidget | None = None  # "‹ 2/3 ›" when Regenerate kept other answers
        self._pager_label: QLabel | None = None
        self.is_compaction = False  # OpenAI's compacted form of earlier turns (not editable)

        self.view = MessageView(_role_title(message.role), self)
        self.view.set_text(_shown_text(message))

        self.edit_button = _tool_button("Edit", "Edit this message", "editTurn")
        # The less used actions wait in a menu: the header fits at large text sizes.
        self.more_button = _tool_button(
            "⋯", "More: switch user ⇄ assistant, move up or down, fork from here", "turnMore"
        )
        self._more_menu: QMenu | None = None
        self.lab_button = _tool_button(
            "To Lab",
            "Add to Prompt Lab: a test case from the question, with this answer as its reference",
            "labTurn",
        )
        self.regenerate_button = _tool_button(
            "Regenerate", "Ask for this answer again", "regenerateTurn", "refresh"
        )
        self.compare_button = _tool_button(
            "Compare",
            "Compare this answer side by side with other settings (opens Compare with the "
            "conversation up to here)",
            "compareTurn",
        )
        self.delete_button = _tool_button("", "Delete this message", "deleteTurn", "clear")
        self.delete_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        for button in (
            self.regenerate_button,
            self.compare_button,
            self.edit_button,
            self.lab_button,
            self.more_button,
            self.delete_button,
        ):
            self.view.add_header_widget(button)

        self.meta_label = QLabel()
        self.meta_label.setObjectName("turnMeta")
        self.meta_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta_label.setWordWrap(True)

        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(6, 4, 6, 4)
        self._layout.setSpacing(2)
        self._place("view", self.view)
        self._place("meta", self.meta_label)
        if message.images:
            self.images_label.setText(_images_text(message.images))
        # Visibility is set once every child has its parent: showing a parentless widget would
        # open it as a window of its own for a moment.
        self.regenerate_button.setVisible(message.role == "assistant")
        self.compare_button.setVisible(message.role == "assistant")
        self.lab_button.setVisible(message.role == "assistant")
        self.set_info(info)
        if message.tool_calls:
            self.show_tool_calls(message.tool_calls, awaiting=False)
        if is_compaction(message):
            self._show_as_compaction()

        self.edit_button.clicked.connect(self.start_edit)
        self.more_button.clicked.connect(self._show_more)
        self.delete_button.clicked.connect(lambda: self.delete_requested.emit(self.index))
        self.regenerate_button.clicked.connect(lambda: self.regenerate_requested.emit(self.index))
        self.compare_button.clicked.connect(lambda: self.compare_requested.emit(self.index))
        self.lab_button.clicked.connect(lambda: self.lab_requested.emit(self.index))

    def _show_as_compaction(self) -> None:
        """A compaction note: a small line of what was compacted, deletable but not editable
        (its content is encrypted), without the actions that make no sense for it."""
        self.is_compaction = True
        self.view.set_role(COMPACTION_TITLE)
        self.edit_button.setVisible(False)
        self.more_button.setVisible(False)
        self.delete_button.setToolTip("Delete this note: the earlier turns are sent again")
        self.setToolTip(COMPACTION_TIP)
        self.view.body.setToolTip(COMPACTION_TIP)
        font = self.view.body.font()
        font.setItalic(True)
        self.view.body.setFont(font)

    def set_not_sent(self, on: bool) -> None:
        """Greys the turn and marks it "not sent" (a long conversation left it out), or not."""
        label = self._not_sent_label
        if label is None:
            if not on:
                return
            label = self._not_sent_label = QLabel("not sent")
            label.setObjectName("turnNotSent")
            label.setEnabled(False)  # reads as a mark, not as one of the buttons beside it
            font = label.font()
            font.setItalic(True)
            label.setFont(font)
            label.setToolTip(
                "Left out of the last request: the conversation is longer than the model can "
                "read (see “Long conversations” in the Parameters panel)."
            )
            self.view.add_header_widget(label)
        label.setVisible(on)
        # Greyed as disabled text is; the turn's buttons (Edit, Delete…) keep working.
        self.view.body.setEnabled(not on)

    @property
    def not_sent(self) -> bool:
        """Whether the turn is marked "not sent"."""
        return self._not_sent_label is not None and not self._not_sent_label.isHidden()

    def more_menu(self) -> QMenu:
        """The "⋯" menu (built on first use): switch role, move up, move down, fork."""
        if self._more_menu is None:
            menu = QMenu(self.more_button)
            for name, text, slot in (
                ("roleToggle", "Switch user ⇄ assistant", lambda: self.role_toggled.emit(self.index)),
                ("moveUp", "Move up", lambda: self.move_requested.emit(self.index, -1)),
                ("moveDown", "Move down", lambda: self.move_requested.emit(self.index, 1)),
                ("forkTurn", "Fork: a new conversation from here", lambda: self.fork_requested.emit(self.index)),
                ("pinTurn", PIN_TEXT, lambda: self.pin_toggled.emit(self.index)),
            ):  # fmt: skip
                action = menu.addAction(text)
                action.setObjectName(name)
                action.triggered.connect(slot)
            self._more_menu = menu
        role = self.action("roleToggle", self._more_menu)
        role.setVisible(self.message.role in ("user", "assistant"))
        pin = self.action("pinTurn", self._more_menu)
        pin.setText(UNPIN_TEXT if self.pinned else PIN_TEXT)
        return self._more_menu

    def action(self, name: str, menu: QMenu | None = None) -> QAction:
        """One action of the "⋯" menu by name: roleToggle, moveUp, moveDown, forkTurn."""
        found = (menu or self.more_menu()).findChild(QAction, name)
        assert isinstance(found, QAction), name
        return found

    def _show_more(self) -> None:
        menu = self.more_menu()
        menu.popup(self.more_button.mapToGlobal(self.more_button.rect().bottomLeft()))

    def reuse(self, index: int, message: Message, info: TurnInfo) -> None:
        """Turns a spare (built ahead, empty, for `message`'s role) into turn `index`."""
        self.setObjectName(f"turn{index}")
        self.index = index
        self.message = message
        self.view.set_text(_shown_text(message))
        if message.images:
            self.images_label.setText(_images_text(message.images))
        self.set_info(info)
        if message.tool_calls:
            self.show_tool_calls(message.tool_calls, awaiting=False)

    # --- rows built on first need --------------------------------------------------------------

    def _place(self, row: str, widget: QWidget, alignment: Qt.AlignmentFlag | None = None) -> None:
        """Puts `widget` in the layout at `row`'s place in `_ROWS`, after the rows already built."""
        order = _ROWS.index(row)
        at = sum(1 for placed in self._placed if _ROWS.index(placed) < order)
        if alignment is None:
            self._layout.insertWidget(at, widget)
        else:
            self._layout.insertWidget(at, widget, 0, alignment)
        self._placed.insert(at, row)

    def _build_editor(self) -> None:
        editor = QPlainTextEdit()
        editor.setObjectName("turnEditor")
        editor.setVisible(False)
        self._save_button = QPushButton("Save")
        self._save_button.setObjectName("saveEdit")
        self._resend_button = QPushButton("Save and resend")
        self._resend_button.setObjectName("resendEdit")
        self._resend_button.setToolTip("Keep this message, drop everything after it and send again")
        self._cancel_button = QPushButton("Cancel")
        self._cancel_button.setObjectName("cancelEdit")
        edit_row = QHBoxLayout()
        edit_row.addStretch(1)
        edit_row.addWidget(self._cancel_button)
        edit_row.addWidget(self._save_button)
        edit_row.addWidget(self._resend_button)
        bar = QWidget()
        bar.setLayout(edit_row)
        bar.setVisible(False)
        self._editor, self._edit_bar = editor, bar
        self._place("editor", editor)
        self._place("edit_bar", bar)
        self._resend_button.setVisible(self.message.role == "user")
        self._cancel_button.clicked.connect(self.cancel_edit)
        self._save_button.clicked.connect(lambda: self._commit(resend=False))
        self._resend_button.clicked.connect(lambda: self._commit(resend=True))

    editor = _BuiltOnNeed[QPlainTextEdit](
        _build_editor, "The text box that replaces the message while it is edited."
    )
    edit_bar = _BuiltOnNeed[QWidget](_build_editor)
    save_button = _BuiltOnNeed[QPushButton](_build_editor)
    resend_button = _BuiltOnNeed[QPushButton](_build_editor)
    cancel_button = _BuiltOnNeed[QPushButton](_build_editor)

    @property
    def images_label(self) -> QLabel:
        """The line naming the message's images."""
        if self._images_label is None:
            label = QLabel()
            label.setObjectName("turnImages")
            self._images_label = label
            self._place("images", label)
        return self._images_label

    def _build_tools(self) -> None:
        box = QWidget()
        box.setObjectName("toolCalls")
        box.setVisible(False)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(8, 4, 8, 4)
        self._tools_box, self._tools_layout = box, layout
        self._place("tools", box)

    tools_box = _BuiltOnNeed[QWidget](
        _build_tools, "The functions the model asked for (`show_tool_calls`)."
    )
    tools_layout = _BuiltOnNeed[QVBoxLayout](_build_tools)

    @property
    def thinking(self) -> ThinkingSection:
        """The reasoning summary, above the answer's text (built on first need)."""
        if self._thinking is None:
            self._thinking = ThinkingSection()
            self.view.insert_above_body(self._thinking, before=self._steps)
        return self._thinking

    @property
    def steps(self) -> StepsBox:
        """The built-in tool steps, above the answer's text (built on first need)."""
        if self._steps is None:
            self._steps = StepsBox()
            self._steps.download_requested.connect(self.download_requested)
            self._steps.approval_given.connect(
                lambda item_id, approve: self.approval_given.emit(self.index, item_id, approve)
            )
            self.view.insert_above_body(self._steps)
        return self._steps

    @property
    def citations_label(self) -> QLabel:
        """The sources the answer cites, listed under it."""
        if self._citations_label is None:
            label = wrapped_label("turnCitations")
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setOpenExternalLinks(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
            self._citations_label = label
            self._place("citations", label)
        return self._citations_label

    def has_thinking(self) -> bool:
        return self._thinking is not None

    def append_reasoning(self, text: str) -> None:
        """A piece of the reasoning summary, as it streams."""
        self.thinking.append(text)
        self.thinking.set_streaming(True)

    def set_reasoning(self, text: str) -> None:
        """The whole reasoning summary (a finished answer); nothing is shown for ""."""
        if not text and self._thinking is None:
            return
        self.thinking.set_text(text)
        self.thinking.set_streaming(False)
        self.thinking.setVisible(bool(text))

    def set_step(self, index: int, step: ToolStep) -> None:
        """Shows (or updates) built-in tool step `index`."""
        self.steps.set_step(index, step)

    def set_steps(self, steps: tuple[ToolStep, ...]) -> None:
        if steps or self._steps is not None:
            self.steps.set_steps(steps)

    def set_citations(self, citations: tuple[Citation, ...], text: str) -> None:
        """Links each cited passage of `text` to its source and lists the sources under it."""
        if not citations:
            return
        linked = text_with_citations(text, citations)
        if linked != text:
            self.view.set_text(linked)
        self.citations_label.setText(citations_html(citations))

    def mark_approval(self, item_id: str, approve: bool) -> None:
        """The user's answer to an approval request was sent."""
        step = self._steps.step_for(item_id) if self._steps is not None else None
        if step is not None:
            step.set_answered(approve)

    def _build_choices(self) -> None:
        tabs = QTabWidget()
        tabs.setObjectName("answerChoices")
        tabs.setVisible(False)
        button = QPushButton("Continue with this answer")
        button.setObjectName("useChoice")
        button.setVisible(False)
        self._choices_tabs, self._use_choice_button = tabs, button
        self._place("choices", tabs)
        self._place("use_choice", button, Qt.AlignmentFlag.AlignRight)
        button.clicked.connect(lambda: self.choice_selected.emit(self.index, tabs.currentIndex()))

    choices_tabs = _BuiltOnNeed[QTabWidget](
        _build_choices, "One tab per answer when the request asked for several (n > 1)."
    )
    use_choice_button = _BuiltOnNeed[QPushButton](_build_choices)

    def _build_logprobs(self) -> None:
        view = LogprobsView(self)
        view.setVisible(False)
        button = _tool_button("Logprobs", "Colour each token by its probability", "logprobsToggle")
        button.setCheckable(True)
        button.setVisible(False)
        self._logprobs_view, self._logprobs_button = view, button
        self._place("logprobs", view)
        # In the header right after Delete, where it always was (a moderation badge comes later).
        self.view.add_header_widget(button, after=self.delete_button)
        button.toggled.connect(self._on_logprobs_toggled)

    logprobs_view = _BuiltOnNeed[LogprobsView](
        _build_logprobs,
        "Each token coloured by its probability (shown with the header's Logprobs button).",
    )
    logprobs_button = _BuiltOnNeed[QToolButton](_build_logprobs)

    @property
    def error_label(self) -> QLabel:
        """The answer's error or schema problems, in red."""
        if self._error_label is None:
            label = wrapped_label("turnError")
            label.setVisible(False)
            self._error_label = label
            self._place("error", label)
        return self._error_label

    # --- editing -------------------------------------------------------------------------------

    def start_edit(self) -> None:
        self.editor.setPlainText(self.message.content)
        self.editor.setFixedHeight(max(80, min(320, self.view.height())))
        self.view.body.setVisible(False)
        self.editor.setVisible(True)
        self.edit_bar.setVisible(True)
        self.editor.setFocus()

    def cancel_edit(self) -> None:
        if self._editor is not None and self._edit_bar is not None:
            self._editor.setVisible(False)
            self._edit_bar.setVisible(False)
        self.view.body.setVisible(True)

    def _commit(self, *, resend: bool) -> None:
        text = self.editor.toPlainText()
        self.cancel_edit()
        self.edit_committed.emit(self.index, text, resend)

    # --- streaming and results -----------------------------------------------------------------

    def append_stream(self, choice: int, fragment: str) -> None:
        if choice == 0 and not self._choices:
            self.view.append_stream(fragment)
            return
        self._ensure_choices(choice + 1)
        self._choices[choice].append_stream(fragment)

    def _ensure_choices(self, count: int) -> None:
        tabs = self.choices_tabs
        if not self._choices:
            # The first answer moves into the tabs once a second one appears.
            first = MessageView("Answer 1", tabs)
            first.set_text(self.view.text())
            self._choices.append(first)
            tabs.addTab(first, "Answer 1")
            self.view.body.setVisible(False)
            tabs.setVisible(True)
        while len(self._choices) < count:
            n = len(self._choices) + 1
            view = MessageView(f"Answer {n}", tabs)
            self._choices.append(view)
            tabs.addTab(view, f"Answer {n}")

    def show_choices(self, texts: list[str]) -> None:
        """Several answers (n > 1): one tab each, and a button to continue with the chosen one."""
        if len(texts) <= 1:
            return
        self._ensure_choices(len(texts))
        for view, text in zip(self._choices, texts, strict=False):
            view.set_text(text)
        self.use_choice_button.setVisible(True)

    def set_logprobs(self, tokens: list[TokenLogprob]) -> None:
        if not tokens and self._logprobs_view is None:
            return  # nothing to show, and nothing shown before
        self.logprobs_view.set_tokens(tokens)
        self.logprobs_button.setVisible(bool(tokens))

    def _on_logprobs_toggled(self, on: bool) -> None:
        self.logprobs_view.setVisible(on)
        self.logprobs_view.setMinimumHeight(160 if on else 0)

    def show_tool_calls(self, calls: tuple[ToolCall, ...], *, awaiting: bool) -> None:
        """The functions the model asked for; while `awaiting`, a box per call for its result."""
        if not calls and self._tools_box is None:
            return
        tools_layout = self.tools_layout
        while tools_layout.count():
            item = tools_layout.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()  # type: ignore[union-attr]
        self._tool_inputs.clear()
        for call in calls:
            label = QLabel(
                f"<b>Calls</b> <code>{call.name}</code>(<code>{_escape(call.arguments)}</code>)"
            )
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            tools_layout.addWidget(label)
            if awaiting:
                result = QPlainTextEdit()
                result.setObjectName(f"toolResult_{call.id}")
                result.setPlaceholderText(
                    f"Type what {call.name} returns (text or JSON), then Send results"
                )
                result.setFixedHeight(64)
                tools_layout.addWidget(result)
                self._tool_inputs[call.id] = result
        if awaiting:
            send = QPushButton(icon("send"), "Send results")
            send.setObjectName("sendToolResults")
            send.clicked.connect(self._submit_tool_results)
            tools_layout.addWidget(send, 0, Qt.AlignmentFlag.AlignRight)
        self.tools_box.setVisible(bool(calls))

    def _submit_tool_results(self) -> None:
        results = {call_id: box.toPlainText() for call_id, box in self._tool_inputs.items()}
        self.tool_results_submitted.emit(self.index, results)

    def set_pinned(self, on: bool) -> None:
        """Marks the turn as pinned (always sent) or not."""
        self.pinned = on
        if on or self._pin_mark is not None:
            if self._pin_mark is None:
                self._pin_mark = named(
                    QLabel("Pinned"),
                    "pinMark",
                    "Pinned",
                    "Always sent, however long the conversation grows (⋯ → Unpin to undo).",
                )
                self.view.add_header_widget(self._pin_mark)
            self._pin_mark.setVisible(on)

    def set_info(self, info: TurnInfo) -> None:
        self.set_pinned(info.pinned)
        self.meta_label.setText(info.meta)
        self.meta_label.setVisible(bool(info.meta))
        self.set_answers(*info.answers)
        if info.moderation is not None:
            self.set_moderation(*info.moderation)
        if info.error:
            red = "#ff8a80" if is_dark() else "#b3261e"
            self.error_label.setText(info.error)
            self.error_label.setStyleSheet(f"QLabel#turnError {{ color: {red}; }}")
        if self._error_label is not None:
            self._error_label.setVisible(bool(info.error))
        if info.reasoning:
            self.set_reasoning(info.reasoning)
        if info.steps:
            self.set_steps(info.steps)
        if info.citations:
            self.set_citations(info.citations, self.message.content)

    def set_answers(self, shown: int, count: int) -> None:
        """Shows "‹ 2/3 ›" when Regenerate kept other answers (`shown` counts from 0)."""
        self._answers = (shown, count)
        if count < 2 and self._pager is None:
            return
        if self._pager is None:
            self._build_pager()
        assert self._pager is not None
        assert self._pager_label is not None
        self._pager.setVisible(count > 1)
        self._pager_label.setText(f"{shown + 1}/{count}")
        self._pager_label.setAccessibleName(f"Answer {shown + 1} of {count}")
        self._previous_answer.setEnabled(shown > 0)
        self._next_answer.setEnabled(shown < count - 1)

    def _build_pager(self) -> None:
        pager = QWidget(self)
        pager.setObjectName("answerPager")
        pager.setToolTip(
            "Regenerate keeps every answer: switch between them. The one shown is sent with your "
            "next message."
        )
        row = QHBoxLayout(pager)
        row.setContentsMargins(0, 0, 4, 0)
        row.setSpacing(0)
        self._previous_answer = _tool_button("‹", "Show the previous answer", "previousAnswer")
        self._next_answer = _tool_button("›", "Show the next answer", "nextAnswer")
        self._pager_label = QLabel("")
        self._pager_label.setObjectName("answerPosition")
        row.addWidget(self._previous_answer)
        row.addWidget(self._pager_label)
        row.addWidget(self._next_answer)
        self._previous_answer.clicked.connect(lambda: self._step_answer(-1))
        self._next_answer.clicked.connect(lambda: self._step_answer(1))
        self._pager = pager
        self.view.add_header_lead(pager)

    def _step_answer(self, delta: int) -> None:
        shown, count = self._answers
        if 0 <= shown + delta < count:
            self.answer_selected.emit(self.index, shown + delta)

    def text(self) -> str:
        return self.view.text()

    def finish_stream(self, text: str | None = None) -> None:
        """The answer has ended: renders what streamed in full, or `text` if that differs (no
        second rendering when the streamed text is already the whole answer)."""
        if text is None or self.view.text() == text:
            self.view.flush()
        else:
            self.view.set_text(text)
        if self._thinking is not None:
            self._thinking.set_streaming(False)

    def set_moderation(self, state: str, text: str, tooltip: str = "") -> ModerationBadge:
        """Shows the Chat moderation check's verdict as a badge in the turn's header.

        Args:
            state: a `moderation_badge` state ("pending", "clear", "flagged", "failed").
            text: the badge text ("" hides it).
            tooltip: the scores or the error, in plain words.
        """
        badge = self.findChild(ModerationBadge, "moderationBadge")
        if not isinstance(badge, ModerationBadge):
            badge = ModerationBadge(self)
            self.view.add_header_widget(badge)
        badge.set_state(state, text, tooltip)
        return badge


# The rows of a turn, top to bottom (`TurnWidget._place`).
_ROWS = (
    "view",
    "choices",
    "use_choice",
    "logprobs",
    "images",
    "citations",
    "editor",
    "edit_bar",
    "tools",
    "meta",
    "error",
)


def _role_title(role: str) -> str:
    return ROLE_TITLES.get(role, role.title())


def _shown_text(message: Message) -> str:
    """The text a turn shows: a compaction note's plain line instead of its encrypted form."""
    if not is_compaction(message):
        return message.content
    compaction = read_compaction(message)
    if compaction is None:
        return "Earlier turns compacted by OpenAI (this note cannot be read; delete it)"
    return compaction.text()


def _images_text(images: tuple[ImagePart, ...]) -> str:
    parts = []
    for image in images:
        kind = "pasted image" if image.url.startswith("data:") else image.url
        size = f" {image.width}×{image.height}" if image.width and image.height else ""
        parts.append(f"🖼 {kind}{size} (detail {image.detail})")
    return " · ".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# A conversation opens with its newest turns built; earlier ones are built a page at a time when
# the user scrolls to the top (or clicks the button there). bench/history.py: opening a 1,000-turn
# conversation built 17,000 widgets in 5 s and took 335 MiB; the newest 40 open in well under 0.3 s.
OPEN_WINDOW = 40
EARLIER_PAGE = 60
# A send shows two turns (the message and the answer) while the user waits for the first token:
# one spare of each role is built ahead (bench/overhead.py), a little after the last one was used
# (after the frame that showed it).
SPARE_ROLES: tuple[Role, ...] = ("user", "assistant")
SPARE_DELAY_MS = 20


class ConversationView(QScrollArea):
    """The scrollable column of turns.

    Only the newest `OPEN_WINDOW` turns of an opened conversation are built; `turns` holds the built
    ones (`turns[k].index == first_built + k`), and `load_earlier()` builds the page before them.

    Signals: those of `TurnWidget`, forwarded with the same arguments.
    """

    approval_given = Signal(int, str, bool)
    download_requested = Signal(object)  # a file the code interpreter made (its `Citation`)
    edit_committed = Signal(int, str, bool)
    role_toggled = Signal(int)
    pin_toggled = Signal(int)
    move_requested = Signal(int, int)
    delete_requested = Signal(int)
    regenerate_requested = Signal(int)
    fork_requested = Signal(int)
    lab_requested = Signal(int)
    compare_requested = Signal(int)
    answer_selected = Signal(int, int)
    choice_selected = Signal(int, int)
    tool_results_submitted = Signal(int, dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversationView")
        self.setAccessibleName("Conversation")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._inner = QWidget()
        self._layout = QVBoxLayout(self._inner)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self._layout.setSpacing(6)
        self.earlier_button = QPushButton()
        self.earlier_button.setObjectName("earlierTurns")
        self.earlier_button.setFlat(True)
        self.earlier_button.setVisible(False)
        self.earlier_button.clicked.connect(self.load_earlier)
        self._layout.addWidget(self.earlier_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.placeholder = QLabel(
            "The conversation appears here. Type below and press Ctrl+Enter, or add example turns "
            "with “Add as assistant” to show the model how to answer."
        )
        self.placeholder.setObjectName("conversationPlaceholder")
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setEnabled(False)
        self._layout.addWidget(self.placeholder)
        self._empty_view: QWidget | None = None  # shown with the placeholder (Chat's starters)
        self._layout.addStretch(1)
        self.setWidget(self._inner)
        self.turns: list[TurnWidget] = []
        self._not_sent: set[int] = set()  # turns the last request left out (`mark_not_sent`)
        self.first_built = 0  # message index of turns[0]
        self._messages: list[Message] = []
        self._infos: list[TurnInfo] = []
        self._follow = True
        self._loading = False
        self._anchor_from_bottom: int | None = None
        self.verticalScrollBar().rangeChanged.connect(self._on_range_changed)
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self._spares: dict[str, TurnWidget] = {}  # built ahead, outside the column
        # The spares' parent until they are used, never shown: taken into the column's layout, a
        # spare is shown with the rest of the frame, like a turn built there.
        self._spare_holder = QWidget(self)
        self._spare_holder.setObjectName("spareTurns")
        self._spare_holder.hide()
        self._spare_timer = single_shot(self, SPARE_DELAY_MS, self._build_spares)

    def set_turns(self, messages: list[Message], infos: list[TurnInfo] | None = None) -> None:
        """Replaces every turn (opening a conversation, after an edit or a move). Builds the newest
        `OPEN_WINDOW` turns, or as many as were built before if that is more."""
        keep = max(OPEN_WINDOW, len(self.turns))
        for turn in self.turns:
            self._layout.removeWidget(turn)
            turn.deleteLater()
        self.turns = []
        self._messages = list(messages)
        self._infos = list(infos) if infos else [TurnInfo() for _ in messages]
        self.first_built = max(0, len(messages) - keep)
        for i in range(self.first_built, len(messages)):
            self._add(i, messages[i], self._infos[i])
        self._update_placeholder()
        self.schedule_spares()

    def add_turn(self, message: Message, info: TurnInfo | None = None) -> TurnWidget:
        info = info or TurnInfo()
        self._messages.append(message)
        self._infos.append(info)
        turn = self._add(len(self._messages) - 1, message, info)
        self._update_placeholder()
        self.scroll_to_end()
        self.schedule_spares()
        return turn

    @property
    def spare_roles(self) -> tuple[str, ...]:
        """The roles whose spare turn is built and waiting."""
        return tuple(role for role in SPARE_ROLES if role in self._spares)

    def schedule_spares(self) -> None:
        """Builds a spare turn of each role soon, unless they are there (see `SPARE_ROLES`)."""
        if not self._spare_timer.isActive() and len(self._spares) < len(SPARE_ROLES):
            self._spare_timer.start()

    def _build_spares(self) -> None:
        for role in SPARE_ROLES:
            if role not in self._spares:
                spare = self._build(-1, Message(role, ""), TurnInfo(), self._spare_holder)
                spare.setObjectName("spareTurn")
                spare.ensurePolished()  # styled now, not when it is shown
                self._spares[role] = spare

    @property
    def unbuilt(self) -> int:
        """How many earlier turns are not built yet."""
        return self.first_built

    def load_earlier(self) -> int:
        """Builds the page of turns before the first built one, keeping what is on screen in place;
        returns how many were built."""
        if self.first_built == 0:
            return 0
        bar = self.verticalScrollBar()
        from_bottom = bar.maximum() - bar.value()
        start = max(0, self.first_built - EARLIER_PAGE)
        built = [
            self._make(i, self._messages[i], self._infos[i]) for i in range(start, self.first_built)
        ]
        first_row = 2  # after the "earlier" button and the placeholder
        for k, turn in enumerate(built):
            self._layout.insertWidget(first_row + k, turn)
        self.turns[:0] = built
        self.first_built = start
        self._update_placeholder()
        self._follow = False
        # Once the taller column is laid out (rangeChanged), scroll so the same turns stay in view.
        self._anchor_from_bottom = from_bottom
        return len(built)

    def _make(self, index: int, message: Message, info: TurnInfo) -> TurnWidget:
        # A compaction note is built as one (a spare is a plain turn of its role).
        spare = None if is_compaction(message) else self._spares.pop(message.role, None)
        if spare is not None:
            spare.reuse(index, message, info)
        else:
            spare = self._build(index, message, info, self._inner)
        spare.set_not_sent(index in self._not_sent)
        return spare

    def mark_not_sent(self, indexes: set[int]) -> None:
        """Greys the turns at `indexes` with a "not sent" mark (left out of the last request
        because the conversation is too long), and only those; turns built later follow it."""
        self._not_sent = set(indexes)
        for turn in self.turns:
            turn.set_not_sent(turn.index in self._not_sent)

    def _build(self, index: int, message: Message, info: TurnInfo, parent: QWidget) -> TurnWidget:
        turn = TurnWidget(index, message, info, parent)
        turn.edit_committed.connect(self.edit_committed)
        turn.role_toggled.connect(self.role_toggled)
        turn.pin_toggled.connect(self.pin_toggled)
        turn.move_requested.connect(self.move_requested)
        turn.delete_requested.connect(self.delete_requested)
        turn.regenerate_requested.connect(self.regenerate_requested)
        turn.fork_requested.connect(self.fork_requested)
        turn.lab_requested.connect(self.lab_requested)
        turn.compare_requested.connect(self.compare_requested)
        turn.answer_selected.connect(self.answer_selected)
        turn.choice_selected.connect(self.choice_selected)
        turn.tool_results_submitted.connect(self.tool_results_submitted)
        turn.approval_given.connect(self.approval_given)
        turn.download_requested.connect(self.download_requested)
        return turn

    def _add(self, index: int, message: Message, info: TurnInfo) -> TurnWidget:
        turn = self._make(index, message, info)
        self._layout.insertWidget(self._layout.count() - 1, turn)
        self.turns.append(turn)
        return turn

    def last(self) -> TurnWidget | None:
        return self.turns[-1] if self.turns else None

    def scroll_to_end(self) -> None:
        self._follow = True
        QTimer.singleShot(
            0, lambda: self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())
        )

    def _on_range_changed(self, _low: int, high: int) -> None:
        if self._anchor_from_bottom is not None:
            self.verticalScrollBar().setValue(high - self._anchor_from_bottom)
            self._anchor_from_bottom = None
        elif self._follow and self.turns:  # follow a streaming answer unless the user scrolled up
            # to read (an empty conversation stays at the top, where the starters begin)
            self.verticalScrollBar().setValue(high)

    def _on_scrolled(self, value: int) -> None:
        self._follow = value >= self.verticalScrollBar().maximum() - 8
        if value == 0 and self.first_built > 0 and not self._loading:
            self._loading = True  # once per arrival at the top, after this scroll event

            def _load() -> None:
                self._loading = False
                self.load_earlier()

            QTimer.singleShot(0, self, _load)

    def set_empty_view(self, widget: QWidget) -> None:
        """Shows `widget` under the placeholder while the conversation has no turn."""
        self._empty_view = widget
        self._layout.insertWidget(self._layout.indexOf(self.placeholder) + 1, widget)
        self._update_placeholder()

    def _update_placeholder(self) -> None:
        self.placeholder.setVisible(not self.turns)
        if self._empty_view is not None:
            self._empty_view.setVisible(not self.turns)
            if not self.turns:
                self.verticalScrollBar().setValue(0)
        count = min(EARLIER_PAGE, self.first_built)
        self.earlier_button.setVisible(self.first_built > 0)
        if self.first_built:
            self.earlier_button.setText(
                f"Show {count} earlier turns ({self.first_built} not shown yet)"
            )

    def plain_text(self) -> str:
        """Every turn's text, built or not (for tests and "copy conversation")."""
        parts = [
            f"{ROLE_TITLES.get(m.role, m.role)}\n{_shown_text(m)}"
            for m in self._messages[: self.first_built]
        ]
        parts += [
            f"{ROLE_TITLES.get(t.message.role, t.message.role)}\n{t.text()}" for t in self.turns
        ]
        return "\n\n".join(parts)
