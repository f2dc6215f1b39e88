"""Screenshot samples of the retirement radar: the Retirements view and a model picker's popup.

Called by `screenshots.py` after the tabs are filled (the Chat sample's conversations are on
gpt-4o-mini, which retires on 14 Jan 2027), with only public methods of the app controller and
the views.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from PySide6.QtWidgets import QApplication, QComboBox, QWidget

from playground.core.api.radar import Trial, TrialSide
from playground.core.chat.presets import Preset
from playground.core.chat.service import ChatRequest
from playground.services import Services
from playground.ui.shell.app_controller import AppController


def retirements_view(controller: AppController, services: Services) -> QWidget:
    """The view with the sample's saved things listed and an old-versus-new table."""
    services.presets.save(
        Preset(
            "Support replies",
            "You answer customers kindly and briefly.",
            ChatRequest(model="gpt-5-mini", messages=()),
        )
    )
    dialog = controller.open_retirements()
    if dialog is None:
        raise RuntimeError("the Retirements view is not wired")
    _settle(controller)
    dialog.resize(820, 620)
    dialog.show_trial(
        Trial(
            TrialSide("gpt-4o-mini", "Tutor", 12, 12, 10, 12, Decimal("0.0041"), 1840.0, 0),
            TrialSide("o3", "Tutor on o3", 12, 12, 11, 12, Decimal("0.0032"), 1320.0, 0),
        ),
        "Prompt Lab: your test cases on gpt-4o-mini and on o3",
    )
    dialog.set_status(
        "Done: 24 of 24 cells finished · $0.0073. If the replacement does as well, Switch makes "
        "the variant use it."
    )
    return dialog


def chat_picker_popup(controller: AppController) -> QWidget:
    """Chat's model picker, opened: badges on the dated models."""
    combo = controller.chat.view.model_combo
    if not isinstance(combo, QComboBox):
        raise TypeError("Chat's model picker is not a combo box")
    combo.showPopup()
    QApplication.processEvents()
    popup: QWidget = combo.view().window()
    return popup


def _settle(controller: AppController) -> None:
    async def _wait() -> None:
        while controller.runner.is_busy("retirements"):  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    asyncio.get_event_loop().run_until_complete(asyncio.wait_for(_wait(), 10))
