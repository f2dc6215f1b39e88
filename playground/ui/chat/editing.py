"""Chat's turn editing: edit, switch role, move, delete, regenerate, pick one of several answers,
answer tool calls and add example turns. A change is shown, stored and estimated again; a resend
goes through the send part."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QObject

from playground.core.models import Message, Role
from playground.core.storage.history import MessageMeta, pick_answer
from playground.ui.chat.conversations import ConversationHistory
from playground.ui.chat.sending import ChatSending
from playground.ui.chat.state import GROUP, ChatState
from playground.ui.chat.tab import ChatDraft, ChatTab
from playground.ui.shell.bridge import TaskRunner


class TurnEditing(QObject):
    """Changes the turns of the open conversation."""

    def __init__(
        self,
        state: ChatState,
        view: ChatTab,
        runner: TaskRunner,
        conversations: ConversationHistory,
        sending: ChatSending,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.view = view
        self.runner = runner
        self.conversations = conversations
        self.sending = sending

    def _busy(self) -> bool:
        return self.runner.is_busy(GROUP)

    def _changed(self) -> None:
        self.conversations.rebuild_view()
        self.conversations.persist_turns(self.state.conversation)
        self.sending.estimate_draft()

    def append_turn(self, message: Message, meta: MessageMeta) -> None:
        self.state.conversation.turns.append(message)
        self.state.metas.append(meta)
        self.view.add_turn(message)
        self.conversations.append(message, meta)

    def add_example(self, role: str, draft: ChatDraft) -> None:
        """Adds an example turn (few-shot) without sending."""
        message = Message(
            "assistant" if role == "assistant" else "user",
            draft.user_text.strip(),
            images=draft.images,
        )
        self.state.conversation.system_prompt = draft.system_prompt
        self.append_turn(message, MessageMeta())
        self.view.clear_input()

    def edited(self, index: int, text: str, resend: bool) -> None:
        turns = self.state.conversation.turns
        if self._busy() or index >= len(turns):
            return
        turns[index] = dataclasses.replace(turns[index], content=text)
        if resend:
            self.state.remove_turns_from(index + 1)
            self._changed()
            self.sending.resend()
        else:
            self._changed()

    def role_toggled(self, index: int) -> None:
        turns = self.state.conversation.turns
        role: Role = "assistant" if turns[index].role == "user" else "user"
        turns[index] = dataclasses.replace(turns[index], role=role)
        self._changed()

    def pin_toggled(self, index: int) -> None:
        """Pins turn `index` (always sent, whatever the conversation's length) or unpins it."""
        metas = self.state.metas
        if not 0 <= index < len(metas):
            return
        metas[index] = dataclasses.replace(metas[index], pinned=not metas[index].pinned)
        self._changed()

    def moved(self, index: int, delta: int) -> None:
        other = index + delta
        turns, metas = self.state.conversation.turns, self.state.metas
        if self._busy() or not 0 <= other < len(turns):
            return
        turns[index], turns[other] = turns[other], turns[index]
        metas[index], metas[other] = metas[other], metas[index]
        self._changed()

    def deleted(self, index: int) -> None:
        if self._busy() or index >= len(self.state.conversation.turns):
            return
        del self.state.conversation.turns[index]
        del self.state.metas[index]
        self._changed()

    def regenerate(self, index: int) -> None:
        """Asks for answer `index` again; the answer it replaces is kept beside the new one
        (`answer_selected` switches between them)."""
        turns = self.state.conversation.turns
        if self._busy() or index >= len(turns):
            return
        old, meta = turns[index], self.state.metas[index]
        kept = (old, meta) if old.role == "assistant" and old.content else None
        self.state.remove_turns_from(index)
        self._changed()
        self.sending.resend(kept=kept)

    def answer_selected(self, index: int, which: int) -> None:
        """Shows answer `which` of those Regenerate kept for turn `index`: it is the one stored
        and sent as context with the next message."""
        turns, metas = self.state.conversation.turns, self.state.metas
        if self._busy() or index >= len(turns) or turns[index].role != "assistant":
            return
        answers = metas[index].answers(turns[index].content)
        if not 0 <= which < len(answers) or len(answers) < 2:
            return
        text, meta = pick_answer(answers, which)
        turns[index] = Message("assistant", text)
        metas[index] = meta
        self.state.results.pop(index, None)  # its choices belonged to the answer shown before
        self._changed()

    def choice_selected(self, index: int, choice: int) -> None:
        result = self.state.results.get(index)
        if result is None or not 0 <= choice < len(result.choices):
            return
        picked = result.choices[choice]
        self.state.conversation.turns[index] = Message(
            "assistant", picked.text, tool_calls=picked.tool_calls
        )
        self._changed()

    def tool_results(self, index: int, results: dict[str, str]) -> None:
        """Adds the user's tool results as tool messages and lets the model continue."""
        if self._busy():
            return
        for call in self.state.conversation.turns[index].tool_calls:
            self.append_turn(
                Message("tool", results.get(call.id, ""), name=None, tool_call_id=call.id),
                MessageMeta(),
            )
        self.sending.resend()
