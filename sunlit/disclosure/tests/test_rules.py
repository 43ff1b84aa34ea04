"""Periodic disclosures: schedules, the supervision rule at its boundaries, and the injector."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from sunlit.core.errors import NotFound
from sunlit.disclosure.errors import DisclosureError
from sunlit.disclosure.periods import obligations, period_of, periods_between
from sunlit.disclosure.services import schedule_defaults, schedule_set
from sunlit.supervision.engine import run_rule
from sunlit.supervision.rules.base import REGISTRY

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
RULE = "DISCLOSURE_PERIODIC_MISSING"


def at(y, m, d, hh=12, mm=0):
    return datetime.datetime(y, m, d, hh, mm, tzinfo=TZ)


def keys(now, region=None):
    return sorted(f.key for f, _sev in run_rule(REGISTRY[RULE], now=now, region=region))


def test_periods():
    assert period_of("monthly", datetime.date(2026, 2, 14)).end == datetime.date(2026, 2, 28)
    q = period_of("quarterly", datetime.date(2026, 11, 3))
    assert (q.start, q.end, q.label) == (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31), "2026Q4")
    labels = [
        p.label for p in periods_between("monthly", datetime.date(2026, 1, 15), datetime.date(2026, 4, 30))
    ]
    assert labels == ["2026-02", "2026-03", "2026-04"]


@pytest.fixture
def monthly(tree):
    """Monthly finance for the county from March 2026, due by the 10th with 5 days' grace."""
    return schedule_set(
        actor=None, region=tree.county, module="assets", frequency="monthly", due_day=10, grace_days=5,
        starts_on=datetime.date(2026, 3, 1),
    )  # fmt: skip


def test_missing_exactly_at_last_day_vs_one_day_past(monthly, tree):
    # March is due by April 10 + 5 = April 15 (inclusive)
    assert keys(at(2026, 4, 15, 23, 59), tree.village) == []
    assert keys(at(2026, 4, 16, 0, 1), tree.village) == [f"{tree.village.pk}:assets:2026-03"]


def test_satisfied_on_time_late_and_wrong_period(monthly, tree, publish):
    march = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
    publish(module="assets", period_start=march[0], period_end=march[1], now=at(2026, 4, 15, 22))
    assert keys(at(2026, 4, 20), tree.village) == []
    # late: published one day after the last day
    publish(
        village=tree.sibling_village, actor=None, module="assets", period_start=march[0], period_end=march[1],
        now=at(2026, 4, 16, 9),
    )  # fmt: skip
    found = {
        f.key: (f, sev) for f, sev in run_rule(REGISTRY[RULE], now=at(2026, 4, 20), region=tree.township)
    }
    late = found[f"{tree.sibling_village.pk}:assets:2026-03"]
    assert late[1] == "blue"
    assert late[0].evidence["missing"] is False
    # a disclosure of another module or another period does not count
    publish(
        village=tree.far_village, actor=None, module="decisions", period_start=march[0], period_end=march[1]
    )
    publish(
        village=tree.far_village, actor=None, module="assets", period_start=march[0],
        period_end=datetime.date(2026, 3, 30),
    )  # fmt: skip
    assert f"{tree.far_village.pk}:assets:2026-03" in keys(at(2026, 4, 20))


def test_village_row_overrides_county_and_inactive(monthly, tree):
    schedule_set(
        actor=None, region=tree.village, module="assets", frequency="monthly", due_day=20, grace_days=0,
        starts_on=datetime.date(2026, 3, 1),
    )  # fmt: skip
    assert keys(at(2026, 4, 18), tree.village) == []  # its own due date is April 20
    assert keys(at(2026, 4, 21), tree.village) == [f"{tree.village.pk}:assets:2026-03"]
    schedule_set(
        actor=None, region=tree.village, module="assets", frequency="monthly", due_day=20, grace_days=0,
        starts_on=datetime.date(2026, 3, 1), active=False,
    )  # fmt: skip
    assert keys(at(2026, 4, 21), tree.village) == []


def test_no_schedule_no_alert(tree):
    assert keys(at(2026, 6, 1)) == []


def test_schedule_permissions_and_validation(tree, staff):
    with pytest.raises(NotFound):
        schedule_set(
            actor=staff.chair, region=tree.county, module="assets", frequency="monthly", due_day=10, grace_days=5,
            starts_on=datetime.date(2026, 1, 1),
        )  # fmt: skip
    with pytest.raises(DisclosureError):
        schedule_set(
            actor=staff.county_discipline, region=tree.county, module="assets", frequency="monthly", due_day=31,
            grace_days=5, starts_on=datetime.date(2026, 1, 1),
        )  # fmt: skip
    rows = schedule_defaults(
        actor=staff.county_discipline, county=tree.county, starts_on=datetime.date(2026, 1, 1)
    )
    assert sorted(r.module for r in rows) == ["assets", "decisions", "organisation"]
    assert schedule_defaults(actor=None, county=tree.county, starts_on=datetime.date(2026, 1, 1)) == []


def test_obligations_query_count(monthly, tree, django_assert_max_num_queries):
    from sunlit.regions.models import Region

    villages = list(Region.objects.filter(level="village"))
    with django_assert_max_num_queries(2):
        obs = obligations(villages, today=datetime.date(2026, 7, 1))
    # March, April and May are owed by July 1 in the county's three villages (not in the other county)
    assert len(obs) == 9
    assert {o.village_id for o in obs} == {tree.village.pk, tree.sibling_village.pk, tree.far_village.pk}
