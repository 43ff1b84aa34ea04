"""Writes of deliberation. Each service is one transaction that also appends its ledger event.

Permissions: writes on a village's bodies, motions and meetings need ``meeting.record`` there;
someone who may only see (``meeting.view``) is refused with PermissionDenied, anyone else gets the
same NotFound as for a missing object. ``actor=None`` is reserved for bootstrap code (the demo) and
skips the permission check. ``now`` lets the demo write history; entry points never pass it.

A refusal raises a DomainError and changes nothing.
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.accounts.models import User
from sunlit.accounts.permissions import has_perm
from sunlit.accounts.roles import Perm
from sunlit.core.errors import NotFound, PermissionDenied
from sunlit.core.ledger import ledger_append, ledger_subject
from sunlit.people.models import Household, Person, PersonStatus
from sunlit.regions.models import Region, RegionLevel

from . import config, rules
from .errors import DeliberationConflict, DeliberationErrorCode, DeliberationRefused
from .models import (
    Attendance,
    Ballot,
    Body,
    CountySettings,
    DutyReport,
    DutySession,
    LeaderScore,
    Meeting,
    Membership,
    Motion,
    MotionStage,
    Publication,
    Resolution,
    Suggestion,
)
from .vocab import (
    BodyKind,
    Choice,
    Electorate,
    MeetingStatus,
    MotionStatus,
    Position,
    PublicationKind,
    SessionStatus,
    StageKey,
    StageKind,
    StageStatus,
    VoteMode,
)

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
MAX_TEXT = 5000


def _code(prefix: str, when: datetime.datetime) -> str:
    tail = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
    return f"{prefix}{timezone.localdate(when):%Y%m%d}-{tail}"


def _require(actor: User | None, perm: str, region: Region) -> None:
    """NotFound for anyone who cannot see the region's meetings; PermissionDenied for viewers."""
    if actor is None:
        return
    if has_perm(actor, perm, region):
        return
    if perm != Perm.MEETING_VIEW and has_perm(actor, Perm.MEETING_VIEW, region):
        raise PermissionDenied()
    raise NotFound()


def _refuse(message: str, code: str, **fields: list[str]) -> DeliberationRefused:
    return DeliberationRefused(message, code=code, fields=fields or None)


def _text(value: Any, field: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise _refuse(
            _("The text is not valid."), DeliberationErrorCode.INPUT_INVALID, **{field: [_("Text expected.")]}
        )
    if required and not text:
        raise _refuse(
            _("Fill in the required fields."),
            DeliberationErrorCode.INPUT_INVALID,
            **{field: [_("Required.")]},
        )
    if len(text) > limit:
        raise _refuse(
            _("The text is too long."),
            DeliberationErrorCode.INPUT_INVALID,
            **{field: [_("At most %(n)d characters.") % {"n": limit}]},
        )
    return text


def _aware(value: datetime.datetime, field: str) -> datetime.datetime:
    if not isinstance(value, datetime.datetime):
        raise _refuse(
            _("A date and time is needed."), DeliberationErrorCode.INPUT_INVALID, **{field: [_("Required.")]}
        )
    return timezone.make_aware(value) if timezone.is_naive(value) else value


# --- settings ----------------------------------------------------------------------------------------


def settings_set(*, actor: User | None, county: Region, values: dict[str, Any]) -> CountySettings:
    """Replace a county's overrides (validated against the defaults as a whole)."""
    if county.level != RegionLevel.COUNTY:
        raise _refuse(_("Deliberation settings belong to a county."), DeliberationErrorCode.SETTINGS_INVALID)
    if actor is not None and not has_perm(actor, Perm.CATALOG_MANAGE, county):
        raise NotFound()
    config.validate(values)
    now = timezone.now()
    with transaction.atomic():
        row, _created = CountySettings.objects.update_or_create(
            county=county, defaults={"values": values, "updated_by": actor, "updated_at": now}
        )
        ledger_append(
            kind="deliberation.settings_set",
            actor=actor,
            subject=ledger_subject(row),
            region=county,
            payload={"values": values},
        )
    return row


# --- bodies and members --------------------------------------------------------------------------------


def body_create(
    *, actor: User | None, village: Region, kind: str, name: str = "", electorate: str | None = None
) -> Body:
    _require(actor, Perm.MEETING_RECORD, village)
    if village.level != RegionLevel.VILLAGE:
        raise _refuse(_("Bodies belong to a village."), DeliberationErrorCode.NOT_A_VILLAGE)
    if kind not in BodyKind.values:
        raise _refuse(_("Unknown body."), DeliberationErrorCode.INPUT_INVALID, kind=[_("Choose a body.")])
    settings = config.effective(village)
    electorate = electorate or config.body_rule(settings, kind).electorate
    if electorate not in Electorate.values:
        raise _refuse(
            _("Unknown electorate."), DeliberationErrorCode.INPUT_INVALID, electorate=[_("Choose one.")]
        )
    name = _text(name, "name", limit=100) or str(BodyKind(kind).label)
    try:
        with transaction.atomic():
            body = Body.objects.create(village=village, kind=kind, name=name, electorate=electorate)
            ledger_append(
                kind="deliberation.body_created",
                actor=actor,
                subject=ledger_subject(body),
                region=village,
                payload={"kind": kind, "electorate": electorate, "name": name},
            )
    except IntegrityError:
        raise _refuse(
            _("This village already has a “%(body)s”.") % {"body": BodyKind(kind).label},
            DeliberationErrorCode.BODY_EXISTS,
        ) from None
    return body


def membership_add(
    *,
    actor: User | None,
    body: Body,
    person: Person,
    started_on: datetime.date,
    position: str = Position.MEMBER,
    ended_on: datetime.date | None = None,
) -> Membership:
    _require(actor, Perm.MEETING_RECORD, body.village)
    if person.village_id != body.village_id:
        raise _refuse(
            _("“%(name)s” is not registered in %(village)s.")
            % {"name": person.name, "village": body.village.name},
            DeliberationErrorCode.PERSON_ELSEWHERE,
            person=[_("Choose a person of this village.")],
        )
    if position not in Position.values:
        raise _refuse(
            _("Unknown position."), DeliberationErrorCode.MEMBERSHIP_INVALID, position=[_("Choose one.")]
        )
    if ended_on is not None and ended_on < started_on:
        raise _refuse(
            _("A membership cannot end before it starts."),
            DeliberationErrorCode.MEMBERSHIP_INVALID,
            ended_on=[_("On or after the start.")],
        )
    overlapping = Membership.objects.filter(body=body, person=person, position=position).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=started_on)
    )
    if ended_on is not None:
        overlapping = overlapping.filter(started_on__lte=ended_on)
    if overlapping.exists():
        raise _refuse(
            _("“%(name)s” already holds this position in that period.") % {"name": person.name},
            DeliberationErrorCode.MEMBERSHIP_INVALID,
        )
    with transaction.atomic():
        membership = Membership.objects.create(
            body=body, person=person, position=position, started_on=started_on, ended_on=ended_on
        )
        ledger_append(
            kind="deliberation.member_added",
            actor=actor,
            subject=ledger_subject(body),
            region=body.village,
            payload={"person": person.pk, "position": position, "from": started_on, "until": ended_on},
        )
    return membership


def membership_end(*, actor: User | None, membership: Membership, ended_on: datetime.date) -> Membership:
    body = membership.body
    _require(actor, Perm.MEETING_RECORD, body.village)
    if ended_on < membership.started_on:
        raise _refuse(
            _("A membership cannot end before it starts."),
            DeliberationErrorCode.MEMBERSHIP_INVALID,
            ended_on=[_("On or after the start.")],
        )
    with transaction.atomic():
        Membership.objects.filter(pk=membership.pk).update(ended_on=ended_on)
        membership.ended_on = ended_on
        ledger_append(
            kind="deliberation.member_ended",
            actor=actor,
            subject=ledger_subject(body),
            region=body.village,
            payload={"person": membership.person_id, "position": membership.position, "until": ended_on},
        )
    return membership


def members_on(body: Body, day: datetime.date) -> list[Person]:
    """Distinct persons who are members of ``body`` on ``day``, by name."""
    ids = (
        Membership.objects.filter(body=body, started_on__lte=day)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day))
        .values_list("person_id", flat=True)
    )
    return list(Person.objects.filter(pk__in=ids).order_by("name", "id"))


def electorate_size(body: Body, day: datetime.date) -> int:
    """How many are entitled to vote on ``day``: named members, or counted from the registry."""
    if body.electorate == Electorate.MEMBERS:
        return len(members_on(body, day))
    if body.electorate == Electorate.ADULT_VILLAGERS:
        try:
            adult_born = day.replace(year=day.year - 18)
        except ValueError:  # 29 February
            adult_born = day.replace(year=day.year - 18, day=28)
        return Person.objects.filter(
            village=body.village, status=PersonStatus.ALIVE, birth_date__lte=adult_born
        ).count()
    return (
        Household.objects.filter(village=body.village, members__status=PersonStatus.ALIVE).distinct().count()
    )


def dual_office(village: Region, day: datetime.date) -> bool:
    """一肩挑: one person holds both the party secretary and the committee chair positions on ``day``."""
    active = Membership.objects.filter(body__village=village, started_on__lte=day).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=day)
    )
    secretaries = set(active.filter(position=Position.SECRETARY).values_list("person_id", flat=True))
    chairs = set(active.filter(position=Position.CHAIR).values_list("person_id", flat=True))
    return bool(secretaries & chairs)


# --- motions --------------------------------------------------------------------------------------------


def motion_open(
    *,
    actor: User | None,
    village: Region,
    title: str,
    summary: str = "",
    case: Any = None,
    merge: bool = False,
    now: datetime.datetime | None = None,
) -> Motion:
    """Open a motion with the county's stage plan. ``merge`` asks for the dual-office merge (一肩挑):
    allowed only where the county allows it and one person is secretary and chair today."""
    _require(actor, Perm.MEETING_RECORD, village)
    if village.level != RegionLevel.VILLAGE:
        raise _refuse(_("Motions belong to a village."), DeliberationErrorCode.NOT_A_VILLAGE)
    title = _text(title, "title", required=True, limit=200)
    summary = _text(summary, "summary")
    if case is not None and case.village_id != village.pk:
        raise _refuse(
            _("The case belongs to another village."),
            DeliberationErrorCode.INPUT_INVALID,
            case=[_("Wrong village.")],
        )
    now = now or timezone.now()
    settings = config.effective(village)
    if merge:
        if not settings["allow_merge"]:
            raise _refuse(
                _("This county does not allow merging the proposal and consultation stages."),
                DeliberationErrorCode.MERGE_NOT_ALLOWED,
            )
        if not dual_office(village, timezone.localdate(now)):
            raise _refuse(
                _(
                    "The proposal and consultation stages may be merged only when the party secretary is also "
                    "the committee chair (一肩挑); the members recorded for %(village)s show two people."
                )
                % {"village": village.name},
                DeliberationErrorCode.MERGE_NOT_ALLOWED,
            )
    plan = config.stage_plan(settings)
    with transaction.atomic():
        motion = Motion.objects.create(
            village=village,
            number=_code("YA", now),
            title=title,
            summary=summary,
            case=case,
            settings={k: v for k, v in settings.items() if k != "score_aspects"} | {"plan": plan},
            merged=merge,
            opened_by=actor if actor is not None else _system_user(),
            opened_at=now,
        )
        stages = []
        first_active_set = False
        for position, stage in enumerate(plan):
            status = StageStatus.PENDING
            if merge and stage["key"] == StageKey.PROPOSE:
                status = StageStatus.MERGED
            elif not first_active_set:
                status = StageStatus.ACTIVE
                first_active_set = True
            stages.append(
                MotionStage(
                    motion=motion,
                    position=position,
                    key=stage["key"],
                    kind=stage["kind"],
                    body_kind=stage["body"],
                    status=status,
                    started_at=now if status == StageStatus.ACTIVE else None,
                )
            )
        MotionStage.objects.bulk_create(stages)
        ledger_append(
            kind="deliberation.motion_opened",
            actor=actor,
            subject=ledger_subject(motion),
            region=village,
            payload={
                "number": motion.number,
                "title": title,
                "case": case.pk if case is not None else None,
                "merged": merge,
                "stages": [s["key"] for s in plan],
            },
        )
    return motion


def _system_user() -> User:
    """The account bootstrap writes are attributed to (the demo); created once, cannot log in."""
    user, created = User.objects.get_or_create(username="system", defaults={"is_active": False})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def active_stage(motion: Motion) -> MotionStage:
    stage = MotionStage.objects.filter(motion=motion, status=StageStatus.ACTIVE).first()
    if motion.status != MotionStatus.OPEN or stage is None:
        raise _refuse(_("This motion is closed."), DeliberationErrorCode.MOTION_CLOSED)
    return stage


def _advance(
    motion: Motion, stage: MotionStage, *, actor: User | None, now: datetime.datetime, note: str = ""
) -> None:
    """Mark ``stage`` done and activate the next one (inside the caller's transaction)."""
    won = MotionStage.objects.filter(pk=stage.pk, status=StageStatus.ACTIVE).update(
        status=StageStatus.DONE, completed_at=now, completed_by=actor, note=note
    )
    if not won:
        raise DeliberationConflict()
    nxt = (
        MotionStage.objects.filter(motion=motion, position__gt=stage.position, status=StageStatus.PENDING)
        .order_by("position")
        .first()
    )
    if nxt is None:
        Motion.objects.filter(pk=motion.pk).update(status=MotionStatus.COMPLETED, closed_at=now)
        motion.status, motion.closed_at = MotionStatus.COMPLETED, now
    else:
        MotionStage.objects.filter(pk=nxt.pk).update(status=StageStatus.ACTIVE, started_at=now)
    ledger_append(
        kind="deliberation.stage_completed",
        actor=actor,
        subject=ledger_subject(motion),
        region=motion.village,
        payload={"stage": stage.key, "next": nxt.key if nxt else None, "note": note},
    )


def suggestion_add(
    *, actor: User | None, motion: Motion, author: str, text: str, now: datetime.datetime | None = None
) -> Suggestion:
    _require(actor, Perm.MEETING_RECORD, motion.village)
    stage = active_stage(motion)
    if stage.kind != StageKind.SUGGESTIONS:
        raise _refuse(
            _("Suggestions are collected only in the suggestion stage."), DeliberationErrorCode.STAGE_ORDER
        )
    author = _text(author, "author", required=True, limit=50)
    text = _text(text, "text", required=True)
    now = now or timezone.now()
    with transaction.atomic():
        suggestion = Suggestion.objects.create(
            stage=stage, author=author, text=text, recorded_by=actor or _system_user(), recorded_at=now
        )
        ledger_append(
            kind="deliberation.suggestion_added",
            actor=actor,
            subject=ledger_subject(motion),
            region=motion.village,
            payload={"suggestion": suggestion.pk, "text": text},
            pii={"author": author},
        )
    return suggestion


def stage_complete(
    *, actor: User | None, motion: Motion, note: str = "", now: datetime.datetime | None = None
) -> MotionStage:
    """Complete the active stage when it is a task, a suggestion stage or a publication whose period ran.

    Meeting stages are completed only by a passed resolution (:func:`meeting_vote`)."""
    _require(actor, Perm.MEETING_RECORD, motion.village)
    stage = active_stage(motion)
    note = _text(note, "note")
    now = now or timezone.now()
    if stage.kind == StageKind.MEETING:
        raise _refuse(
            _("The “%(stage)s” stage is completed only by a passed resolution of the %(body)s.")
            % {"stage": StageKey(stage.key).label, "body": BodyKind(stage.body_kind).label},
            DeliberationErrorCode.RESOLUTION_REQUIRED,
        )
    if stage.kind == StageKind.PUBLICATION:
        kind = (
            PublicationKind.RESOLUTION if stage.key == StageKey.PUBLISH_RESOLUTION else PublicationKind.RESULT
        )
        publication = Publication.objects.filter(motion=motion, kind=kind).first()
        if publication is None:
            raise _refuse(_("Post the publication first."), DeliberationErrorCode.STAGE_ORDER)
        if now < publication.period_end:
            raise _refuse(
                _("The publication stays posted until %(until)s; the motion cannot move on before then.")
                % {"until": timezone.localtime(publication.period_end).strftime("%Y-%m-%d %H:%M")},
                DeliberationErrorCode.RESOLUTION_NOTICE_RUNNING,
            )
    if stage.kind == StageKind.TASK and not note:
        raise _refuse(
            _("Describe what was done."), DeliberationErrorCode.INPUT_INVALID, note=[_("Required.")]
        )
    with transaction.atomic():
        _advance(motion, stage, actor=actor, now=now, note=note)
    stage.status = StageStatus.DONE
    return stage


def motion_withdraw(*, actor: User | None, motion: Motion, reason: str) -> Motion:
    _require(actor, Perm.MEETING_RECORD, motion.village)
    reason = _text(reason, "reason", required=True, limit=500)
    if motion.status != MotionStatus.OPEN:
        raise _refuse(_("This motion is closed."), DeliberationErrorCode.MOTION_CLOSED)
    now = timezone.now()
    with transaction.atomic():
        if not Motion.objects.filter(pk=motion.pk, status=MotionStatus.OPEN).update(
            status=MotionStatus.WITHDRAWN, withdrawal_reason=reason, closed_at=now
        ):
            raise DeliberationConflict()
        MotionStage.objects.filter(motion=motion, status=StageStatus.ACTIVE).update(
            status=StageStatus.PENDING
        )
        ledger_append(
            kind="deliberation.motion_withdrawn",
            actor=actor,
            subject=ledger_subject(motion),
            region=motion.village,
            payload={"reason": reason},
        )
    motion.status, motion.withdrawal_reason, motion.closed_at = MotionStatus.WITHDRAWN, reason, now
    return motion


# --- meetings -------------------------------------------------------------------------------------------


def _stage_done(motion: Motion, key: str) -> MotionStage | None:
    return MotionStage.objects.filter(
        motion=motion, key=key, status__in=[StageStatus.DONE, StageStatus.MERGED]
    ).first()


def meeting_convene(
    *,
    actor: User | None,
    body: Body,
    title: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime | None = None,
    location: str = "",
    notice_sent_at: datetime.datetime | None = None,
    motion: Motion | None = None,
    now: datetime.datetime | None = None,
) -> Meeting:
    """Convene a meeting. A meeting convened with less notice than the county requires is refused
    (not flagged): a meeting without due notice cannot decide anything."""
    village = body.village
    _require(actor, Perm.MEETING_RECORD, village)
    now = now or timezone.now()
    title = _text(title, "title", required=True, limit=200)
    location = _text(location, "location", limit=200)
    starts_at = _aware(starts_at, "starts_at")
    ends_at = _aware(ends_at, "ends_at") if ends_at is not None else starts_at + datetime.timedelta(hours=2)
    notice_sent_at = _aware(notice_sent_at, "notice_sent_at") if notice_sent_at is not None else now
    if ends_at <= starts_at:
        raise _refuse(
            _("A meeting must end after it starts."),
            DeliberationErrorCode.INPUT_INVALID,
            ends_at=[_("After the start.")],
        )
    if notice_sent_at > now:
        raise _refuse(
            _("The notice cannot have been sent in the future."),
            DeliberationErrorCode.INPUT_INVALID,
            notice_sent_at=[_("Now or earlier.")],
        )
    settings = motion.settings if motion is not None else config.effective(village)
    days = int(settings["meeting_notice_days"])
    if starts_at - notice_sent_at < datetime.timedelta(days=days):
        raise _refuse(
            _(
                "The notice and materials must reach members at least %(days)d days before the meeting; "
                "with notice sent %(sent)s the meeting can start %(earliest)s at the earliest."
            )
            % {
                "days": days,
                "sent": timezone.localtime(notice_sent_at).strftime("%Y-%m-%d %H:%M"),
                "earliest": timezone.localtime(notice_sent_at + datetime.timedelta(days=days)).strftime(
                    "%Y-%m-%d %H:%M"
                ),
            },
            DeliberationErrorCode.NOTICE_TOO_SHORT,
            starts_at=[_("Too little notice.")],
        )
    stage = None
    if motion is not None:
        if motion.village_id != village.pk:
            raise NotFound()
        stage = active_stage(motion)
        if stage.kind != StageKind.MEETING:
            raise _refuse(
                _("The motion is at the “%(stage)s” stage, which is not decided by a meeting.")
                % {"stage": StageKey(stage.key).label},
                DeliberationErrorCode.STAGE_ORDER,
            )
        if stage.body_kind != body.kind:
            raise _refuse(
                _("The “%(stage)s” stage is for the %(expected)s, not the %(given)s.")
                % {
                    "stage": StageKey(stage.key).label,
                    "expected": BodyKind(stage.body_kind).label,
                    "given": BodyKind(body.kind).label,
                },
                DeliberationErrorCode.WRONG_BODY,
            )
        if stage.key == StageKey.RESOLVE:
            _check_plan_notice(motion, starts_at)
        if Meeting.objects.filter(stage=stage, status=MeetingStatus.SCHEDULED).exists():
            raise _refuse(
                _("A meeting for this stage is already scheduled; hold or cancel it first."),
                DeliberationErrorCode.MEETING_STATE,
            )
    with transaction.atomic():
        meeting = Meeting.objects.create(
            body=body,
            village=village,
            stage=stage,
            title=title,
            location=location,
            starts_at=starts_at,
            ends_at=ends_at,
            notice_sent_at=notice_sent_at,
            convened_by=actor or _system_user(),
            convened_at=now,
            uid=f"{uuid.uuid4()}@sunlit",
        )
        ledger_append(
            kind="deliberation.meeting_convened",
            actor=actor,
            subject=ledger_subject(meeting),
            region=village,
            payload={
                "body": body.kind,
                "title": title,
                "starts_at": starts_at,
                "notice_sent_at": notice_sent_at,
                "motion": motion.number if motion else None,
                "stage": stage.key if stage else None,
            },
        )
    return meeting


def _check_plan_notice(motion: Motion, starts_at: datetime.datetime) -> None:
    days = int(motion.settings["plan_notice_days"])
    if days <= 0:
        return
    plan = Publication.objects.filter(motion=motion, kind=PublicationKind.PLAN).first()
    if plan is None:
        raise _refuse(
            _("Post the plan first: it must be public at least %(days)d days before the resolution vote.")
            % {"days": days},
            DeliberationErrorCode.PLAN_NOT_POSTED,
        )
    earliest = plan.posted_at + datetime.timedelta(days=days)
    if starts_at < earliest:
        raise _refuse(
            _(
                "The plan was posted %(posted)s and must stay public %(days)d days; the vote can be held from %(earliest)s."
            )
            % {
                "posted": timezone.localtime(plan.posted_at).strftime("%Y-%m-%d %H:%M"),
                "days": days,
                "earliest": timezone.localtime(earliest).strftime("%Y-%m-%d %H:%M"),
            },
            DeliberationErrorCode.PLAN_NOTICE_RUNNING,
            starts_at=[_("Too early.")],
        )


def meeting_cancel(*, actor: User | None, meeting: Meeting, reason: str) -> Meeting:
    _require(actor, Perm.MEETING_RECORD, meeting.village)
    reason = _text(reason, "reason", required=True, limit=500)
    with transaction.atomic():
        if not Meeting.objects.filter(pk=meeting.pk, status=MeetingStatus.SCHEDULED).update(
            status=MeetingStatus.CANCELLED, cancel_reason=reason, sequence=meeting.sequence + 1
        ):
            raise _refuse(
                _("Only a scheduled meeting can be cancelled."), DeliberationErrorCode.MEETING_STATE
            )
        ledger_append(
            kind="deliberation.meeting_cancelled",
            actor=actor,
            subject=ledger_subject(meeting),
            region=meeting.village,
            payload={"reason": reason},
        )
    meeting.status, meeting.cancel_reason = MeetingStatus.CANCELLED, reason
    return meeting


def meeting_attendance(
    *,
    actor: User | None,
    meeting: Meeting,
    present_ids: list[int] | None = None,
    present_count: int | None = None,
    now: datetime.datetime | None = None,
) -> Meeting:
    """Record who attended: by name for bodies of named members, by count where the electorate is
    counted from the registry (adult villagers, household representatives)."""
    _require(actor, Perm.MEETING_RECORD, meeting.village)
    now = now or timezone.now()
    if now < meeting.starts_at:
        raise _refuse(
            _("The meeting starts %(at)s; attendance can be recorded from then.")
            % {"at": timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M")},
            DeliberationErrorCode.MEETING_NOT_STARTED,
        )
    if meeting.status == MeetingStatus.CANCELLED or Resolution.objects.filter(meeting=meeting).exists():
        raise _refuse(
            _("Attendance can no longer be changed: the meeting voted or was cancelled."),
            DeliberationErrorCode.MEETING_STATE,
        )
    body = meeting.body
    day = timezone.localdate(meeting.starts_at)
    rows: list[Attendance] = []
    if body.electorate == Electorate.MEMBERS:
        members = members_on(body, day)
        if not members:
            raise _refuse(
                _("The %(body)s has no members on %(day)s; record its members first.")
                % {"body": body.name, "day": day},
                DeliberationErrorCode.NO_MEMBERS,
            )
        try:
            wanted = {int(i) for i in (present_ids or [])}
        except (TypeError, ValueError):
            raise _refuse(
                _("The attendance list is not valid."), DeliberationErrorCode.ATTENDANCE_INVALID
            ) from None
        known = {p.pk for p in members}
        strangers = wanted - known
        if strangers:
            raise _refuse(
                _("Only members of the %(body)s on the meeting day can be marked present.")
                % {"body": body.name},
                DeliberationErrorCode.NOT_A_MEMBER,
                present=[_("Not a member: %(ids)s") % {"ids": ", ".join(str(i) for i in sorted(strangers))}],
            )
        expected, present = len(members), len(wanted)
        rows = [Attendance(meeting=meeting, person=p, present=p.pk in wanted) for p in members]
    else:
        expected = electorate_size(body, day)
        if expected == 0:
            raise _refuse(
                _("The registry has nobody entitled to attend in %(village)s.")
                % {"village": meeting.village.name},
                DeliberationErrorCode.NO_MEMBERS,
            )
        if (
            isinstance(present_count, bool)
            or not isinstance(present_count, int)
            or not 0 <= present_count <= expected
        ):
            raise _refuse(
                _("Enter how many attended: a whole number from 0 to %(n)d.") % {"n": expected},
                DeliberationErrorCode.ATTENDANCE_INVALID,
                present_count=[_("From 0 to %(n)d.") % {"n": expected}],
            )
        present = present_count
    with transaction.atomic():
        Attendance.objects.filter(meeting=meeting).delete()
        Attendance.objects.bulk_create(rows)
        Meeting.objects.filter(pk=meeting.pk).update(
            status=MeetingStatus.HELD, expected=expected, present=present
        )
        ledger_append(
            kind="deliberation.attendance_recorded",
            actor=actor,
            subject=ledger_subject(meeting),
            region=meeting.village,
            payload={
                "expected": expected,
                "present": present,
                "present_ids": sorted(r.person_id for r in rows if r.present),
            },
        )
    meeting.status, meeting.expected, meeting.present = MeetingStatus.HELD, expected, present
    return meeting


def meeting_vote(
    *,
    actor: User | None,
    meeting: Meeting,
    text: str,
    ballots: dict[int, str] | None = None,
    tally: dict[str, int] | None = None,
    now: datetime.datetime | None = None,
) -> Resolution:
    """Record the vote (by name: ``{person_id: "for"|"against"|"abstain"}``; or a tally
    ``{"for", "against", "abstain"}``) and the resolution it produces. Whether it passed is computed
    from the attendance and the body's rule with exact fractions; a vote that misses the quorum or
    the threshold cannot pass. A passed resolution completes the motion's meeting stage."""
    _require(actor, Perm.MEETING_RECORD, meeting.village)
    now = now or timezone.now()
    text = _text(text, "text", required=True)
    if meeting.status != MeetingStatus.HELD or meeting.expected is None or meeting.present is None:
        raise _refuse(_("Record the attendance first."), DeliberationErrorCode.MEETING_STATE)
    if Resolution.objects.filter(meeting=meeting).exists():
        raise _refuse(_("This meeting's vote is already recorded."), DeliberationErrorCode.ALREADY_VOTED)
    if (ballots is None) == (tally is None):
        raise _refuse(_("Record the votes either by name or as a tally."), DeliberationErrorCode.VOTE_INVALID)
    body = meeting.body
    ballot_rows: list[tuple[int, str]] = []
    if ballots is not None:
        if body.electorate != Electorate.MEMBERS:
            raise _refuse(
                _("Votes by name need a body of named members."), DeliberationErrorCode.VOTE_INVALID
            )
        present_ids = set(
            Attendance.objects.filter(meeting=meeting, present=True).values_list("person_id", flat=True)
        )
        try:
            ballot_rows = [(int(pid), str(choice)) for pid, choice in ballots.items()]
        except (TypeError, ValueError, AttributeError):
            raise _refuse(_("The ballots are not valid."), DeliberationErrorCode.VOTE_INVALID) from None
        problems = []
        for pid, choice in ballot_rows:
            if pid not in present_ids:
                problems.append(_("Person %(id)d was not present and cannot vote.") % {"id": pid})
            if choice not in Choice.values:
                problems.append(_("Unknown vote “%(choice)s”.") % {"choice": choice})
        if problems:
            raise _refuse(
                _("The ballots are not valid."), DeliberationErrorCode.VOTE_INVALID, ballots=problems
            )
        counts = {c: sum(1 for _p, ch in ballot_rows if ch == c) for c in Choice.values}
        mode = VoteMode.BY_NAME
    else:
        counts = {}
        for key in Choice.values:
            value = tally.get(key, 0) if isinstance(tally, dict) else None
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise _refuse(
                    _("The tally is not valid."),
                    DeliberationErrorCode.VOTE_INVALID,
                    **{key: [_("A whole number of zero or more.")]},
                )
            counts[key] = value
        mode = VoteMode.TALLY
    if sum(counts.values()) > meeting.present:
        raise _refuse(
            _("%(votes)d votes are counted but only %(present)d people are present.")
            % {"votes": sum(counts.values()), "present": meeting.present},
            DeliberationErrorCode.VOTE_INVALID,
        )
    settings = meeting.stage.motion.settings if meeting.stage_id else config.effective(meeting.village)
    rule = config.body_rule(settings, body.kind)
    result = rules.outcome(
        rule, expected=meeting.expected, present=meeting.present, votes_for=counts[Choice.FOR]
    )
    motion = meeting.stage.motion if meeting.stage_id else None
    with transaction.atomic():
        if not Meeting.objects.filter(pk=meeting.pk, status=MeetingStatus.HELD).exists():
            raise DeliberationConflict()
        try:
            with transaction.atomic():
                resolution = Resolution.objects.create(
                    meeting=meeting,
                    motion=motion,
                    case=motion.case if motion is not None else None,
                    number=_code("JY", now),
                    body_kind=body.kind,
                    text=text,
                    mode=mode,
                    expected=meeting.expected,
                    present=meeting.present,
                    votes_for=counts[Choice.FOR],
                    votes_against=counts[Choice.AGAINST],
                    abstentions=counts[Choice.ABSTAIN],
                    rule=rule.as_dict(),
                    quorum_met=result.quorum_met,
                    passed=result.passed,
                    held_on=timezone.localdate(meeting.starts_at),
                    recorded_by=actor or _system_user(),
                    recorded_at=now,
                )
        except IntegrityError:
            raise _refuse(
                _("This meeting's vote is already recorded."), DeliberationErrorCode.ALREADY_VOTED
            ) from None
        Ballot.objects.bulk_create(
            [Ballot(resolution=resolution, person_id=p, choice=c) for p, c in ballot_rows]
        )
        ledger_append(
            kind="deliberation.vote_recorded",
            actor=actor,
            subject=ledger_subject(meeting),
            region=meeting.village,
            payload={
                "resolution": resolution.number,
                "body": body.kind,
                "mode": mode,
                "expected": meeting.expected,
                "present": meeting.present,
                "for": counts[Choice.FOR],
                "against": counts[Choice.AGAINST],
                "abstain": counts[Choice.ABSTAIN],
                "ballots": {str(p): c for p, c in ballot_rows},
                "rule": rule.as_dict(),
                "quorum_met": result.quorum_met,
                "passed": result.passed,
                "motion": motion.number if motion else None,
            },
        )
        if result.passed and meeting.stage_id is not None and meeting.stage.status == StageStatus.ACTIVE:
            _advance(motion, meeting.stage, actor=actor, now=now, note=resolution.number)
    return resolution


def meeting_minutes(
    *,
    actor: User | None,
    meeting: Meeting,
    minutes: str,
    scan: bytes | None = None,
    scan_name: str = "",
) -> Meeting:
    """Record the minutes and, optionally, the signed scan (typed by content, stored by hash with
    the case documents' storage)."""
    from sunlit.cases import documents as docstore
    from sunlit.core.errors import DomainError

    _require(actor, Perm.MEETING_RECORD, meeting.village)
    minutes = _text(minutes, "minutes", required=True, limit=50_000)
    if meeting.status != MeetingStatus.HELD:
        raise _refuse(
            _("Minutes are recorded for a meeting that was held."), DeliberationErrorCode.MEETING_STATE
        )
    clean = None
    if scan:
        try:
            clean = docstore.clean(scan)
        except DomainError as exc:
            raise DeliberationRefused(
                exc.message, code=exc.code, fields={"scan": [str(exc.message)]}
            ) from None
    with transaction.atomic():
        fields: dict[str, Any] = {"minutes": minutes, "sequence": meeting.sequence + 1}
        if clean is not None:
            fields |= {
                "scan_sha256": clean.sha256,
                "scan_type": clean.content_type,
                "scan_name": (scan_name or "scan")[:255],
            }
        Meeting.objects.filter(pk=meeting.pk).update(**fields)
        ledger_append(
            kind="deliberation.minutes_recorded",
            actor=actor,
            subject=ledger_subject(meeting),
            region=meeting.village,
            payload={"scan": clean.sha256 if clean else None, "length": len(minutes)},
        )
        if clean is not None:
            docstore.store(clean)
    for key, value in fields.items():
        setattr(meeting, key, value)
    return meeting


# --- publications -------------------------------------------------------------------------------------


def _disclose(*, actor: User | None, publication: Publication, now: datetime.datetime) -> str:
    """Publish through the disclosure module's 决策公示 when it is installed; returns its reference."""
    try:
        from sunlit.disclosure.services import disclosure_publish  # type: ignore[attr-defined]
    except ImportError:
        return ""
    item = disclosure_publish(
        actor=actor,
        village=publication.village,
        module="decisions",
        title=publication.title,
        body=publication.body,
        period_start=timezone.localdate(publication.posted_at),
        period_end=timezone.localdate(publication.period_end),
        source=ledger_subject(publication),
        case=publication.motion.case,
        now=now,
    )
    return f"{item._meta.label_lower}:{item.pk}" if item is not None and getattr(item, "pk", None) else ""


def motion_publish(
    *,
    actor: User | None,
    motion: Motion,
    kind: str,
    title: str,
    body: str,
    now: datetime.datetime | None = None,
) -> Publication:
    """Post the plan (after consultation, before the resolution vote), the resolution (at the
    resolution-published stage, with the passed resolution) or the result (at the result stage)."""
    _require(actor, Perm.MEETING_RECORD, motion.village)
    now = now or timezone.now()
    title = _text(title, "title", required=True, limit=300)
    body = _text(body, "body", required=True, limit=20_000)
    stage = active_stage(motion)
    settings = motion.settings
    resolution = None
    if kind == PublicationKind.PLAN:
        if not _stage_done(motion, StageKey.CONSULT) or _stage_done(motion, StageKey.RESOLVE):
            raise _refuse(
                _("The plan is posted after the consultation and before the resolution vote."),
                DeliberationErrorCode.STAGE_ORDER,
            )
        days = int(settings["plan_notice_days"])
    elif kind == PublicationKind.RESOLUTION:
        if stage.key != StageKey.PUBLISH_RESOLUTION:
            raise _refuse(
                _("The resolution is published once it has passed."), DeliberationErrorCode.STAGE_ORDER
            )
        resolution = Resolution.objects.filter(
            motion=motion, body_kind=_resolve_body(motion), passed=True
        ).first()
        if resolution is None:
            raise _refuse(_("There is no passed resolution to publish."), DeliberationErrorCode.STAGE_ORDER)
        days = int(settings["resolution_notice_days"])
    elif kind == PublicationKind.RESULT:
        if stage.key != StageKey.PUBLISH_RESULT:
            raise _refuse(
                _("The result is published after implementation."), DeliberationErrorCode.STAGE_ORDER
            )
        days = int(settings["result_notice_days"])
    else:
        raise _refuse(_("Unknown publication."), DeliberationErrorCode.INPUT_INVALID, kind=[_("Choose one.")])
    if Publication.objects.filter(motion=motion, kind=kind).exists():
        raise _refuse(_("This has already been published."), DeliberationErrorCode.STAGE_ORDER)
    with transaction.atomic():
        publication = Publication.objects.create(
            motion=motion,
            village=motion.village,
            kind=kind,
            title=title,
            body=body,
            posted_at=now,
            period_end=now + datetime.timedelta(days=days),
            resolution=resolution,
            posted_by=actor or _system_user(),
        )
        ref = _disclose(actor=actor, publication=publication, now=now)
        if ref:
            Publication.objects.filter(pk=publication.pk).update(disclosure_ref=ref[:64])
            publication.disclosure_ref = ref[:64]
        ledger_append(
            kind="deliberation.published",
            actor=actor,
            subject=ledger_subject(motion),
            region=motion.village,
            payload={
                "kind": kind,
                "title": title,
                "period_end": publication.period_end,
                "resolution": resolution.number if resolution else None,
                "disclosure": ref or None,
            },
        )
    return publication


def _resolve_body(motion: Motion) -> str:
    for stage in motion.settings.get("plan", []):
        if stage["key"] == StageKey.RESOLVE:
            return stage["body"]
    return BodyKind.VILLAGER_REPRESENTATIVES


# --- the case link --------------------------------------------------------------------------------------


MEETING_REF_PREFIX = "deliberation.resolution:"


def resolution_apply_to_case(*, actor: User, resolution: Resolution) -> Any:
    """Record a passed resolution's tally on its case's active vote step (cases.services.vote_record).

    The case engine then applies the step's own rule to it; the validator registered in apps.py
    makes sure only such a resolution can satisfy a vote step where the county requires one."""
    from sunlit.cases import engine
    from sunlit.cases.services import vote_record

    if resolution.case_id is None:
        raise _refuse(
            _("This resolution is not linked to a case."), DeliberationErrorCode.RESOLUTION_MISMATCH
        )
    tally = engine.Tally(
        expected=resolution.expected,
        present=resolution.present,
        votes_for=resolution.votes_for,
        votes_against=resolution.votes_against,
        abstentions=resolution.abstentions,
    )
    return vote_record(
        actor=actor,
        case=resolution.case,
        tally=tally,
        held_on=resolution.held_on,
        meeting_ref=f"{MEETING_REF_PREFIX}{resolution.pk}",
    )


def validate_case_vote(*, case: Any, instance: Any, tally: Any, meeting_ref: str) -> None:
    """Vote validator registered with sunlit.cases.hooks: where the county requires a resolution for
    the step's body, the tally must be exactly that of a passed resolution of that body for this case."""
    from sunlit.cases.errors import CaseRefused

    body = instance.step.vote_body
    settings = config.effective(case.village)
    if not body or body not in settings["resolution_required_bodies"]:
        return
    label = BodyKind(body).label
    ref = meeting_ref or ""
    resolution = None
    if ref.startswith(MEETING_REF_PREFIX) and ref[len(MEETING_REF_PREFIX) :].isdigit():
        resolution = Resolution.objects.filter(pk=int(ref[len(MEETING_REF_PREFIX) :])).first()
    if resolution is None:
        raise CaseRefused(
            _(
                "This vote must come from a passed resolution of the %(body)s recorded in the deliberation module; a typed tally is not accepted."
            )
            % {"body": label},
            code=DeliberationErrorCode.RESOLUTION_REQUIRED,
        )
    if resolution.case_id != case.pk:
        raise CaseRefused(
            _("That resolution was adopted for another case."), code=DeliberationErrorCode.RESOLUTION_MISMATCH
        )
    if resolution.body_kind != body:
        raise CaseRefused(
            _("This step needs a resolution of the %(body)s; that one is of the %(other)s.")
            % {"body": label, "other": BodyKind(resolution.body_kind).label},
            code=DeliberationErrorCode.WRONG_BODY,
        )
    if not resolution.passed:
        raise CaseRefused(_("That resolution did not pass."), code=DeliberationErrorCode.RESOLUTION_MISMATCH)
    given = (tally.expected, tally.present, tally.votes_for, tally.votes_against, tally.abstentions)
    recorded = (
        resolution.expected,
        resolution.present,
        resolution.votes_for,
        resolution.votes_against,
        resolution.abstentions,
    )
    if given != recorded:
        raise CaseRefused(
            _("The tally differs from the resolution's; it is taken from the resolution, not typed."),
            code=DeliberationErrorCode.RESOLUTION_MISMATCH,
        )


# --- duty airing -----------------------------------------------------------------------------------------


def branch_body(village: Region) -> Body | None:
    """The branch whose members air their duties: the village's party members' assembly."""
    return Body.objects.filter(village=village, kind=BodyKind.PARTY_MEMBERS).first()


def duty_session_open(
    *, actor: User | None, village: Region, held_on: datetime.date, now: datetime.datetime | None = None
) -> DutySession:
    _require(actor, Perm.MEETING_RECORD, village)
    now = now or timezone.now()
    if village.level != RegionLevel.VILLAGE:
        raise _refuse(_("Duty airing is held by a village branch."), DeliberationErrorCode.NOT_A_VILLAGE)
    if not isinstance(held_on, datetime.date) or held_on > timezone.localdate(now):
        raise _refuse(
            _("The session date cannot be in the future."),
            DeliberationErrorCode.INPUT_INVALID,
            held_on=[_("Today or earlier.")],
        )
    month = held_on.replace(day=1)
    try:
        with transaction.atomic():
            session = DutySession.objects.create(
                village=village,
                month=month,
                held_on=held_on,
                recorded_by=actor or _system_user(),
                recorded_at=now,
            )
            ledger_append(
                kind="deliberation.duty_session_opened",
                actor=actor,
                subject=ledger_subject(session),
                region=village,
                payload={"month": month, "held_on": held_on},
            )
    except IntegrityError:
        raise _refuse(
            _("The branch already held its duty-airing session for %(month)s.") % {"month": f"{month:%Y-%m}"},
            DeliberationErrorCode.REPORT_EXISTS,
        ) from None
    return session


def session_members(session: DutySession) -> list[Person]:
    body = branch_body(session.village)
    return members_on(body, session.held_on) if body is not None else []


def duty_report_record(
    *,
    actor: User | None,
    session: DutySession,
    person: Person,
    duties: str,
    eight_rules_ok: bool,
    gifts_received: bool,
    obstruction: bool,
    eight_rules_note: str = "",
    major_matters: str = "",
    gifts_note: str = "",
    obstruction_note: str = "",
    problems: str = "",
    peer_comments: str = "",
    now: datetime.datetime | None = None,
) -> DutyReport:
    """A member's report against the checklist. Leaders report like every other member; a "no" to
    the eight-point rules or a "yes" to gifts or obstruction needs its explanation."""
    _require(actor, Perm.MEETING_RECORD, session.village)
    now = now or timezone.now()
    if session.status != SessionStatus.OPEN:
        raise _refuse(
            _("The session is concluded; reports can no longer be added."),
            DeliberationErrorCode.SESSION_CLOSED,
        )
    if person.pk not in {p.pk for p in session_members(session)}:
        raise _refuse(
            _("“%(name)s” is not a member of the branch on the session day.") % {"name": person.name},
            DeliberationErrorCode.NOT_A_MEMBER,
            person=[_("Not a member.")],
        )
    values = {
        "duties": _text(duties, "duties", required=True),
        "eight_rules_note": _text(eight_rules_note, "eight_rules_note"),
        "major_matters": _text(major_matters, "major_matters"),
        "gifts_note": _text(gifts_note, "gifts_note"),
        "obstruction_note": _text(obstruction_note, "obstruction_note"),
        "problems": _text(problems, "problems"),
        "peer_comments": _text(peer_comments, "peer_comments"),
    }
    for flag, note, bad in (
        (eight_rules_ok, "eight_rules_note", False),
        (gifts_received, "gifts_note", True),
        (obstruction, "obstruction_note", True),
    ):
        if not isinstance(flag, bool):
            raise _refuse(
                _("Answer yes or no."), DeliberationErrorCode.INPUT_INVALID, **{note: [_("Yes or no.")]}
            )
        if flag == bad and not values[note]:
            raise _refuse(
                _("Explain the answer."),
                DeliberationErrorCode.INPUT_INVALID,
                **{note: [_("Required for this answer.")]},
            )
    try:
        with transaction.atomic():
            report = DutyReport.objects.create(
                session=session,
                person=person,
                eight_rules_ok=eight_rules_ok,
                gifts_received=gifts_received,
                obstruction=obstruction,
                recorded_by=actor or _system_user(),
                recorded_at=now,
                **values,
            )
            ledger_append(
                kind="deliberation.duty_reported",
                actor=actor,
                subject=ledger_subject(session),
                region=session.village,
                payload={
                    "person": person.pk,
                    "eight_rules_ok": eight_rules_ok,
                    "gifts_received": gifts_received,
                    "obstruction": obstruction,
                    **values,
                },
            )
    except IntegrityError:
        raise _refuse(
            _("“%(name)s” has already reported in this session.") % {"name": person.name},
            DeliberationErrorCode.REPORT_EXISTS,
        ) from None
    return report


def duty_session_conclude(*, actor: User | None, session: DutySession, conclusion: str) -> DutySession:
    _require(actor, Perm.MEETING_RECORD, session.village)
    conclusion = _text(conclusion, "conclusion", required=True)
    with transaction.atomic():
        if not DutySession.objects.filter(pk=session.pk, status=SessionStatus.OPEN).update(
            status=SessionStatus.CONCLUDED, conclusion=conclusion
        ):
            raise _refuse(_("The session is already concluded."), DeliberationErrorCode.SESSION_CLOSED)
        ledger_append(
            kind="deliberation.duty_session_concluded",
            actor=actor,
            subject=ledger_subject(session),
            region=session.village,
            payload={"conclusion": conclusion, "reports": session.reports.count()},
        )
    session.status, session.conclusion = SessionStatus.CONCLUDED, conclusion
    return session


# --- discipline team leader scores -------------------------------------------------------------------------

FLAG_AFTER = 4  # consecutive last places in the township


def parse_quarter(value: str) -> tuple[int, int]:
    if (
        not isinstance(value, str)
        or len(value) != 6
        or value[4] != "Q"
        or not value[:4].isdigit()
        or value[5] not in "1234"
    ):
        raise _refuse(
            _("A quarter looks like 2026Q3."),
            DeliberationErrorCode.SCORE_INVALID,
            quarter=[_("Like 2026Q3.")],
        )
    return int(value[:4]), int(value[5])


def previous_quarter(value: str) -> str:
    year, q = parse_quarter(value)
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def leader_score_record(
    *,
    actor: User | None,
    village: Region,
    quarter: str,
    leader: Person,
    scores: dict[str, Any],
    now: datetime.datetime | None = None,
) -> LeaderScore:
    """The township's score of a village's discipline team leader for a quarter, one per aspect
    (configured by the county, each from 0 to its maximum). Re-scoring replaces the quarter's score."""
    from decimal import Decimal, InvalidOperation

    township = village.parent
    if village.level != RegionLevel.VILLAGE or township is None:
        raise _refuse(_("Leaders are scored per village."), DeliberationErrorCode.NOT_A_VILLAGE)
    if actor is not None and not has_perm(actor, Perm.DUTY_SCORE, township):
        if has_perm(actor, Perm.MEETING_VIEW, village):
            raise PermissionDenied()
        raise NotFound()
    parse_quarter(quarter)
    if leader.village_id != village.pk:
        raise _refuse(
            _("The leader must be registered in the village."),
            DeliberationErrorCode.PERSON_ELSEWHERE,
            leader=[_("Wrong village.")],
        )
    aspects = config.effective(village)["score_aspects"]
    clean: dict[str, str] = {}
    problems: dict[str, list[str]] = {}
    if not isinstance(scores, dict):
        scores = {}
    for aspect in aspects:
        raw = scores.get(aspect["key"])
        try:
            value = Decimal(str(raw)) if raw is not None and not isinstance(raw, bool) else None
        except InvalidOperation:
            value = None
        if (
            value is None
            or not value.is_finite()
            or value < 0
            or value > aspect["max"]
            or value.as_tuple().exponent < -1
        ):
            problems[aspect["key"]] = [_("From 0 to %(max)d, at most one decimal.") % {"max": aspect["max"]}]
        else:
            clean[aspect["key"]] = str(value)
    extra = set(scores) - {a["key"] for a in aspects}
    if extra:
        problems[sorted(extra)[0]] = [_("Not an aspect of this county.")]
    if problems:
        raise DeliberationRefused(
            _("The scores are not valid."), code=DeliberationErrorCode.SCORE_INVALID, fields=problems
        )
    total = sum((Decimal(v) for v in clean.values()), Decimal(0))
    now = now or timezone.now()
    with transaction.atomic():
        row, _created = LeaderScore.objects.update_or_create(
            village=village,
            quarter=quarter,
            defaults={
                "township": township,
                "leader": leader,
                "scores": clean,
                "total": total,
                "scored_by": actor or _system_user(),
                "scored_at": now,
            },
        )
        _rank(township, quarter)
        row.refresh_from_db()
        ledger_append(
            kind="deliberation.leader_scored",
            actor=actor,
            subject=ledger_subject(row),
            region=village,
            payload={
                "quarter": quarter,
                "leader": leader.pk,
                "scores": clean,
                "total": total,
                "rank": row.rank,
            },
        )
    return row


def _rank(township: Region, quarter: str) -> None:
    """Rank the township's scores of the quarter (ties share a rank), mark the last place(s) and flag
    leaders last for FLAG_AFTER quarters running. Only a township with two or more scored villages has
    a last place."""
    rows = list(
        LeaderScore.objects.filter(township=township, quarter=quarter).order_by("-total", "village__code")
    )
    lowest = rows[-1].total if len(rows) > 1 else None
    previous_rank, previous_total = 0, None
    for index, row in enumerate(rows, start=1):
        rank = previous_rank if row.total == previous_total else index
        previous_rank, previous_total = rank, row.total
        last = lowest is not None and row.total == lowest
        streak = 0
        if last:
            streak = 1
            q = quarter
            while streak < FLAG_AFTER:
                q = previous_quarter(q)
                if not LeaderScore.objects.filter(
                    village=row.village_id, leader=row.leader_id, quarter=q, last_place=True
                ).exists():
                    break
                streak += 1
        LeaderScore.objects.filter(pk=row.pk).update(rank=rank, last_place=last, flagged=streak >= FLAG_AFTER)
