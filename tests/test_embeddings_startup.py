"""The Embeddings tab's heavy packages (numpy, pyqtgraph) load when the tab is built, not at start-up;
building the tabs never loads their screenshot samples."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.test_startup import SCRIPT

PACKAGES = ("numpy", "pyqtgraph")


def _loaded(script: str) -> list[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("HEAVY"))
    return [name for name in line[6:].split(",") if name]


def test_numpy_and_pyqtgraph_wait_for_the_tab() -> None:
    check = f"heavy = [m for m in {PACKAGES!r} if m in sys.modules]"
    script = SCRIPT.replace(
        'heavy = [m for m in ("openai", "genai_prices", "tiktoken", "PIL", "pygments") if m in sys.modules]',
        check,
    )
    assert check in script, "tests/test_startup.py changed its probe; update this test"
    assert _loaded(script) == []
    # Showing the tab builds it without them; they load right after its first paint.
    shown = script.replace(check, 'window.show_tab("embeddings")\n' + check)
    assert _loaded(shown) == []
    painted = script.replace(check, 'window.show_tab("embeddings")\napp.processEvents()\n' + check)
    assert _loaded(painted) == list(PACKAGES)


def test_building_the_tabs_never_imports_their_screenshot_samples() -> None:
    """The sample data lives in `playground.ui.samples`, which only `--screenshot` imports."""
    keys = ("images", "audio", "embeddings")
    samples = tuple(f"playground.ui.samples.{key}" for key in keys)
    check = f"heavy = [m for m in {samples!r} if m in sys.modules]"
    build = "".join(f'window.show_tab("{key}")\napp.processEvents()\n' for key in keys)
    built = f"assert all(k in controller.features.controllers for k in {keys!r})\n"
    script = SCRIPT.replace(
        'heavy = [m for m in ("openai", "genai_prices", "tiktoken", "PIL", "pygments") if m in sys.modules]',
        build + built + check,
    )
    assert check in script, "tests/test_startup.py changed its probe; update this test"
    assert _loaded(script) == []
