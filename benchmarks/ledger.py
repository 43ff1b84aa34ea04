"""``sunlit bench ledger``: ledger append throughput, and verification against raw SHA-256.

Each repetition runs on a new throw-away database of the configured kind (SQLite: a file in a
temporary directory; PostgreSQL: ``sunlit_bench_ledger_<pid>`` created next to the configured one
and dropped afterwards), so the configured database is never touched and the appended rows are
committed, as verification's worker processes only see committed rows. It appends
``SUNLIT_BENCH_LEDGER_ENTRIES`` (default 20,000) events, each in its own transaction as a service
would, then runs a full ``ledger_verify`` over them (in one process, the default, and with one worker
process per CPU). In the same run the same leaf bytes are hashed with plain ``hashlib.sha256`` in a tight
loop over a Python list (the ceiling: no database, no chain, no tree) and read-and-hashed straight
from a cursor; the ratios of verification speed to these are the figures docs/benchmarks.md tracks
(goal: >= 50% of in-memory hashing).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import override_settings

from benchmarks import Out, Timer, Timing
from sunlit.core.ledger import ledger_append
from sunlit.core.ledger_verify import ledger_verify
from sunlit.core.models import AuditEvent

DEFAULT_REPEAT = 3


@contextmanager
def _throwaway_database() -> Iterator[None]:
    """Point the default connection at a new, empty, migrated database for the block."""
    original = dict(connection.settings_dict)
    connection.close()
    with tempfile.TemporaryDirectory(prefix="sunlit-bench-ledger-") as tmp:
        name = f"sunlit_bench_ledger_{os.getpid()}"
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
                cursor.execute(f'CREATE DATABASE "{name}"')
            connection.close()
            connection.settings_dict["NAME"] = name
        else:
            connection.settings_dict["NAME"] = str(Path(tmp) / "bench.sqlite3")
        try:
            with override_settings(SUNLIT_KEYS_DIR=Path(tmp) / "keys"):
                call_command("migrate", interactive=False, verbosity=0)
                yield
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(original)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _append(n: int, timer: Timer) -> None:
    with timer("append", f"{n:,} events, one transaction each"):
        for i in range(n):
            with transaction.atomic():
                ledger_append(
                    kind="case.step_completed",
                    actor=None,
                    subject=f"cases.case:{i // 7}",
                    payload={
                        "step": "township_review",
                        "decision": "approved",
                        "amount": "12800.00",
                        "documents": [f"documents/{i}/minutes.pdf", f"documents/{i}/quote.pdf"],
                        "comment": "同意，按村民代表会议决议执行。",
                    },
                    pii={"applicant_id": f"4115221990010{i:05d}"},
                )


def _verify(name: str, timer: Timer, n: int, raw: float, fetched: float, **kwargs: object) -> None:
    began = time.perf_counter()
    report = ledger_verify(full=True, **kwargs)
    seconds = time.perf_counter() - began
    if not report.ok:
        raise RuntimeError(f"verification failed: {report.problem}")
    timer.add(
        name,
        seconds,
        f"{report.workers} process(es), {n / seconds:,.0f}/s = {100 * raw / seconds:.0f}% of "
        f"in-memory sha256, {100 * fetched / seconds:.0f}% of cursor+sha256",
    )


def run(*, repeat: int, out: Out, **options: object) -> list[Timing]:
    n = int(os.environ.get("SUNLIT_BENCH_LEDGER_ENTRIES", "20000"))
    out(
        f"{n:,} ledger entries per run on {connection.vendor}; {repeat} runs, each on a new throw-away database"
    )
    timer = Timer()
    table = AuditEvent._meta.db_table
    sha256 = hashlib.sha256
    for _run in range(repeat):
        with _throwaway_database():
            _append(n, timer)
            leaves = [
                bytes(leaf) for leaf in AuditEvent.objects.order_by("seq").values_list("leaf", flat=True)
            ]
            size = sum(map(len, leaves))
            began = time.perf_counter()
            for leaf in leaves:
                sha256(b"\x00" + leaf).digest()
            raw = time.perf_counter() - began
            timer.add("raw sha256 (in memory)", raw, f"{size / n:.0f} B/leaf, {n / raw:,.0f} leaves/s")
            began = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT leaf FROM {table} ORDER BY seq")  # noqa: S608
                while rows := cursor.fetchmany(20_000):
                    for (leaf,) in rows:
                        sha256(b"\x00" + leaf).digest()
            fetched = time.perf_counter() - began
            timer.add("raw cursor read + sha256", fetched, f"{n / fetched:,.0f} leaves/s")
            _verify("verify --full", timer, n, raw, fetched)
            _verify("verify --full --workers 0 (one per CPU)", timer, n, raw, fetched, workers=0)
    return timer.results()
