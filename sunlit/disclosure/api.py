"""Disclosure endpoints under /api/v1/: public list, search, detail and history; staff list,
publish, correct and redact. Handlers are thin: the same selectors and services as the pages."""

import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import django_auth

from sunlit.core.errors import NotFound
from sunlit.regions.selectors import region_get

from . import selectors, services
from .models import Disclosure, DisclosureVersion
from .vocab import AttachmentState

router = Router(tags=["disclosure"])


class EntryOut(Schema):
    name: str
    village_group: str
    benefit: str
    amount: Decimal | None
    period: str


class AttachmentOut(Schema):
    position: int
    name: str
    content_type: str
    size: int
    sha256: str
    withheld: bool
    withheld_reason: str


class VersionOut(Schema):
    number: int
    title: str
    body: str
    period_start: datetime.date | None
    period_end: datetime.date | None
    published_at: datetime.datetime
    reason: str
    content_hash: str
    redactions: list[dict[str, str]]
    entries: list[EntryOut]
    attachments: list[AttachmentOut]


class DisclosureBrief(Schema):
    code: str
    village: str
    village_name: str
    module: str
    status: str
    title: str
    period_start: datetime.date | None
    period_end: datetime.date | None
    first_published_at: datetime.datetime
    updated_at: datetime.datetime
    version: int
    case: str

    @staticmethod
    def resolve_village(obj: Disclosure) -> str:
        return obj.village.code

    @staticmethod
    def resolve_village_name(obj: Disclosure) -> str:
        return obj.village.name

    @staticmethod
    def resolve_title(obj: Disclosure) -> str:
        return obj.current.title

    @staticmethod
    def resolve_period_start(obj: Disclosure) -> datetime.date | None:
        return obj.current.period_start

    @staticmethod
    def resolve_period_end(obj: Disclosure) -> datetime.date | None:
        return obj.current.period_end

    @staticmethod
    def resolve_version(obj: Disclosure) -> int:
        return obj.current.number

    @staticmethod
    def resolve_case(obj: Disclosure) -> str:
        return obj.case.tracking_no if obj.case_id else ""


class DisclosureOut(DisclosureBrief):
    withdrawn_reason: str
    current: VersionOut

    @staticmethod
    def resolve_current(obj: Disclosure) -> dict[str, Any]:
        return _version(obj.current)


def _attachments(version: DisclosureVersion) -> list[dict[str, Any]]:
    out = []
    for a in version.attachments.all():
        withheld = a.state == AttachmentState.WITHHELD
        out.append(
            {
                "position": a.position,
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": "" if withheld else a.sha256,  # withheld content is not even fingerprinted
                "withheld": withheld,
                "withheld_reason": a.withheld_reason,
            }
        )
    return out


def _version(version: DisclosureVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "title": version.title,
        "body": version.body,
        "period_start": version.period_start,
        "period_end": version.period_end,
        "published_at": version.published_at,
        "reason": version.reason,
        "content_hash": version.content_hash,
        "redactions": version.redactions,
        "entries": list(version.entries.all()),
        "attachments": _attachments(version),
    }


def _detail(d: Disclosure) -> Disclosure:
    return d


@router.get("/disclosures", response=list[DisclosureBrief], summary="Published disclosures (public)")
@paginate(LimitOffsetPagination)
def disclosure_list(
    request: HttpRequest,
    village: str = "",
    region: str = "",
    module: str = "",
    q: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
):
    area = region_get(village or region) if (village or region) else None
    if q:
        qs = selectors.disclosure_search(
            q, region=area, module=module or None, date_from=date_from, date_to=date_to
        )
    else:
        qs = selectors.disclosures_public(region=area, module=module or None)
    return qs


@router.get(
    "/disclosures/{code}", response=DisclosureOut, summary="A disclosure and its current version (public)"
)
def disclosure_detail(request: HttpRequest, code: str):
    return _detail(selectors.disclosure_public_get(code))


@router.get("/disclosures/{code}/versions", response=list[VersionOut], summary="Every version (public)")
def disclosure_versions(request: HttpRequest, code: str):
    disclosure = selectors.disclosure_public_get(code)
    return [_version(v) for v in selectors.disclosure_history(disclosure)]


class ContactOut(Schema):
    village: str
    chair: str
    members: str
    office_phone: str
    address: str
    hours: str


@router.get(
    "/villages/{code}/supervision-contact", response=ContactOut, summary="Supervision committee contact"
)
def contact_detail(request: HttpRequest, code: str):
    village = region_get(code)
    contact = selectors.supervision_contact(village)
    if contact is None:
        raise NotFound()
    return {
        "village": village.code,
        **{k: getattr(contact, k) for k in ("chair", "members", "office_phone", "address", "hours")},
    }


# --- staff -----------------------------------------------------------------------------------------


@router.get(
    "/staff/disclosures",
    response=list[DisclosureBrief],
    auth=django_auth,
    summary="Disclosures in my regions",
)
@paginate(LimitOffsetPagination)
def staff_list(request: HttpRequest, village: str = "", module: str = "", status: str = ""):
    qs = selectors.disclosures_for_user(request.user)
    if village:
        qs = qs.filter(village__code=village)
    if module:
        qs = qs.filter(module=module)
    if status:
        qs = qs.filter(status=status)
    return qs


class EntryIn(Schema):
    name: str
    benefit: str
    village_group: str = ""
    amount: Decimal | None = None
    period: str = ""


class PublishIn(Schema):
    village: str
    module: str
    title: str
    body: str = ""
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    entries: list[EntryIn] = []


class CorrectIn(Schema):
    title: str
    body: str = ""
    reason: str
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    entries: list[EntryIn] | None = None


class RedactIn(Schema):
    reason: str
    field: str | None = None
    text: str | None = None
    attachment: int | None = None  # position of the attachment in the current version


@router.post("/disclosures", response={201: DisclosureOut}, auth=django_auth, summary="Publish a disclosure")
def disclosure_create(request: HttpRequest, payload: PublishIn):
    disclosure = services.disclosure_publish(
        actor=request.user,
        village=region_get(payload.village),
        module=payload.module,
        title=payload.title,
        body=payload.body,
        period_start=payload.period_start,
        period_end=payload.period_end,
        entries=[e.dict() for e in payload.entries],
    )
    return Status(201, _detail(selectors.disclosure_public_get(disclosure.code)))


@router.post("/disclosures/{code}/corrections", response={201: VersionOut}, auth=django_auth)
def disclosure_correct(request: HttpRequest, code: str, payload: CorrectIn):
    disclosure = selectors.access_disclosure(request.user, code)
    version = services.disclosure_correct(
        actor=request.user,
        disclosure=disclosure,
        title=payload.title,
        body=payload.body,
        reason=payload.reason,
        period_start=payload.period_start,
        period_end=payload.period_end,
        entries=None if payload.entries is None else [e.dict() for e in payload.entries],
    )
    return Status(201, _version(selectors.disclosure_version_get(disclosure, version.number)))


@router.post("/disclosures/{code}/redactions", response={201: VersionOut}, auth=django_auth)
def disclosure_redact(request: HttpRequest, code: str, payload: RedactIn):
    disclosure = selectors.access_disclosure(request.user, code)
    attachment = None
    if payload.attachment is not None:
        attachment = disclosure.current.attachments.filter(position=payload.attachment).first()
        if attachment is None:
            raise NotFound()
    version = services.disclosure_redact(
        actor=request.user,
        disclosure=disclosure,
        reason=payload.reason,
        field=payload.field,
        text=payload.text,
        attachment=attachment,
    )
    return Status(201, _version(selectors.disclosure_version_get(disclosure, version.number)))
