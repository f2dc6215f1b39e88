"""A small YAML writer and reader for Promptfoo configs, so the app needs no YAML package.

The writer emits block mappings and sequences, `|-` literal blocks for text with line breaks and
JSON-style double-quoted strings otherwise (valid YAML, exact round trip). The reader takes the
subset people write in config files: block mappings and sequences (`- key: value` items too),
plain, single- and double-quoted scalars, `|`/`>` blocks with `-`/`+` chomping, one-line flow
`[…]` and `{…}`, comments and a leading `---`. Anchors, aliases, tags and multi-document files
are refused with the line, in plain words (`YamlError`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

_PLAIN_KEY = re.compile(r"^[A-Za-z_][\w.-]*$")
_INT = re.compile(r"^[-+]?\d+$")
_FLOAT = re.compile(r"^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$")


class YamlError(ValueError):
    """The text is not YAML this reader understands; the message names the line."""


# --- writing -------------------------------------------------------------------------------------


def dump(value: Any, header: Sequence[str] = ()) -> str:
    """YAML for `value` (dicts, lists, str, int, float, bool, None), after `header` comment lines."""
    lines = [f"# {line}".rstrip() for line in header]
    lines += _emit(value, 0)
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    return key if _PLAIN_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _scalar(value: Any, indent: int) -> list[str]:
    """The scalar's text: one line, or a `|-` header and its indented lines."""
    if value is None:
        return ["null"]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, int | float):
        return [json.dumps(value)]
    text = str(value)
    lines = text.split("\n")
    block = (
        "\n" in text
        and "\r" not in text
        and not text.endswith("\n")
        # The first line with text sets the block's indentation: it must not start with a space.
        and not next((line for line in lines if line), "").startswith((" ", "\t"))
        and all(not line or line.strip() for line in lines)  # no lines of only spaces
    )
    if block:
        pad = " " * (indent + 2)
        return ["|-", *[pad + line if line else "" for line in lines]]
    if (
        _PLAIN_TEXT.fullmatch(text)
        and ": " not in text
        and not text.endswith(":")
        and _plain(text) == text
        and text.lower() not in _YAML11_WORDS
    ):
        return [text]
    return [json.dumps(text, ensure_ascii=False)]


# Text written without quotes: words, ids like "openai:chat:gpt-4o-mini", no ": " or " #".
_PLAIN_TEXT = re.compile(r"^[A-Za-z_][\w.:/@+-]*( [\w.:/@+()-]+)*$")
_YAML11_WORDS = frozenset({"yes", "no", "on", "off", "y", "n"})  # booleans to older readers


def _scalar_after(head: str, value: Any, indent: int) -> list[str]:
    """`head`, a space and the scalar `value` on one line (a block scalar's lines follow)."""
    first, *rest = _scalar(value, indent)
    return [f"{head} {first}", *rest]


def _emit(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = f"{pad}{_key(str(key))}:"
            if isinstance(item, Mapping | list | tuple) and item:
                out.append(name)
                out += _emit(item, indent + 2)
            elif isinstance(item, Mapping):
                out.append(f"{name} {{}}")
            elif isinstance(item, list | tuple):
                out.append(f"{name} []")
            else:
                out += _scalar_after(name, item, indent)
        return out
    if isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, Mapping) and item:
                nested = _emit(item, indent + 2)
                out.append(f"{pad}- {nested[0][indent + 2 :]}")
                out += nested[1:]
            elif isinstance(item, Mapping):
                out.append(f"{pad}- {{}}")
            elif isinstance(item, list | tuple):
                out.append(f"{pad}- {json.dumps(list(item), ensure_ascii=False)}")
            else:
                out += _scalar_after(f"{pad}-", item, indent)
        return out
    return [pad + line for line in _scalar(value, indent)]


# --- reading -------------------------------------------------------------------------------------


def load(text: str) -> Any:
    """The value of a one-document YAML text (None when it is empty).

    Raises:
        YamlError: something this reader does not understand, with the line number.
    """
    try:
        return _Reader(text).document()
    except (IndexError, RecursionError) as exc:
        # A shape the reader does not expect (nested too deeply, cut short): said plainly.
        raise YamlError(f"the file's structure cannot be read ({type(exc).__name__})") from None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _strip_comment(text: str) -> str:
    """`text` without a trailing comment (a `#` after a space, outside quotes)."""
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 1  # an escaped character, whatever it is
            elif ch == quote:
                quote = ""
        elif ch in "\"'" and (i == 0 or text[i - 1] in " [{,:"):
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[:i].rstrip()
        i += 1
    return text.rstrip()


class _Reader:
    def __init__(self, text: str) -> None:
        self.lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.i = 0

    def error(self, message: str, line: int | None = None) -> YamlError:
        return YamlError(f"Line {(self.i if line is None else line) + 1}: {message}")

    def document(self) -> Any:
        self.skip()
        if self.i < len(self.lines) and self.lines[self.i].strip() == "---":
            self.i += 1
        self.skip()
        if self.i >= len(self.lines):
            return None
        first = self.lines[self.i].strip()
        if not first.startswith("-") and not _is_entry(first):
            value = self.value(first, -1)
        else:
            value = self.block(_indent(self.lines[self.i]))
        self.skip()
        if self.i < len(self.lines):
            if self.lines[self.i].strip() in ("---", "..."):
                raise self.error("a second document in one file is not supported")
            raise self.error("unexpected indentation")
        return value

    def skip(self) -> None:
        while self.i < len(self.lines):
            stripped = self.lines[self.i].strip()
            if stripped and not stripped.startswith("#"):
                if "\t" in self.lines[self.i][: _indent(self.lines[self.i]) + 1]:
                    raise self.error("indent with spaces, not tabs")
                return
            self.i += 1

    def block(self, indent: int) -> Any:
        """The mapping or sequence whose first line (at column `indent`) is the next one."""
        self.skip()
        line = self.lines[self.i]
        content = line.strip()
        if content == "-" or content.startswith("- "):
            return self.sequence(indent)
        return self.mapping(indent)

    def sequence(self, indent: int) -> list[Any]:
        out: list[Any] = []
        while True:
            self.skip()
            if self.i >= len(self.lines):
                return out
            line = self.lines[self.i]
            content = line.strip()
            current = _indent(line)
            if current < indent:
                return out
            if current > indent:
                raise self.error("unexpected indentation")
            if not (content == "-" or content.startswith("- ")):
                return out
            rest = content[1:].lstrip()
            column = current + (len(content) - len(rest))
            if not rest:
                self.i += 1
                self.skip()
                if self.i < len(self.lines) and _indent(self.lines[self.i]) > indent:
                    out.append(self.block(_indent(self.lines[self.i])))
                else:
                    out.append(None)
            elif _is_entry(rest) or rest.startswith("- "):
                self.lines[self.i] = " " * column + rest
                out.append(self.block(column))
            else:
                self.i += 1
                out.append(self.value(rest, indent))

    def mapping(self, indent: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while True:
            self.skip()
            if self.i >= len(self.lines):
                return out
            line = self.lines[self.i]
            current = _indent(line)
            if current < indent:
                return out
            if current > indent:
                raise self.error("unexpected indentation")
            content = line.strip()
            if content.startswith("- "):
                return out  # a sequence at the parent's level ends this mapping
            if content in ("---", "..."):
                raise self.error("a second document in one file is not supported")
            key, rest = self.entry(content)
            if key in out:
                raise self.error(f"“{key}” appears twice")
            self.i += 1
            rest = _strip_comment(rest)
            if rest:
                out[key] = self.value(rest, indent)
                continue
            self.skip()
            if self.i < len(self.lines):
                nxt = self.lines[self.i]
                nxt_indent = _indent(nxt)
                if nxt_indent > indent or (
                    nxt_indent == indent and (nxt.strip() == "-" or nxt.strip().startswith("- "))
                ):
                    out[key] = self.block(nxt_indent)
                    continue
            out[key] = None

    def entry(self, content: str) -> tuple[str, str]:
        if content.startswith(("&", "*", "!", "? ")):
            raise self.error("anchors, aliases, tags and complex keys are not supported")
        if content[0] in "\"'":
            key, end = _quoted(content, 0, self.error)
            rest = content[end:].lstrip()
            if not rest.startswith(":"):
                raise self.error("a quoted key must be followed by “:”")
            return key, rest[1:].strip()
        match = re.match(r"^(.*?):(?:\s+(.*))?$", content)
        if match is None or not match.group(1).strip():
            raise self.error(f"expected “name: value”, found {content[:40]!r}")
        return match.group(1).strip(), (match.group(2) or "").strip()

    def value(self, text: str, parent_indent: int) -> Any:
        text = _strip_comment(text)
        if text.startswith(("&", "*", "!")):
            raise self.error("anchors, aliases and tags are not supported", self.i - 1)
        if text[:1] in "|>":
            return self.block_scalar(text, parent_indent)
        if text[:1] in "[{":
            value, end = _flow(text, 0, lambda m: self.error(m, self.i - 1))
            if text[end:].strip():
                raise self.error("text after a closing bracket", self.i - 1)
            return value
        if text[:1] in "\"'":
            value, end = _quoted(text, 0, lambda m: self.error(m, self.i - 1))
            if text[end:].strip():
                raise self.error("text after a closing quote", self.i - 1)
            return value
        return _plain(text)

    def block_scalar(self, header: str, parent_indent: int) -> str:
        if not re.fullmatch(r"[|>][-+]?", header):
            raise self.error(f"the block header {header!r} is not supported", self.i - 1)
        folded, chomp = header[0] == ">", header[1:2]
        lines: list[str] = []
        block_indent: int | None = None
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if not line.strip():
                lines.append("")
                self.i += 1
                continue
            current = _indent(line)
            if block_indent is None:
                if current <= parent_indent:
                    break
                block_indent = current
            if current < block_indent:
                break
            lines.append(line[block_indent:])
            self.i += 1
        trailing = 0
        while lines and lines[-1] == "":
            lines.pop()
            trailing += 1
        # Blank lines that belong to what follows are not this block's.
        if folded:
            text = ""
            for index, line in enumerate(lines):
                if index and line and lines[index - 1]:
                    text += " "
                elif index:
                    text += "\n"
                text += line
        else:
            text = "\n".join(lines)
        if chomp == "-" or not lines:
            return text
        if chomp == "+":
            return text + "\n" * (1 + trailing)
        return text + "\n"


def _is_entry(text: str) -> bool:
    """Whether a line's text is a `key: value` entry (not a plain scalar holding a colon)."""
    if text[:1] in "\"'":
        try:
            _value, end = _quoted(text, 0, YamlError)
        except YamlError:
            return False
        return text[end:].lstrip().startswith(":")
    if text[:1] in "[{|>":
        return False
    return re.match(r"^[^#]*?:(\s|$)", text) is not None


def _plain(text: str) -> Any:
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def _quoted(text: str, start: int, error: Any) -> tuple[str, int]:
    quote = text[start]
    if quote == "'":
        out, i = "", start + 1
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    out += "'"
                    i += 2
                    continue
                return out, i + 1
            out += text[i]
            i += 1
        raise error("a quote is not closed (quoted text must stay on one line)")
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            try:
                return str(json.loads(text[start : i + 1])), i + 1
            except ValueError:
                raise error("an escape in quoted text is not supported") from None
        i += 1
    raise error("a quote is not closed (quoted text must stay on one line)")


def _flow(text: str, start: int, error: Any) -> tuple[Any, int]:
    """A one-line `[…]` or `{…}` starting at `start`, and the index after it."""
    opening = text[start]
    closing = "]" if opening == "[" else "}"
    items: list[Any] = []
    mapping: dict[str, Any] = {}
    i = start + 1
    while True:
        while i < len(text) and text[i] == " ":
            i += 1
        if i >= len(text):
            raise error(f"“{opening}” is not closed on its line")
        if text[i] == closing:
            return (items if opening == "[" else mapping), i + 1
        key: Any = None
        if opening == "{":
            if text[i] in "\"'":
                key, i = _quoted(text, i, error)
            else:
                end = text.find(":", i)
                if end < 0:
                    raise error("expected “name: value” inside { }")
                key = text[i:end].strip()
                i = end
            while i < len(text) and text[i] == " ":
                i += 1
            if text[i : i + 1] != ":":
                raise error("expected “:” inside { }")
            i += 1
            while i < len(text) and text[i] == " ":
                i += 1
            if i >= len(text):
                raise error(f"“{opening}” is not closed on its line")
        if text[i] in "[{":
            value, i = _flow(text, i, error)
        elif text[i] in "\"'":
            value, i = _quoted(text, i, error)
        else:
            end = i
            while end < len(text) and text[end] not in ",]}":
                end += 1
            value, i = _plain(text[i:end].strip()), end
        if opening == "[":
            items.append(value)
        else:
            mapping[str(key)] = value
        while i < len(text) and text[i] == " ":
            i += 1
        if text[i : i + 1] == ",":
            i += 1
        elif text[i : i + 1] != closing:
            raise error(f"expected “,” or “{closing}”")
