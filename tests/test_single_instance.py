"""Starting Playground twice: the second start hands over to the first and exits; kill closes cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PLAYGROUND_HOME": str(home)}
    env.pop("OPENAI_API_KEY", None)
    return env


def _wait_for(predicate: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Polls another process's state; the timeout only bounds a hang."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def first_instance(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    home = tmp_path / "home"
    proc = subprocess.Popen(
        [sys.executable, "-m", "playground", "--no-first-run"],
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    log = home / "data" / "playground.log"
    _wait_for(
        lambda: log.exists() and " ready " in log.read_text(encoding="utf-8"), "the first instance"
    )
    yield proc, home
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=30)


def test_second_start_hands_over_and_exits(
    first_instance: tuple[subprocess.Popen[str], Path],
) -> None:
    proc, home = first_instance
    second = subprocess.run(
        [sys.executable, "-m", "playground", "--no-first-run"],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 0
    assert "already running" in second.stderr
    log = home / "data" / "playground.log"
    _wait_for(
        lambda: "bringing it to the front" in log.read_text(encoding="utf-8"), "the hand-over"
    )
    assert proc.poll() is None  # the first one keeps running


def test_sigterm_closes_cleanly_and_saves_state(
    first_instance: tuple[subprocess.Popen[str], Path],
) -> None:
    proc, home = first_instance
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    settings = (home / "config" / "settings.json").read_text(encoding="utf-8")
    assert '"geometry": "' in settings  # the window state was saved on the way out
    assert not (home / "data" / "playground.lock").exists()
