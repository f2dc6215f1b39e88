"""Chat's side of `ChatLink`: what Compare and Prompt Lab may read from and put into Chat, and
"Compare this" on its way to Compare."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from playground.core.chat.learned import Learned
from playground.core.models import Message
from playground.ui.chat.tab import ChatTab
from playground.ui.common.chat_link import ChatSettings, ChatTurnCase, CompareRequest


class ChatTabLink:
    """A `ChatLink` over the Chat tab's own public methods.

    `show_lab` brings Prompt Lab to the front (building it, so it registers its handler);
    `show_compare` brings the Compare tab to the front (building it the first time, which is when
    it sets its handler with `on_compare`); the request is handed over after that.
    """

    def __init__(
        self,
        tab: ChatTab,
        show_chat: Callable[[], None],
        show_lab: Callable[[], None] | None = None,
        show_compare: Callable[[], None] = lambda: None,
    ) -> None:
        self._tab = tab
        self._show_chat = show_chat
        self._show_lab = show_lab or (lambda: None)
        self._lab_handlers: list[Callable[[ChatTurnCase], None]] = []
        self._pending: list[ChatTurnCase] = []
        self._show_compare = show_compare
        self._compare_handler: Callable[[CompareRequest], None] | None = None
        self._pending_compare: CompareRequest | None = None
        fresh = Learned()
        self._learned: Callable[[], Learned] = lambda: fresh
        self._learned_shown: Callable[[], None] = lambda: None

    def use_learned(self, learned: Callable[[], Learned], shown: Callable[[], None]) -> None:
        """Where the refusals learned from the servers are (`learned()`: Chat's current set) and
        how Chat's panel shows them again (`shown`)."""
        self._learned = learned
        self._learned_shown = shown

    def refused(self, model: str) -> frozenset[str]:
        return self._learned().of(model)

    def learn_refusal(self, model: str, setting: str) -> None:
        self._learned().learn(model, setting)
        self._learned_shown()

    def on_add_to_lab(self, handler: Callable[[ChatTurnCase], None]) -> None:
        # Nothing is delivered here: Prompt Lab registers while it is being built, before it
        # restores its saved state; `add_to_lab` delivers once the tab is up.
        self._lab_handlers.append(handler)

    def add_to_lab(self, case: ChatTurnCase) -> None:
        """Sends a turn to Prompt Lab and shows it."""
        self._pending.append(case)
        self._show_lab()
        self._deliver()

    def _deliver(self) -> None:
        if not self._lab_handlers:
            return
        pending, self._pending = self._pending, []
        for case in pending:
            for handler in self._lab_handlers:
                handler(case)

    def chat_settings(self) -> ChatSettings:
        return self._tab.chat_settings()

    def use_in_chat(self, settings: ChatSettings) -> None:
        self._tab.apply_chat_settings(settings)
        self._show_chat()

    def on_compare(self, handler: Callable[[CompareRequest], None]) -> None:
        self._compare_handler = handler
        pending, self._pending_compare = self._pending_compare, None
        if pending is not None:
            handler(pending)

    def compare(self, request: CompareRequest) -> None:
        """Shows Compare and hands it `request`."""
        # First shown: built the first time (setting its handler) and its saved state restored,
        # so the request is not overwritten by that state.
        self._show_compare()
        if self._compare_handler is None:
            self._pending_compare = request  # Compare takes it when it is built
        else:
            self._compare_handler(request)


def turn_case(
    turns: Sequence[Message], index: int, system: str, variables: Mapping[str, str]
) -> ChatTurnCase | None:
    """The Prompt Lab case of answer `index`: the question before it, with the values of Chat's
    variables found in it turned back into {{variables}} (else the whole question is
    {{message}}), and the answer as the reference. None when `index` is not an answer to a
    question."""
    if not 0 < index < len(turns) or turns[index].role != "assistant":
        return None
    question = next((m for m in reversed(turns[:index]) if m.role == "user"), None)
    if question is None:
        return None
    text = question.content
    values = {n: v for n, v in variables.items() if v.strip() and v in text}
    template = text
    for name, value in sorted(values.items(), key=lambda item: -len(item[1])):
        template = template.replace(value, "{{" + name + "}}")
    if not values:
        template, values = "{{message}}", {"message": text}
    return ChatTurnCase(system, template, values, turns[index].content)
