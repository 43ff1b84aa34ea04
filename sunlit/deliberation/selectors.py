"""Reads of deliberation. Staff reads are region-scoped (``meeting.view``); ``access_*`` raise the
same NotFound for missing and out-of-scope objects. Public reads return only what is published:
publications and meetings that were not cancelled (no names of attendees)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from sunlit.accounts.models import User
from sunlit.accounts.permissions import region_q, scopes_for
from sunlit.accounts.roles import Perm
from sunlit.core.errors import NotFound
from sunlit.people.models import Person
from sunlit.regions.models import Region, RegionLevel

from .models import (
    Body,
    DutyReport,
    DutySession,
    LeaderScore,
    Meeting,
    Membership,
    Motion,
    MotionStage,
    Publication,
    Resolution,
)
from .vocab import BodyKind, MeetingStatus, StageStatus


def _id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound() from None


def motions_for_user(user: User) -> QuerySet[Motion]:
    return Motion.objects.filter(region_q(user, Perm.MEETING_VIEW, "village")).select_related("village")


def access_motion(user: User, motion_id: Any) -> Motion:
    motion = motions_for_user(user).filter(pk=_id(motion_id)).first()
    if motion is None:
        raise NotFound()
    return motion


def meetings_for_user(user: User) -> QuerySet[Meeting]:
    return Meeting.objects.filter(region_q(user, Perm.MEETING_VIEW, "village")).select_related(
        "village", "body", "stage", "stage__motion"
    )


def access_meeting(user: User, meeting_id: Any) -> Meeting:
    meeting = meetings_for_user(user).filter(pk=_id(meeting_id)).first()
    if meeting is None:
        raise NotFound()
    return meeting


def bodies_for_user(user: User) -> QuerySet[Body]:
    return (
        Body.objects.filter(region_q(user, Perm.MEETING_VIEW, "village"))
        .select_related("village")
        .annotate(
            current=Count(
                "memberships",
                filter=Q(memberships__ended_on__isnull=True)
                | Q(memberships__ended_on__gte=timezone.localdate()),
            )
        )
    )


def access_body(user: User, body_id: Any) -> Body:
    body = (
        Body.objects.filter(region_q(user, Perm.MEETING_VIEW, "village"), pk=_id(body_id))
        .select_related("village")
        .first()
    )
    if body is None:
        raise NotFound()
    return body


def body_members(body: Body) -> QuerySet[Membership]:
    return body.memberships.select_related("person").order_by("ended_on", "position", "person__name")


def villages_for_user(user: User, perm: str = Perm.MEETING_RECORD) -> QuerySet[Region]:
    """Villages inside the regions where the user holds ``perm``."""
    scopes = scopes_for(user, perm)
    if not scopes:
        return Region.objects.none()
    q = Q()
    for scope in scopes:
        q |= Q(path__startswith=scope.path)
    return Region.objects.filter(q, level=RegionLevel.VILLAGE).order_by("code")


def motion_stages(motion: Motion) -> list[MotionStage]:
    return list(motion.stages.order_by("position"))


def motion_meetings(motion: Motion) -> QuerySet[Meeting]:
    return (
        Meeting.objects.filter(stage__motion=motion)
        .select_related("body", "stage", "resolution")
        .order_by("starts_at", "id")
    )


def access_resolution(user: User, resolution_id: Any) -> Resolution:
    res = (
        Resolution.objects.filter(
            region_q(user, Perm.MEETING_VIEW, "meeting__village"), pk=_id(resolution_id)
        )
        .select_related("meeting", "meeting__village", "meeting__body", "motion")
        .first()
    )
    if res is None:
        raise NotFound()
    return res


# --- duty airing -------------------------------------------------------------------------------------------


def _members_on_many(villages: list[Region], day: datetime.date) -> dict[int, list[Person]]:
    """Branch members (party members' assembly) of each village on ``day``, in one query."""
    rows = (
        Membership.objects.filter(
            body__village__in=villages, body__kind=BodyKind.PARTY_MEMBERS, started_on__lte=day
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day))
        .select_related("person")
        .order_by("person__name", "person_id")
    )
    out: dict[int, dict[int, Person]] = {v.pk: {} for v in villages}
    for m in rows:
        out[m.person.village_id].setdefault(m.person_id, m.person)
    return {k: list(v.values()) for k, v in out.items()}


def duty_status(village: Region, month: datetime.date) -> dict[str, Any]:
    """Whether ``village``'s branch held the session of ``month``, and who has not reported."""
    return duty_dashboard([village], month)[0]


def duty_dashboard(villages: list[Region], month: datetime.date) -> list[dict[str, Any]]:
    """One row per village: the session (or None), members expected, reported, missing names.

    Bounded queries: sessions, members, reports — three whatever the number of villages."""
    month = month.replace(day=1)
    next_month = (month + datetime.timedelta(days=32)).replace(day=1)
    sessions = {s.village_id: s for s in DutySession.objects.filter(village__in=villages, month=month)}
    # Members on the session day, or at the end of the month (today if earlier) without a session.
    last_day = min(next_month - datetime.timedelta(days=1), timezone.localdate())
    members = _members_on_many(villages, last_day)
    session_days = {s.held_on for s in sessions.values()}
    for day in session_days - {last_day}:
        on_day = _members_on_many(
            [v for v in villages if sessions.get(v.pk) and sessions[v.pk].held_on == day], day
        )
        members.update(on_day)
    reported: dict[int, set[int]] = {}
    for session_id, person_id in DutyReport.objects.filter(session__in=list(sessions.values())).values_list(
        "session_id", "person_id"
    ):
        reported.setdefault(session_id, set()).add(person_id)
    rows = []
    for village in villages:
        session = sessions.get(village.pk)
        expected = members.get(village.pk, [])
        done = reported.get(session.pk, set()) if session else set()
        rows.append(
            {
                "village": village,
                "session": session,
                "held": session is not None,
                "expected": len(expected),
                "reported": len([p for p in expected if p.pk in done]),
                "missing": [p for p in expected if p.pk not in done],
            }
        )
    return rows


def duty_sessions_for_user(user: User) -> QuerySet[DutySession]:
    return DutySession.objects.filter(region_q(user, Perm.MEETING_VIEW, "village")).select_related("village")


def access_duty_session(user: User, session_id: Any) -> DutySession:
    session = duty_sessions_for_user(user).filter(pk=_id(session_id)).first()
    if session is None:
        raise NotFound()
    return session


def leader_ranking(township: Region, quarter: str) -> QuerySet[LeaderScore]:
    return (
        LeaderScore.objects.filter(township=township, quarter=quarter)
        .select_related("village", "leader")
        .order_by("rank", "village__code")
    )


# --- public -------------------------------------------------------------------------------------------------


def public_publications(village: Region) -> QuerySet[Publication]:
    return (
        Publication.objects.filter(village=village)
        .select_related("motion", "resolution")
        .order_by("-posted_at", "-id")
    )


def public_publication(village: Region, publication_id: Any) -> Publication:
    pub = public_publications(village).filter(pk=_id(publication_id)).first()
    if pub is None:
        raise NotFound()
    return pub


def public_meetings(village: Region, *, include_cancelled: bool = False) -> QuerySet[Meeting]:
    """The village's meetings for the public calendar (no names of attendees). The iCalendar export
    includes cancelled meetings so that calendars which imported them drop them."""
    qs = Meeting.objects.filter(village=village).select_related("body").order_by("starts_at", "id")
    return qs if include_cancelled else qs.exclude(status=MeetingStatus.CANCELLED)


def open_meeting_stage(motion: Motion) -> MotionStage | None:
    return motion.stages.filter(status=StageStatus.ACTIVE).first()
