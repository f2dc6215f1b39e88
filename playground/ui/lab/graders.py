"""Prompt Lab's grader settings: who grades the graded checks (rubric, label, similarity) and the
scores they must reach. View only: `LabController` reads `settings()` for each run."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QWidget,
)

from playground.core.lab.graders import (
    DECISIONS_MODEL,
    DEFAULT_EMBEDDING_MODEL,
    DEFAULT_PASS_SCORE,
    DEFAULT_SIMILARITY,
    GraderSettings,
)
from playground.ui.common.widgets import named


def _score_spin(name: str, accessible: str, value: float) -> QDoubleSpinBox:
    spin = named(QDoubleSpinBox(), name, accessible)
    spin.setRange(0.0, 1.0)
    spin.setSingleStep(0.05)
    spin.setDecimals(2)
    spin.setValue(value)
    return spin


class GraderPanel(QWidget):
    """The grader model, the Decisions API switch, and the two pass marks.

    Signals:
        changed: a setting changed.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("labGraders")
        self.model_combo = named(QComboBox(), "labGraderModel", "Grader model")
        self.model_combo.setMinimumContentsLength(12)
        self.model_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.model_combo.setToolTip(
            "The model that grades rubric and label checks (its requests are counted apart from "
            "the variants' cost)"
        )
        self.decisions_check = named(
            QCheckBox(f"Use the Decisions API ({DECISIONS_MODEL}) when available"),
            "labGraderDecisions",
            "Use the Decisions API",
        )
        self.decisions_check.setToolTip(
            "A beta API that answers several yes/no questions in one request, billed on input "
            "only. If it is missing or declines, the grader model above grades instead."
        )
        self.embedding_combo = named(QComboBox(), "labGraderEmbedding", "Similarity model")
        self.embedding_combo.setToolTip("Embeds answers and references for similarity checks")
        self.pass_spin = _score_spin("labGraderPass", "Rubric pass mark", DEFAULT_PASS_SCORE)
        self.pass_spin.setToolTip("Every rubric line must score at least this (0 to 1) to pass")
        self.similar_spin = _score_spin(
            "labGraderSimilarity", "Similarity pass mark", DEFAULT_SIMILARITY
        )
        self.similar_spin.setToolTip(
            "How close in meaning the answer must be to the expected text (0 to 1)"
        )
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Grader model", self.model_combo)
        form.addRow("", self.decisions_check)
        form.addRow("Rubric passes at", self.pass_spin)
        form.addRow("Similarity model", self.embedding_combo)
        form.addRow("Similar enough at", self.similar_spin)
        self.model_combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.embedding_combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.decisions_check.toggled.connect(lambda _on: self.changed.emit())
        self.pass_spin.valueChanged.connect(lambda _v: self.changed.emit())
        self.similar_spin.valueChanged.connect(lambda _v: self.changed.emit())
        self.set_models([], [])

    def set_models(self, chat: Sequence[str], embedding: Sequence[str]) -> None:
        """The models the list offers (the current choices stay, even when not listed)."""
        current = self.settings()
        with QSignalBlocker(self.model_combo), QSignalBlocker(self.embedding_combo):
            self.model_combo.clear()
            self.model_combo.addItem("Pick a grader model", "")
            for model in dict.fromkeys([*chat, *([current.model] if current.model else [])]):
                self.model_combo.addItem(model, model)
            self.model_combo.setCurrentIndex(max(self.model_combo.findData(current.model), 0))
            self.embedding_combo.clear()
            for model in dict.fromkeys([*embedding, current.embedding_model]):
                self.embedding_combo.addItem(model, model)
            self.embedding_combo.setCurrentIndex(
                max(self.embedding_combo.findData(current.embedding_model), 0)
            )

    def settings(self) -> GraderSettings:
        return GraderSettings(
            model=str(self.model_combo.currentData() or ""),
            use_decisions=self.decisions_check.isChecked(),
            embedding_model=str(self.embedding_combo.currentData() or DEFAULT_EMBEDDING_MODEL),
            pass_score=round(self.pass_spin.value(), 2),
            similarity=round(self.similar_spin.value(), 2),
        )

    def set_settings(self, settings: GraderSettings) -> None:
        blockers = [
            QSignalBlocker(w)
            for w in (
                self.model_combo,
                self.embedding_combo,
                self.decisions_check,
                self.pass_spin,
                self.similar_spin,
            )
        ]
        for combo, model in (
            (self.model_combo, settings.model),
            (self.embedding_combo, settings.embedding_model),
        ):
            if model and combo.findData(model) < 0:
                combo.addItem(model, model)
            combo.setCurrentIndex(max(combo.findData(model), 0))
        self.decisions_check.setChecked(settings.use_decisions)
        self.pass_spin.setValue(settings.pass_score)
        self.similar_spin.setValue(settings.similarity)
        del blockers
        self.changed.emit()
