"""Sample content for `--screenshot`: the Compare tab with two models' answers to one question and
the differences between them highlighted (no network).

Nothing here is used when the app runs normally.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import QApplication, QLabel, QWidget

from playground.core.compare.diff import SampleOutcome, column_summary
from playground.core.models import Message, Usage
from playground.ui.common.chat_link import ChatSettings, CompareRequest
from playground.ui.compare.controller import CompareController

SAMPLE_QUESTION = "Explain in two sentences why the sky is blue."
SAMPLE_MODELS = ("gpt-4o-mini", "gpt-4.1-mini")
SAMPLE_ANSWERS = (
    "Sunlight is made of every colour, and the air scatters **short blue wavelengths** far more "
    "than red ones (Rayleigh scattering). That scattered blue light reaches our eyes from every "
    "direction, so the whole sky looks blue.",
    "Sunlight contains all colours, but air molecules scatter **blue light** much more strongly "
    "than red light. Because this scattered blue light comes at us from all over the sky, the sky "
    "appears blue.",
)
SAMPLE_LATENCIES_MS = (812.0, 1310.0)


def fill(controller: CompareController) -> list[tuple[str, QWidget]]:
    """Two columns, each with its answer and numbers, the diff on and the run's estimate; before
    that, the tab as Chat's "Compare" on an answer leaves it (a picture of its own)."""
    view = controller.view
    controller.compare_this(
        CompareRequest(
            ChatSettings(SAMPLE_MODELS[0], "You are a patient tutor.", {"temperature": 0.7}),
            (
                Message("user", "Why is the sky blue?"),
                Message("assistant", "Air scatters blue light more than red."),
            ),
            "And why are sunsets red?",
        )
    )
    QApplication.processEvents()
    from_chat = QLabel()
    picture = view.window().grab()
    from_chat.setPixmap(picture)
    from_chat.resize(picture.deviceIndependentSize().toSize())
    controller.forget_context()
    view.set_status("")
    view.set_message(SAMPLE_QUESTION)
    for column, model, answer, ms in zip(
        view.column_ids(), SAMPLE_MODELS, SAMPLE_ANSWERS, SAMPLE_LATENCIES_MS, strict=False
    ):
        view.set_column_model(column, model)
        view.begin_column(column, 1)
        view.finish_answer(column, 0, answer)
        usage = Usage(input_tokens=21, output_tokens=len(answer.split()) + 9)
        cost = controller.accounting.cost(controller.session.profile, model, usage)
        view.set_column_stats(
            column,
            column_summary([SampleOutcome(usage, cost or Decimal(0), ms, ms / 3, "stop")]),
        )
    view.set_diff_on(True)
    controller.update_diff()
    controller.estimate_now()
    return [("from-chat", from_chat)]
