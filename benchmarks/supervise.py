"""``sunlit bench supervise``: a full supervision sweep over city-scale data, the per-event cost of the
on-commit checks, and a raw SQL scan of the same tables in the same run.

The benchmark never touches the developer's data. For each size it makes a throw-away database (a new
temporary ``SUNLIT_DATA_DIR`` with SQLite, or a database ``sunlit_bench_supervise_<pid>_<n>`` created
on the server of ``DATABASE_URL`` / ``--database-url`` and dropped at the end) and, in child processes:

* generates the data: ``sunlit demo --no-serve --scale city --cases-per-village N`` (the bulk
  city-scale history of sunlit/cases/bulk.py; every Xinyang village, N cases each), or with
  ``--scale county`` the county demo (cases through the real services) in N sampled villages;
* sweeps: a full ``sunlit.supervision.engine.sweep()`` (the first raises the alerts; the repeats find
  the same things and only refresh them), with each rule's share;
* scans: ``SELECT count(*)`` and a full read (``fetchmany``) of the columns the rules touch on the
  case tables, ``repeat`` times, so the sweep can be compared with what merely reading the data costs;
* on-commit checks: ``check_event(kind, subject)`` for the latest events of each watched kind in the
  ledger (as ``supervise_event`` runs them after a commit), p50/p95 per event; in the same run, the
  same events checked the way they were before the gates (every case-scoped rule watching the kind
  run restricted to the case, ``ungated``), so the two can be compared on the same data and load.

Sizes are given with ``--sizes`` (cases per village, comma-separated; default 1,2,4 at city scale,
i.e. ≈ 3,400, 6,900 and 13,800 cases) so that the growth of the sweep with the data can be checked.

Larger sizes than the generator can write in the time: ``SUNLIT_BENCH_SUPERVISE_REPLICATE=1,8,32``
generates the first size once and measures it replicated 1, 8 and 32 times (:func:`_replicate`: the
completed cases copied with all their rows, each copy four years further back, in SQL).
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
CITY_SIZES = (1, 2, 4)  # cases per village at city scale
COUNTY_SIZES = (10, 20, 40)  # sampled villages at county scale
EVENTS_PER_KIND = 100  # on-commit checks timed per watched event kind
RULE_CASES = 30  # cases each case-scoped rule is timed on, ungated
GOAL_SWEEP_SECONDS = 60.0  # full sweep at city scale (≈ 1M cases) on 2 cores
GOAL_EVENT_MS = 5.0  # on-commit checks per event
GENERATE_TIMEOUT = 4 * 3600

# The columns the rules read, per table (a raw read of them is the floor of any sweep).
SCAN = {
    "cases_case": "id, village_id, item_id, flow_id, status, current_id, amount, started_at, title, parameters",
    "cases_stepinstance": "id, case_id, step_id, sequence, status, due_at, not_before, completed_at, completed_by_id",
    "cases_objection": "id, case_id, notice_id, status, lodged_at",
    "cases_voterecord": "id, case_id, step_instance_id, expected, present, votes_for, quorum_met, passed",
    "cases_sealuse": "id, village_id, is_exception, used_at",
    "cases_caseparty": "id, case_id, role, person_id, credit_code",
    "cases_casedocument": "id, step_instance_id, name",
    "cases_refusedattempt": "id, kind, actor_id, village_id, case_id, at",
}


# --- the parent -------------------------------------------------------------------------------------------


def run(
    *,
    repeat: int,
    out: Out,
    scale: str = "city",
    database_url: str = "",
    sizes: str = "",
    seed: int | None = None,
    replicate: str = "",
    **options: object,
) -> list[Timing]:
    base = database_url or os.environ.get("DATABASE_URL", "")
    kind = "PostgreSQL" if base.startswith(("postgres://", "postgresql://")) else "SQLite"
    numbers = _sizes(sizes, scale)
    unit = "cases per village" if scale == "city" else "case villages"
    out(
        f"supervise on {kind}, {scale} scale, sizes {', '.join(map(str, numbers))} {unit}, {repeat} runs each"
    )
    timings: list[Timing] = []
    rows: list[dict[str, Any]] = []
    replicate = replicate or os.environ.get("SUNLIT_BENCH_SUPERVISE_REPLICATE", "")
    factors = _sizes(replicate, scale) if replicate else []
    if factors:
        # One generated history (the first size), measured at each replication factor in turn.
        numbers = [numbers[0]]

    def report(number: int, result: dict[str, Any]) -> None:
        """Print one size's figures as soon as they are measured (and keep them for the growth)."""
        if os.environ.get("SUNLIT_BENCH_SUPERVISE_JSON"):
            with open(os.environ["SUNLIT_BENCH_SUPERVISE_JSON"], "a", encoding="utf-8") as log:
                log.write(json.dumps({"size": number, **result}) + "\n")
        rows.append({"size": number, **result})
        cases = result["counts"]["cases_case"]
        sweep_first, sweeps, raws = result["first_sweep"], result["sweeps"], result["raw"]
        ratio = statistics.median(sweeps) / statistics.median(raws)
        out(
            f"  [{number}] {cases:,} cases, {result['counts']['cases_stepinstance']:,} step instances: "
            f"first sweep {sweep_first:.2f} s ({result['raised']} alerts raised), re-sweep median "
            f"{statistics.median(sweeps):.2f} s, raw scan median {statistics.median(raws):.3f} s → "
            f"sweep/raw {ratio:.2f}×"
        )
        top = sorted(result["rules"].items(), key=lambda kv: -kv[1])[:4]
        out(
            "      slowest rules in the sweep: "
            + ", ".join(f"{code} {seconds:.2f} s" for code, seconds in top)
        )
        detect = statistics.median(result["detects"])
        out(
            f"      detection only (no alert writes): median {detect:.2f} s → detect/raw "
            f"{detect / statistics.median(raws):.2f}×; per rule (best s, findings): "
            + ", ".join(
                f"{code} {v['seconds']:.2f} s {int(v['findings'])}"
                for code, v in sorted(result["per_rule"].items(), key=lambda kv: -kv[1]["seconds"])
            )
        )
        events = result["events"]
        if events["samples"]:
            out(
                f"      on-commit checks: {len(events['samples'])} events, p50 {events['p50'] * 1000:.1f} ms, "
                f"p95 {events['p95'] * 1000:.1f} ms; "
                + ", ".join(f"{k} p50 {v * 1000:.1f} ms" for k, v in sorted(events["by_kind"].items()))
                + f"; CPU time of this process p50 {events['cpu_p50'] * 1000:.1f} ms, p95 {events['cpu_p95'] * 1000:.1f} ms"
            )
            out(
                f"      same events ungated (every watching rule per case, as before): p50 "
                f"{events['ungated_p50'] * 1000:.1f} ms, p95 {events['ungated_p95'] * 1000:.1f} ms; "
                f"one batch of all {len(events['samples'])} events: {events['batch'] * 1000:.1f} ms"
            )
            out(
                "      one case, per rule (median): "
                + ", ".join(
                    f"{k} {v * 1000:.1f} ms"
                    for k, v in sorted(events["by_rule"].items(), key=lambda kv: -kv[1])
                )
            )
        label = f"{cases:,} cases"
        timings.append(Timing(f"first sweep, {label}", [sweep_first], f"{result['raised']} alerts raised"))
        timings.append(Timing(f"re-sweep, {label}", sweeps, f"sweep/raw {ratio:.2f}×"))
        timings.append(Timing(f"raw scan, {label}", raws, f"{sum(result['counts'].values()):,} rows read"))
        timings.append(
            Timing(
                f"detection only, {label}",
                result["detects"],
                f"detect/raw {statistics.median(result['detects']) / statistics.median(raws):.2f}×",
            )
        )
        if events["samples"]:
            timings.append(
                Timing(
                    f"check_event, {label}",
                    events["samples"],
                    f"p50 {events['p50'] * 1000:.1f} ms, p95 {events['p95'] * 1000:.1f} ms "
                    f"(goal ≤ {GOAL_EVENT_MS:.0f} ms)",
                )
            )

    for number in numbers:
        with _throwaway(base, number) as env:
            started = time.perf_counter()
            generated = _generate(env, scale, number, seed)
            out(f"  [{number}] generated in {time.perf_counter() - started:.0f} s: {generated}")
            if not factors:
                report(number, _child(env, "measure", {"repeat": repeat}))
            for factor in factors:
                copy = _child(env, "replicate", {"factor": factor})
                out(f"  [{number}×{factor}] replicated in {copy['seconds']:.1f} s: {copy['cases']:,} cases")
                report(number * factor, _child(env, "measure", {"repeat": repeat}))
    out("")
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        data = last["counts"]["cases_case"] / max(first["counts"]["cases_case"], 1)
        for name, key in (("re-sweep", "sweeps"), ("detection", "detects"), ("raw scan", "raw")):
            cost = statistics.median(last[key]) / statistics.median(first[key])
            out(
                f"growth: {data:.1f}× the cases → {cost:.1f}× the {name} time "
                f"({'linear or better' if cost <= data * 1.15 else 'WORSE than linear'})"
            )
        # A fixed part (per rule, per step definition in use) plus a part per case: fit both on the
        # smallest and the largest size and extrapolate.
        n0, n1 = first["counts"]["cases_case"], last["counts"]["cases_case"]
        for name, key in (("re-sweep", "sweeps"), ("detection", "detects")):
            t0, t1 = statistics.median(first[key]), statistics.median(last[key])
            per_case = max(t1 - t0, 0.0) / max(n1 - n0, 1)
            fixed = t1 - per_case * n1
            projected = fixed + per_case * 1_000_000
            out(
                f"projected {name} at 1,000,000 cases: {fixed:.1f} s + {per_case * 1000:.3f} ms × cases "
                f"≈ {projected:.0f} s (goal ≤ {GOAL_SWEEP_SECONDS:.0f} s: "
                f"{'met' if projected <= GOAL_SWEEP_SECONDS else 'NOT met'})"
            )
    return timings


def _sizes(raw: str, scale: str) -> list[int]:
    if not raw:
        return list(CITY_SIZES if scale == "city" else COUNTY_SIZES)
    try:
        numbers = [int(x) for x in str(raw).split(",") if x.strip()]
    except ValueError:
        raise BenchmarkError(f"--sizes takes comma-separated numbers, not {raw!r}") from None
    if not numbers or min(numbers) < 1:
        raise BenchmarkError("--sizes must be positive numbers")
    return numbers


@contextlib.contextmanager
def _throwaway(base: str, number: int) -> Iterator[dict[str, str]]:
    from django.conf import settings

    env = os.environ.copy()
    env.pop("DATABASE_URL", None)
    env["DJANGO_SETTINGS_MODULE"] = settings.SETTINGS_MODULE
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(settings.BASE_DIR), env.get("PYTHONPATH", "")) if p)
    with tempfile.TemporaryDirectory(prefix="sunlit-bench-supervise-") as tmp:
        env["SUNLIT_DATA_DIR"] = tmp
        if not base.startswith(("postgres://", "postgresql://")):
            yield env
            return
        import psycopg

        name = f"sunlit_bench_supervise_{os.getpid()}_{number}"
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


def _generate(env: dict[str, str], scale: str, number: int, seed: int | None) -> str:
    argv = [sys.executable, "-m", "config.cli", "demo", "--no-serve", "--scale", scale]
    if scale == "city":
        argv += ["--cases-per-village", str(number)]
    if seed is not None:
        argv += ["--seed", str(seed)]
    if scale == "county":
        # The county demo's sample size is not a command option: generate through demo_load.
        return json.dumps(_child(env, "county", {"villages": number, "seed": seed}))
    done = subprocess.run(  # noqa: S603
        argv, env=env, capture_output=True, text=True, check=False, timeout=GENERATE_TIMEOUT
    )
    if done.returncode != 0:
        raise BenchmarkError(f"sunlit demo failed (status {done.returncode}):\n{done.stderr[-3000:]}")
    lines = [line for line in done.stdout.splitlines() if "city cases" in line]
    return lines[-1].strip() if lines else "done"


def _child(env: dict[str, str], phase: str, args: dict[str, Any]) -> dict[str, Any]:
    argv = [sys.executable, "-m", "benchmarks.supervise", phase, json.dumps(args)]
    done = subprocess.run(  # noqa: S603
        argv, env=env, capture_output=True, text=True, check=False, timeout=GENERATE_TIMEOUT
    )
    if done.returncode != 0:
        raise BenchmarkError(f"benchmark child failed (status {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _percentile(samples: list[float], pct: int) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


# --- the children -----------------------------------------------------------------------------------------


def _county(args: dict[str, Any]) -> dict[str, Any]:
    from django.core.management import call_command

    from sunlit.core.demo import DEFAULT_SEED, demo_load

    call_command("migrate", interactive=False, verbosity=0)
    report = demo_load(case_villages=int(args["villages"]), seed=args.get("seed") or DEFAULT_SEED)
    assert report.cases is not None
    return {"cases": report.cases.cases, "villages": report.cases.villages}


def _raw_scan() -> tuple[float, dict[str, int]]:
    from django.db import connection

    counts: dict[str, int] = {}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table, columns in SCAN.items():
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            counts[table] = cursor.fetchone()[0]
            cursor.execute(f"SELECT {columns} FROM {table}")  # noqa: S608
            read = 0
            while rows := cursor.fetchmany(5000):
                read += len(rows)
    return time.perf_counter() - started, counts


def _ungated(kind: str, subject: str) -> None:
    """The on-commit check as it was before the gates: every case-scoped rule watching ``kind``, run
    restricted to the case, and its findings upserted."""
    from django.utils import timezone

    from sunlit.supervision.engine import raise_alerts, run_rule
    from sunlit.supervision.rules.base import REGISTRY

    label, _sep, pk = subject.partition(":")
    if label != "cases.case":
        return
    now = timezone.now()
    for rule in REGISTRY.values():
        if rule.case_scoped and kind in rule.watches:
            raise_alerts(rule, run_rule(rule, now=now, case_ids=[int(pk)]), now=now)


def _events() -> dict[str, Any]:
    from sunlit.core.models import AuditEvent
    from sunlit.supervision.engine import check_event, check_events, watched_kinds

    samples: list[float] = []
    cpu: list[float] = []  # this process's CPU time per check (wall time minus waiting for a core)
    ungated: list[float] = []
    by_kind: dict[str, float] = {}
    everything: list[tuple[str, str]] = []
    for kind in sorted(watched_kinds()):
        subjects = list(
            AuditEvent.objects.filter(kind=kind)
            .order_by("-pk")
            .values_list("subject", flat=True)[:EVENTS_PER_KIND]
        )
        mine = []
        for subject in subjects:
            started, started_cpu = time.perf_counter(), time.process_time()
            check_event(kind, subject)
            mine.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            started = time.perf_counter()
            _ungated(kind, subject)
            ungated.append(time.perf_counter() - started)
            everything.append((kind, subject))
        if mine:
            by_kind[kind] = statistics.median(mine)
            samples += mine
    started = time.perf_counter()
    check_events(everything)
    batch = time.perf_counter() - started
    return {
        "samples": samples,
        "p50": _percentile(samples, 50) if samples else 0.0,
        "p95": _percentile(samples, 95) if samples else 0.0,
        "cpu_p50": _percentile(cpu, 50) if cpu else 0.0,
        "cpu_p95": _percentile(cpu, 95) if cpu else 0.0,
        "ungated_p50": _percentile(ungated, 50) if ungated else 0.0,
        "ungated_p95": _percentile(ungated, 95) if ungated else 0.0,
        "batch": batch,
        "by_kind": by_kind,
        "by_rule": _event_rules(),
    }


def _event_rules() -> dict[str, float]:
    """Median seconds of each case-scoped rule restricted to one case (what check_cases runs)."""
    from django.utils import timezone

    from sunlit.cases.models import Case
    from sunlit.supervision.engine import run_rule
    from sunlit.supervision.rules.base import REGISTRY

    case_ids = list(Case.objects.order_by("-pk").values_list("pk", flat=True)[:RULE_CASES])
    now = timezone.now()
    result = {}
    for code, rule in sorted(REGISTRY.items()):
        if not rule.case_scoped or not rule.watches:
            continue
        samples = []
        for pk in case_ids:
            started = time.perf_counter()
            run_rule(rule, now=now, case_ids=[pk])
            samples.append(time.perf_counter() - started)
        result[code] = statistics.median(samples) if samples else 0.0
    return result


def _detect_only(repeat: int) -> tuple[list[float], dict[str, dict[str, float]]]:
    """Every rule's detection alone (run_rule, no alert writes): seconds per pass, and per rule the
    best seconds and the number of findings."""
    from django.utils import timezone

    from sunlit.supervision.engine import run_rule
    from sunlit.supervision.rules.base import REGISTRY

    passes: list[float] = []
    per_rule: dict[str, dict[str, float]] = {}
    for _ in range(repeat):
        now = timezone.now()
        total = 0.0
        for code, rule in sorted(REGISTRY.items()):
            started = time.perf_counter()
            found = run_rule(rule, now=now)
            took = time.perf_counter() - started
            total += took
            known = per_rule.setdefault(code, {"seconds": took, "findings": len(found)})
            known["seconds"] = min(known["seconds"], took)
        passes.append(total)
    return passes, per_rule


def _measure(args: dict[str, Any]) -> dict[str, Any]:
    import logging

    from django.db import connection

    from sunlit.supervision.engine import sweep

    logging.disable(logging.WARNING)  # notification backends may print; not what is measured
    repeat = int(args["repeat"])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics after the bulk load, as autovacuum would
    raw_first, counts = _raw_scan()  # also warms the cache the same way for both
    started = time.perf_counter()
    first = sweep()
    first_seconds = time.perf_counter() - started
    rules = {code: detail["seconds"] for code, detail in first.detail.items()}
    sweeps, raws = [], [raw_first]
    for _ in range(repeat):
        started = time.perf_counter()
        again = sweep()
        sweeps.append(time.perf_counter() - started)
        for code, detail in again.detail.items():
            rules[code] = min(rules[code], detail["seconds"])
        raws.append(_raw_scan()[0])
    detects, per_rule = _detect_only(repeat)
    return {
        "counts": counts,
        "detects": detects,
        "per_rule": per_rule,
        "first_sweep": first_seconds,
        "raised": first.raised,
        "findings": first.findings,
        "sweeps": sweeps,
        "raw": raws[1:],
        "rules": rules,
        "events": _events(),
    }


# --- replication: more cases than the generator can write in the time -----------------------------------

STRIDE = 10**8  # copy k of a row has the id of the original + k × STRIDE (originals are far below)
SHIFT_DAYS = 1461  # copy k is moved k × 4 years back: copies never meet inside any rule's window


def _replicate(args: dict[str, Any]) -> dict[str, Any]:
    """Make the case tables ``factor`` times as large: copies of every *completed* generated case with
    its steps, parties, documents, votes and notices, each copy moved 4 years further back (so no
    window-based rule sees two copies together and nothing is overdue), with new ids and suffixed
    tracking and notice numbers. Set-based (INSERT … SELECT per table and copy). Returns the counts."""
    from django.db import connection, transaction
    from django.db import models as m

    from sunlit.cases.models import Case, CaseDocument, CaseParty, Notice, StepInstance, VoteRecord
    from sunlit.cases.vocab import CaseStatus

    factor = int(args["factor"])
    tables = [Case, StepInstance, CaseParty, CaseDocument, VoteRecord, Notice]
    copied = set(tables)
    vendor = connection.vendor
    started = time.perf_counter()

    def shift(column: str, days: int, date: bool) -> str:
        if vendor == "postgresql":
            return f"({column} - interval '{days} days')" + ("::date" if date else "")
        return f"{'date' if date else 'datetime'}({column}, '-{days} days')"

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {Case._meta.db_table} WHERE id >= {STRIDE}")  # noqa: S608
        have = 1 + cursor.fetchone()[0] // max(
            Case.objects.filter(pk__lt=STRIDE, status=CaseStatus.COMPLETED).count(), 1
        )
        for k in range(have, factor):
            with transaction.atomic():
                for model in tables:
                    columns, values = [], []
                    for f in model._meta.concrete_fields:
                        col = connection.ops.quote_name(f.column)
                        columns.append(col)
                        if f.primary_key or (isinstance(f, m.ForeignKey) and f.related_model in copied):
                            values.append(f"{col} + {k * STRIDE}")
                        elif isinstance(f, m.DateTimeField):
                            values.append(shift(col, k * SHIFT_DAYS, False))
                        elif isinstance(f, m.DateField):
                            values.append(shift(col, k * SHIFT_DAYS, True))
                        elif f.unique and isinstance(f, m.CharField):
                            values.append(f"{col} || '~{k}'")
                        else:
                            values.append(col)
                    table = model._meta.db_table
                    case_col = "id" if model is Case else "case_id"
                    cursor.execute(
                        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {table} "  # noqa: S608
                        f"WHERE {case_col} IN (SELECT id FROM {Case._meta.db_table} WHERE id < {STRIDE} "
                        f"AND status = '{CaseStatus.COMPLETED}')"
                    )
        if vendor == "postgresql":
            cursor.execute("ANALYZE")
    return {"factor": factor, "seconds": time.perf_counter() - started, "cases": Case.objects.count()}


PHASES = {"county": _county, "measure": _measure, "replicate": _replicate}

if __name__ == "__main__":
    import django

    django.setup()
    phase, raw = sys.argv[1], sys.argv[2]
    print(json.dumps(PHASES[phase](json.loads(raw))))
