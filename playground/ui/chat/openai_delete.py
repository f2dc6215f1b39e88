""" "Also delete it on OpenAI": after a conversation is deleted in the history panel, what it kept on
OpenAI ("Keep on OpenAI": its OpenAI conversation, its stored answers) can be deleted there too.

The local delete never waits for OpenAI: it happens first (and stays undoable); the bar that says
so then offers the OpenAI delete when there is something to delete, which runs off the GUI
thread and ends in a plain result line. A failure never undoes the local delete.

What is deleted on OpenAI: the conversation's items one by one, then the conversation (the SDK
notes that deleting a conversation leaves its items), and each stored answer (`responses.delete`:
the chain way's, and the conversation way's, which are stored too).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject

from playground.core.api.errors import AppError
from playground.core.chat.server_state import (
    ConversationKeeper,
    Deleted,
    KeptOnOpenAI,
    kept_on_openai,
)
from playground.core.storage.history import HistoryError, HistoryStore
from playground.ui.chat.tab import ChatTab
from playground.ui.shell.bridge import TaskRunner

log = logging.getLogger(__name__)

GROUP = "chat-openai-delete"


class DeleteOnOpenAI(QObject):
    """Offers, and does, the OpenAI side of deleting a conversation."""

    def __init__(
        self,
        view: ChatTab,
        history: HistoryStore,
        keeper: ConversationKeeper,
        runner: TaskRunner,
        forget: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        """`forget`: called with a conversation's id once what it kept is deleted on OpenAI."""
        super().__init__(parent)
        self.view = view
        self.history = history
        self.keeper = keeper
        self.runner = runner
        self.forget = forget

    def kept(self, conversation_id: str) -> KeptOnOpenAI:
        """What the stored conversation keeps on OpenAI (nothing if it cannot be read)."""
        try:
            stored = self.history.load(conversation_id)
            state = self.history.server_state(conversation_id)
        except HistoryError as exc:
            log.warning("history: %s", exc)
            return KeptOnOpenAI()
        ids = [
            str(m.meta.response_id)
            for m in stored.messages
            if m.meta.response_id and m.meta.response_chain
        ]
        return kept_on_openai(ids, state)

    def on_deleted(self, conversation_id: str) -> None:
        """A conversation was deleted here: offers to delete it on OpenAI if it kept anything."""
        if self.kept(conversation_id):
            self.view.offer_delete_on_openai(conversation_id)

    def delete(self, conversation_id: str) -> None:
        """Deletes on OpenAI what the conversation kept there (off the GUI thread)."""
        kept = self.kept(conversation_id)

        def done(result: Deleted) -> None:
            try:
                self.history.set_server_state(conversation_id, "")
            except HistoryError as exc:
                log.warning("history: %s", exc)
            self.forget(conversation_id)
            if result.deleted and not result.gone:
                text = "Deleted on OpenAI too."
            elif result.deleted:
                text = "Deleted on OpenAI too (part of it was gone there already)."
            else:
                text = "Nothing left to delete on OpenAI: it was gone there already."
            self.view.show_delete_on_openai_result(text)

        def failed(error: AppError) -> None:
            self.view.show_delete_on_openai_result(
                f"Not deleted on OpenAI: {error.text} It is still deleted here. To try again, "
                "press Undo, then delete it again."
            )

        self.runner.start(
            self.keeper.delete_all(kept), group=GROUP, on_result=done, on_error=failed
        )
