"""Anomaly injector for ``sunlit demo --anomalies``: a periodic disclosure that never went out.

Registered in the supervision ground truth (sunlit.supervision.anomalies). It picks, deterministically,
one demo village with a satisfied owed period and withdraws-by-DBA the disclosure that satisfied it
(its row is moved to a period nobody owes), which is what a cadre deleting a posting would look like.
The rule DISCLOSURE_PERIODIC_MISSING must then raise exactly that key.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.supervision.anomalies import Expected, Injection, NoTarget, injector
from sunlit.supervision.vocab import RuleFamily

from .models import Disclosure, DisclosureVersion
from .periods import obligations
from .vocab import DisclosureModule


@injector("disclosure.periodic_missing", RuleFamily.SEALS_DISCLOSURE, "DISCLOSURE_PERIODIC_MISSING")
def _periodic_missing(ctx: Injection) -> list[Expected]:
    """A monthly finance disclosure disappears (its period moved off the owed month by a DBA)."""
    today = timezone.localtime(ctx.now).date()
    villages = list(ctx.villages().order_by("pk")[:50])
    met = [
        ob
        for ob in obligations(villages, today=today, since=today - datetime.timedelta(days=120))
        if not ob.missing and not ob.late(today) and ob.module == DisclosureModule.ASSETS
    ]
    if not met:
        raise NoTarget("a village with a satisfied monthly finance disclosure")
    ob = ctx.rng.choice(sorted(met, key=lambda o: (o.village_id, o.period.start)))
    disclosure = Disclosure.objects.get(code=ob.code)
    # Every version is moved, so no correction can bring the period back.
    DisclosureVersion.objects.filter(disclosure=disclosure).update(
        period_start=ob.period.start - datetime.timedelta(days=3650),
        period_end=ob.period.end - datetime.timedelta(days=3650),
    )
    return [
        Expected(
            "DISCLOSURE_PERIODIC_MISSING",
            f"{ob.village_id}:{ob.module}:{ob.period.label}",
            _("Monthly finance disclosure %(code)s of %(period)s moved off its period")
            % {
                "code": ob.code,
                "period": ob.period.label,
            },
        )
    ]
