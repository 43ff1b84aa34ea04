"""Complaints endpoints under /api/v1/.

Public (no login): file a complaint, follow it with the code and secret (thread, reply, rate, ask for
a review, confirm the phone code), and the inbound SMS webhook (HMAC-signed, see messaging.py).
Staff (session login): the scoped list and detail, the handling actions, the logged reveal of the
reporter's identity, statistics. Handlers call the same services as the pages.
"""

from __future__ import annotations

import datetime
import json

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import django_auth

from sunlit.core.errors import DomainError, NotFound
from sunlit.regions.models import Region

from . import messaging, selectors, services
from .models import Complaint
from .vocab import Channel, Status

router = Router(tags=["complaints"])


# --- schemas ----------------------------------------------------------------------------------------------


class FileIn(Schema):
    kind: str
    category: str
    village: str  # 12-digit code
    text: str
    anonymous: bool = True
    name: str = ""
    phone: str = ""
    consent_publish: bool = False


class ReceiptOut(Schema):
    code: str
    secret: str
    status: str
    needs_verification: bool


class SecretIn(Schema):
    code: str
    secret: str


class VerifyIn(SecretIn):
    otp: str


class ReplyIn(SecretIn):
    text: str


class RateIn(SecretIn):
    rating: str
    comment: str = ""


class ReviewIn(SecretIn):
    reason: str


class MessageOut(Schema):
    author: str
    kind: str
    body: str
    created_at: datetime.datetime


class ReporterView(Schema):
    code: str
    kind: str
    category: str
    village: str
    status: str
    stage: str
    office: str
    created_at: datetime.datetime
    accept_due: datetime.datetime | None
    handle_due: datetime.datetime | None
    answer: str
    rating: str
    request_until: datetime.datetime | None
    duplicate_of: str | None
    messages: list[MessageOut]


class ComplaintOut(Schema):
    id: int
    code: str
    kind: str
    category: str
    village: str
    village_name: str
    channel: str
    title: str
    public_text: str
    status: str
    stage: str
    unit: str
    office: str
    escalation_level: int
    anonymous: bool
    claimed_by: str | None
    created_at: datetime.datetime
    accept_due: datetime.datetime | None
    handle_due: datetime.datetime | None
    extended: bool
    answered_at: datetime.datetime | None
    rating: str

    @staticmethod
    def resolve_village(obj: Complaint) -> str:
        return obj.village.code

    @staticmethod
    def resolve_village_name(obj: Complaint) -> str:
        return obj.village.name

    @staticmethod
    def resolve_unit(obj: Complaint) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_claimed_by(obj: Complaint) -> str | None:
        return obj.claimed_by.get_username() if obj.claimed_by_id else None


class ComplaintDetailOut(ComplaintOut):
    text: str  # masked (the text as written comes with the logged reveal)
    answer: str
    messages: list[MessageOut]

    @staticmethod
    def resolve_text(obj: Complaint, context) -> str:
        return selectors.staff_text(context["request"].user, obj, obj.text)

    @staticmethod
    def resolve_answer(obj: Complaint, context) -> str:
        return selectors.staff_text(context["request"].user, obj, obj.answer)

    @staticmethod
    def resolve_messages(obj: Complaint, context) -> list[MessageOut]:
        user = context["request"].user
        return [
            MessageOut(
                author=m.author,
                kind=m.kind,
                body=selectors.staff_text(user, obj, m.body),
                created_at=m.created_at,
            )
            for m in selectors.thread(obj)
        ]


class TextIn(Schema):
    text: str


class ReasonIn(Schema):
    reason: str


class ExtendIn(Schema):
    days: int
    reason: str


class IdentityOut(Schema):
    name: str
    phone: str
    id_number: str
    text: str  # the complaint as written
    messages: list[MessageOut]  # the thread as written


class CountOut(Schema):
    value: str
    label: str
    count: int


class StatsOut(Schema):
    total: int
    overdue: int
    escalated: int
    satisfied: int
    rated: int
    by_status: list[CountOut]
    by_kind: list[CountOut]
    by_category: list[CountOut]


# --- public ---------------------------------------------------------------------------------------------


def _ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "-"


def _reporter_view(c: Complaint) -> ReporterView:
    return ReporterView(
        code=c.code,
        kind=c.kind,
        category=c.category,
        village=c.village.code,
        status=c.status,
        stage=c.stage,
        office=c.office,
        created_at=c.created_at,
        accept_due=c.accept_due,
        handle_due=c.handle_due,
        answer=c.answer,
        rating=c.rating,
        request_until=c.request_until,
        duplicate_of=c.duplicate_of.code if c.duplicate_of_id else None,
        messages=[
            MessageOut(author=m.author, kind=m.kind, body=m.body, created_at=m.created_at)
            for m in selectors.thread(c)
        ],
    )


@router.post("/complaints", response={201: ReceiptOut}, summary="File a complaint (the secret is shown once)")
def complaint_file(request: HttpRequest, payload: FileIn):
    filed = services.complaint_file(
        actor=None,
        channel=Channel.API,
        kind=payload.kind,
        category=payload.category,
        village=Region.objects.filter(code=payload.village[:12]).first(),
        text=payload.text,
        anonymous=payload.anonymous,
        name=payload.name,
        phone=payload.phone,
        consent_publish=payload.consent_publish,
        ip=_ip(request),
    )
    return 201, ReceiptOut(
        code=filed.complaint.code,
        secret=filed.secret,
        status=filed.complaint.status,
        needs_verification=filed.needs_verification,
    )


def _own(request: HttpRequest, payload: SecretIn) -> Complaint:
    return selectors.access_by_secret(payload.code, payload.secret, ip=_ip(request))


@router.post(
    "/complaints/follow", response=ReporterView, summary="Follow my complaint with its code and secret"
)
def complaint_follow(request: HttpRequest, payload: SecretIn):
    return _reporter_view(_own(request, payload))


@router.post(
    "/complaints/follow/verify", response=ReporterView, summary="Confirm my phone with the texted code"
)
def complaint_verify(request: HttpRequest, payload: VerifyIn):
    services.phone_verify(complaint=_own(request, payload), code=payload.otp)
    return _reporter_view(_own(request, payload))


@router.post("/complaints/follow/reply", response=ReporterView, summary="Reply in my complaint's thread")
def complaint_reply(request: HttpRequest, payload: ReplyIn):
    services.reporter_reply(complaint=_own(request, payload), text=payload.text)
    return _reporter_view(_own(request, payload))


@router.post("/complaints/follow/rate", response=ReporterView, summary="Rate the answer")
def complaint_rate(request: HttpRequest, payload: RateIn):
    services.complaint_rate(complaint=_own(request, payload), rating=payload.rating, comment=payload.comment)
    return _reporter_view(_own(request, payload))


@router.post("/complaints/follow/review", response=ReporterView, summary="Ask for a review or re-review")
def complaint_review(request: HttpRequest, payload: ReviewIn):
    services.review_request(complaint=_own(request, payload), reason=payload.reason)
    return _reporter_view(_own(request, payload))


@router.post("/complaints/inbound/sms", summary="Inbound SMS webhook (HMAC-signed body)")
def inbound_sms(request: HttpRequest):
    """Body: JSON ``{"from": "+8613…", "text": "…", "village": "<12-digit code, optional>"}``;
    header ``X-Sunlit-Signature: sha256=<hex HMAC-SHA256 of the raw body under
    SUNLIT_COMPLAINT_WEBHOOK_SECRET>``. A missing or wrong signature answers 403 and changes nothing."""
    body = request.body
    if not messaging.signature_valid(body, request.headers.get(messaging.SIGNATURE_HEADER)):
        return _envelope(403, "bad_signature", _("The signature does not verify."))
    try:
        data = json.loads(body.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError
        sender, text = str(data.get("from", "")), str(data.get("text", ""))
        village = str(data.get("village", "") or "")
        category = str(data.get("category", "") or "")
    except (ValueError, UnicodeDecodeError):
        return _envelope(400, "invalid_input", _("The body must be a JSON object."))
    result, complaint = services.inbound_sms(
        sender=sender, text=text, village_code=village, category=category
    )
    return HttpResponse(
        json.dumps({"result": result, "code": complaint.code, "status": complaint.status}),
        content_type="application/json",
        status=201 if result == "filed" else 200,
    )


def _envelope(status: int, code: str, message: str) -> HttpResponse:
    return HttpResponse(
        json.dumps({"code": code, "message": message, "fields": {}}),
        content_type="application/json",
        status=status,
    )


# --- staff ---------------------------------------------------------------------------------------------


@router.get("/complaints", response=list[ComplaintOut], auth=django_auth, summary="Complaints of my units")
@paginate(LimitOffsetPagination)
def complaint_list(
    request: HttpRequest, status: str = "", kind: str = "", category: str = "", village: str = ""
):
    qs = selectors.complaints_for_user(request.user)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if category:
        qs = qs.filter(category=category)
    if village:
        qs = qs.filter(village__code=village)
    return qs.order_by("-created_at", "-id")


@router.get("/complaints/statistics", response=StatsOut, auth=django_auth, summary="Basic counts")
def complaint_stats(request: HttpRequest):
    s = selectors.statistics(request.user, now=timezone.now())

    def rows(items):
        return [CountOut(value=v, label=str(label), count=n) for v, label, n in items]

    return StatsOut(
        total=s.total,
        overdue=s.overdue,
        escalated=s.escalated,
        satisfied=s.satisfied,
        rated=s.rated,
        by_status=rows(s.by_status),
        by_kind=rows(s.by_kind),
        by_category=rows(s.by_category),
    )


def _detail(request: HttpRequest, complaint_id: int):
    try:
        return selectors.access_complaint(request.user, complaint_id)
    except NotFound:
        if Complaint.objects.filter(pk=complaint_id).exclude(status=Status.UNVERIFIED).exists():
            # the action moved it to a body the user cannot see: say so rather than 404
            raise DomainError(_("The complaint was passed to another body."), code="moved") from None
        raise


@router.get("/complaints/{complaint_id}", response=ComplaintDetailOut, auth=django_auth)
def complaint_detail(request: HttpRequest, complaint_id: int):
    return selectors.access_complaint(request.user, complaint_id)


@router.post("/complaints/{complaint_id}/claim", response=ComplaintDetailOut, auth=django_auth)
def complaint_claim(request: HttpRequest, complaint_id: int):
    services.complaint_claim(
        actor=request.user, complaint=selectors.access_complaint(request.user, complaint_id)
    )
    return _detail(request, complaint_id)


@router.post("/complaints/{complaint_id}/accept", response=ComplaintDetailOut, auth=django_auth)
def complaint_accept(request: HttpRequest, complaint_id: int):
    services.complaint_accept(
        actor=request.user, complaint=selectors.access_complaint(request.user, complaint_id)
    )
    return _detail(request, complaint_id)


@router.post("/complaints/{complaint_id}/refuse", response=ComplaintDetailOut, auth=django_auth)
def complaint_refuse(request: HttpRequest, complaint_id: int, payload: ReasonIn):
    complaint = selectors.access_complaint(request.user, complaint_id)
    services.complaint_refuse(actor=request.user, complaint=complaint, reason=payload.reason)
    return _detail(request, complaint_id)


@router.post("/complaints/{complaint_id}/ask", response=ComplaintDetailOut, auth=django_auth)
def complaint_ask(request: HttpRequest, complaint_id: int, payload: TextIn):
    complaint = selectors.access_complaint(request.user, complaint_id)
    services.complaint_ask(actor=request.user, complaint=complaint, question=payload.text)
    return _detail(request, complaint_id)


@router.post("/complaints/{complaint_id}/answer", response=ComplaintDetailOut, auth=django_auth)
def complaint_answer(request: HttpRequest, complaint_id: int, payload: TextIn):
    complaint = selectors.access_complaint(request.user, complaint_id)
    services.complaint_answer(actor=request.user, complaint=complaint, answer=payload.text)
    return _detail(request, complaint_id)


@router.post("/complaints/{complaint_id}/extend", response=ComplaintDetailOut, auth=django_auth)
def complaint_extend(request: HttpRequest, complaint_id: int, payload: ExtendIn):
    complaint = selectors.access_complaint(request.user, complaint_id)
    services.complaint_extend(
        actor=request.user, complaint=complaint, days=payload.days, reason=payload.reason
    )
    return _detail(request, complaint_id)


@router.post("/complaints/{complaint_id}/escalate", response=ComplaintDetailOut, auth=django_auth)
def complaint_escalate(request: HttpRequest, complaint_id: int, payload: ReasonIn):
    complaint = selectors.access_complaint(request.user, complaint_id)
    services.complaint_escalate(actor=request.user, complaint=complaint, reason=payload.reason)
    return _detail(request, complaint_id)


@router.post(
    "/complaints/{complaint_id}/reporter",
    response=IdentityOut,
    auth=django_auth,
    summary="Reveal the reporter (logged)",
)
def complaint_reveal(request: HttpRequest, complaint_id: int, payload: ReasonIn):
    complaint = selectors.access_complaint(request.user, complaint_id)
    identity = services.reporter_reveal(actor=request.user, complaint=complaint, reason=payload.reason)
    return IdentityOut(
        name=identity.name,
        phone=identity.phone,
        id_number=identity.id_number,
        text=complaint.text,
        messages=[
            MessageOut(author=m.author, kind=m.kind, body=m.body, created_at=m.created_at)
            for m in selectors.thread(complaint)
        ],
    )
