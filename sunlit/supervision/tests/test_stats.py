"""Dashboard figures against hand counts, region scoping and bounded queries."""

import datetime

import pytest

from sunlit.accounts.roles import Role
from sunlit.core.errors import NotFound
from sunlit.supervision import stats
from sunlit.supervision.models import Alert
from sunlit.supervision.tests.conftest import CST

pytestmark = pytest.mark.django_db

JAN = datetime.datetime(2026, 1, 10, 9, 0, tzinfo=CST)
FEB = datetime.datetime(2026, 2, 3, 9, 0, tzinfo=CST)
H = datetime.timedelta(hours=1)


def make_alert(
    n, village, *, rule="TIME_STEP_OVERDUE", family="time", severity="red", status="open", at=JAN, **kw
):
    return Alert.objects.create(
        key=f"{rule}:{n}",
        rule_code=rule,
        family=family,
        severity=severity,
        status=status,
        village=village,
        subject=f"test:{n}",
        title=f"alert {n}",
        explanation="x",
        first_seen_at=at,
        last_seen_at=at,
        handling_region=village.parent,
        **kw,
    )


@pytest.fixture
def alerts(tree):
    """Seven alerts: six in 十里镇 (two villages), one in 寨河镇; hand-counted below."""
    v, s, far = tree.village, tree.sibling_village, tree.far_village
    return [
        make_alert(1, v, status="open"),
        make_alert(2, v, status="claimed", claimed_at=JAN + 2 * H),
        make_alert(
            3, v, status="dismissed", dismiss_reason="误报", claimed_at=JAN + 4 * H, resolved_at=JAN + 5 * H
        ),
        make_alert(
            4,
            s,
            rule="PROC_VOTE_RULES",
            family="procedure",
            severity="yellow",
            status="closed",
            at=FEB,
            claimed_at=FEB + 6 * H,
            resolved_at=FEB + 7 * H,
            closed_at=FEB + 10 * H,
        ),
        make_alert(
            5, s, rule="PROC_VOTE_RULES", family="procedure", severity="blue", status="rectifying", at=FEB
        ),
        make_alert(
            6, s, rule="PROC_VOTE_RULES", family="procedure", severity="yellow", status="verified", at=FEB
        ),
        make_alert(
            7,
            far,
            status="closed",
            at=FEB,
            claimed_at=FEB + 1 * H,
            closed_at=FEB + 30 * H,
        ),
    ]


def by_key(rows, key="key", value="n"):
    return {r[key]: r[value] for r in rows}


def test_county_figures_match_hand_counts(alerts, people, tree):
    figures = stats.alert_stats(people.county_discipline, tree.county)
    assert figures["total"] == 7
    assert by_key(figures["by_colour"]) == {"red": 4, "yellow": 2, "blue": 1}
    assert by_key(figures["by_status"]) == {
        "open": 1,
        "claimed": 1,
        "verified": 1,
        "dismissed": 1,
        "rectifying": 1,
        "closed": 2,
    }
    assert by_key(figures["by_family"]) == {"time": 4, "procedure": 3}
    assert figures["by_month"] == [
        {"month": "2026-01", "total": 3, "red": 3, "yellow": 0, "blue": 0},
        {"month": "2026-02", "total": 4, "red": 1, "yellow": 2, "blue": 1},
    ]
    assert figures["rectification"] == {"rectified": 2, "not_rectified": 2}
    # claims after 2, 4, 6 and 1 hours → median 3; closes after 10 and 30 hours → median 20
    assert figures["median_hours_to_claim"] == 3.0
    assert figures["median_hours_to_close"] == 20.0
    rules = {r["code"]: r for r in figures["by_rule"]}
    # TIME_STEP_OVERDUE: 4 alerts; decided = dismissed #3 + closed #7 = 2; one dismissed → precision 0.5
    assert (rules["TIME_STEP_OVERDUE"]["total"], rules["TIME_STEP_OVERDUE"]["decided"]) == (4, 2)
    assert rules["TIME_STEP_OVERDUE"]["dismissed_share"] == 0.5
    assert rules["TIME_STEP_OVERDUE"]["precision"] == 0.5
    # PROC_VOTE_RULES: 3 alerts, all decided (closed, rectifying, verified), none dismissed → precision 1
    assert (rules["PROC_VOTE_RULES"]["decided"], rules["PROC_VOTE_RULES"]["precision"]) == (3, 1.0)
    # drill-down: the county's two townships
    assert [(r["name"], r["total"], r["red"], r["open"]) for r in figures["by_region"]] == [
        ("十里镇", 6, 3, 2),
        ("寨河镇", 1, 1, 0),
    ]


def test_township_and_village_levels(alerts, people, tree):
    figures = stats.alert_stats(people.county_discipline, tree.township)
    assert figures["total"] == 6
    assert [(r["name"], r["total"]) for r in figures["by_region"]] == [("十里村", 3), ("王湾村", 3)]
    village = stats.alert_stats(people.county_discipline, tree.village)
    assert village["total"] == 3
    assert village["by_region"] == []
    assert village["median_hours_to_close"] is None


def test_figures_are_scoped_to_the_user(alerts, people, tree, make_user):
    # the township discipline office sees only its township, whatever region it asks about
    assert stats.alert_stats(people.township_discipline, None)["total"] == 6
    with pytest.raises(NotFound):
        stats.stats_scope(people.township_discipline, tree.county.code)
    assert stats.stats_scope(people.township_discipline, None) == tree.township
    assert stats.stats_scope(people.township_discipline, tree.village.code) == tree.village
    nobody = make_user(Role.VILLAGE_COMMITTEE, tree.village)
    assert stats.stats_scope(nobody, None) is None
    assert stats.alert_stats(nobody, None)["total"] == 0


def test_a_rule_without_decisions_has_no_precision(tree, people):
    make_alert(1, tree.village, status="open")
    (row,) = stats.alert_stats(people.county_discipline, tree.county)["by_rule"]
    assert (row["decided"], row["precision"], row["dismissed_share"]) == (0, None, None)


def test_query_count_is_constant(alerts, people, tree, django_assert_num_queries):
    user = people.county_discipline
    stats.alert_stats(user, tree.county)  # warm the permission cache on the user
    with django_assert_num_queries(9) as first:
        stats.alert_stats(user, tree.county)
    for n in range(10, 30):
        make_alert(n, tree.far_village, severity="blue")
    with django_assert_num_queries(len(first.captured_queries)):
        figures = stats.alert_stats(user, tree.county)
    assert figures["total"] == 27
