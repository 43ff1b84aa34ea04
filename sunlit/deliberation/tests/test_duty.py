"""Duty airing (晒权责): sessions, reports, dashboard, reminders; quarterly leader scores."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings

from sunlit.core.errors import NotFound, PermissionDenied
from sunlit.deliberation import reminders, selectors, services
from sunlit.deliberation.errors import DeliberationErrorCode, DeliberationRefused
from sunlit.deliberation.models import DutyReminder, DutyReport, LeaderScore

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 25, 9, 0, tzinfo=datetime.UTC)


def report(session, person, **extra):
    values = {
        "duties": "走访群众",
        "eight_rules_ok": True,
        "gifts_received": False,
        "obstruction": False,
    } | extra
    return services.duty_report_record(actor=None, session=session, person=person, now=NOW, **values)


def test_session_reports_and_dashboard(village_bodies, tree, django_assert_max_num_queries):
    session = services.duty_session_open(
        actor=None, village=tree.village, held_on=datetime.date(2026, 3, 20), now=NOW
    )
    members = services.session_members(session)
    assert len(members) == 9  # the party members' assembly; the secretary reports like everyone else
    report(session, members[0])
    report(session, members[1], gifts_received=True, gifts_note="收到购物卡一张，已上交")
    with pytest.raises(DeliberationRefused) as exc:  # "yes" to gifts without details
        report(session, members[2], gifts_received=True)
    assert exc.value.code == DeliberationErrorCode.INPUT_INVALID
    with pytest.raises(DeliberationRefused) as exc:
        report(session, members[0])
    assert exc.value.code == DeliberationErrorCode.REPORT_EXISTS
    outsider = village_bodies.people[14]
    with pytest.raises(DeliberationRefused) as exc:
        report(session, outsider)
    assert exc.value.code == DeliberationErrorCode.NOT_A_MEMBER
    with django_assert_max_num_queries(6):
        rows = selectors.duty_dashboard([tree.village, tree.sibling_village], datetime.date(2026, 3, 1))
    mine, sibling = rows
    assert mine["held"]
    assert mine["expected"] == 9
    assert mine["reported"] == 2
    assert len(mine["missing"]) == 7
    assert not sibling["held"]
    assert sibling["expected"] == 0
    services.duty_session_conclude(actor=None, session=session, conclusion="总体良好")
    with pytest.raises(DeliberationRefused) as exc:
        report(session, members[3])
    assert exc.value.code == DeliberationErrorCode.SESSION_CLOSED
    assert DutyReport.objects.count() == 2


def test_one_session_a_month(village_bodies, tree):
    services.duty_session_open(actor=None, village=tree.village, held_on=datetime.date(2026, 3, 2), now=NOW)
    with pytest.raises(DeliberationRefused):
        services.duty_session_open(
            actor=None, village=tree.village, held_on=datetime.date(2026, 3, 20), now=NOW
        )
    with pytest.raises(DeliberationRefused):  # not in the future
        services.duty_session_open(
            actor=None, village=tree.village, held_on=datetime.date(2026, 3, 26), now=NOW
        )


@override_settings(SUNLIT_NOTIFY_BACKEND="sunlit.supervision.notify.ConsoleBackend")
def test_reminders_once_per_village_and_month_from_the_reminder_day(village_bodies, tree, staff, capsys):
    assert reminders.duty_reminders_send(now=datetime.datetime(2026, 3, 19, 9, tzinfo=datetime.UTC)) == 0
    assert reminders.duty_reminders_send(now=datetime.datetime(2026, 3, 20, 9, tzinfo=datetime.UTC)) == 1
    out = capsys.readouterr().out
    assert "To: secretary" in out
    assert "To: chair" in out
    assert reminders.duty_reminders_send(now=datetime.datetime(2026, 3, 21, 9, tzinfo=datetime.UTC)) == 0
    assert DutyReminder.objects.get().missing == []


def test_no_reminder_when_everyone_reported(village_bodies, tree):
    session = services.duty_session_open(
        actor=None, village=tree.village, held_on=datetime.date(2026, 3, 10), now=NOW
    )
    for person in services.session_members(session):
        report(session, person)
    assert reminders.duty_reminders_send(now=NOW) == 0
    assert not DutyReminder.objects.exists()


def test_duty_permissions(village_bodies, tree, staff):
    with pytest.raises(PermissionDenied):
        services.duty_session_open(
            actor=staff.supervisor, village=tree.village, held_on=datetime.date(2026, 3, 2)
        )
    with pytest.raises(NotFound):
        services.duty_session_open(
            actor=staff.other_chair, village=tree.village, held_on=datetime.date(2026, 3, 2)
        )


# --- leader scores -----------------------------------------------------------------------------------------


ASPECTS = [
    "political_study", "supervision_of_decisions", "village_affairs_disclosure", "finance_supervision",
    "benefit_supervision", "complaint_handling", "duty_airing", "integrity_education", "own_conduct",
]  # fmt: skip


def scores(value: float) -> dict[str, float]:
    return dict.fromkeys(ASPECTS, value)


@pytest.fixture
def leaders(tree, make_person):
    return make_person(tree.village, "李纪检"), make_person(tree.sibling_village, "王纪检")


def score_quarters(tree, leaders, quarters, *, low_first=True):
    for q in quarters:
        services.leader_score_record(
            actor=None,
            village=tree.village,
            quarter=q,
            leader=leaders[0],
            scores=scores(5 if low_first else 8),
        )
        services.leader_score_record(
            actor=None,
            village=tree.sibling_village,
            quarter=q,
            leader=leaders[1],
            scores=scores(8 if low_first else 5),
        )


@pytest.mark.parametrize(
    ("quarters", "flagged"),
    [(["2025Q4", "2026Q1", "2026Q2"], False), (["2025Q3", "2025Q4", "2026Q1", "2026Q2"], True)],
)
def test_flag_after_exactly_four_consecutive_last_places(tree, leaders, quarters, flagged):
    score_quarters(tree, leaders, quarters)
    last = LeaderScore.objects.get(village=tree.village, quarter="2026Q2")
    assert last.last_place
    assert last.rank == 2
    assert last.flagged is flagged
    assert not LeaderScore.objects.get(village=tree.sibling_village, quarter="2026Q2").flagged


def test_streak_broken_by_one_better_quarter(tree, leaders):
    score_quarters(tree, leaders, ["2025Q2", "2025Q3"])
    score_quarters(tree, leaders, ["2025Q4"], low_first=False)
    score_quarters(tree, leaders, ["2026Q1", "2026Q2", "2026Q3"])
    assert not LeaderScore.objects.get(village=tree.village, quarter="2026Q3").flagged
    score_quarters(tree, leaders, ["2026Q4"])
    assert LeaderScore.objects.get(village=tree.village, quarter="2026Q4").flagged


def test_scores_are_validated_and_scoped(tree, leaders, staff):
    bad = scores(5) | {"own_conduct": 11}  # max 10
    with pytest.raises(DeliberationRefused) as exc:
        services.leader_score_record(
            actor=None, village=tree.village, quarter="2026Q1", leader=leaders[0], scores=bad
        )
    assert "own_conduct" in exc.value.fields
    with pytest.raises(DeliberationRefused):
        services.leader_score_record(
            actor=None, village=tree.village, quarter="2026-1", leader=leaders[0], scores=scores(5)
        )
    with pytest.raises(DeliberationRefused):  # leader of another village
        services.leader_score_record(
            actor=None, village=tree.village, quarter="2026Q1", leader=leaders[1], scores=scores(5)
        )
    row = services.leader_score_record(
        actor=staff.township, village=tree.village, quarter="2026Q1", leader=leaders[0], scores=scores(7.5)
    )
    assert str(row.total) == "67.50"
    with pytest.raises(PermissionDenied):
        services.leader_score_record(
            actor=staff.secretary, village=tree.village, quarter="2026Q1", leader=leaders[0], scores=scores(9)
        )
    with pytest.raises(NotFound):
        services.leader_score_record(
            actor=staff.far, village=tree.village, quarter="2026Q1", leader=leaders[0], scores=scores(9)
        )
    assert LeaderScore.objects.get().total == row.total
