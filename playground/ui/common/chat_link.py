"""What other tabs may know of Chat: its current model, system prompt and parameters, and the turn
the user asked to compare.

Compare starts from Chat's settings, can send a column's settings back and receives "Compare this"
(a turn with the conversation before it); Prompt Lab proposes Chat's model for a new variant. They
get a `ChatLink` from the composition root and never see Chat's widgets or controller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from playground.core.models import Message

COMPARE_TAB = "compare"  # the key of the tab that receives "Compare this"


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """Chat's model, system prompt and request fields (the parameter panel's `request_fields`)."""

    model: str
    system: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChatTurnCase:
    """A Chat answer offered to Prompt Lab as a test case ("To Lab" on a turn).

    Attributes:
        system: the system prompt as typed (with its {{variables}}).
        template: the message as typed, when the turn was sent from it (else "{{message}}").
        values: the variables' values (or {"message": the question as sent}).
        answer: the answer, the case's reference.
        model: the model that answered.
    """

    system: str
    template: str
    values: dict[str, str]
    answer: str
    model: str = ""


@dataclass(frozen=True, slots=True)
class CompareRequest:
    """ "Compare this" on a Chat turn: Chat's settings (its system prompt filled in), the turns
    before the message, and the message whose answers are compared."""

    settings: ChatSettings
    context: tuple[Message, ...]
    message: str


class ChatLink(Protocol):
    def chat_settings(self) -> ChatSettings:
        """Chat's current model, system prompt and parameters."""
        ...

    def use_in_chat(self, settings: ChatSettings) -> None:
        """Puts `settings` into Chat and shows the Chat tab."""
        ...

    def on_add_to_lab(self, handler: Callable[[ChatTurnCase], None]) -> None:
        """Prompt Lab's way in: `handler` gets every turn the user sends to Prompt Lab (Chat
        shows the Prompt Lab tab first, which builds it)."""
        ...

    def refused(self, model: str) -> frozenset[str]:
        """The settings `model`'s server refused with a 400 (`core.chat.learned`, shared by Chat,
        Compare and Prompt Lab): left out of its requests."""
        ...

    def learn_refusal(self, model: str, setting: str) -> None:
        """Remembers that `model`'s server refused `setting` (Chat's panel shows it, resettable)."""
        ...

    def on_compare(self, handler: Callable[[CompareRequest], None]) -> None:
        """`handler` receives each "Compare this" from now on, and at once the one asked for
        before it was set (the Compare tab is built when first shown)."""
        ...
