"""The Moderation tab: check texts and images, see every category's score, try your own thresholds.

The tab's modules (and pyqtgraph, numpy) are imported inside `build`, so start-up does not pay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt

from playground.ui.common.feature import Feature, FeatureContext, FeatureController

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from playground.core.api.catalog import CatalogSnapshot
    from playground.core.storage.settings import Settings
    from playground.ui.moderation.controller import ModerationController

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


class ModerationFeature(FeatureController):
    """The Moderation tab's hooks, handed to its `ModerationController`."""

    busy_groups = ("moderation",)

    def __init__(self, ctx: FeatureContext) -> None:
        from playground.core.moderation.service import ModerationService
        from playground.ui.moderation.controller import ModerationController
        from playground.ui.moderation.tab import ModerationTab

        services = ctx.services
        view = ModerationTab()
        super().__init__(view, ctx.window)
        self.controller: ModerationController = ModerationController(
            view,
            ModerationService(services.session.client),
            services.session,
            ctx.runner,
            services.accounting,
            ctx.counters,
            parent=self,
        )
        self.controller.show_price_note()

    def show_models(self, snapshot: CatalogSnapshot | None) -> None:
        self.controller.show_models(snapshot)

    def apply_settings(self, settings: Settings) -> None:
        self.controller.apply_settings(settings)

    def restore_state(self, state: dict[str, Any]) -> None:
        self.controller.restore_state(state)

    def save_state(self) -> dict[str, Any]:
        return self.controller.save_state()

    def shutdown(self) -> None:
        self.controller.stop()

    def fill_sample(self) -> None:
        """Eight checked lines with scores from a canned answer (no network)."""
        self._sample_many()
        self.controller.show_item(6)

    def _sample_many(self) -> None:
        from playground.core.moderation.service import ModerationResult, build_items

        c = self.controller
        view = c.view
        # The screenshot's model list has no moderation model; a real OpenAI list does.
        view.set_models(["omni-moderation-latest"], "omni-moderation-latest")
        view.set_models_note("")
        view.set_notes([])
        view.many_check.setChecked(True)
        view.input_edit.setPlainText("\n".join(SAMPLE_LINES))
        view.filter_combo.setCurrentIndex(0)
        plan = build_items("\n".join(SAMPLE_LINES), many=True)
        c.items = list(plan.items)
        c.results = {
            i: ModerationResult.from_api(_sample_result(item.text))
            for i, item in enumerate(c.items)
        }
        c.model = "omni-moderation-latest"
        c.requests = 1
        view.thresholds.reset()
        c.refresh_table(reuse=False)

    def extra_screens(self) -> list[tuple[str, QWidget]]:
        """Snapshots of the window in other states (a single item, thresholds, a filtered table)
        and of a Chat conversation with the moderation check's badges."""
        from playground.core.moderation.service import ModerationItem, ModerationResult

        c = self.controller
        view = c.view
        shots: list[tuple[str, QWidget]] = []

        single = SAMPLE_LINES[4]
        view.many_check.setChecked(False)
        view.input_edit.setPlainText(single)
        c.items = [ModerationItem(single)]
        c.results = {0: ModerationResult.from_api(_sample_result(single))}
        c.current = None
        c.refresh_table(reuse=False)
        c.show_item(0)
        view.log_check.setChecked(True)
        shots.append(("single", _snapshot(view)))
        view.log_check.setChecked(False)

        self._sample_many()
        view.thresholds.set_threshold("harassment", 0.3)
        view.thresholds.set_threshold("violence", 0.15)
        c.show_item(3)
        shots.append(("thresholds", _snapshot(view)))

        view.filter_combo.setCurrentIndex(3)  # blocked at your thresholds
        view.table.sortByColumn(5, Qt.SortOrder.DescendingOrder)
        c.show_item(1)
        shots.append(("table", _snapshot(view)))

        shots.append(("chat-check", _chat_check_sample(view)))
        self._sample_many()
        view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        c.show_item(6)
        return shots


def _snapshot(view: QWidget) -> QWidget:
    """A picture of the whole window now, as a hidden label parented to `view`."""
    from PySide6.QtWidgets import QApplication, QLabel

    QApplication.processEvents()
    pixmap = view.window().grab()
    label = QLabel(view)
    label.setPixmap(pixmap)
    label.resize(pixmap.size())
    label.hide()
    return label


def _chat_check_sample(view: QWidget) -> QWidget:
    """A Chat conversation with the moderation check on: a badge on each turn."""
    from PySide6.QtWidgets import QApplication

    from playground.core.models import Message, Role
    from playground.core.moderation.service import ModerationResult, summary
    from playground.ui.chat.conversation_view import ConversationView
    from playground.ui.common.moderation_badge import CLEAR, FLAGGED

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
    from PySide6.QtWidgets import QLabel

    pixmap = widget.grab()
    parent = widget.parentWidget()
    label = QLabel(parent)
    label.setPixmap(pixmap)
    label.resize(pixmap.size())
    label.hide()
    return label


def _sample_result(text: str) -> dict[str, Any]:
    """A plausible answer for the screenshot lines (scores shaped like real ones)."""
    import hashlib

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


def build(ctx: FeatureContext) -> FeatureController:
    return ModerationFeature(ctx)


FEATURE = Feature("moderation", "Moderation", "moderation", build)
