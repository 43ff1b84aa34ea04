"""Anomaly injector for ``sunlit demo --anomalies``: a village that never published a periodic
disclosure it owes.

Registered in the supervision ground truth (sunlit.supervision.anomalies). Like the finance injectors
it builds what it needs itself, so it works whether or not the disclosure demo has run yet (the
supervision injection runs before the later domains' demo data): it picks a demo village, gives it a
village-level monthly schedule for the collective-economy module starting two months back, and
publishes nothing for it. The disclosure demo only fills the schedules set on the county, so the
owed periods stay missing; DISCLOSURE_PERIODIC_MISSING must raise exactly those keys. The due day is
chosen half a month away from today's day of month, so a sweep a few days later finds the same.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.supervision.anomalies import Expected, Injection, NoTarget, injector
from sunlit.supervision.vocab import RuleFamily

from .models import DisclosureSchedule
from .periods import obligations
from .services import schedule_set
from .vocab import DisclosureModule, ScheduleFrequency

MODULE = DisclosureModule.ECONOMY


@injector("disclosure.periodic_missing", RuleFamily.SEALS_DISCLOSURE, "DISCLOSURE_PERIODIC_MISSING")
def _periodic_missing(ctx: Injection) -> list[Expected]:
    """A village is told to publish its collective-economy accounts monthly and never does."""
    today = timezone.localtime(ctx.now).date()
    taken = DisclosureSchedule.objects.filter(region__level="village").values_list("region_id", flat=True)
    village = ctx.pick(ctx.villages().exclude(pk__in=list(taken)), "a demo village without its own schedule")
    month = today.replace(day=1)
    starts_on = (month - datetime.timedelta(days=1)).replace(day=1)
    starts_on = (starts_on - datetime.timedelta(days=1)).replace(day=1)  # two months back
    due_day = (today.day + 13) % 28 + 1
    schedule_set(
        actor=None,
        region=village,
        module=MODULE,
        frequency=ScheduleFrequency.MONTHLY,
        due_day=due_day,
        grace_days=0,
        starts_on=starts_on,
    )
    owed = [
        ob
        for ob in obligations([village], today=today)
        if ob.module == MODULE and ob.missing and ob.overdue(today)
    ]
    if not owed:
        raise NoTarget("an owed period already past its due day")
    return [
        Expected(
            "DISCLOSURE_PERIODIC_MISSING",
            f"{village.pk}:{ob.module}:{ob.period.label}",
            _("%(village)s never published its collective-economy accounts of %(period)s")
            % {"village": village.name, "period": ob.period.label},
        )
        for ob in owed
    ]
