"""Presets: a named system prompt with parameters, tools and a response schema; and `{{variables}}`.

A `Preset` keeps everything the Chat tab sends except the conversation: the system prompt and a
`ChatRequest` template (`params`) whose messages are empty and whose model may be "" ("keep the
model that is selected"). `PresetStore` keeps presets in one JSON file, written atomically; the same
versioned document is used to export and import them:

    {"format": "playground-presets", "version": 1, "presets": [
        {"name": "Terse", "system_prompt": "Answer in one line.",
         "params": {"model": "gpt-4o-mini", "temperature": 0.2},
         "created": "2026-05-01T09:30:00+00:00", "updated": "2026-05-01T09:30:00+00:00"}]}

`params` holds only what differs from the defaults, under `ChatRequest`'s own field names (see
`codegen.chat_params_to_dict`).

Variables: `{{name}}` (spaces inside the braces allowed: `{{ name }}`) in a message or the system
prompt becomes a field the user fills in before sending. Names start with a letter or `_` and go on
with letters, digits, `_`, `.` or `-`. There is no escape: anything that matches is a variable, and
anything else (`{{ 1 + 1 }}`, `{{"a": 1}}`, a lone `{{`) stays as it is. Filling is one pass, so a
value that itself contains `{{x}}` is not filled again.
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from playground.core.chat.codegen import chat_params_from_dict, chat_params_to_dict
from playground.core.chat.service import ChatRequest
from playground.core.models import Message
from playground.core.storage.textfiles import TextFileError, load_json, read_text_file

log = logging.getLogger(__name__)

PRESETS_FORMAT: Final = "playground-presets"
PRESETS_VERSION: Final = 1

_VARIABLE = re.compile(r"\{\{[ \t]*([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*\}\}")
_COPY_SUFFIX = re.compile(r"^(.*?) \((\d+)\)$")


def _now() -> datetime:
    return datetime.now(UTC)


def _empty_params() -> ChatRequest:
    return ChatRequest(model="", messages=())


class PresetError(ValueError):
    """A preset operation the user asked for cannot be done; the message says why, in plain words.

    `PresetStore.import_file` raises it (and only it, besides `OSError` when the store's own
    file cannot be written) for any file it is given.
    """


MAX_PRESETS_FILE_BYTES: Final = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Preset:
    """A named system prompt with parameters.

    Attributes:
        name: what the user sees; unique in a store (compared without regard to case).
        system_prompt: the system prompt (may contain `{{variables}}`).
        params: every parameter of a request: sampling, limits, tools, `response_format`... Its
            `messages` are always empty; its `model` is "" when the preset keeps the selected model.
        created: when the preset was first saved (UTC).
        updated: when it was last saved or renamed (UTC).
    """

    name: str
    system_prompt: str = ""
    params: ChatRequest = field(default_factory=_empty_params)
    created: datetime = field(default_factory=_now)
    updated: datetime = field(default_factory=_now)

    @property
    def model(self) -> str:
        """The preset's model, or "" to keep the one selected."""
        return self.params.model

    @classmethod
    def from_request(
        cls,
        name: str,
        request: ChatRequest,
        *,
        system_prompt: str = "",
        keep_model: bool = True,
        now: datetime | None = None,
    ) -> Preset:
        """A preset of `request`'s parameters (its messages are not kept).

        Args:
            name: the preset's name.
            request: where the parameters come from.
            system_prompt: the system prompt to keep.
            keep_model: store the request's model; False makes a preset that keeps whatever
                model is selected when it is loaded.
            now: the creation time (default: the current time).
        """
        when = now or _now()
        params = dataclasses.replace(
            request, messages=(), model=request.model if keep_model else ""
        )
        return cls(name, system_prompt, params, when, when)

    def to_request(self, *, model: str, messages: Sequence[Message]) -> ChatRequest:
        """A request with these parameters and `messages`.

        Args:
            model: the selected model, used when the preset has none.
            messages: what to send (the caller puts the system prompt first).
        """
        return dataclasses.replace(
            self.params, model=self.params.model or model, messages=tuple(messages)
        )


# --- the JSON document ---------------------------------------------------------------------------


def preset_to_dict(preset: Preset) -> dict[str, Any]:
    """One preset as the JSON object stored in files (see the module docstring)."""
    return {
        "name": preset.name,
        "system_prompt": preset.system_prompt,
        "params": chat_params_to_dict(preset.params),
        "created": preset.created.isoformat(),
        "updated": preset.updated.isoformat(),
    }


def export_json(presets: Iterable[Preset]) -> str:
    """A presets document (`{"format": "playground-presets", "version": 1, "presets": [...]}`)."""
    document = {
        "format": PRESETS_FORMAT,
        "version": PRESETS_VERSION,
        "presets": [preset_to_dict(p) for p in presets],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def import_json(text: str, *, taken: Iterable[str] = ()) -> tuple[list[Preset], list[str]]:
    """Reads a presets document. Never raises on bad input.

    Args:
        text: what `export_json` wrote (or a hand-edited copy).
        taken: names already in use; an imported preset with one of them (or with the name of an
            earlier preset in the same file) is renamed "Name (2)", "Name (3)"...

    Returns:
        `(presets, problems)`: the presets that could be read, and plain-language lines about what
        was skipped, renamed or left at its default.
    """
    try:
        raw = load_json(text)
    except TextFileError as exc:
        return [], [str(exc)]
    return presets_from_document(raw, taken=taken)


def presets_from_document(
    raw: Any, *, taken: Iterable[str] = (), now: datetime | None = None
) -> tuple[list[Preset], list[str]]:
    """`import_json` for an already decoded document."""
    problems: list[str] = []
    if not isinstance(raw, dict) or raw.get("format") != PRESETS_FORMAT:
        if isinstance(raw, dict) and raw.get("format") == "playground-conversation":
            return [], ["This is an exported conversation, not a presets file."]
        return [], [f'This is not a presets file (it has no "format": "{PRESETS_FORMAT}").']
    version = raw.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        return [], ['The presets file has no valid "version".']
    if version > PRESETS_VERSION:
        return [], [
            f"This presets file was written by a newer version of Playground (format version "
            f"{version}); update the app to import it."
        ]
    items = raw.get("presets")
    if not isinstance(items, list):
        return [], ['The presets file has no "presets" list.']
    used = {name.casefold() for name in taken}
    out: list[Preset] = []
    for index, item in enumerate(items, start=1):
        preset, item_problems = _preset_from_dict(item, index, now or _now())
        problems += item_problems
        if preset is None:
            continue
        name = unique_name(preset.name, used)
        if name != preset.name:
            problems.append(f'"{preset.name}" was renamed "{name}": that name is taken.')
            preset = dataclasses.replace(preset, name=name)
        used.add(name.casefold())
        out.append(preset)
    return out, problems


def _preset_from_dict(raw: Any, index: int, now: datetime) -> tuple[Preset | None, list[str]]:
    if not isinstance(raw, dict):
        return None, [f"Preset {index} is not an object; skipped."]
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        return None, [f"Preset {index} has no name; skipped."]
    name = _clean_name(name)
    where = f'Preset "{name}": '
    problems: list[str] = []
    system_prompt = raw.get("system_prompt", "")
    if system_prompt is None:
        system_prompt = ""
    if not isinstance(system_prompt, str):
        problems.append(f"{where}the system prompt is not text; left empty.")
        system_prompt = ""
    params_raw = raw.get("params", {})
    if params_raw is None:
        params_raw = {}
    if not isinstance(params_raw, dict):
        problems.append(f"{where}params is not an object; defaults used.")
        params_raw = {}
    fields_, param_problems, unknown = chat_params_from_dict(params_raw, where=where)
    problems += param_problems
    problems += [f'{where}the unknown parameter "{n}" was skipped.' for n in unknown]
    if "messages" in fields_:  # pragma: no cover - chat_params_from_dict never returns messages
        del fields_["messages"]
    params = ChatRequest(**{"model": "", "messages": (), **fields_})
    created = _datetime(raw.get("created")) or now
    updated = _datetime(raw.get("updated")) or created
    return Preset(name, system_prompt, params, created, updated), problems


def _datetime(value: Any) -> datetime | None:
    """An ISO-8601 time as aware UTC-based datetime (a time without offset is taken as UTC)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _clean_name(name: str) -> str:
    return " ".join(name.split())


def unique_name(name: str, taken: Iterable[str]) -> str:
    """`name`, or "name (2)", "name (3)"... whichever is not in `taken` (ignoring case).

    A name that already ends in " (n)" counts on from its base: "Terse (2)" becomes "Terse (3)".
    """
    used = {t.casefold() for t in taken}
    name = _clean_name(name)
    if name.casefold() not in used:
        return name
    match = _COPY_SUFFIX.match(name)
    base, number = (match.group(1), int(match.group(2))) if match else (name, 1)
    while True:
        number += 1
        candidate = f"{base} ({number})"
        if candidate.casefold() not in used:
            return candidate


# --- the store -----------------------------------------------------------------------------------


class PresetStore:
    """Presets in one JSON file, written atomically (temp file + rename).

    A file that cannot be read is moved aside as `<name>.bad` and the store starts empty; a file
    with some unreadable presets is copied aside the same way and the readable ones are kept. In
    both cases `problem` says so, for the UI to show once.

    Args:
        path: the presets file (created on the first save).
        clock: the current time (injected by tests).
    """

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = _now) -> None:
        self.path = path
        self._clock = clock
        self.problem: str | None = None

    def list(self) -> builtins.list[Preset]:
        """Every preset, sorted by name (ignoring case)."""
        return sorted(self._load(), key=lambda p: (p.name.casefold(), p.name))

    def names(self) -> builtins.list[str]:
        return [p.name for p in self.list()]

    def get(self, name: str) -> Preset | None:
        """The preset with this name (ignoring case), or None."""
        wanted = _clean_name(name).casefold()
        return next((p for p in self._load() if p.name.casefold() == wanted), None)

    def save(self, preset: Preset) -> Preset:
        """Adds `preset`, or replaces the one with the same name (keeping its creation time).

        Returns:
            The preset as stored (name tidied, `updated` set to now).

        Raises:
            PresetError: the name is empty.
            OSError: the file could not be written.
        """
        name = _clean_name(preset.name)
        if not name:
            raise PresetError("A preset needs a name.")
        presets = self._load()
        now = self._clock()
        old = next((p for p in presets if p.name.casefold() == name.casefold()), None)
        created = old.created if old is not None else now
        stored = dataclasses.replace(
            preset,
            name=name,
            params=dataclasses.replace(preset.params, messages=()),
            created=created,
            updated=now,
        )
        presets = [p for p in presets if p is not old] + [stored]
        self._write(presets)
        return stored

    def rename(self, old_name: str, new_name: str) -> Preset:
        """Gives a preset a new name.

        Raises:
            PresetError: there is no preset `old_name`, the new name is empty, or another preset
                already has it.
            OSError: the file could not be written.
        """
        new = _clean_name(new_name)
        if not new:
            raise PresetError("A preset needs a name.")
        presets = self._load()
        wanted = _clean_name(old_name).casefold()
        target = next((p for p in presets if p.name.casefold() == wanted), None)
        if target is None:
            raise PresetError(f'There is no preset "{old_name}".')
        if any(p is not target and p.name.casefold() == new.casefold() for p in presets):
            raise PresetError(f'A preset named "{new}" already exists.')
        renamed = dataclasses.replace(target, name=new, updated=self._clock())
        self._write([renamed if p is target else p for p in presets])
        return renamed

    def delete(self, name: str) -> bool:
        """Removes the preset with this name; False if there was none."""
        presets = self._load()
        wanted = _clean_name(name).casefold()
        kept = [p for p in presets if p.name.casefold() != wanted]
        if len(kept) == len(presets):
            return False
        self._write(kept)
        return True

    def export_json(self, names: Iterable[str] | None = None) -> str:
        """A presets document of every preset, or of those named."""
        presets = self.list()
        if names is not None:
            wanted = {_clean_name(n).casefold() for n in names}
            presets = [p for p in presets if p.name.casefold() in wanted]
        return export_json(presets)

    def import_json(self, text: str) -> tuple[builtins.list[Preset], builtins.list[str]]:
        """Adds the presets of a document, renaming those whose name is taken.

        Returns:
            `(added, problems)` as `import_json` describes them.

        Raises:
            OSError: the file could not be written.
        """
        presets = self._load()
        added, problems = import_json(text, taken=[p.name for p in presets])
        if added:
            self._write(presets + added)
        return added, problems

    def import_file(self, path: Path) -> tuple[builtins.list[Preset], builtins.list[str]]:
        """Adds the presets of a file `export_json` wrote (UTF-8, with or without a byte-order
        mark, or UTF-16 with one), renaming those whose name is taken.

        Returns:
            `(added, problems)`: the presets added, and plain-language lines about what was
            skipped, renamed or left at its default.

        Raises:
            PresetError: the file cannot be read, is not text, or holds no preset that could be
                read (the message says why, in plain words).
            OSError: the store's own file could not be written.
        """
        try:
            text = read_text_file(path, max_bytes=MAX_PRESETS_FILE_BYTES)
        except TextFileError as exc:
            raise PresetError(str(exc)) from None
        added, problems = self.import_json(text)
        if not added:
            raise PresetError(" ".join(problems) or "The file holds no presets.")
        return added, problems

    # -- file ------------------------------------------------------------------------------------

    def _load(self) -> builtins.list[Preset]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError, RecursionError) as exc:
            log.warning("presets file unreadable (%s); starting without presets", exc)
            self._set_aside(move=True, why="could not be read.")
            return []
        presets, problems = presets_from_document(raw, now=self._clock())
        if problems:
            log.warning("presets file has problems: %s", "; ".join(problems))
            self._set_aside(move=not presets, why="had problems: " + " ".join(problems))
        return presets

    def _set_aside(self, *, move: bool, why: str) -> None:
        bad = self.path.with_name(self.path.name + ".bad")
        try:
            if move:
                self.path.replace(bad)
            else:
                bad.write_bytes(self.path.read_bytes())
        except OSError as exc:
            log.warning("could not keep a copy of the presets file: %s", exc)
            self.problem = f"The presets file {why}"
            return
        self.problem = f"The presets file {why} A copy was kept as {bad.name}."

    def _write(self, presets: Sequence[Preset]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = export_json(presets)
        fd, tmp = tempfile.mkstemp(prefix=".presets-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()
            raise


# --- variables -----------------------------------------------------------------------------------


def find_variables(texts: Iterable[str]) -> list[str]:
    """The `{{variable}}` names in `texts`, in order of first appearance, each once."""
    seen: dict[str, None] = {}
    for text in texts:
        for match in _VARIABLE.finditer(text):
            seen.setdefault(match.group(1), None)
    return list(seen)


def fill_variables(text: str, values: Mapping[str, str]) -> str:
    """`text` with each `{{name}}` that has a value replaced by it; the others stay as they are."""

    def replace(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return match.group(0) if value is None else value

    return _VARIABLE.sub(replace, text)


def missing_variables(texts: Iterable[str], values: Mapping[str, str]) -> list[str]:
    """The variables in `texts` that have no value, or an empty one, in order."""
    return [name for name in find_variables(texts) if not values.get(name)]


def fill_messages(messages: Iterable[Message], values: Mapping[str, str]) -> tuple[Message, ...]:
    """`messages` with the variables in their text filled (images and tool calls unchanged)."""
    return tuple(
        dataclasses.replace(m, content=fill_variables(m.content, values)) for m in messages
    )
