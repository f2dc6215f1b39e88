"""`import_heavy` never hands out a module that another thread is still importing."""

from __future__ import annotations

import sys
import threading
import types
from pathlib import Path

import pytest

from playground.core.imports import import_heavy


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
