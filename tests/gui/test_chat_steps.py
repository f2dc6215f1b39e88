"""An answer's Thinking section, built-in tool steps, citations and MCP approval buttons."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QColor, QImage

from playground.core.chat.builtin_tools import Citation, FileHit, ToolStep
from playground.core.models import Message
from playground.ui.chat.conversation_view import ConversationView, TurnInfo
from playground.ui.chat.steps_view import text_with_citations

pytestmark = pytest.mark.gui

SEARCH = ToolStep(
    item_id="ws_1",
    kind="web_search_call",
    status="completed",
    summary="Searched the web for “tides in Brest”",
    queries=("tides in Brest",),
    sources=("https://tides.example/brest",),
)
APPROVAL = ToolStep(
    item_id="mcpr_1",
    kind="mcp_approval_request",
    status="awaiting_approval",
    summary="deepwiki wants to run ask_question: approve or deny",
    server_label="deepwiki",
    tool_name="ask_question",
    arguments='{"q": "tides"}',
)


def _png() -> str:
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(QColor("teal"))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return base64.b64encode(bytes(data.data())).decode()


def test_thinking_streams_and_collapses(qtbot: Any) -> None:
    view = ConversationView()
    qtbot.addWidget(view)
    turn = view.add_turn(Message("assistant", ""), TurnInfo(status="streaming"))
    assert not turn.has_thinking()
    turn.append_reasoning("Looking at ")
    turn.append_reasoning("the tide tables.")
    assert turn.thinking.text() == "Looking at the tide tables."
    assert turn.thinking.toggle.text() == "Thinking…"
    assert not turn.thinking.body.isVisibleTo(turn)  # collapsed until clicked
    turn.thinking.toggle.click()
    assert turn.thinking.body.isVisibleTo(turn)
    turn.finish_stream("High tide at 14:02.")
    assert turn.thinking.toggle.text() == "Thinking"


def test_steps_show_what_each_tool_did(qtbot: Any) -> None:
    view = ConversationView()
    qtbot.addWidget(view)
    turn = view.add_turn(Message("assistant", ""), TurnInfo())
    turn.set_step(0, SEARCH)
    code = ToolStep(
        item_id="ci_1",
        kind="code_interpreter_call",
        status="completed",
        summary="Ran 1 line of Python",
        code="print(6 * 7)",
        output="42",
    )
    files = ToolStep(
        item_id="fs_1",
        kind="file_search_call",
        status="completed",
        summary="Searched your files",
        hits=(FileHit("tides.pdf", "file_1", 0.91, "Brest: high tide 14:02"),),
    )
    image = ToolStep(
        item_id="ig_1",
        kind="image_generation_call",
        status="completed",
        summary="Drew a picture",
        images=(_png(),),
    )
    for i, step in enumerate((code, files, image), start=1):
        turn.set_step(i, step)
    widgets = turn.steps.steps
    assert [w.toggle.text()[:1] for w in widgets] == ["✓"] * 4
    assert "tides in Brest" in widgets[0].toggle.text()
    assert "https://tides.example/brest" in widgets[0].details.text()
    assert "print(6 * 7)" in widgets[1].details.text()
    assert "42" in widgets[1].details.text()
    assert "tides.pdf" in widgets[2].details.text()
    assert "0.91" in widgets[2].details.text()
    assert widgets[3].images.pixmap().width() == 40
    assert widgets[3].is_open  # a picture is shown without a click
    # The steps sit between the header and the text, the Thinking section above them.
    turn.append_reasoning("x")
    layout = turn.view.layout()
    assert (
        layout.indexOf(turn.thinking) < layout.indexOf(turn.steps) < layout.indexOf(turn.view.body)
    )


def test_mcp_approval_buttons(qtbot: Any) -> None:
    view = ConversationView()
    qtbot.addWidget(view)
    turn = view.add_turn(Message("assistant", ""), TurnInfo())
    turn.set_step(0, APPROVAL)
    step = turn.steps.steps[0]
    assert step.approval_row.isVisibleTo(turn)
    with qtbot.waitSignal(view.approval_given) as blocker:
        qtbot.mouseClick(step.deny_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [turn.index, "mcpr_1", False]
    assert not step.approve_button.isEnabled()
    turn.mark_approval("mcpr_1", False)
    assert not step.approval_row.isVisibleTo(turn)
    assert "denied" in step.toggle.text()


def test_citations_are_links_in_and_under_the_answer(qtbot: Any) -> None:
    view = ConversationView()
    qtbot.addWidget(view)
    text = "High tide is at 14:02."
    citation = Citation(title="Tides", url="https://tides.example/brest", end_index=len(text))
    turn = view.add_turn(Message("assistant", text), TurnInfo())
    turn.set_citations((citation, citation), text)
    assert turn.view.text() == text + " [[1]](https://tides.example/brest)"
    assert 'href="https://tides.example/brest"' in turn.citations_label.text()
    assert text_with_citations(text, ()) == text
