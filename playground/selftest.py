"""`playground --self-test`: a short report on everything the app needs offline, exit code 0 or 1.

Checks: the token encodings load from the shipped data and count a known string, the price data loads
and prices a known request, which keyring backend is in use, the data folder is writable, and the
main window builds offscreen. Used by CI on the source tree and on the frozen app.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from playground import APP_NAME, __version__
from playground.core.storage.paths import AppPaths

Check = Callable[[], str]


def check_encodings() -> str:
    from playground.core.money.tokens import TiktokenCounter

    counter = TiktokenCounter()
    parts = []
    for model, encoding in (("gpt-4o", "o200k_base"), ("gpt-4", "cl100k_base")):
        n = counter.count("hello world", model)
        if n != 2:
            raise RuntimeError(f"{encoding} counted {n} tokens for 'hello world', expected 2")
        parts.append(f"{encoding} ok")
    return ", ".join(parts) + " ('hello world' = 2 tokens)"


def check_prices() -> str:
    from playground.core.models import Usage
    from playground.core.money.pricing import Pricer

    pricer = Pricer()
    cost = pricer.cost("gpt-4o-mini", Usage(input_tokens=1000, output_tokens=500), "openai")
    if cost is None or cost <= Decimal(0):
        raise RuntimeError(f"gpt-4o-mini priced as {cost!r}")
    return f"{pricer.data_info()}; gpt-4o-mini 1000 in + 500 out = ${cost}"


def check_keyring() -> str:
    from playground.core.api.secrets import open_secret_store

    store = open_secret_store()
    mode = "persistent" if store.persistent else "session only"
    return f"{store.backend_name} ({mode})"


def check_data_dir(paths: AppPaths) -> Check:
    def _check() -> str:
        paths.ensure()
        probe = paths.data_dir / f".self-test-{os.getpid()}"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
        return str(paths.data_dir)

    return _check


def check_window() -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from playground.core.api.secrets import MemorySecretStore
    from playground.core.storage.settings import MemorySettingsStore
    from playground.services import build_services
    from playground.ui.shell.bridge import TaskRunner, close_loop, install_loop
    from playground.window import build_window

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    loop = install_loop(app)
    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(
            AppPaths.under(Path(tmp)),
            secrets=MemorySecretStore(),
            environ={},
            settings_store=MemorySettingsStore(),
        )
        runner = TaskRunner()
        window, _controller = build_window(services, runner)
        window.show()
        app.processEvents()
        tabs = window.tab_widget.count()
        platform = app.platformName()
        window.close()
        services.close()
    close_loop(loop)
    return f"{tabs} tabs on the '{platform}' platform"


def check_qt_plugins() -> str:
    """The Qt plugins a desktop start needs: a native platform, offscreen, and the SVG image format."""
    from PySide6.QtCore import QLibraryInfo

    root = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))

    def names(folder: str) -> list[str]:
        found = root / folder
        if not found.is_dir():
            return []
        stems = (
            p.name.split(".")[0].removeprefix("lib").removeprefix("q") for p in found.iterdir()
        )
        return sorted(set(stems))

    platforms, images = names("platforms"), names("imageformats")
    native = {"linux": "xcb", "win32": "windows", "darwin": "cocoa"}.get(sys.platform, "offscreen")
    missing = [p for p in ("offscreen", native) if p not in platforms]
    missing += ["svg image format"] if "svg" not in images else []
    if missing:
        raise RuntimeError(f"missing Qt plugins: {', '.join(missing)} (found in {root})")
    return f"platforms {', '.join(platforms)}; image formats {', '.join(images)}"


def check_multimedia() -> str:
    """QtMultimedia and its FFmpeg backend (the Audio tab plays and records through them)."""
    from PySide6.QtCore import QLibraryInfo
    from PySide6.QtMultimedia import QMediaFormat

    root = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "multimedia"
    backends = sorted(p.name.split(".")[0].removeprefix("lib") for p in root.glob("*"))
    if not backends:
        raise RuntimeError(f"no multimedia backend in {root}")
    decoders = QMediaFormat().supportedAudioCodecs(QMediaFormat.ConversionMode.Decode)
    return f"backends {', '.join(backends)}; {len(decoders)} audio decoders"


def check_plots() -> str:
    """numpy and pyqtgraph (Embeddings and Moderation plots) load and compute."""
    import numpy as np
    import pyqtgraph

    vectors = np.array([[1.0, 0.0], [0.6, 0.8]])
    cosine = float(vectors[0] @ vectors[1])
    if abs(cosine - 0.6) > 1e-9:
        raise RuntimeError(f"numpy computed {cosine}, expected 0.6")
    return f"numpy {np.__version__}, pyqtgraph {pyqtgraph.__version__}"


def run_self_test() -> int:
    paths = AppPaths.resolve()
    checks: list[tuple[str, Check]] = [
        ("encodings", check_encodings),
        ("price data", check_prices),
        ("keyring", check_keyring),
        ("data folder", check_data_dir(paths)),
        ("qt plugins", check_qt_plugins),
        ("window", check_window),
        ("multimedia", check_multimedia),
        ("plots", check_plots),
    ]
    print(f"{APP_NAME} {__version__} self-test")
    failures = 0
    for name, check in checks:
        started = time.perf_counter()
        try:
            detail = check()
            status = "PASS"
        except Exception as exc:
            detail = f"{type(exc).__name__}: {exc}"
            status = "FAIL"
            failures += 1
        ms = (time.perf_counter() - started) * 1000
        print(f"  {status}  {name:<12} {detail}  [{ms:.0f} ms]")
    print("self-test:", "OK" if failures == 0 else f"{failures} check(s) failed")
    return 0 if failures == 0 else 1
