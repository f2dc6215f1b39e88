""" "Keep on OpenAI" as an OpenAI conversation, for Chat's sending (`sending.ChatSending`).

The rules are Qt-free, in `core.chat.server_state`; this part holds what they need between sends:
the `KeptConversation` of each local conversation (read from the history once, stored back with
it, so a restart goes on with the same conversation), the profiles whose server has no
conversations, and what the reply line says of a send's conversation.

- `continue_request`: names the kept conversation while it holds exactly the turns up to the
  last answer (else the send has none yet and `seed` makes one).
- `seed` (inside the send's task): creates the conversation seeded with those turns. The one
  it replaces held turns that changed since (an edit, a re-roll, a failed answer): it is deleted
  on OpenAI, and the reply line says so. A server without conversations (404): the send goes on
  as a chain of answers and the choice is closed in the panel, saying why.
- `answered`, `doubt`: after an answer the record holds the new turns; after a failed or stopped
  send nobody knows what the server appended, so the next send seeds a new one.
- `gone`: a 404 for the conversation (deleted elsewhere): seeded again, once.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from playground.core.api.errors import AppError
from playground.core.api.session import ApiSession
from playground.core.chat.server_state import (
    KEEP_AS_CONVERSATION,
    ConversationKeeper,
    KeptConversation,
    after_answer,
    conversation_to_continue,
    held_turns,
    seeded,
)
from playground.core.chat.service import ChatRequest, ResponsesRequest
from playground.core.models import Message
from playground.core.storage.history import HistoryError, HistoryStore, NotInHistoryError
from playground.ui.chat.state import InFlight
from playground.ui.chat.tab import ChatTab
from playground.ui.common.chat_params import API_RESPONSES
from playground.ui.shell.bridge import TaskRunner

log = logging.getLogger(__name__)

NO_CONVERSATIONS = (
    "This server has no OpenAI conversations (“Keep on OpenAI” uses a chain of answers here)."
)


class ServerConversations:
    """The OpenAI conversations of Chat's local conversations."""

    def __init__(
        self, view: ChatTab, session: ApiSession, history: HistoryStore, runner: TaskRunner
    ) -> None:
        self.view = view
        self.session = session
        self.history = history
        self.runner = runner
        self.keeper = ConversationKeeper(session.client)
        self._kept: dict[str, KeptConversation | None] = {}
        self._unavailable: set[str] = set()  # profiles whose server has no conversations
        self._reseeded: set[str] = set()  # conversations made again after a 404: not a third
        self._reseeding: set[str] = set()  # local conversations whose next seed follows a 404
        self._notes: dict[int, str] = {}  # what the reply line says, per send

    def show_availability(self) -> None:
        """Offers the conversation way in the panel unless this profile's server lacks it."""
        available = self.session.profile.id not in self._unavailable
        self.view.set_conversations_available(available, "" if available else NO_CONVERSATIONS)

    def kept(self, local_id: str) -> KeptConversation | None:
        """The OpenAI conversation kept for a local conversation (read from the history once)."""
        if local_id not in self._kept:
            try:
                text = self.history.server_state(local_id)
            except HistoryError as exc:
                log.warning("history: %s", exc)
                text = ""
            self._kept[local_id] = KeptConversation.from_json(text)
        return self._kept[local_id]

    def keep(self, local_id: str, kept: KeptConversation | None) -> None:
        """Remembers (and stores with the conversation) its OpenAI conversation, or none."""
        self._kept[local_id] = kept
        try:
            self.history.set_server_state(local_id, kept.to_json() if kept else "")
        except NotInHistoryError:
            pass  # not filed yet: the answer stores it
        except HistoryError as exc:
            log.warning("history: %s", exc)

    def forget(self, local_id: str) -> None:
        """What the conversation kept was deleted on OpenAI: the next send starts anew."""
        self._kept[local_id] = None

    def continue_request(self, request: ResponsesRequest, local_id: str) -> ResponsesRequest:
        """`request` naming the conversation to continue (None: `seed` makes one); as a chain of
        answers (`keep_as` None) on a server without conversations."""
        if self.session.profile.id in self._unavailable:
            return dataclasses.replace(request, keep_as=None, conversation=None)
        conversation = conversation_to_continue(request.messages, self.kept(local_id))
        return dataclasses.replace(request, conversation=conversation, previous_response_id=None)

    async def seed(
        self,
        turn: InFlight,
        request: ChatRequest,
        as_chain: Callable[[ChatRequest, str], ChatRequest],
    ) -> ChatRequest:
        """Before a send that keeps an OpenAI conversation and names none: makes one seeded with
        the turns up to the last answer and names it. `as_chain`: the request kept as a chain of
        answers (for a server without conversations)."""
        if (
            not isinstance(request, ResponsesRequest)
            or request.keep_as != KEEP_AS_CONVERSATION
            or request.conversation
            or not request.store
            or turn.api != API_RESPONSES
        ):
            return request
        local = turn.conversation.id
        old = self.kept(local)
        seed = held_turns(request.messages)
        try:
            conversation_id = await self.keeper.start(seed, request.model)
        except AppError as error:
            if error.status not in (404, 405, 501):
                raise
            self._unavailable.add(self.session.profile.id)
            self.view.set_conversations_available(False, NO_CONVERSATIONS)
            self._notes[id(turn)] = (
                " · this server cannot keep OpenAI conversations: kept as a chain of answers"
            )
            return as_chain(dataclasses.replace(request, keep_as=None), turn.api)
        n = len(seed)
        note = " · started an OpenAI conversation" + (
            f" with the {n} earlier turn{'s' if n != 1 else ''}" if n else ""
        )
        if local in self._reseeding:
            self._reseeding.discard(local)
            self._reseeded.add(conversation_id)
            note = " · OpenAI no longer had this conversation: a new one was started" + (
                " with the turns so far" if n else ""
            )
        elif old is not None and old.conversation_id != conversation_id:
            self._retire(old.conversation_id)
            note += " (the earlier one was deleted on OpenAI: its turns had changed)"
        self._notes[id(turn)] = note
        self.keep(local, seeded(conversation_id, seed))
        return dataclasses.replace(request, conversation=conversation_id)

    def note(self, turn: InFlight) -> str:
        """What the reply line says of the send's conversation (once)."""
        return self._notes.pop(id(turn), "")

    def answered(self, turn: InFlight, message: Message) -> None:
        """The server appended the new turns and this answer to the conversation."""
        request = turn.request
        if isinstance(request, ResponsesRequest) and request.conversation:
            kept = after_answer(request.conversation, request.messages, message)
            self.keep(turn.conversation.id, kept)

    def doubt(self, turn: InFlight, error: AppError | None = None) -> None:
        """A send to a conversation was stopped, or failed (`error`) other than by a refusal
        before it began (a 4xx): what the server appended is unknown, so the next send seeds a
        new one (and deletes this one)."""
        self._notes.pop(id(turn), None)
        request = turn.request
        if not isinstance(request, ResponsesRequest) or not request.conversation:
            return
        if error is not None and error.status is not None and error.status < 500:
            return  # refused before anything was appended: the conversation is as it was
        kept = self._kept.get(turn.conversation.id)
        if kept is not None and kept.conversation_id == request.conversation:
            self.keep(turn.conversation.id, KeptConversation(kept.conversation_id, ""))

    def gone(self, turn: InFlight, error: AppError) -> ChatRequest | None:
        """OpenAI no longer has the conversation a send named (a 404): the request to send again
        (once per conversation; it seeds a new one with the turns so far, and the reply line
        says so), or None."""
        request = turn.request
        if (
            not isinstance(request, ResponsesRequest)
            or not request.conversation
            or error.status != 404
            or error.code == "model_not_found"
            or error.param not in (None, "", "conversation")
            or request.conversation in self._reseeded
        ):
            return None
        self.keep(turn.conversation.id, None)  # gone: nothing to delete
        self._reseeding.add(turn.conversation.id)
        return dataclasses.replace(request, conversation=None)

    def _retire(self, conversation_id: str) -> None:
        """Deletes on OpenAI a conversation no local conversation uses any more (best effort)."""
        self.runner.start(
            self.keeper.delete(conversation_id),
            group="chat-keep",
            on_error=lambda error: log.info("old conversation not deleted: %s", error.text),
        )
