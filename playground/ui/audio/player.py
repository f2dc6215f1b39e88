"""Small widgets the Audio tab is built from: a player bar, an inline message line, a level meter."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QSlider,
    QToolButton,
    QWidget,
)

from playground.core.api.errors import AppError
from playground.core.audio.files import format_clock
from playground.ui.audio.media import Player
from playground.ui.common.widgets import named
from playground.ui.shell.theme import is_dark


def media_icon(kind: str, color: QColor) -> QIcon:
    """A play or pause symbol drawn in the palette's text colour (no icon files needed, and it
    stays readable in dark mode, unlike the style's fixed black media icons)."""
    result = QIcon()
    for size in (16, 20, 24, 32):
        pm = QPixmap(size, size)
        pm.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pm)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        m = size * 0.2
        if kind == "pause":
            w = size * 0.22
            painter.drawRect(QRectF(m, m, w, size - 2 * m))
            painter.drawRect(QRectF(size - m - w, m, w, size - 2 * m))
        else:
            painter.drawPolygon(
                QPolygonF(
                    [QPointF(m * 1.3, m), QPointF(size - m, size / 2), QPointF(m * 1.3, size - m)]
                )
            )
        painter.end()
        result.addPixmap(pm)
    return result


class MessageLine(QLabel):
    """A line under a control that shows what went wrong (red title) or a neutral note."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(name)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setVisible(False)
        self.error: AppError | None = None

    def show_error(self, error: AppError) -> None:
        red = "#ff8a80" if is_dark() else "#b3261e"
        self.error = error
        self.setText(
            f"<span style='color:{red}'><b>{escape(error.title)}.</b> {escape(error.message)}"
            f"</span> {escape(error.hint)}"
        )
        self.setToolTip(error.details or "")
        self.setVisible(True)

    def show_note(self, text: str) -> None:
        self.error = None
        self.setText(escape(text))
        self.setToolTip("")
        self.setVisible(bool(text))

    def clear_message(self) -> None:
        self.error = None
        self.clear()
        self.setVisible(False)

    @property
    def plain(self) -> str:
        """The shown text without markup (for tests and accessibility)."""
        doc = self.text()
        import re

        return re.sub(r"<[^>]+>", "", doc).replace("&amp;", "&")


class LevelMeter(QProgressBar):
    """The microphone level, 0-100 %."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audioLevelMeter")
        self.setAccessibleName("Microphone level")
        self.setRange(0, 100)
        self.setTextVisible(False)
        self.setFixedHeight(10)
        self.setValue(0)

    def set_level(self, level: float) -> None:
        self.setValue(round(min(max(level, 0.0), 1.0) * 100))


class PlayerBar(QWidget):
    """Play/pause, a seek bar and the time, over one `Player`.

    Signals:
        problem: playback failed. arg: why (also shown under the bar).
    """

    problem = Signal(str)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.player = Player(self)
        self._dragging = False

        self.play_button = named(
            QToolButton(),
            f"{name}PlayButton",
            "Play",
            "Play / pause (Space when the bar has focus)",
        )
        self.play_button.setEnabled(False)
        self.play_button.clicked.connect(self.toggle)

        self.slider = named(QSlider(Qt.Orientation.Horizontal), f"{name}SeekBar", "Position")
        self.slider.setEnabled(False)
        self.slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.slider.sliderPressed.connect(self._on_pressed)
        self.slider.sliderReleased.connect(self._on_released)
        self.slider.sliderMoved.connect(self._on_moved)

        self.time_label = QLabel("--:-- / --:--")
        self.time_label.setObjectName(f"{name}Time")
        self.time_label.setMinimumWidth(90)
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.message = MessageLine(f"{name}Message")

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.play_button)
        row.addWidget(self.slider, 1)
        row.addWidget(self.time_label)
        from PySide6.QtWidgets import QVBoxLayout

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        outer.addLayout(row)
        outer.addWidget(self.message)

        self.player.position_changed.connect(self._on_position)
        self.player.duration_changed.connect(self._on_duration)
        self.player.playing_changed.connect(self._on_playing)
        self.player.failed.connect(self._on_failed)
        self._paint_icon()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._paint_icon()
        super().changeEvent(event)

    def _paint_icon(self) -> None:
        color = self.palette().color(QPalette.ColorRole.ButtonText)
        self.play_button.setIcon(media_icon("pause" if self.player.playing else "play", color))

    def load(self, path: Path | None) -> None:
        """Shows `path` ready to play (None empties the bar)."""
        self.message.clear_message()
        if path is None:
            self.player.unload()
            self.play_button.setEnabled(False)
            self.slider.setEnabled(False)
            self.slider.setValue(0)
            self.time_label.setText("--:-- / --:--")
            return
        self.player.load(path)
        self.play_button.setEnabled(True)
        self.slider.setValue(0)
        self._show_time(0)

    def toggle(self) -> None:
        if self.player.playing:
            self.player.pause()
        else:
            self.message.clear_message()
            self.player.play()

    def play_from(self, seconds: float) -> None:
        self.message.clear_message()
        self.player.play(round(seconds * 1000))

    def stop(self) -> None:
        self.player.stop()

    def _show_time(self, ms: int) -> None:
        total = self.player.duration_ms
        self.time_label.setText(
            f"{format_clock(ms / 1000)} / {format_clock(total / 1000 if total else None)}"
        )

    def _on_position(self, ms: int) -> None:
        if not self._dragging:
            self.slider.setValue(ms)
        self._show_time(ms)

    def _on_duration(self, ms: int) -> None:
        self.slider.setRange(0, max(ms, 0))
        self.slider.setEnabled(ms > 0)
        self._show_time(self.player.position_ms)

    def _on_playing(self, playing: bool) -> None:
        self._paint_icon()
        self.play_button.setAccessibleName("Pause" if playing else "Play")

    def _on_failed(self, text: str) -> None:
        self.message.setText(escape(text))
        self.message.setVisible(True)
        self.problem.emit(text)

    def _on_pressed(self) -> None:
        self._dragging = True

    def _on_released(self) -> None:
        self._dragging = False
        self.player.seek(self.slider.value())

    def _on_moved(self, value: int) -> None:
        self._show_time(value)
