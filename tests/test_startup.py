"""Start-up stays light: the heavy packages load after the window is up, not before."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import sys, tempfile
    from pathlib import Path
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from playground.window import build_window
    from playground.services import build_services
    from playground.core.storage.paths import AppPaths
    from playground.core.api.secrets import MemorySecretStore
    from playground.core.storage.settings import ChatSettings, MemorySettingsStore, Settings
    from playground.ui.shell.bridge import TaskRunner, close_loop, install_loop
    loop = install_loop(app)
    store = MemorySettingsStore(Settings(chat=ChatSettings(model="gpt-4o-mini")))
    services = build_services(
        AppPaths.under(Path(tempfile.mkdtemp())), secrets=MemorySecretStore(), environ={}, settings_store=store
    )
    window, controller = build_window(services, TaskRunner())
    controller.restore()
    window.show()
    # Checked before the event loop runs: what is loaded now was loaded on the GUI thread, before the
    # first paint. (Once the loop runs, worker threads load prices and encodings in the background.)
    heavy = [m for m in ("openai", "genai_prices", "tiktoken", "PIL", "pygments") if m in sys.modules]
    print("HEAVY", ",".join(heavy))
    services.close()
    close_loop(loop)
    """
)


def test_window_shows_before_the_heavy_packages_load() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("HEAVY"))
    assert line == "HEAVY ", f"loaded on the start-up path: {line[6:]}"


HOOK_SCRIPT = textwrap.dedent(
    """
    import linecache, sys
    import PySide6.QtCore
    from playground.ui.shell.import_hook import keep_sources_out_of_memory
    if sys.argv[2] == "fixed":
        assert keep_sources_out_of_memory()
        assert keep_sources_out_of_memory()  # twice is harmless
    sys.path.insert(0, sys.argv[1])
    import uses_qt, plain
    feature = sys.modules["shibokensupport.feature"]
    print("CACHED", sorted(n for n in ("uses_qt", "plain") if sys.modules[n].__file__ in linecache.cache))
    print("USES", feature.pyside_feature_dict.get("uses_qt"), feature.pyside_feature_dict.get("plain"))
    """
)


def _imports_two_modules(tmp_path: Path, mode: str) -> tuple[str, str]:
    (tmp_path / "uses_qt.py").write_text("from PySide6 import QtCore\nX = 1\n", encoding="utf-8")
    (tmp_path / "plain.py").write_text("import json\nY = [2] * 3\n", encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", HOOK_SCRIPT, str(tmp_path), mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    return lines["CACHED"], lines["USES"]


def test_pyside_keeps_no_module_source_in_memory(tmp_path: Path) -> None:
    """PySide6's import hook reads each new module's source; with the app's check nothing of it
    stays in `linecache`, and the hook gets the same answers (0: uses PySide6, -1: ignore)."""
    cached, uses = _imports_two_modules(tmp_path, "fixed")
    assert cached == "[]"
    assert uses == "0 -1"


def test_pyside_alone_keeps_every_module_source(tmp_path: Path) -> None:
    """The cost the check above removes (if this fails, PySide6 stopped caching the sources and
    `ui/shell/import_hook.py` can go)."""
    cached, uses = _imports_two_modules(tmp_path, "pyside")
    assert cached == "['plain', 'uses_qt']"
    assert uses == "0 -1"


LATER_TABS = ("images", "audio", "embeddings", "moderation", "compare", "lab", "platform", "usage")


def test_a_tab_is_built_whole_when_first_shown_and_not_before() -> None:
    """At start only Chat's modules load; each other tab's view and controller modules load, and
    its page is built, when it is first shown (and not when another tab is)."""
    check = 'heavy = [m for m in ("openai", "genai_prices", "tiktoken", "PIL", "pygments") if m in sys.modules]'
    probe = textwrap.dedent(
        f"""
        from playground.ui.registry import LazyTab
        def loaded(key):
            return [m for m in (f"playground.ui.{{key}}.tab", f"playground.ui.{{key}}.controller") if m in sys.modules]
        assert loaded("chat") == ["playground.ui.chat.tab", "playground.ui.chat.controller"]
        for key in {LATER_TABS!r}:
            assert loaded(key) == [], key
            assert window.tab(key).view is None and key not in controller.features.controllers, key
        for i, key in enumerate({LATER_TABS!r}):
            window.show_tab(key)
            app.processEvents()
            page = window.tab(key)
            assert isinstance(page, LazyTab) and page.view is not None and page.view.isVisible(), key
            assert controller.features.controllers[key].view is page.view, key
            assert len(loaded(key)) == 2, key
            for later in {LATER_TABS!r}[i + 1 :]:
                assert loaded(later) == [], (key, later)
        print("TABS OK")
        """
    )
    assert check in SCRIPT, "the probe above changed; update this test"
    script = SCRIPT.replace(check, probe + check)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "TABS OK" in result.stdout
