"""The Dataset doctor: check a fine-tuning file before it is uploaded (works offline, any provider).

Plain Python, no Qt. `check_dataset` reads a chat-format JSONL file (one example a line:
`{"messages": [...]}`) and reports every problem with its line:

* the line is JSON, an object, with a non-empty `messages` list;
* each message has a known role (system, developer, user, assistant, tool) and content of a
  known kind (text, or a list of text / image parts); an assistant message may carry
  `tool_calls` instead (each with an id, type "function", a name and JSON arguments); a tool
  message names its `tool_call_id`; `weight` is 0 or 1;
* the example ends with the assistant's answer (what the model learns);
* duplicate examples, and validation examples that also appear in the training file;
* at least 10 examples (the API refuses fewer), 50 or more recommended.

A fix-it is offered where the right change is obvious (a role written "User" or "bot"): `fixed`
on a problem, applied to the whole file by `apply_fixes`.

Token counts are local estimates (`≈`, the chat format's few tokens of overhead per message
included); the longest example is flagged against the model's context window where it is known.
The training cost is tokens × epochs × the model's training price; the price data the app uses
has no training prices, so without a price it is unknown ("—"), never guessed.
`split_dataset` makes a train/validation pair from one file.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from playground.core.storage.textfiles import TextFileError, decode_text

MIN_EXAMPLES = 10
RECOMMENDED_EXAMPLES = 50
ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
_ROLE_FIXES = {"human": "user", "bot": "assistant", "ai": "assistant", "model": "assistant"}
_PER_MESSAGE = 4  # the chat format's tokens around each message
_PER_EXAMPLE = 3

CountTokens = Callable[[str], int]


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem (`error`: the API would refuse the file) or a warning, at a line (0: the file)."""

    line: int
    message: str
    error: bool = True
    fix: str = ""

    @property
    def text(self) -> str:
        where = f"Line {self.line}: " if self.line else ""
        return f"{where}{self.message}" + (f" Fix: {self.fix}" if self.fix else "")


@dataclass(frozen=True, slots=True)
class Example:
    """One readable example: its line, its messages and its token estimate."""

    line: int
    messages: tuple[dict[str, Any], ...]
    tokens: int
    key: str
    preference: bool = False  # a DPO pair: the conversation, a preferred and a worse answer


@dataclass(frozen=True, slots=True)
class DatasetReport:
    """What the doctor found in a file."""

    examples: tuple[Example, ...]
    findings: tuple[Finding, ...]
    validation_examples: int = 0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.error]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total_tokens(self) -> int:
        return sum(e.tokens for e in self.examples)

    @property
    def longest(self) -> Example | None:
        return max(self.examples, key=lambda e: e.tokens, default=None)

    @property
    def method(self) -> str:
        """ "dpo" when every example is a preference pair, "supervised" when none is, "" when
        the file mixes them (or has no example)."""
        pairs = sum(e.preference for e in self.examples)
        if not self.examples or 0 < pairs < len(self.examples):
            return ""
        return "dpo" if pairs else "supervised"

    @property
    def fixable(self) -> bool:
        return any(f.fix for f in self.findings)

    def histogram(self, bins: int = 10) -> list[tuple[int, int, int]]:
        """Example lengths in `bins` equal ranges: (low, high, count)."""
        if not self.examples:
            return []
        lengths = [e.tokens for e in self.examples]
        low, high = min(lengths), max(lengths)
        width = max(1, -(-(high - low + 1) // bins))
        counts = [0] * bins
        for n in lengths:
            counts[min((n - low) // width, bins - 1)] += 1
        return [(low + i * width, low + (i + 1) * width - 1, c) for i, c in enumerate(counts)]


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _check_message(
    number: int, index: int, message: Any, findings: list[Finding]
) -> dict[str, Any] | None:
    where = f"message {index + 1}"
    if not isinstance(message, dict):
        findings.append(Finding(number, f"{where} is not a JSON object."))
        return None
    role = message.get("role")
    if not isinstance(role, str) or role not in ROLES:
        fixed = role.lower() if isinstance(role, str) else ""
        fixed = _ROLE_FIXES.get(fixed, fixed)
        fix = f'write the role as "{fixed}".' if fixed in ROLES else ""
        findings.append(
            Finding(number, f"{where} has the role {json.dumps(role)}, which is not one of "
                    "system, developer, user, assistant, tool.", fix=fix)
        )  # fmt: skip
        return None
    content = message.get("content")
    calls = message.get("tool_calls")
    if role == "assistant" and calls is not None:
        if not isinstance(calls, list) or not calls:
            findings.append(Finding(number, f"{where}: tool_calls must be a non-empty list."))
        else:
            for call in calls:
                function = call.get("function") if isinstance(call, dict) else None
                if (
                    not isinstance(call, dict)
                    or not call.get("id")
                    or not isinstance(function, dict)
                ):
                    findings.append(
                        Finding(number, f"{where}: each tool call needs an id and a function.")
                    )
                    continue
                if not function.get("name"):
                    findings.append(Finding(number, f"{where}: a tool call has no function name."))
                try:
                    json.loads(str(function.get("arguments", "")))
                except ValueError:
                    findings.append(
                        Finding(number, f"{where}: a tool call's arguments are not valid JSON.")
                    )
    elif isinstance(content, list):
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind not in ("text", "image_url"):
                findings.append(
                    Finding(
                        number, f"{where} has a content part of unknown type {json.dumps(kind)}."
                    )
                )
    elif not isinstance(content, str):
        findings.append(Finding(number, f"{where} has no text content."))
    elif not content.strip() and role != "assistant":
        findings.append(Finding(number, f"{where} ({role}) is empty."))
    if role == "tool" and not message.get("tool_call_id"):
        findings.append(Finding(number, f"{where} (tool) does not say which tool call it answers."))
    if "weight" in message and message["weight"] not in (0, 1):
        findings.append(Finding(number, f"{where}: weight must be 0 or 1."))
    return message


def _read_pair(
    number: int, item: dict[str, Any], count: CountTokens, findings: list[Finding]
) -> Example | None:
    """A DPO example: `input.messages`, then `preferred_output` and `non_preferred_output`, each
    one assistant message."""
    before = len(findings)
    source = item.get("input")
    messages = source.get("messages") if isinstance(source, dict) else None
    if not isinstance(messages, list) or not messages:
        findings.append(Finding(number, 'A preference pair needs "input" with a "messages" list.'))
        return None
    good = [m for i, m in enumerate(messages) if _check_message(number, i, m, findings)]
    answers: list[dict[str, Any]] = []
    for name, words in (("preferred_output", "better"), ("non_preferred_output", "worse")):
        output = item.get(name)
        if (
            not isinstance(output, list)
            or len(output) != 1
            or not isinstance(output[0], dict)
            or output[0].get("role") != "assistant"
        ):
            findings.append(
                Finding(number, f'"{name}" must hold one assistant message (the {words} answer).')
            )
        else:
            answers.append(output[0])
    if len(findings) != before:
        return None
    tokens = _PER_EXAMPLE + sum(
        _PER_MESSAGE + count(_content_text(m.get("content"))) for m in good + answers
    )
    key = json.dumps(item, sort_keys=True, ensure_ascii=False)
    return Example(number, tuple(good + answers[:1]), tokens, key, preference=True)


def _read(text: str, count: CountTokens, findings: list[Finding]) -> list[Example]:
    examples: list[Example] = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except ValueError:
            findings.append(Finding(number, "This line is not valid JSON."))
            continue
        if isinstance(item, dict) and "preferred_output" in item:
            pair = _read_pair(number, item, count, findings)
            if pair is not None:
                examples.append(pair)
            continue
        if not isinstance(item, dict) or not isinstance(item.get("messages"), list):
            findings.append(Finding(number, 'Each line must be an object with a "messages" list.'))
            continue
        messages = item["messages"]
        if not messages:
            findings.append(Finding(number, "The example has no messages."))
            continue
        before = len(findings)
        checked = [_check_message(number, i, m, findings) for i, m in enumerate(messages)]
        good = [m for m in checked if m is not None]
        if not any(m.get("role") == "assistant" for m in good) and len(findings) == before:
            findings.append(Finding(number, "The example has no assistant answer to learn from."))
        elif good and good[-1].get("role") != "assistant":
            findings.append(
                Finding(number, "The example does not end with the assistant's answer; what "
                        "follows the last answer is not learned.", error=False)
            )  # fmt: skip
        tokens = _PER_EXAMPLE + sum(
            _PER_MESSAGE + count(_content_text(m.get("content")))
            + sum(count(json.dumps(c)) for c in m.get("tool_calls") or [])
            for m in good
        )  # fmt: skip
        key = json.dumps(messages, sort_keys=True, ensure_ascii=False)
        examples.append(Example(number, tuple(good), tokens, key))
    return examples


def check_dataset(
    data: bytes,
    count: CountTokens,
    *,
    validation: bytes | None = None,
    context_window: int | None = None,
) -> DatasetReport:
    """Check a training file (and optionally its validation file).

    Args:
        data: the training file.
        count: counts a text's tokens for the base model (an estimate).
        validation: the validation file, checked for overlap with the training file.
        context_window: the base model's limit in tokens, when known.
    """
    findings: list[Finding] = []
    try:
        text = decode_text(data)
    except TextFileError as exc:
        return DatasetReport((), (Finding(0, str(exc)),))
    examples = _read(text, count, findings)
    seen: dict[str, int] = {}
    for example in examples:
        if example.key in seen:
            findings.append(
                Finding(example.line, f"The same example as line {seen[example.key]}.", error=False)
            )
        else:
            seen[example.key] = example.line
    if len(examples) < MIN_EXAMPLES:
        findings.append(
            Finding(0, f"The file has {len(examples)} readable example"
                    f"{'s' if len(examples) != 1 else ''}; fine-tuning needs at least "
                    f"{MIN_EXAMPLES}.")
        )  # fmt: skip
    elif len(examples) < RECOMMENDED_EXAMPLES:
        findings.append(
            Finding(0, f"{len(examples)} examples: it works, but {RECOMMENDED_EXAMPLES} or more "
                    "usually train clearly better.", error=False)
        )  # fmt: skip
    if context_window:
        for example in examples:
            if example.tokens > context_window:
                findings.append(
                    Finding(example.line, f"The example is ≈{example.tokens:,} tokens, longer "
                            f"than the model's {context_window:,}; it would be cut.",
                            error=False)
                )  # fmt: skip
    validation_count = 0
    if validation is not None:
        try:
            validation_text = decode_text(validation)
        except TextFileError as exc:
            findings.append(Finding(0, f"Validation file: {exc}"))
        else:
            other: list[Finding] = []
            checked = _read(validation_text, count, other)
            validation_count = len(checked)
            findings += [
                Finding(f.line, f"Validation file: {f.message}", f.error, f.fix) for f in other
            ]
            for example in checked:
                if example.key in seen:
                    findings.append(
                        Finding(example.line, "Validation file: this example is also in the "
                                f"training file (line {seen[example.key]}), so the validation "
                                "loss would flatter the model.", error=False)
                    )  # fmt: skip
    findings.sort(key=lambda f: (f.line, not f.error))
    return DatasetReport(tuple(examples), tuple(findings), validation_count)


def apply_fixes(data: bytes) -> bytes:
    """The file with the obvious fixes made (role names); everything else unchanged."""
    lines: list[str] = []
    for raw in decode_text(data).splitlines():
        try:
            item = json.loads(raw)
        except ValueError:
            lines.append(raw)
            continue
        messages = item.get("messages") if isinstance(item, dict) else None
        changed = False
        for message in messages if isinstance(messages, list) else []:
            role = message.get("role") if isinstance(message, dict) else None
            if isinstance(role, str) and role not in ROLES:
                fixed = _ROLE_FIXES.get(role.lower(), role.lower())
                if fixed in ROLES:
                    message["role"] = fixed
                    changed = True
        lines.append(json.dumps(item, ensure_ascii=False) if changed else raw)
    return ("\n".join(lines) + "\n").encode("utf-8")


def training_cost(tokens: int, epochs: int, price_per_mtok: Decimal | None) -> Decimal | None:
    """Tokens × epochs × the training price per million tokens (None: no price, shown "—")."""
    if price_per_mtok is None:
        return None
    return Decimal(tokens) * epochs * price_per_mtok / Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class Split:
    train: bytes
    validation: bytes
    train_count: int
    validation_count: int


def split_dataset(report: DatasetReport, *, validation_share: float = 0.2, seed: int = 7) -> Split:
    """Readable examples shuffled (the same way every time) into train and validation files;
    duplicates stay together on one side, so the two never overlap."""
    groups: dict[str, list[Example]] = {}
    for example in report.examples:
        groups.setdefault(example.key, []).append(example)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    wanted = max(1, round(len(report.examples) * validation_share)) if report.examples else 0
    validation: list[Example] = []
    train: list[Example] = []
    for key in keys:
        (validation if len(validation) < wanted else train).extend(groups[key])

    def encode(examples: Sequence[Example]) -> bytes:
        lines = [json.dumps({"messages": list(e.messages)}, ensure_ascii=False) for e in examples]
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""

    train.sort(key=lambda e: e.line)
    validation.sort(key=lambda e: e.line)
    return Split(encode(train), encode(validation), len(train), len(validation))
