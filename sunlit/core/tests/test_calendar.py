"""The working-day calendar: official schedules, data-source hand-over, overrides and caching."""

from datetime import date, datetime, timedelta

import chinese_calendar
import holidays
import pytest
from django.utils import translation

from sunlit.core import calendar
from sunlit.core.calendar import (
    add_working_days,
    calendar_warning,
    clear_calendar_cache,
    is_working_day,
    working_days_between,
    year_coverage,
)
from sunlit.core.errors import ValidationFailed
from sunlit.core.models import CalendarOverride
from sunlit.core.services import calendar_override_set

# Every lookup reads the overrides table (once per process, then cached).
pytestmark = pytest.mark.django_db

# Read from the package, independently of the module under test.
LAST_CHINESE_CALENDAR_YEAR = max(chinese_calendar.holidays).year
FIRST_HOLIDAYS_YEAR = LAST_CHINESE_CALENDAR_YEAR + 1


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_calendar_cache()
    yield
    clear_calendar_cache()


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


# --- The official schedule --------------------------------------------------------------------


@pytest.mark.parametrize("day", days(date(2025, 1, 28), date(2025, 2, 4)))
def test_spring_festival_2025_days_are_off(day):
    assert not is_working_day(day)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 1, 25), False),  # Saturday before: an ordinary weekend day
        (date(2025, 1, 26), True),  # Sunday, make-up working day
        (date(2025, 1, 27), True),  # Monday, last working day before the holiday
        (date(2025, 2, 5), True),  # Wednesday, first working day after it
        (date(2025, 2, 8), True),  # Saturday, make-up working day
        (date(2025, 2, 9), False),  # Sunday after: an ordinary weekend day
    ],
)
def test_spring_festival_2025_boundaries(day, expected):
    assert is_working_day(day) is expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 9, 28), False),  # Saturday
        (date(2024, 9, 29), True),  # Sunday, make-up working day
        (date(2024, 9, 30), True),  # Monday
        *[(d, False) for d in days(date(2024, 10, 1), date(2024, 10, 7))],
        (date(2024, 10, 8), True),  # Tuesday, first working day after the holiday
        (date(2024, 10, 12), True),  # Saturday, make-up working day
        (date(2024, 10, 13), False),  # Sunday
    ],
)
def test_national_day_2024(day, expected):
    assert is_working_day(day) is expected


@pytest.mark.parametrize("year", [2024, 2025, LAST_CHINESE_CALENDAR_YEAR])
def test_every_day_matches_chinese_calendar(year):
    for day in days(date(year, 1, 1), date(year, 12, 31)):
        assert is_working_day(day) is chinese_calendar.is_workday(day), day


# --- Counting ---------------------------------------------------------------------------------


def test_deadline_spanning_national_day():
    # Fri 27 Sep 2024 + 5 working days: Sun 29 Sep (make-up), Mon 30 Sep, then 1–7 Oct off,
    # Tue 8, Wed 9, Thu 10 Oct.
    assert add_working_days(date(2024, 9, 27), 5) == date(2024, 10, 10)


def test_deadline_spanning_spring_festival():
    # Fri 24 Jan 2025 + 3: Sun 26 (make-up), Mon 27, then 28 Jan–4 Feb off, Wed 5 Feb.
    assert add_working_days(date(2025, 1, 24), 3) == date(2025, 2, 5)
    # Wed 5 Feb + 3: Thu 6, Fri 7, Sat 8 (make-up).
    assert add_working_days(date(2025, 2, 5), 3) == date(2025, 2, 8)


def test_one_working_day_after_the_eve_of_a_holiday_is_after_the_holiday():
    assert add_working_days(date(2024, 9, 30), 1) == date(2024, 10, 8)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2024, 9, 27), date(2024, 9, 27)),  # a working Friday is its own result
        (date(2024, 9, 29), date(2024, 9, 29)),  # so is a make-up Sunday
        (date(2024, 9, 28), date(2024, 9, 29)),  # a Saturday off moves to the make-up Sunday
        (date(2024, 10, 1), date(2024, 10, 8)),  # a holiday moves past the whole holiday
        (date(2025, 2, 1), date(2025, 2, 5)),
    ],
)
def test_zero_days_is_the_start_or_the_next_working_day(start, expected):
    assert add_working_days(start, 0) == expected


def test_negative_n_is_refused():
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2024, 9, 27), -1)


@pytest.mark.parametrize("n", [1.0, "1", True])
def test_non_integer_n_is_refused(n):
    with pytest.raises(TypeError):
        add_working_days(date(2024, 9, 27), n)


@pytest.mark.parametrize(
    "call",
    [
        lambda: is_working_day(datetime(2024, 10, 1, 12)),
        lambda: add_working_days(datetime(2024, 10, 1, 12), 1),
        lambda: working_days_between(date(2024, 10, 1), datetime(2024, 10, 9)),
        lambda: is_working_day("2024-10-01"),
    ],
)
def test_datetimes_and_strings_are_refused(call):
    # A datetime never equals a date, so it would silently miss every holiday.
    with pytest.raises(TypeError):
        call()


def test_working_days_between_counts_after_start_up_to_end():
    assert working_days_between(date(2024, 9, 27), date(2024, 10, 10)) == 5
    assert working_days_between(date(2024, 9, 27), date(2024, 9, 27)) == 0
    assert working_days_between(date(2024, 9, 30), date(2024, 10, 7)) == 0  # only holidays
    assert working_days_between(date(2024, 9, 30), date(2024, 10, 8)) == 1
    assert working_days_between(date(2024, 12, 31), date(2025, 1, 2)) == 1  # 1 Jan off


def test_working_days_between_is_negative_when_end_is_before_start():
    assert working_days_between(date(2024, 10, 10), date(2024, 9, 27)) == -5


def test_counting_agrees_with_a_day_by_day_count_from_the_package():
    def naive_add(start: date, n: int) -> date:
        current = start
        while n:
            current += timedelta(days=1)
            if chinese_calendar.is_workday(current):
                n -= 1
        return current

    for start in days(date(2024, 9, 20), date(2024, 10, 15)) + days(date(2025, 1, 20), date(2025, 2, 10)):
        for n in range(1, 13):
            deadline = add_working_days(start, n)
            assert deadline == naive_add(start, n), (start, n)
            assert working_days_between(start, deadline) == n


# --- Coverage by data source ------------------------------------------------------------------


def test_coverage_by_year():
    assert year_coverage(2025) == "chinese_calendar"
    assert year_coverage(LAST_CHINESE_CALENDAR_YEAR) == "chinese_calendar"
    assert year_coverage(FIRST_HOLIDAYS_YEAR) == "holidays"
    assert year_coverage(2100) == "holidays"
    assert year_coverage(2101) == "none"
    assert year_coverage(2200) == "none"


def test_covered_year_has_no_warning():
    assert calendar_warning(2025) is None


def test_year_after_chinese_calendar_uses_holidays_package():
    year = FIRST_HOLIDAYS_YEAR
    assert year_coverage(year) == "holidays"
    assert not is_working_day(date(year, 10, 1))  # National Day
    assert not is_working_day(date(year, 1, 1))  # New Year's Day
    china = holidays.China(years=year)
    for day in china:
        if day.year == year:
            assert not is_working_day(day), day
    for day in china.weekend_workdays:
        if day.year == year:
            assert is_working_day(day), day


def test_holidays_year_counts_weekend_holidays_on_the_next_weekday():
    # 2090 is served by the holidays package by rule only: 1 Oct 2090 is a Sunday, so the three
    # National Day days (Sun–Tue) are followed by a compensating Wednesday (《放假办法》 补假).
    assert date(2090, 10, 1).weekday() == 6
    assert year_coverage(2090) == "holidays"
    assert [is_working_day(d) for d in days(date(2090, 9, 29), date(2090, 10, 5))] == [
        True,  # Fri
        False,  # Sat
        False,  # Sun 1 Oct
        False,  # Mon 2 Oct
        False,  # Tue 3 Oct
        False,  # Wed, compensating Sunday 1 Oct
        True,  # Thu
    ]


def test_holidays_year_without_a_notice_warns_about_make_up_days():
    with translation.override("en"):  # the assertions quote the English message
        warning = calendar_warning(2090)
    assert warning is not None
    assert "2090" in warning
    assert "make-up working days" in warning


def test_holidays_package_make_up_days_are_working_days(monkeypatch):
    # Pretend chinese_calendar stops at 2024, so 2025 comes from the holidays package, whose
    # weekend_workdays carry the State Council's make-up days.
    monkeypatch.setattr(calendar, "_chinese_calendar_years", lambda: (2004, 2024))
    clear_calendar_cache()
    assert year_coverage(2025) == "holidays"
    assert calendar_warning(2025) is None  # the package carries the 2025 notice
    assert is_working_day(date(2025, 1, 26))
    assert is_working_day(date(2025, 2, 8))
    assert not any(is_working_day(d) for d in days(date(2025, 1, 28), date(2025, 2, 4)))
    assert add_working_days(date(2025, 1, 24), 3) == date(2025, 2, 5)


def test_holidays_package_make_up_day_from_next_years_notice(monkeypatch):
    # The 2007 notice made Sat 30 and Sun 31 Dec 2006 working days; they belong to 2006.
    monkeypatch.setattr(calendar, "_chinese_calendar_years", lambda: (2010, 2024))
    clear_calendar_cache()
    assert year_coverage(2006) == "holidays"
    assert is_working_day(date(2006, 12, 30))
    assert is_working_day(date(2006, 12, 31))


def test_year_without_data_counts_monday_to_friday():
    assert year_coverage(2200) == "none"
    week = days(date(2200, 9, 29), date(2200, 10, 5))  # Mon 29 Sep .. Sun 5 Oct
    assert [d.weekday() for d in week] == [0, 1, 2, 3, 4, 5, 6]
    assert [is_working_day(d) for d in week] == [True, True, True, True, True, False, False]
    assert is_working_day(date(2200, 1, 1))  # a Wednesday, New Year's Day unknown
    assert add_working_days(date(2200, 10, 3), 1) == date(2200, 10, 6)  # Fri + 1 = Mon
    assert add_working_days(date(2200, 10, 4), 0) == date(2200, 10, 6)  # Sat, n=0 → Mon


def test_year_without_data_has_a_warning():
    with translation.override("en"):  # the assertions quote the English message
        warning = calendar_warning(2200)
    assert warning is not None
    assert "2200" in warning
    assert "Monday to Friday" in warning


# --- Overrides --------------------------------------------------------------------------------


def test_overrides_win_over_every_source(make_user):
    admin = make_user()
    saturday, wednesday = date(2024, 11, 2), date(2024, 11, 6)
    assert (saturday.weekday(), wednesday.weekday()) == (5, 2)
    for day, working in [
        (saturday, True),
        (wednesday, False),
        (date(2024, 10, 1), True),  # a statutory holiday made a working day
        (date(2024, 9, 29), False),  # a make-up Sunday made a day off
        (date(2200, 1, 1), False),  # a year without data
    ]:
        CalendarOverride.objects.create(date=day, is_working_day=working, reason="test", created_by=admin)
    clear_calendar_cache()

    assert is_working_day(saturday)
    assert not is_working_day(wednesday)
    assert is_working_day(date(2024, 10, 1))
    assert not is_working_day(date(2024, 9, 29))
    assert not is_working_day(date(2200, 1, 1))
    # Mon 4 Nov + 4: Tue 5, (Wed 6 off), Thu 7, Fri 8, (Sat 9, Sun 10), Mon 11.
    assert add_working_days(date(2024, 11, 4), 4) == date(2024, 11, 11)
    # Fri 1 Nov + 1 is the Saturday made a working day.
    assert add_working_days(date(2024, 11, 1), 1) == saturday


def test_calendar_override_set_clears_the_cache_on_commit(make_user, django_capture_on_commit_callbacks):
    # given a Saturday, read once so the (empty) overrides are cached
    admin = make_user()
    saturday = date(2024, 11, 2)
    assert not is_working_day(saturday)

    # when an override is written, the cache is kept until the transaction commits
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        override = calendar_override_set(
            actor=admin, date=saturday, is_working_day=True, reason="Local election day swap"
        )
        assert not is_working_day(saturday)
    assert len(callbacks) == 1
    assert not is_working_day(saturday)
    callbacks[0]()

    # then the next lookup reads the new override
    assert is_working_day(saturday)
    assert override.created_by == admin
    assert override.reason == "Local election day swap"


def test_calendar_override_set_replaces_an_earlier_override(make_user, django_capture_on_commit_callbacks):
    first, second = make_user(), make_user()
    wednesday = date(2024, 11, 6)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_override_set(actor=first, date=wednesday, is_working_day=False, reason="Flood")
    assert not is_working_day(wednesday)

    with django_capture_on_commit_callbacks(execute=True):
        override = calendar_override_set(
            actor=second, date=wednesday, is_working_day=True, reason="  Flood day cancelled  "
        )
    assert is_working_day(wednesday)
    assert CalendarOverride.objects.count() == 1
    override.refresh_from_db()
    assert (override.is_working_day, override.reason, override.created_by) == (
        True,
        "Flood day cancelled",
        second,
    )


@pytest.mark.parametrize(
    ("reason", "code"), [("", "reason_required"), ("   ", "reason_required"), ("x" * 201, "reason_too_long")]
)
def test_calendar_override_set_requires_a_short_reason(reason, code):
    with pytest.raises(ValidationFailed) as excinfo:
        calendar_override_set(actor=None, date=date(2024, 11, 6), is_working_day=False, reason=reason)
    assert excinfo.value.code == code
    assert "reason" in excinfo.value.fields
    assert not CalendarOverride.objects.exists()


def test_calendar_override_set_refuses_a_datetime():
    with pytest.raises(ValidationFailed) as excinfo:
        calendar_override_set(actor=None, date=datetime(2024, 11, 6, 9), is_working_day=False, reason="x")
    assert excinfo.value.code == "invalid_date"


def test_overrides_are_read_once_then_served_from_memory(django_assert_num_queries):
    with django_assert_num_queries(1):
        is_working_day(date(2024, 10, 1))
    with django_assert_num_queries(0):
        assert add_working_days(date(2024, 1, 2), 200) > date(2024, 1, 2)
        working_days_between(date(2024, 1, 1), date(2025, 12, 31))


def test_other_processes_see_a_new_override_after_the_maximum_age(monkeypatch):
    # given a process that has cached the overrides
    clock = [1000.0]
    monkeypatch.setattr(calendar, "_monotonic", lambda: clock[0])
    saturday = date(2024, 11, 2)
    assert not is_working_day(saturday)

    # when another process writes an override (no cache clearing reaches this one)
    CalendarOverride.objects.create(date=saturday, is_working_day=True, reason="elsewhere")

    # then this process keeps its copy until it is older than the maximum age, then reloads
    clock[0] += calendar.OVERRIDES_MAX_AGE_SECONDS - 1
    assert not is_working_day(saturday)
    clock[0] += 2
    assert is_working_day(saturday)
