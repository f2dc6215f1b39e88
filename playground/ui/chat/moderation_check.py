"""Chat's moderation check: with the tab's "Moderate" box on, each prompt and answer is also sent
to the moderation endpoint and its verdict is shown (and kept) as a badge on the turn."""

from __future__ import annotations

import dataclasses
import logging

from PySide6.QtCore import QObject

from playground.core.api.errors import AppError
from playground.core.api.session import ApiSession
from playground.core.models import RequestStatus
from playground.core.moderation.service import (
    BatchResult,
    ModerationResult,
    ModerationService,
    pick_model,
)
from playground.core.moderation.service import summary as moderation_summary
from playground.core.storage.history import HistoryError, HistoryStore, ModerationNote
from playground.ui.chat.conversation_view import TurnWidget
from playground.ui.chat.state import MODERATION_GROUP, ChatState
from playground.ui.chat.tab import ChatTab
from playground.ui.common.moderation_badge import CLEAR, FAILED, FLAGGED, PENDING
from playground.ui.shell.bridge import TaskRunner
from playground.ui.shell.counters import CountersController

log = logging.getLogger(__name__)


class ModerationCheck(QObject):
    """Checks turns with the moderation endpoint beside the chat request (its own task group)."""

    def __init__(
        self,
        state: ChatState,
        view: ChatTab,
        session: ApiSession,
        runner: TaskRunner,
        counters: CountersController,
        history: HistoryStore,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.view = view
        self.session = session
        self.runner = runner
        self.counters = counters
        self.history = history

    def check(
        self,
        widget: TurnWidget | None,
        text: str,
        image_urls: list[str] | None = None,
        message_id: int | None = None,
    ) -> None:
        """With the tab's "Moderate" box on, sends a turn's text (and images) to the moderation
        endpoint and shows the verdict as a badge on `widget`'s turn; the verdict is kept with the
        turn (`message_id` in the history), so the badge is there when the conversation is opened
        again. It runs beside the chat request (its own task group): nothing waits for it and
        nothing is blocked. Each request is a ledger row.
        """
        images = image_urls or []
        if widget is None or not self.view.moderation_check_on or not (text.strip() or images):
            return
        model = pick_model(self.state.moderation_models)
        widget.set_moderation(PENDING, "Checking…", f"Sending this turn to {model}")
        service = ModerationService(self.session.client)
        profile = self.session.profile  # the rows go to the provider the check was sent to

        def on_result(outcome: tuple[ModerationResult, list[BatchResult]]) -> None:
            result, answers = outcome
            for answer in answers:
                self.counters.record_moderation(
                    profile, model, RequestStatus.OK, answer.elapsed_ms, answer.request_id
                )
            badge, tip = moderation_summary(result)
            state = FLAGGED if result.flagged else CLEAR
            self._keep(widget, message_id, state, badge, tip)

        def on_error(error: AppError) -> None:
            self.counters.record_moderation(
                profile, model, RequestStatus.ERROR, None, error.request_id
            )
            self._keep(widget, message_id, FAILED, "Check failed", error.text)

        self.runner.start(
            service.check_message(model, text, images),
            group=MODERATION_GROUP,
            on_result=on_result,
            on_error=on_error,
            on_cancel=lambda: None,
        )

    def _keep(
        self, widget: TurnWidget, message_id: int | None, state: str, badge: str, tip: str
    ) -> None:
        """Shows a verdict on its turn and keeps it with the turn's metadata and stored row."""
        note = ModerationNote(state, badge, tip)
        metas = self.state.metas
        # Not rebuilt (an edit, another conversation) meanwhile: its index is still its message's.
        if self.view.shows_turn(widget):
            widget.set_moderation(state, badge, tip)
            if widget.index < len(metas):
                metas[widget.index] = dataclasses.replace(metas[widget.index], moderation=note)
        if message_id is not None:
            try:
                self.history.set_moderation(message_id, note)
            except HistoryError as exc:  # edited or deleted meanwhile: the badge was for then
                log.info("history: %s", exc)
