"""Your own threshold per moderation category: a slider each, in two columns.

The categories are those the results carry (the known ones before any result arrives), so a
category the API adds later gets a slider too. Thresholds are 0.00 to 1.00 in steps of 0.01.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from playground.core.moderation.service import (
    CATEGORY_INFO,
    DEFAULT_THRESHOLD,
    category_description,
    category_title,
)
from playground.ui.common.widgets import named

STEPS = 100


class ThresholdPanel(QWidget):
    """A slider per category.

    Signals:
        changed: a threshold moved (or all were reset). arg: {category: threshold} for every category.
    """

    changed = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("thresholdPanel")
        self.sliders: dict[str, QSlider] = {}
        self._values: dict[str, QLabel] = {}
        self._grid = QGridLayout()
        self._grid.setHorizontalSpacing(8)
        self._grid.setVerticalSpacing(2)
        self._grid.setColumnStretch(1, 1)
        self._grid.setColumnStretch(4, 1)
        self._grid.setColumnMinimumWidth(3, 16)

        title = QLabel("<b>Your thresholds</b>: a score at or above it would be blocked")
        title.setObjectName("thresholdTitle")
        self.reset_button = QPushButton("Reset all to 0.50")
        self.reset_button.setObjectName("resetThresholds")
        self.reset_button.setToolTip("Put every threshold back to 0.50")
        self.reset_button.clicked.connect(self.reset)
        head = QHBoxLayout()
        head.addWidget(title, 1)
        head.addWidget(self.reset_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addLayout(self._grid)
        layout.addStretch(1)
        self.set_categories(list(CATEGORY_INFO))

    def set_categories(self, names: list[str]) -> None:
        """Adds a slider for each category not shown yet (existing ones keep their value)."""
        for name in names:
            if name in self.sliders:
                continue
            slider = named(
                QSlider(Qt.Orientation.Horizontal),
                f"threshold:{name}",
                f"Threshold for {category_title(name)}",
            )
            slider.setRange(0, STEPS)
            slider.setPageStep(5)
            slider.setValue(round(DEFAULT_THRESHOLD * STEPS))
            slider.setToolTip(category_description(name))
            value = QLabel(f"{DEFAULT_THRESHOLD:.2f}")
            value.setMinimumWidth(32)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            label = QLabel(category_title(name))
            label.setToolTip(category_description(name))
            label.setBuddy(slider)
            n = len(self.sliders)
            row, col = n // 2, (n % 2) * 4
            self._grid.addWidget(label, row, col)
            self._grid.addWidget(slider, row, col + 1)
            self._grid.addWidget(value, row, col + 2)
            self.sliders[name] = slider
            self._values[name] = value
            slider.valueChanged.connect(lambda v, key=name: self._on_slider(key, v))

    def thresholds(self) -> dict[str, float]:
        return {name: slider.value() / STEPS for name, slider in self.sliders.items()}

    def set_thresholds(self, values: dict[str, float]) -> None:
        """Writes values into the sliders without echoing `changed` for each."""
        self.set_categories([n for n in values if n not in self.sliders])
        for name, value in values.items():
            slider = self.sliders[name]
            with QSignalBlocker(slider):
                slider.setValue(round(min(max(float(value), 0.0), 1.0) * STEPS))
            self._values[name].setText(f"{slider.value() / STEPS:.2f}")

    def set_threshold(self, name: str, value: float) -> None:
        """Moves one slider (as a user would: `changed` is emitted)."""
        self.set_categories([name])
        self.sliders[name].setValue(round(value * STEPS))

    def reset(self) -> None:
        self.set_thresholds(dict.fromkeys(self.sliders, DEFAULT_THRESHOLD))
        self.changed.emit(self.thresholds())

    def _on_slider(self, name: str, value: int) -> None:
        self._values[name].setText(f"{value / STEPS:.2f}")
        self.changed.emit(self.thresholds())
