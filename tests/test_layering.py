"""The layering rules, enforced on the import graph of ``playground/`` (read from the AST, not run).

Rules (house style, section 2; issue 14, item 9):

1. ``playground.core`` never imports Qt, qasync or the UI package.
2. No import cycles anywhere in ``playground``.
3. Views and widgets never import controllers, registrations or the composition root.
4. A tab package never imports another tab package; ``ui/shell`` and ``ui/common`` import none.
5. Only ``ui/shell/bridge.py`` imports qasync.

How the graph is built (one edge per importing module and imported project module):

* Every ``import`` and ``from … import`` counts, wherever it stands: at the top, inside a
  function, under ``if TYPE_CHECKING:``. The rules are about which module *depends on* which.
  A function-level import is the usual way to hide a cycle from the interpreter, and a
  ``TYPE_CHECKING`` import still ties the two modules' designs together (the issue's cycle
  ``ui/features/base.py`` → ``app.py`` for ``Services`` was such a dependency). An import that is
  truly needed against a rule means the code is in the wrong place.
* ``from pkg import name`` is an edge to ``pkg.name`` when that is a module, else to ``pkg``;
  ``import a.b.c`` is an edge to the deepest existing module of ``a.b.c``. Importing a submodule
  does not add edges to its parent packages' ``__init__`` (as import-linter and grimp count it),
  so a package ``__init__`` that re-exports its modules does not make every module of the
  package a cycle.

Each rule has a companion test that feeds it a synthetic violation (a rule must be able to fail).

Known violations on today's main are listed, one allow-list per rule, while the redesign of issue
14 removes them; a test fails when an allow-listed violation no longer exists, so the lists only
shrink.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

PLAYGROUND = Path(__file__).resolve().parents[1] / "playground"
CORE = PLAYGROUND / "core"
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "qasync", "playground.ui")

Graph = dict[str, set[str]]
Edge = tuple[str, str]

# ------------------------------------------------------------------------------------------------
# Known violations on today's main
# ------------------------------------------------------------------------------------------------

# Empty since the redesign (issue 14) landed: an exception needs a reason written here.
# Import edges (importer, imported) that close today's cycles; the cycle test drops exactly these
# (for each cycle the edge that points the wrong way), so any new cycle still fails.
KNOWN_CYCLE_EDGES: frozenset[Edge] = frozenset()

# Empty since the redesign (issue 14) landed: an exception needs a reason written here.
# (view or widget module, controller/registration/composition-root module it imports).
KNOWN_VIEW_IMPORTS: frozenset[Edge] = frozenset()

# Empty since the redesign (issue 14) landed: an exception needs a reason written here.
# (importing module, module of a tab package it may not import).
KNOWN_TAB_IMPORTS: frozenset[Edge] = frozenset()


# ------------------------------------------------------------------------------------------------
# The import graph
# ------------------------------------------------------------------------------------------------


def _imports(path: Path) -> list[str]:
    """Return the absolute names every import statement in a file names (anywhere in it)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def module_name(path: Path, root: Path) -> str:
    """``<root>/ui/chat/tab.py`` → ``playground.ui.chat.tab`` (a package is its ``__init__``)."""
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path) -> Graph:
    """Build the project import graph of the package at ``root``.

    Args:
        root: A package directory (``playground``); its name is the top-level module name.

    Returns:
        Every module name mapped to the project modules it imports (itself excluded).
    """
    files = {module_name(path, root): path for path in sorted(root.rglob("*.py"))}

    def resolve(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: Graph = {}
    for module, path in files.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        targets: set[str | None] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets.update(resolve(alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative (ruff bans them; resolved anyway)
                    anchor = package
                    for _ in range(node.level - 1):
                        anchor = anchor.rpartition(".")[0]
                    base = f"{anchor}.{base}" if base else anchor
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if sub in files else resolve(base))
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative): the strongly connected components, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(graph.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop(0)
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One shortest cycle per strongly connected component, as a path that returns to its start.

    Returns:
        E.g. ``[["a", "b", "a"]]``; empty when the graph has no cycle.
    """
    found: list[list[str]] = []
    for component in strongly_connected(graph):
        members = set(component)
        if len(component) == 1 and component[0] not in set(graph.get(component[0], ())):
            continue
        start = component[0]
        # Breadth-first search inside the component for the shortest way back to `start`.
        previous: dict[str, str] = {}
        frontier = [start]
        seen = {start}
        end: str | None = None
        while frontier and end is None:
            following: list[str] = []
            for node in frontier:
                for nxt in sorted(graph.get(node, ())):
                    if nxt == start:
                        end = node
                        break
                    if nxt in members and nxt not in seen:
                        seen.add(nxt)
                        previous[nxt] = node
                        following.append(nxt)
                if end is not None:
                    break
            frontier = following
        assert end is not None
        path = [end]
        while path[-1] != start:
            path.append(previous[path[-1]])
        found.append([start, *reversed(path[:-1]), start] if len(path) > 1 else [start, start])
    return found


def without(graph: Graph, edges: Iterable[Edge]) -> Graph:
    """Return a copy of ``graph`` without some edges."""
    dropped = set(edges)
    return {m: {t for t in targets if (m, t) not in dropped} for m, targets in graph.items()}


def edges_on_cycles(graph: Graph) -> set[Edge]:
    """Every edge whose two ends are in the same strongly connected component."""
    component_of = {m: i for i, comp in enumerate(strongly_connected(graph)) for m in comp}
    return {
        (m, t)
        for m, targets in graph.items()
        for t in targets
        if component_of[m] == component_of[t]
    }


# ------------------------------------------------------------------------------------------------
# What the rules call views, controllers, registrations and tabs
# ------------------------------------------------------------------------------------------------


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _leaf(module: str) -> str:
    return module.rpartition(".")[2]


def is_controller(module: str) -> bool:
    """``controller.py`` and every ``*controller*.py`` (``ui/shell/app_controller.py`` too)."""
    return _in(module, "playground.ui") and "controller" in _leaf(module)


def is_registration(module: str) -> bool:
    """Every ``feature.py`` under ``ui/`` (``ui/common/feature.py``, the contract, included) and
    ``ui/registry.py``."""
    return _in(module, "playground.ui") and (
        _leaf(module) == "feature" or module == "playground.ui.registry"
    )


def is_view(module: str) -> bool:
    """A view or widget module: every module under ``ui/`` that is not a controller, a
    registration or a screenshot sample (``ui/samples/*``)."""
    return (
        _in(module, "playground.ui")
        and not is_controller(module)
        and not is_registration(module)
        and not _in(module, "playground.ui.samples")
    )


def forbidden_for_views(module: str) -> bool:
    """Controllers, registrations and the composition root ``playground.app``."""
    return is_controller(module) or is_registration(module) or module == "playground.app"


NOT_TABS = frozenset({"shell", "common", "samples"})


def tab_of(module: str, tabs: Iterable[str]) -> str | None:
    """The tab package (``playground.ui.<tab>``) a module belongs to, if any."""
    return next((tab for tab in tabs if _in(module, tab)), None)


def tab_packages(graph: Graph) -> set[str]:
    """Every package directly under ``playground.ui`` except shell, common and samples."""
    return {
        m
        for m in graph
        if m.count(".") == 2
        and _in(m, "playground.ui")
        and m.rpartition(".")[2] not in NOT_TABS
        and any(other.startswith(m + ".") for other in graph)
    }


def may_import_tabs(module: str) -> bool:
    """The composition: ``ui/registry.py``, ``ui/samples/*`` and ``playground/app.py``."""
    return module in ("playground.ui.registry", "playground.app") or _in(
        module, "playground.ui.samples"
    )


def view_violations(graph: Graph) -> set[Edge]:
    """(view, forbidden module) pairs."""
    return {
        (m, t)
        for m, targets in graph.items()
        if is_view(m)
        for t in targets
        if forbidden_for_views(t)
    }


def tab_violations(graph: Graph) -> set[Edge]:
    """(importer, tab module) pairs where the importer is another tab, or shell/common/any
    module that is not the composition."""
    tabs = tab_packages(graph)
    bad: set[Edge] = set()
    for module, targets in graph.items():
        own = tab_of(module, tabs)
        for target in targets:
            other = tab_of(target, tabs)
            if other is None or other == own or may_import_tabs(module):
                continue
            bad.add((module, target))
    return bad


def _report(edges: Iterable[Edge]) -> str:
    return "\n".join(f"  {m} imports {t}" for m, t in sorted(edges))


@pytest.fixture(scope="module")
def graph() -> Graph:
    return import_graph(PLAYGROUND)


def _sample_package(tmp_path: Path, files: Mapping[str, str]) -> Path:
    """Write a synthetic ``playground`` package (path → source) under ``tmp_path``."""
    root = tmp_path / "playground"
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        folder = path.parent
        while True:
            init = folder / "__init__.py"
            if not init.exists():
                init.write_text("", encoding="utf-8")
            if folder == root:
                break
            folder = folder.parent
        path.write_text(source, encoding="utf-8")
    return root


# ------------------------------------------------------------------------------------------------
# 1. Core has no Qt
# ------------------------------------------------------------------------------------------------


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


# ------------------------------------------------------------------------------------------------
# 2. No import cycles
# ------------------------------------------------------------------------------------------------


def test_no_import_cycles(graph: Graph) -> None:
    found = cycles(without(graph, KNOWN_CYCLE_EDGES))
    assert not found, "import cycles in playground/:\n" + "\n".join(
        "  " + " -> ".join(cycle) for cycle in found
    )


def test_the_cycle_rule_finds_a_cycle(tmp_path: Path) -> None:
    """Top-level, function-level and TYPE_CHECKING imports all count; the path is reported."""
    root = _sample_package(
        tmp_path,
        {
            "ui/a.py": "from playground.ui import b\n",
            "ui/b.py": "def f() -> None:\n    import playground.ui.c\n",
            "ui/c.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from playground.ui.a import A\n"
            ),
            "core/x.py": "import playground.core.x\n",  # a module importing itself is no cycle
        },
    )
    found = cycles(import_graph(root))
    assert found == [["playground.ui.a", "playground.ui.b", "playground.ui.c", "playground.ui.a"]]


def test_edges_on_cycles_tells_live_cycle_edges_from_stale_ones() -> None:
    """What keeps KNOWN_CYCLE_EDGES from going stale: an edge counts only while on a cycle."""
    graph: Graph = {"a": {"b"}, "b": {"a", "c"}, "c": set()}
    assert edges_on_cycles(graph) == {("a", "b"), ("b", "a")}
    assert edges_on_cycles(without(graph, [("b", "a")])) == set()


def test_known_cycle_edges_still_exist(graph: Graph) -> None:
    """The allow-list must only shrink: remove an entry as soon as its import is gone."""
    on_cycles = edges_on_cycles(graph)
    stale = {edge for edge in KNOWN_CYCLE_EDGES if edge not in on_cycles}
    assert not stale, "no longer on an import cycle; remove from KNOWN_CYCLE_EDGES:\n" + _report(
        stale
    )


# ------------------------------------------------------------------------------------------------
# 3. Views and widgets never import controllers, registrations or the composition root
# ------------------------------------------------------------------------------------------------


def test_views_import_no_controller_registration_or_app(graph: Graph) -> None:
    bad = view_violations(graph) - KNOWN_VIEW_IMPORTS
    assert not bad, "views/widgets importing controllers, registrations or playground.app:\n" + (
        _report(bad)
    )


def test_the_view_rule_finds_a_violation(tmp_path: Path) -> None:
    root = _sample_package(
        tmp_path,
        {
            "app.py": "",
            "ui/registry.py": "",
            "ui/chat/tab.py": "import playground.ui.chat.controller\n",
            "ui/chat/controller.py": "from playground.ui.chat import tab\n",  # allowed
            "ui/chat/feature.py": "",
            "ui/common/feature.py": "",
            "ui/common/message_view.py": "from playground.ui.common.feature import Host\n",
            "ui/shell/app_controller.py": "",
            "ui/shell/main_window.py": (
                "def build() -> None:\n    from playground import app\n"
                "    from playground.ui.shell import app_controller\n"
            ),
            "ui/images/gallery.py": "from playground.ui import registry\n",
            "ui/samples/chat.py": "from playground.ui.chat import controller\n",  # allowed
        },
    )
    assert view_violations(import_graph(root)) == {
        ("playground.ui.chat.tab", "playground.ui.chat.controller"),
        ("playground.ui.common.message_view", "playground.ui.common.feature"),
        ("playground.ui.shell.main_window", "playground.app"),
        ("playground.ui.shell.main_window", "playground.ui.shell.app_controller"),
        ("playground.ui.images.gallery", "playground.ui.registry"),
    }


def test_known_view_imports_still_exist(graph: Graph) -> None:
    stale = KNOWN_VIEW_IMPORTS - view_violations(graph)
    assert not stale, "fixed; remove from KNOWN_VIEW_IMPORTS:\n" + _report(stale)


# ------------------------------------------------------------------------------------------------
# 4. Tab packages are independent
# ------------------------------------------------------------------------------------------------


def test_tabs_are_independent(graph: Graph) -> None:
    bad = tab_violations(graph) - KNOWN_TAB_IMPORTS
    assert not bad, (
        "a tab package imported by another tab, ui/shell, ui/common or a module other than "
        "ui/registry.py, ui/samples/* and playground/app.py:\n" + _report(bad)
    )


def test_every_tab_package_is_checked(graph: Graph) -> None:
    """Today's tabs are found, and any new package under ui/ is a tab unless it is shell,
    common or samples."""
    assert {
        "playground.ui.chat",
        "playground.ui.images",
        "playground.ui.audio",
        "playground.ui.embeddings",
        "playground.ui.moderation",
        "playground.ui.compare",
        "playground.ui.lab",
    } <= tab_packages(graph)


def test_the_tab_rule_finds_a_violation(tmp_path: Path) -> None:
    root = _sample_package(
        tmp_path,
        {
            "app.py": "from playground.ui.chat import feature\n",  # allowed
            "services.py": "import playground.ui.chat.link\n",
            "ui/registry.py": "from playground.ui.chat import feature\n",  # allowed
            "ui/chat/link.py": "from playground.ui.chat import tab\n",  # own tab: allowed
            "ui/chat/tab.py": "",
            "ui/chat/feature.py": "",
            "ui/compare/controller.py": "from playground.ui.chat.link import ChatLink\n",
            "ui/platform/tab.py": "import playground.ui.compare\n",  # a new tab is a tab too
            "ui/shell/main_window.py": "from playground.ui.chat.tab import ChatTab\n",
            "ui/common/chat_link.py": "from playground.ui.common import question\n",  # allowed
            "ui/common/question.py": "",
            "ui/samples/compare.py": "from playground.ui.compare import controller\n",  # allowed
        },
    )
    assert tab_violations(import_graph(root)) == {
        ("playground.services", "playground.ui.chat.link"),
        ("playground.ui.compare.controller", "playground.ui.chat.link"),
        ("playground.ui.platform.tab", "playground.ui.compare"),
        ("playground.ui.shell.main_window", "playground.ui.chat.tab"),
    }


def test_known_tab_imports_still_exist(graph: Graph) -> None:
    stale = KNOWN_TAB_IMPORTS - tab_violations(graph)
    assert not stale, "fixed; remove from KNOWN_TAB_IMPORTS:\n" + _report(stale)


# ------------------------------------------------------------------------------------------------
# 5. One module imports qasync
# ------------------------------------------------------------------------------------------------


def qasync_users(root: Path) -> list[str]:
    """The modules of the package at ``root`` that import qasync (or a submodule of it)."""
    return sorted(
        module_name(path, root)
        for path in root.rglob("*.py")
        if any(n == "qasync" or n.startswith("qasync.") for n in _imports(path))
    )


def test_only_bridge_imports_qasync() -> None:
    assert qasync_users(PLAYGROUND) == ["playground.ui.shell.bridge"]


def test_the_qasync_rule_finds_a_violation(tmp_path: Path) -> None:
    root = _sample_package(
        tmp_path,
        {
            "ui/shell/bridge.py": "import qasync\n",
            "ui/chat/controller.py": "def f() -> None:\n    from qasync import asyncSlot\n",
        },
    )
    assert qasync_users(root) == ["playground.ui.chat.controller", "playground.ui.shell.bridge"]
