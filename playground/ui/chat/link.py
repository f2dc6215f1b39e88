"""Chat's side of `ChatLink`: what Compare and Prompt Lab may read from and put into Chat."""

from __future__ import annotations

from collections.abc import Callable

from playground.ui.chat.tab import ChatTab
from playground.ui.common.chat_link import ChatSettings


class ChatTabLink:
    """A `ChatLink` over the Chat tab's own public methods."""

    def __init__(self, tab: ChatTab, show_chat: Callable[[], None]) -> None:
        self._tab = tab
        self._show_chat = show_chat

    def chat_settings(self) -> ChatSettings:
        return self._tab.chat_settings()

    def use_in_chat(self, settings: ChatSettings) -> None:
        self._tab.apply_chat_settings(settings)
        self._show_chat()
