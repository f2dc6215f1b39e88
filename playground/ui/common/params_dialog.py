"""Chat's parameter panel in a window of its own: one per Compare column and per Prompt Lab variant,
so every setting, check and capability rule there is the same as in Chat."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from playground.ui.common.chat_params import ChatParamsPanel, wrap_in_scroll_area


class ParamsDialog(QDialog):
    """Chat's parameter panel for one Compare column or Prompt Lab variant."""

    def __init__(self, title: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("compareParamsDialog")
        self.panel = ChatParamsPanel()
        # Several answers are "Samples" here: separate requests, each timed and checked on its own.
        self.panel.n_spin.setEnabled(False)
        self.panel.n_spin.setToolTip("Use Samples for several answers: each is its own request.")
        layout = QVBoxLayout(self)
        layout.addWidget(wrap_in_scroll_area(self.panel), 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.resize(420, 640)
