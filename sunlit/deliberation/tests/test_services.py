"""Meetings, votes and motions: quorum and threshold boundaries, stage order, the dual-office merge,
notice periods and publications."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from sunlit.core.errors import NotFound, PermissionDenied
from sunlit.core.models import AuditEvent
from sunlit.deliberation import services
from sunlit.deliberation.errors import DeliberationErrorCode, DeliberationRefused
from sunlit.deliberation.models import Meeting, Motion, Resolution
from sunlit.deliberation.vocab import BodyKind, MotionStatus, Position, PublicationKind, StageStatus

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def at(days: float) -> datetime.datetime:
    return T0 + datetime.timedelta(days=days)


def hold(
    body, *, present: int, votes_for: int, against: int = 0, motion=None, start: float = 3, by_name=True
):
    """Convene ``body`` with due notice, mark the first ``present`` members present and vote."""
    meeting = services.meeting_convene(
        actor=None,
        body=body,
        title="会议",
        starts_at=at(start),
        notice_sent_at=at(start - 3),
        motion=motion,
        now=at(start - 3),
    )
    members = services.members_on(body, at(start).date())
    services.meeting_attendance(
        actor=None, meeting=meeting, present_ids=[p.pk for p in members[:present]], now=at(start)
    )
    if by_name:
        ballots = {p.pk: "for" for p in members[:votes_for]}
        ballots |= {p.pk: "against" for p in members[votes_for : votes_for + against]}
        return services.meeting_vote(actor=None, meeting=meeting, text="决议", ballots=ballots, now=at(start))
    return services.meeting_vote(
        actor=None,
        meeting=meeting,
        text="决议",
        tally={"for": votes_for, "against": against, "abstain": 0},
        now=at(start),
    )


# --- quorum and threshold -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("present", "votes_for", "quorum_met", "passed"),
    [
        (4, 4, True, True),  # exactly two-thirds present (4/6), all for
        (3, 3, False, False),  # one short of two-thirds: cannot pass even unanimously
        (6, 3, True, False),  # exactly half of those entitled agreeing: not "more than half"
        (6, 4, True, True),  # half + 1
        (4, 3, True, False),  # quorate, but 3 of 6 entitled is exactly half
    ],
)
def test_default_rule_boundaries_by_name(village_bodies, present, votes_for, quorum_met, passed):
    res = hold(village_bodies.two_committees, present=present, votes_for=votes_for)
    assert (res.expected, res.present, res.votes_for) == (6, present, votes_for)
    assert (res.quorum_met, res.passed) == (quorum_met, passed)


@pytest.mark.parametrize(("present", "quorum_met"), [(6, True), (5, False)])
def test_two_thirds_of_nine(village_bodies, present, quorum_met):
    res = hold(village_bodies.party_members, present=present, votes_for=present, by_name=False)
    assert res.quorum_met is quorum_met
    assert res.passed is quorum_met


@pytest.mark.parametrize(("votes_for", "passed"), [(4, True), (3, False)])
def test_county_requiring_two_thirds_agreement(tree, village_bodies, votes_for, passed):
    services.settings_set(
        actor=None,
        county=tree.county,
        values={"body_rules": {"two_committees": {"threshold": "2/3", "threshold_rule": "gte"}}},
    )
    res = hold(village_bodies.two_committees, present=6, votes_for=votes_for, by_name=False)
    assert res.passed is passed
    assert res.rule["threshold"] == "2/3"


def test_tally_cannot_exceed_present_and_absent_cannot_vote(village_bodies):
    body = village_bodies.two_committees
    meeting = services.meeting_convene(
        actor=None, body=body, title="会", starts_at=at(3), notice_sent_at=at(0), now=at(0)
    )
    members = services.members_on(body, at(3).date())
    services.meeting_attendance(
        actor=None, meeting=meeting, present_ids=[p.pk for p in members[:4]], now=at(3)
    )
    with pytest.raises(DeliberationRefused) as exc:
        services.meeting_vote(
            actor=None, meeting=meeting, text="x", tally={"for": 5, "against": 0, "abstain": 0}, now=at(3)
        )
    assert exc.value.code == DeliberationErrorCode.VOTE_INVALID
    with pytest.raises(DeliberationRefused) as exc:
        services.meeting_vote(
            actor=None, meeting=meeting, text="x", ballots={members[5].pk: "for"}, now=at(3)
        )
    assert exc.value.code == DeliberationErrorCode.VOTE_INVALID
    assert not Resolution.objects.exists()


def test_only_members_can_be_marked_present(village_bodies, tree, make_person):
    outsider = make_person(tree.village)
    body = village_bodies.branch_committee
    meeting = services.meeting_convene(
        actor=None, body=body, title="会", starts_at=at(3), notice_sent_at=at(0), now=at(0)
    )
    with pytest.raises(DeliberationRefused) as exc:
        services.meeting_attendance(actor=None, meeting=meeting, present_ids=[outsider.pk], now=at(3))
    assert exc.value.code == DeliberationErrorCode.NOT_A_MEMBER
    meeting.refresh_from_db()
    assert meeting.status == "scheduled"
    assert meeting.present is None


def test_membership_dates_decide_who_is_expected(village_bodies):
    body = village_bodies.branch_committee
    first = body.memberships.order_by("id").first()
    services.membership_end(actor=None, membership=first, ended_on=at(1).date())
    assert len(services.members_on(body, at(1).date())) == 3
    assert len(services.members_on(body, at(2).date())) == 2


def test_villagers_meeting_counts_households_from_the_registry(village_bodies, tree, make_person):
    # 15 persons of the fixture, each in their own household, plus two in one shared household.
    make_person(tree.village, household="SHARED")
    make_person(tree.village, household="SHARED")
    body = village_bodies.by_kind[BodyKind.VILLAGERS_MEETING]
    assert services.electorate_size(body, at(3).date()) == 16
    meeting = services.meeting_convene(
        actor=None, body=body, title="村民会议", starts_at=at(3), notice_sent_at=at(0), now=at(0)
    )
    with pytest.raises(DeliberationRefused):
        services.meeting_attendance(actor=None, meeting=meeting, present_count=17, now=at(3))
    # two-thirds of 16 is 10.67: 10 present is not quorate, 11 is; threshold is more than half of those present
    services.meeting_attendance(actor=None, meeting=meeting, present_count=11, now=at(3))
    res = services.meeting_vote(
        actor=None, meeting=meeting, text="x", tally={"for": 6, "against": 5, "abstain": 0}, now=at(3)
    )
    assert res.expected == 16
    assert res.quorum_met
    assert res.passed


def test_villagers_meeting_one_short_of_two_thirds(village_bodies, tree, make_person):
    make_person(tree.village)  # 16 households
    body = village_bodies.by_kind[BodyKind.VILLAGERS_MEETING]
    meeting = services.meeting_convene(
        actor=None, body=body, title="村民会议", starts_at=at(3), notice_sent_at=at(0), now=at(0)
    )
    services.meeting_attendance(actor=None, meeting=meeting, present_count=10, now=at(3))
    res = services.meeting_vote(
        actor=None, meeting=meeting, text="x", tally={"for": 10, "against": 0, "abstain": 0}, now=at(3)
    )
    assert not res.quorum_met
    assert not res.passed


def test_adult_villagers_electorate(tree, make_person):
    v = tree.village
    make_person(v, birth=datetime.date(2008, 3, 5))  # 18 on 2026-03-05
    make_person(v, birth=datetime.date(2008, 3, 6))  # one day short
    make_person(v, birth=datetime.date(1960, 1, 1))
    body = services.body_create(
        actor=None, village=v, kind=BodyKind.VILLAGERS_MEETING, electorate="adult_villagers"
    )
    assert services.electorate_size(body, datetime.date(2026, 3, 5)) == 2
    assert services.electorate_size(body, datetime.date(2026, 3, 6)) == 3


# --- notice ---------------------------------------------------------------------------------------------


def test_meeting_notice_exactly_three_days_is_enough_and_one_minute_less_is_refused(village_bodies):
    body = village_bodies.branch_committee
    services.meeting_convene(
        actor=None, body=body, title="ok", starts_at=at(3), notice_sent_at=at(0), now=at(0)
    )
    with pytest.raises(DeliberationRefused) as exc:
        services.meeting_convene(
            actor=None,
            body=body,
            title="late",
            starts_at=at(3) - datetime.timedelta(minutes=1),
            notice_sent_at=at(0),
            now=at(0),
        )
    assert exc.value.code == DeliberationErrorCode.NOTICE_TOO_SHORT
    assert Meeting.objects.count() == 1


def test_attendance_not_before_the_meeting_starts(village_bodies):
    body = village_bodies.branch_committee
    meeting = services.meeting_convene(
        actor=None, body=body, title="m", starts_at=at(3), notice_sent_at=at(0), now=at(0)
    )
    with pytest.raises(DeliberationRefused) as exc:
        services.meeting_attendance(
            actor=None, meeting=meeting, present_ids=[], now=at(3) - datetime.timedelta(seconds=1)
        )
    assert exc.value.code == DeliberationErrorCode.MEETING_NOT_STARTED


# --- motion stages ----------------------------------------------------------------------------------------


def test_stage_order_and_body_are_enforced(village_bodies, tree):
    motion = services.motion_open(actor=None, village=tree.village, title="修路", now=at(0))
    assert [s.key for s in motion.stages.order_by("position")] == [
        "propose", "consult", "review", "resolve", "publish_resolution", "implement", "publish_result", "evaluate",
    ]  # fmt: skip
    # the review body cannot meet before the proposal and consultation
    with pytest.raises(DeliberationRefused) as exc:
        services.meeting_convene(
            actor=None,
            body=village_bodies.party_members,
            title="x",
            starts_at=at(3),
            notice_sent_at=at(0),
            motion=motion,
            now=at(0),
        )
    assert exc.value.code == DeliberationErrorCode.WRONG_BODY
    # a task stage cannot be skipped to either
    with pytest.raises(DeliberationRefused) as exc:
        services.stage_complete(actor=None, motion=motion, note="done", now=at(1))
    assert exc.value.code == DeliberationErrorCode.RESOLUTION_REQUIRED
    # a failed vote keeps the stage active
    hold(village_bodies.branch_committee, present=3, votes_for=1, motion=motion)
    assert motion.stages.get(key="propose").status == StageStatus.ACTIVE
    hold(village_bodies.branch_committee, present=3, votes_for=2, motion=motion, start=6)
    assert motion.stages.get(key="propose").status == StageStatus.DONE
    assert motion.stages.get(key="consult").status == StageStatus.ACTIVE


def run_to_resolution(motion, bodies):
    hold(bodies.branch_committee, present=3, votes_for=3, motion=motion, start=3)
    hold(bodies.two_committees, present=6, votes_for=6, motion=motion, start=6)
    services.motion_publish(
        actor=None, motion=motion, kind=PublicationKind.PLAN, title="方案", body="方案内容", now=at(6)
    )
    hold(bodies.party_members, present=9, votes_for=9, motion=motion, start=9)
    return hold(bodies.villager_representatives, present=12, votes_for=12, motion=motion, start=21)


def test_full_motion_with_notice_periods(village_bodies, tree):
    motion = services.motion_open(actor=None, village=tree.village, title="修路", now=at(0))
    res = run_to_resolution(motion, village_bodies)
    assert res.passed
    assert res.motion == motion
    stage = services.active_stage(motion)
    assert stage.key == "publish_resolution"
    with pytest.raises(DeliberationRefused):  # publication stage without a publication
        services.stage_complete(actor=None, motion=motion, now=at(21))
    pub = services.motion_publish(
        actor=None, motion=motion, kind="resolution", title="决议公开", body="决议", now=at(21)
    )
    assert pub.resolution == res
    assert pub.period_end == at(24)
    with pytest.raises(DeliberationRefused) as exc:  # one second before the 3 days are over
        services.stage_complete(actor=None, motion=motion, now=at(24) - datetime.timedelta(seconds=1))
    assert exc.value.code == DeliberationErrorCode.RESOLUTION_NOTICE_RUNNING
    services.stage_complete(actor=None, motion=motion, now=at(24))
    with pytest.raises(DeliberationRefused):  # a task needs a note
        services.stage_complete(actor=None, motion=motion, now=at(30))
    services.stage_complete(actor=None, motion=motion, note="路已修好", now=at(30))
    services.motion_publish(
        actor=None, motion=motion, kind="result", title="结果公开", body="结果", now=at(30)
    )
    services.stage_complete(actor=None, motion=motion, now=at(37))
    services.stage_complete(actor=None, motion=motion, note="群众满意", now=at(38))
    motion.refresh_from_db()
    assert motion.status == MotionStatus.COMPLETED
    kinds = list(
        AuditEvent.objects.filter(subject=f"deliberation.motion:{motion.pk}").values_list("kind", flat=True)
    )
    assert kinds.count("deliberation.stage_completed") == 8
    assert kinds.count("deliberation.published") == 3


def test_plan_must_be_posted_fifteen_days_before_the_resolution_vote(village_bodies, tree):
    motion = services.motion_open(actor=None, village=tree.village, title="修路", now=at(0))
    hold(village_bodies.branch_committee, present=3, votes_for=3, motion=motion, start=3)
    hold(village_bodies.two_committees, present=6, votes_for=6, motion=motion, start=6)
    hold(village_bodies.party_members, present=9, votes_for=9, motion=motion, start=9)
    reps = village_bodies.villager_representatives
    with pytest.raises(DeliberationRefused) as exc:
        services.meeting_convene(
            actor=None,
            body=reps,
            title="决议",
            starts_at=at(25),
            notice_sent_at=at(10),
            motion=motion,
            now=at(10),
        )
    assert exc.value.code == DeliberationErrorCode.PLAN_NOT_POSTED
    services.motion_publish(actor=None, motion=motion, kind="plan", title="方案", body="内容", now=at(10))
    with pytest.raises(DeliberationRefused) as exc:
        services.meeting_convene(
            actor=None,
            body=reps,
            title="决议",
            starts_at=at(25) - datetime.timedelta(minutes=1),
            notice_sent_at=at(10),
            motion=motion,
            now=at(10),
        )
    assert exc.value.code == DeliberationErrorCode.PLAN_NOTICE_RUNNING
    services.meeting_convene(
        actor=None,
        body=reps,
        title="决议",
        starts_at=at(25),
        notice_sent_at=at(10),
        motion=motion,
        now=at(10),
    )


def test_plan_cannot_be_posted_before_consultation(village_bodies, tree):
    motion = services.motion_open(actor=None, village=tree.village, title="修路", now=at(0))
    with pytest.raises(DeliberationRefused) as exc:
        services.motion_publish(actor=None, motion=motion, kind="plan", title="方案", body="内容", now=at(1))
    assert exc.value.code == DeliberationErrorCode.STAGE_ORDER


# --- 五议 and 一肩挑 -----------------------------------------------------------------------------------------


def test_five_deliberations_variant(village_bodies, tree):
    services.settings_set(
        actor=None, county=tree.county, values={"suggestion_stage": True, "verification_stage": True}
    )
    motion = services.motion_open(actor=None, village=tree.village, title="修渠", now=at(0))
    keys = [s.key for s in motion.stages.order_by("position")]
    assert keys[:5] == ["suggest", "propose", "consult", "verify", "review"]
    services.suggestion_add(actor=None, motion=motion, author="张三", text="先修东段", now=at(1))
    services.stage_complete(actor=None, motion=motion, note="收集建议3条", now=at(2))
    hold(village_bodies.branch_committee, present=3, votes_for=3, motion=motion, start=5)
    hold(village_bodies.two_committees, present=6, votes_for=6, motion=motion, start=8)
    with pytest.raises(DeliberationRefused) as exc:  # 核议 is for the supervision committee
        hold(village_bodies.party_members, present=9, votes_for=9, motion=motion, start=11)
    assert exc.value.code == DeliberationErrorCode.WRONG_BODY
    hold(village_bodies.supervision_committee, present=3, votes_for=3, motion=motion, start=11)
    assert services.active_stage(motion).key == "review"


def test_merge_refused_without_dual_office(village_bodies, tree):
    with pytest.raises(DeliberationRefused) as exc:
        services.motion_open(actor=None, village=tree.village, title="x", merge=True, now=at(0))
    assert exc.value.code == DeliberationErrorCode.MERGE_NOT_ALLOWED
    assert not Motion.objects.exists()


def test_merge_with_dual_office(village_bodies, tree):
    secretary = village_bodies.people[0]
    services.membership_add(
        actor=None,
        body=village_bodies.two_committees,
        person=secretary,
        started_on=at(0).date(),
        position=Position.CHAIR,
    )
    assert services.dual_office(tree.village, at(0).date())
    motion = services.motion_open(actor=None, village=tree.village, title="x", merge=True, now=at(0))
    assert motion.merged
    assert motion.stages.get(key="propose").status == StageStatus.MERGED
    assert services.active_stage(motion).key == "consult"
    hold(village_bodies.two_committees, present=6, votes_for=6, motion=motion)
    assert services.active_stage(motion).key == "review"


def test_merge_refused_where_the_county_forbids_it(village_bodies, tree):
    services.membership_add(
        actor=None,
        body=village_bodies.two_committees,
        person=village_bodies.people[0],
        started_on=at(0).date(),
        position=Position.CHAIR,
    )
    services.settings_set(actor=None, county=tree.county, values={"allow_merge": False})
    with pytest.raises(DeliberationRefused) as exc:
        services.motion_open(actor=None, village=tree.village, title="x", merge=True, now=at(0))
    assert exc.value.code == DeliberationErrorCode.MERGE_NOT_ALLOWED


def test_settings_are_validated(tree):
    for values in (
        {"meeting_notice_days": -1},
        {"body_rules": {"party_members": {"quorum": "0.67"}}},
        {"body_rules": {"party_members": {"quorum_rule": "lt"}}},
        {"nonsense": 1},
        {"score_aspects": []},
    ):
        with pytest.raises(DeliberationRefused):
            services.settings_set(actor=None, county=tree.county, values=values)


# --- scope -----------------------------------------------------------------------------------------------


def test_write_permissions(village_bodies, staff, tree):
    body = village_bodies.branch_committee
    kwargs = {"body": body, "title": "m", "starts_at": timezone.now() + datetime.timedelta(days=4)}
    services.meeting_convene(actor=staff.secretary, **kwargs)
    with pytest.raises(PermissionDenied):  # sees the village's meetings, may not record them
        services.meeting_convene(actor=staff.supervisor, **kwargs)
    for outsider in (staff.other_chair, staff.far, staff.nobody):
        with pytest.raises(NotFound):
            services.meeting_convene(actor=outsider, **kwargs)
    assert Meeting.objects.count() == 1
