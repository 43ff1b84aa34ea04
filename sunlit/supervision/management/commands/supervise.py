"""``sunlit supervise [--full] [--rule CODE …] [--region CODE]``: run the supervision rules now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sunlit.regions.models import Region
from sunlit.supervision.engine import sweep
from sunlit.supervision.rules import REGISTRY
from sunlit.supervision.services import alerts_escalate_due


class Command(BaseCommand):
    help = (
        "Sweep the supervision rules over every case (or one region) and raise alerts; idempotent. "
        "--full also escalates alerts left unclaimed or unresolved too long."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--full", action="store_true", help="Also run escalation.")
        parser.add_argument("--rule", action="append", default=[], help="Only this rule (repeatable).")
        parser.add_argument("--region", help="Only villages under this region code.")

    def handle(self, *args: Any, **options: Any) -> None:
        codes = options["rule"] or sorted(REGISTRY)
        unknown = [c for c in codes if c not in REGISTRY]
        if unknown:
            raise CommandError(_("Unknown rules: %(codes)s") % {"codes": ", ".join(unknown)})
        region = None
        if options["region"]:
            region = Region.objects.filter(code=options["region"].ljust(12, "0")[:12]).first()
            if region is None:
                raise CommandError(_("No region has the code %(code)s.") % {"code": options["region"]})

        def progress(code: str, findings: int, new: int, seconds: float) -> None:
            self.stdout.write(
                _("%(rule)-28s %(findings)6d findings, %(new)5d new alerts, %(s).2f s")
                % {"rule": code, "findings": findings, "new": new, "s": seconds}
            )

        run = sweep(rule_codes=codes, region=region, progress=progress)
        elapsed = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0.0
        self.stdout.write(
            _("Swept %(rules)d rules in %(s).1f s: %(findings)d findings, %(new)d new alerts.")
            % {"rules": run.rules, "s": elapsed, "findings": run.findings, "new": run.raised}
        )
        if options["full"]:
            moved = alerts_escalate_due()
            self.stdout.write(_("%(n)d alerts escalated.") % {"n": moved})
