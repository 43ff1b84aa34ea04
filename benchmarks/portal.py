"""``sunlit bench portal``: the public village page and a disclosure list at city scale, served by the
production server (gunicorn, as ``sunlit serve`` runs it) on loopback, under load from a second process.

The benchmark never touches the developer's data. It makes a throw-away database (a temporary
``SUNLIT_DATA_DIR`` with SQLite, or a database ``sunlit_bench_portal_<pid>`` created on the server of
``DATABASE_URL`` / ``--database-url`` and dropped at the end) and, in child processes:

* **generates** the data: Xinyang's regions with generated townships and villages (≈3,449 villages at
  ``--scale city``; the demo county's ≈300 at ``--scale county``), the standard catalog published per
  county and adopted by every township, and ``--disclosures`` published disclosures (default 384,000 at
  city scale, proportionally fewer at county scale) written with bulk inserts, not through the
  publishing service (the service's cost is not what is measured here); then collects static files
  and writes a static file of exactly the size of a rendered village page;
* **serves** with gunicorn, the command line of ``sunlit serve`` (2 sync workers, its timeouts and
  access log), twice: once with the page cache off (``SUNLIT_PORTAL_CACHE_SECONDS=0``: every request
  renders) and once with it on (300 s);
* **loads** it from a second process (asyncio, ``--concurrency`` connections, one request per connection
  as gunicorn's sync workers close them): for each server, the village pages of many villages, the list
  of one module of many villages, and the static file; each phase bounded by ``--requests`` and by
  ``PHASE_SECONDS``. Uncached phases use one connection per gunicorn worker (their p95 is the time
  to serve a page, not the queue in front of two workers); cached phases use ``--concurrency``. It reports throughput, p50 and p95, and the ratio of each page's throughput to the
  static file's in the same run and server.

Goals (issue 5): village page p95 < 100 ms uncached with a bounded query count, ≥ 1,000 cached
requests/s on 2 cores, ratio to static ≥ 0.5. The figures depend on the machine and on what else runs
on it: record them with that caveat (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from benchmarks import BenchmarkError, Out, Timing

DEFAULT_REPEAT = 1
DEFAULT_SCALE = "city"
CITY_DISCLOSURES = 384_000  # Xinyang: ≈3,449 villages × ≈111
CITY_VILLAGES = 3_449
DEFAULT_REQUESTS = 3_000  # per phase
DEFAULT_CONCURRENCY = 8
WORKERS = 2  # gunicorn workers: the default of ``sunlit serve``
PHASE_SECONDS = 30.0  # a phase stops at whichever comes first: its requests or this
SAMPLE_VILLAGES = 300  # villages whose pages the uncached phases spread over
CACHED_VILLAGES = 40  # villages the cached phases cycle through (after one warm-up pass)
GENERATE_TIMEOUT = 3600
SERVER_START_SECONDS = 120
GOAL_P95_MS = 100.0
GOAL_CACHED_RPS = 1000.0
GOAL_RATIO = 0.5
MODULE_FOR_LIST = "assets"  # 三资管理: the monthly finance disclosures, the longest lists

TITLES = {
    "organisation": ["{y}年{m}月党支部主题党日活动公开", "村“两委”成员分工调整公告", "{y}年发展党员公示"],
    "services": ["便民服务事项办理指南（{m}月更新）", "{y}年医保参保缴费通知", "代办服务点开放时间公告"],
    "economy": ["{y}年村集体经济收益分配方案公示", "村股份经济合作社{m}月收支公开", "光伏电站{y}年收益公开"],
    "livelihood": [
        "{y}年{m}月农村低保对象名单公示",
        "{y}年度高龄津贴发放名单公示",
        "临时救助对象公示（{m}月）",
    ],
    "assets": [
        "{y}年{m}月村级财务收支公开",
        "集体土地租赁合同公示（{m}月）",
        "村级资产台账{y}年第{q}季度公开",
    ],
    "projects": [
        "村道硬化工程项目公示（{m}月）",
        "{y}年农田水利项目验收结果公示",
        "小型公益设施采购结果公示",
    ],
    "decisions": ["村民代表会议决议公开（{y}年{m}月）", "“四议两公开”实施结果公示", "{y}年村规民约修订公告"],
    "revitalisation": [
        "{y}年防返贫监测对象公示",
        "乡村振兴衔接资金项目公示（{m}月）",
        "产业帮扶项目收益分配公示",
    ],
    "complaints": [
        "{m}月群众诉求办理情况公开",
        "关于村民反映道路问题的答复",
        "{y}年第{q}季度投诉建议办理结果",
    ],
}
BODY = (
    "根据《村务公开条例》和县级三务公开目录，现将{title}公开如下：本事项经村“两委”联席会议提议、"
    "村民代表会议审议通过，涉及金额{amount}元，资金来源为上级补助和村集体自筹。公示期内，村民如有异议，"
    "可向村务监督委员会或乡镇纪委反映。监督电话见村务公开栏。"
)


# --- the parent -------------------------------------------------------------------------------------------


def run(
    *,
    repeat: int,
    out: Out,
    scale: str = DEFAULT_SCALE,
    database_url: str = "",
    seed: int | None = None,
    disclosures: int | None = None,
    requests: int | None = None,
    concurrency: int | None = None,
    **options: object,
) -> list[Timing]:
    base = database_url or os.environ.get("DATABASE_URL", "")
    kind = "PostgreSQL" if base.startswith(("postgres://", "postgresql://")) else "SQLite"
    requests = int(requests or DEFAULT_REQUESTS)
    concurrency = int(concurrency or DEFAULT_CONCURRENCY)
    if requests < 10 or concurrency < 1:
        raise BenchmarkError("--requests must be at least 10 and --concurrency at least 1")
    out(
        f"portal on {kind}, {scale} scale, {requests} requests per phase, {concurrency} connections, "
        f"{os.cpu_count()} CPUs visible (shared with whatever else runs on this machine)"
    )
    timings: list[Timing] = []
    with _throwaway(base) as env:
        started = time.perf_counter()
        data = _child(env, "generate", {"scale": scale, "disclosures": disclosures, "seed": seed or 5})
        out(
            f"  generated in {time.perf_counter() - started:.0f} s: {data['villages']:,} villages, "
            f"{data['disclosures']:,} disclosures (bulk insert {data['insert_seconds']:.0f} s); village page "
            f"{data['page_bytes']:,} bytes, {data['village_queries']} queries uncached "
            f"({data['village_queries_big']} in the busiest village); module list {data['list_queries']} queries"
        )
        villages = data["sample"]
        phases_by_mode = {}
        for mode, seconds in (("uncached", 0), ("cached", 300)):
            for _attempt in range(repeat):
                with _server(env, cache_seconds=seconds) as port:
                    if mode == "cached":  # one pass so every worker has the pages (per-process memory cache)
                        warm = [f"/r/{v}/" for v in villages[:CACHED_VILLAGES]] + [
                            f"/r/{v}/d/{MODULE_FOR_LIST}/" for v in villages[:CACHED_VILLAGES]
                        ]
                        _child(env, "load", _load_args(port, warm * 4, len(warm) * 4, concurrency))
                        pool = villages[:CACHED_VILLAGES]
                    else:
                        pool = villages
                    phases = {
                        "village page": [f"/r/{v}/" for v in pool],
                        "disclosure list": [f"/r/{v}/d/{MODULE_FOR_LIST}/" for v in pool],
                        "static file": [data["static_path"]],
                    }
                    # Uncached, one connection per worker: the p95 is the service time, not the queue
                    # in front of the two workers; cached, ``concurrency`` connections: throughput.
                    connections = min(concurrency, WORKERS) if mode == "uncached" else concurrency
                    results = {
                        name: _child(env, "load", _load_args(port, paths, requests, connections))
                        for name, paths in phases.items()
                    }
                phases_by_mode.setdefault(mode, []).append(results)
        for mode, runs in phases_by_mode.items():
            for results in runs:
                static = results["static file"]
                for name, result in results.items():
                    if result["errors"]:
                        out(f"  !! {mode} {name}: {result['errors']} failed requests ({result['statuses']})")
                    ratio = result["rps"] / static["rps"] if static["rps"] else 0.0
                    note = (
                        f"{result['rps']:.0f} req/s, p50 {result['p50'] * 1000:.1f} ms, "
                        f"p95 {result['p95'] * 1000:.1f} ms, {result['count']} requests"
                    )
                    if name != "static file":
                        note += f", ratio to static {ratio:.2f}"
                    out(f"  {mode:<8} {name:<16} {note}")
                    timings.append(Timing(f"{mode} {name} (p95)", [result["p95"]], note))
    uncached = phases_by_mode["uncached"][-1]
    cached = phases_by_mode["cached"][-1]
    p95 = uncached["village page"]["p95"] * 1000
    rps = cached["village page"]["rps"]
    ratio = rps / cached["static file"]["rps"] if cached["static file"]["rps"] else 0.0
    out("")
    out(
        f"goals: village page p95 uncached {p95:.1f} ms (< {GOAL_P95_MS:.0f}: "
        f"{'met' if p95 < GOAL_P95_MS else 'NOT met'}); cached {rps:.0f} req/s (≥ {GOAL_CACHED_RPS:.0f}: "
        f"{'met' if rps >= GOAL_CACHED_RPS else 'NOT met'}); cached ratio to static {ratio:.2f} "
        f"(≥ {GOAL_RATIO}: {'met' if ratio >= GOAL_RATIO else 'NOT met'}); "
        f"{data['village_queries']} queries per uncached village page"
    )
    return timings


def _load_args(port: int, paths: list[str], requests: int, concurrency: int) -> dict[str, Any]:
    return {"port": port, "paths": paths, "requests": requests, "concurrency": concurrency}


@contextlib.contextmanager
def _throwaway(base: str) -> Iterator[dict[str, str]]:
    from django.conf import settings

    env = os.environ.copy()
    env.pop("DATABASE_URL", None)
    env["DJANGO_SETTINGS_MODULE"] = settings.SETTINGS_MODULE
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(settings.BASE_DIR), env.get("PYTHONPATH", "")) if p)
    env["SUNLIT_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    with tempfile.TemporaryDirectory(prefix="sunlit-bench-portal-") as tmp:
        env["SUNLIT_DATA_DIR"] = tmp
        if not base.startswith(("postgres://", "postgresql://")):
            yield env
            return
        import psycopg

        name = f"sunlit_bench_portal_{os.getpid()}"
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


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _server(env: dict[str, str], *, cache_seconds: int) -> Iterator[int]:
    """gunicorn with the command line of ``sunlit serve`` (its web child), on a free loopback port."""
    from sunlit.core.management.commands.serve import GUNICORN_GRACEFUL_SECONDS

    port = _free_port()
    child_env = dict(env, SUNLIT_PORTAL_CACHE_SECONDS=str(cache_seconds))
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--timeout",
        "60",
        "--graceful-timeout",
        str(GUNICORN_GRACEFUL_SECONDS),
        "--access-logfile",
        "-",
    ]
    from gunicorn.config import KNOWN_SETTINGS

    if any(setting.name == "control_socket" for setting in KNOWN_SETTINGS):
        argv += ["--control-socket", os.path.join(env["SUNLIT_DATA_DIR"], "gunicorn.ctl")]
    log = open(os.path.join(env["SUNLIT_DATA_DIR"], f"gunicorn-{port}.log"), "wb")  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603
        argv, env=child_env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True
    )
    try:
        _wait_ready(port, process)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=GUNICORN_GRACEFUL_SECONDS + 10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_ready(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchmarkError(f"gunicorn ended with status {process.returncode} while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                if s.recv(12).startswith(b"HTTP/1.1"):
                    return
        except OSError:
            time.sleep(0.3)
    raise BenchmarkError("gunicorn did not answer in time")


def _child(env: dict[str, str], phase: str, args: dict[str, Any]) -> dict[str, Any]:
    argv = [sys.executable, "-m", "benchmarks.portal", phase, json.dumps(args)]
    done = subprocess.run(  # noqa: S603
        argv, env=env, capture_output=True, text=True, check=False, timeout=GENERATE_TIMEOUT
    )
    if done.returncode != 0:
        raise BenchmarkError(f"benchmark child failed (status {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


# --- the children -----------------------------------------------------------------------------------------


def _generate(args: dict[str, Any]) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from sunlit.core.demo import (
        CITY_TOWNSHIPS,
        CITY_VILLAGES_PER_TOWNSHIP,
        DEMO_CITY,
        DEMO_COUNTY,
        build_townships_and_villages,
    )
    from sunlit.powers.services import adoption_set, catalog_load_standard
    from sunlit.regions.models import Region, RegionLevel
    from sunlit.regions.services import regions_load_xinyang

    call_command("migrate", interactive=False, verbosity=0)
    regions_load_xinyang()
    rng = random.Random(args["seed"])
    counties = Region.objects.filter(
        level=RegionLevel.COUNTY, parent__level=RegionLevel.CITY, parent__code__startswith=DEMO_CITY[:4]
    ).order_by("code")
    if args["scale"] != "city":
        counties = counties.filter(code__startswith=DEMO_COUNTY)
    for county in counties:
        townships, _villages = build_townships_and_villages(
            county, rng, rng.randint(*CITY_TOWNSHIPS), CITY_VILLAGES_PER_TOWNSHIP
        )
        catalog = catalog_load_standard(owner=county)
        for township in townships:
            adoption_set(actor=None, region=township, catalog=catalog)
    villages = list(
        Region.objects.filter(level=RegionLevel.VILLAGE, parent__parent__in=counties).values_list(
            "pk", "code"
        )
    )
    total = args.get("disclosures") or round(CITY_DISCLOSURES * len(villages) / CITY_VILLAGES)
    started = time.perf_counter()
    written, busiest = _bulk_disclosures(villages, int(total), rng)
    insert_seconds = time.perf_counter() - started
    call_command("collectstatic", interactive=False, verbosity=0)

    os.environ["SUNLIT_PORTAL_CACHE_SECONDS"] = "0"
    codes = [code for _pk, code in villages]
    sample = rng.sample(codes, min(SAMPLE_VILLAGES, len(codes)))
    client = Client(headers={"Accept-Language": "zh-hans"}, SERVER_NAME="127.0.0.1")
    with CaptureQueriesContext(connection) as village_queries:
        page = client.get(f"/r/{sample[0]}/")
    with CaptureQueriesContext(connection) as big_queries:
        client.get(f"/r/{busiest}/")
    with CaptureQueriesContext(connection) as list_queries:
        listed = client.get(f"/r/{sample[0]}/d/{MODULE_FOR_LIST}/")
    if page.status_code != 200 or listed.status_code != 200:
        raise RuntimeError(f"pages answered {page.status_code} and {listed.status_code}")
    from django.conf import settings

    static_dir = settings.STATIC_ROOT / "bench"
    static_dir.mkdir(parents=True, exist_ok=True)
    size = len(page.content)
    filler = (page.content * 2)[:size]  # the same bytes and size as the page: comparable compression
    (static_dir / "village-page.html").write_bytes(filler)
    return {
        "villages": len(villages),
        "disclosures": written,
        "insert_seconds": insert_seconds,
        "sample": sample,
        "page_bytes": size,
        "village_queries": len(village_queries.captured_queries),
        "village_queries_big": len(big_queries.captured_queries),
        "list_queries": len(list_queries.captured_queries),
        "static_path": f"{settings.STATIC_URL}bench/village-page.html",
    }


def _bulk_disclosures(villages: list[tuple[int, str]], total: int, rng: random.Random) -> tuple[int, str]:
    """Write ``total`` published disclosures (one version each) spread over the villages and three
    years, with bulk inserts in batches; returns (written, code of the village with the most)."""
    import datetime
    import hashlib

    from django.db import transaction
    from django.utils import timezone

    from sunlit.disclosure.models import Disclosure, DisclosureVersion
    from sunlit.disclosure.vocab import DisclosureModule, DisclosureStatus

    modules = list(DisclosureModule.values)
    now = timezone.now()
    span = 3 * 365 * 24 * 3600
    per_village = [total // len(villages)] * len(villages)
    for i in range(total - sum(per_village)):
        per_village[i % len(villages)] += 1
    busiest = villages[max(range(len(villages)), key=lambda i: per_village[i])][1]
    next_id = 1
    batch_disclosures: list[Disclosure] = []
    batch_versions: list[DisclosureVersion] = []

    def flush() -> None:
        with transaction.atomic():
            Disclosure.objects.bulk_create(batch_disclosures, batch_size=2000)
            DisclosureVersion.objects.bulk_create(batch_versions, batch_size=2000)
        batch_disclosures.clear()
        batch_versions.clear()

    for (village_pk, _code), count in zip(villages, per_village, strict=True):
        for _ in range(count):
            module = rng.choice(modules)
            at = now - datetime.timedelta(seconds=rng.randrange(span))
            local = timezone.localtime(at)
            title = rng.choice(TITLES[module]).format(
                y=local.year, m=local.month, q=(local.month - 1) // 3 + 1
            )
            body = BODY.format(title=title, amount=rng.randrange(2_000, 400_000))
            pk = next_id
            next_id += 1
            batch_disclosures.append(
                Disclosure(
                    pk=pk,
                    village_id=village_pk,
                    module=module,
                    code=f"GK{local:%y%m%d}B{pk:09d}",
                    status=DisclosureStatus.PUBLISHED,
                    first_published_at=at,
                    updated_at=at,
                    current_id=pk,
                )
            )
            start = local.date()
            batch_versions.append(
                DisclosureVersion(
                    pk=pk,
                    disclosure_id=pk,
                    number=1,
                    title=title,
                    body=body,
                    period_start=start,
                    period_end=start + datetime.timedelta(days=rng.choice((5, 7, 10, 15))),
                    published_at=at,
                    content_hash=hashlib.sha256(f"{title}\n{body}".encode()).hexdigest(),
                )
            )
        if len(batch_disclosures) >= 20_000:
            flush()
    if batch_disclosures:
        flush()
    return next_id - 1, busiest


async def _load(args: dict[str, Any]) -> dict[str, Any]:
    port, paths = int(args["port"]), list(args["paths"])
    total, concurrency = int(args["requests"]), int(args["concurrency"])
    requests = [
        (
            f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept-Language: zh-hans\r\nConnection: close\r\n\r\n"
        ).encode()
        for p in paths
    ]
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    issued = 0
    deadline = time.monotonic() + PHASE_SECONDS

    async def worker() -> None:
        nonlocal issued
        while issued < total and time.monotonic() < deadline:
            request = requests[issued % len(requests)]
            issued += 1
            started = time.perf_counter()
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(request)
                await writer.drain()
                data = await reader.read()
                writer.close()
                status = data[9:12].decode("ascii", "replace") if data.startswith(b"HTTP/") else "bad"
            except OSError as exc:
                status = type(exc).__name__
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "count": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed if elapsed else 0.0,
        "p50": statistics.median(latencies) if latencies else 0.0,
        "p95": percentile(latencies, 95),
        "statuses": statuses,
        "errors": sum(n for s, n in statuses.items() if s != "200"),
    }


def _main(argv: list[str]) -> None:
    phase, args = argv[1], json.loads(argv[2])
    if phase == "load":  # no Django here: the load generator stays light
        print(json.dumps(asyncio.run(_load(args))))
        return
    import django

    django.setup()
    if phase == "generate":
        print(json.dumps(_generate(args)))
        return
    raise SystemExit(f"unknown phase {phase!r}")


if __name__ == "__main__":
    _main(sys.argv)
