"""The layering rule, enforced: `playground.core` never imports Qt, qasync or the UI package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1] / "playground" / "core"
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "qasync", "playground.ui")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: p.name)
def test_core_module_has_no_qt(path: Path) -> None:
    bad = [n for n in _imports(path) if any(n == f or n.startswith(f + ".") for f in FORBIDDEN)]
    assert not bad, f"{path.name} imports {bad}: core must stay free of Qt and the UI"


def test_the_rule_finds_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text(
        "from PySide6.QtCore import QObject\nimport playground.ui.shell.theme\n", encoding="utf-8"
    )
    assert _imports(sample) == ["PySide6.QtCore", "playground.ui.shell.theme"]


def test_only_bridge_imports_qasync() -> None:
    ui = CORE.parent / "ui"
    users = [p.name for p in ui.rglob("*.py") if p.name != "_rc.py" and "qasync" in _imports(p)]
    assert users == ["bridge.py"]
