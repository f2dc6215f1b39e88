"""Issue 20 item 20: "Compare this" on a Chat answer opens Compare with the conversation up to it,
and Regenerate keeps the answer it replaces as a switchable alternative ("‹ 2/3 ›"), stored in the
history so it survives a restart; the one shown is the one sent as context next."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QToolButton

from tests.conftest import AppHarness
from tests.fakes.openai_server import FakeOpenAI
from tests.gui.drivers import chat_idle, send_in_chat

pytestmark = pytest.mark.gui


def _chat_with_answer(
    app: AppHarness, qtbot: Any, wait_until: Any, fake: FakeOpenAI, replies: list[str]
) -> None:
    queue = list(replies)
    fake.scenario.reply_text = lambda _body: queue.pop(0)
    send_in_chat(app, qtbot, "First question")
    wait_until(chat_idle(app))
    send_in_chat(app, qtbot, "Second question")
    wait_until(chat_idle(app))


def _sent_texts(body: dict[str, Any]) -> list[str]:
    """The texts of a request's messages (Chat Completions) or input items (Responses)."""
    items = body.get("messages") or body.get("input") or []
    texts = []
    for item in items:
        content = item.get("content")
        if isinstance(content, list):
            content = " ".join(str(part.get("text", "")) for part in content)
        texts.append(str(content))
    return texts


def test_regenerate_keeps_the_previous_answers_and_the_one_shown_is_sent_next(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    tab = app.chat_tab
    _chat_with_answer(app, qtbot, wait_until, fake_openai, ["One", "Two", "Three", "Four", "Next"])
    qtbot.mouseClick(tab.conversation.turns[3].regenerate_button, Qt.MouseButton.LeftButton)
    wait_until(chat_idle(app))
    qtbot.mouseClick(tab.conversation.turns[3].regenerate_button, Qt.MouseButton.LeftButton)
    wait_until(chat_idle(app))

    answer = tab.conversation.turns[3]
    assert answer.text() == "Four"
    pager = answer.findChild(QToolButton, "previousAnswer").parentWidget()
    assert pager.isVisible()
    assert answer.findChild(QLabel, "answerPosition").text() == "3/3"

    # Back to the first answer: it is shown, stored, and what the next request carries.
    qtbot.mouseClick(answer.findChild(QToolButton, "previousAnswer"), Qt.MouseButton.LeftButton)
    answer = tab.conversation.turns[3]
    qtbot.mouseClick(answer.findChild(QToolButton, "previousAnswer"), Qt.MouseButton.LeftButton)
    answer = tab.conversation.turns[3]
    assert answer.text() == "Two"
    assert answer.findChild(QLabel, "answerPosition").text() == "1/3"
    send_in_chat(app, qtbot, "Third question")
    wait_until(chat_idle(app))
    assert _sent_texts(fake_openai.last().json)[-2:] == ["Two", "Third question"]

    # The answers survive a restart, in their order, the chosen one shown.
    again = make_app(home=app.home)
    again.chat.open_conversation(app.chat.conversation.id)
    turn = again.chat_tab.conversation.turns[3]
    assert turn.text() == "Two"
    assert turn.findChild(QLabel, "answerPosition").text() == "1/3"
    qtbot.mouseClick(turn.findChild(QToolButton, "nextAnswer"), Qt.MouseButton.LeftButton)
    assert again.chat_tab.conversation.turns[3].text() == "Three"


def test_a_regenerate_that_gets_nothing_shows_the_answer_it_replaced(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    tab = app.chat_tab
    _chat_with_answer(app, qtbot, wait_until, fake_openai, ["One", "Two"])
    fake_openai.fail_next(500)
    qtbot.mouseClick(tab.conversation.turns[3].regenerate_button, Qt.MouseButton.LeftButton)
    wait_until(chat_idle(app))
    assert [t.text() for t in tab.conversation.turns][-1] == "Two"
    stored = app.services.history.load(app.chat.conversation.id).messages
    assert [m.message.content for m in stored][-1] == "Two"


def test_compare_this_opens_compare_with_the_conversation_up_to_the_answer(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    tab = app.chat_tab
    app.controller.refresh_models()
    wait_until(lambda: not app.runner.is_busy("models"))
    tab.set_model("gpt-4o-mini")
    tab.system_edit.setPlainText("Be brief.")
    _chat_with_answer(app, qtbot, wait_until, fake_openai, ["One", "Two", "A", "B"])

    qtbot.mouseClick(tab.conversation.turns[1].compare_button, Qt.MouseButton.LeftButton)
    compare = app.feature("compare")
    view = compare.view
    assert app.window.current_tab_key() == "compare"
    assert view.column_count() == 2
    assert view.message() == "First question"
    assert not view.context_box.isVisible() or view.context_label.text().startswith("Sent before")
    a, b = view.column_settings(0), view.column_settings(1)
    assert (a["model"], b["model"]) == ("gpt-4o-mini", "gpt-4o-mini")
    assert a["system"] == b["system"] == "Be brief."
    assert b["fields"]["temperature"] > (a["fields"]["temperature"] or 1.0)
    assert "Run" in view.status_label.text()

    # From the second answer: the first exchange goes along as context.
    app.window.show_tab("chat")
    qtbot.mouseClick(tab.conversation.turns[3].compare_button, Qt.MouseButton.LeftButton)
    assert view.message() == "Second question"
    assert "2 earlier turns" in view.context_label.text()
    fake_openai.scenario.reply_text = "Compared"
    compare.run()
    wait_until(lambda: not app.runner.is_busy("compare"))
    bodies = [r.json for r in fake_openai.requests_to("/responses")[-2:]] or [
        r.json for r in fake_openai.requests_to("/chat/completions")[-2:]
    ]
    for body in bodies:
        assert _sent_texts(body)[-3:] == ["First question", "One", "Second question"]
    # Column A sends Chat's temperature (here the model's default, not sent), B a higher one.
    assert sorted(str(body.get("temperature")) for body in bodies) == ["1.5", "None"]


@pytest.mark.parametrize(
    ("model", "fields", "expected"),
    [
        ("gpt-4o-mini", {"temperature": 0.2}, {"temperature": 0.7}),
        ("gpt-4o-mini", {"temperature": 2.0}, {"temperature": 1.0}),
        ("o3-mini", {"reasoning_effort": "low"}, {"reasoning_effort": "medium"}),
        ("o3-mini", {}, {"reasoning_effort": "high"}),
    ],
)
def test_compare_this_varies_temperature_or_else_the_reasoning_effort(
    model: str, fields: dict[str, Any], expected: dict[str, Any]
) -> None:
    from playground.ui.compare.controller import _variation

    second, what = _variation(model, fields)
    assert second == expected
    assert "column B" in what
