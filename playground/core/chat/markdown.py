"""Markdown to the HTML subset that Qt's rich-text engine (QTextDocument) displays well.

Pure Python, no Qt. The parser is markdown-it-py (CommonMark plus GFM tables and strikethrough)
with raw HTML switched off, so whatever the model writes (`<script>`, `<img onerror=…>`) is shown
as text. Qt's HTML engine ignores CSS classes and most of CSS, so every style is inline: fenced code
is highlighted with pygments into `<span style="color:…">`, tables and code blocks are drawn with
table attributes (`bgcolor`, `cellspacing`), and nothing relies on JavaScript or web fonts.

Each fenced or indented code block gets a small header with its language and a `Copy` link whose
address is `copy:<n>`; `RenderedMarkdown.code_blocks[n - code_index_start]` is that block's raw code.

LaTeX is kept readable rather than typeset: `\\( … \\)`, `\\[ … \\]` and `$$ … $$` are taken out before
Markdown's backslash escapes and emphasis could mangle them, and are shown verbatim (delimiters
included) in a monospace font.

Streaming: `split_stable_prefix` tells which part of a growing reply is made of finished top-level
blocks. That part renders to the same HTML however much more text arrives, so a view renders it once
and re-renders only the unfinished tail. Because `render_markdown(a + b)` equals
`render_markdown(a)` followed by `render_markdown(b, code_index_start=…)` when `a` ends on a block
boundary, a view may render a reply in such pieces. The one exception: reference-style link
definitions (`[x]: https://…`) only apply inside the piece they are rendered with. A code block
that is still open is described by `open_fence`, and `OpenFence.extend` follows it without parsing
it again, so a view can add its lines in place, coloured with `highlight`.

Single newlines are line breaks, as chat interfaces show them (CommonMark would join the lines).

pygments and markdown-it are imported on first use, not at import time, to keep start-up light.
"""

# pygments ships no type hints (and types-Pygments is not a dependency): its names are Any here.
# mypy: disable-error-code="import-untyped"

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import MutableMapping, Sequence

    from markdown_it import MarkdownIt
    from markdown_it.rules_block import StateBlock
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token
    from markdown_it.utils import OptionsDict
    from pygments.lexer import Lexer

    Tokens = Sequence[Token]
    Options = OptionsDict
    Env = MutableMapping[str, Any]

__all__ = [
    "PLAIN",
    "MarkdownColors",
    "OpenFence",
    "RenderedMarkdown",
    "TokenStyle",
    "highlight",
    "markdown_colors",
    "normalize_newlines",
    "open_fence",
    "render_code_block",
    "render_code_header",
    "render_markdown",
    "split_stable_prefix",
    "warm_up",
]

# Longest fenced block that is highlighted; longer ones are shown plain (pygments is linear, but a
# 1 MB paste should not hold the GUI thread for a second).
MAX_HIGHLIGHT_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class MarkdownColors:
    """The few colours the HTML needs besides the palette's own text and link colours."""

    muted: str
    code_bg: str
    code_header_bg: str
    code_border: str
    inline_code_bg: str
    quote_bar: str
    quote_text: str
    table_border: str
    table_header_bg: str
    math: str


_LIGHT = MarkdownColors(
    muted="#57606a",
    code_bg="#f6f8fa",
    code_header_bg="#eaeef2",
    code_border="#d0d7de",
    inline_code_bg="#eff1f3",
    quote_bar="#d0d7de",
    quote_text="#57606a",
    table_border="#d0d7de",
    table_header_bg="#f6f8fa",
    math="#6f42c1",
)

# Built around the dark palette's base (#1b1d1f): code sits on a slightly lighter panel.
_DARK = MarkdownColors(
    muted="#9aa0a6",
    code_bg="#26282b",
    code_header_bg="#2f3236",
    code_border="#3b3f44",
    inline_code_bg="#2f3236",
    quote_bar="#4a4f55",
    quote_text="#b0b5ba",
    table_border="#3b3f44",
    table_header_bg="#26282b",
    math="#c4a7ff",
)


def markdown_colors(dark: bool) -> MarkdownColors:
    """The colours `render_markdown` uses on a light or dark background (for views that draw
    parts of a message themselves, such as a code block that is still streaming)."""
    return _DARK if dark else _LIGHT


@dataclass(frozen=True, slots=True)
class RenderedMarkdown:
    """HTML for a QTextDocument, plus the raw code of every code block in it.

    Attributes:
        html: The HTML (Qt's rich-text subset, inline styles only).
        code_blocks: The raw code of each code block, in document order, without the final
            newline. The block with `href="copy:<n>"` is `code_blocks[n - code_index_start]`.
    """

    html: str
    code_blocks: list[str] = field(default_factory=list)


def render_markdown(text: str, *, dark: bool, code_index_start: int = 0) -> RenderedMarkdown:
    """Renders Markdown to HTML that QTextDocument shows well.

    Args:
        text: The Markdown source. Untrusted: raw HTML in it is escaped and shown as text, and
            links with unsafe schemes (`javascript:`, `file:`, …) stay plain text.
        dark: Whether the view has a dark background (chooses the code and table colours).
        code_index_start: The number given to the first code block's `copy:<n>` link, so that a
            view that renders a message in pieces can number code blocks across the pieces.

    Returns:
        The HTML and the raw code of each code block. An unclosed code fence (a reply still
        streaming) is rendered as a code block up to the end of the text.
    """
    md = _parser()
    env: dict[str, Any] = {
        "colors": _DARK if dark else _LIGHT,
        "dark": dark,
        "code_blocks": [],
        "code_index_start": code_index_start,
    }
    out = md.render(text, env)
    return RenderedMarkdown(html=out, code_blocks=env["code_blocks"])


def warm_up() -> None:
    """Imports markdown-it and pygments and compiles the common lexers and both styles.

    The first render otherwise pays for this (tens of milliseconds, more per new language). Safe to
    call from a worker thread at start-up.
    """
    render_markdown("# x\n\n- y\n\n| a |\n|---|\n| b |\n", dark=False)
    for language in _WARM_LANGUAGES:
        for dark in (False, True):
            highlight("x = 1\n", language, dark=dark)


_WARM_LANGUAGES = ("python", "javascript", "typescript", "bash", "json", "c", "cpp", "java")


def normalize_newlines(text: str) -> str:
    """Turns "\\r\\n" and lone "\\r" into "\\n" (what the functions here expect)."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def split_stable_prefix(text: str) -> tuple[str, str]:
    """Splits a growing Markdown text into finished top-level blocks and the unfinished rest.

    `stable` is the longest prefix made of complete top-level blocks; appending text to `tail`
    cannot change how `stable` renders (reference-style link definitions aside). It ends

    - where the last top-level block starts, counting only complete lines, so an open code fence,
      a list that may get more items, or a paragraph that may still become a heading stay in `tail`;
    - after the last complete line when the last block is a closed code fence (nothing can reopen
      it), so a long code block is not rendered again while the next block begins;
    - before an unfinished line that already starts a new block: one after a blank line that does
      not start with a space or a possible list marker (`-`, `+`, `*`, a digit).

    Args:
        text: The Markdown received so far. "\\r\\n" and "\\r" count as "\\n".

    Returns:
        `(stable, tail)`; `stable + tail` is `text` with its newlines normalised.
    """
    text = normalize_newlines(text)
    cut = text.rfind("\n") + 1
    if cut == 0:
        return "", text
    complete, partial = text[:cut], text[cut:]
    starts: list[int] = []
    for token in _block_parser().parse(complete):
        if token.level == 0 and token.nesting >= 0 and token.map is not None:
            starts.append(token.map[0])
            last = token
    if not starts:
        return "", text
    if last.type == "fence" and _fence_is_closed(complete, last):
        return complete, partial
    if _partial_line_starts_block(complete, partial):
        return complete, partial
    line = starts[-1]
    if line == 0:
        return "", text
    offset = _line_offset(complete, line)
    return text[:offset], text[offset:]


@dataclass(frozen=True, slots=True)
class OpenFence:
    """A fenced code block whose closing fence has not arrived yet (a reply still streaming).

    Attributes:
        language: The first word of the info string ("python"), or "".
        code: The complete lines of code so far, each ending in "\\n".
        partial: The unfinished last line (no newline yet), or "".
        marker: The opening fence ("```" or "~~~~" …): a line of at least as many of the same
            character, and nothing else, closes the block.
        indent: Spaces before the opening fence; up to as many are removed from each code line.
    """

    language: str
    code: str
    partial: str
    marker: str
    indent: int

    @property
    def text(self) -> str:
        """The code received so far, the unfinished line included."""
        return self.code + self.partial

    def extend(self, more: str) -> OpenFence | None:
        """The same fence with `more` text appended, or None if `more` closes it.

        Costs O(len(more) + len(partial)): a view follows a long code block as it streams without
        parsing it again. `more` must use "\\n" newlines.
        """
        pending = self.partial + more
        cut = pending.rfind("\n") + 1
        lines = pending[:cut].splitlines(keepends=True)
        code = []
        for line in lines:
            if _closes_fence(line, self.marker):
                return None
            code.append(_dedent(line, self.indent))
        return OpenFence(
            language=self.language,
            code=self.code + "".join(code),
            partial=_dedent(pending[cut:], self.indent),
            marker=self.marker,
            indent=self.indent,
        )


def open_fence(text: str) -> OpenFence | None:
    """The open code fence that `text` consists of, if it is one whose first line is complete.

    Args:
        text: A tail from `split_stable_prefix`, with "\\n" newlines.

    Returns:
        The fence, or None when `text` is anything else: several blocks, a closed fence, a fence
        whose opening line is still arriving, or no fence at all. Only complete lines decide; an
        unfinished last line is code, even if it may become the closing fence.
    """
    cut = text.rfind("\n") + 1
    if cut == 0:
        return None
    complete, partial = text[:cut], text[cut:]
    tokens = [t for t in _block_parser().parse(complete) if t.level == 0]
    if len(tokens) != 1 or tokens[0].type != "fence" or tokens[0].map is None:
        return None
    token = tokens[0]
    if token.map is None or token.map[0] != 0 or _fence_is_closed(complete, token):
        return None
    first_line = complete[: complete.index("\n")]
    indent = len(first_line) - len(first_line.lstrip(" "))
    info = html.unescape(token.info).strip()
    return OpenFence(
        language=info.split(maxsplit=1)[0] if info else "",
        code=token.content,
        partial=_dedent(partial, indent),
        marker=token.markup,
        indent=indent,
    )


def _fence_is_closed(complete: str, token: Token) -> bool:
    """Whether a fence token parsed from `complete` (whole lines) ends with its closing line."""
    assert token.map is not None
    first, end = token.map
    if end - 1 <= first:
        return False
    lines = complete.split("\n")
    return end - 1 < len(lines) and _closes_fence(lines[end - 1], token.markup)


def _closes_fence(line: str, marker: str) -> bool:
    stripped = line.strip(" \t\n")
    if len(line) - len(line.lstrip(" ")) > 3 or not stripped:
        return False
    return stripped == marker[0] * len(stripped) and len(stripped) >= len(marker)


def _dedent(line: str, indent: int) -> str:
    if not indent:
        return line
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(spaces, indent) :]


_LIST_START = frozenset("-+*0123456789")


def _partial_line_starts_block(complete: str, partial: str) -> bool:
    """Whether an unfinished line after a blank line has already begun a block of its own."""
    if not partial.strip() or partial[0] in _LIST_START or partial[0].isspace():
        return False
    previous = complete[:-1].rpartition("\n")[2]
    if previous.strip():
        return False  # no blank line before: the line may still join the block above
    line = complete.count("\n")
    starts = [
        t.map[0]
        for t in _block_parser().parse(complete + partial)
        if t.level == 0 and t.nesting >= 0 and t.map is not None
    ]
    return bool(starts) and starts[-1] == line


def _line_offset(text: str, line: int) -> int:
    """The offset where line number `line` (from 0) of `text` starts."""
    offset = 0
    for _ in range(line):
        offset = text.index("\n", offset) + 1
    return offset


# --- the parser ---------------------------------------------------------------------------------


@cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    md = MarkdownIt(
        "commonmark",
        {"html": False, "breaks": True, "linkify": False, "typographer": False},
        renderer_cls=_renderer_class(),
    )
    md.enable(["table", "strikethrough"])
    _add_math_rules(md)
    return md


@cache
def _block_parser() -> MarkdownIt:
    """The same block grammar as `_parser`, without the inline pass (only block maps are needed)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False})
    md.enable(["table"])
    _add_math_rules(md)
    md.disable("inline")
    return md


def _add_math_rules(md: MarkdownIt) -> None:
    md.block.ruler.before(
        "fence", "math_block", _math_block_rule, {"alt": ["paragraph", "reference", "blockquote"]}
    )
    md.inline.ruler.before("escape", "math_inline", _math_inline_rule)


_MATH_DELIMITERS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"))


def _math_block_rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Display math that starts a line: `$$ … $$` or `\\[ … \\]`, on one line or several.

    The closing delimiter must end its line; an unclosed block runs to the end of its container
    (a reply still streaming).
    """
    if state.is_code_block(start):
        return False
    first = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[start]]
    for opener, closer in _MATH_DELIMITERS[:2]:  # noqa: B007 (used after the loop)
        if first.startswith(opener):
            break
    else:
        return False
    rest = first[len(opener) :]
    found = rest.find(closer)
    if found >= 0:
        if rest[found + len(closer) :].strip():
            return False  # `$$x$$ and more`: inline math inside a paragraph
        last = start
    else:
        last = start
        for line in range(start + 1, end):
            pos, maximum = state.bMarks[line] + state.tShift[line], state.eMarks[line]
            if pos < maximum and state.sCount[line] < state.blkIndent:
                break  # a line indented less than the container ends it (math in a list item)
            last = line
            if state.src[pos:maximum].rstrip().endswith(closer):
                break
    if silent:
        return True
    state.line = last + 1
    token = state.push("math_block", "p", 0)
    token.block = True
    token.content = state.getLines(start, last + 1, state.sCount[start], False)
    token.markup = opener
    token.map = [start, state.line]
    return True


def _math_inline_rule(state: StateInline, silent: bool) -> bool:
    """Inline math `\\( … \\)`, `\\[ … \\]` and `$$ … $$`, taken before backslash escapes run.

    An unclosed opener is kept as literal text (backslash included) instead of becoming a `(`.
    """
    src, pos = state.src, state.pos
    for opener, closer in _MATH_DELIMITERS:  # noqa: B007 (used after the loop)
        if src.startswith(opener, pos):
            break
    else:
        return False
    close = src.find(closer, pos + len(opener), state.posMax)
    if close < 0:
        if not silent:
            state.pending += opener
        state.pos = pos + len(opener)
        return True
    if not silent:
        token = state.push("math_inline", "span", 0)
        token.content = src[pos : close + len(closer)]
        token.markup = opener
    state.pos = close + len(closer)
    return True


# --- the renderer -------------------------------------------------------------------------------


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


@cache
def _renderer_class() -> type:
    """The renderer class, built on first use so that markdown-it is imported lazily.

    Each method renders one token type (markdown-it calls them by name, positionally).
    """
    from markdown_it.renderer import RendererHTML

    class _QtRenderer(RendererHTML):
        def heading_open(self, tokens: Tokens, idx: int, _options: Options, _env: Env) -> str:
            tag = tokens[idx].tag
            return f'<{tag} style="font-size:{_HEADING_SIZES.get(tag, "medium")}">'

        def code_inline(self, tokens: Tokens, idx: int, _options: Options, env: Env) -> str:
            colors: MarkdownColors = env["colors"]
            return (
                f'<code style="background-color:{colors.inline_code_bg}">'
                f"{_esc(tokens[idx].content)}</code>"
            )

        def fence(self, tokens: Tokens, idx: int, _options: Options, env: Env) -> str:
            info = html.unescape(tokens[idx].info).strip()
            language = info.split(maxsplit=1)[0] if info else ""
            return _code_block(tokens[idx].content, language, env)

        def code_block(self, tokens: Tokens, idx: int, _options: Options, env: Env) -> str:
            return _code_block(tokens[idx].content, "", env)

        def math_inline(self, tokens: Tokens, idx: int, _options: Options, env: Env) -> str:
            colors: MarkdownColors = env["colors"]
            return (
                f'<span style="font-family:monospace; color:{colors.math}">'
                f"{_esc(tokens[idx].content)}</span>"
            )

        def math_block(self, tokens: Tokens, idx: int, _options: Options, env: Env) -> str:
            colors: MarkdownColors = env["colors"]
            lines = tokens[idx].content.rstrip("\n").split("\n")
            return (
                f'<p align="center" style="font-family:monospace; color:{colors.math}">'
                f"{'<br>'.join(_esc(line) for line in lines)}</p>\n"
            )

        def blockquote_open(self, _tokens: Tokens, _idx: int, _options: Options, env: Env) -> str:
            # Qt draws no left border on blocks: a two-cell table makes the bar.
            colors: MarkdownColors = env["colors"]
            return (
                '<table width="100%" cellspacing="0" cellpadding="0"'
                ' style="margin-top:6px; margin-bottom:6px">'
                f'<tr><td width="3" bgcolor="{colors.quote_bar}"></td>'
                f'<td style="padding-left:10px; color:{colors.quote_text}">'
            )

        def blockquote_close(self, _t: Tokens, _idx: int, _options: Options, _env: Env) -> str:
            return "</td></tr></table>\n"

        def table_open(self, _tokens: Tokens, _idx: int, _options: Options, env: Env) -> str:
            colors: MarkdownColors = env["colors"]
            return (
                '<table border="1" cellspacing="0" cellpadding="5" style="border-collapse:collapse;'
                f" border-color:{colors.table_border}; border-style:solid; margin-top:6px;"
                ' margin-bottom:6px">\n'
            )

        def th_open(self, tokens: Tokens, idx: int, _options: Options, env: Env) -> str:
            colors: MarkdownColors = env["colors"]
            return f'<th bgcolor="{colors.table_header_bg}"{_align(tokens[idx])}>'

        def td_open(self, tokens: Tokens, idx: int, _options: Options, _env: Env) -> str:
            return f"<td{_align(tokens[idx])}>"

        def hr(self, _tokens: Tokens, _idx: int, _options: Options, env: Env) -> str:
            # Qt draws a bare <hr> as a thick line in the text colour; this makes it a hairline.
            colors: MarkdownColors = env["colors"]
            return f'<hr style="background-color:{colors.table_border}">\n'

        def link_open(self, tokens: Tokens, idx: int, _options: Options, _env: Env) -> str:
            href = str(tokens[idx].attrGet("href") or "")
            title = str(tokens[idx].attrGet("title") or href)
            return f'<a href="{_esc(href)}" title="{_esc(title)}">'

        def image(self, tokens: Tokens, idx: int, options: Options, env: Env) -> str:
            # Never load images: QTextBrowser would read local files named by the model.
            token = tokens[idx]
            alt = self.renderInlineAsText(token.children, options, env) or "image"
            src = str(token.attrGet("src") or "")
            return f'<a href="{_esc(src)}" title="{_esc(src)}">[image: {_esc(alt)}]</a>'

    return _QtRenderer


_HEADING_SIZES = {"h1": "x-large", "h2": "large", "h3": "medium", "h4": "medium"}


def _align(token: Token) -> str:
    style = str(token.attrGet("style") or "")
    match = re.search(r"text-align:\s*(left|right|center)", style)
    return f' align="{match.group(1)}"' if match else ""


def _code_block(code: str, language: str, env: MutableMapping[str, Any]) -> str:
    blocks: list[str] = env["code_blocks"]
    raw = code[:-1] if code.endswith("\n") else code
    index = env["code_index_start"] + len(blocks)
    blocks.append(raw)
    return render_code_block(raw, language, dark=env["dark"], index=index)


def render_code_block(code: str, language: str, *, dark: bool, index: int) -> str:
    """The HTML of one code block: a header (language, `Copy` link) over the highlighted code.

    Args:
        code: The raw code, without a final newline.
        language: The fence's language ("python"), or "" for plain text.
        dark: Whether the view has a dark background.
        index: The number in the block's `copy:<n>` link.

    Returns:
        A one-pixel-framed table; its last cell holds the code in a `<pre>`.
    """
    colors = _DARK if dark else _LIGHT
    body = "".join(
        f'<span style="{style.css}">{_esc(text)}</span>' if style.css else _esc(text)
        for text, style in highlight(code, language, dark=dark)
    )
    # cellspacing=1 over a border-coloured table draws a one-pixel frame and a line under the header.
    return (
        f'<table width="100%" cellspacing="1" cellpadding="0" bgcolor="{colors.code_border}"'
        ' style="margin-top:6px; margin-bottom:6px">'
        f'<tr><td bgcolor="{colors.code_header_bg}">'
        f"{render_code_header(language, dark=dark, index=index)}</td></tr>"
        f'<tr><td bgcolor="{colors.code_bg}" style="padding:8px">'
        f'<pre style="margin:0; white-space:pre-wrap">{body}</pre>'
        "</td></tr></table>\n"
    )


def render_code_header(language: str, *, dark: bool, index: int) -> str:
    """The header row of a code block: its language on the left, a `copy:<index>` link on the right.

    `render_code_block` puts it above the code; a view that draws a still-streaming code block
    itself can use it to give that block the same header.
    """
    colors = _DARK if dark else _LIGHT
    label = _esc(language) if language else "code"
    return (
        f'<table width="100%" cellspacing="0" cellpadding="3" bgcolor="{colors.code_header_bg}">'
        f'<tr><td style="color:{colors.muted}; font-size:small">&nbsp;{label}</td>'
        f'<td align="right" style="font-size:small"><a href="copy:{index}"'
        ' style="text-decoration:none" title="Copy this code">Copy</a>&nbsp;</td>'
        "</tr></table>"
    )


@dataclass(frozen=True, slots=True)
class TokenStyle:
    """How one run of highlighted code looks.

    Attributes:
        color: "#rrggbb", or "" for the view's own text colour.
        bold: Bold text.
        italic: Italic text.
    """

    color: str = ""
    bold: bool = False
    italic: bool = False

    @property
    def css(self) -> str:
        """The same as inline CSS ("" for plain text)."""
        parts = [f"color:{self.color}"] if self.color else []
        if self.bold:
            parts.append("font-weight:bold")
        if self.italic:
            parts.append("font-style:italic")
        return "; ".join(parts)


PLAIN = TokenStyle()


def highlight(code: str, language: str, *, dark: bool) -> list[tuple[str, TokenStyle]]:
    """Splits code into runs of text with their pygments style (the view's colours for plain text).

    Args:
        code: The code. Its text is kept exactly: joining the runs gives `code` back.
        language: A pygments language name or alias ("python", "py", "ts"); unknown or "" gives
            one plain run. Code longer than `MAX_HIGHLIGHT_CHARS` is not highlighted.
        dark: Picks the dark style (monokai) instead of the light one (xcode).

    Returns:
        `(text, style)` runs; neighbouring runs with the same style are merged.
    """
    if not code:
        return []
    lexer = _lexer(language.lower()) if language and len(code) <= MAX_HIGHLIGHT_CHARS else None
    if lexer is None:
        return [(code, PLAIN)]
    styles = _token_styles(dark)
    runs: list[tuple[str, TokenStyle]] = []
    for ttype, value in lexer.get_tokens(code):
        if not value:
            continue
        style = styles.get(ttype)
        if style is None:
            style = styles[ttype] = _style_for(ttype, dark)
        if runs and runs[-1][1] == style:
            runs[-1] = (runs[-1][0] + value, style)
        else:
            runs.append((value, style))
    # get_tokens adds a final newline (ensurenl); drop it so that the runs join to `code`.
    if not code.endswith("\n") and runs and runs[-1][0].endswith("\n"):
        text, style = runs[-1]
        if text == "\n":
            runs.pop()
        else:
            runs[-1] = (text[:-1], style)
    return runs


@cache
def _lexer(name: str) -> Lexer | None:
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(name, stripnl=False)
    except ClassNotFound:
        return None


_TOKEN_STYLES: dict[bool, dict[Any, TokenStyle]] = {False: {}, True: {}}


def _token_styles(dark: bool) -> dict[Any, TokenStyle]:
    """Memo of `_style_for`, per palette."""
    return _TOKEN_STYLES[dark]


def _style_for(ttype: Any, dark: bool) -> TokenStyle:
    info = _style_class(dark).style_for_token(ttype)
    color = str(info["color"] or "").lower()
    # Plain text (the style's base colour, or pure black/white) takes the palette's text colour.
    if color in (_base_color(dark), "000000", "ffffff"):
        color = ""
    return TokenStyle(
        color=f"#{color}" if color else "", bold=bool(info["bold"]), italic=bool(info["italic"])
    )


@cache
def _base_color(dark: bool) -> str:
    """The style's plain-text colour, as pygments writes it ("f8f8f2"), or ""."""
    from pygments.token import Token

    return str(_style_class(dark).style_for_token(Token)["color"] or "").lower()


@cache
def _style_class(dark: bool) -> Any:
    # The pygments styles with the best contrast on the code backgrounds above: their faintest
    # colour (comments) still reads at about 4.5:1. Imported by module, not `get_style_by_name`,
    # so that PyInstaller sees them.
    if dark:
        from pygments.styles.monokai import MonokaiStyle

        return MonokaiStyle
    from pygments.styles.xcode import XcodeStyle

    return XcodeStyle
