"""MessageView: Markdown rendering, incremental streaming, copy buttons, Raw, light and dark."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QTextCursor, QTextFormat
from PySide6.QtWidgets import QApplication

from playground.ui.common.message_view import MessageView
from playground.ui.shell.theme import apply_theme

pytestmark = pytest.mark.gui

SECTION = r'''## Section {n}

Streaming keeps the window **responsive** when each fragment costs little, says
`render_markdown()`; math like \(e^{{i\pi}} + {n} = 0\) stays readable. See [docs](https://example.org/{n}).

```python
def section_{n}(x: int) -> int:
    """Doubles x, {n} times."""
    for _ in range({n}):
        x = x * 2  # twice
    return x
```

| Name | Value |
|:-----|------:|
| a{n} | {n}   |
| b{n} | {n}0  |

> A quote, with <b>markup</b> that stays text.

1. first
2. second
   - nested *item*

\[
\int_0^{n} x\,dx
\]

'''

SAMPLE = "".join(SECTION.format(n=n) for n in range(1, 9)) + "Done."


def make_view(qtbot: Any, *, width: int = 640) -> MessageView:
    view = MessageView("Assistant")
    qtbot.addWidget(view)
    view.setFixedWidth(width)
    view.tail_budget_ms = math.inf  # render every fragment at once: no timer in these tests
    return view


def fragments(text: str, count: int, seed: int = 7) -> list[str]:
    """`text` cut at `count - 1` random places (fragments of 1 to a few characters)."""
    cuts = sorted(random.Random(seed).sample(range(1, len(text)), count - 1))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


@pytest.fixture
def light_theme(qapp: QApplication) -> Iterator[QApplication]:
    apply_theme(qapp, "light")
    yield qapp
    apply_theme(qapp, "light")


def test_streaming_2000_fragments_ends_like_set_text(qtbot: Any, light_theme: Any) -> None:
    streamed = make_view(qtbot)
    for fragment in fragments(SAMPLE, 2000):
        streamed.append_stream(fragment)
    whole = make_view(qtbot)
    whole.set_text(SAMPLE)

    assert streamed.body.toPlainText() == whole.body.toPlainText()
    assert streamed.body.document().toHtml() == whole.body.document().toHtml()  # formats too
    assert streamed.text() == SAMPLE
    assert streamed.code_blocks() == whole.code_blocks()
    assert len(whole.code_blocks()) == 8

    # Incremental: never a full render while streaming, at most one tail render per fragment, and
    # the Markdown handed to the renderer is a few percent of what re-rendering the whole message
    # on every fragment would hand it.
    assert streamed.full_renders == 0
    assert whole.full_renders == 1
    assert streamed.tail_renders <= 2000
    received = 0
    everything_each_time = 0
    for fragment in fragments(SAMPLE, 2000):
        received += len(fragment)
        everything_each_time += received
    assert streamed.rendered_chars < everything_each_time * 0.05


def test_a_long_code_block_streams_in_place(qtbot: Any, light_theme: Any) -> None:
    lines = [f"    value_{i} = compute({i}, 'x' * {i})  # line {i}\n" for i in range(300)]
    code = "def long_function():\n" + "".join(lines) + "    return 0\n"
    text = f"Here it is:\n\n```python\n{code}```\n\nThat was long."
    view = make_view(qtbot)
    chunks = fragments(text, 4000)
    half = len(chunks) // 2
    for fragment in chunks[:half]:
        view.append_stream(fragment)

    # Half-way: the open block shows its code so far; Copy gives that code.
    so_far = "".join(chunks[:half]).split("```python\n", 1)[1]
    assert view.body.toPlainText().rstrip("\n").endswith(so_far.rstrip("\n"))
    assert view.code_blocks() == [so_far.removesuffix("\n")]
    tail_renders_at_half = view.tail_renders

    for fragment in chunks[half:]:
        view.append_stream(fragment)
    assert view.code_blocks() == [code.removesuffix("\n")]
    # The lines of the open block were added in place: no re-render per fragment, and each
    # character went through the renderer about once (plus the one highlight when it closed).
    assert view.tail_renders - tail_renders_at_half < 20
    assert view.rendered_chars < 4 * len(text)

    whole = make_view(qtbot)
    whole.set_text(text)
    assert view.body.toPlainText() == whole.body.toPlainText()
    assert view.body.document().toHtml() == whole.body.document().toHtml()


def test_a_big_last_block_is_rendered_on_a_timer(qtbot: Any, light_theme: Any) -> None:
    table = "| a | b |\n|---|---|\n" + "".join(f"| {i} | {i * i} |\n" for i in range(40))
    view = make_view(qtbot)
    view.tail_budget_ms = 0.0  # every tail render counts as slow
    for fragment in fragments(table, 300):
        view.append_stream(fragment)
    assert view.tail_renders < 10  # held back while fragments kept coming
    qtbot.waitUntil(lambda: "1521" in view.body.toPlainText(), timeout=3000)  # 39 * 39

    view.append_stream("| 40 | 1600 |\n")
    view.flush()
    whole = make_view(qtbot)
    whole.set_text(table + "| 40 | 1600 |\n")
    assert view.body.toPlainText() == whole.body.toPlainText()


def test_crlf_split_across_fragments(qtbot: Any, light_theme: Any) -> None:
    view = make_view(qtbot)
    for fragment in ["# T\r", "\nline one\r", "\r\n", "para\r\n"]:
        view.append_stream(fragment)
    whole = make_view(qtbot)
    whole.set_text("# T\r\nline one\r\n\r\npara\r\n")
    assert view.text() == "# T\nline one\n\npara\n"
    assert view.body.toPlainText() == whole.body.toPlainText()


def test_copy_message_puts_the_markdown_on_the_clipboard(qtbot: Any, light_theme: Any) -> None:
    view = make_view(qtbot)
    view.set_text(SAMPLE)
    QApplication.clipboard().clear()
    with qtbot.waitSignal(view.copied) as signal:
        qtbot.mouseClick(view.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == SAMPLE
    assert signal.args == ["message"]
    assert view.copy_button.text() == "Copied"
    qtbot.waitUntil(lambda: view.copy_button.text() == "Copy", timeout=3000)


def _anchor_point(view: MessageView, href: str) -> QPoint:
    """The middle of the `Copy` link to `href`, in the body's viewport coordinates."""
    document = view.body.document()
    found = document.find("Copy")
    while not found.isNull():
        if found.charFormat().anchorHref() == href:
            middle = QTextCursor(document)
            middle.setPosition(found.selectionStart() + 2)
            return view.body.cursorRect(middle).center()
        found = document.find("Copy", found)
    raise AssertionError(f"no link to {href}")


def test_clicking_a_code_blocks_copy_link_copies_its_raw_code(qtbot: Any, light_theme: Any) -> None:
    view = make_view(qtbot)
    view.set_text(SAMPLE)
    view.show()
    qtbot.waitExposed(view)
    QApplication.clipboard().clear()
    with qtbot.waitSignal(view.copied) as signal:
        qtbot.mouseClick(
            view.body.viewport(), Qt.MouseButton.LeftButton, pos=_anchor_point(view, "copy:2")
        )
    expected = SECTION.format(n=3).split("```python\n")[1].split("\n```")[0]
    assert QApplication.clipboard().text() == expected
    assert signal.args == ["code block 3"]


def test_raw_toggle_shows_the_markdown_source(qtbot: Any, light_theme: Any) -> None:
    view = make_view(qtbot)
    view.set_text(SAMPLE)
    rendered = view.body.toPlainText()
    assert "```" not in rendered
    assert "**responsive**" not in rendered

    qtbot.mouseClick(view.raw_toggle, Qt.MouseButton.LeftButton)
    assert view.is_raw()
    assert view.body.toPlainText() == SAMPLE

    view.append_stream("\n\nMore *text*.")  # streaming while Raw shows the source as it comes
    assert view.body.toPlainText() == SAMPLE + "\n\nMore *text*."

    qtbot.mouseClick(view.raw_toggle, Qt.MouseButton.LeftButton)
    assert not view.is_raw()
    assert view.body.toPlainText().endswith("More text.")
    assert view.full_renders == 3  # set_text, Raw on, Raw off


def test_html_in_a_reply_shows_as_text(qtbot: Any, light_theme: Any) -> None:
    view = make_view(qtbot)
    view.set_text('Hi <script>alert(1)</script> <img src=x onerror="alert(1)"> <b>bold?</b>')
    text = view.body.toPlainText()
    assert '<script>alert(1)</script> <img src=x onerror="alert(1)"> <b>bold?</b>' in text
    cursor = QTextCursor(view.body.document())
    for position in range(view.body.document().characterCount() - 1):
        cursor.setPosition(position + 1)
        assert not cursor.charFormat().isImageFormat()
        assert cursor.charFormat().fontWeight() != 700  # <b> did not make anything bold


def test_the_body_is_as_tall_as_its_content(qtbot: Any, light_theme: Any) -> None:
    view = make_view(qtbot)
    view.show()
    qtbot.waitExposed(view)
    view.set_text("One line.")
    short = view.body.height()
    view.set_text(SAMPLE)
    assert view.body.height() > short * 5
    assert view.body.verticalScrollBar().maximum() == 0  # nothing to scroll: it all shows
    assert view.body.height() >= math.ceil(view.body.document().size().height())
    assert view.objectName() == "messageView"
    assert view.findChild(type(view.copy_button), "copyMessageButton") is view.copy_button
    assert view.findChild(type(view.raw_toggle), "rawToggle") is view.raw_toggle


def _code_background(view: MessageView) -> QColor:
    """The background of the first code block's code cell."""
    cursor = view.body.document().find("def section_1")
    assert not cursor.isNull()
    table = cursor.currentTable()
    assert table is not None
    brush = table.cellAt(cursor).format().background()
    color = brush.color() if brush.style() != Qt.BrushStyle.NoBrush else QColor()
    if not color.isValid():  # Qt may keep the cell colour on the block instead
        color = cursor.blockFormat().background().color()
    return color


def test_light_and_dark_render_and_switch(qtbot: Any, qapp: QApplication, tmp_path: Path) -> None:
    view = make_view(qtbot)
    view.show()
    qtbot.waitExposed(view)
    try:
        apply_theme(qapp, "light")
        view.set_text(SAMPLE)
        light_bg = _code_background(view)
        view.grab().save(str(tmp_path / "message-light.png"))
        before = view.full_renders

        apply_theme(qapp, "dark")  # the view follows the palette by itself
        qtbot.waitUntil(lambda: view.full_renders == before + 1, timeout=3000)
        dark_bg = _code_background(view)
        image = view.grab().toImage()
        image.save(str(tmp_path / "message-dark.png"))
    finally:
        apply_theme(qapp, "light")

    assert light_bg.lightness() > 200
    assert dark_bg.lightness() < 60
    # The code panel stands apart from the dark base (#1b1d1f), and the code's own colours read on
    # it: the code keyword colour differs clearly from the panel.
    assert dark_bg.name() != "#1b1d1f"
    assert image.pixelColor(image.width() // 2, image.height() - 3).lightness() < 60
    assert (tmp_path / "message-light.png").stat().st_size > 0


def test_every_copy_link_matches_a_code_block(qtbot: Any, light_theme: Any) -> None:
    """Every Copy link in the document is a `copy:<n>` anchor that matches a code block."""
    view = make_view(qtbot)
    view.set_text(SAMPLE)
    hrefs = set()
    cursor = QTextCursor(view.body.document())
    for position in range(view.body.document().characterCount() - 1):
        cursor.setPosition(position + 1)
        fmt = cursor.charFormat()
        if fmt.isAnchor() and fmt.anchorHref().startswith("copy:"):
            hrefs.add(fmt.anchorHref())
            assert fmt.hasProperty(QTextFormat.Property.AnchorHref)
    assert hrefs == {f"copy:{i}" for i in range(len(view.code_blocks()))}


def test_copy_link_of_a_code_block_still_streaming(qtbot: Any, light_theme: Any) -> None:
    view = make_view(qtbot)
    view.show()
    qtbot.waitExposed(view)
    for fragment in ["Look:\n\n```py", "thon\nx = 1\n", "y = [i for i", " in range(3)]"]:
        view.append_stream(fragment)
    QApplication.clipboard().clear()
    with qtbot.waitSignal(view.copied):
        qtbot.mouseClick(
            view.body.viewport(), Qt.MouseButton.LeftButton, pos=_anchor_point(view, "copy:0")
        )
    assert QApplication.clipboard().text() == "x = 1\ny = [i for i in range(3)]"
