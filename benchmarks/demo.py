"""``sunlit bench demo``: generating the demo data set, in a child process on a throw-away database.

Each run is ``sunlit demo --no-serve`` with SUNLIT_DATA_DIR set to a new temporary directory (and
DATABASE_URL removed), so the user's data is never touched. ``database_url`` points the runs at
another empty database instead (e.g. a PostgreSQL database made for benchmarking).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

from benchmarks import BenchmarkError, Out, Timer, Timing

DEFAULT_REPEAT = 3


def run(
    *,
    repeat: int,
    out: Out,
    scale: str = "county",
    seed: int | None = None,
    database_url: str = "",
    **options: object,
) -> list[Timing]:
    timer = Timer()
    out(f"demo at {scale} scale, {repeat} runs, each in a new process on an empty database")
    for run_number in range(repeat):
        with tempfile.TemporaryDirectory(prefix="sunlit-bench-") as tmp:
            env = os.environ.copy()
            env.pop("DATABASE_URL", None)
            if database_url:
                env["DATABASE_URL"] = database_url
            env["SUNLIT_DATA_DIR"] = tmp
            env["DJANGO_SETTINGS_MODULE"] = settings.SETTINGS_MODULE
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(settings.BASE_DIR), env.get("PYTHONPATH", "")) if p
            )
            report_path = Path(tmp) / "report.json"
            argv = [sys.executable, "-m", "config.cli", "demo", "--no-serve", "--scale", scale]
            argv += ["--report-json", str(report_path)]
            if seed is not None:
                argv += ["--seed", str(seed)]
            started = time.perf_counter()
            done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
            wall = time.perf_counter() - started
            if done.returncode != 0:
                raise BenchmarkError(f"sunlit demo failed (status {done.returncode}):\n{done.stderr[-2000:]}")
            report = json.loads(report_path.read_text())
            if report["already_loaded"]:
                raise BenchmarkError("the database already holds the demo; give an empty database")
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux: KiB
            for step in report["steps"]:
                note = step["detail"]
                if step["step"] == "townships+villages" and step["seconds"]:
                    rows = report["townships"] + report["villages"]
                    note += f" ({rows / step['seconds']:,.0f} rows/s)"
                elif step["step"] == "accounts":
                    note += " (mostly password hashing)"
                timer.add(step["step"], step["seconds"], note)
            timer.add(
                "generation (all steps)", report["seconds"], f"peak memory of the process ≤ {peak_mb:.0f} MB"
            )
            timer.add("wall, incl. start-up and migrate", wall)
        out(f"  run {run_number + 1}/{repeat}: {report['seconds']:.2f} s generation, {wall:.2f} s wall")
    return timer.results()
