"""`playground.core.api.imports`: first imports of big packages from worker threads; `import_heavy`
never hands out a module that another thread is still importing."""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import threading
import types
from pathlib import Path

import pytest

from playground.core.api import imports
from playground.core.api.imports import import_heavy


def test_a_module_being_imported_elsewhere_is_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = types.ModuleType("playground_test_gate")
    seen: list[bool] = []

    def other_thread() -> None:
        gate.started.set()
        module = import_heavy("playground_test_slow")
        seen.append(hasattr(module, "DONE"))  # complete when it came back

    gate.started = threading.Event()  # type: ignore[attr-defined]
    gate.other = threading.Thread(target=other_thread)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "playground_test_gate", gate)
    # The module starts the other thread half-way through its own import and waits until it runs.
    (tmp_path / "playground_test_slow.py").write_text(
        "import playground_test_gate as gate\n"
        "gate.other.start()\n"
        "gate.started.wait(10)\n"
        "DONE = True\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "playground_test_slow", raising=False)
    try:
        assert import_heavy("playground_test_slow").DONE
        gate.other.join(10)  # type: ignore[attr-defined]
    finally:
        sys.modules.pop("playground_test_slow", None)
    assert seen == [True]


def _module(name: str, *, initializing: bool) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    module.__spec__._initializing = initializing  # type: ignore[attr-defined]
    return module


def test_a_loaded_module_is_returned_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    done = _module("pg_done_module", initializing=False)
    monkeypatch.setitem(sys.modules, "pg_done_module", done)
    monkeypatch.setattr(importlib, "import_module", lambda name: pytest.fail(name))
    assert imports.import_heavy("pg_done_module") is done


def test_a_module_still_being_imported_by_another_thread_is_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Another worker is half-way through importing it: the half-initialised module is already in
    # sys.modules (this once handed the price lookup a genai_prices without calc_price). The
    # import system, under the lock, waits for that import and returns the finished module.
    half = _module("pg_half_module", initializing=True)
    finished = _module("pg_half_module", initializing=False)
    monkeypatch.setitem(sys.modules, "pg_half_module", half)
    asked: list[str] = []

    def import_module(name: str) -> types.ModuleType:
        asked.append(name)
        return finished

    monkeypatch.setattr(importlib, "import_module", import_module)
    assert imports.import_heavy("pg_half_module") is finished
    assert asked == ["pg_half_module"]
