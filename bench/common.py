"""What every benchmark reports, so `python -m bench` can put them in one table and one JSON file.

A benchmark measures the app and a baseline in the same run, several times, and reports each figure
as a `Figure`: the app's values, the baseline's values (both one per run), and optionally a target.
`python -m bench.<name> --json PATH` writes `{"figures": [Figure.as_dict(), ...], ...}`.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

# A target gets the app's median and the ratio app/baseline (nan without a baseline).
Check = Callable[[float, float], bool]


@dataclass
class Figure:
    """One measured quantity of one benchmark.

    Attributes:
        bench: the benchmark's name ("startup", "typing", ...).
        name: what was measured, with its unit ("warm start to first frame (ms)").
        app: the app's value in each run.
        baseline: the baseline's value in each run (empty when there is none).
        baseline_name: what the baseline is ("bare QMainWindow").
        target: the target as text ("≤ 1.5× bare", "≤ 16 ms"), "" when there is none.
        check: decides PASS/MISS from (app median, ratio).
        fmt: how to print one value.
    """

    bench: str
    name: str
    app: list[float]
    baseline: list[float] = field(default_factory=list)
    baseline_name: str = ""
    target: str = ""
    check: Check | None = None
    fmt: str = "{:.1f}"

    @property
    def app_median(self) -> float:
        return median(self.app)

    @property
    def baseline_median(self) -> float:
        return median(self.baseline)

    @property
    def ratio(self) -> float:
        base = self.baseline_median
        if math.isnan(base) or base == 0:
            return math.nan
        return self.app_median / base

    @property
    def passed(self) -> bool | None:
        if self.check is None:
            return None
        return bool(self.check(self.app_median, self.ratio))

    def as_dict(self) -> dict[str, Any]:
        return {
            "bench": self.bench,
            "name": self.name,
            "app": self.app,
            "app_median": self.app_median,
            "app_min": min(self.app, default=math.nan),
            "app_max": max(self.app, default=math.nan),
            "baseline_name": self.baseline_name,
            "baseline": self.baseline,
            "baseline_median": self.baseline_median,
            "baseline_min": min(self.baseline, default=math.nan),
            "baseline_max": max(self.baseline, default=math.nan),
            "ratio": self.ratio,
            "target": self.target,
            "pass": self.passed,
            "fmt": self.fmt,
        }


def median(values: Sequence[float]) -> float:
    clean = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(clean) if clean else math.nan


def spread(values: Sequence[float], fmt: str) -> str:
    """ "median (min–max)", or "—" when there are no values."""
    clean = [v for v in values if v is not None and not math.isnan(v)]
    if not clean:
        return "—"
    mid = fmt.format(statistics.median(clean))
    if len(clean) == 1:
        return mid
    return f"{mid} ({fmt.format(min(clean))}–{fmt.format(max(clean))})"


def ratio_at_most(limit: float) -> Check:
    return lambda _app, ratio: ratio <= limit


def value_at_most(limit: float) -> Check:
    return lambda app, _ratio: app <= limit


def table_rows(figures: Sequence[dict[str, Any]]) -> str:
    """A plain-text table of figure dicts (`Figure.as_dict()`), one line per figure."""
    header = (
        "bench",
        "figure",
        "app median (min–max)",
        "baseline median (min–max)",
        "ratio",
        "target",
        "result",
    )
    lines: list[tuple[str, ...]] = [header]
    for f in figures:
        fmt = f.get("fmt", "{:.1f}")
        base = ""
        if f["baseline"]:
            base = f"{spread(f['baseline'], fmt)} {f['baseline_name']}".strip()
        ratio = f["ratio"]
        result = {True: "PASS", False: "MISS", None: ""}[f["pass"]]
        lines.append(
            (
                f["bench"],
                f["name"],
                spread(f["app"], fmt),
                base or "—",
                "—" if ratio is None or math.isnan(ratio) else f"{ratio:.2f}×",
                f["target"],
                result,
            )
        )
    return format_table(lines)


def format_table(lines: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns two spaces apart, with a rule under the first line (the header)."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    out = []
    for k, line in enumerate(lines):
        out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def json_ready(value: Any) -> Any:
    """NaN is not JSON: write it as null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    return value


# --------------------------------------------------------------------------------------------------
# Shared by the benchmarks that drive the real window in this process (typing, history, overhead).
# PySide6 and the app are imported inside the functions: `bench.startup` imports this module and
# must not load Qt in its parent process.
# --------------------------------------------------------------------------------------------------

MODEL = "gpt-4o-mini"
FAKE_KEY = "sk-bench-Playground0123456789abcdefXYZ"
WINDOW_SIZE = (1180, 760)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); nan for no values."""
    clean = sorted(v for v in values if not math.isnan(v))
    if not clean:
        return math.nan
    return clean[max(0, math.ceil(q / 100 * len(clean)) - 1)]


def machine(qpa: str | None = None) -> dict[str, Any]:
    """The machine and versions, for the JSON files and the tables' headers.

    Args:
        qpa: the Qt platform the measured processes use (default: this process's
            `QT_QPA_PLATFORM`, "offscreen" if unset).
    """
    import contextlib
    import datetime
    import os
    import platform
    from importlib.metadata import PackageNotFoundError, version
    from pathlib import Path

    def ver(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return ""

    cpu = platform.processor()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "system": f"{platform.system()} {platform.release()}",
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "pyside6": ver("PySide6-Essentials"),
        "qasync": ver("qasync"),
        "openai": ver("openai"),
        "qpa": qpa or os.environ.get("QT_QPA_PLATFORM", "offscreen"),
    }


def write_json(
    path: Any, figures: Sequence[Figure], settings: dict[str, Any], **extra: Any
) -> None:
    """Writes `{"figures": [...], "machine": {...}, "settings": {...}, **extra}` to `path`."""
    import json
    from pathlib import Path

    out = Path(path)
    payload = {
        "figures": [f.as_dict() for f in figures],
        "machine": machine(),
        "settings": settings,
        **extra,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(json_ready(payload), indent=1), encoding="utf-8")
    print(f"wrote {out}")


class Gui:
    """The QApplication (light theme, offscreen unless QT_QPA_PLATFORM says otherwise) and the
    app's qasync loop, shared by every contestant of a benchmark run."""

    def __init__(self) -> None:
        import os
        import sys

        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtWidgets import QApplication

        from playground.ui.shell.bridge import install_loop
        from playground.ui.shell.theme import apply_theme

        app = QApplication.instance() or QApplication([sys.argv[0]])
        assert isinstance(app, QApplication)
        app.setApplicationName("Playground")
        self.qapp = app
        apply_theme(app, "light")
        self.loop = install_loop(app)

    def settle(self, seconds: float) -> None:
        """Runs the loop for `seconds` (between measurements, never inside one)."""
        import asyncio

        self.loop.run_until_complete(asyncio.sleep(seconds))

    def run_until(self, done: Callable[[], bool], timeout_s: float) -> bool:
        """Runs the loop until `done()` (checked every 2 ms); False on timeout."""
        import asyncio

        async def wait() -> bool:
            deadline = time.monotonic() + timeout_s
            while not done():
                if time.monotonic() > deadline:
                    return False
                await asyncio.sleep(0.002)
            return True

        return self.loop.run_until_complete(wait())

    def delete_later(self) -> None:
        from PySide6.QtCore import QCoreApplication, QEvent

        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    def close(self) -> None:
        import gc

        from playground.ui.shell.bridge import close_loop

        self.delete_later()
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        close_loop(self.loop)
        gc.collect()


class PaintWatch:
    """Notes when a widget has finished painting: an event filter sees its `QEvent.Paint` and
    queues a zero-delay timer, which fires once the whole frame (every widget painted in it and the
    flush) is done. `arm()` starts watching for the next paint; `done` is its perf_counter time,
    or None until then."""

    def __init__(self, widget: Any) -> None:
        from PySide6.QtCore import QEvent, QObject, QTimer

        watch = self

        class Filter(QObject):
            def eventFilter(self, _obj: Any, event: Any) -> bool:
                if (
                    watch.armed
                    and event.type() == QEvent.Type.Paint
                    and (watch.when is None or watch.when())
                ):
                    watch.armed = False
                    watch.painted_at = time.perf_counter()
                    QTimer.singleShot(0, watch._frame_done)
                return False

        self.armed = False
        self.when: Callable[[], bool] | None = None
        self.painted_at: float | None = None  # when the Paint event arrived
        self.done: float | None = None  # when the frame it was part of had been painted
        self.callbacks: list[Callable[[float], None]] = []
        self.widget = widget
        self._filter = Filter()
        widget.installEventFilter(self._filter)

    def arm(self, when: Callable[[], bool] | None = None) -> None:
        """Watch for the next paint (made while `when()` is true, if given)."""
        self.when = when
        self.armed = True
        self.painted_at = None
        self.done = None

    def _frame_done(self) -> None:
        self.done = time.perf_counter()
        for callback in self.callbacks:
            callback(self.done)

    def close(self) -> None:
        self.armed = False
        self.widget.removeEventFilter(self._filter)


@dataclass
class AppUnderTest:
    """The real main window, built as `tests/conftest.py` `make_app` and bench/chat_stream.py
    build it: a throw-away home, a fake key in memory, one provider whose base URL is the fake
    server's, 1180 x 760, shown, `restore()` and `start()` (the model refresh) done."""

    services: Any
    runner: Any
    window: Any
    controller: Any

    @property
    def chat(self) -> Any:
        return self.controller.chat

    @classmethod
    def build(
        cls,
        gui: Gui,
        base_url: str,
        home: Any,
        *,
        history: Any = None,
        model: str = MODEL,
        api: str = "chat.completions",
    ) -> AppUnderTest:
        """`history`: a `HistoryStore` to use instead of the home's (the services' own is closed).
        `api`: what Chat sends through ("chat.completions", as the baselines, or "responses"; the
        app's own default for OpenAI is Responses)."""
        from playground.core.api.secrets import MemorySecretStore
        from playground.core.models import ProviderProfile
        from playground.core.storage.paths import AppPaths
        from playground.core.storage.settings import ChatSettings, JsonSettingsStore, Settings
        from playground.services import build_services
        from playground.ui.shell.bridge import TaskRunner
        from playground.window import build_window

        paths = AppPaths.under(home)
        store = JsonSettingsStore(paths.settings_file)
        profile = ProviderProfile(id="openai", name="OpenAI", base_url=base_url, max_retries=0)
        store.save(
            Settings(profiles=(profile,), chat=ChatSettings(model=model), first_run_done=True)
        )
        secrets = MemorySecretStore()
        secrets.set("openai", FAKE_KEY)
        services = build_services(paths, secrets=secrets, environ={}, settings_store=store)
        if history is not None:
            services.history.close()
            services.history = history
        services.counter.warm()  # as by the first count of a draft (not timed)
        runner = TaskRunner()
        window, controller = build_window(services, runner)
        controller.restore()
        window.resize(*WINDOW_SIZE)
        window.show()
        controller.start(allow_first_run=False)
        controller.chat.view.set_api(api)
        gui.settle(0.3)
        gui.run_until(lambda: not runner.is_busy("models"), 30)
        return cls(services, runner, window, controller)

    def close(self, gui: Gui) -> None:
        self.window.close()
        gui.loop.run_until_complete(self.runner.shutdown())
        gui.loop.run_until_complete(self.services.session.aclose())
        self.services.close()
        self.window.deleteLater()
        self.runner.deleteLater()
        gui.delete_later()


# --------------------------------------------------------------------------------------------------
# A fake server in a child process
# --------------------------------------------------------------------------------------------------


def serve_until_stdin_closes(fake: Any, **hello: Any) -> int:
    """The child's side of `ChildServer`: runs `fake` (a stopped `FakeOpenAI`), prints its URL and
    `hello` as one JSON line, serves until stdin closes, then prints the server's errors."""
    import json
    import sys

    with fake:
        print(json.dumps({"base_url": fake.base_url, **hello}), flush=True)
        sys.stdin.read()
        errors = list(fake.server_errors)
    print(json.dumps({"server_errors": errors}), flush=True)
    return 0


class ChildServer:
    """A fake OpenAI server in a child process (`python -m MODULE --serve ARGS...`), as a remote
    server would be: in a thread of the benchmark it would compete with the GUI thread for the
    GIL. The child runs `serve_until_stdin_closes`; `hello` is its first line, `base_url` its
    address, and `close()` fills `server_errors`."""

    def __init__(self, module: str, *args: str) -> None:
        import json
        import subprocess
        import sys
        from pathlib import Path

        self.server_errors: list[str] = []
        self._proc = subprocess.Popen(
            [sys.executable, "-m", module, "--serve", *args],
            cwd=Path(__file__).resolve().parents[1],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            self._proc.wait(timeout=10)
            raise RuntimeError(f"the fake server did not start (exit {self._proc.returncode})")
        self.hello: dict[str, Any] = json.loads(line)
        self.base_url: str = self.hello["base_url"]

    def close(self) -> None:
        import contextlib
        import json
        import subprocess

        try:
            out, _ = self._proc.communicate(input="", timeout=15)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            out, _ = self._proc.communicate()
        for line in out.splitlines():
            with contextlib.suppress(ValueError):
                self.server_errors.extend(json.loads(line).get("server_errors", []))
