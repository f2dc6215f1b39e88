"""An answer's Thinking section, built-in tool steps (with their fees), citations, MCP approval buttons,
and a turn's header and details at narrow widths."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QLabel

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


def test_a_steps_details_get_every_line_they_wrap_to_beside_its_files(
    qtbot: Any, wait_until: Any
) -> None:
    """A narrow column: the details wrap to more lines than at full width; with the files row
    under them, each line still has its room (the last one was hidden under the files)."""
    view = ConversationView()
    qtbot.addWidget(view)
    view.resize(500, 700)
    view.show()
    turn = view.add_turn(Message("assistant", ""), TurnInfo())
    made = Citation(file_id="cfile_1", filename="tides.csv", container_id="cntr_1")
    step = ToolStep(
        item_id="ci_1",
        kind="code_interpreter_call",
        status="completed",
        summary="Ran 2 lines of Python",
        code="import pandas as pd\ndf = pd.read_html(url)[0]",
        output="Saved 4 rows",
        files=(made,),
        fee_checked=True,  # its cost line is long: "— (the price data has no price for it…)"
    )
    turn.set_steps((step,))
    turn.finish_stream("High tide is at 14:02.")
    (widget,) = turn.steps.steps
    details = widget.details
    wait_until(lambda: details.isVisible() and details.width() > 0)
    same = QLabel(details.text())  # the same text, free of the step's layout
    same.setWordWrap(True)
    same.setFont(details.font())
    assert same.heightForWidth(details.width()) > same.heightForWidth(2000)  # it wraps here
    wait_until(lambda: details.height() >= details.heightForWidth(details.width()))


def test_a_turns_header_that_wraps_gets_the_height_of_its_lines(
    qtbot: Any, wait_until: Any
) -> None:
    """A narrow column (large text): the actions wrap onto a second line, which is shown, not
    cut off below the first (the message view sizes its header from hints)."""
    view = ConversationView()
    qtbot.addWidget(view)
    view.resize(380, 600)
    view.show()
    turn = view.add_turn(
        Message("assistant", "Three: the venue, the cap and the deadline."), TurnInfo()
    )
    turn.set_not_sent(True)  # one more mark in the header
    header = turn.view.header_row
    wait_until(lambda: len(header.lines()) >= 2)
    wait_until(lambda: header.height() >= header.heightForWidth(header.width()))
    copy = turn.view.copy_button
    assert copy.geometry().bottom() <= header.height()  # Copy, on the last line, is whole
