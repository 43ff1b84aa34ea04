"""``sunlit bench cases``: completing case steps, the write behind every official action.

Each completion is ``sunlit.cases.services.step_complete`` with everything it does in production:
the role check, the requirements, the routing, the conditional updates, entering the next step and
the ledger append (hash chain, Merkle frontier), all in one transaction.

The benchmark never touches the developer's data. On SQLite it works in a new temporary
``SUNLIT_DATA_DIR``; on PostgreSQL (``DATABASE_URL`` or ``--database-url`` pointing at a server) it
creates a database ``sunlit_bench_cases_<pid>`` on that server and drops it at the end. Every phase
runs in a child process against that database:

* setup: migrate, a throw-away region tree (province 99, which no real division uses), a one-item
  catalog whose flow is a chain of task and approval steps that need no documents, published and
  adopted, and one village committee member per village;
* latency: one process completes ``--completions`` steps one after another (the cases are started
  first, untimed) and reports p50/p95 per completion;
* throughput: two worker processes (one core each on a two-core machine) each start their own cases
  (untimed), wait for a common start instant, then complete their share of the steps as fast as they
  can, stopping at ``TIME_LIMIT`` seconds at the latest; completions per second is the total over the
  wall time from the start instant to the last worker's end. Both workers append to the same ledger,
  so they contend for its lock exactly as two web workers would.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from benchmarks import BenchmarkError, Out, Timing

DEFAULT_REPEAT = 3
STEPS_PER_CASE = 10  # steps of the benchmark flow before its end
LATENCY_COMPLETIONS = 500
THROUGHPUT_COMPLETIONS = 1000
WORKERS = 2
TIME_LIMIT = 120.0  # seconds a throughput run may take at most
VILLAGES = 4
GOAL_P95_MS = 30.0
GOAL_PER_SECOND = 200.0


# --- the parent: a throw-away database, child processes ---------------------------------------------


def run(*, repeat: int, out: Out, database_url: str = "", **options: object) -> list[Timing]:
    base = database_url or os.environ.get("DATABASE_URL", "")
    completions = LATENCY_COMPLETIONS
    with _throwaway(base) as env:
        kind = "PostgreSQL" if env.get("DATABASE_URL") else "SQLite"
        out(f"cases on {kind} (throw-away database), {repeat} runs, ledger on")
        started = time.perf_counter()
        _child(env, "setup", {})
        out(f"  setup (migrate, regions, catalog, staff): {time.perf_counter() - started:.1f} s")
        latency = Timing("access_case + step_complete, 1 process", note="")
        p50s, p95s, rates = [], [], []
        for number in range(repeat):
            result = _child(env, "latency", {"run": number, "completions": completions})
            samples = result["samples"]
            latency.samples.extend(samples)
            p50s.append(_percentile(samples, 50))
            p95s.append(_percentile(samples, 95))
            rate = _throughput(env, number, THROUGHPUT_COMPLETIONS)
            rates.append(rate["per_second"])
            out(
                f"  run {number + 1}/{repeat}: p50 {p50s[-1] * 1000:.1f} ms, p95 {p95s[-1] * 1000:.1f} ms "
                f"({len(samples)} completions); {rate['completed']} completions by {WORKERS} processes "
                f"in {rate['seconds']:.2f} s = {rate['per_second']:.0f}/s"
            )
    p95 = statistics.median(p95s) * 1000
    per_second = statistics.median(rates)
    out("")
    out(
        f"p95 {p95:.1f} ms per completion (goal < {GOAL_P95_MS:.0f} ms: "
        f"{'met' if p95 < GOAL_P95_MS else 'NOT met'}); {per_second:.0f} completions/s with {WORKERS} "
        f"processes (goal ≥ {GOAL_PER_SECOND:.0f}/s: {'met' if per_second >= GOAL_PER_SECOND else 'NOT met'})"
    )
    latency.note = f"p50 {statistics.median(p50s) * 1000:.1f} ms, p95 {p95:.1f} ms (medians of the runs)"
    per_completion = [1 / r for r in rates if r]
    throughput = Timing(
        f"per completion, {WORKERS} processes", per_completion, f"{per_second:.0f} completions/s (median)"
    )
    return [latency, throughput]


def _percentile(samples: list[float], pct: int) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _throughput(env: dict[str, str], number: int, total: int) -> dict[str, Any]:
    start_at = 0.0
    procs = []
    ready_dir = tempfile.mkdtemp(prefix="sunlit-bench-ready-")
    share = -(-total // WORKERS)
    for worker in range(WORKERS):
        args = {"run": number, "worker": worker, "count": share, "ready_dir": ready_dir}
        procs.append(_spawn(env, "work", args))
    # Wait until every worker has prepared its cases, then give them a common start instant.
    deadline = time.monotonic() + 300
    while len([n for n in os.listdir(ready_dir) if n.startswith("ready-")]) < WORKERS:
        if time.monotonic() > deadline or any(p.poll() not in (None, 0) for p in procs):
            for p in procs:
                p.kill()
            raise BenchmarkError("a throughput worker failed while preparing its cases")
        time.sleep(0.05)
    start_at = time.time() + 0.5
    with open(os.path.join(ready_dir, "go.tmp"), "w") as fh:
        fh.write(repr(start_at))
    os.rename(os.path.join(ready_dir, "go.tmp"), os.path.join(ready_dir, "go"))  # atomically
    results = [_collect(p) for p in procs]
    ended = max(r["ended"] for r in results)
    completed = sum(r["completed"] for r in results)
    seconds = ended - start_at
    return {"completed": completed, "seconds": seconds, "per_second": completed / seconds if seconds else 0.0}


@contextlib.contextmanager
def _throwaway(base: str) -> Iterator[dict[str, str]]:
    from django.conf import settings

    env = os.environ.copy()
    env.pop("DATABASE_URL", None)
    env["DJANGO_SETTINGS_MODULE"] = settings.SETTINGS_MODULE
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(settings.BASE_DIR), env.get("PYTHONPATH", "")) if p)
    with tempfile.TemporaryDirectory(prefix="sunlit-bench-cases-") as tmp:
        env["SUNLIT_DATA_DIR"] = tmp  # documents and the SQLite file, if any, live here
        if not base.startswith(("postgres://", "postgresql://")):
            yield env
            return
        import psycopg

        name = f"sunlit_bench_cases_{os.getpid()}"
        parts = urlsplit(base)
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
        try:
            yield env
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _spawn(env: dict[str, str], phase: str, args: dict[str, Any]) -> subprocess.Popen:
    argv = [sys.executable, "-m", "benchmarks.cases", phase, json.dumps(args)]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603


def _collect(proc: subprocess.Popen) -> dict[str, Any]:
    stdout, stderr = proc.communicate(timeout=TIME_LIMIT + 600)
    if proc.returncode != 0:
        raise BenchmarkError(f"benchmark child failed (status {proc.returncode}):\n{stderr[-3000:]}")
    return json.loads(stdout.strip().splitlines()[-1])


def _child(env: dict[str, str], phase: str, args: dict[str, Any]) -> dict[str, Any]:
    return _collect(_spawn(env, phase, args))


# --- the children -----------------------------------------------------------------------------------

PROVINCE, CITY, COUNTY = "990000", "999900", "999901"
ITEM = "BX-01"


def _document() -> dict[str, Any]:
    from sunlit.powers.document import FORMAT

    steps: list[dict[str, Any]] = [
        {
            "key": f"s{i:02d}",
            "name": f"第{i + 1}步",
            "kind": "approval" if i % 2 else "task",
            "role": "village_committee",
            "deadline_days": 5,
        }
        for i in range(STEPS_PER_CASE)
    ]
    steps.append({"key": "end", "name": "办结", "kind": "end"})
    transitions = [{"from": steps[i]["key"], "to": steps[i + 1]["key"]} for i in range(STEPS_PER_CASE)]
    item = {
        "code": ITEM,
        "name": "基准事项",
        "group": "villager_services",
        "category": "public_service",
        "summary": "",
        "legal_basis": [],
        "responsible_role": "village_chair",
        "time_limit_days": 30,
        "disclosure": "",
        "guide": {"contact": "村委会", "materials": [], "duration": "30个工作日"},
        "parameters": [],
        "variables": [],
        "flow": {"start": "s00", "steps": steps, "transitions": transitions},
        "risks": [
            {
                "code": "R1",
                "step": "s00",
                "description": "基准",
                "likelihood": 1,
                "impact": 1,
                "controls": [{"measure": "登记", "role": "village_supervisor", "evidence": "登记簿"}],
            }
        ],
    }
    return {
        "format": FORMAT,
        "catalog": {"code": "bench", "name": "基准清单", "version": 1, "description": ""},
        "items": [item],
        "responsibilities": [],
        "negative_list": [],
    }


def _setup(_args: dict[str, Any]) -> dict[str, Any]:
    import random

    from django.core.management import call_command
    from django.db import transaction

    from sunlit.accounts.services import role_grant, user_create
    from sunlit.core.demo import build_townships_and_villages
    from sunlit.powers.services import adoption_set, catalog_import, catalog_publish
    from sunlit.regions.models import Region, RegionLevel
    from sunlit.regions.services import region_create

    call_command("migrate", interactive=False, verbosity=0)
    with transaction.atomic():
        province = region_create(code=PROVINCE, name="基准省", level=RegionLevel.PROVINCE, parent=None)
        city = region_create(code=CITY, name="基准市", level=RegionLevel.CITY, parent=province)
        county = region_create(code=COUNTY, name="基准县", level=RegionLevel.COUNTY, parent=city)
        townships, _count = build_townships_and_villages(county, random.Random(0), 1, (VILLAGES, VILLAGES))
        catalog = catalog_import(actor=None, owner=county, document=_document())
        catalog_publish(actor=None, catalog=catalog)
        catalog.refresh_from_db()
        adoption_set(actor=None, region=townships[0], catalog=catalog)
        for village in Region.objects.filter(parent=townships[0]).order_by("code"):
            user = user_create(actor=None, username=f"bench-{village.code}", password=None, validate=False)  # type: ignore[arg-type]
            role_grant(actor=None, user=user, role="village_committee", region=village)
    return {"ok": True}


def _villages() -> list[tuple[Any, Any]]:
    from sunlit.accounts.models import User
    from sunlit.regions.models import Region, RegionLevel
    from sunlit.regions.services import normalize_code

    county = Region.objects.get(code=normalize_code(COUNTY))
    villages = list(
        Region.objects.filter(path__startswith=county.path, level=RegionLevel.VILLAGE).order_by("code")
    )
    users = {u.username: u for u in User.objects.filter(username__startswith="bench-")}
    return [(v, users[f"bench-{v.code}"]) for v in villages]


def _start_cases(count: int, village: Any, user: Any, label: str) -> list[Any]:
    from sunlit.cases.services import case_start

    cases = -(-count // STEPS_PER_CASE)
    return [
        case_start(actor=user, village=village, item_code=ITEM, title=f"{label} {i}") for i in range(cases)
    ]


def _complete_round_robin(
    cases: list[Any], user: Any, count: int, deadline: float
) -> tuple[list[float], int]:
    """Complete ``count`` steps, one per case in turn (so consecutive writes hit different cases).

    Each timed completion is what the API handler does: load the case in the user's scope
    (``access_case``, with the user's role assignments not yet cached, as in a new request), then
    ``step_complete``. Only the response serialisation and HTTP are left out.
    """
    from sunlit.cases.selectors import access_case
    from sunlit.cases.services import step_complete

    samples: list[float] = []
    done = 0
    open_cases = [c.pk for c in cases]
    while done < count and open_cases and time.time() < deadline:
        still_open = []
        for pk in open_cases:
            if done >= count or time.time() >= deadline:
                break
            user.__dict__.pop("_sunlit_assignments", None)
            started = time.perf_counter()
            case = access_case(user, pk)
            step_complete(actor=user, case=case, sequence=case.current.sequence)
            samples.append(time.perf_counter() - started)
            done += 1
            if case.current is not None:
                still_open.append(pk)
        open_cases = still_open
    return samples, done


def _latency(args: dict[str, Any]) -> dict[str, Any]:
    village, user = _villages()[0]
    count = int(args["completions"])
    cases = _start_cases(count, village, user, f"latency-{args['run']}")
    samples, _done = _complete_round_robin(cases, user, count, time.time() + TIME_LIMIT)
    return {"samples": samples}


def _work(args: dict[str, Any]) -> dict[str, Any]:
    villages = _villages()
    village, user = villages[(int(args["worker"]) + 1) % len(villages)]
    count = int(args["count"])
    cases = _start_cases(count, village, user, f"throughput-{args['run']}-{args['worker']}")
    ready = os.path.join(args["ready_dir"], f"ready-{args['worker']}")
    with open(ready, "w") as fh:
        fh.write("ready")
    go = os.path.join(args["ready_dir"], "go")
    while not os.path.exists(go):
        time.sleep(0.01)
    with open(go) as fh:
        start_at = float(fh.read())
    while time.time() < start_at:
        time.sleep(0.001)
    samples, done = _complete_round_robin(cases, user, count, start_at + TIME_LIMIT)
    return {"completed": done, "ended": time.time(), "samples": len(samples)}


PHASES = {"setup": _setup, "latency": _latency, "work": _work}

if __name__ == "__main__":
    import django

    django.setup()
    phase, raw = sys.argv[1], sys.argv[2]
    print(json.dumps(PHASES[phase](json.loads(raw))))
