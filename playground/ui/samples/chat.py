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
    controller.open_conversation(previous)
    QApplication.processEvents()
    return [("starters", picture), ("background", background)]


def _background_note(view: ChatTab) -> QWidget:
    """The line under an answer that runs in the background, after its connection came back."""
    from playground.ui.chat.conversation_view import TurnInfo
    from playground.ui.chat.sending import BACKGROUND_NOTE

    turn = view.turn_at(1)
    if turn is not None:
        turn.set_info(TurnInfo(meta=f"Reconnected · {BACKGROUND_NOTE}", status="streaming"))
    view.set_reply_info("Streaming… 1,284 tokens")
    QApplication.processEvents()
    pixmap = view.window().grab()
    picture = QLabel(view)
    picture.setPixmap(pixmap)
    picture.resize(pixmap.deviceIndependentSize().toSize())
    picture.hide()
    view.set_reply_info("")
    return picture
