"""Streams a long Markdown reply into MessageView and prints how long each append takes.

Not a test: run it by hand after changing the Markdown view, and compare against the baselines.

    python bench/markdown_stream.py [--tokens 20000] [--per-fragment 4] [--width 800]

The reply is about 20,000 o200k tokens of mixed prose, lists, tables and code blocks (a few of them
long), cut into fragments of about 4 tokens, as a server streams them. Each fragment is appended
and then the event loop runs once (layout and painting, offscreen), and that pair is timed. The same
fragments then go, with the same timing, to two bare widgets: a QTextEdit whose `append` adds each
fragment as a new paragraph, and a QTextEdit where a cursor inserts plain text at the end (what the
Chat tab did before Markdown). Both views sit in an 800 x 600 window, the MessageView inside a
scroll area as it will be in a conversation. The slowest appends are the ones that close a long
code block: the block is then highlighted as a whole, once (pygments, about 0.25 ms a line of
Python).
"""

from __future__ import annotations

import argparse
import codecs
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication, QScrollArea, QTextEdit

from playground.core.chat.markdown import warm_up
from playground.core.money.tokens import get_encoding
from playground.ui.common.message_view import MessageView
from playground.ui.shell.theme import apply_theme

PROSE = (
    "Streaming keeps the window responsive when each fragment costs little. Section {n} looks at "
    "**incremental rendering**: the finished blocks are drawn once, and only the *last* block is "
    "drawn again, so the cost per fragment stays flat. Call `render_markdown()` with `dark=True` "
    "for the dark palette, see [the docs](https://example.org/docs/{n}), and note that "
    "\\(O(n)\\) work per fragment would add up to \\(O(n^2)\\) for the reply.\n"
)

CODE_LINE = "    total_{i} = sum(x * {i} for x in range({n}))  # accumulate step {i}\n"


def build_reply(encoding_tokens: int, count: Callable[[str], int]) -> str:
    """Markdown of roughly `encoding_tokens` tokens: prose, lists, tables, short and long code."""
    parts: list[str] = []
    n = 0
    total = 0
    while total < encoding_tokens:
        n += 1
        section = [f"## Section {n}\n\n", PROSE.format(n=n), "\n"]
        section.append(
            "".join(f"- item {n}.{i}: a point with `code_{i}` in it\n" for i in range(6))
        )
        section.append("\n| Name | Value | Note |\n|:-----|------:|:-----|\n")
        section.append("".join(f"| row {i} | {i * n} | note {i} |\n" for i in range(5)))
        lines = 120 if n % 5 == 0 else 12  # every fifth section has a long code block
        section.append("\n```python\n")
        section.append(f"def section_{n}() -> int:\n")
        section.append("".join(CODE_LINE.format(i=i, n=n) for i in range(lines)))
        section.append("    return 0\n```\n\n")
        section.append("> A quote to close the section, with \\[x^2\\] in it.\n\n")
        text = "".join(section)
        parts.append(text)
        total += count(text)
    return "".join(parts)


def fragments(text: str, per_fragment: int) -> list[str]:
    encoding = get_encoding("o200k_base")
    tokens = encoding.encode(text)
    decoder = codecs.getincrementaldecoder("utf-8")()
    out = []
    for i in range(0, len(tokens), per_fragment):
        piece = decoder.decode(encoding.decode_bytes(tokens[i : i + per_fragment]))
        if piece:
            out.append(piece)
    tail = decoder.decode(b"", final=True)
    if tail:
        out.append(tail)
    return out


def timed(app: QApplication, frags: list[str], append: Callable[[str], None]) -> list[float]:
    times = []
    for frag in frags:
        start = time.perf_counter()
        append(frag)
        app.processEvents()
        times.append(time.perf_counter() - start)
    return times


def report(name: str, times: list[float]) -> None:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"{name:<34} total {sum(times):7.2f} s   mean {statistics.mean(times) * 1000:6.2f} ms"
        f"   p99 {p99 * 1000:6.2f} ms   max {max(times) * 1000:7.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--per-fragment", type=int, default=4)
    parser.add_argument("--width", type=int, default=800)
    parser.add_argument("--theme", choices=["light", "dark"], default="light")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    apply_theme(app, args.theme)
    warm_up()  # as the app does before its first request: imports and lexers are not timed
    encoding = get_encoding("o200k_base")
    reply = build_reply(args.tokens, lambda s: len(encoding.encode(s)))
    frags = fragments(reply, args.per_fragment)
    print(
        f"reply: {len(encoding.encode(reply)):,} tokens, {len(reply):,} characters, "
        f"{reply.count('```') // 2} code blocks, {len(frags):,} fragments of ~{args.per_fragment} tokens"
    )

    view = MessageView("Assistant")
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(view)
    area.resize(args.width, 600)
    area.show()
    app.processEvents()

    def append_and_follow(frag: str) -> None:
        view.append_stream(frag)
        bar = area.verticalScrollBar()
        bar.setValue(bar.maximum())

    times = timed(app, frags, append_and_follow)
    report("MessageView.append_stream", times)
    slowest = sorted(range(len(times)), key=times.__getitem__, reverse=True)[:3]
    for i in slowest:
        print(f"  slow: {times[i] * 1000:5.1f} ms at fragment {i:,} {frags[i]!r}")
    view.flush()
    print(
        f"  full renders {view.full_renders}, tail renders {view.tail_renders:,}, "
        f"Markdown rendered {view.rendered_chars:,} chars "
        f"({view.rendered_chars / len(reply):.1f}x the reply)"
    )
    assert view.text() == reply

    start = time.perf_counter()
    check = MessageView("Assistant")
    check.set_text(reply)
    print(f"MessageView.set_text (whole reply)  {time.perf_counter() - start:7.2f} s")
    same = check.body.toPlainText() == view.body.toPlainText()
    print(f"  streamed document equals set_text document: {same}")
    area.close()

    edit = QTextEdit()
    edit.resize(args.width, 600)
    edit.show()
    app.processEvents()
    report("QTextEdit.append (baseline)", timed(app, frags, edit.append))
    edit.close()

    plain = QTextEdit()
    plain.resize(args.width, 600)
    plain.show()
    app.processEvents()

    def insert_at_end(frag: str) -> None:
        cursor = QTextCursor(plain.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(frag)

    report("QTextEdit cursor insertText (base)", timed(app, frags, insert_at_end))
    plain.close()


if __name__ == "__main__":
    main()
