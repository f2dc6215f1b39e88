"""`playground.core.imports`: first imports of big packages from worker threads."""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import types

import pytest

from playground.core import imports


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
