"""Screenshot sample: a long conversation whose oldest turns OpenAI compacted (issue 21, "OpenAI
compacts"): the note with its numbers and cost, the compacted turns greyed "not sent", and the
panel's Long conversations set to "OpenAI compacts". Only `--screenshot` imports it."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from playground.core.chat.context import Compaction, Strategy, compaction_note
from playground.core.chat.service import ResponsesRequest
from playground.core.models import Message, Usage
from playground.core.storage.history import HistoryStore, MessageMeta

_MODEL = "gpt-4o-mini"


def conversation() -> list[tuple[Message, MessageMeta | None]]:
    """The sample turns: two exchanges, the note that compacted them, a newer exchange."""
    items = (
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "…"}]},
        {"type": "compaction", "encrypted_content": "sample"},
    )
    note = compaction_note(Compaction(items, 4, 38_200, 2_100, _MODEL, cost=Decimal("0.0042")))
    usage = Usage(input_tokens=38_200, output_tokens=2_100)
    return [
        (Message("user", "Here are the minutes of our last twelve meetings. …"), None),
        (Message("assistant", "A summary of each meeting, decisions first. …"), MessageMeta(model=_MODEL)),
        (Message("user", "Which decisions were reversed later?"), None),
        (Message("assistant", "Three: the venue, the budget cap and the deadline. …"), MessageMeta(model=_MODEL)),
        (note, MessageMeta(model=_MODEL, usage=usage, cost=Decimal("0.0042"))),
        (Message("user", "Draft an email announcing the new deadline."), None),
    ]  # fmt: skip


def shot(
    app: QApplication,
    window: QWidget,
    chat: Any,
    history: HistoryStore,
    settle: Callable[[], None],
    save: Callable[[QWidget, str], Any],
) -> Any:
    """Stores and opens the sample conversation, shows the panel's Long conversations group and
    saves the window as `chat-compacted-<theme>.png` (`save` adds the theme and folder)."""
    params = ResponsesRequest(model=_MODEL, messages=(), context_strategy=Strategy.COMPACT.value)
    history.create("sample-compacted", title="Meeting minutes", params=params, api="responses")
    for message, meta in conversation():
        history.append_message("sample-compacted", message, meta)
    chat.open_conversation("sample-compacted")
    settle()
    view = chat.view
    area = view.findChild(QScrollArea, "chatParamsScroll")
    if area is not None:
        area.ensureWidgetVisible(view.params.context_group, 0, 0)
    app.processEvents()
    turns = view.conversation.turns
    if len(turns) > 4:  # the note in view, whatever the text size
        view.conversation.ensureWidgetVisible(turns[4], 0, 0)
    app.processEvents()
    return save(window, "chat-compacted")
