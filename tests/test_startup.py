"""Start-up stays light: the heavy packages load after the window is up, not before."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

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
