"""Chat's presets, code view and import/export: what takes the tab's settings or conversation
out of the app and back in."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QFileDialog

from playground.core.api.errors import AppError
from playground.core.api.session import ApiSession
from playground.core.chat.presets import Preset, PresetStore
from playground.core.chat.service import ChatRequest, Conversation
from playground.core.storage.history import HistoryError, HistoryStore, MessageMeta
from playground.ui.chat.conversations import ConversationHistory
from playground.ui.chat.sending import ChatSending
from playground.ui.chat.state import ChatState, fields_of
from playground.ui.chat.tab import ChatTab
from playground.ui.chat.texts import safe_filename

log = logging.getLogger(__name__)


class PresetsAndExport(QObject):
    """Presets (save, load, rename, delete, import, export), View code, Paste request, the
    conversation's export and import, and Copy last answer.

    `draft_changed` runs after a preset changed the tab's settings (as if the user had).
    """

    def __init__(
        self,
        state: ChatState,
        view: ChatTab,
        session: ApiSession,
        history: HistoryStore,
        presets: PresetStore | None,
        conversations: ConversationHistory,
        sending: ChatSending,
        *,
        draft_changed: Callable[[], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.view = view
        self.session = session
        self.history = history
        self.presets = presets
        self.conversations = conversations
        self.sending = sending
        self._draft_changed = draft_changed

    # --- presets -------------------------------------------------------------------------------

    def refresh_presets(self) -> None:
        if self.presets is not None:
            self.view.set_presets(self.presets.list())

    def save_preset(self, name: str) -> None:
        if self.presets is None:
            return
        draft = self.view.draft()
        preset = Preset.from_request(
            name,
            ChatRequest(model=draft.model, messages=(), **draft.fields),
            system_prompt=draft.system_prompt,
        )
        self._preset_call(lambda store: store.save(preset))

    def load_preset(self, name: str) -> None:
        if self.presets is None:
            return
        preset = self.presets.get(name)
        if preset is None:
            return
        self.apply_preset(preset)

    def apply_preset(self, preset: Preset) -> None:
        """Puts a preset's system prompt, parameters and model into the tab (a saved preset, or a
        shipped starter's: `core/starters.Starter.preset`)."""
        self.view.set_system_prompt(preset.system_prompt)
        self.view.set_param_fields(fields_of(preset.params))
        if preset.model:
            self.view.set_model(preset.model)
        self._draft_changed()

    def rename_preset(self, old: str, new: str) -> None:
        self._preset_call(lambda store: store.rename(old, new))

    def delete_preset(self, name: str) -> None:
        self._preset_call(lambda store: store.delete(name))

    def import_presets(self, path: str) -> None:
        def _import(store: PresetStore) -> None:
            _added, problems = store.import_file(Path(path))  # PresetError says why, in words
            if problems:
                self.view.show_error(
                    AppError.local("Some presets were not imported", " ".join(problems))
                )

        self._preset_call(_import)

    def export_presets(self, path: str) -> None:
        def _export(store: PresetStore) -> None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(store.export_json())

        self._preset_call(_export)

    def _preset_call(self, action: Callable[[PresetStore], object]) -> None:
        if self.presets is None:
            return
        try:
            action(self.presets)
        except (OSError, ValueError) as exc:
            self.view.show_error(AppError.local("Presets", str(exc)))
        self.refresh_presets()

    # --- code, import, export ------------------------------------------------------------------

    def show_code(self) -> None:
        from playground.ui.chat.code_dialog import CodeDialog

        profile = self.session.profile
        conn = self.session.connection()
        dialog = CodeDialog(
            self.sending.request_as_sent(),
            base_url=conn.base_url,
            azure=profile.kind.value == "azure",
            deployment=profile.azure_deployment or None,
            api_version=profile.api_version or None,
            api=self.view.api(),
            parent=self.view,
        )
        dialog.setModal(False)
        dialog.open()

    def paste_request(self) -> None:
        from playground.ui.chat.code_dialog import ImportRequestDialog

        dialog = ImportRequestDialog(parent=self.view)
        dialog.request_applied.connect(self._apply_parsed)
        dialog.open()

    def _apply_parsed(self, parsed: Any) -> None:
        if parsed is None or parsed.request is None:
            return
        request: ChatRequest = parsed.request
        system = "\n\n".join(
            m.content for m in request.messages if m.role in ("system", "developer")
        )
        turns = [m for m in request.messages if m.role not in ("system", "developer")]
        last_user = (
            turns.pop().content
            if turns and turns[-1].role == "user" and not turns[-1].images
            else ""
        )
        self.conversations.load(
            Conversation(turns=turns),
            [MessageMeta() for _ in turns],
            system_prompt=system,
            fields=fields_of(request),
            model=request.model,
            api=parsed.api,
        )
        self.view.set_input(last_user)

    def export_conversation(self, kind: str) -> None:
        from playground.core.chat.export import ExportConversation, ExportTurn, to_json, to_markdown

        suffix, filter_ = (
            (".md", "Markdown (*.md)") if kind == "markdown" else (".json", "JSON (*.json)")
        )
        title = self.view.title() or "conversation"
        path = self._ask_save_path(f"{safe_filename(title)}{suffix}", filter_)
        if not path:
            return
        draft = self.view.draft()
        conversation = ExportConversation(
            title=title,
            system_prompt=draft.system_prompt,
            params={
                "model": draft.model,
                **{k: v for k, v in draft.fields.items() if v not in (None, (), False)},
                **{k: v for k, v in draft.extras.items() if isinstance(v, str)},
                **(
                    {"builtin_tools": [t.kind for t in draft.extras.get("builtin_tools", ())]}
                    if draft.extras.get("builtin_tools")
                    else {}
                ),
                "api": draft.api,
            },
            turns=tuple(
                ExportTurn(
                    m,
                    meta.usage,
                    meta.cost,
                    meta.model or None,
                    meta.finish_reason or None,
                    meta.reasoning,
                    meta.steps,
                    meta.citations,
                )
                for m, meta in zip(self.state.conversation.turns, self.state.metas, strict=False)
            ),
        )
        text = to_markdown(conversation) if kind == "markdown" else to_json(conversation)
        try:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            self.view.show_error(AppError.local("Could not save the file", str(exc)))

    def import_conversation(self) -> None:
        from playground.core.chat.export import ConversationFileError, read_conversation

        path = self._ask_open_path("JSON (*.json)")
        if not path:
            return
        try:
            conversation, problems = read_conversation(Path(path))
        except ConversationFileError as exc:
            self.view.show_error(AppError.local(f"Could not open {Path(path).name}", str(exc)))
            return
        self.conversations.load(
            Conversation(turns=[t.message for t in conversation.turns]),
            [
                MessageMeta(
                    usage=t.usage,
                    cost=t.cost,
                    model=t.model or "",
                    finish_reason=t.finish_reason or "",
                    reasoning=t.reasoning,
                    steps=t.steps,
                    citations=t.citations,
                )
                for t in conversation.turns
            ],
            system_prompt=conversation.system_prompt,
        )
        self.view.set_input("")
        try:
            self.history.rename(self.state.conversation.id, conversation.title)
        except HistoryError as exc:
            log.warning("history: %s", exc)
        self.conversations.refresh_history()
        if problems:  # what was skipped or left at its default is said, not dropped
            self.view.show_error(
                AppError.local("Opened with changes", " ".join(problems[:6])), retry=False
            )

    # Dialog seams: tests replace these on the instance instead of driving native file dialogs.
    def _ask_save_path(self, suggested: str, filter_: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self.view, "Export conversation", suggested, filter_)
        return path

    def _ask_open_path(self, filter_: str) -> str:
        path, _ = QFileDialog.getOpenFileName(self.view, "Open a conversation", "", filter_)
        return path

    def copy_last_answer(self) -> None:
        for message in reversed(self.state.conversation.turns):
            if message.role == "assistant" and message.content:
                QApplication.clipboard().setText(message.content)
                return
