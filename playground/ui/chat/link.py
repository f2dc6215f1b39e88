"""Chat's side of `ChatLink`: what Compare and Prompt Lab may read from and put into Chat, and
"Compare this" on its way to Compare."""

from __future__ import annotations

from collections.abc import Callable

from playground.ui.chat.tab import ChatTab
from playground.ui.common.chat_link import ChatSettings, CompareRequest


class ChatTabLink:
    """A `ChatLink` over the Chat tab's own public methods.

    `show_compare` brings the Compare tab to the front (building it the first time, which is when
    it sets its handler with `on_compare`); the request is handed over after that.
    """

    def __init__(
        self,
        tab: ChatTab,
        show_chat: Callable[[], None],
        show_compare: Callable[[], None] = lambda: None,
    ) -> None:
        self._tab = tab
        self._show_chat = show_chat
        self._show_compare = show_compare
        self._compare_handler: Callable[[CompareRequest], None] | None = None
        self._pending: CompareRequest | None = None

    def chat_settings(self) -> ChatSettings:
        return self._tab.chat_settings()

    def use_in_chat(self, settings: ChatSettings) -> None:
        self._tab.apply_chat_settings(settings)
        self._show_chat()

    def on_compare(self, handler: Callable[[CompareRequest], None]) -> None:
        self._compare_handler = handler
        pending, self._pending = self._pending, None
        if pending is not None:
            handler(pending)

    def compare(self, request: CompareRequest) -> None:
        """Shows Compare and hands it `request`."""
        # First shown: built the first time (setting its handler) and its saved state restored,
        # so the request is not overwritten by that state.
        self._show_compare()
        if self._compare_handler is None:
            self._pending = request  # Compare takes it when it is built
        else:
            self._compare_handler(request)
