"""A picture a model draws in a Chat answer lands in the Images gallery with its prompt."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import AppHarness
from tests.fakes.openai_server import FakeOpenAI
from tests.gui.drivers import chat_idle, send_in_chat
from tests.gui.test_chat_steps import _png  # the same small PNG

pytestmark = pytest.mark.gui


def test_a_picture_drawn_in_chat_lands_in_the_images_gallery_with_its_prompt(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    picture = _png()
    fake_openai.scenario.builtin_items = [
        {"type": "image_generation_call", "result": picture, "revised_prompt": "An orange card"}
    ]
    app = make_app()
    images = app.feature("images")
    before = len(images.view.gallery.ids())
    app.chat_tab.params.image_check.setChecked(True)
    send_in_chat(app, qtbot, "Draw an orange card")
    wait_until(chat_idle(app))
    assert not app.chat_tab.error_box.isVisible(), app.chat_tab.error_label.text()
    sent = fake_openai.last("/responses").json or {}
    assert {"type": "image_generation"} in sent["tools"]
    wait_until(lambda: len(images.view.gallery.ids()) == before + 1)
    item = images.library.get(images.view.gallery.ids()[0])
    assert item is not None
    assert item.prompt == "Draw an orange card"
    assert item.revised_prompt == "An orange card"
    assert item.image_path.read_bytes() == base64.b64decode(picture)
    assert json.loads(item.sidecar_path.read_text(encoding="utf-8"))["from_tab"] == "chat"
