"""Chat's history: opening, starting, renaming, duplicating, forking and deleting conversations,
keeping the unsent draft, and the history list.

What the store holds of the open conversation is tracked in `ChatState.stored`, so nothing is
asked of the store that the app already knows and nothing unchanged is written again.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QObject

from playground.core.api.errors import AppError
from playground.core.chat.service import ChatRequest, Conversation
from playground.core.models import Message
from playground.core.storage.history import (
    HistoryError,
    HistoryStore,
    MessageMeta,
    StoredMessage,
)
from playground.ui.chat.state import ChatState, StoredState, fields_of
from playground.ui.chat.tab import ChatTab
from playground.ui.chat.texts import turn_info
from playground.ui.common.chat_params import API_CHAT_COMPLETIONS
from playground.ui.common.widgets import single_shot

log = logging.getLogger(__name__)

DRAFT_SAVE_DELAY_MS = 800

DISK_FULL_TEXT = (
    "The disk is full: this answer is kept in the window but not saved yet. Free some space; it "
    "is saved on the next send or when you press Save now / Retry."
)


def unsaved_text(exc: Exception) -> str:
    """What the user reads when a write failed: what happened and what to do."""
    if "the disk is full" in str(exc).lower():
        return DISK_FULL_TEXT
    return (
        f"{exc} This conversation is kept in the window but not saved yet; it is saved on the "
        "next send or when you press Save now / Retry."
    )


class ConversationHistory(QObject):
    """Keeps the open conversation in the history store and shows the history list.

    `before_switch` runs before another conversation is loaded (the send part stops the answer
    and files a send just made); `after_load` runs once one is loaded (totals and estimate).
    `save_ledger` writes the ledger rows a failed write kept back (True when none is left) and
    `ledger_error` says why the last one failed.

    A write that fails (a full disk) never stops a send: the conversation stays in memory and on
    screen, `ChatState.unsaved` is set and the view says so with Save now. `save_all` writes the
    whole conversation again (with the ledger's rows): on the next send, Save now, Retry, before
    another conversation is opened (which waits until it is saved) and at close.
    """

    def __init__(
        self,
        state: ChatState,
        view: ChatTab,
        history: HistoryStore,
        *,
        before_switch: Callable[[], None],
        after_load: Callable[[], None],
        default_api: Callable[[], str] | None = None,
        save_ledger: Callable[[], bool] = lambda: True,
        ledger_error: Callable[[], Exception | None] = lambda: None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.state = state
        self._save_ledger = save_ledger
        self._ledger_error = ledger_error
        # The API of a new conversation: Responses for OpenAI, Chat Completions for compatible
        # servers (the app passes which); Chat Completions when nobody says.
        self._default_api = default_api or (lambda: API_CHAT_COMPLETIONS)
        self.view = view
        self.history = history
        self._before_switch = before_switch
        self._after_load = after_load
        self._draft_timer = single_shot(self, DRAFT_SAVE_DELAY_MS, self.save_draft)

    # --- the view of the conversation ------------------------------------------------------------

    def rebuild_view(self) -> None:
        self.view.set_turns(
            list(self.state.conversation.turns),
            [turn_info(m) for m in self.state.metas],
        )

    # --- the open conversation in the store ------------------------------------------------------

    def _store_settings(self, params: ChatRequest, system_prompt: str, draft: str | None) -> None:
        """Stores the conversation (once) with these settings, or the settings (and draft) that
        changed since they were last stored. Raises HistoryError."""
        stored, cid = self.state.stored, self.state.conversation.id
        params = dataclasses.replace(params, messages=())
        api = self.view.api()
        if not stored.exists:
            self.history.create(
                cid,
                params=params,
                system_prompt=system_prompt,
                draft=draft or "",
                exist_ok=True,
                api=api,
            )
            stored.exists, stored.params, stored.system_prompt = True, params, system_prompt
            stored.draft, stored.api = draft or "", api
            return
        if draft is not None and draft != stored.draft:
            self.history.save_draft(cid, draft)
            stored.draft = draft
        if (params, system_prompt, api) != (stored.params, stored.system_prompt, stored.api):
            self.history.save_params(cid, params, system_prompt=system_prompt, api=api)
            stored.params, stored.system_prompt, stored.api = params, system_prompt, api

    def ensure_stored(self) -> None:
        """The conversation is in the store (with the model shown), whatever else is."""
        if self.state.stored.exists:
            return
        try:
            self._store_settings(
                ChatRequest(model=self.view.current_model(), messages=()),
                self.state.conversation.system_prompt,
                None,
            )
        except HistoryError as exc:
            log.warning("history: %s", exc)

    def file_send(
        self, request: ChatRequest, system_prompt: str, user: Message | None
    ) -> tuple[int | None, int | None]:
        """Files a send in one step: the settings it was sent with (if changed), the emptied draft,
        the sent message and the coming answer's row. Returns (user message id, answer id)."""
        cid = self.state.conversation.id
        user_id = reply_id = None
        if self.state.unsaved:  # what an earlier write left out goes first, `user` with it
            ids = self.save_all(request, system_prompt)
            if ids is None:
                return None, None
            if user is not None and ids:
                user_id, user = ids[-1], None
        try:
            self._store_settings(request, system_prompt, "" if user is not None else None)
            if user is not None:
                user_id = self.history.append_message(cid, user, MessageMeta())
            reply_id = self.history.begin_reply(cid, request.model)
        except HistoryError as exc:
            self.write_failed(exc)
        return user_id, reply_id

    def write_failed(self, exc: Exception) -> None:
        """A write of the open conversation (or its ledger row) failed: it stays in memory, and
        the user is told what happened and what to do."""
        log.warning("history: %s", exc)
        self.state.unsaved = True
        self.view.show_unsaved(unsaved_text(exc))

    def save_all(
        self, request: ChatRequest | None = None, system_prompt: str | None = None
    ) -> list[int] | None:
        """After a failed write: writes the open conversation as it is in memory (settings, draft,
        every turn with its numbers) and the ledger rows kept back.

        Args:
            request, system_prompt: the settings to store (None: the view's).

        Returns:
            The turns' new message ids (empty when nothing was unsaved), or None when the write
            failed again (the view says so).
        """
        if not self.state.unsaved:
            return []
        ledger_saved = self._save_ledger()
        draft = self.view.draft()
        conversation = self.state.conversation
        try:
            self._store_settings(
                request or draft.request(()),
                draft.system_prompt if system_prompt is None else system_prompt,
                draft.user_text if request is None else "",
            )
            now = datetime.now(UTC)
            ids = self.history.replace_messages(
                conversation.id,
                [
                    StoredMessage(id=0, message=m, meta=meta, created=now)
                    for m, meta in zip(conversation.turns, self.state.metas, strict=False)
                ],
            )
        except HistoryError as exc:
            self.write_failed(exc)
            return None
        if not ledger_saved:
            self.write_failed(self._ledger_error() or OSError("the usage ledger is not written"))
            return None
        self.state.unsaved = False
        self.view.hide_unsaved()
        self.refresh_history()
        return ids

    def _leave(self) -> bool:
        """Before another conversation is shown: the open one is stopped and saved. False (and
        the view says why) while it cannot be saved: it would be lost."""
        self._before_switch()
        if self.save_all() is None:
            return False
        self.save_draft()
        return not self.state.unsaved  # a draft that cannot be saved stays in its box

    def append(self, message: Message, meta: MessageMeta) -> None:
        """A turn added to the open conversation (already in `state`): its row, and the list."""
        if self.state.unsaved:
            self.save_all()  # `message` with every other turn
            return
        self.ensure_stored()
        try:
            self.history.append_message(self.state.conversation.id, message, meta)
        except HistoryError as exc:
            self.write_failed(exc)
        self.refresh_history()

    def persist_turns(self, conversation: Conversation, *, refresh: bool = True) -> None:
        """Stores every turn of `conversation` again (after an edit, a move, a delete)."""
        if conversation is not self.state.conversation:
            return
        if self.state.unsaved:
            self.save_all()
            return
        try:
            self.ensure_stored()
            now = datetime.now(UTC)
            stored = [
                StoredMessage(id=0, message=m, meta=meta, created=now)
                for m, meta in zip(conversation.turns, self.state.metas, strict=False)
            ]
            self.history.replace_messages(conversation.id, stored)
        except HistoryError as exc:
            self.write_failed(exc)
        if refresh:
            self.refresh_history()

    def draft_edited(self) -> None:
        """The draft changed: it is stored a moment after the typing stops."""
        self._draft_timer.start()

    def save_draft(self) -> None:
        """Keeps the unsent text (and the system prompt) so a restart loses nothing."""
        self._draft_timer.stop()
        draft = self.view.draft()
        stored = self.state.stored
        if not draft.user_text and not stored.exists:
            return
        listed, had_draft = stored.exists, bool(stored.draft)
        try:
            self._store_settings(
                draft.request(()),
                draft.system_prompt,
                draft.user_text,
            )
        except HistoryError as exc:
            self.write_failed(exc)  # the text stays in the box; Save now and close try again
            return
        if listed and had_draft != bool(stored.draft):
            # The list's "draft" badge follows (issue 20 item 19: an added example turn emptied
            # the box and the badge stayed).
            self.refresh_history()

    # --- switching conversations -----------------------------------------------------------------

    def new_conversation(self) -> None:
        if not self._leave():
            return
        self._load(Conversation(system_prompt=self.view.draft().system_prompt), [], "", None)
        self.view.set_input("")
        self.refresh_history()

    def open_conversation(self, conversation_id: str) -> None:
        if conversation_id == self.state.conversation.id and self.state.conversation.turns:
            return
        if not self._leave():
            return
        try:
            stored = self.history.load(conversation_id)
            self.history.touch(conversation_id)
        except HistoryError as exc:
            self.view.show_error(AppError.local("Could not open the conversation", str(exc)))
            return
        conversation = stored.to_conversation()
        self._load(
            conversation,
            [m.meta for m in stored.messages],
            stored.title,
            fields_of(stored.params),
            StoredState(True, stored.params, stored.system_prompt, stored.draft, stored.api),
            api=stored.api or self._default_api(),
        )
        if stored.params.model:
            self.view.set_model(stored.params.model)
        self.view.set_input(stored.draft)
        self.refresh_history()

    def load(
        self,
        conversation: Conversation,
        metas: list[MessageMeta],
        *,
        system_prompt: str,
        fields: dict[str, Any] | None = None,
        model: str = "",
        api: str | None = None,
    ) -> None:
        """Opens a conversation that is not stored yet (pasted or imported): its turns are stored
        at once, with the list refreshed. `api`: the API it uses (None: the one shown)."""
        if not self._leave():
            return
        conversation.system_prompt = system_prompt
        self._load(conversation, metas, "", fields, api=api or self.view.api())
        if model:
            self.view.set_model(model)
        if conversation.turns:
            self.persist_turns(conversation)
        else:
            self.refresh_history()

    def _load(
        self,
        conversation: Conversation,
        metas: list[MessageMeta],
        title: str,
        fields: dict[str, Any] | None,
        stored: StoredState | None = None,
        *,
        api: str | None = None,
    ) -> None:
        """Shows `conversation`; `api`: the API it uses (None: the provider's default for a new
        conversation, the one shown for a pasted or imported one with `fields`)."""
        state = self.state
        if api is None and fields is None:
            api = self._default_api()
        if api:
            self.view.set_api(api)
        state.conversation = conversation
        state.metas = list(metas) + [MessageMeta()] * (len(conversation.turns) - len(metas))
        state.results = {}
        state.last_request = None
        state.stored = stored or StoredState()
        state.unsaved = False
        self.view.hide_unsaved()
        self.view.set_system_prompt(conversation.system_prompt)
        if fields is not None:
            self.view.set_param_fields(fields)
        self.rebuild_view()
        self.view.set_title(title)
        self.view.hide_error()
        self.view.set_reply_info("")
        self._after_load()

    def restore_last(self, conversation_id: str) -> None:
        """At start-up: reopen the conversation the user left (with its draft), if it still exists."""
        try:
            found = bool(conversation_id) and self.history.exists(conversation_id)
        except HistoryError as exc:
            log.warning("history: %s", exc)
            return
        if found:
            self.open_conversation(conversation_id)

    # --- the history list ------------------------------------------------------------------------

    def refresh_history(self, query: str = "") -> None:
        try:
            rows = self.history.search(query) if query else self.history.list()
        except HistoryError as exc:
            log.warning("history: %s", exc)
            return
        current = self.state.conversation.id
        self.view.show_conversations(rows, current)
        for row in rows:
            if row.id == current:
                self.view.set_title(row.title)

    def on_search(self, query: str) -> None:
        self.refresh_history(query.strip())

    def rename(self, conversation_id: str, title: str) -> None:
        try:
            self.history.rename(conversation_id, title)
        except HistoryError as exc:
            log.warning("history: %s", exc)
        self.refresh_history()

    def duplicate(self, conversation_id: str) -> None:
        try:
            self.save_draft()
            new_id = self.history.duplicate(conversation_id)
        except HistoryError as exc:
            self.view.show_error(AppError.local("Could not duplicate", str(exc)))
            return
        self.open_conversation(new_id)

    def fork(self, index: int) -> None:
        try:
            self.save_draft()
            new_id = self.history.fork(self.state.conversation.id, index)
        except (HistoryError, ValueError) as exc:
            self.view.show_error(AppError.local("Could not fork", str(exc)))
            return
        self.open_conversation(new_id)

    def delete(self, conversation_id: str) -> None:
        try:
            title = self.history.load(conversation_id).title
            self.history.delete(conversation_id)
        except HistoryError as exc:
            log.warning("history: %s", exc)
            return
        if conversation_id == self.state.conversation.id:
            self._load(Conversation(system_prompt=self.view.draft().system_prompt), [], "", None)
        self.refresh_history()
        self.view.show_undo_delete(conversation_id, title)

    def undo_delete(self, conversation_id: str) -> None:
        try:
            self.history.undo_delete(conversation_id)
        except HistoryError as exc:
            log.warning("history: %s", exc)
        self.refresh_history()
