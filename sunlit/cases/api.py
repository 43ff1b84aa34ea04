"""Case endpoints: scoped staff reads and writes, and the public tracking, notice and objection views.

Handlers are thin: they resolve objects with the scoped access_* selectors (missing and out of scope
are the same 404) and call the same services as the workbench, so rules cannot drift.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import django_auth

from sunlit.accounts.models import User
from sunlit.core.errors import NotFound
from sunlit.regions.selectors import region_get

from . import engine, selectors, services
from .models import Case, CaseDocument, Notice, Objection, SealUse, StepInstance, VoteRecord

router = Router(tags=["cases"])


# --- schemas ---------------------------------------------------------------------------------------------


class StepBrief(Schema):
    sequence: int
    key: str
    name: str
    kind: str
    role: str
    status: str
    entered_at: datetime.datetime
    due_at: datetime.datetime | None
    not_before: datetime.datetime | None
    overdue: bool

    @staticmethod
    def resolve_key(obj: StepInstance) -> str:
        return obj.step.key

    @staticmethod
    def resolve_name(obj: StepInstance) -> str:
        return obj.step.name

    @staticmethod
    def resolve_kind(obj: StepInstance) -> str:
        return obj.step.kind

    @staticmethod
    def resolve_role(obj: StepInstance) -> str:
        return obj.step.role

    @staticmethod
    def resolve_overdue(obj: StepInstance) -> bool:
        from django.utils import timezone

        return bool(obj.status == "active" and obj.due_at and timezone.now() >= obj.due_at)


class DocumentOut(Schema):
    id: int
    name: str
    original_name: str
    sha256: str
    size: int
    content_type: str
    uploaded_at: datetime.datetime


class VoteOut(Schema):
    id: int
    body: str
    expected: int
    present: int
    votes_for: int
    votes_against: int
    abstentions: int
    quorum_met: bool
    passed: bool
    held_on: datetime.date
    meeting_ref: str


class StepOut(StepBrief):
    completed_at: datetime.datetime | None
    completed_by: str | None
    completed_as: str
    on_behalf: bool
    note: str
    inputs: dict[str, Any]
    routing: list[dict[str, Any]]
    next_step_key: str
    documents: list[DocumentOut]
    votes: list[VoteOut]

    @staticmethod
    def resolve_completed_by(obj: StepInstance) -> str | None:
        return obj.completed_by.get_username() if obj.completed_by else None


class CaseOut(Schema):
    id: int
    tracking_no: str
    title: str
    status: str
    village_code: str
    village_name: str
    item_code: str
    item_name: str
    flow_version: int
    amount: str | None
    started_at: datetime.datetime
    closed_at: datetime.datetime | None
    end_step_key: str
    current: StepBrief | None

    @staticmethod
    def resolve_village_code(obj: Case) -> str:
        return obj.village.code

    @staticmethod
    def resolve_village_name(obj: Case) -> str:
        return obj.village.name

    @staticmethod
    def resolve_item_code(obj: Case) -> str:
        return obj.item.code

    @staticmethod
    def resolve_item_name(obj: Case) -> str:
        return obj.item.name

    @staticmethod
    def resolve_flow_version(obj: Case) -> int:
        return obj.flow.version

    @staticmethod
    def resolve_amount(obj: Case) -> str | None:
        return None if obj.amount is None else str(obj.amount)


class PartyOut(Schema):
    role: str
    name: str


class CaseDetailOut(CaseOut):
    variables: dict[str, Any]
    parameters: dict[str, Any]
    termination_reason: str
    parties: list[PartyOut]
    steps: list[StepOut]

    @staticmethod
    def resolve_parties(obj: Case) -> list[dict[str, str]]:
        return [{"role": p.role, "name": p.name} for p in selectors.case_parties(obj)]

    @staticmethod
    def resolve_steps(obj: Case) -> list[StepInstance]:
        return selectors.case_timeline(obj)


class PartyIn(Schema):
    role: str
    name: str = ""
    id_number: str = ""  # links the party to the registry by keyed hash; never stored in clear
    credit_code: str = ""


class CaseIn(Schema):
    village: str
    item_code: str
    title: str = ""
    variables: dict[str, Any] = {}
    parties: list[PartyIn] = []


class TallyIn(Schema):
    expected: int
    present: int
    votes_for: int
    votes_against: int
    abstentions: int
    held_on: datetime.date | None = None
    meeting_ref: str = ""

    def tally(self) -> engine.Tally:
        return engine.Tally(
            expected=self.expected,
            present=self.present,
            votes_for=self.votes_for,
            votes_against=self.votes_against,
            abstentions=self.abstentions,
        )


class CompleteIn(Schema):
    inputs: dict[str, Any] = {}
    note: str = ""
    vote: TallyIn | None = None


class ReasonIn(Schema):
    reason: str


class RequirementsOut(Schema):
    sequence: int
    step: str
    documents: list[dict[str, Any]]
    inputs: list[str]
    vote_owned: list[str]
    needs_vote: bool
    not_before: datetime.datetime | None
    open_objections: int


class NoticeOut(Schema):
    code: str
    title: str
    body: str
    village_code: str
    village_name: str
    item_name: str
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    working_days: int
    is_open: bool

    @staticmethod
    def resolve_village_code(obj: Notice) -> str:
        return obj.village.code

    @staticmethod
    def resolve_village_name(obj: Notice) -> str:
        return obj.village.name

    @staticmethod
    def resolve_item_name(obj: Notice) -> str:
        return obj.case.item.name

    @staticmethod
    def resolve_is_open(obj: Notice) -> bool:
        from django.utils import timezone

        return obj.opens_at <= timezone.now() < obj.closes_at


class ObjectionIn(Schema):
    text: str
    anonymous: bool = True
    name: str = ""
    phone: str = ""


class ObjectionReceiptOut(Schema):
    receipt_code: str
    status: str
    lodged_at: datetime.datetime


class ObjectionPublicOut(ObjectionReceiptOut):
    notice_code: str
    answer: str
    answered_at: datetime.datetime | None

    @staticmethod
    def resolve_notice_code(obj: Objection) -> str:
        return obj.notice.code


class ObjectionStaffOut(ObjectionPublicOut):
    id: int
    case_id: int
    anonymous: bool
    contact_masked: str
    text: str


class ResolveIn(Schema):
    upheld: bool
    answer: str


class PublicCaseOut(Schema):
    tracking_no: str
    item_name: str
    village_name: str
    status: str
    started_at: datetime.datetime
    closed_at: datetime.datetime | None
    current_step: str | None
    current_due_at: datetime.datetime | None
    parties: list[PartyOut]
    steps: list[dict[str, Any]]


class SealUseIn(Schema):
    village: str
    seal: str
    purpose: str
    document_sha256: str
    approver: str
    case_id: int | None = None
    exception_reason: str = ""


class SealUseOut(Schema):
    id: int
    seal: str
    purpose: str
    document_sha256: str
    is_exception: bool
    exception_reason: str
    used_at: datetime.datetime


# --- helpers ---------------------------------------------------------------------------------------------


def _detail_out(case: Case) -> Case:
    return case


# --- staff endpoints -------------------------------------------------------------------------------------


@router.get("/cases", response=list[CaseOut], auth=django_auth, summary="Cases in my regions")
@paginate(LimitOffsetPagination)
def case_list(
    request: HttpRequest, status: str = "", village: str = "", item: str = "", overdue: bool = False
):
    qs = selectors.cases_for_user(request.user).select_related("flow")
    if status:
        qs = qs.filter(status=status)
    if village:
        qs = qs.filter(village__code=village)
    if item:
        qs = qs.filter(item__code=item)
    if overdue:
        from django.utils import timezone

        qs = qs.filter(current__due_at__lte=timezone.now())
    return qs.order_by("-started_at", "-id")


@router.get("/cases/todo", response=list[StepBrief], auth=django_auth, summary="Active steps I may complete")
@paginate(LimitOffsetPagination)
def case_todo(request: HttpRequest):
    return selectors.todo_for_user(request.user)


@router.post("/cases", response={201: CaseDetailOut}, auth=django_auth, summary="Start a case")
def case_create(request: HttpRequest, payload: CaseIn):
    village = region_get(payload.village)
    case = services.case_start(
        actor=request.user,
        village=village,
        item_code=payload.item_code,
        title=payload.title,
        variables=payload.variables,
        parties=[p.dict() for p in payload.parties],
    )
    return Status(201, _detail_out(selectors.access_case(request.user, case.pk)))


@router.get("/cases/{case_id}", response=CaseDetailOut, auth=django_auth)
def case_detail(request: HttpRequest, case_id: int):
    return _detail_out(selectors.access_case(request.user, case_id))


@router.get("/cases/{case_id}/requirements", response=RequirementsOut, auth=django_auth)
def case_requirements(request: HttpRequest, case_id: int):
    case = selectors.access_case(request.user, case_id)
    if case.current is None:
        raise NotFound()
    req = services.step_requirements(case, case.current)
    return {
        "sequence": case.current.sequence,
        "step": case.current.step.key,
        **{
            k: req[k]
            for k in ("documents", "inputs", "vote_owned", "needs_vote", "not_before", "open_objections")
        },
    }


@router.post("/cases/{case_id}/steps/{sequence}/complete", response=CaseDetailOut, auth=django_auth)
def step_complete(request: HttpRequest, case_id: int, sequence: int, payload: CompleteIn):
    case = selectors.access_case(request.user, case_id)
    vote = payload.vote
    services.step_complete(
        actor=request.user,
        case=case,
        sequence=sequence,
        inputs=payload.inputs,
        note=payload.note,
        vote=vote.tally() if vote else None,
        held_on=vote.held_on if vote else None,
        meeting_ref=vote.meeting_ref if vote else "",
    )
    return _detail_out(selectors.access_case(request.user, case_id))


@router.post("/cases/{case_id}/steps/{sequence}/votes", response={201: VoteOut}, auth=django_auth)
def vote_create(request: HttpRequest, case_id: int, sequence: int, payload: TallyIn):
    case = selectors.access_case(request.user, case_id)
    record: VoteRecord = services.vote_record(
        actor=request.user,
        case=case,
        tally=payload.tally(),
        held_on=payload.held_on,
        meeting_ref=payload.meeting_ref,
        sequence=sequence,
    )
    return Status(201, record)


@router.post("/cases/{case_id}/documents", response={201: DocumentOut}, auth=django_auth)
def document_create(
    request: HttpRequest,
    case_id: int,
    name: Form[str],
    file: File[UploadedFile],
    sequence: Form[int | None] = None,
):
    from django.conf import settings

    case = selectors.access_case(request.user, case_id)
    limit = int(getattr(settings, "SUNLIT_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024))
    data = file.read(limit + 1)
    document: CaseDocument = services.document_upload(
        actor=request.user, case=case, name=name, data=data, filename=file.name or "", sequence=sequence
    )
    return Status(201, document)


@router.post("/cases/{case_id}/terminate", response=CaseDetailOut, auth=django_auth)
def case_terminate(request: HttpRequest, case_id: int, payload: ReasonIn):
    case = selectors.access_case(request.user, case_id)
    services.case_terminate(actor=request.user, case=case, reason=payload.reason)
    return _detail_out(selectors.access_case(request.user, case_id))


@router.get(
    "/objections", response=list[ObjectionStaffOut], auth=django_auth, summary="Objections in my regions"
)
@paginate(LimitOffsetPagination)
def objection_list(request: HttpRequest, status: str = ""):
    qs = selectors.objections_for_user(request.user)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-lodged_at", "-id")


@router.post("/objections/{objection_id}/resolve", response=ObjectionStaffOut, auth=django_auth)
def objection_resolve(request: HttpRequest, objection_id: int, payload: ResolveIn):
    objection = selectors.access_objection(request.user, objection_id)
    return services.objection_resolve(
        actor=request.user, objection=objection, upheld=payload.upheld, answer=payload.answer
    )


@router.post("/seal-uses", response={201: SealUseOut}, auth=django_auth, summary="Record a seal use")
def seal_use_create(request: HttpRequest, payload: SealUseIn):
    village = region_get(payload.village)
    approver = User.objects.filter(username=payload.approver, is_active=True).first()
    case = selectors.access_case(request.user, payload.case_id) if payload.case_id is not None else None
    if approver is None:
        from django.utils.translation import gettext as _

        from .errors import CaseErrorCode, CaseRefused

        raise CaseRefused(
            _("The approver must be the village party secretary or committee chair."),
            code=CaseErrorCode.SEAL_APPROVER,
        )
    use: SealUse = services.seal_use_record(
        actor=request.user,
        village=village,
        seal=payload.seal,
        purpose=payload.purpose,
        document_sha256=payload.document_sha256,
        approver=approver,
        case=case,
        exception_reason=payload.exception_reason,
    )
    return Status(201, use)


# --- public endpoints ------------------------------------------------------------------------------------


@router.get("/public/cases/{tracking_no}", response=PublicCaseOut, summary="Track an application (masked)")
def public_case(request: HttpRequest, tracking_no: str):
    case = selectors.public_case(tracking_no)
    steps = [
        {"name": s.step.name, "status": s.status, "entered_at": s.entered_at, "completed_at": s.completed_at}
        for s in case.steps.select_related("step").order_by("sequence")
    ]
    current = case.current
    return {
        "tracking_no": case.tracking_no,
        "item_name": case.item.name,
        "village_name": case.village.name,
        "status": case.status,
        "started_at": case.started_at,
        "closed_at": case.closed_at,
        "current_step": current.step.name if current else None,
        "current_due_at": current.due_at if current else None,
        "parties": selectors.public_parties(case),
        "steps": steps,
    }


@router.get("/notices/{code}", response=NoticeOut, summary="A public notice")
def notice_detail(request: HttpRequest, code: str):
    return selectors.public_notice(code)


@router.post("/notices/{code}/objections", response={201: ObjectionReceiptOut}, summary="Lodge an objection")
def objection_create(request: HttpRequest, code: str, payload: ObjectionIn):
    notice = selectors.public_notice(code)
    objection = services.objection_lodge(
        notice=notice, text=payload.text, anonymous=payload.anonymous, name=payload.name, phone=payload.phone
    )
    return Status(201, objection)


@router.get("/objections/receipts/{receipt_code}", response=ObjectionPublicOut, summary="Follow an objection")
def objection_receipt(request: HttpRequest, receipt_code: str):
    return selectors.public_objection(receipt_code)
