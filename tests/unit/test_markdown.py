"""Markdown to Qt-friendly HTML: highlighting, code blocks, escaping, LaTeX, and streaming splits."""

from __future__ import annotations

import re

import pytest

from playground.core.chat.markdown import (
    PLAIN,
    OpenFence,
    highlight,
    normalize_newlines,
    open_fence,
    render_markdown,
    split_stable_prefix,
)

SAMPLE = r"""# Title

Some prose with **bold**, `inline`, a [link](https://example.org) and \(a_1 * b_2\).
A second line.

```python
def f(x):
    return x * 2  # twice
```

| Name | Count |
|:-----|------:|
| a    |     1 |

> quoted
> text

1. one
2. two
   - nested

\[
\sum_{i=1}^{n} i = \frac{n(n+1)}{2}
\]

    indented code

Done.
"""


def test_fenced_code_is_highlighted_with_inline_styles() -> None:
    html = render_markdown("```python\ndef f():\n    return 1\n```\n", dark=False).html
    assert re.search(r'<span style="color:#[0-9a-fA-F]{6}[^"]*">def</span>', html)
    assert re.search(r'<span style="color:#[0-9a-fA-F]{6}[^"]*">return</span>', html)
    assert "class=" not in html  # Qt ignores stylesheet classes: every style is inline
    assert "<pre" in html
    assert "&nbsp;python</td>" in html  # the language, in the block's header


def test_dark_and_light_use_different_code_colours() -> None:
    code = "```python\ndef f():\n    return 1\n```\n"
    light = render_markdown(code, dark=False).html
    dark = render_markdown(code, dark=True).html
    assert light != dark
    assert 'bgcolor="#26282b"' in dark  # the dark code panel
    assert 'bgcolor="#f6f8fa"' in light


def test_code_blocks_hold_the_exact_raw_code_in_order() -> None:
    first = "def f(x):\n\treturn x < 1 and x & 2  \n\n# <b>not bold</b>"
    second = "SELECT * FROM t WHERE a > 'b';"
    text = f"intro\n\n```python\n{first}\n```\n\ntext\n\n~~~sql\n{second}\n~~~\n\n    indented()\n"
    rendered = render_markdown(text, dark=False)
    assert rendered.code_blocks == [first, second, "indented()"]
    assert 'href="copy:0"' in rendered.html
    assert 'href="copy:1"' in rendered.html
    assert 'href="copy:2"' in rendered.html
    assert "&lt;b&gt;not bold&lt;/b&gt;" in rendered.html


def test_code_index_start_numbers_the_copy_links() -> None:
    rendered = render_markdown("```\na\n```\n\n```\nb\n```\n", dark=False, code_index_start=5)
    assert rendered.code_blocks == ["a", "b"]
    assert 'href="copy:5"' in rendered.html
    assert 'href="copy:6"' in rendered.html
    assert 'href="copy:0"' not in rendered.html


def test_unknown_language_is_shown_plain() -> None:
    rendered = render_markdown("```nosuchlang\nx <= 1\n```\n", dark=False)
    assert rendered.code_blocks == ["x <= 1"]
    assert "x &lt;= 1" in rendered.html
    assert "nosuchlang" in rendered.html


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "text <iframe src=https://evil.example></iframe> more",
        "<a href='javascript:alert(1)'>x</a>",
    ],
)
def test_html_in_the_reply_is_escaped(source: str) -> None:
    html = render_markdown(source, dark=False).html
    assert "<script" not in html
    assert "<img" not in html
    assert "<iframe" not in html
    assert "&lt;" in html


def test_unsafe_links_and_images_are_not_live() -> None:
    html = render_markdown(
        "[x](javascript:alert(1)) ![pic](file:///etc/passwd) ![ok](https://example.org/a.png)",
        dark=False,
    ).html
    assert 'href="javascript' not in html
    assert 'href="file:' not in html
    assert "<img" not in html  # images are never loaded, only linked
    assert '<a href="https://example.org/a.png"' in html
    assert "[image: ok]" in html


@pytest.mark.parametrize(
    ("source", "kept"),
    [
        (r"Euler: \(e^{i\pi} + 1 = 0\) done", r"\(e^{i\pi} + 1 = 0\)"),
        (r"inline \[a_1 * b_2 * c_3\] here", r"\[a_1 * b_2 * c_3\]"),
        (r"money $$x_1 * y_2$$ here", r"$$x_1 * y_2$$"),
        (r"product \(a * b * c\) and \(x_i\_j\)", r"\(a * b * c\)"),
    ],
)
def test_inline_latex_survives_markdown(source: str, kept: str) -> None:
    html = render_markdown(source, dark=False).html
    assert kept in html
    assert "<em>" not in html  # the `*` and `_` inside math are not emphasis
    assert "monospace" in html


def test_display_latex_blocks_survive() -> None:
    source = (
        "Before\n\n\\[\n\\sum_{i=1}^{n} i * 2 \\\\\nx_1 = \\frac{a}{b}\n\\]\n\n$$\n- y + z\n$$\n"
    )
    html = render_markdown(source, dark=False).html
    assert "\\[<br>\\sum_{i=1}^{n} i * 2 \\\\<br>x_1 = \\frac{a}{b}<br>\\]" in html
    assert "$$<br>- y + z<br>$$" in html
    assert "<li>" not in html  # "- y" inside math is not a list
    assert "<em>" not in html


def test_an_unclosed_inline_math_opener_keeps_its_backslash() -> None:
    html = render_markdown(r"streaming \(x + ", dark=False).html
    assert r"\(x +" in html


def test_tables_headings_lists_quotes() -> None:
    html = render_markdown(SAMPLE, dark=False).html
    assert '<h1 style="font-size:x-large">Title</h1>' in html
    assert "<table border=" in html
    assert '<th bgcolor="#f6f8fa" align="left">Name</th>' in html
    assert '<td align="right">1</td>' in html
    assert "<ol>" in html
    assert "<ul>" in html
    assert "quoted" in html
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.org"' in html
    assert "~~" not in render_markdown("~~gone~~", dark=False).html


def test_single_newlines_are_line_breaks() -> None:
    html = render_markdown("line one\nline two", dark=False).html
    assert "line one<br" in html


def test_an_unclosed_fence_renders_as_a_code_block_so_far() -> None:
    rendered = render_markdown("Intro\n\n```python\ndef f():\n    return", dark=False)
    assert rendered.code_blocks == ["def f():\n    return"]
    assert "<pre" in rendered.html
    assert 'href="copy:0"' in rendered.html


# --- streaming: split_stable_prefix ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stable"),
    [
        ("", ""),
        ("just a line", ""),
        ("para one\n", ""),
        ("para one\n\npara two", "para one\n\n"),  # the new line already starts a block
        ("para one\n\npara two\n", "para one\n\n"),
        ("# Title\n\nsome", "# Title\n\n"),
        ("# Title\ntext\n", "# Title\n"),
        ("line\n#", ""),  # "#" may still become "#hashtag", which would join the paragraph
        ("a\n\n- b", ""),  # "- b" may continue a list; decided when the line ends
        ("- a\n- b\n", ""),  # a list that may get more items
        ("- a\n- b\n\nafter\n", "- a\n- b\n\n"),
        ("```py\ncode\n", ""),  # open fence
        ("```py\ncode\n\nmore\n\n", ""),  # blank lines inside an open fence do not end it
        ("```py\ncode\n```", ""),  # the closing line is not complete yet
        ("```py\ncode\n```\n", "```py\ncode\n```\n"),  # a closed fence is final at once
        ("para\n\n```py\nx\n```\n\nNext", "para\n\n```py\nx\n```\n\n"),
        ("| a |\n|---|\n| 1 |\n", ""),  # a table that may get more rows
        ("Title\n===\n\nx", "Title\n===\n\n"),
        ("    indented\n\n    more\n", ""),
        ("\\[\nx\n\\]\n\ntext", "\\[\nx\n\\]\n\n"),
    ],
)
def test_split_stable_prefix(text: str, stable: str) -> None:
    got_stable, tail = split_stable_prefix(text)
    assert got_stable == stable
    assert got_stable + tail == text


def test_split_normalises_newlines() -> None:
    stable, tail = split_stable_prefix("a\r\n\r\nb\r\n\r\nc")
    assert (stable, tail) == ("a\n\nb\n\n", "c")
    assert normalize_newlines("x\r\ny\rz") == "x\ny\nz"


def test_stable_prefix_renders_the_same_however_the_text_goes_on() -> None:
    """Every stable prefix seen while streaming renders as the start of the final document."""
    final = render_markdown(SAMPLE, dark=False).html
    for end in range(len(SAMPLE) + 1):
        stable, _ = split_stable_prefix(SAMPLE[:end])
        assert final.startswith(render_markdown(stable, dark=False).html), repr(SAMPLE[:end])


def test_stable_and_tail_render_to_the_whole() -> None:
    for end in range(0, len(SAMPLE) + 1, 7):
        stable, tail = split_stable_prefix(SAMPLE[:end])
        first = render_markdown(stable, dark=False)
        second = render_markdown(tail, dark=False, code_index_start=len(first.code_blocks))
        whole = render_markdown(SAMPLE[:end], dark=False)
        assert first.html + second.html == whole.html
        assert first.code_blocks + second.code_blocks == whole.code_blocks


# --- streaming: open fences ---------------------------------------------------------------------


def test_open_fence_reports_language_code_and_unfinished_line() -> None:
    fence = open_fence("```python\nx = 1\ny = ")
    assert fence == OpenFence("python", "x = 1\n", "y = ", "```", 0)
    assert fence.text == "x = 1\ny = "


@pytest.mark.parametrize(
    "text",
    [
        "```python",  # the opening line is not complete
        "```python\nx\n```\n",  # closed
        "para\n\n```python\nx\n",  # more than the fence
        "text\n",
        "",
    ],
)
def test_open_fence_is_none_for_anything_else(text: str) -> None:
    assert open_fence(text) is None


def test_open_fence_extends_until_its_closing_line() -> None:
    fence = open_fence("~~~~js\n")
    assert fence is not None
    fence = fence.extend("let a\n~~~\n")  # shorter than the opening fence: still code
    assert fence is not None
    assert fence.code == "let a\n~~~\n"
    fence = fence.extend("```\nb")  # another marker character: still code
    assert fence is not None
    assert (fence.code, fence.partial) == ("let a\n~~~\n```\n", "b")
    fence = fence.extend("\n~~~")  # may become "~~~~" or "~~~x": undecided until the newline
    assert fence is not None
    assert fence.partial == "~~~"
    assert fence.extend("~\n") is None


def test_open_fence_removes_its_indentation_from_code_lines() -> None:
    fence = open_fence("  ```\n  a\n    b\n c")
    assert fence is not None
    assert (fence.code, fence.partial) == ("a\n  b\n", "c")
    extended = fence.extend("d\n   e\n  ```\n")
    assert extended is None
    extended = fence.extend("d\n   e")
    assert extended is not None
    assert extended.code == "a\n  b\ncd\n"
    assert extended.partial == " e"


# --- highlighting -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["python", "js", "rust", "bash", "json", "", "nosuch"])
def test_highlight_runs_join_back_to_the_code(language: str) -> None:
    code = 'def f(x):\n    """doc\n    more"""\n    return {"a": [1, 2.5]}  # c\n\n'
    runs = highlight(code, language, dark=True)
    assert "".join(text for text, _ in runs) == code
    trimmed = code.rstrip("\n")  # pygments adds a final newline; it must not come back
    assert "".join(text for text, _ in highlight(trimmed, language, dark=False)) == trimmed


def test_highlight_styles_keywords_and_leaves_plain_text_to_the_palette() -> None:
    runs = dict(
        (text.strip(), style) for text, style in highlight("def f(): pass", "python", dark=False)
    )
    assert runs["def"].color.startswith("#")
    assert runs["def"] != PLAIN
    assert highlight("x", "", dark=False) == [("x", PLAIN)]
    assert highlight("", "python", dark=False) == []


def test_display_math_interrupts_a_paragraph_and_nests_in_lists() -> None:
    html = render_markdown(
        "para\n\\[\nx_1\n\\]\nafter\n\n- item\n  $$\n  a * b\n  $$\n", dark=False
    ).html
    assert "<p>para</p>" in html
    assert "\\[<br>x_1<br>\\]" in html
    assert "<p>after</p>" in html
    assert "$$<br>a * b<br>$$" in html
