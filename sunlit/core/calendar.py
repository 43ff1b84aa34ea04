"""The working-day calendar of mainland China, for legal deadlines counted in 工作日.

Where a date's status comes from, first match wins:

1. an administrator's :class:`~sunlit.core.models.CalendarOverride` for that date;
2. the ``chinesecalendar`` package (``chinese_calendar``) for the years it ships data for: the
   State Council's yearly schedule, with statutory holidays, bridging days off and make-up
   working days (调休, weekend days that are working days);
3. the ``holidays`` package for later years (and for years before ``chinese_calendar`` starts).
   Its ``China`` class lists days off, and its ``weekend_workdays`` attribute lists the make-up
   working days of the years whose State Council notice it carries. For a year without a notice
   it knows only the statutory days (and their weekday compensation), not the bridging days and
   make-up working days; :func:`calendar_warning` says so;
4. otherwise Monday to Friday are working days.

Conventions for counting:

* :func:`add_working_days` counts from the day after ``start``: the deadline of "within 5
  working days of 27 Sep 2024" is ``add_working_days(date(2024, 9, 27), 5)``, i.e. 10 Oct 2024.
  With ``n=0`` it returns ``start`` if that is a working day and otherwise the next working day.
* :func:`working_days_between` counts the working days in the half-open interval
  ``(start, end]``, so ``working_days_between(s, add_working_days(s, n)) == n`` for every ``n >= 1``.

Performance: the per-year schedule is computed once per process and year. All overrides are
loaded with one query and kept for at most :data:`OVERRIDES_MAX_AGE_SECONDS`;
:func:`clear_calendar_cache` drops them at once (``calendar_override_set`` calls it after commit).
The age limit bounds how long *other* processes (web workers, the task worker) keep an outdated
copy, since clearing only reaches the process that wrote the override.
"""

from __future__ import annotations

import datetime
import functools
import time
from enum import StrEnum

import chinese_calendar
import holidays
from django.utils.translation import gettext
from holidays.constants import PUBLIC

from .models import CalendarOverride

ONE_DAY = datetime.timedelta(days=1)

# How long a process trusts its copy of the overrides before reading them again.
OVERRIDES_MAX_AGE_SECONDS = 300.0

# Indirection so tests can move the clock without patching the time module for everyone.
_monotonic = time.monotonic


class CalendarSource(StrEnum):
    """Where the holiday schedule of a year comes from (values returned by :func:`year_coverage`)."""

    # The chinesecalendar package: the State Council's full schedule, including make-up days.
    CHINESE_CALENDAR = "chinese_calendar"
    # The holidays package: full schedule for years with a notice, statutory days otherwise.
    HOLIDAYS = "holidays"
    # No data: Monday to Friday are working days, corrected only by overrides.
    NONE = "none"


# --- Data sources -----------------------------------------------------------------------------


@functools.cache
def _chinese_calendar_years() -> tuple[int, int]:
    """First and last year chinese_calendar has data for, read from the package's own tables.

    The package validates dates against the range of its ``holidays`` table, so we do the same.
    """
    years = [d.year for d in chinese_calendar.holidays]
    return min(years), max(years)


def _holidays_years() -> tuple[int, int]:
    """Years for which the holidays package computes China's holidays at all."""
    return holidays.China.start_year, holidays.China.end_year


def _holidays_has_notice(year: int) -> bool:
    """Whether the holidays package carries the State Council's schedule for ``year``.

    The substituted days off (with their make-up working days) of each notice sit in the
    ``special_public_holidays`` table of ``ChinaStaticHolidays``. If a future release moves that
    table, this answers False, which only adds a warning.
    """
    try:
        from holidays.countries.china import ChinaStaticHolidays
    except ImportError:  # pragma: no cover - depends on the installed release
        return False
    return year in getattr(ChinaStaticHolidays, "special_public_holidays", {})


def year_coverage(year: int) -> str:
    """Name the source of ``year``'s holiday schedule: a :class:`CalendarSource` value.

    ``"chinese_calendar"`` or ``"holidays"`` when a package covers the year, ``"none"`` when no
    data source has China's holidays for it; such a year counts Monday to Friday as working days,
    corrected only by overrides.
    """
    first, last = _chinese_calendar_years()
    if first <= year <= last:
        return CalendarSource.CHINESE_CALENDAR
    first, last = _holidays_years()
    if first <= year <= last:
        return CalendarSource.HOLIDAYS
    return CalendarSource.NONE


def calendar_warning(year: int) -> str | None:
    """A translated warning when deadlines in ``year`` may be wrong, or None when it is covered.

    Warns for a year with no holiday data (counted Monday to Friday), and for a year the holidays
    package knows only by the statutory rules (the State Council's schedule with its bridging
    days off and make-up working days is not in the data yet). Administrators fix either by
    adding calendar overrides.
    """
    coverage = year_coverage(year)
    if coverage == CalendarSource.NONE:
        return gettext(
            "Dates in %(year)s are counted Monday to Friday only, because no holiday data covers "
            "that year. An administrator should add calendar overrides for its public holidays "
            "and make-up working days."
        ) % {"year": year}
    if coverage == CalendarSource.HOLIDAYS and not _holidays_has_notice(year):
        return gettext(
            "Dates in %(year)s use the statutory public holidays only: the State Council's "
            "schedule for that year (extra days off and make-up working days) is not in the "
            "holiday data. An administrator should add calendar overrides once it is published."
        ) % {"year": year}
    return None


@functools.lru_cache(maxsize=64)
def _year_exceptions(year: int) -> frozenset[datetime.date]:
    """Dates of ``year`` whose status differs from the Monday-to-Friday rule.

    That is the weekdays off (holidays, bridging days) and the weekend working days (调休).
    """
    coverage = year_coverage(year)
    if coverage == CalendarSource.NONE:
        return frozenset()
    if coverage == CalendarSource.CHINESE_CALENDAR:
        is_workday = chinese_calendar.is_workday
    else:
        # weekend_workdays also holds make-up days that a later year's notice puts in this year
        # (e.g. 30–31 Dec 2006 from the 2007 notice): the package collects them from all years.
        china = holidays.China(years=year, categories=(PUBLIC,))
        is_workday = china.is_working_day
    exceptions = set()
    day = datetime.date(year, 1, 1)
    while day.year == year:
        if is_workday(day) != (day.weekday() < 5):
            exceptions.add(day)
        day += ONE_DAY
    return frozenset(exceptions)


# --- Overrides --------------------------------------------------------------------------------

# (overrides by date, monotonic time they were read) or None when not loaded. One tuple, replaced
# whole, so concurrent readers always see a matching pair without a lock.
_overrides_cache: tuple[dict[datetime.date, bool], float] | None = None


def _overrides() -> dict[datetime.date, bool]:
    global _overrides_cache
    cached = _overrides_cache
    now = _monotonic()
    if cached is not None and now - cached[1] < OVERRIDES_MAX_AGE_SECONDS:
        return cached[0]
    loaded = dict(CalendarOverride.objects.values_list("date", "is_working_day"))
    _overrides_cache = (loaded, now)
    return loaded


def clear_calendar_cache() -> None:
    """Forget the overrides (and the per-year schedules) so the next lookup reads them again.

    Call it after writing an override, from ``transaction.on_commit`` so a rolled-back write is
    never cached. It only reaches the current process; others reload within
    :data:`OVERRIDES_MAX_AGE_SECONDS`.
    """
    global _overrides_cache
    _overrides_cache = None
    _year_exceptions.cache_clear()


# --- Public API -------------------------------------------------------------------------------


def _require_date(value: object, name: str) -> None:
    # A datetime is a date subclass but never equal to one, so it would silently miss every
    # holiday; an aware datetime must first be turned into a local date by the caller.
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise TypeError(
            f"{name} must be a datetime.date, not {type(value).__name__}; "
            "convert datetimes with django.utils.timezone.localdate()"
        )


def is_working_day(d: datetime.date) -> bool:
    """Whether ``d`` is a working day in mainland China (overrides first, then the data sources)."""
    _require_date(d, "d")
    override = _overrides().get(d)
    if override is not None:
        return override
    return (d.weekday() < 5) != (d in _year_exceptions(d.year))


def add_working_days(start: datetime.date, n: int) -> datetime.date:
    """The date that is ``n`` working days after ``start``: the deadline of "N 工作日" from ``start``.

    Counting starts on the day after ``start`` (``start`` itself never counts), so the result is
    always a working day. ``n=0`` returns ``start`` when it is a working day, else the next
    working day. Raises ValueError for a negative ``n``.
    """
    _require_date(start, "start")
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, not {type(n).__name__}")
    if n < 0:
        raise ValueError("n must not be negative")
    current = start
    if n == 0:
        while not is_working_day(current):
            current += ONE_DAY
        return current
    remaining = n
    while remaining:
        current += ONE_DAY
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """The number of working days in ``(start, end]``: after ``start``, up to and including ``end``.

    Zero when ``start == end``. When ``end`` is before ``start`` the result is negative:
    ``-working_days_between(end, start)`` (e.g. how many working days a deadline is overdue).
    """
    _require_date(start, "start")
    _require_date(end, "end")
    if end < start:
        return -working_days_between(end, start)
    count = 0
    current = start + ONE_DAY
    while current <= end:
        if is_working_day(current):
            count += 1
        current += ONE_DAY
    return count
