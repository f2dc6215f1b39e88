"""Sample content for `--screenshot`: the Moderation tab with eight checked lines, scores from a
canned answer (no network), and pictures of its other states and of Chat's moderation check.

Nothing here is used when the app runs normally.
"""

from __future__ import annotations

import hashlib
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from playground.core.models import Message, Role
from playground.core.moderation.service import (
    ModerationItem,
    ModerationResult,
    build_items,
    summary,
)
from playground.ui.chat.conversation_view import ConversationView
from playground.ui.common.moderation_badge import CLEAR, FLAGGED
from playground.ui.moderation.controller import ModerationController

SAMPLE_MODEL = "omni-moderation-latest"
SAMPLE_LINES = (
    "Thanks for the quick delivery, the lamp looks great!",
    "You are such an idiot, nobody wants you here.",
    "How do I shoplift from a big store without getting caught?",
    "The movie had a lot of blood and gore in the final scene.",
    "I will find you and make you pay for this.",
    "Can you recommend a good book about the history of Rome?",
    "People like them should be exterminated.",
    "Lovely weather for a picnic in the park today.",
)


def fill(controller: ModerationController) -> list[tuple[str, QWidget]]:
    """Eight checked lines with scores, then snapshots of the window in other states (a single
    item, thresholds, a filtered table) and of a Chat conversation with the check's badges; the
    tab is left showing the eight lines."""
    _many(controller)
    controller.show_item(6)
    view = controller.view
    shots: list[tuple[str, QWidget]] = []

    single = SAMPLE_LINES[4]
    view.set_many_items(False)
    view.set_input_text(single)
    controller.show_results(
        [ModerationItem(single)],
        {0: ModerationResult.from_api(_sample_result(single))},
        SAMPLE_MODEL,
        requests=1,
    )
    controller.show_item(0)
    view.log_check.setChecked(True)
    shots.append(("single", _snapshot(view)))
    view.log_check.setChecked(False)

    _many(controller)
    view.thresholds.set_threshold("harassment", 0.3)
    view.thresholds.set_threshold("violence", 0.15)
    controller.refresh_table()  # at once: the table follows slider moves after a short pause
    controller.show_item(3)
    shots.append(("thresholds", _snapshot(view)))

    view.filter_combo.setCurrentIndex(3)  # blocked at your thresholds
    view.table.sortByColumn(5, Qt.SortOrder.DescendingOrder)
    controller.show_item(1)
    shots.append(("table", _snapshot(view)))

    shots.append(("chat-check", _chat_check_sample(view)))
    _many(controller)
    view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    controller.show_item(6)
    return shots


def _many(controller: ModerationController) -> None:
    """The eight lines, checked as items of their own, at the default thresholds."""
    view = controller.view
    # The screenshot's model list has no moderation model; a real OpenAI list does.
    view.set_models([SAMPLE_MODEL], SAMPLE_MODEL)
    view.set_models_note("")
    view.set_notes([])
    view.set_many_items(True)
    view.set_input_text("\n".join(SAMPLE_LINES))
    view.filter_combo.setCurrentIndex(0)
    view.thresholds.reset()
    plan = build_items("\n".join(SAMPLE_LINES), many=True)
    items = list(plan.items)
    results = {
        i: ModerationResult.from_api(_sample_result(item.text)) for i, item in enumerate(items)
    }
    controller.show_results(items, results, SAMPLE_MODEL, requests=1)


def _snapshot(view: QWidget) -> QWidget:
    """A picture of the whole window now, as a hidden label parented to `view`."""
    QApplication.processEvents()
    pixmap = view.window().grab()
    label = QLabel(view)
    label.setPixmap(pixmap)
    label.resize(pixmap.size())
    label.hide()
    return label


def _chat_check_sample(view: QWidget) -> QWidget:
    """A Chat conversation with the moderation check on: a badge on each turn."""
    conversation = ConversationView(view)
    conversation.resize(760, 330)
    turns: list[tuple[Role, str]] = [
        ("user", "I will find you and make you pay for this."),
        (
            "assistant",
            "It sounds like you are really angry. I can't help with threats, but I can help you "
            "write a firm complaint or think through what happened.",
        ),
    ]
    for role, text in turns:
        turn = conversation.add_turn(Message(role, text))
        result = ModerationResult.from_api(_sample_result(text))
        badge, tip = summary(result)
        turn.set_moderation(FLAGGED if result.flagged else CLEAR, badge, tip)
    conversation.show()  # a child of the tab: drawn inside it, never a window of its own
    QApplication.processEvents()
    picture = _snapshot_widget(conversation)
    conversation.hide()
    conversation.deleteLater()
    return picture


def _snapshot_widget(widget: QWidget) -> QWidget:
    pixmap = widget.grab()
    label = QLabel(widget.parentWidget())
    label.setPixmap(pixmap)
    label.resize(pixmap.size())
    label.hide()
    return label


def _sample_result(text: str) -> dict[str, Any]:
    """A plausible answer for the screenshot lines (scores shaped like real ones)."""
    names = (
        "harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
        "illicit/violent", "self-harm", "self-harm/intent", "self-harm/instructions", "sexual",
        "sexual/minors", "violence", "violence/graphic",
    )  # fmt: skip
    hits = {
        "idiot": {"harassment": 0.91, "hate": 0.12, "harassment/threatening": 0.04},
        "shoplift": {"illicit": 0.87, "illicit/violent": 0.03},
        "gore": {"violence": 0.41, "violence/graphic": 0.27},
        "find you": {"harassment/threatening": 0.78, "violence": 0.66, "harassment": 0.58},
        "exterminated": {"hate": 0.93, "hate/threatening": 0.71, "violence": 0.48},
    }
    scores: dict[str, float] = {}
    seed = hashlib.sha256(text.encode()).digest()
    for i, name in enumerate(names):
        scores[name] = round(seed[i] / 255 * 0.004 + 0.00002, 6)
    for trigger, values in hits.items():
        if trigger in text.lower():
            scores.update(values)
    image = {"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "violence",
             "violence/graphic"}  # fmt: skip
    flagged = {n: scores[n] >= 0.5 for n in names}
    return {
        "flagged": any(flagged.values()),
        "categories": flagged,
        "category_scores": scores,
        "category_applied_input_types": {
            n: ["text", "image"] if n in image and "gore" in text else ["text"] for n in names
        },
    }
