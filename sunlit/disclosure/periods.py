"""Periodic disclosures (定期公开): which periods a village owes, by when, and whether they were met.

A schedule (DisclosureSchedule) on a county applies to its villages unless a village has its own row
for the same module. A monthly schedule owes one disclosure per calendar month, a quarterly one per
calendar quarter, each due by ``due_day`` of the month after the period ends, with ``grace_days``
more calendar days allowed; the last acceptable day is ``due date + grace``. A published disclosure
*satisfies* a period when its module is the schedule's and its current version's period (from/until)
is exactly the period's first and last day. Only periods starting on or after ``starts_on`` are owed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from sunlit.regions.models import Region, RegionLevel

from .models import Disclosure, DisclosureSchedule
from .vocab import DisclosureStatus, ScheduleFrequency


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date
    label: str  # "2026-03" or "2026Q1"


@dataclass(frozen=True)
class Obligation:
    village_id: int
    module: str
    period: Period
    last_day: datetime.date  # due date + grace: publishing on this day is on time
    published_at: datetime.datetime | None  # the first satisfying publication, if any
    code: str  # its disclosure code, if any

    @property
    def missing(self) -> bool:
        return self.published_at is None

    def late(self, today: datetime.date) -> bool:
        if self.published_at is None:
            return today > self.last_day
        return timezone.localtime(self.published_at).date() > self.last_day

    def overdue(self, today: datetime.date) -> bool:
        """Missing after its last day."""
        return self.published_at is None and today > self.last_day


def _month_end(year: int, month: int) -> datetime.date:
    if month == 12:
        return datetime.date(year, 12, 31)
    return datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)


def period_of(frequency: str, day: datetime.date) -> Period:
    if frequency == ScheduleFrequency.QUARTERLY:
        quarter = (day.month - 1) // 3
        start = datetime.date(day.year, quarter * 3 + 1, 1)
        return Period(start, _month_end(day.year, quarter * 3 + 3), f"{day.year}Q{quarter + 1}")
    return Period(day.replace(day=1), _month_end(day.year, day.month), f"{day:%Y-%m}")


def periods_between(frequency: str, first: datetime.date, last: datetime.date) -> list[Period]:
    """Periods that start on or after ``first`` and end on or before ``last``."""
    out = []
    period = period_of(frequency, first)
    if period.start < first:
        period = period_of(frequency, period.end + datetime.timedelta(days=1))
    while period.end <= last:
        out.append(period)
        period = period_of(frequency, period.end + datetime.timedelta(days=1))
    return out


def last_day(schedule: DisclosureSchedule, period: Period) -> datetime.date:
    following = period.end + datetime.timedelta(days=1)
    return following.replace(day=schedule.due_day) + datetime.timedelta(days=schedule.grace_days)


def _ancestors(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def effective_schedules(villages: Iterable[Region]) -> dict[int, list[DisclosureSchedule]]:
    """For each village, the active schedules in force (its own rows override its county's)."""
    villages = list(villages)
    by_path: dict[str, list[DisclosureSchedule]] = {}
    paths = {p for v in villages for p in _ancestors(v.path)}
    for row in DisclosureSchedule.objects.filter(region__path__in=paths).select_related("region"):
        by_path.setdefault(row.region.path, []).append(row)
    out: dict[int, list[DisclosureSchedule]] = {}
    for village in villages:
        best: dict[str, DisclosureSchedule] = {}
        for path in _ancestors(village.path):  # shallow to deep: deeper rows override
            for row in by_path.get(path, ()):
                best[row.module] = row
        out[village.pk] = sorted((r for r in best.values() if r.active), key=lambda r: r.module)
    return out


def obligations(
    villages: QuerySet[Region] | Iterable[Region],
    *,
    today: datetime.date | None = None,
    since: datetime.date | None = None,
    include_current: bool = False,
) -> list[Obligation]:
    """Every owed period of the villages whose period ended on or after ``since`` and (unless
    ``include_current``) whose last day has passed, with the publication that met it, if any.
    Three queries whatever the number of villages."""
    today = today or timezone.localdate()
    villages = [v for v in villages if v.level == RegionLevel.VILLAGE]
    schedules = effective_schedules(villages)
    wanted: list[tuple[int, DisclosureSchedule, Period, datetime.date]] = []
    for village in villages:
        for schedule in schedules.get(village.pk, ()):
            first = max(schedule.starts_on, since) if since else schedule.starts_on
            for period in periods_between(schedule.frequency, first, today):
                due = last_day(schedule, period)
                if include_current or today > due:
                    wanted.append((village.pk, schedule, period, due))
    if not wanted:
        return []
    earliest = min(p.start for _v, _s, p, _d in wanted)
    modules = {s.module for _v, s, _p, _d in wanted}
    found: dict[tuple[int, str, datetime.date, datetime.date], tuple[datetime.datetime, str]] = {}
    rows = (
        Disclosure.objects.filter(
            village_id__in={v for v, _s, _p, _d in wanted},
            module__in=modules,
            status=DisclosureStatus.PUBLISHED,
            current__period_start__gte=earliest,
        )
        .values("village_id", "module", "current__period_start", "current__period_end")
        .annotate(first=Min("first_published_at"), code=Min("code"))
    )
    for row in rows:
        key = (row["village_id"], row["module"], row["current__period_start"], row["current__period_end"])
        found[key] = (row["first"], row["code"])
    out = []
    for village_id, schedule, period, due in wanted:
        hit = found.get((village_id, schedule.module, period.start, period.end))
        out.append(
            Obligation(
                village_id=village_id,
                module=schedule.module,
                period=period,
                last_day=due,
                published_at=hit[0] if hit else None,
                code=hit[1] if hit else "",
            )
        )
    return out


def villages_under(paths: list[str] | None, exclude: list[str] | None = None) -> QuerySet[Region]:
    qs = Region.objects.filter(level=RegionLevel.VILLAGE)
    if paths is not None:
        q = Q(pk__in=[])
        for path in paths:
            q |= Q(path__startswith=path)
        qs = qs.filter(q)
    for path in exclude or ():
        qs = qs.exclude(path__startswith=path)
    return qs.order_by("path")
