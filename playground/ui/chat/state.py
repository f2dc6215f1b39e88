"""What the Chat controllers share: the open conversation and the send in flight.

`ChatState` is the one mutable object the parts of the Chat controller (sending, history,
presets and export, moderation check) read and write; each part owns its own behaviour and none
keeps a copy of this state.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QTimer

from playground.core.chat.builtin_tools import ToolStep
from playground.core.chat.service import (
    ChatProgress,
    ChatRequest,
    ChatResult,
    Conversation,
    ResponsesRequest,
)
from playground.core.models import Message
from playground.core.storage.history import MessageMeta
from playground.ui.chat.conversation_view import TurnWidget
from playground.ui.common.chat_params import RESPONSES_FIELD_NAMES

GROUP = "chat"
MODERATION_GROUP = "chat-moderation"
FRAME_MS = 16


@dataclass(slots=True)
class InFlight:
    """One send in flight: its request, what has arrived, its conversation, widget and stored id."""

    request: ChatRequest
    progress: ChatProgress
    conversation: Conversation
    frame_timer: QTimer  # one frame's worth of fragments is rendered at a time
    user: Message | None = None  # the message this send added, if any
    system_prompt: str | None = None  # as typed, to store with the conversation (None: the view's)
    message_id: int | None = None
    pending: dict[int, list[str]] = field(default_factory=dict)
    first_shown: bool = False
    widget: TurnWidget | None = None  # built at the first fragment or a frame after the click
    user_widget: TurnWidget | None = None  # the sent message's turn, built with `widget`
    filed: bool = False  # the history rows of the send are written
    unfiled: list[str] = field(default_factory=list)  # answer text shown before its row existed
    api: str = "chat.completions"  # the API it goes through
    reasoning: list[str] = field(default_factory=list)  # summary pieces not rendered yet
    steps: dict[int, ToolStep] = field(default_factory=dict)  # tool steps not rendered yet
    # Regenerate: the answer it replaces (kept beside the new one, shown again if none comes).
    kept: tuple[Message, MessageMeta] | None = None

    def with_kept(self, meta: MessageMeta) -> MessageMeta:
        """The new answer's meta, with the answers Regenerate kept (it is shown as the last)."""
        if self.kept is None:
            return meta
        message, kept_meta = self.kept
        answers = tuple(kept_meta.answers(message.content))
        return dataclasses.replace(meta, alternatives=answers, alternative_index=len(answers))


@dataclass(slots=True)
class StoredState:
    """What the history store holds of the open conversation, so that nothing is written (or
    asked) twice: whether it is stored, and its last stored settings and draft."""

    exists: bool = False
    params: ChatRequest | None = None  # without messages
    api: str = ""  # the API the conversation was stored with ("" for none)
    system_prompt: str | None = None
    draft: str = ""


@dataclass(slots=True)
class ChatState:
    """The open conversation and everything the Chat controllers share about it.

    Attributes:
        conversation: the open conversation (its turns and system prompt).
        metas: each turn's stored metadata (usage, cost, moderation verdict...), by index.
        results: turn index -> the result with all its answers (for "use this choice").
        last_request: the last request sent (Retry sends it again).
        unfiled: a send whose turns and history rows are not made yet.
        moderation_models: the provider's moderation models (for the moderation check).
        stored: what the history store holds of the conversation.
        unsaved: a write failed; `ConversationHistory.save_all` writes the whole conversation.
    """

    conversation: Conversation = field(default_factory=Conversation)
    metas: list[MessageMeta] = field(default_factory=list)
    results: dict[int, ChatResult] = field(default_factory=dict)
    last_request: ChatRequest | None = None
    unfiled: InFlight | None = None
    moderation_models: list[str] = field(default_factory=list)
    stored: StoredState = field(default_factory=StoredState)
    unsaved: bool = False  # a write failed (a full disk): the store lacks some of what is shown

    def remove_turns_from(self, index: int) -> None:
        del self.conversation.turns[index:]
        del self.metas[index:]
        self.results = {k: v for k, v in self.results.items() if k < index}


def frame_timer(parent: QObject) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(FRAME_MS)
    return timer


def fields_of(request: ChatRequest) -> dict[str, Any]:
    """The parameter-panel fields of a stored or pasted request (everything but model and
    messages), with its Responses settings when it is a `ResponsesRequest`."""
    names = [f.name for f in dataclasses.fields(ChatRequest) if f.name not in ("model", "messages")]
    if isinstance(request, ResponsesRequest):
        names += RESPONSES_FIELD_NAMES
    return {name: getattr(request, name) for name in names}
