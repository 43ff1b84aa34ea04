"""Supervision rule of periodic disclosures: a required disclosure missing or published late."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sunlit.supervision.rules.base import UNIT_DAYS, Finding, ParamSpec, Rule, RuleContext, register
from sunlit.supervision.vocab import RuleFamily, Severity

from .periods import obligations, villages_under
from .vocab import DisclosureModule


@register
class PeriodicDisclosureMissing(Rule):
    """For every village and schedule in force (sunlit.disclosure.periods), each owed period whose
    last day (due date + grace) has passed: no satisfying publication → yellow ("missing");
    published after the last day → blue ("late"). Periods that ended more than ``window_days`` ago
    are not looked at."""

    code = "DISCLOSURE_PERIODIC_MISSING"
    name = gettext_lazy("Required periodic disclosure missing or late")
    family = RuleFamily.SEALS_DISCLOSURE
    severity = Severity.YELLOW
    case_scoped = False  # about villages, not cases: runs in sweeps
    params = {
        "window_days": ParamSpec(
            400, 31, 1100, gettext_lazy("Look back over periods ended within"), UNIT_DAYS
        ),
    }

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        today = timezone.localtime(ctx.now).date()
        since = today - datetime.timedelta(days=ctx.int_param("window_days"))
        villages = villages_under(ctx.region_paths, ctx.exclude_paths)
        for ob in obligations(villages, today=today, since=since):
            if not ob.late(today):
                continue
            missing = ob.missing
            yield Finding(
                key=f"{ob.village_id}:{ob.module}:{ob.period.label}",
                village_id=ob.village_id,
                subject=f"regions.region:{ob.village_id}",
                evidence={
                    "module": ob.module,
                    "period": ob.period.label,
                    "period_start": ob.period.start,
                    "period_end": ob.period.end,
                    "last_day": ob.last_day,
                    "published_at": ob.published_at,
                    "code": ob.code,
                    "missing": missing,
                },
                severity=None if missing else Severity.BLUE,
            )

    def title(self, finding: Finding) -> str:
        e = finding.evidence
        module = DisclosureModule(e["module"]).label
        if e["missing"]:
            return _("Periodic disclosure missing: %(module)s %(period)s") % {
                "module": module,
                "period": e["period"],
            }
        return _("Periodic disclosure late: %(module)s %(period)s") % {
            "module": module,
            "period": e["period"],
        }

    def explain(self, finding: Finding) -> str:
        e = finding.evidence
        values = {
            "module": DisclosureModule(e["module"]).label,
            "period": e["period"],
            "last_day": str(e["last_day"])[:10],
        }
        if e["missing"]:
            return (
                _(
                    "The village owes a “%(module)s” disclosure for %(period)s by %(last_day)s (due date plus "
                    "grace period) and has not published it."
                )
                % values
            )
        published = e["published_at"]
        if isinstance(published, datetime.datetime):
            published = timezone.localtime(published).strftime("%Y-%m-%d")
        return _(
            "The “%(module)s” disclosure for %(period)s was due by %(last_day)s and was published on %(published)s."
        ) % {**values, "published": str(published)[:10]}
