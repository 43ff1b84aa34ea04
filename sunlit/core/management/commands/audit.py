"""``sunlit audit verify|checkpoint|show``: check, sign and read the ledger (docs/ledger.md)."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from sunlit.core.management.base import SunlitCommand


class Command(SunlitCommand):
    help = (
        "The ledger: `verify` recomputes hashes, chain, Merkle nodes and checkpoints (from the last "
        "verified point; --full from the start) and names the first bad entry; `checkpoint` signs "
        "the current tree head; `show` prints entries."
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="Verify the ledger; exit 1 naming the first bad entry.")
        verify.add_argument("--full", action="store_true", help="Re-check every entry, not only new ones.")
        verify.add_argument("--quiet", action="store_true", help="No progress lines.")
        verify.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Processes hashing entries (default 1: this process; 0: one per CPU for large runs).",
        )
        sub.add_parser("checkpoint", help="Sign a checkpoint of the ledger at its current size.")
        show = sub.add_parser("show", help="Print entries as JSON lines (newest last).")
        show.add_argument("--subject", help='Only entries about this subject, e.g. "cases.case:7".')
        show.add_argument("--from", dest="start", type=int, default=None, help="First seq to print.")
        show.add_argument("--limit", type=int, default=20, help="How many entries (default 20).")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(**options)

    def _verify(self, *, full: bool, quiet: bool, workers: int | None, **options: Any) -> None:
        from sunlit.core.ledger_verify import ledger_verify

        started = time.monotonic()
        last = [started]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if quiet or (now - last[0] < 1.0 and done != total):
                return
            last[0] = now
            rate = done / max(now - started, 1e-9)
            self.stderr.write(
                _("checked %(done)d of %(total)d entries (%(pct)d%%, %(rate)d/s)")
                % {"done": done, "total": total, "pct": 100 * done // max(total, 1), "rate": rate}
            )

        report = ledger_verify(full=full, progress=None if quiet else progress, workers=workers)
        if not report.ok:
            raise CommandError(
                _("Ledger verification FAILED: %(problem)s") % {"problem": report.problem}, returncode=1
            )
        self.stdout.write(
            _(
                "Ledger OK: %(size)d entries (checked #%(start)d onwards), %(cps)d checkpoints "
                "verified, in %(secs).2f s."
            )
            % {"size": report.size, "start": report.start, "cps": report.checkpoints, "secs": report.seconds}
        )

    def _checkpoint(self, **options: Any) -> None:
        from sunlit.core.checkpoints import CheckpointView, checkpoint_take

        view = CheckpointView.of(checkpoint_take())
        self.stdout.write(view.body + "— " + view.signature)

    def _show(self, *, subject: str | None, start: int | None, limit: int, **options: Any) -> None:
        from sunlit.core.models import AuditEvent

        events = AuditEvent.objects.all()
        if subject:
            events = events.filter(subject=subject)
        if start is not None:
            rows = events.filter(seq__gte=start).order_by("seq")[:limit]
        else:
            rows = reversed(events.order_by("-seq")[:limit])
        for leaf in (e.leaf for e in rows):
            sys.stdout.flush()
            self.stdout.write(json.dumps(json.loads(bytes(leaf)), ensure_ascii=False))
