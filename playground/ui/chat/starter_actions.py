"""Chat's starters: loads the shipped ones, and does what the gallery's Open and Test it mean.

Open puts the starter into Chat the way a preset is loaded (`PresetsAndExport.apply_preset`): the
system prompt, the parameters for the model (`Starter.fields_for`), the model (the starter's, or
the newest suitable listed one, which the notice line says), and the message template with its
`{{variables}}` in the input box, so the variables form asks for the blanks (Send refuses while
one is empty). The shipped starter never changes: "Save as preset…" after editing it keeps a copy
among the user's own presets. Test it hands the starter's id to Prompt Lab (`test_starter`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

from playground.core.api.catalog import CatalogSnapshot
from playground.core.chat.presets import Preset
from playground.core.starters import Starter, StarterLibrary, choose_model, load_starters
from playground.ui.chat.tab import ChatTab
from playground.ui.common.question import ask
from playground.ui.shell.bridge import TaskRunner

GROUP = "chat-starters"


class ChatStarters(QObject):
    """The starters part of the Chat controller.

    Args:
        view: the Chat tab.
        runner: reads the starter files off the GUI thread.
        apply_preset: Chat's preset-applying path.
        today: the date (retired models are never picked).
        test_starter: opens a starter's test suite in Prompt Lab (None: Test it does nothing).
        load: reads the starters (tests pass their own folder).
    """

    def __init__(
        self,
        view: ChatTab,
        runner: TaskRunner,
        apply_preset: Callable[[Preset], None],
        today: Callable[[], date],
        test_starter: Callable[[str], None] | None = None,
        load: Callable[[], StarterLibrary] = load_starters,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.runner = runner
        self.library = StarterLibrary()
        self._apply_preset = apply_preset
        self._today = today
        self._test_starter = test_starter
        self._snapshot: CatalogSnapshot | None = None
        self.question: QMessageBox | None = None
        view.starter_open_requested.connect(self.open_starter)
        view.starter_test_requested.connect(self.test_starter)
        runner.start_blocking(load, group=GROUP, on_result=self._loaded)

    def _loaded(self, library: StarterLibrary) -> None:
        self.library = library
        self.view.set_starters(library.starters, library.problems)
        self._show_starter_models()

    def show_models(self, snapshot: CatalogSnapshot | None) -> None:
        self._snapshot = snapshot
        self._show_starter_models()

    def _show_starter_models(self) -> None:
        """The gallery shows each starter's settings for the model Open will pick."""
        if self._snapshot is None:
            return
        models, today = self._snapshot.models, self._today()
        current = self.view.current_model()
        self.view.set_starter_models(
            {s.id: choose_model(s, models, today, current).model for s in self.library.starters}
        )

    def open_starter(self, starter_id: str) -> None:
        """Opens a starter; asks first when it would replace a system prompt the user wrote."""
        starter = self.library.get(starter_id)
        if starter is None or self.question is not None:
            return
        system = self.view.draft().system_prompt.strip()
        shipped = {s.system_prompt.strip() for s in self.library.starters}
        if not system or system in shipped:
            self._open(starter)
            return

        def answered(yes: bool) -> None:
            self.question = None
            if yes:
                self._open(starter)

        self.question = ask(
            self.view,
            "chatStarterQuestion",
            "Replace your system prompt?",
            f"“{starter.title}” puts its own system prompt and settings in place of yours. To "
            "keep yours, answer No and save them first with Presets ▸ Save as preset….",
            answered,
        )

    def _open(self, starter: Starter) -> None:
        models = self._snapshot.models if self._snapshot is not None else None
        choice = choose_model(starter, models, self._today(), self.view.current_model())
        self.view.set_model(choice.model)
        self._apply_preset(starter.preset(choice.model))
        notes = [choice.note] if choice.note else []
        draft = self.view.draft().user_text
        if draft.strip() and draft.strip() != starter.user_template.strip():
            notes.append(
                "Your message was kept; to use the starter's message, clear the box and open the "
                "starter again."
            )
        else:
            self.view.set_input(starter.user_template)
        blanks = ", ".join(starter.variables())
        notes.insert(0, f"“{starter.title}” is ready: fill in {blanks}, then send.")
        self.view.show_notice(" ".join(notes))
        self.view.focus_first_blank()

    def test_starter(self, starter_id: str) -> None:
        if self._test_starter is not None and self.library.get(starter_id) is not None:
            self._test_starter(starter_id)
