"""``sunlit bench ledger``: ledger append throughput, and verification against raw SHA-256.

Each repetition appends ``SUNLIT_BENCH_LEDGER_ENTRIES`` (default 20,000) events, each in its own
savepoint as a service would, then runs a full ``ledger_verify`` over them, all inside a
transaction that is rolled back: the configured database is left as it was (a rolled-back append
leaves no trace). The same leaf bytes are then hashed with plain ``hashlib.sha256`` in a loop (the
ceiling: no database, no chain, no tree) and read-and-hashed straight from a cursor; the ratios of
verification speed to these are the figures docs/benchmarks.md tracks (goal: >= 50% of raw hashing).
"""

from __future__ import annotations

import hashlib
import os
import time

from django.core.management import call_command
from django.db import connection, transaction

from benchmarks import Out, Timer, Timing
from sunlit.core.ledger import ledger_append
from sunlit.core.ledger_verify import ledger_verify
from sunlit.core.models import AuditEvent

DEFAULT_REPEAT = 3


class _Rollback(Exception):
    pass


def _append(n: int, timer: Timer) -> None:
    with timer("append", f"{n:,} events, one savepoint each"):
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


def run(*, repeat: int, out: Out, **options: object) -> list[Timing]:
    n = int(os.environ.get("SUNLIT_BENCH_LEDGER_ENTRIES", "20000"))
    call_command("migrate", interactive=False, verbosity=0)
    out(f"{n:,} ledger entries per run on {connection.vendor}; {repeat} runs, each rolled back")
    timer = Timer()
    table = AuditEvent._meta.db_table
    for _run in range(repeat):
        try:
            with transaction.atomic():
                start = AuditEvent.objects.count()
                _append(n, timer)
                leaves = [
                    bytes(leaf)
                    for leaf in AuditEvent.objects.filter(seq__gte=start)
                    .order_by("seq")
                    .values_list("leaf", flat=True)
                ]
                size = sum(map(len, leaves))
                sha256 = hashlib.sha256
                began = time.perf_counter()
                for leaf in leaves:
                    sha256(b"\x00" + leaf).digest()
                raw = time.perf_counter() - began
                timer.add("raw sha256 (in memory)", raw, f"{size / n:.0f} B/leaf, {n / raw:,.0f} leaves/s")
                began = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT leaf FROM {table} WHERE seq >= %s ORDER BY seq", [start])  # noqa: S608
                    while rows := cursor.fetchmany(20_000):
                        for (leaf,) in rows:
                            sha256(b"\x00" + leaf).digest()
                fetched = time.perf_counter() - began
                timer.add("raw cursor read + sha256", fetched, f"{n / fetched:,.0f} leaves/s")
                began = time.perf_counter()
                report = ledger_verify(full=True)
                verify = time.perf_counter() - began
                if not report.ok:
                    out(f"verification failed: {report.problem}")
                entries = report.size
                timer.add(
                    "verify --full",
                    verify,
                    f"{entries:,} entries, {entries / verify:,.0f}/s = {100 * raw / verify * entries / n:.0f}% of "
                    f"in-memory sha256, {100 * fetched / verify * entries / n:.0f}% of cursor+sha256",
                )
                raise _Rollback
        except _Rollback:
            pass
    return timer.results()
