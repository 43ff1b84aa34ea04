"""Staff pages of deliberation: motions, meetings (attendance, votes, minutes, PDFs), bodies and
members, duty airing and leader scores.

Thin views: parse a form, call an ``access_*`` selector or a service, render. Every action works as a
plain form post (redirect on success, the page with the refusal inline otherwise) and as an htmx post,
which gets the page's body partial back (``Vary: HX-Request``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sunlit.accounts.permissions import has_perm
from sunlit.accounts.roles import Perm
from sunlit.cases import documents as docstore
from sunlit.core.errors import DomainError, NotFound
from sunlit.deliberation import config, pdf, selectors, services
from sunlit.deliberation.models import Attendance, Body, LeaderScore, MotionStage, Resolution
from sunlit.deliberation.vocab import Electorate, MeetingStatus, MotionStatus, StageKind
from sunlit.people.models import Person
from sunlit.regions.models import Region, RegionLevel

from .deliberation_forms import (
    AttendanceForm,
    BodyForm,
    CancelForm,
    ConcludeForm,
    DutyReportForm,
    DutySessionForm,
    MeetingForm,
    MemberForm,
    MinutesForm,
    MotionForm,
    PublishForm,
    ScoreForm,
    StageForm,
    SuggestionForm,
    VoteForm,
    add_domain_error,
)
from .views import staff_required

PAGE_SIZE = 25


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _need(request: HttpRequest, perm: str = Perm.MEETING_VIEW) -> None:
    if not has_perm(request.user, perm):
        raise Http404


def _village_by_code(request: HttpRequest, code: str, perm: str = Perm.MEETING_RECORD) -> Region:
    village = selectors.villages_for_user(request.user, perm).filter(code=code).first()
    if village is None:
        raise NotFound()
    return village


# --- motions ----------------------------------------------------------------------------------------------


@staff_required
@require_GET
def motion_list(request: HttpRequest) -> HttpResponse:
    _need(request)
    qs = selectors.motions_for_user(request.user)
    status = request.GET.get("status", "")
    if status in MotionStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-opened_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    stages = {s.motion_id: s for s in MotionStage.objects.filter(motion__in=list(page), status="active")}
    rows = [{"motion": m, "stage": stages.get(m.pk)} for m in page]
    return render(
        request,
        "workbench/deliberation/motions.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "statuses": MotionStatus.choices,
            "query": f"status={status}" if status else "",
            "can_record": has_perm(request.user, Perm.MEETING_RECORD),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def motion_new(request: HttpRequest) -> HttpResponse:
    _need(request, Perm.MEETING_RECORD)
    villages = list(selectors.villages_for_user(request.user)[:500])
    form = MotionForm(request.POST or None, villages=villages)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            village = _village_by_code(request, form.cleaned_data["village"])
            case = None
            if form.cleaned_data["case"]:
                from sunlit.cases.selectors import cases_for_user

                case = (
                    cases_for_user(request.user).filter(tracking_no=form.cleaned_data["case"].strip()).first()
                )
                if case is None:
                    form.add_error("case", _("No case with this tracking number in your regions."))
                    raise _FormInvalid
            motion = services.motion_open(
                actor=request.user,
                village=village,
                title=form.cleaned_data["title"],
                summary=form.cleaned_data["summary"],
                case=case,
                merge=form.cleaned_data["merge"],
            )
        except _FormInvalid:
            status = 422
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status
        else:
            messages.success(request, _("Motion “%(title)s” opened.") % {"title": motion.title})
            return redirect("workbench:deliberation_motion", motion_id=motion.pk)
    elif request.method == "POST":
        status = 422
    return render(request, "workbench/deliberation/motion_new.html", {"form": form}, status=status)


class _FormInvalid(Exception):
    pass


def _motion_context(request: HttpRequest, motion: Any, forms: dict[str, Any] | None = None) -> dict[str, Any]:
    forms = forms or {}
    stages = selectors.motion_stages(motion)
    active = next((s for s in stages if s.status == "active"), None)
    can_record = has_perm(request.user, Perm.MEETING_RECORD, motion.village)
    bodies = []
    if active is not None and active.kind == StageKind.MEETING:
        bodies = list(
            Body.objects.filter(village=motion.village, kind=active.body_kind).select_related("village")
        )
    return {
        "motion": motion,
        "stages": stages,
        "active": active,
        "meetings": list(selectors.motion_meetings(motion)),
        "publications": list(motion.publications.select_related("resolution").order_by("posted_at")),
        "suggestions": list(active.suggestions.all())
        if active is not None and active.kind == StageKind.SUGGESTIONS
        else [],
        "can_record": can_record and motion.status == MotionStatus.OPEN,
        "meeting_form": forms.get("meeting")
        or (MeetingForm(bodies=bodies, initial={"title": f"{motion.title}"}) if bodies else None),
        "stage_form": forms.get("stage") or StageForm(),
        "publish_form": forms.get("publish") or PublishForm(initial={"title": motion.title}),
        "suggestion_form": forms.get("suggestion") or SuggestionForm(),
        "cancel_form": forms.get("withdraw") or CancelForm(),
        "flash": forms.get("flash"),
    }


def _render_motion(
    request: HttpRequest, motion: Any, *, forms: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    context = _motion_context(request, motion, forms)
    if _is_htmx(request):
        response = render(request, "workbench/deliberation/motion.html#motion-body", context)
    else:
        response = render(request, "workbench/deliberation/motion.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _motion_done(request: HttpRequest, motion_id: int, message: str) -> HttpResponse:
    if _is_htmx(request):
        return _render_motion(
            request, selectors.access_motion(request.user, motion_id), forms={"flash": message}
        )
    messages.success(request, message)
    return redirect("workbench:deliberation_motion", motion_id=motion_id)


@staff_required
@require_GET
def motion_detail(request: HttpRequest, motion_id: int) -> HttpResponse:
    return _render_motion(request, selectors.access_motion(request.user, motion_id))


@staff_required
@require_POST
def motion_action(request: HttpRequest, motion_id: int, action: str) -> HttpResponse:
    motion = selectors.access_motion(request.user, motion_id)
    handlers = {
        "meeting": (MeetingForm, "meeting"),
        "stage": (StageForm, "stage"),
        "publish": (PublishForm, "publish"),
        "suggest": (SuggestionForm, "suggestion"),
        "withdraw": (CancelForm, "withdraw"),
    }
    if action not in handlers:
        raise Http404
    form_class, key = handlers[action]
    kwargs: dict[str, Any] = {}
    if action == "meeting":
        active = selectors.open_meeting_stage(motion)
        kwargs["bodies"] = list(
            Body.objects.filter(
                village=motion.village, kind=active.body_kind if active else ""
            ).select_related("village")
        )
    form = form_class(request.POST, **kwargs)
    if not form.is_valid():
        return _render_motion(request, motion, forms={key: form}, status=422)
    data = form.cleaned_data
    try:
        if action == "meeting":
            body = next(b for b in kwargs["bodies"] if str(b.pk) == data["body"])
            meeting = services.meeting_convene(
                actor=request.user,
                body=body,
                title=data["title"],
                location=data["location"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                notice_sent_at=data["notice_sent_at"],
                motion=motion,
            )
            message = _("Meeting “%(title)s” convened.") % {"title": meeting.title}
        elif action == "stage":
            services.stage_complete(actor=request.user, motion=motion, note=data["note"])
            message = _("Stage completed.")
        elif action == "publish":
            services.motion_publish(
                actor=request.user, motion=motion, kind=data["kind"], title=data["title"], body=data["body"]
            )
            message = _("Published.")
        elif action == "suggest":
            services.suggestion_add(
                actor=request.user, motion=motion, author=data["author"], text=data["text"]
            )
            message = _("Suggestion recorded.")
        else:
            services.motion_withdraw(actor=request.user, motion=motion, reason=data["reason"])
            message = _("Motion withdrawn.")
    except DomainError as exc:
        add_domain_error(form, exc)
        return _render_motion(request, motion, forms={key: form}, status=exc.status)
    return _motion_done(request, motion.pk, message)


# --- meetings ----------------------------------------------------------------------------------------------


@staff_required
@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    _need(request)
    qs = selectors.meetings_for_user(request.user).order_by("-starts_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "workbench/deliberation/meetings.html",
        {
            "page": page,
            "can_record": has_perm(request.user, Perm.MEETING_RECORD),
            "form": MeetingForm(bodies=_recordable_bodies(request))
            if has_perm(request.user, Perm.MEETING_RECORD)
            else None,
        },
    )


def _recordable_bodies(request: HttpRequest) -> list[Body]:
    villages = selectors.villages_for_user(request.user)
    return list(
        Body.objects.filter(village__in=villages)
        .select_related("village")
        .order_by("village__code", "kind")[:300]
    )


@staff_required
@require_POST
def meeting_new(request: HttpRequest) -> HttpResponse:
    _need(request, Perm.MEETING_RECORD)
    bodies = _recordable_bodies(request)
    form = MeetingForm(request.POST, bodies=bodies)
    status = 422
    if form.is_valid():
        body = next(b for b in bodies if str(b.pk) == form.cleaned_data["body"])
        data = form.cleaned_data
        try:
            meeting = services.meeting_convene(
                actor=request.user,
                body=body,
                title=data["title"],
                location=data["location"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                notice_sent_at=data["notice_sent_at"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status
        else:
            messages.success(request, _("Meeting “%(title)s” convened.") % {"title": meeting.title})
            return redirect("workbench:deliberation_meeting", meeting_id=meeting.pk)
    page = Paginator(selectors.meetings_for_user(request.user).order_by("-starts_at"), PAGE_SIZE).get_page(1)
    return render(
        request,
        "workbench/deliberation/meetings.html",
        {"page": page, "can_record": True, "form": form},
        status=status,
    )


def _meeting_context(
    request: HttpRequest, meeting: Any, forms: dict[str, Any] | None = None
) -> dict[str, Any]:
    forms = forms or {}
    body = meeting.body
    by_name = body.electorate == Electorate.MEMBERS
    day = timezone.localdate(meeting.starts_at)
    members = services.members_on(body, day) if by_name else []
    attendance = list(
        Attendance.objects.filter(meeting=meeting).select_related("person").order_by("person__name")
    )
    present_people = [a.person for a in attendance if a.present]
    resolution = Resolution.objects.filter(meeting=meeting).select_related("case").first()
    ballots = {b.person_id: b.get_choice_display() for b in resolution.ballots.all()} if resolution else {}
    settings = meeting.stage.motion.settings if meeting.stage_id else config.effective(meeting.village)
    rule = config.body_rule(settings, body.kind)
    from sunlit.deliberation import rules

    can_record = has_perm(request.user, Perm.MEETING_RECORD, meeting.village)
    return {
        "meeting": meeting,
        "body": body,
        "by_name": by_name,
        "attendance": attendance,
        "ballots": ballots,
        "resolution": resolution,
        "rule_text": {
            "quorum": rules.rule_text(rule.quorum_rule, rule.quorum),
            "threshold": rules.rule_text(rule.threshold_rule, rule.threshold),
            "base": rule.threshold_base,
        },
        "can_record": can_record and meeting.status != MeetingStatus.CANCELLED,
        "started": timezone.now() >= meeting.starts_at,
        "attendance_form": forms.get("attendance")
        or AttendanceForm(
            members=members,
            by_name=by_name,
            initial={
                "present": [a.person_id for a in attendance if a.present],
                "present_count": meeting.present,
            },
        ),
        "vote_form": forms.get("vote") or VoteForm(voters=present_people),
        "minutes_form": forms.get("minutes") or MinutesForm(initial={"minutes": meeting.minutes}),
        "cancel_form": forms.get("cancel") or CancelForm(),
        "flash": forms.get("flash"),
    }


def _render_meeting(
    request: HttpRequest, meeting: Any, *, forms: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    context = _meeting_context(request, meeting, forms)
    if _is_htmx(request):
        response = render(request, "workbench/deliberation/meeting.html#meeting-body", context)
    else:
        response = render(request, "workbench/deliberation/meeting.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@staff_required
@require_GET
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _render_meeting(request, selectors.access_meeting(request.user, meeting_id))


@staff_required
@require_POST
def meeting_action(request: HttpRequest, meeting_id: int, action: str) -> HttpResponse:
    meeting = selectors.access_meeting(request.user, meeting_id)
    body = meeting.body
    by_name = body.electorate == Electorate.MEMBERS
    if action == "attendance":
        members = services.members_on(body, timezone.localdate(meeting.starts_at)) if by_name else []
        form: Any = AttendanceForm(request.POST, members=members, by_name=by_name)
        key = "attendance"
    elif action == "vote":
        present = [
            a.person
            for a in Attendance.objects.filter(meeting=meeting, present=True).select_related("person")
        ]
        form, key = VoteForm(request.POST, voters=present), "vote"
    elif action == "minutes":
        form, key = MinutesForm(request.POST, request.FILES), "minutes"
    elif action == "cancel":
        form, key = CancelForm(request.POST), "cancel"
    elif action == "apply":
        resolution = Resolution.objects.filter(meeting=meeting).first()
        if resolution is None:
            raise Http404
        try:
            services.resolution_apply_to_case(actor=request.user, resolution=resolution)
        except DomainError as exc:
            return _render_meeting(request, meeting, forms={"flash": str(exc.message)}, status=exc.status)
        return _meeting_done(request, meeting.pk, _("The resolution's vote was recorded on the case."))
    else:
        raise Http404
    if not form.is_valid():
        return _render_meeting(request, meeting, forms={key: form}, status=422)
    data = form.cleaned_data
    try:
        if action == "attendance":
            services.meeting_attendance(
                actor=request.user,
                meeting=meeting,
                present_ids=[int(i) for i in data.get("present") or []],
                present_count=data.get("present_count"),
            )
            message = _("Attendance recorded.")
        elif action == "vote":
            if data["mode"] == "by_name":
                res = services.meeting_vote(
                    actor=request.user, meeting=meeting, text=data["text"], ballots=form.ballots()
                )
            else:
                res = services.meeting_vote(
                    actor=request.user, meeting=meeting, text=data["text"], tally=form.tally()
                )
            message = (
                _("Vote recorded: the resolution passed.")
                if res.passed
                else _("Vote recorded: the resolution did not pass.")
            )
        elif action == "minutes":
            upload = data.get("scan")
            scan = None
            if upload is not None:
                if upload.size > docstore.max_bytes():
                    form.add_error(
                        "scan",
                        _("The file is larger than %(mb)d MB.")
                        % {"mb": docstore.max_bytes() // (1024 * 1024)},
                    )
                    return _render_meeting(request, meeting, forms={key: form}, status=422)
                scan = upload.read()
            services.meeting_minutes(
                actor=request.user,
                meeting=meeting,
                minutes=data["minutes"],
                scan=scan,
                scan_name=upload.name if upload else "",
            )
            message = _("Minutes recorded.")
        else:
            services.meeting_cancel(actor=request.user, meeting=meeting, reason=data["reason"])
            message = _("Meeting cancelled.")
    except DomainError as exc:
        add_domain_error(form, exc)
        return _render_meeting(request, meeting, forms={key: form}, status=exc.status)
    return _meeting_done(request, meeting.pk, message)


def _meeting_done(request: HttpRequest, meeting_id: int, message: str) -> HttpResponse:
    if _is_htmx(request):
        return _render_meeting(
            request, selectors.access_meeting(request.user, meeting_id), forms={"flash": message}
        )
    messages.success(request, message)
    return redirect("workbench:deliberation_meeting", meeting_id=meeting_id)


@staff_required
@require_GET
def meeting_minutes_pdf(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = selectors.access_meeting(request.user, meeting_id)
    if meeting.status != MeetingStatus.HELD:
        raise Http404
    response = HttpResponse(pdf.minutes_pdf(meeting), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="minutes-{meeting.pk}.pdf"'
    return response


@staff_required
@require_GET
def meeting_scan(request: HttpRequest, meeting_id: int) -> FileResponse:
    meeting = selectors.access_meeting(request.user, meeting_id)
    if not meeting.scan_sha256:
        raise Http404
    response = FileResponse(docstore.open_stored(meeting.scan_sha256), content_type=meeting.scan_type)
    response["Content-Disposition"] = f'attachment; filename="scan-{meeting.pk}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
@require_GET
def resolution_pdf(request: HttpRequest, resolution_id: int) -> HttpResponse:
    res = selectors.access_resolution(request.user, resolution_id)
    response = HttpResponse(pdf.resolution_pdf(res), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="resolution-{res.number}.pdf"'
    return response


# --- bodies ---------------------------------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def body_list(request: HttpRequest) -> HttpResponse:
    _need(request)
    villages = list(selectors.villages_for_user(request.user)[:500])
    form = BodyForm(request.POST or None, villages=villages)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                village = _village_by_code(request, form.cleaned_data["village"])
                body = services.body_create(
                    actor=request.user, village=village, kind=form.cleaned_data["kind"]
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Body “%(name)s” created.") % {"name": body.name})
                return redirect("workbench:deliberation_body", body_id=body.pk)
    page = Paginator(selectors.bodies_for_user(request.user).order_by("village__code", "kind"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "workbench/deliberation/bodies.html",
        {"page": page, "form": form if villages else None},
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def body_detail(request: HttpRequest, body_id: int) -> HttpResponse:
    body = selectors.access_body(request.user, body_id)
    can_record = has_perm(request.user, Perm.MEETING_RECORD, body.village)
    form = MemberForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_record:
            raise Http404
        status = 422
        if form.is_valid():
            person = Person.objects.filter(pk=form.cleaned_data["person"], village=body.village).first()
            if person is None:
                form.add_error(
                    "person",
                    _("No person with this number is registered in %(village)s.")
                    % {"village": body.village.name},
                )
            else:
                try:
                    services.membership_add(
                        actor=request.user,
                        body=body,
                        person=person,
                        position=form.cleaned_data["position"],
                        started_on=form.cleaned_data["started_on"],
                        ended_on=form.cleaned_data["ended_on"],
                    )
                except DomainError as exc:
                    add_domain_error(form, exc)
                    status = exc.status
                else:
                    messages.success(request, _("Member added."))
                    return redirect("workbench:deliberation_body", body_id=body.pk)
    today = timezone.localdate()
    return render(
        request,
        "workbench/deliberation/body.html",
        {
            "body": body,
            "memberships": list(selectors.body_members(body)),
            "today": today,
            "size": services.electorate_size(body, today),
            "form": form if can_record and body.electorate == Electorate.MEMBERS else None,
        },
        status=status,
    )


# --- duty airing ------------------------------------------------------------------------------------------------


def _month(value: str | None) -> datetime.date:
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return datetime.date(year, month, 1)
    except ValueError:
        return timezone.localdate().replace(day=1)


@staff_required
@require_GET
def duty_dashboard(request: HttpRequest) -> HttpResponse:
    _need(request)
    month = _month(request.GET.get("month"))
    villages = selectors.villages_for_user(request.user, Perm.MEETING_VIEW)
    page = Paginator(villages, 50).get_page(request.GET.get("page"))
    rows = selectors.duty_dashboard(list(page), month)
    return render(
        request,
        "workbench/deliberation/duty.html",
        {
            "month": month,
            "rows": rows,
            "page": page,
            "query": f"month={month:%Y-%m}",
            "held": sum(1 for r in rows if r["held"]),
            "form": DutySessionForm(villages=selectors.villages_for_user(request.user)[:500])
            if has_perm(request.user, Perm.MEETING_RECORD)
            else None,
        },
    )


@staff_required
@require_POST
def duty_session_new(request: HttpRequest) -> HttpResponse:
    _need(request, Perm.MEETING_RECORD)
    form = DutySessionForm(request.POST, villages=selectors.villages_for_user(request.user)[:500])
    if form.is_valid():
        try:
            village = _village_by_code(request, form.cleaned_data["village"])
            session = services.duty_session_open(
                actor=request.user, village=village, held_on=form.cleaned_data["held_on"]
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            return redirect("workbench:deliberation_duty_session", session_id=session.pk)
    else:
        messages.error(request, _("Choose a village and a date."))
    return redirect("workbench:deliberation_duty")


@staff_required
@require_http_methods(["GET", "POST"])
def duty_session(request: HttpRequest, session_id: int, action: str = "") -> HttpResponse:
    session = selectors.access_duty_session(request.user, session_id)
    members = services.session_members(session)
    reports = {r.person_id: r for r in session.reports.all()}
    report_form = DutyReportForm(
        request.POST if action == "report" else None, members=[p for p in members if p.pk not in reports]
    )
    conclude_form = ConcludeForm(request.POST if action == "conclude" else None)
    status = 200
    if request.method == "POST":
        status = 422
        try:
            if action == "report" and report_form.is_valid():
                data = dict(report_form.cleaned_data)
                person = next(p for p in members if str(p.pk) == data.pop("person"))
                services.duty_report_record(actor=request.user, session=session, person=person, **data)
                messages.success(request, _("Report recorded."))
                return redirect("workbench:deliberation_duty_session", session_id=session.pk)
            if action == "conclude" and conclude_form.is_valid():
                services.duty_session_conclude(
                    actor=request.user, session=session, conclusion=conclude_form.cleaned_data["conclusion"]
                )
                messages.success(request, _("Session concluded."))
                return redirect("workbench:deliberation_duty_session", session_id=session.pk)
            if action not in ("report", "conclude"):
                raise Http404
        except DomainError as exc:
            add_domain_error(report_form if action == "report" else conclude_form, exc)
            status = exc.status
    rows = [{"person": p, "report": reports.get(p.pk)} for p in members]
    return render(
        request,
        "workbench/deliberation/duty_session.html",
        {
            "session": session,
            "rows": rows,
            "report_form": report_form,
            "conclude_form": conclude_form,
            "can_record": has_perm(request.user, Perm.MEETING_RECORD, session.village)
            and session.status == "open",
        },
        status=status,
    )


# --- leader scores ------------------------------------------------------------------------------------------------


def _quarter_of(day: datetime.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


@staff_required
@require_http_methods(["GET", "POST"])
def scores(request: HttpRequest) -> HttpResponse:
    _need(request)
    villages = list(selectors.villages_for_user(request.user, Perm.DUTY_SCORE)[:500])
    aspects = config.effective(villages[0])["score_aspects"] if villages else config.DEFAULTS["score_aspects"]
    form = ScoreForm(request.POST or None, villages=villages, aspects=aspects) if villages else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise Http404
        status = 422
        if form.is_valid():
            village = next(v for v in villages if v.code == form.cleaned_data["village"])
            leader = Person.objects.filter(pk=form.cleaned_data["leader"], village=village).first()
            if leader is None:
                form.add_error(
                    "leader",
                    _("No person with this number is registered in %(village)s.") % {"village": village.name},
                )
            else:
                try:
                    services.leader_score_record(
                        actor=request.user,
                        village=village,
                        quarter=form.cleaned_data["quarter"],
                        leader=leader,
                        scores=form.scores(),
                    )
                except DomainError as exc:
                    add_domain_error(form, exc)
                    status = exc.status
                else:
                    messages.success(request, _("Score recorded."))
                    return redirect(f"{request.path}?quarter={form.cleaned_data['quarter']}")
    quarter = request.GET.get("quarter") or _quarter_of(timezone.localdate())
    try:
        services.parse_quarter(quarter)
    except DomainError:
        quarter = _quarter_of(timezone.localdate())
    townships = Region.objects.filter(
        level=RegionLevel.TOWNSHIP,
        pk__in=selectors.villages_for_user(request.user, Perm.MEETING_VIEW).values("parent_id"),
    ).order_by("code")[:100]
    ranking = (
        LeaderScore.objects.filter(township__in=townships, quarter=quarter)
        .select_related("township", "village", "leader")
        .order_by("township__code", "rank", "village__code")
    )
    return render(
        request,
        "workbench/deliberation/scores.html",
        {"form": form, "quarter": quarter, "ranking": ranking, "aspects": aspects},
        status=status,
    )
