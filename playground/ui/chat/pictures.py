"""Pictures a model drew in a Chat answer (the image generation tool) land in the Images gallery with
the question that asked for them, through the shared picture library (`core.images.library`);
the Images tab hears of them by its own listener. Saving runs off the GUI thread."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from playground.core.chat.builtin_tools import ImageGenerationTool, ToolStep
from playground.core.chat.service import ChatRequest, ResponsesRequest
from playground.core.images.library import ImageLibrary, picture_extension
from playground.ui.chat.tab import ChatTab
from playground.ui.shell.bridge import TaskRunner

GROUP = "chat-pictures"


def picture_meta(step: ToolStep, request: ChatRequest, provider: str) -> dict[str, Any]:
    """The gallery's sidecar for a picture drawn in answer to `request`."""
    user = [m.content for m in request.messages if m.role == "user" and m.content.strip()]
    tools = request.builtin_tools if isinstance(request, ResponsesRequest) else ()
    tool = next((t for t in tools if isinstance(t, ImageGenerationTool)), None)
    chosen = (("size", tool.size), ("quality", tool.quality)) if tool else ()
    params = {k: v for k, v in chosen if v}
    return {
        "mode": "generate",
        "from_tab": "chat",
        "model": (tool.model if tool else None) or f"{request.model} (image tool)",
        "prompt": user[-1] if user else "",
        "revised_prompt": step.output,
        "params": params,
        "provider": provider,
    }


class ChatPictures:
    """Saves each finished picture of an answer in the gallery."""

    def __init__(self, library: ImageLibrary, view: ChatTab, runner: TaskRunner) -> None:
        self.library = library
        self.view = view
        self.runner = runner

    def keep(self, steps: Sequence[ToolStep], request: ChatRequest, provider: str) -> None:
        for step in steps:
            if step.kind != "image_generation_call" or step.status != "completed":
                continue
            if not step.images:
                continue
            try:
                data = base64.b64decode(step.images[-1], validate=True)
            except (binascii.Error, ValueError):
                continue
            self.runner.start_blocking(
                self.library.add,
                data,
                picture_extension(data),
                picture_meta(step, request, provider),
                group=GROUP,
                on_error=lambda error: self.view.show_notice(
                    f"The picture is in the answer but not in the Images gallery: {error.message}"
                ),
            )
