"""The Retirements view: the user's saved things that name a retiring model, and the way out.

`RetirementsDialog` (Help → Model retirements…, or the status-bar hint) lists every preset,
conversation, Prompt Lab variant, Compare column and tab setting whose model has a shutdown date,
grouped by date. Each row offers "Try the replacement" (Prompt Lab: the suite re-run with a
variant on the replacement, old versus new; a preset or a conversation: Compare, old and new side
by side) and "Switch" (the saved thing names the replacement from now on); Undo puts the last
switch back.

`RetirementsController` does the work: it reads the stores off the GUI thread (through the
`TaskRunner`), and reaches the tabs only through the hooks the app controller hands it
(`RetirementHooks`), never by importing a tab.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, runtime_checkable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.core.api.catalog import CatalogSnapshot
from playground.core.api.errors import AppError
from playground.core.api.radar import (
    RECENT_CONVERSATIONS,
    DateGroup,
    SavedKind,
    SavedUse,
    Trial,
    TrialSide,
    collect,
    due_soon,
    group_by_date,
    hint_text,
    switched_state,
)
from playground.core.chat.presets import Preset, PresetStore
from playground.core.chat.service import ChatRequest
from playground.core.money.formatting import format_cost
from playground.core.storage.history import HistoryStore
from playground.ui.common.widgets import named, wrapped_label
from playground.ui.shell.bridge import TaskRunner

GROUP = "retirements"
_LIVE_KEYS = frozenset({"run_id", "batch_id"})
"""Keys of a tab's saved state that say what it is doing, not how it is set up (Prompt Lab's
open run and the batch it waits for): a switch never restarts them."""


# --- the hooks into the tabs ---------------------------------------------------------------------


@runtime_checkable
class CompareHook(Protocol):
    """What the Compare tab's controller offers the Retirements view."""

    def compare_models(
        self, models: Sequence[str], message: str, system: str, params: ChatRequest | None
    ) -> str:
        """Two columns, one per model, on `message` (run at once when it is not empty).
        Returns what the view should say ("" when it ran)."""
        ...


@runtime_checkable
class LabHook(Protocol):
    """What the Prompt Lab tab's controller offers the Retirements view."""

    def try_model(self, old: str, new: str, on_done: Callable[[Trial | None, str], None]) -> str:
        """Adds a variant on `new` like the one on `old` and runs the suite; `on_done` gets the
        old-versus-new numbers when the run ends. Returns why it cannot run ("" when it does)."""
        ...


@dataclass
class RetirementHooks:
    """How the controller reaches the rest of the app (the app controller fills these in).

    Attributes:
        snapshot: the cached model list of the active profile.
        tab_states: every tab's saved state, fresh from the built tabs (`Settings.tabs`).
        apply_tab_state: gives a tab a new saved state (building it if needed); False when the
            tab is busy (a run under way) and was left alone.
        compare: the Compare controller (built and shown), or None.
        lab: the Prompt Lab controller (built and shown), or None.
        conversation_changed: a stored conversation's model was switched (or switched back).
            args: its id, the model it uses now. Chat's picker follows when it is the open one.
    """

    snapshot: Callable[[], CatalogSnapshot | None]
    tab_states: Callable[[], Mapping[str, Mapping[str, Any]]]
    apply_tab_state: Callable[[str, dict[str, Any]], bool]
    compare: Callable[[], object | None]
    lab: Callable[[], object | None]
    conversation_changed: Callable[[str, str], None] = lambda _conversation_id, _model: None


# --- the view ------------------------------------------------------------------------------------


class RetirementsDialog(QDialog):
    """The list of saved things on retiring models, with Try, Switch and Undo.

    Signals:
        try_requested: "Try the replacement" on a row. arg: the `SavedUse`.
        switch_requested: "Switch" on a row. arg: the `SavedUse`.
        undo_requested: Undo (the last switch).
        refresh_requested: the view was opened again (list the saved things afresh).
    """

    try_requested = Signal(object)
    switch_requested = Signal(object)
    undo_requested = Signal()
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("retirementsDialog")
        self.setWindowTitle("Model retirements")
        self.resize(760, 560)
        intro = wrapped_label(
            "retirementsIntro",
            "OpenAI retires models every few weeks. These are the things you saved that use a "
            "model with a shutdown date. Try the replacement to see how it does with your own "
            "work, then Switch; Undo puts the last switch back.",
        )
        self.rows_widget = QWidget()
        self.rows_widget.setObjectName("retirementsRows")
        self.rows_layout = QVBoxLayout(self.rows_widget)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.setSpacing(8)
        scroll = QScrollArea()
        scroll.setObjectName("retirementsScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.rows_widget)

        self.trial_title = wrapped_label("retirementsTrialTitle")
        self.trial_table = named(
            QTableWidget(0, 3), "retirementsTrial", "Old model against the replacement"
        )
        self.trial_table.setHorizontalHeaderLabels(["", "Old model", "Replacement"])
        self.trial_table.verticalHeader().setVisible(False)
        self.trial_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.trial_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.trial_table.setVisible(False)
        self.trial_title.setVisible(False)

        self.status_label = wrapped_label("retirementsStatus")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.undo_button = named(QPushButton("Undo"), "retirementsUndo", "Undo the last switch")
        self.undo_button.setEnabled(False)
        self.undo_button.setToolTip("Nothing to undo yet")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.undo_button)
        bottom.addStretch(1)
        bottom.addWidget(buttons)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.trial_title)
        layout.addWidget(self.trial_table)
        layout.addWidget(self.status_label)
        layout.addLayout(bottom)
        self.undo_button.clicked.connect(self.undo_requested)
        self._buttons: dict[tuple[str, str, str, str], tuple[QPushButton, QPushButton]] = {}

    # --- slots ------------------------------------------------------------------------------------

    def set_groups(self, groups: Sequence[DateGroup], today: date) -> None:
        """Shows `groups` (soonest first); an empty list says there is nothing to do."""
        while self.rows_layout.count():
            item = self.rows_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self._buttons = {}
        if not groups:
            empty = wrapped_label(
                "retirementsEmpty",
                "Nothing you have saved uses a model with a shutdown date. This list follows the "
                "model list: View → Refresh models brings the newest dates.",
            )
            self.rows_layout.addWidget(empty)
        for group in groups:
            box = QGroupBox(group.heading(today))
            box.setObjectName("retirementsGroup")
            rows = QVBoxLayout(box)
            for use in group.uses:
                rows.addWidget(self._row(use))
            self.rows_layout.addWidget(box)
        self.rows_layout.addStretch(1)

    def _row(self, use: SavedUse) -> QWidget:
        row = QWidget()
        row.setObjectName("retirementsRow")
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        replacement = use.replacement
        rep = use.choice.replacement
        if replacement:
            after = f"→ {replacement}"
        elif rep is not None:
            after = f"→ {rep.model} (not offered here{': ' + rep.note if rep.note else ''})"
        else:
            after = "no replacement listed"
        label = wrapped_label(
            "retirementsRowText",
            f"<b>{_esc(use.describe())}</b><br>{_esc(use.model)} {_esc(after)}",
        )
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setToolTip(use.choice.tooltip)
        try_button = named(
            QPushButton("Try the replacement"),
            "retirementsTry",
            f"Try the replacement for {use.describe()}",
        )
        switch_button = named(
            QPushButton("Switch"), "retirementsSwitch", f"Switch {use.describe()}"
        )
        can_try = bool(replacement) and use.kind in (
            SavedKind.PRESET,
            SavedKind.CONVERSATION,
            SavedKind.LAB,
        )
        try_button.setEnabled(can_try)
        try_button.setToolTip(_try_tip(use) if can_try else _no_try_tip(use))
        switch_button.setEnabled(bool(replacement))
        switch_button.setToolTip(
            f"Use {replacement} in {use.describe()} from now on (Undo puts it back)"
            if replacement
            else "There is no listed replacement to switch to."
        )
        try_button.clicked.connect(lambda _=False, u=use: self.try_requested.emit(u))
        switch_button.clicked.connect(lambda _=False, u=use: self.switch_requested.emit(u))
        line.addWidget(label, 1)
        line.addWidget(try_button)
        line.addWidget(switch_button)
        self._buttons[_key(use)] = (try_button, switch_button)
        return row

    def buttons(self, use: SavedUse) -> tuple[QPushButton, QPushButton] | None:
        """The row's Try and Switch buttons (for tests and screenshots), or None."""
        return self._buttons.get(_key(use))

    def set_status(self, text: str, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet("color: #d93025;" if error else "")

    def set_undo(self, what: str) -> None:
        """Enables Undo for `what` ("" disables it)."""
        self.undo_button.setEnabled(bool(what))
        self.undo_button.setToolTip(f"Undo: {what}" if what else "Nothing to undo yet")

    def show_trial(self, trial: Trial, title: str) -> None:
        """The old-versus-new table of a Prompt Lab run."""
        rows = [
            ("Model", trial.old.model, trial.new.model),
            ("Variant", trial.old.variant, trial.new.variant),
            ("Pass rate", _rate(trial.old), _rate(trial.new)),
            ("Cost", _cost(trial.old), _cost(trial.new)),
            ("Median latency", _latency(trial.old), _latency(trial.new)),
            (
                "Answered",
                f"{trial.old.done} of {trial.old.total}",
                f"{trial.new.done} of {trial.new.total}",
            ),
        ]
        self.trial_table.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                self.trial_table.setItem(r, c, QTableWidgetItem(text))
        self.trial_table.resizeRowsToContents()
        height = sum(self.trial_table.rowHeight(r) for r in range(len(rows)))
        self.trial_table.setFixedHeight(height + self.trial_table.horizontalHeader().height() + 4)
        self.trial_title.setText(title)
        self.trial_title.setVisible(True)
        self.trial_table.setVisible(True)

    def trial_rows(self) -> list[list[str]]:
        """The old-versus-new table as text (empty when hidden)."""
        if self.trial_table.isHidden():
            return []
        return [
            [
                (item.text() if (item := self.trial_table.item(r, c)) is not None else "")
                for c in range(self.trial_table.columnCount())
            ]
            for r in range(self.trial_table.rowCount())
        ]

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.refresh_requested.emit()


def _key(use: SavedUse) -> tuple[str, str, str, str]:
    return (use.kind.value, use.key, use.title, use.model)


def _esc(text: str) -> str:
    import html

    return html.escape(text)


def _try_tip(use: SavedUse) -> str:
    if use.kind is SavedKind.LAB:
        return (
            f"Adds a variant on {use.replacement} to Prompt Lab and runs your test cases: pass "
            "rate, cost and time, old against new."
        )
    return f"Opens Compare with {use.model} and {use.replacement} side by side."


def _no_try_tip(use: SavedUse) -> str:
    if not use.replacement:
        return "Nothing to try: this provider's model list offers no replacement here."
    if use.kind is SavedKind.COMPARE:
        return "This column is in Compare already: put the replacement in another column there."
    return f"Switch to {use.replacement} here and try it in the {use.title} tab (Undo goes back)."


def _rate(side: TrialSide) -> str:
    rate = side.pass_rate
    if rate is None:
        return "no checks" if side.done else "—"
    return f"{rate:.0%} ({side.passed} of {side.checked})"


def _cost(side: TrialSide) -> str:
    return format_cost(side.cost) if side.cost is not None else "—"


def _latency(side: TrialSide) -> str:
    ms = side.median_latency_ms
    if ms is None:
        return "—"
    return f"{ms / 1000:.1f} s" if ms >= 1000 else f"{ms:.0f} ms"


# --- the controller ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Undo:
    """How to put a switch back: its description and the function that does it (which returns
    False when it could not, e.g. the tab is busy: the Undo is then kept)."""

    what: str
    run: Callable[[], bool | None]


class RetirementsController(QObject):
    """Lists the saved things on dated models, runs Try and Switch, keeps Undo.

    Signals:
        uses_changed: the list was read again. arg: the `SavedUse` list (for the status hint).
    """

    uses_changed = Signal(object)

    def __init__(
        self,
        presets: PresetStore,
        history: HistoryStore,
        runner: TaskRunner,
        today: Callable[[], date],
        hooks: RetirementHooks,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.presets = presets
        self.history = history
        self.runner = runner
        self.today = today
        self.hooks = hooks
        self.view: RetirementsDialog | None = None
        self.uses: list[SavedUse] = []
        self._undo: list[_Undo] = []

    # --- listing -------------------------------------------------------------------------------

    def attach(self, view: RetirementsDialog) -> None:
        self.view = view
        view.refresh_requested.connect(self.refresh)
        view.try_requested.connect(self.try_replacement)
        view.switch_requested.connect(self.switch)
        view.undo_requested.connect(self.undo)

    def refresh(self) -> None:
        """Reads the stores (off the GUI thread) and lists the saved things again."""
        snapshot = self.hooks.snapshot()
        if snapshot is None:
            self._show([])
            if self.view is not None:
                self.view.set_status(
                    "The model list is not loaded yet, so no dates are known: View → Refresh "
                    "models, then open this again."
                )
            return
        tabs = {k: dict(v) for k, v in self.hooks.tab_states().items()}
        models, today = snapshot.models, self.today()

        def read() -> list[SavedUse]:
            presets = self.presets.list()
            conversations = self.history.list(RECENT_CONVERSATIONS)
            return collect(models, today, presets=presets, conversations=conversations, tabs=tabs)

        self.runner.start_blocking(read, group=GROUP, on_result=self._show, on_error=self._failed)

    def _show(self, uses: list[SavedUse]) -> None:
        self.uses = uses
        self.uses_changed.emit(uses)
        if self.view is not None:
            self.view.set_groups(group_by_date(uses), self.today())

    def hint(self) -> tuple[str, str]:
        """The status-bar hint for the listed uses: its text ("" for none) and tooltip."""
        soon = due_soon(self.uses, self.today())
        return hint_text(soon), ", ".join(soon)

    def _failed(self, error: AppError) -> None:
        if self.view is not None:
            self.view.set_status(f"{error.title}: {error.message} {error.hint}".strip(), True)

    # --- try -------------------------------------------------------------------------------------

    def try_replacement(self, use: SavedUse) -> None:
        new = use.replacement
        if not new or self.view is None:
            return
        view = self.view
        if use.kind is SavedKind.LAB:
            lab = self.hooks.lab()
            if not isinstance(lab, LabHook):
                view.set_status("Prompt Lab is not available.", error=True)
                return
            old = use.model

            def done(trial: Trial | None, how: str) -> None:
                if trial is None:
                    view.set_status(how or "The run ended before both models answered.", True)
                    return
                view.show_trial(trial, f"Prompt Lab: your test cases on {old} and on {new}")
                view.set_status(
                    f"{how}. If the replacement does as well, Switch makes the variant use it."
                )

            why = lab.try_model(old, new, done)
            if why:
                view.set_status(why, error=True)
            else:
                view.set_status(
                    f"Running your test cases on {old} and {new} in Prompt Lab… (the numbers "
                    "appear here when it ends)"
                )
            return
        compare = self.hooks.compare()
        if not isinstance(compare, CompareHook):
            view.set_status("Compare is not available.", error=True)
            return
        if use.kind is SavedKind.PRESET:
            preset = self.presets.get(use.key)
            if preset is None:
                view.set_status(f"The preset “{use.key}” is gone.", error=True)
                return
            said = self._in_compare(
                compare, [use.model, new], "", preset.system_prompt, preset.params
            )
            view.set_status(said or f"Compare shows {use.model} and {new} side by side.")
            return

        def opened(stored: Any) -> None:
            user = [m for m in stored.messages if m.message.role == "user"]
            message = user[-1].message.content if user else ""
            said = self._in_compare(
                compare, [use.model, new], message, stored.system_prompt, stored.params
            )
            view.set_status(
                said or f"Compare runs the last message of “{use.title}” on both models."
            )

        self.runner.start_blocking(
            self.history.load, use.key, group=GROUP, on_result=opened, on_error=self._failed
        )

    def _in_compare(
        self,
        compare: CompareHook,
        models: Sequence[str],
        message: str,
        system: str,
        params: ChatRequest | None,
    ) -> str:
        """`compare.compare_models`, with Undo putting Compare's own set-up back: a try never
        costs the user the columns they had built there."""
        before = dict(self.hooks.tab_states().get("compare", {}))
        said = compare.compare_models(models, message, system, params)
        if dict(self.hooks.tab_states().get("compare", {})) != before:

            def back() -> bool:
                if not self._apply("compare", before):
                    return False
                self.refresh()
                return True

            self._undo.append(_Undo("Compare's columns as they were before the try", back))
            if self.view is not None:
                self.view.set_undo(self._undo[-1].what)
        return said

    # --- switch and undo -------------------------------------------------------------------------

    def switch(self, use: SavedUse) -> None:
        new = use.replacement
        if not new:
            return
        what = f"{use.describe()} back to {use.model}"
        if use.kind is SavedKind.PRESET:
            preset = self.presets.get(use.key)
            if preset is None:
                self._say(f"The preset “{use.key}” is gone.", error=True)
                return
            self._write(
                lambda: self.presets.save(_with_model(preset, new)),
                lambda: self.presets.save(preset),
                use,
                what,
            )
        elif use.kind is SavedKind.CONVERSATION:
            history = self.history

            def switch_conversation() -> Callable[[], None]:
                stored = history.load(use.key)
                history.save_params(
                    use.key, dataclasses.replace(stored.params, model=new), api=stored.api
                )
                return lambda: history.save_params(use.key, stored.params, api=stored.api)

            def switched(back: Callable[[], None]) -> None:
                self.hooks.conversation_changed(use.key, new)
                reopen = functools.partial(self.hooks.conversation_changed, use.key, use.model)
                self._done(use, new, _Undo(what, lambda: self._blocking(back, then=reopen)))

            self.runner.start_blocking(
                switch_conversation, group=GROUP, on_result=switched, on_error=self._failed
            )
        else:
            before = dict(self.hooks.tab_states().get(use.key, {}))
            if not self._apply(use.key, switched_state(before, use.model, new)):
                return

            def back() -> bool:
                if not self._apply(use.key, before):
                    return False
                self.refresh()
                return True

            self._done(use, new, _Undo(what, back))

    def _apply(self, key: str, state: dict[str, Any]) -> bool:
        """A tab's settings replaced; what it is doing (its open run, a batch it waits for) is
        not part of them and is left as it is. False (said in the view) when the tab is busy."""
        settings = {k: v for k, v in state.items() if k not in _LIVE_KEYS}
        if self.hooks.apply_tab_state(key, settings):
            return True
        self._say("That tab is busy: try again when its run has finished.", error=True)
        return False

    def _write(
        self, do: Callable[[], object], back: Callable[[], object], use: SavedUse, what: str
    ) -> None:
        self.runner.start_blocking(
            do,
            group=GROUP,
            on_result=lambda _r: self._done(
                use, use.replacement, _Undo(what, lambda: self._blocking(back))
            ),
            on_error=self._failed,
        )

    def _blocking(self, fn: Callable[[], object], then: Callable[[], None] | None = None) -> None:
        """`fn` in a worker; then (on the GUI thread) `then` and a fresh listing."""

        def done(_result: object) -> None:
            if then is not None:
                then()
            self.refresh()

        self.runner.start_blocking(fn, group=GROUP, on_result=done, on_error=self._failed)

    def _done(self, use: SavedUse, new: str, undo: _Undo) -> None:
        self._undo.append(undo)
        self._say(f"{use.describe()} now uses {new}.")
        if self.view is not None:
            self.view.set_undo(undo.what)
        self.refresh()

    def undo(self) -> None:
        if not self._undo:
            return
        last = self._undo[-1]
        if last.run() is False:  # said why; still undoable later
            return
        self._undo.pop()  # it lists the saved things again once it is done
        self._say(f"Undone: {last.what}.")
        if self.view is not None:
            self.view.set_undo(self._undo[-1].what if self._undo else "")

    def _say(self, text: str, error: bool = False) -> None:
        if self.view is not None:
            self.view.set_status(text, error)


def _with_model(preset: Preset, model: str) -> Preset:
    return dataclasses.replace(preset, params=dataclasses.replace(preset.params, model=model))
