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


class ConversationHistory(QObject):
    """Keeps the open conversation in the history store and shows the history list.

    `before_switch` runs before another conversation is loaded (the send part stops the answer
    and files a send just made); `after_load` runs once one is loaded (totals and estimate).
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
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.state = state
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
        try:
            self._store_settings(request, system_prompt, "" if user is not None else None)
        except HistoryError as exc:
            log.warning("history: %s", exc)
        if user is not None:
            try:
                user_id = self.history.append_message(cid, user, MessageMeta())
            except HistoryError as exc:
                log.warning("history: %s", exc)
        try:
            reply_id = self.history.begin_reply(cid, request.model)
        except HistoryError as exc:
            log.warning("history: %s", exc)
        return user_id, reply_id

    def append(self, message: Message, meta: MessageMeta) -> None:
        """A turn added to the open conversation (already in `state`): its row, and the list."""
        self.ensure_stored()
        try:
            self.history.append_message(self.state.conversation.id, message, meta)
        except HistoryError as exc:
            log.warning("history: %s", exc)
        self.refresh_history()

    def persist_turns(self, conversation: Conversation, *, refresh: bool = True) -> None:
        """Stores every turn of `conversation` again (after an edit, a move, a delete)."""
        if conversation is not self.state.conversation:
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
            log.warning("history: %s", exc)
        if refresh:
            self.refresh_history()

    def draft_edited(self) -> None:
        """The draft changed: it is stored a moment after the typing stops."""
        self._draft_timer.start()

    def save_draft(self) -> None:
        """Keeps the unsent text (and the system prompt) so a restart loses nothing."""
        self._draft_timer.stop()
        draft = self.view.draft()
        if not draft.user_text and not self.state.stored.exists:
            return
        try:
            self._store_settings(
                draft.request(()),
                draft.system_prompt,
                draft.user_text,
            )
        except HistoryError as exc:
            log.warning("history: %s", exc)

    # --- switching conversations -----------------------------------------------------------------

    def new_conversation(self) -> None:
        self._before_switch()
        self.save_draft()
        self._load(Conversation(system_prompt=self.view.draft().system_prompt), [], "", None)
        self.view.set_input("")
        self.refresh_history()

    def open_conversation(self, conversation_id: str) -> None:
        if conversation_id == self.state.conversation.id and self.state.conversation.turns:
            return
        self._before_switch()
        self.save_draft()
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
        self._before_switch()
        self.save_draft()
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
