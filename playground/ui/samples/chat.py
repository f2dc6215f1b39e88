"""Sample content for `--screenshot`: the starters gallery the empty Chat shows.

Chat's main sample is a stored conversation (`screenshots._fill_chat_sample`), which hides the
gallery; this takes a picture of the window with a new, empty conversation (the gallery in it), then
reopens the sample conversation. Nothing here is used when the app runs normally.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from playground.core.starters import load_starters
from playground.ui.chat.tab import ChatTab
from playground.ui.common.feature import ChatCommands, FeatureController


def fill(controller: FeatureController) -> list[tuple[str, QWidget]]:
    view = controller.view
    if not isinstance(controller, ChatCommands) or not isinstance(view, ChatTab):
        return []
    previous = getattr(controller, "conversation").id  # noqa: B009 (ChatController's property)
    background = _background_note(view)  # on the sample answer, rebuilt when it is reopened
    controller.new_conversation()
    library = load_starters()
    view.set_starters(library.starters, library.problems)
    view.starters.select("email-triage")
    for _ in range(3):  # the old turns are deleted and the column laid out again
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QApplication.processEvents()
    pixmap = view.window().grab()
    picture = QLabel(view)
    picture.setPixmap(pixmap)
    picture.resize(pixmap.deviceIndependentSize().toSize())  # the same at 150%
    picture.hide()
    shots = [("starters", picture), *_kept_on_openai(controller, view)]
    controller.open_conversation(previous)
    QApplication.processEvents()
    return [*shots, ("background", background)]


def _grab(view: ChatTab) -> QLabel:
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QApplication.processEvents()
    pixmap = view.window().grab()
    picture = QLabel(view)
    picture.setPixmap(pixmap)
    picture.resize(pixmap.deviceIndependentSize().toSize())
    picture.hide()
    return picture


def _background_note(view: ChatTab) -> QWidget:
    """The line under an answer that runs in the background, after its connection came back."""
    from playground.ui.chat.conversation_view import TurnInfo
    from playground.ui.chat.sending import BACKGROUND_NOTE

    turn = view.turn_at(1)
    if turn is not None:
        turn.set_info(TurnInfo(meta=f"Reconnected · {BACKGROUND_NOTE}", status="streaming"))
    view.set_reply_info("Streaming… 1,284 tokens")
    picture = _grab(view)
    view.set_reply_info("")
    return picture


def _kept_on_openai(controller: FeatureController, view: ChatTab) -> list[tuple[str, QWidget]]:
    """A conversation kept on OpenAI as an OpenAI conversation (the panel's Keep on OpenAI row),
    then deleted: the bar offers "Also delete it on OpenAI". Deleted (hidden) again afterwards."""
    from PySide6.QtWidgets import QScrollArea

    from playground.core.chat.server_state import seeded
    from playground.core.chat.service import ResponsesRequest
    from playground.core.models import Message
    from playground.core.storage.history import HistoryStore, MessageMeta

    history = getattr(controller, "history", None)
    if not isinstance(history, HistoryStore) or not isinstance(controller, ChatCommands):
        return []
    params = ResponsesRequest(model="gpt-4o-mini", messages=(), store=True, keep_as="conversation")
    history.create("sample-kept", title="Kept on OpenAI", params=params, api="responses")
    turns = [
        Message("user", "Which Lisbon museums open on Mondays?"),
        Message("assistant", "Gulbenkian (closed Tuesdays) and MAAT; most others close Mondays."),
    ]
    for message in turns:
        meta = MessageMeta(model="gpt-4o-mini") if message.role == "assistant" else None
        history.append_message("sample-kept", message, meta)
    history.set_server_state("sample-kept", seeded("conv_sample", turns).to_json())
    controller.open_conversation("sample-kept")
    area = view.findChild(QScrollArea, "chatParamsScroll")
    if area is not None:
        area.ensureWidgetVisible(view.params.keep_how_combo, 0, 120)
    shots: list[tuple[str, QWidget]] = [("keep-conversation", _grab(view))]
    view.delete_conversation_requested.emit("sample-kept")
    shots.append(("delete-on-openai", _grab(view)))
    view.history.hide_undo()
    if area is not None:
        area.verticalScrollBar().setValue(0)
    return shots
