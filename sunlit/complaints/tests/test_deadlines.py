"""Every time limit at its boundary (frozen time): on the deadline instant nothing is late, one second
later it is; working days skip weekends and holidays; extension once only and at most 30 days."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from sunlit.complaints import config, services
from sunlit.complaints.errors import ComplaintErrorCode, ComplaintRefused
from sunlit.complaints.models import Complaint, ComplaintEvent, DeadlineRule
from sunlit.complaints.vocab import DayCount, Office, Rating, Stage, Status
from sunlit.core.calendar import add_working_days

pytestmark = pytest.mark.django_db

TZ = datetime.timezone(datetime.timedelta(hours=8))
T0 = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=TZ)  # a Monday
SECOND = datetime.timedelta(seconds=1)


def at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(23, 59, 59), tzinfo=TZ)


def test_acceptance_due_is_the_end_of_the_15th_calendar_day(file):
    with time_machine.travel(T0, tick=False):
        c = file().complaint
    assert c.accept_due == at(datetime.date(2026, 3, 17))


def test_report_acknowledgement_counts_working_days_over_a_holiday(file):
    # filed the Friday before Qingming (2026-04-04..06 off): 15 working days skip weekends and the holiday
    t = datetime.datetime(2026, 4, 3, 9, 0, tzinfo=TZ)
    with time_machine.travel(t, tick=False):
        c = file(kind="report", category="conduct").complaint
    assert c.accept_due == at(add_working_days(datetime.date(2026, 4, 3), 15))
    assert c.accept_due > at(datetime.date(2026, 4, 3) + datetime.timedelta(days=21))  # more than 3 weeks


@pytest.mark.parametrize(("delta", "escalated"), [(datetime.timedelta(0), False), (SECOND, True)])
def test_unaccepted_complaint_escalates_only_after_its_deadline(file, delta, escalated):
    with time_machine.travel(T0, tick=False):
        c = file().complaint
    counts = services.escalate_due(now=c.accept_due + delta)
    c.refresh_from_db()
    assert counts["escalated"] == int(escalated)
    assert (c.escalation_level, c.office) == (
        (1, Office.RESIDENT_TEAM) if escalated else (0, Office.TOWNSHIP)
    )


@pytest.mark.parametrize(("delta", "escalated"), [(datetime.timedelta(0), False), (SECOND, True)])
def test_handling_deadline_60_days_after_acceptance(file, staff, delta, escalated):
    with time_machine.travel(T0, tick=False):
        c = services.complaint_accept(actor=staff.leader, complaint=file().complaint)
    assert c.handle_due == at(datetime.date(2026, 5, 1))  # 2 March + 60 days
    assert services.escalate_due(now=c.handle_due + delta)["escalated"] == int(escalated)


def test_escalation_ladder_resident_team_then_county_then_stops(file, tree):
    with time_machine.travel(T0, tick=False):
        c = file().complaint
    services.escalate_due(now=c.accept_due + SECOND)
    c.refresh_from_db()
    assert (c.escalation_level, c.office, c.unit) == (1, Office.RESIDENT_TEAM, tree.county)
    services.escalate_due(now=c.accept_due + SECOND)
    c.refresh_from_db()
    assert (c.escalation_level, c.office) == (2, Office.COUNTY_DISCIPLINE)
    assert services.escalate_due(now=c.accept_due + datetime.timedelta(days=400))["escalated"] == 0
    assert ComplaintEvent.objects.filter(complaint=c, action="escalated_overdue").count() == 2


def test_repeated_runs_escalate_once(file):
    with time_machine.travel(T0, tick=False):
        c = file().complaint
    later = c.accept_due + SECOND
    assert services.escalate_due(now=later)["escalated"] == 1
    assert services.escalate_due(now=later)["escalated"] == 0  # new deadline not yet passed
    c.refresh_from_db()
    assert c.escalation_level == 1


def test_extension_once_at_most_30_days_with_reason(file, staff):
    with time_machine.travel(T0, tick=False):
        c = services.complaint_accept(actor=staff.leader, complaint=file().complaint)
        due = c.handle_due
        with pytest.raises(ComplaintRefused) as info:
            services.complaint_extend(actor=staff.leader, complaint=c, days=31, reason="需现场测量")
        assert info.value.code == ComplaintErrorCode.EXTENSION_TOO_LONG
        with pytest.raises(ComplaintRefused) as info:
            services.complaint_extend(actor=staff.leader, complaint=c, days=10, reason="  ")
        assert info.value.code == ComplaintErrorCode.REASON_REQUIRED
        c.refresh_from_db()
        assert (c.handle_due, c.extended) == (due, False)
        c = services.complaint_extend(actor=staff.leader, complaint=c, days=30, reason="需现场测量")
        assert c.handle_due == due + datetime.timedelta(days=30)
        with pytest.raises(ComplaintRefused) as info:
            services.complaint_extend(actor=staff.leader, complaint=c, days=1, reason="再延一天")
        assert info.value.code == ComplaintErrorCode.EXTENSION_USED
    c.refresh_from_db()
    assert c.handle_due == due + datetime.timedelta(days=30)


@pytest.mark.parametrize(("delta", "allowed"), [(datetime.timedelta(0), True), (SECOND, False)])
def test_extension_only_until_the_deadline(file, staff, delta, allowed):
    with time_machine.travel(T0, tick=False):
        c = services.complaint_accept(actor=staff.leader, complaint=file().complaint)
    with time_machine.travel(c.handle_due + delta, tick=False):
        if allowed:
            services.complaint_extend(actor=staff.leader, complaint=c, days=5, reason="等待测绘结果")
        else:
            with pytest.raises(ComplaintRefused) as info:
                services.complaint_extend(actor=staff.leader, complaint=c, days=5, reason="等待测绘结果")
            assert info.value.code == ComplaintErrorCode.OVERDUE


def _answered(file, staff):
    with time_machine.travel(T0, tick=False):
        c = services.complaint_accept(actor=staff.leader, complaint=file().complaint)
        return services.complaint_answer(actor=staff.leader, complaint=c, answer="已公开鱼塘承包费收支明细。")


@pytest.mark.parametrize(("delta", "allowed"), [(datetime.timedelta(0), True), (SECOND, False)])
def test_review_request_window_is_30_days(file, staff, delta, allowed):
    c = _answered(file, staff)
    assert c.request_until == at(datetime.date(2026, 4, 1))
    with time_machine.travel(c.request_until + delta, tick=False):
        if allowed:
            c = services.review_request(complaint=c, reason="账目仍不清楚")
            assert (c.stage, c.office, c.status) == (Stage.REVIEW, Office.COUNTY_COMPLAINTS, Status.ACCEPTED)
            assert c.handle_due == at(datetime.date(2026, 5, 1))
        else:
            with pytest.raises(ComplaintRefused) as info:
                services.review_request(complaint=c, reason="账目仍不清楚")
            assert info.value.code == ComplaintErrorCode.WINDOW_CLOSED


def test_review_then_re_review_then_no_more(file, staff, tree, make_user):
    c = _answered(file, staff)
    with time_machine.travel(T0 + datetime.timedelta(days=5), tick=False):
        c = services.review_request(complaint=c, reason="不服")
        c = services.complaint_answer(actor=staff.department, complaint=c, answer="复查意见：维持原答复。")
        c = services.review_request(complaint=c, reason="仍不服")
    assert (c.stage, c.unit, c.office) == (Stage.RE_REVIEW, tree.city, Office.COUNTY_COMPLAINTS)
    city_body = make_user("county_discipline", tree.city, "city")
    with time_machine.travel(T0 + datetime.timedelta(days=6), tick=False):
        # the county below cannot answer a re-review held by the city
        with pytest.raises(services.NotHandler):
            services.complaint_answer(actor=staff.cdiscipline, complaint=c, answer="复核意见：维持。")
        c = services.complaint_answer(actor=city_body, complaint=c, answer="复核意见：维持。")
        with pytest.raises(ComplaintRefused) as info:
            services.review_request(complaint=c, reason="还要再查")
    assert info.value.code == ComplaintErrorCode.REVIEW_NOT_ALLOWED


def test_review_answer_overdue_does_not_escalate_further(file, staff):
    c = _answered(file, staff)
    with time_machine.travel(T0 + datetime.timedelta(days=1), tick=False):
        c = services.review_request(complaint=c, reason="不服")
    assert services.escalate_due(now=c.handle_due + SECOND)["escalated"] == 0


@pytest.mark.parametrize(("delta", "closed"), [(datetime.timedelta(0), False), (SECOND, True)])
def test_unrated_answer_closes_after_the_rating_window(file, staff, delta, closed):
    c = _answered(file, staff)
    services.escalate_due(now=c.rate_until + delta)
    c.refresh_from_db()
    assert c.status == (Status.CLOSED if closed else Status.ANSWERED)


def test_not_satisfied_escalates_and_satisfied_closes(file, staff):
    c = _answered(file, staff)
    with time_machine.travel(T0 + datetime.timedelta(days=2), tick=False):
        c = services.complaint_rate(complaint=c, rating=Rating.NOT_SATISFIED)
        assert (c.status, c.escalation_level, c.office) == (Status.ACCEPTED, 1, Office.RESIDENT_TEAM)
        c = services.complaint_answer(actor=staff.cdiscipline, complaint=c, answer="派驻组核查后答复。")
        c = services.complaint_rate(complaint=c, rating=Rating.NOT_SATISFIED)
        assert (c.escalation_level, c.office) == (2, Office.COUNTY_DISCIPLINE)
        c = services.complaint_answer(actor=staff.cdiscipline, complaint=c, answer="县纪委监委答复。")
        c = services.complaint_rate(complaint=c, rating=Rating.NOT_SATISFIED)
        assert (c.status, c.escalation_level) == (Status.CLOSED, 2)  # top reached; a review may follow
        c = services.review_request(complaint=c, reason="仍不满意")
        assert c.stage == Stage.REVIEW


def test_rating_after_window_is_refused(file, staff):
    c = _answered(file, staff)
    with time_machine.travel(c.rate_until + SECOND, tick=False), pytest.raises(ComplaintRefused) as info:
        services.complaint_rate(complaint=c, rating=Rating.SATISFIED)
    assert info.value.code == ComplaintErrorCode.WINDOW_CLOSED
    c.refresh_from_db()
    assert c.rating == ""


def test_configured_limits_override_the_defaults(file):
    DeadlineRule.objects.create(key="accept", days=5, count=DayCount.WORKING)
    with time_machine.travel(T0, tick=False):
        c = file().complaint
    assert c.accept_due == at(datetime.date(2026, 3, 9))  # Monday + 5 working days


def test_is_overdue_boundary():
    due = timezone.make_aware(datetime.datetime(2026, 3, 17, 23, 59, 59))
    assert not config.is_overdue(due, due)
    assert config.is_overdue(due, due + SECOND)
    assert not config.is_overdue(None, due)


def test_escalation_is_exactly_once_under_the_unique_event(file):
    with time_machine.travel(T0, tick=False):
        c = file().complaint
    ComplaintEvent.objects.create(complaint=c, action="escalated_overdue", at=T0, note="original:0")
    # another worker recorded this escalation already: this run changes nothing
    assert services.escalate_due(now=c.accept_due + SECOND)["escalated"] == 0
    assert Complaint.objects.get(pk=c.pk).escalation_level == 0
