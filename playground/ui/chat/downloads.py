"""Download on a file the code interpreter made: the user picks where, the file is fetched from its
container and written there (off the GUI thread), and the tab says it is saved or why not."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject

from playground.core.api.errors import AppError
from playground.core.api.session import ApiSession
from playground.core.chat.builtin_tools import Citation
from playground.core.chat.container_files import container_file_bytes, write_file
from playground.ui.chat.tab import ChatTab
from playground.ui.shell.bridge import TaskRunner

GROUP = "chat-downloads"


class StepFileDownloads(QObject):
    """Answers the tab's `step_file_download_requested`."""

    def __init__(
        self, view: ChatTab, session: ApiSession, runner: TaskRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.session = session
        self.runner = runner
        view.step_file_download_requested.connect(self.download)

    def download(self, file: Citation) -> None:
        path = self.view.ask_download_path(file.filename or "file")
        if not path:
            return

        async def fetch_and_write() -> None:
            data = await container_file_bytes(self.session.client, file)
            try:
                await self.runner.run_blocking(write_file, path, data)
            except OSError as exc:
                raise AppError.local(
                    f"Could not save {Path(path).name}",
                    str(exc.strerror or exc),
                    "Choose another folder and try again.",
                ) from exc

        self.runner.start(
            fetch_and_write(),
            group=GROUP,
            on_result=lambda _none: self.view.show_notice(f"Saved {Path(path).name}."),
            on_error=self.view.show_error,
            on_cancel=lambda: None,
        )
