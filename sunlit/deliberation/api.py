"""Deliberation endpoints under /api/v1/: scoped staff reads and writes, and the public published
resolutions and meeting calendar. Handlers are thin: access_* selectors (missing and out of scope are
the same 404) and the same services as the workbench."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import django_auth

from sunlit.core.errors import NotFound
from sunlit.people.models import Person
from sunlit.regions.models import RegionLevel
from sunlit.regions.selectors import region_get

from . import ical, selectors, services
from .models import Meeting, Motion, Publication

router = Router(tags=["deliberation"])


class StageOut(Schema):
    position: int
    key: str
    kind: str
    body_kind: str
    status: str
    completed_at: datetime.datetime | None
    note: str


class MotionOut(Schema):
    id: int
    number: str
    village: str
    title: str
    status: str
    merged: bool
    case_id: int | None
    opened_at: datetime.datetime

    @staticmethod
    def resolve_village(obj: Motion) -> str:
        return obj.village.code


class MotionDetailOut(MotionOut):
    summary: str
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(obj: Motion) -> list[Any]:
        return selectors.motion_stages(obj)


class MotionIn(Schema):
    village: str
    title: str
    summary: str = ""
    case_id: int | None = None
    merge: bool = False


class MeetingIn(Schema):
    body_id: int
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None = None
    location: str = ""
    notice_sent_at: datetime.datetime | None = None
    motion_id: int | None = None


class MeetingOut(Schema):
    id: int
    title: str
    body_kind: str
    village: str
    status: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    location: str
    expected: int | None
    present: int | None
    motion_id: int | None
    stage: str | None

    @staticmethod
    def resolve_body_kind(obj: Meeting) -> str:
        return obj.body.kind

    @staticmethod
    def resolve_village(obj: Meeting) -> str:
        return obj.village.code

    @staticmethod
    def resolve_motion_id(obj: Meeting) -> int | None:
        return obj.stage.motion_id if obj.stage_id else None

    @staticmethod
    def resolve_stage(obj: Meeting) -> str | None:
        return obj.stage.key if obj.stage_id else None


class AttendanceIn(Schema):
    present_ids: list[int] | None = None
    present_count: int | None = None


class VoteIn(Schema):
    text: str
    ballots: dict[int, str] | None = None
    tally: dict[str, int] | None = None


class ResolutionOut(Schema):
    id: int
    number: str
    body_kind: str
    text: str
    mode: str
    expected: int
    present: int
    votes_for: int
    votes_against: int
    abstentions: int
    rule: dict[str, str]
    quorum_met: bool
    passed: bool
    held_on: datetime.date
    motion_id: int | None
    case_id: int | None


class StageCompleteIn(Schema):
    note: str = ""


class PublishIn(Schema):
    kind: str
    title: str
    body: str


class PublicationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    posted_at: datetime.datetime
    period_end: datetime.datetime
    motion_number: str
    resolution_number: str | None
    disclosure_ref: str

    @staticmethod
    def resolve_motion_number(obj: Publication) -> str:
        return obj.motion.number

    @staticmethod
    def resolve_resolution_number(obj: Publication) -> str | None:
        return obj.resolution.number if obj.resolution_id else None


class DutyReportIn(Schema):
    person_id: int
    duties: str
    eight_rules_ok: bool
    gifts_received: bool
    obstruction: bool
    eight_rules_note: str = ""
    major_matters: str = ""
    gifts_note: str = ""
    obstruction_note: str = ""
    problems: str = ""
    peer_comments: str = ""


class DutyRowOut(Schema):
    village: str
    village_name: str
    held: bool
    session_id: int | None
    expected: int
    reported: int
    missing: list[str]


class ScoreIn(Schema):
    village: str
    quarter: str
    leader_id: int
    scores: dict[str, Any]


class ScoreOut(Schema):
    village: str
    quarter: str
    leader: str
    total: str
    rank: int | None
    last_place: bool
    flagged: bool
    scores: dict[str, str]


def _score_out(row: Any) -> dict[str, Any]:
    return {
        "village": row.village.code,
        "quarter": row.quarter,
        "leader": row.leader.name,
        "total": str(row.total),
        "rank": row.rank,
        "last_place": row.last_place,
        "flagged": row.flagged,
        "scores": row.scores,
    }


def _person_in(village: Any, person_id: int) -> Person:
    person = Person.objects.filter(pk=person_id, village=village).first()
    if person is None:
        raise NotFound()
    return person


# --- staff: motions and meetings ----------------------------------------------------------------------------


@router.get(
    "/deliberation/motions", response=list[MotionOut], auth=django_auth, summary="Motions in my regions"
)
@paginate(LimitOffsetPagination)
def motion_list(request: HttpRequest, village: str = "", status: str = ""):
    qs = selectors.motions_for_user(request.user)
    if village:
        qs = qs.filter(village__code=village)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-opened_at", "-id")


@router.post(
    "/deliberation/motions", response={201: MotionDetailOut}, auth=django_auth, summary="Open a motion"
)
def motion_create(request: HttpRequest, payload: MotionIn):
    village = region_get(payload.village)
    case = None
    if payload.case_id is not None:
        from sunlit.cases.selectors import access_case

        case = access_case(request.user, payload.case_id)
    motion = services.motion_open(
        actor=request.user,
        village=village,
        title=payload.title,
        summary=payload.summary,
        case=case,
        merge=payload.merge,
    )
    return Status(201, selectors.access_motion(request.user, motion.pk))


@router.get("/deliberation/motions/{motion_id}", response=MotionDetailOut, auth=django_auth)
def motion_detail(request: HttpRequest, motion_id: int):
    return selectors.access_motion(request.user, motion_id)


@router.post("/deliberation/motions/{motion_id}/stage/complete", response=MotionDetailOut, auth=django_auth)
def motion_stage_complete(request: HttpRequest, motion_id: int, payload: StageCompleteIn):
    motion = selectors.access_motion(request.user, motion_id)
    services.stage_complete(actor=request.user, motion=motion, note=payload.note)
    return selectors.access_motion(request.user, motion_id)


@router.post(
    "/deliberation/motions/{motion_id}/publications", response={201: PublicationOut}, auth=django_auth
)
def motion_publish(request: HttpRequest, motion_id: int, payload: PublishIn):
    motion = selectors.access_motion(request.user, motion_id)
    pub = services.motion_publish(
        actor=request.user, motion=motion, kind=payload.kind, title=payload.title, body=payload.body
    )
    return Status(201, pub)


@router.get(
    "/deliberation/meetings", response=list[MeetingOut], auth=django_auth, summary="Meetings in my regions"
)
@paginate(LimitOffsetPagination)
def meeting_list(request: HttpRequest, village: str = "", status: str = ""):
    qs = selectors.meetings_for_user(request.user)
    if village:
        qs = qs.filter(village__code=village)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-starts_at", "-id")


@router.post(
    "/deliberation/meetings", response={201: MeetingOut}, auth=django_auth, summary="Convene a meeting"
)
def meeting_create(request: HttpRequest, payload: MeetingIn):
    body = selectors.access_body(request.user, payload.body_id)
    motion = selectors.access_motion(request.user, payload.motion_id) if payload.motion_id else None
    meeting = services.meeting_convene(
        actor=request.user,
        body=body,
        title=payload.title,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        location=payload.location,
        notice_sent_at=payload.notice_sent_at,
        motion=motion,
    )
    return Status(201, selectors.access_meeting(request.user, meeting.pk))


@router.get("/deliberation/meetings/{meeting_id}", response=MeetingOut, auth=django_auth)
def meeting_detail(request: HttpRequest, meeting_id: int):
    return selectors.access_meeting(request.user, meeting_id)


@router.post("/deliberation/meetings/{meeting_id}/attendance", response=MeetingOut, auth=django_auth)
def meeting_attendance(request: HttpRequest, meeting_id: int, payload: AttendanceIn):
    meeting = selectors.access_meeting(request.user, meeting_id)
    services.meeting_attendance(
        actor=request.user,
        meeting=meeting,
        present_ids=payload.present_ids,
        present_count=payload.present_count,
    )
    return selectors.access_meeting(request.user, meeting_id)


@router.post("/deliberation/meetings/{meeting_id}/vote", response={201: ResolutionOut}, auth=django_auth)
def meeting_vote(request: HttpRequest, meeting_id: int, payload: VoteIn):
    """Votes by name (``ballots``: person id → for/against/abstain) or a ``tally``; whether the
    resolution passed is computed, never accepted from the client."""
    meeting = selectors.access_meeting(request.user, meeting_id)
    res = services.meeting_vote(
        actor=request.user, meeting=meeting, text=payload.text, ballots=payload.ballots, tally=payload.tally
    )
    return Status(201, res)


@router.post("/deliberation/resolutions/{resolution_id}/apply", response={201: dict}, auth=django_auth)
def resolution_apply(request: HttpRequest, resolution_id: int):
    """Record a resolution's tally on its case's active vote step."""
    res = selectors.access_resolution(request.user, resolution_id)
    record = services.resolution_apply_to_case(actor=request.user, resolution=res)
    return Status(201, {"vote_id": record.pk, "passed": record.passed, "case_id": record.case_id})


# --- staff: duty airing and scores -------------------------------------------------------------------------


@router.get("/deliberation/duty/dashboard", response=list[DutyRowOut], auth=django_auth)
def duty_dashboard(request: HttpRequest, month: datetime.date, region: str = ""):
    from sunlit.accounts.roles import Perm

    villages = selectors.villages_for_user(request.user, Perm.MEETING_VIEW)
    if region:
        villages = villages.filter(path__startswith=region_get(region).path)
    rows = selectors.duty_dashboard(list(villages[:500]), month)
    return [
        {
            "village": r["village"].code,
            "village_name": r["village"].name,
            "held": r["held"],
            "session_id": r["session"].pk if r["session"] else None,
            "expected": r["expected"],
            "reported": r["reported"],
            "missing": [p.name for p in r["missing"]],
        }
        for r in rows
    ]


@router.post("/deliberation/duty/sessions/{session_id}/reports", response={201: dict}, auth=django_auth)
def duty_report(request: HttpRequest, session_id: int, payload: DutyReportIn):
    session = selectors.access_duty_session(request.user, session_id)
    data = payload.dict()
    person = _person_in(session.village, data.pop("person_id"))
    report = services.duty_report_record(actor=request.user, session=session, person=person, **data)
    return Status(201, {"id": report.pk})


@router.post("/deliberation/duty/scores", response={201: ScoreOut}, auth=django_auth)
def leader_score(request: HttpRequest, payload: ScoreIn):
    village = region_get(payload.village)
    if village.level != RegionLevel.VILLAGE:
        raise NotFound()
    leader = _person_in(village, payload.leader_id)
    row = services.leader_score_record(
        actor=request.user, village=village, quarter=payload.quarter, leader=leader, scores=payload.scores
    )
    return Status(201, _score_out(row))


# --- public ---------------------------------------------------------------------------------------------------


def _village(code: str):
    village = region_get(code)
    if village.level != RegionLevel.VILLAGE:
        raise NotFound()
    return village


@router.get(
    "/deliberation/public/villages/{code}/decisions",
    response=list[PublicationOut],
    summary="Published decisions",
)
@paginate(LimitOffsetPagination)
def public_decisions(request: HttpRequest, code: str):
    return selectors.public_publications(_village(code))


@router.get("/deliberation/public/villages/{code}/meetings.ics", summary="Meeting calendar (iCalendar)")
def public_calendar(request: HttpRequest, code: str):
    village = _village(code)
    text = ical.calendar(
        selectors.public_meetings(village, include_cancelled=True)[:1000], name=f"{village.name} · 议事日历"
    )
    response = HttpResponse(text.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meetings-{village.code}.ics"'
    return response
