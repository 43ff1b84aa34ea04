"""Configuration of complaint handling: time limits and routing, each a table with built-in defaults.

Time limits (``DeadlineRule`` rows override ``DEFAULT_LIMITS``) follow 信访工作条例 (2022) and the
discipline bodies' rules for reports (see docs/complaints.md). A limit of N calendar days from a
moment ends at 23:59:59 local time of the N-th day after it; N working days end at 23:59:59 of
``add_working_days(date, N)``. A deadline is missed only once that instant has passed.

Routing (``RoutingRule`` rows override ``DEFAULT_ROUTES``): the office responsible for a kind and
category; the office's level decides the region (township offices sit in the village's township,
county offices in its county).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from sunlit.core.calendar import add_working_days
from sunlit.regions.models import Region, RegionLevel

from .models import DeadlineRule, RoutingRule
from .vocab import Category, DayCount, DeadlineKey, Kind, Office

# --- time limits ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    days: int
    count: str  # DayCount


DEFAULT_LIMITS: dict[str, Limit] = {
    DeadlineKey.ACCEPT: Limit(15, DayCount.CALENDAR),  # decide on acceptance within 15 days
    DeadlineKey.REPORT_ACK: Limit(15, DayCount.WORKING),  # reports: acknowledge within 15 working days
    DeadlineKey.HANDLE: Limit(60, DayCount.CALENDAR),  # handle within 60 days of acceptance
    DeadlineKey.EXTENSION_MAX: Limit(30, DayCount.CALENDAR),  # one extension of at most 30 days
    DeadlineKey.REVIEW_REQUEST: Limit(30, DayCount.CALENDAR),  # request 复查/复核 within 30 days
    DeadlineKey.REVIEW_ANSWER: Limit(30, DayCount.CALENDAR),  # answer 复查/复核 within 30 days
    DeadlineKey.RATE: Limit(30, DayCount.CALENDAR),  # rate the answer; afterwards it closes
}


_cached: ContextVar[dict[str, Limit] | None] = ContextVar("complaint_limits", default=None)


def limit(key: str) -> Limit:
    cached = _cached.get()
    if cached is not None:
        return cached.get(key) or DEFAULT_LIMITS[key]
    row = DeadlineRule.objects.filter(key=key).first()
    if row is not None:
        return Limit(row.days, row.count)
    return DEFAULT_LIMITS[key]


@contextmanager
def limits_cached() -> Iterator[None]:
    """Read the configured limits once for a batch (the periodic job, the demo) instead of per deadline."""
    token = _cached.set({row.key: Limit(row.days, row.count) for row in DeadlineRule.objects.all()})
    try:
        yield
    finally:
        _cached.reset(token)


def end_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


def due_after(start: datetime.datetime, key: str, *, days: int | None = None) -> datetime.datetime:
    """The deadline ``key`` counted from ``start`` (``days`` overrides the configured number)."""
    rule = limit(key)
    n = rule.days if days is None else days
    day = timezone.localdate(start)
    if rule.count == DayCount.WORKING:
        return end_of_day(add_working_days(day, n))
    return end_of_day(day + datetime.timedelta(days=n))


def is_overdue(due: datetime.datetime | None, now: datetime.datetime | None = None) -> bool:
    return due is not None and (now or timezone.now()) > due


# --- routing ----------------------------------------------------------------------------------------------

TOWNSHIP_OFFICES = frozenset({Office.TOWNSHIP, Office.TOWNSHIP_DISCIPLINE})
DISCIPLINE_OFFICES = frozenset({Office.TOWNSHIP_DISCIPLINE, Office.RESIDENT_TEAM, Office.COUNTY_DISCIPLINE})

# (kind, category) → office; "" matches anything. Reports of wrongdoing go to the discipline bodies.
DEFAULT_ROUTES: dict[tuple[str, str], str] = {
    (Kind.REPORT, ""): Office.TOWNSHIP_DISCIPLINE,
    ("", Category.CONDUCT): Office.TOWNSHIP_DISCIPLINE,
    ("", Category.ASSETS): Office.TOWNSHIP,
    ("", Category.WORKS): Office.TOWNSHIP,
    ("", Category.WELFARE): Office.COUNTY_CIVIL_AFFAIRS,
    ("", Category.HOMESTEAD): Office.COUNTY_NATURAL_RESOURCES,
    ("", Category.LAND): Office.COUNTY_NATURAL_RESOURCES,
    ("", Category.SUBSIDY): Office.COUNTY_AGRICULTURE,
    ("", Category.OPENNESS): Office.TOWNSHIP,
    ("", Category.ELECTION): Office.TOWNSHIP,
    ("", Category.SEALS): Office.TOWNSHIP,
    ("", ""): Office.TOWNSHIP,
}


def _specificity(kind: str, category: str) -> int:
    return (2 if kind else 0) + (1 if category else 0)


def ancestor_at(region: Region, level: str) -> Region:
    """The ancestor of ``region`` at ``level`` (the region itself when it is at that level)."""
    if region.level == level:
        return region
    code_by_level = {r.level: r for r in Region.objects.filter(code__in=region.ancestor_codes())}
    found = code_by_level.get(level)
    if found is None:
        raise ValueError(f"{region.code} has no {level} above it")
    return found


def route(*, village: Region, kind: str, category: str) -> tuple[Region, str]:
    """The responsible unit (region, office) for a complaint about ``village``."""
    rules = list(
        RoutingRule.objects.filter(Q(region__isnull=True) | Q(region__code__in=village.ancestor_codes()))
        .filter(Q(kind="") | Q(kind=kind))
        .filter(Q(category="") | Q(category=category))
        .select_related("region")
    )
    office = None
    if rules:
        best = max(
            rules, key=lambda r: (r.region.depth if r.region else -1, _specificity(r.kind, r.category))
        )
        office = best.office
    if office is None:
        candidates = [(k, c) for (k, c) in DEFAULT_ROUTES if k in ("", kind) and c in ("", category)]
        office = DEFAULT_ROUTES[max(candidates, key=lambda kc: _specificity(*kc))]
    if kind == Kind.REPORT and office not in DISCIPLINE_OFFICES:
        office = Office.TOWNSHIP_DISCIPLINE  # a report never goes to the bodies it may accuse
    return unit_region(village, office), office


def unit_region(village: Region, office: str) -> Region:
    level = RegionLevel.TOWNSHIP if office in TOWNSHIP_OFFICES else RegionLevel.COUNTY
    return ancestor_at(village, level)


# Escalation ladder (Xinyang's loop): the routed unit → the resident discipline team → the county.
ESCALATION_OFFICES = {1: Office.RESIDENT_TEAM, 2: Office.COUNTY_DISCIPLINE}
TOP_LEVEL = 2


def review_unit(village: Region, stage: str) -> tuple[Region, str]:
    """Who answers a review (复查: the county letters-and-visits bureau) or a re-review (复核: the body
    above the county when it exists, otherwise the county discipline commission)."""
    county = ancestor_at(village, RegionLevel.COUNTY)
    if stage == "review":
        return county, Office.COUNTY_COMPLAINTS
    if county.parent_id:
        return county.parent, Office.COUNTY_COMPLAINTS
    return county, Office.COUNTY_DISCIPLINE


# --- abuse limits ----------------------------------------------------------------------------------------


def setting(name: str, default: str = "") -> str:
    """A setting from Django settings, else the environment variable of the same name."""
    value = getattr(settings, name, None)
    if value is None or value == "":
        value = os.environ.get(name, default)
    return str(value)


def setting_int(name: str, default: int) -> int:
    try:
        return int(setting(name, str(default)))
    except (TypeError, ValueError):
        return default


def duplicate_window_days() -> int:
    return setting_int("SUNLIT_COMPLAINT_DUPLICATE_DAYS", 30)
