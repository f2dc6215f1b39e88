"""The frozen app (PyInstaller build in dist/), checked the way a user's machine would run it.

Runs only when PLAYGROUND_FROZEN_APP names the built executable (`bash scripts/dev.sh frozen-test`
after `bash scripts/dev.sh dist`; CI does both). With PLAYGROUND_REQUIRE_FROZEN=1 a missing build
fails instead of skipping.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from playground.ui.registry import FEATURE_TABLE

pytestmark = pytest.mark.frozen

APP = os.environ.get("PLAYGROUND_FROZEN_APP", "")


@pytest.fixture(scope="module")
def frozen_app() -> Path:
    path = Path(APP) if APP else None
    if path is None or not path.exists():
        if os.environ.get("PLAYGROUND_REQUIRE_FROZEN") == "1":
            pytest.fail(f"no frozen app at {APP!r}: build it with `bash scripts/dev.sh dist`")
        pytest.skip("no frozen app built (set PLAYGROUND_FROZEN_APP)")
    return path


def _run(
    app: Path, *args: str, home: Path, keyring: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PLAYGROUND_HOME": str(home)}
    env.pop("OPENAI_API_KEY", None)
    if not keyring:  # no D-Bus session: no Secret Service, as on a bare headless machine
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return subprocess.run([str(app), *args], env=env, capture_output=True, text=True, timeout=180)


def test_frozen_self_test_report(frozen_app: Path, tmp_path: Path) -> None:
    result = _run(frozen_app, "--self-test", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    report = result.stdout
    assert "PASS  encodings    o200k_base ok, cl100k_base ok" in report
    assert "PASS  price data   genai-prices" in report
    assert "$0.00045" in report  # gpt-4o-mini, 1000 in + 500 out: the bundled price data is there
    assert "PASS  qt plugins" in report
    for plugin in ("offscreen", "xcb", "wayland", "svg"):
        assert plugin in report
    assert "PASS  multimedia   backends ffmpegmediaplugin" in report
    assert "PASS  plots        numpy" in report
    assert f"PASS  window       {len(FEATURE_TABLE)} tabs" in report
    if os.environ.get("PLAYGROUND_REQUIRE_KEYRING") == "1":
        assert "PASS  keyring      Secret Service (persistent)" in report
    else:
        assert "PASS  keyring" in report


def test_frozen_app_without_a_keyring_keeps_keys_for_the_session(
    frozen_app: Path, tmp_path: Path
) -> None:
    result = _run(frozen_app, "--self-test", home=tmp_path, keyring=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS  keyring      Session only (session only)" in result.stdout


def test_frozen_app_reports_an_unusable_data_folder(frozen_app: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    result = _run(frozen_app, "--self-test", home=blocker)
    assert result.returncode == 1
    assert "FAIL  data folder" in result.stdout
    assert "Traceback" not in result.stderr


def test_frozen_screenshots(frozen_app: Path, tmp_path: Path) -> None:
    out = tmp_path / "shots"
    result = _run(frozen_app, "--screenshot", str(out), home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    for tab in (key for key, *_ in FEATURE_TABLE):
        for theme in ("light", "dark"):
            with Image.open(out / f"{tab}-{theme}.png") as image:
                assert image.width >= 720
                assert sum(1 for n in image.convert("L").histogram() if n) > 8
