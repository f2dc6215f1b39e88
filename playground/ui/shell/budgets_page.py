"""Settings → Budgets: a spending limit per day, per calendar month and per session, each for every
provider or one, and the percentages at which the status bar warns.

The page edits `Settings.tabs["budgets"]` (`core/money/budgets.py`); the Settings dialog adds it
as a tab, asks it for `problems()` before OK and takes its `state()` after.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from playground.core.money.budgets import (
    Budget,
    BudgetSettings,
    Period,
    budgets_from_state,
    budgets_to_state,
    parse_limit,
    parse_percentages,
)
from playground.ui.common.widgets import named

ALL_PROVIDERS = "All providers"


class BudgetsPage(QWidget):
    """The Budgets page of Settings.

    Args:
        state: `Settings.tabs["budgets"]` as saved.
        providers: the names of the provider profiles (a budget may be for one of them).
    """

    def __init__(
        self, state: dict[str, Any], providers: Sequence[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("budgetsPage")
        self._saved = budgets_from_state(state)
        intro = QLabel(
            "Set how much you want to spend at most. Before a request or a Compare or Prompt Lab "
            "run that could go over a limit, Playground stops and asks; you can still send it. "
            "Costs are counted at their highest (the whole answer length), in dollars. Leave a "
            "field empty for no limit."
        )
        intro.setWordWrap(True)
        grid = QGridLayout()
        grid.addWidget(QLabel("<b>Limit</b>"), 0, 1)
        grid.addWidget(QLabel("<b>For</b>"), 0, 2)
        self.limit_edits: dict[Period, QLineEdit] = {}
        self.provider_boxes: dict[Period, QComboBox] = {}
        by_period = {b.period: b for b in self._saved.budgets}
        for row, period in enumerate(Period, start=1):
            budget = by_period.get(period)
            edit = named(
                QLineEdit(str(budget.limit) if budget else ""),
                f"budget{period.value.title()}Limit",
                f"Limit {period.label}",
                f"The most to spend {period.label}, in dollars. Empty: no limit.",
            )
            edit.setPlaceholderText("no limit")
            box = named(
                QComboBox(), f"budget{period.value.title()}Provider", f"Provider {period.label}"
            )
            box.addItem(ALL_PROVIDERS, "")
            for name in providers:
                box.addItem(name, name)
            if budget and budget.provider:
                index = box.findData(budget.provider)
                if index < 0:  # a provider renamed or removed since: keep the budget for it
                    box.addItem(budget.provider, budget.provider)
                    index = box.count() - 1
                box.setCurrentIndex(index)
            grid.addWidget(QLabel(f"{period.heading} ($)"), row, 0)
            grid.addWidget(edit, row, 1)
            grid.addWidget(box, row, 2)
            self.limit_edits[period] = edit
            self.provider_boxes[period] = box
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        self.warn_edit = named(
            QLineEdit(", ".join(str(p) for p in self._saved.warn_at)),
            "budgetWarnAt",
            "Warn at these percentages",
            "The status bar turns amber at the first percentage, and a message says so once at "
            "each (for example 50, 80).",
        )
        grid.addWidget(QLabel("Warn at (% of a limit)"), len(Period) + 1, 0)
        grid.addWidget(self.warn_edit, len(Period) + 1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addStretch(1)

    def problems(self) -> list[str]:
        """What must be fixed before the page can be saved, in plain words."""
        found: list[str] = []
        for period, edit in self.limit_edits.items():
            _, problem = parse_limit(edit.text())
            if problem:
                found.append(f"Budgets, {period.heading.lower()}: {problem}")
        _, problem = parse_percentages(self.warn_edit.text())
        if problem:
            found.append(f"Budgets: {problem}")
        return found

    def budget_settings(self) -> BudgetSettings:
        """The budgets as edited (fields with problems are left out: check `problems` first)."""
        budgets: list[Budget] = []
        for period, edit in self.limit_edits.items():
            limit, _ = parse_limit(edit.text())
            if limit is not None:
                provider = self.provider_boxes[period].currentData() or ""
                budgets.append(Budget(period, limit, str(provider)))
        warn, problem = parse_percentages(self.warn_edit.text())
        return BudgetSettings(
            tuple(budgets), warn if not problem else self._saved.warn_at, self._saved.allowed_on
        )

    def state(self) -> dict[str, Any]:
        """What to keep in `Settings.tabs["budgets"]`."""
        return budgets_to_state(self.budget_settings())
