"""What other tabs may know of Chat: its current model, system prompt and parameters.

Compare starts from Chat's settings and can send a column's settings back; Prompt Lab proposes Chat's
model for a new variant. They get a `ChatLink` from the composition root and never see Chat's
widgets or controller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """Chat's model, system prompt and request fields (the parameter panel's `request_fields`)."""

    model: str
    system: str
    fields: dict[str, Any] = field(default_factory=dict)


class ChatLink(Protocol):
    def chat_settings(self) -> ChatSettings:
        """Chat's current model, system prompt and parameters."""
        ...

    def use_in_chat(self, settings: ChatSettings) -> None:
        """Puts `settings` into Chat and shows the Chat tab."""
        ...
