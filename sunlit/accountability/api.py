"""Accountability endpoints under /api/v1/: leads and their lifecycle, statistics, and the public
naming notices. Thin handlers over the same selectors and services as the workbench pages; refusals
are DomainErrors rendered as the API envelope by config/api.py; a lead the user may not see answers
404 exactly like a missing one."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from django.http import HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import django_auth

from sunlit.accounts.permissions import has_perm
from sunlit.accounts.roles import Perm
from sunlit.cases import documents as docstore
from sunlit.core.errors import NotFound
from sunlit.regions.models import Region

from . import selectors, services
from .models import Finding, FollowUpVisit, Lead, LeadAction, PublicNotice, RectificationTask

router = Router(tags=["accountability"])


# --- schemas ---------------------------------------------------------------------------------------------


class LeadOut(Schema):
    id: int
    code: str
    source: str
    alert_id: int | None
    complaint_id: int | None
    village_code: str
    village_name: str
    title: str
    status: str
    disposition: str
    publication_required: bool
    registered_at: datetime.datetime
    closed_at: datetime.datetime | None

    @staticmethod
    def resolve_village_code(obj: Lead) -> str:
        return obj.village.code

    @staticmethod
    def resolve_village_name(obj: Lead) -> str:
        return obj.village.name


class FindingOut(Schema):
    id: int
    kind: str
    responsibility_for_id: int | None
    subject_name: str
    subject_post: str
    party_member: bool
    public_servant: bool
    form: int
    measure: str
    facts: str
    decision_ref: str
    executed_on: datetime.date | None
    recorded_at: datetime.datetime


class TaskOut(Schema):
    id: int
    description: str
    responsible_unit: str
    working_days: int
    due_on: datetime.date
    status: str
    done_note: str
    evidence_sha256: str
    done_at: datetime.datetime | None


class NoticeOut(Schema):
    id: int
    title: str
    body: str
    status: str
    village_code: str
    village_name: str
    published_at: datetime.datetime

    @staticmethod
    def resolve_village_code(obj: PublicNotice) -> str:
        return obj.village.code

    @staticmethod
    def resolve_village_name(obj: PublicNotice) -> str:
        return obj.village.name


class VisitOut(Schema):
    id: int
    visited_on: datetime.date
    visitors: str
    outcome: str
    note: str


class ActionOut(Schema):
    kind: str
    actor: str | None
    from_status: str
    to_status: str
    note: str
    at: datetime.datetime

    @staticmethod
    def resolve_actor(obj: LeadAction) -> str | None:
        return obj.actor.get_username() if obj.actor_id else None


class Problem(Schema):
    code: str
    message: str


class LeadDetailOut(LeadOut):
    summary: str
    source_description: str
    disposition_note: str
    publication_waiver: str
    close_note: str
    findings: list[FindingOut]
    tasks: list[TaskOut]
    notices: list[NoticeOut]
    visits: list[VisitOut]
    actions: list[ActionOut]
    close_problems: list[Problem]


class LeadIn(Schema):
    source: str
    title: str = ""
    summary: str = ""
    village: str = ""  # inspections: the village code
    alert_id: int | None = None
    complaint_id: int | None = None
    source_description: str = ""


class DispositionIn(Schema):
    disposition: str
    note: str = ""


class FindingIn(Schema):
    kind: str = "violation"
    subject_name: str = ""
    subject_post: str = ""
    party_member: bool = True
    public_servant: bool = False
    form: int = 0
    measure: str = ""
    facts: str = ""
    responsibility_for: int | None = None


class ExecutionIn(Schema):
    decision_ref: str = ""
    executed_on: datetime.date


class PublicationIn(Schema):
    required: bool
    reason: str = ""


class TaskIn(Schema):
    description: str = ""
    responsible_unit: str = ""
    working_days: int = 0


class NoticeIn(Schema):
    title: str = ""
    body: str = ""


class NoteIn(Schema):
    note: str = ""


class VisitIn(Schema):
    visited_on: datetime.date
    visitors: str = ""
    outcome: str = ""
    note: str = ""


# --- helpers ---------------------------------------------------------------------------------------------


def _detail(request: HttpRequest, lead_id: int) -> SimpleNamespace:
    lead = selectors.access_lead(request.user, lead_id)
    detail = selectors.lead_detail(lead)
    lists = ("findings", "tasks", "notices", "visits", "actions")  # reverse accessors: lists below
    plain = {n: getattr(lead, n) for n in LeadDetailOut.model_fields if hasattr(Lead, n) and n not in lists}
    return SimpleNamespace(
        **plain,
        village=lead.village,
        findings=detail["findings"],
        tasks=detail["tasks"],
        notices=detail["notices"],
        visits=detail["visits"],
        actions=detail["actions"],
        close_problems=[{"code": c, "message": m} for c, m in services.close_problems(lead)],
    )


# --- leads -----------------------------------------------------------------------------------------------


@router.get("/leads", response=list[LeadOut], auth=django_auth, summary="Leads in my regions")
@paginate(LimitOffsetPagination)
def lead_list(request: HttpRequest, status: str = "", source: str = "", region: str = ""):
    qs = selectors.leads_for_user(request.user)
    if status:
        qs = qs.filter(status=status)
    if source:
        qs = qs.filter(source=source)
    if region:
        place = Region.objects.filter(code=region[:12]).first()
        qs = qs.filter(village__path__startswith=place.path) if place else qs.none()
    return qs.order_by("-registered_at", "-id")


@router.post("/leads", response={201: LeadDetailOut}, auth=django_auth, summary="Open a lead")
def lead_create(request: HttpRequest, payload: LeadIn):
    user = request.user
    alert = selectors.source_alert(user, payload.alert_id) if payload.source == "alert" else None
    complaint = (
        selectors.source_complaint(user, payload.complaint_id) if payload.source == "complaint" else None
    )
    village = None
    if payload.source == "inspection":
        village = Region.objects.filter(code=payload.village[:12]).first()
        if village is None or not has_perm(user, Perm.LEAD_HANDLE, village):
            raise NotFound()
    lead = services.lead_register(
        actor=user,
        source=payload.source,
        title=payload.title,
        summary=payload.summary,
        village=village,
        alert=alert,
        complaint=complaint,
        source_description=payload.source_description,
    )
    return 201, _detail(request, lead.pk)


@router.get("/leads/{lead_id}", response=LeadDetailOut, auth=django_auth)
def lead_detail(request: HttpRequest, lead_id: int):
    return _detail(request, lead_id)


@router.post("/leads/{lead_id}/dispositions", response=LeadDetailOut, auth=django_auth)
def lead_dispose(request: HttpRequest, lead_id: int, payload: DispositionIn):
    lead = selectors.access_lead(request.user, lead_id)
    services.lead_dispose(actor=request.user, lead=lead, disposition=payload.disposition, note=payload.note)
    return _detail(request, lead_id)


@router.post("/leads/{lead_id}/findings", response={201: FindingOut}, auth=django_auth)
def finding_create(request: HttpRequest, lead_id: int, payload: FindingIn):
    lead = selectors.access_lead(request.user, lead_id)
    linked: Finding | None = None
    if payload.responsibility_for is not None:
        linked = selectors.access_finding(request.user, payload.responsibility_for)
    finding = services.finding_record(
        actor=request.user,
        lead=lead,
        kind=payload.kind,
        subject_name=payload.subject_name,
        subject_post=payload.subject_post,
        party_member=payload.party_member,
        public_servant=payload.public_servant,
        form=payload.form,
        measure=payload.measure,
        facts=payload.facts,
        responsibility_for=linked,
    )
    return 201, finding


@router.post("/findings/{finding_id}/execution", response=FindingOut, auth=django_auth)
def finding_execute(request: HttpRequest, finding_id: int, payload: ExecutionIn):
    finding = selectors.access_finding(request.user, finding_id)
    return services.finding_execute(
        actor=request.user,
        finding=finding,
        decision_ref=payload.decision_ref,
        executed_on=payload.executed_on,
    )


@router.post("/leads/{lead_id}/publication", response=LeadDetailOut, auth=django_auth)
def publication_set(request: HttpRequest, lead_id: int, payload: PublicationIn):
    lead = selectors.access_lead(request.user, lead_id)
    services.publication_set(actor=request.user, lead=lead, required=payload.required, reason=payload.reason)
    return _detail(request, lead_id)


@router.post("/leads/{lead_id}/rectifications", response={201: TaskOut}, auth=django_auth)
def task_create(request: HttpRequest, lead_id: int, payload: TaskIn):
    lead = selectors.access_lead(request.user, lead_id)
    task = services.rectification_assign(
        actor=request.user,
        lead=lead,
        description=payload.description,
        responsible_unit=payload.responsible_unit,
        working_days=payload.working_days,
    )
    return 201, task


@router.post("/rectifications/{task_id}/complete", response=TaskOut, auth=django_auth)
def task_complete(
    request: HttpRequest,
    task_id: int,
    note: str = Form(""),
    file: UploadedFile | None = File(None),  # noqa: B008 - ninja's declaration style
):
    task: RectificationTask = selectors.access_task(request.user, task_id)
    data = file.read(docstore.max_bytes() + 1) if file else None
    return services.rectification_complete(
        actor=request.user, task=task, note=note, evidence=data, filename=(file.name if file else "") or ""
    )


@router.post("/leads/{lead_id}/notices", response={201: NoticeOut}, auth=django_auth)
def notice_create(request: HttpRequest, lead_id: int, payload: NoticeIn):
    lead = selectors.access_lead(request.user, lead_id)
    return 201, services.notice_publish(actor=request.user, lead=lead, title=payload.title, body=payload.body)


@router.post("/leads/{lead_id}/close", response=LeadDetailOut, auth=django_auth)
def lead_close(request: HttpRequest, lead_id: int, payload: NoteIn):
    lead = selectors.access_lead(request.user, lead_id)
    services.lead_close(actor=request.user, lead=lead, note=payload.note)
    return _detail(request, lead_id)


@router.post("/leads/{lead_id}/visits", response={201: VisitOut}, auth=django_auth)
def visit_create(request: HttpRequest, lead_id: int, payload: VisitIn):
    lead = selectors.access_lead(request.user, lead_id)
    visit: FollowUpVisit = services.visit_record(
        actor=request.user,
        lead=lead,
        visited_on=payload.visited_on,
        visitors=payload.visitors,
        outcome=payload.outcome,
        note=payload.note,
    )
    return 201, visit


@router.get("/accountability/stats", auth=django_auth, summary="Findings by form, measure, region and period")
def stats(request: HttpRequest, region: str = "", period: str = "month"):
    if not has_perm(request.user, Perm.LEAD_VIEW):
        raise NotFound()
    scope = selectors.stats_scope(request.user, region or None)
    return selectors.finding_stats(request.user, scope, "year" if period == "year" else "month")


# --- public ----------------------------------------------------------------------------------------------


@router.get("/public/naming", response=list[NoticeOut], summary="Public naming notices (masked)")
@paginate(LimitOffsetPagination)
def public_naming(request: HttpRequest, region: str = ""):
    place = None
    if region:
        place = Region.objects.filter(code=region[:12]).first()
        if place is None:
            raise NotFound()
    return selectors.public_notices(place)
