""" "View code" and "Paste a request": what is shown, what is copied, and what a paste turns into."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QDialog

from playground.core.chat.codegen import code_views, to_curl, to_json, to_python
from playground.core.chat.service import ChatRequest
from playground.core.models import ImagePart, Message
from playground.ui.chat.code_dialog import (
    KEY_DROPPED_TEXT,
    CodeDialog,
    ImportRequestDialog,
    highlight_runs,
)
from playground.ui.shell.theme import dark_palette, light_palette

pytestmark = pytest.mark.gui

PNG = "data:image/png;base64," + "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4" * 40
KEY = "sk-proj-PASTEDKEY0123456789abcdefghijklmnop"

REQUEST = ChatRequest(
    model="gpt-4o-mini",
    messages=(
        Message("system", "You are a helpful assistant."),
        Message("user", "What is in this picture?", images=(ImagePart(PNG),)),
    ),
    temperature=0.7,
    max_output_tokens=256,
)

# The layout of the examples in OpenAI's API reference.
DOCS_CURL = """curl https://api.openai.com/v1/chat/completions \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer $OPENAI_API_KEY" \\
  -d '{
    "model": "gpt-4o",
    "messages": [
      {
        "role": "developer",
        "content": "You are a helpful assistant."
      },
      {
        "role": "user",
        "content": "Hello!"
      }
    ],
    "temperature": 0.2
  }'
"""


def make_code_dialog(qtbot: Any, request: ChatRequest = REQUEST, **kwargs: Any) -> CodeDialog:
    dialog = CodeDialog(request, **kwargs)
    qtbot.addWidget(dialog)
    return dialog


def make_import_dialog(qtbot: Any, text: str = "") -> ImportRequestDialog:
    dialog = ImportRequestDialog(text)
    qtbot.addWidget(dialog)
    return dialog


# --- View code -----------------------------------------------------------------------------------


def test_three_views_with_images_shortened_and_a_note(qtbot: Any) -> None:
    dialog = make_code_dialog(qtbot)
    expected = code_views(REQUEST, base_url=None, stream=True)
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == [
        "Python",
        "curl",
        "JSON",
    ]
    for kind in ("python", "curl", "json"):
        shown = getattr(expected, kind)
        assert dialog.shown_code(kind) == shown
        assert dialog.editors[kind].toPlainText() == shown
        assert dialog.editors[kind].isReadOnly()
        assert PNG not in shown  # the long data URL is shortened on screen
    assert expected.shortened == 1
    assert not dialog.note_label.isHidden()
    assert dialog.note_label.text() == expected.note
    assert "shortened" in dialog.note_label.text()
    assert "$OPENAI_API_KEY" in dialog.key_label.text()
    assert "never shown" in dialog.key_label.text()


def test_no_note_without_images(qtbot: Any) -> None:
    request = ChatRequest(model="gpt-4o-mini", messages=(Message("user", "Hi"),))
    dialog = make_code_dialog(qtbot, request)
    assert dialog.note_label.isHidden()


@pytest.mark.parametrize("kind", ["python", "curl", "json"])
def test_copy_puts_the_exact_code_on_the_clipboard(qtbot: Any, kind: str) -> None:
    base_url = "https://llm.example.com/v1"
    dialog = make_code_dialog(qtbot, base_url=base_url)
    exact = {
        "python": to_python(REQUEST, base_url=base_url, stream=True),
        "curl": to_curl(REQUEST, base_url=base_url, stream=True),
        "json": to_json(REQUEST, stream=True),
    }[kind]
    QApplication.clipboard().clear()
    with qtbot.waitSignal(dialog.code_copied) as blocker:
        dialog.copy_buttons[kind].click()
    assert blocker.args == [kind]
    assert QApplication.clipboard().text() == exact
    assert PNG in exact  # the full image, not the shortened one shown
    assert dialog.copy_buttons[kind].text() == "Copied"


def test_stream_toggle_changes_the_code(qtbot: Any) -> None:
    dialog = make_code_dialog(qtbot)
    assert dialog.stream_check.isChecked()
    streamed = {k: dialog.shown_code(k) for k in ("python", "curl", "json")}
    assert '"stream": true' in streamed["json"]

    dialog.stream_check.setChecked(False)

    plain = code_views(REQUEST, base_url=None, stream=False)
    for kind in ("python", "curl", "json"):
        assert dialog.shown_code(kind) == getattr(plain, kind)
        assert dialog.shown_code(kind) != streamed[kind]
    assert '"stream"' not in dialog.shown_code("json")
    assert " -N" not in dialog.shown_code("curl")
    dialog.copy_code("json")
    assert QApplication.clipboard().text() == to_json(REQUEST, stream=False)


def test_stream_can_start_unticked(qtbot: Any) -> None:
    dialog = make_code_dialog(qtbot, stream=False)
    assert not dialog.stream()
    assert '"stream"' not in dialog.shown_code("json")


def test_azure_variant(qtbot: Any) -> None:
    facts: dict[str, Any] = {
        "base_url": "https://contoso.openai.azure.com",
        "azure": True,
        "deployment": "chat-prod",
        "api_version": "2024-10-21",
    }
    dialog = make_code_dialog(qtbot, **facts)
    curl = dialog.shown_code("curl")
    assert (
        "https://contoso.openai.azure.com/openai/deployments/chat-prod/chat/completions"
        "?api-version=2024-10-21"
    ) in curl
    assert "api-key: $AZURE_OPENAI_API_KEY" in curl
    assert "AzureOpenAI" in dialog.shown_code("python")
    assert "$AZURE_OPENAI_API_KEY" in dialog.key_label.text()
    dialog.copy_code("curl")
    assert QApplication.clipboard().text() == to_curl(REQUEST, stream=True, **facts)
    dialog.copy_code("python")
    assert QApplication.clipboard().text() == to_python(REQUEST, stream=True, **facts)


def test_set_request_regenerates(qtbot: Any) -> None:
    dialog = make_code_dialog(qtbot)
    other = ChatRequest(model="o4-mini", messages=(Message("user", "Plan a trip"),))
    dialog.set_request(other)
    assert dialog.shown_code("json") == to_json(other, stream=True)
    assert dialog.note_label.isHidden()


def test_widgets_are_named_for_tests_and_screen_readers(qtbot: Any) -> None:
    dialog = make_code_dialog(qtbot)
    widgets = [dialog.stream_check, *dialog.editors.values(), *dialog.copy_buttons.values()]
    for widget in widgets:
        assert widget.objectName()
        assert widget.accessibleName()
        assert widget.toolTip()


def test_highlighting_keeps_the_text_and_follows_the_palette(qtbot: Any) -> None:
    code = to_python(REQUEST, base_url=None, stream=True)
    light = highlight_runs(code, "python", dark=False)
    dark = highlight_runs(code, "python", dark=True)
    assert "".join(t for t, _ in light) == code
    assert "".join(t for t, _ in dark) == code
    light_colors = {f.foreground().color().name() for _, f in light if f.foreground().style()}
    dark_colors = {f.foreground().color().name() for _, f in dark if f.foreground().style()}
    assert light_colors  # something is coloured
    assert light_colors != dark_colors

    dialog = make_code_dialog(qtbot)
    dialog.setPalette(dark_palette())
    assert dialog.editors["python"].toPlainText() == dialog.shown_code("python")
    dialog.setPalette(light_palette())
    assert dialog.editors["json"].toPlainText() == dialog.shown_code("json")


# --- Paste a request -----------------------------------------------------------------------------


def test_empty_paste_cannot_be_applied(qtbot: Any) -> None:
    dialog = make_import_dialog(qtbot)
    assert dialog.parsed() is None
    assert not dialog.apply_button.isEnabled()
    assert "Nothing pasted yet" in dialog.messages_label.text()


def test_docs_curl_parses_as_typed_and_enables_apply(qtbot: Any) -> None:
    dialog = make_import_dialog(qtbot)
    dialog.text_edit.setPlainText(DOCS_CURL)
    assert not dialog.apply_button.isEnabled()  # read a moment after the typing stops
    qtbot.waitUntil(dialog.apply_button.isEnabled)

    parsed = dialog.parsed()
    assert parsed is not None
    assert parsed.request is not None
    assert parsed.source == "curl"
    assert parsed.request.model == "gpt-4o"
    assert [m.role for m in parsed.request.messages] == ["developer", "user"]
    assert parsed.request.temperature == 0.2
    assert not parsed.key_dropped
    summary = dialog.summary_label.text()
    assert "model gpt-4o" in summary
    assert "2 messages" in summary
    assert "temperature 0.2" in summary
    assert KEY_DROPPED_TEXT not in dialog.messages_label.text()

    with qtbot.waitSignal(dialog.request_applied) as blocker:
        dialog.apply_button.click()
    assert blocker.args == [parsed]
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_typing_is_debounced_into_one_read(qtbot: Any) -> None:
    dialog = make_import_dialog(qtbot)
    qtbot.keyClicks(dialog.text_edit, '{"model": "gpt-4o-mini", "messages": []}')
    assert dialog.parsed() is None  # nothing read while typing
    qtbot.waitUntil(lambda: dialog.parsed() is not None)
    parsed = dialog.parsed()
    assert parsed is not None
    assert parsed.request is not None
    assert parsed.request.model == "gpt-4o-mini"


def test_invalid_json_shows_line_and_column_and_disables_apply(qtbot: Any) -> None:
    dialog = make_import_dialog(qtbot, '{"model": "gpt-4o",\n "messages": [}')
    parsed = dialog.parsed()
    assert parsed is not None
    assert parsed.request is None
    assert not dialog.apply_button.isEnabled()
    text = dialog.messages_label.text()
    assert "not valid JSON" in text
    assert "line 2, column" in text
    assert dialog.summary_label.isHidden()


def test_a_pasted_key_is_reported_as_dropped(qtbot: Any) -> None:
    dialog = make_import_dialog(qtbot, DOCS_CURL.replace("$OPENAI_API_KEY", KEY))
    parsed = dialog.parsed()
    assert parsed is not None
    assert parsed.key_dropped
    assert parsed.request is not None
    assert dialog.apply_button.isEnabled()
    shown = dialog.messages_label.text()
    assert shown.count("API key") == 1  # said once, not again as a note
    assert "An API key was in the text; it was dropped and will not be used." in shown
    assert KEY not in shown
    assert KEY not in dialog.summary_label.text()
    assert KEY not in repr(parsed)


def test_apply_reads_pending_text_first(qtbot: Any) -> None:
    dialog = make_import_dialog(qtbot, "not a request")
    assert not dialog.apply_button.isEnabled()
    dialog.text_edit.setPlainText('{"model": "gpt-4o", "messages": []}')
    dialog.refresh()
    assert dialog.apply_button.isEnabled()
    dialog.apply_button.click()
    parsed = dialog.parsed()
    assert parsed is not None
    assert parsed.request is not None
    assert parsed.request.model == "gpt-4o"


def test_import_widgets_are_named(qtbot: Any) -> None:
    dialog = make_import_dialog(qtbot)
    for widget in (dialog.text_edit, dialog.apply_button):
        assert widget.objectName()
        assert widget.accessibleName()
        assert widget.toolTip()
