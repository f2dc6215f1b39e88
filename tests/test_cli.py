"""The command line: `--self-test` and `--screenshot` run as a user (or CI) would run them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageStat

TABS = ("chat", "images", "audio", "embeddings", "moderation", "compare", "lab", "platform")


def _run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PLAYGROUND_HOME": str(home)}
    env.pop("OPENAI_API_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "playground", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_self_test_reports_every_check(tmp_path: Path) -> None:
    result = _run("--self-test", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    for check in ("encodings", "price data", "keyring", "data folder", "qt plugins", "window"):
        assert f"PASS  {check}" in result.stdout
    assert "o200k_base ok" in result.stdout
    assert str(tmp_path) in result.stdout  # PLAYGROUND_HOME is honoured


def test_self_test_fails_on_a_read_only_data_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x", encoding="utf-8")
    result = _run("--self-test", home=blocker)  # a file where the data folder should be
    assert result.returncode == 1
    assert "FAIL  data folder" in result.stdout


def test_screenshots_of_every_tab_in_both_palettes(tmp_path: Path) -> None:
    out = tmp_path / "shots"
    result = _run("--screenshot", str(out), home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    for tab in TABS:
        for theme in ("light", "dark"):
            path = out / f"{tab}-{theme}.png"
            assert path.exists(), path.name
            with Image.open(path) as image:
                assert image.width >= 720
                assert image.height >= 520
                assert sum(1 for n in image.convert("L").histogram() if n) > 8, (
                    f"{path.name} looks empty"
                )
    with Image.open(out / "chat-light.png") as light, Image.open(out / "chat-dark.png") as dark:
        assert _mean(light) > _mean(dark) + 60  # the palettes really differ
    assert not (tmp_path / "home").exists()  # screenshots never touch the user's folders


def _mean(image: Image.Image) -> float:
    return float(ImageStat.Stat(image.convert("L")).mean[0])
