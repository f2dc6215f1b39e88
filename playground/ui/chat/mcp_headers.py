"""Remote MCP servers' headers (a key or token) in the system keyring, one entry per server label
(`core.api.secrets.mcp_headers`): kept and forgotten when the panel asks, read at send time, never
in settings, history, exports or logs. Keyring calls may block: they run off the GUI thread."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

from PySide6.QtCore import QObject

from playground.core.api.errors import AppError
from playground.core.api.secrets import SecretStore, mcp_headers, set_mcp_headers
from playground.core.chat.builtin_tools import McpTool
from playground.core.chat.service import ChatRequest, ResponsesRequest
from playground.ui.chat.tab import ChatTab
from playground.ui.shell.bridge import TaskRunner

GROUP = "chat-mcp-headers"


async def with_mcp_headers(
    request: ChatRequest, secrets: SecretStore, runner: TaskRunner
) -> ChatRequest:
    """`request` with each MCP server's kept headers (the request as stored never has them)."""
    if not isinstance(request, ResponsesRequest):
        return request
    if not any(isinstance(t, McpTool) for t in request.builtin_tools):
        return request
    tools = []
    for tool in request.builtin_tools:
        if isinstance(tool, McpTool) and not tool.headers:
            headers = await runner.run_blocking(mcp_headers, secrets, tool.server_label)
            tool = dataclasses.replace(tool, headers=headers)
        tools.append(tool)
    return dataclasses.replace(request, builtin_tools=tuple(tools))


def with_mcp_approvals(request: ChatRequest, always: Collection[str]) -> ChatRequest:
    """`request` whose MCP servers run their tools without asking exactly when the user ticked
    "Always allow" for that server label (`always`); every other server asks (a conversation or
    a pasted request that said "never" for another server does not auto-approve it)."""
    if not isinstance(request, ResponsesRequest):
        return request
    if not any(isinstance(t, McpTool) for t in request.builtin_tools):
        return request
    tools = [
        dataclasses.replace(t, require_approval="never" if t.server_label in always else "always")
        if isinstance(t, McpTool)
        else t
        for t in request.builtin_tools
    ]
    return dataclasses.replace(request, builtin_tools=tuple(tools))


class McpHeaders(QObject):
    """Answers the tab's MCP header requests against the secret store."""

    def __init__(
        self, view: ChatTab, secrets: SecretStore, runner: TaskRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.secrets = secrets
        self.runner = runner
        view.mcp_headers_wanted.connect(self.show)
        view.mcp_headers_save_requested.connect(self.keep)
        view.mcp_headers_forget_requested.connect(self.forget)

    def show(self, label: str) -> None:
        self.runner.start_blocking(
            mcp_headers,
            self.secrets,
            label,
            group=GROUP,
            on_result=lambda headers: self.view.set_mcp_headers_state(
                label, [name for name, _value in headers]
            ),
            on_error=lambda error: self._problem(label, error),
        )

    def keep(self, label: str, name: str, value: str) -> None:
        def save() -> tuple[tuple[str, str], ...]:
            kept = dict(mcp_headers(self.secrets, label))
            kept[name] = value
            set_mcp_headers(self.secrets, label, tuple(kept.items()))
            return tuple(kept.items())

        self.runner.start_blocking(
            save,
            group=GROUP,
            on_result=lambda headers: self.view.set_mcp_headers_state(
                label, [n for n, _v in headers]
            ),
            on_error=lambda error: self._problem(label, error),
        )

    def forget(self, label: str) -> None:
        self.runner.start_blocking(
            set_mcp_headers,
            self.secrets,
            label,
            (),
            group=GROUP,
            on_result=lambda _none: self.view.set_mcp_headers_state(label, []),
            on_error=lambda error: self._problem(label, error),
        )

    def _problem(self, label: str, error: AppError) -> None:
        self.view.set_mcp_headers_state(
            label, [], f"The keyring could not be used: {error.message} The header is not kept."
        )
