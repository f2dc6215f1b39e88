"""`python -m bench`: run every benchmark, print one table, write one JSON file.

    python -m bench                     # every benchmark with its default runs (under 10 minutes)
    python -m bench --quick             # fewer runs, for a quick look (about 3 minutes)
    python -m bench --only startup,typing --json /tmp/bench.json

Each benchmark runs in its own process (`python -m bench.<module> --runs N --json PATH`), so one
cannot warm caches or fill memory for the next. Every figure is the app against a baseline measured
in the same run (see bench/README.md); the table shows median (min–max) over the runs, the ratio,
the target and PASS/MISS. A benchmark that fails is reported and the others still run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import json_ready, machine, table_rows  # noqa: E402


@dataclass(frozen=True)
class Bench:
    name: str
    module: str
    runs: int
    quick_runs: int
    what: str


BENCHES = (
    Bench("startup", "bench.startup", 7, 3, "start to first frame, ready to use, idle memory"),
    Bench("streaming", "bench.chat_stream", 3, 1, "20,000 tokens at 2,000 tok/s into Chat"),
    Bench("responses", "bench.responses_stream", 3, 1, "the same through the Responses API"),
    Bench("background", "bench.background_stream", 3, 1, "the same as a background response"),
    Bench("typing", "bench.keystroke", 5, 2, "keystrokes in a 100,000-token draft"),
    Bench("history", "bench.history", 5, 2, "1,000-turn conversation, search, memory"),
    Bench("overhead", "bench.overhead", 3, 1, "time to first token: app vs raw SDK"),
    Bench("plots", "bench.plots", 5, 2, "embeddings heatmap and scatter"),
    Bench("compare", "bench.compare_stream", 3, 1, "8 answers streaming into Compare"),
    Bench("platform", "bench.platform_lists", 3, 1, "10,000 files paged into Platform's list"),
    Bench("usage", "bench.usage_page", 5, 2, "Usage page over 100,000 rows; typing with budgets"),
    Bench(
        "realtime-speech",
        "bench.realtime_speech",
        3,
        1,
        "time to first audio byte: realtime speech, app vs raw SDK",
    ),
)
DEFAULT_JSON = ROOT / "bench" / "latest.json"


def run_one(bench: Bench, runs: int, out_dir: Path) -> dict[str, Any]:
    """Runs one benchmark in its own process; returns its JSON (or an error record)."""
    spec = importlib.util.find_spec(bench.module)
    if spec is None:
        return {
            "name": bench.name,
            "error": f"{bench.module} is not there (skipped)",
            "figures": [],
        }
    out = out_dir / f"{bench.name}.json"
    log = out_dir / f"{bench.name}.log"
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    command = [sys.executable, "-m", bench.module, "--runs", str(runs), "--json", str(out)]
    begun = time.perf_counter()
    with open(log, "w", encoding="utf-8") as f:
        code = subprocess.call(command, cwd=ROOT, env=env, stdout=f, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - begun
    record: dict[str, Any] = {"name": bench.name, "elapsed_s": round(elapsed, 1), "exit_code": code}
    if out.exists():
        data = json.loads(out.read_text(encoding="utf-8"))
        record["figures"] = data.get("figures", [])
        record["details"] = data
    else:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        record["figures"] = []
        record["error"] = f"exit code {code}, no results; last lines:\n" + "\n".join(tail)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run every Playground benchmark.")
    parser.add_argument("--quick", action="store_true", help="fewer runs (a rough look)")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated names (or their beginnings): " + ", ".join(b.name for b in BENCHES),
    )
    parser.add_argument(
        "--json", type=Path, default=DEFAULT_JSON, help=f"default {DEFAULT_JSON.relative_to(ROOT)}"
    )
    args = parser.parse_args(argv)
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    # A name or the start of one: "--only realtime" picks "realtime-speech".
    chosen = [b for b in BENCHES if not wanted or any(b.name.startswith(w) for w in wanted)]
    if wanted and not chosen:
        parser.error(f"no benchmark named {args.only!r}; choose from the list in --help")
    info = machine()
    print(
        f"{info['date'][:16].replace('T', ' ')} UTC · {info['cpus']} CPUs ({info['cpu']}) · {info['system']} · Python "
        f"{info['python']} · PySide6 {info['pyside6']} · {info['qpa']}",
        flush=True,
    )
    records = []
    begun = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="playground-bench-") as tmp:
        for bench in chosen:
            runs = bench.quick_runs if args.quick else bench.runs
            print(f"… {bench.name} ({bench.what}), {runs} runs", flush=True)
            record = run_one(bench, runs, Path(tmp))
            records.append(record)
            state = record.get("error", "").splitlines()[0] if record.get("error") else "done"
            print(f"  {state} in {record.get('elapsed_s', 0):.0f} s", flush=True)
            for line in record.get("error", "").splitlines()[1:]:
                print(f"    {line}")
    figures = [f for r in records for f in r["figures"]]
    print()
    print(table_rows(figures))
    total = time.perf_counter() - begun
    missed = [f"{f['bench']}: {f['name']}" for f in figures if f["pass"] is False]
    failed = [r["name"] for r in records if r.get("error")]
    print(
        f"\n{len(figures)} figures, {sum(f['pass'] is True for f in figures)} targets met, "
        f"{len(missed)} missed; {len(failed)} benchmarks failed or skipped; {total / 60:.1f} min"
    )
    payload = {
        "machine": info,
        "elapsed_s": round(total, 1),
        "figures": figures,
        "benchmarks": records,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(json_ready(payload), indent=1), encoding="utf-8")
    print(f"wrote {args.json}")
    return 1 if any(r.get("exit_code", 0) not in (0, None) for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
