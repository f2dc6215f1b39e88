"""The Chat parameter panel: values in, request fields out, and what the user sees on the way."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QPalette, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSlider,
    QWidget,
)

from playground.core.api.capabilities import EFFORTS, capabilities
from playground.core.chat.service import ChatRequest
from playground.ui.common.chat_params import (
    FIELD_NAMES,
    UNKNOWN_OUTPUT_LIMIT,
    ChatParamsPanel,
    decode_stop,
    encode_stop,
    wrap_in_scroll_area,
)
from playground.ui.shell.theme import dark_palette, light_palette

pytestmark = pytest.mark.gui

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "score": {"type": "integer"}},
    "required": ["answer", "score"],
    "additionalProperties": False,
}
TOOLS: tuple[dict[str, Any], ...] = (
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
                "additionalProperties": False,
            },
        },
    },
    {"type": "function", "function": {"name": "now"}},
)
FULL: dict[str, Any] = {
    "temperature": 0.35,
    "top_p": 0.9,
    "max_output_tokens": 1200,
    "frequency_penalty": -0.5,
    "presence_penalty": 1.25,
    "seed": 1234567890123,
    "stop": ("END", "\n\n", "a\\b\tc"),
    "n": 3,
    "logprobs": True,
    "top_logprobs": 5,
    "response_format": {
        "type": "json_schema",
        "json_schema": {"name": "answer_v2", "schema": SCHEMA, "strict": True},
    },
    "tools": TOOLS,
    "tool_choice": {"type": "function", "function": {"name": "now"}},
    "reasoning_effort": None,
}


@pytest.fixture
def scrolled(qtbot: Any) -> tuple[ChatParamsPanel, QScrollArea]:
    """A panel inside a 320×900 scroll area, as the Chat tab shows it."""
    widget = ChatParamsPanel()
    area = wrap_in_scroll_area(widget)
    qtbot.addWidget(area)  # owns the panel; both are deleted with it
    area.resize(320, 900)
    area.show()
    qtbot.waitExposed(area)
    return widget, area


@pytest.fixture
def panel(qtbot: Any) -> ChatParamsPanel:
    widget = ChatParamsPanel()
    qtbot.addWidget(widget)
    widget.set_models(["gpt-4o-mini", "o3"], "gpt-4o-mini")
    widget.set_capabilities(capabilities("gpt-4o-mini"))
    return widget


def _count(signal: Any) -> list[tuple[Any, ...]]:
    seen: list[tuple[Any, ...]] = []
    signal.connect(lambda *args: seen.append(args))
    return seen


# --- the shape of what comes out -----------------------------------------------------------------


def test_request_fields_are_exactly_chat_request_keywords(panel: ChatParamsPanel) -> None:
    expected = {f.name for f in dataclasses.fields(ChatRequest)} - {"model", "messages"}
    assert set(panel.request_fields()) == expected
    assert set(FIELD_NAMES) == expected


def test_defaults_send_nothing(panel: ChatParamsPanel) -> None:
    fields = panel.request_fields()
    assert fields == {
        "temperature": None,
        "top_p": None,
        "max_output_tokens": None,
        "frequency_penalty": None,
        "presence_penalty": None,
        "seed": None,
        "stop": (),
        "n": 1,
        "logprobs": False,
        "top_logprobs": None,
        "response_format": None,
        "tools": (),
        "tool_choice": None,
        "reasoning_effort": None,
    }
    body = ChatRequest(model="gpt-4o-mini", messages=(), **fields).to_api(stream=True)
    assert set(body) == {"model", "messages", "stream", "stream_options"}
    assert panel.problems() == []


def test_full_set_fits_chat_request_and_the_wire(panel: ChatParamsPanel) -> None:
    panel.set_fields(FULL)
    assert panel.problems() == []
    body = ChatRequest(model="gpt-4o-mini", messages=(), **panel.request_fields()).to_api(
        stream=True
    )
    assert body["temperature"] == 0.35
    assert body["top_p"] == 0.9
    assert body["frequency_penalty"] == -0.5
    assert body["presence_penalty"] == 1.25
    assert body["max_completion_tokens"] == 1200
    assert body["seed"] == 1234567890123
    assert body["stop"] == ["END", "\n\n", "a\\b\tc"]
    assert body["n"] == 3
    assert body["logprobs"] is True
    assert body["top_logprobs"] == 5
    assert body["response_format"]["json_schema"]["schema"] == SCHEMA
    assert body["tools"] == list(TOOLS)
    assert body["tool_choice"] == {"type": "function", "function": {"name": "now"}}
    json.dumps(body)  # everything in it is plain JSON


def test_set_fields_then_request_fields_round_trips(panel: ChatParamsPanel) -> None:
    changed = _count(panel.changed)
    panel.set_fields(FULL)
    assert len(changed) == 1  # one notice for the whole restore, not one per control
    assert panel.request_fields() == FULL
    panel.set_fields(panel.request_fields())
    assert panel.request_fields() == FULL


def test_round_trip_for_a_reasoning_model(panel: ChatParamsPanel) -> None:
    panel.set_capabilities(capabilities("o3"))
    fields = {
        **dict.fromkeys(FIELD_NAMES),
        "stop": (),
        "n": 1,
        "logprobs": False,
        "tools": (),
        "max_output_tokens": 20000,
        "reasoning_effort": "high",
        "response_format": {"type": "json_object"},
    }
    panel.set_fields(fields)
    assert panel.request_fields() == fields
    # A level newer than the list is kept rather than dropped.
    panel.set_fields({**fields, "reasoning_effort": "xhigh"})
    assert panel.request_fields()["reasoning_effort"] == "xhigh"


def test_set_fields_resets_missing_keys_and_refuses_unknown_ones(panel: ChatParamsPanel) -> None:
    panel.set_fields(FULL)
    panel.set_fields({"temperature": 0.2})
    fields = panel.request_fields()
    assert fields["temperature"] == 0.2
    assert fields["tools"] == ()
    assert fields["response_format"] is None
    assert fields["stop"] == ()
    with pytest.raises(ValueError, match="temprature"):
        panel.set_fields({"temprature": 0.2})


def test_set_fields_can_set_the_model(panel: ChatParamsPanel) -> None:
    models = _count(panel.model_changed)
    panel.set_fields({"model": "gpt-4.1-nano"})
    assert panel.current_model() == "gpt-4.1-nano"
    assert models == [("gpt-4.1-nano",)]


# --- sampling rows --------------------------------------------------------------------------------


def test_slider_and_spin_follow_each_other_without_echo(panel: ChatParamsPanel) -> None:
    row = panel.temperature_row
    row.check.setChecked(True)
    changed = _count(panel.changed)
    slider_moves = _count(row.slider.valueChanged)
    spin_moves = _count(row.spin.valueChanged)

    row.slider.setValue(35)
    assert row.spin.value() == pytest.approx(0.35)
    assert len(slider_moves) == 1
    assert spin_moves == []  # written back under a QSignalBlocker
    assert len(changed) == 1

    row.spin.setValue(1.5)
    assert row.slider.value() == 150
    assert len(slider_moves) == 1
    assert len(spin_moves) == 1
    assert len(changed) == 2
    assert panel.request_fields()["temperature"] == 1.5


def test_penalty_rows_cover_minus_two_to_two(panel: ChatParamsPanel) -> None:
    row = panel.frequency_row
    assert (row.spin.minimum(), row.spin.maximum()) == (-2.0, 2.0)
    assert (row.slider.minimum(), row.slider.maximum()) == (-200, 200)
    row.check.setChecked(True)
    row.slider.setValue(-175)
    assert panel.request_fields()["frequency_penalty"] == -1.75
    assert (panel.top_p_row.spin.minimum(), panel.top_p_row.spin.maximum()) == (0.0, 1.0)


def test_unticked_row_is_greyed_reads_default_and_is_not_sent(panel: ChatParamsPanel) -> None:
    row = panel.top_p_row
    assert not row.spin.isEnabled()
    assert not row.slider.isEnabled()
    assert row.spin.text() == "default"
    assert "default (1)" in row.check.toolTip()

    row.check.setChecked(True)
    row.spin.setValue(0.4)
    assert row.spin.isEnabled()
    assert row.spin.text() == "0.40"
    assert panel.request_fields()["top_p"] == 0.4

    row.check.setChecked(False)
    assert panel.request_fields()["top_p"] is None
    assert row.spin.text() == "default"
    assert row.slider.value() == 100  # rests at the model's default while unticked
    row.check.setChecked(True)
    assert row.spin.value() == pytest.approx(0.4)  # the user's value comes back


def test_the_wheel_scrolls_the_panel_until_a_control_is_clicked(
    qtbot: Any, scrolled: tuple[ChatParamsPanel, QScrollArea]
) -> None:
    panel, area = scrolled
    area.resize(320, 600)
    row = panel.temperature_row
    row.check.setChecked(True)
    before = row.slider.value()

    def wheel() -> None:
        event = QWheelEvent(
            QPointF(5, 5),
            QPointF(row.slider.mapToGlobal(QPoint(5, 5))),
            QPoint(0, 0),
            QPoint(0, -120),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(row.slider, event)

    wheel()
    assert row.slider.value() == before
    assert area.verticalScrollBar().value() > 0  # the panel scrolled instead
    row.slider.setFocus()
    qtbot.waitUntil(row.slider.hasFocus)
    wheel()
    assert row.slider.value() != before


# --- capabilities ---------------------------------------------------------------------------------


def test_reasoning_model_greys_out_what_it_rejects_and_never_sends_it(
    panel: ChatParamsPanel,
) -> None:
    panel.set_fields(FULL)
    caps = capabilities("o3")
    changed = _count(panel.changed)
    panel.set_capabilities(caps)
    assert changed

    for row in panel.sampling_rows:
        for widget in (row.check, row.spin, row.slider):
            assert not widget.isEnabled()
            assert widget.toolTip() == caps.why
        assert row.spin.text() == "not sent"
    assert panel.sampling_note.isVisibleTo(panel)
    assert caps.why in panel.sampling_note.text()
    assert not panel.logprobs_check.isEnabled()
    assert panel.logprobs_check.toolTip() == caps.why
    assert not panel.top_logprobs_spin.isEnabled()
    for edit in panel.stop_edits:
        assert not edit.isEnabled()
        assert edit.toolTip() == caps.why
    assert panel.reasoning_combo.isEnabled()

    fields = panel.request_fields()
    for name in ("temperature", "top_p", "frequency_penalty", "presence_penalty", "top_logprobs"):
        assert fields[name] is None, name
    assert fields["logprobs"] is False
    assert fields["stop"] == ()
    request = ChatRequest(model="o3", messages=(), **fields)
    assert request.omitted() == []
    body = request.to_api(stream=True)
    for name in ("temperature", "top_p", "logprobs", "stop", "frequency_penalty"):
        assert name not in body

    # Back to a chat model: the user's choices are still there.
    panel.set_capabilities(capabilities("gpt-4o-mini"))
    assert panel.request_fields()["temperature"] == 0.35
    assert panel.request_fields()["stop"] == FULL["stop"]


def test_reasoning_effort_only_for_reasoning_models(panel: ChatParamsPanel) -> None:
    assert not panel.reasoning_combo.isEnabled()
    assert "Only reasoning models" in panel.reasoning_combo.toolTip()
    panel.set_capabilities(capabilities("o3"))
    panel.reasoning_combo.setCurrentIndex(panel.reasoning_combo.findData("low"))
    assert panel.request_fields()["reasoning_effort"] == "low"
    assert "thinks" in panel.reasoning_combo.toolTip()
    panel.set_capabilities(capabilities("gpt-4o-mini"))
    assert panel.request_fields()["reasoning_effort"] is None
    # A model that does not reason shows every value the API knows, greyed out.
    assert [panel.reasoning_combo.itemData(i) for i in range(panel.reasoning_combo.count())] == [
        None,
        *EFFORTS,
    ]


# --- length -------------------------------------------------------------------------------------


def test_max_tokens_is_bounded_by_the_model_limit(panel: ChatParamsPanel) -> None:
    spin = panel.max_tokens_spin
    assert spin.value() == 0
    assert spin.text() == "model default"
    assert spin.maximum() == UNKNOWN_OUTPUT_LIMIT
    assert "not known" in panel.limits_label.text()

    spin.setValue(9000)
    changed = _count(panel.changed)
    panel.set_model_limits(4096, 128_000)
    assert spin.maximum() == 4096
    assert spin.value() == 4096  # lowered to what the model can do
    assert len(changed) == 1
    assert panel.request_fields()["max_output_tokens"] == 4096
    assert "4,096 output tokens" in panel.limits_label.text()
    assert "128,000-token context" in panel.limits_label.text()
    spin.setValue(50_000)
    assert spin.value() == 4096

    panel.set_model_limits(None, 8192)  # only the context window is known
    assert spin.maximum() == 8192
    panel.set_model_limits(None, None)
    assert spin.maximum() == UNKNOWN_OUTPUT_LIMIT
    spin.setValue(0)
    assert panel.request_fields()["max_output_tokens"] is None


# --- advanced -----------------------------------------------------------------------------------


def test_stop_sequences_are_capped_at_four(panel: ChatParamsPanel) -> None:
    assert len(panel.stop_edits) == 4
    assert (
        len(panel.findChildren(QLineEdit, options=Qt.FindChildOption.FindChildrenRecursively)) > 4
    )
    panel.set_fields({"stop": ["a", "b", "c", "d", "e", "f"]})
    assert panel.request_fields()["stop"] == ("a", "b", "c", "d")
    panel.stop_edits[1].clear()
    assert panel.request_fields()["stop"] == ("a", "c", "d")


def test_stop_sequences_take_escapes_for_line_breaks(panel: ChatParamsPanel) -> None:
    panel.stop_edits[0].setText("\\n\\n")
    panel.stop_edits[1].setText("C:\\\\temp\\x")
    assert panel.request_fields()["stop"] == ("\n\n", "C:\\temp\\x")
    for text in ("\n", "a\\nb", "tab\there", "\\", "plain"):
        assert decode_stop(encode_stop(text)) == text


def test_seed_n_and_logprobs(panel: ChatParamsPanel, qtbot: Any) -> None:
    qtbot.keyClicks(panel.seed_edit, "12ab-3")  # the validator lets digits through only
    assert panel.seed_edit.text() == "123"
    assert panel.request_fields()["seed"] == 123
    panel.seed_edit.setText("-")
    assert panel.request_fields()["seed"] is None
    assert (panel.n_spin.minimum(), panel.n_spin.maximum()) == (1, 8)
    assert not panel.top_logprobs_spin.isEnabled()
    panel.logprobs_check.setChecked(True)
    assert panel.top_logprobs_spin.isEnabled()
    assert panel.top_logprobs_spin.maximum() == 20
    assert panel.request_fields()["top_logprobs"] is None  # 0 alternatives: not sent
    panel.top_logprobs_spin.setValue(3)
    assert panel.request_fields()["logprobs"] is True
    assert panel.request_fields()["top_logprobs"] == 3


# --- output format ------------------------------------------------------------------------------


def _mode(panel: ChatParamsPanel, mode: str) -> None:
    panel.format_combo.setCurrentIndex(panel.format_combo.findData(mode))


def test_response_format_for_each_mode(panel: ChatParamsPanel) -> None:
    assert panel.request_fields()["response_format"] is None
    assert not panel.schema_box.isVisibleTo(panel)

    _mode(panel, "json_object")
    assert panel.request_fields()["response_format"] == {"type": "json_object"}
    assert panel.json_object_hint.isVisibleTo(panel)
    assert "JSON" in panel.json_object_hint.text()

    _mode(panel, "json_schema")
    assert panel.schema_box.isVisibleTo(panel)
    assert not panel.json_object_hint.isVisibleTo(panel)
    panel.schema_edit.setPlainText(json.dumps(SCHEMA))
    panel.schema_name_edit.setText("answer")
    assert panel.request_fields()["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": SCHEMA, "strict": True},
    }
    panel.strict_check.setChecked(False)
    panel.schema_name_edit.clear()
    assert panel.request_fields()["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": SCHEMA, "strict": False},
    }

    _mode(panel, "text")
    assert panel.request_fields()["response_format"] is None
    assert panel.problems() == []


def test_schema_is_checked_as_you_type(panel: ChatParamsPanel, qtbot: Any) -> None:
    _mode(panel, "json_schema")
    assert panel.problems() == ["Output schema: The schema is empty: write or paste a JSON Schema."]

    panel.schema_edit.setPlainText('{\n  "type": "object"\n  "properties": {}\n}')
    (problem,) = panel.problems()
    assert problem.startswith("Output schema: Not valid JSON. Line 3, column 3:")
    assert "Line 3, column 3" in panel.schema_status.text()
    marks = panel.schema_edit.extraSelections()
    assert len(marks) == 1
    assert marks[0].cursor.selectedText() == '"'  # the spot where the comma is missing
    assert panel.request_fields()["response_format"] is None  # nothing half-made is sent

    loose = {"type": "object", "properties": {"a": {"type": "string"}}}
    panel.schema_edit.setPlainText(json.dumps(loose))
    assert panel.schema_edit.extraSelections() == []
    problems = panel.problems()
    assert len(problems) == 2
    assert all("strict mode" in p for p in problems)
    assert "strict mode" in panel.schema_status.text()

    panel.strict_check.setChecked(False)  # the strict rules only apply in strict mode
    assert panel.problems() == []
    assert panel.schema_status.text() == "✓ Valid schema."


def test_schema_example_and_tidy(panel: ChatParamsPanel) -> None:
    _mode(panel, "json_schema")
    panel.schema_example_button.click()
    assert panel.problems() == []
    assert panel.request_fields()["response_format"]["json_schema"]["strict"] is True
    panel.schema_edit.setPlainText(
        '{"type":"object","properties":{},"required":[],"additionalProperties":false}'
    )
    panel.schema_tidy_button.click()
    assert panel.schema_edit.toPlainText().startswith('{\n  "type": "object",')
    panel.schema_edit.undo()  # tidying is one undo step
    assert panel.schema_edit.toPlainText().startswith('{"type":"object"')


def test_schema_description_survives_a_round_trip(panel: ChatParamsPanel) -> None:
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "a", "description": "An answer", "schema": SCHEMA, "strict": False},
    }
    panel.set_fields({"response_format": fmt})
    assert panel.request_fields()["response_format"] == fmt


# --- tools --------------------------------------------------------------------------------------


def test_tools_are_checked_and_normalized(panel: ChatParamsPanel) -> None:
    assert not panel.tool_choice_combo.isEnabled()
    assert "No tools" in panel.tools_status.text()

    bare = [{"name": "get_weather", "parameters": TOOLS[0]["function"]["parameters"]}]
    panel.tools_edit.setPlainText(json.dumps(bare))
    fields = panel.request_fields()
    assert fields["tools"] == (
        {
            "type": "function",
            "function": {"name": "get_weather", "parameters": bare[0]["parameters"]},
        },
    )
    assert fields["tool_choice"] is None  # "auto" is the API's own default
    assert panel.tool_choice_combo.isEnabled()
    assert panel.tools_status.text() == "✓ 1 tool: get_weather."

    combo = panel.tool_choice_combo
    assert [combo.itemData(i) for i in range(combo.count())] == [
        "auto",
        "none",
        "required",
        "fn:get_weather",
    ]
    combo.setCurrentIndex(combo.findData("required"))
    assert panel.request_fields()["tool_choice"] == "required"
    combo.setCurrentIndex(combo.findData("fn:get_weather"))
    assert panel.request_fields()["tool_choice"] == {
        "type": "function",
        "function": {"name": "get_weather"},
    }


def test_tool_choice_for_a_removed_function_is_a_problem(panel: ChatParamsPanel) -> None:
    panel.set_fields(
        {"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "now"}}}
    )
    assert panel.problems() == []
    panel.tools_edit.setPlainText(json.dumps([TOOLS[0]]))
    assert panel.problems() == ["Tools: tool choice asks for “now”, but no tool has that name."]
    assert "no tool has that name" in panel.tools_status.text()


def test_invalid_tools_are_problems_and_never_sent(panel: ChatParamsPanel) -> None:
    panel.tools_edit.setPlainText('[{"name": "get weather"}]')
    (problem,) = panel.problems()
    assert problem.startswith('Tools: Tool 1\'s name "get weather" is not allowed')
    assert panel.request_fields()["tools"] == ()
    assert panel.request_fields()["tool_choice"] is None
    assert not panel.tool_choice_combo.isEnabled()

    panel.tools_edit.setPlainText('[{"name": "a"}')
    (problem,) = panel.problems()
    assert problem.startswith("Tools: Not valid JSON. Line 1, column 15:")
    assert len(panel.tools_edit.extraSelections()) == 1

    panel.tools_example_button.click()
    assert panel.problems() == []
    assert panel.request_fields()["tools"][0]["function"]["name"] == "get_weather"


def test_problems_list_every_broken_editor(panel: ChatParamsPanel) -> None:
    _mode(panel, "json_schema")
    panel.schema_edit.setPlainText("{")
    panel.tools_edit.setPlainText("[")
    problems = panel.problems()
    assert len(problems) == 2
    assert problems[0].startswith("Output schema: Not valid JSON.")
    assert problems[1].startswith("Tools: Not valid JSON.")
    _mode(panel, "text")  # a schema that is not used blocks nothing
    assert len(panel.problems()) == 1


# --- signals and looks --------------------------------------------------------------------------


def test_model_signals(panel: ChatParamsPanel, qtbot: Any) -> None:
    models = _count(panel.model_changed)
    panel.model_combo.setCurrentText("o3")
    assert models[-1] == ("o3",)
    panel.set_models(["gpt-4.1"], "o3")  # the current choice is kept even if not listed
    assert panel.current_model() == "o3"
    with qtbot.waitSignal(panel.refresh_models_requested, timeout=1000):
        panel.refresh_button.click()


def test_every_control_has_a_name_an_accessible_name_and_a_tooltip(
    panel: ChatParamsPanel,
) -> None:
    kinds = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QPlainTextEdit, QSlider)
    controls = [
        w
        for w in panel.findChildren(QWidget)
        if isinstance(w, kinds)
        # the line edits inside spin and combo boxes, the clear buttons inside line edits
        and not isinstance(w.parent(), (QAbstractSpinBox, QComboBox, QLineEdit))
    ]
    assert len(controls) > 25
    for w in controls:
        assert w.objectName(), w
        assert w.accessibleName(), w.objectName()
        assert w.toolTip(), w.objectName()
    names = [w.objectName() for w in controls]
    assert len(names) == len(set(names))


def test_status_colours_follow_the_palette(panel: ChatParamsPanel) -> None:
    panel.tools_edit.setPlainText("[")
    light = panel.tools_status.palette().color(QPalette.ColorRole.WindowText)
    panel.setPalette(dark_palette())
    dark = panel.tools_status.palette().color(QPalette.ColorRole.WindowText)
    assert light != dark
    background = panel.palette().color(QPalette.ColorRole.Window)
    assert dark.lightness() - background.lightness() > 100  # light text on the dark window
    panel.setPalette(light_palette())
    assert panel.tools_status.palette().color(QPalette.ColorRole.WindowText) == light


def test_fits_a_narrow_scroll_area(scrolled: tuple[ChatParamsPanel, QScrollArea]) -> None:
    panel, area = scrolled
    assert panel.minimumSizeHint().width() <= 300
    assert panel.width() <= 320
    assert area.horizontalScrollBar().maximum() == 0
