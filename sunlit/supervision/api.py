"""Supervision endpoints: alerts (list, detail, lifecycle actions), the rules catalogue, rule settings
and the dashboard statistics.

Thin handlers over the same selectors and services as the workbench pages: alerts are resolved with
``access_alert`` (missing and out of scope are the same 404), refusals are DomainErrors rendered as the
API envelope by config/api.py.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import django_auth

from sunlit.accounts.permissions import has_perm
from sunlit.accounts.roles import Perm
from sunlit.core.errors import NotFound
from sunlit.regions.models import Region

from . import selectors, services, stats
from .models import Alert, AlertAction, RuleSetting
from .vocab import OPEN_STATUSES

router = Router(tags=["supervision"])


# --- schemas ---------------------------------------------------------------------------------------------


class AlertOut(Schema):
    id: int
    key: str
    rule_code: str
    family: str
    severity: str
    status: str
    title: str
    village_code: str
    village_name: str
    handling_region_code: str
    handling_region_name: str
    escalation_level: int
    escalated_at: datetime.datetime | None
    case_id: int | None
    first_seen_at: datetime.datetime
    last_seen_at: datetime.datetime
    claimed_at: datetime.datetime | None
    resolved_at: datetime.datetime | None
    closed_at: datetime.datetime | None

    @staticmethod
    def resolve_village_code(obj: Alert) -> str:
        return obj.village.code

    @staticmethod
    def resolve_village_name(obj: Alert) -> str:
        return obj.village.name

    @staticmethod
    def resolve_handling_region_code(obj: Alert) -> str:
        return obj.handling_region.code

    @staticmethod
    def resolve_handling_region_name(obj: Alert) -> str:
        return obj.handling_region.name


class ActionOut(Schema):
    kind: str
    actor: str | None
    note: str
    evidence_sha256: str
    from_status: str
    to_status: str
    at: datetime.datetime

    @staticmethod
    def resolve_actor(obj: AlertAction) -> str | None:
        return obj.actor.get_username() if obj.actor_id else None


class AlertDetailOut(AlertOut):
    explanation: str
    evidence: dict[str, Any]
    subject: str
    dismiss_reason: str
    claimed_by: str | None
    actions: list[ActionOut]

    @staticmethod
    def resolve_claimed_by(obj: Alert) -> str | None:
        return obj.claimed_by.get_username() if obj.claimed_by_id else None

    @staticmethod
    def resolve_actions(obj: Alert) -> list[AlertAction]:
        return list(obj.actions.select_related("actor").order_by("id"))

    @staticmethod
    def resolve_evidence(obj: Alert) -> dict[str, Any]:
        return obj.evidence if isinstance(obj.evidence, dict) else {"value": obj.evidence}


class NoteIn(Schema):
    note: str = ""


class ReasonIn(Schema):
    reason: str = ""


class RuleSettingIn(Schema):
    region: str
    params: dict[str, Any] = {}
    enabled: bool = True
    severity: str = ""
    reason: str = ""


class RuleSettingOut(Schema):
    region: str
    rule_code: str
    enabled: bool
    severity: str
    params: dict[str, Any]
    reason: str
    set_by: str | None
    set_at: datetime.datetime

    @staticmethod
    def resolve_region(obj: RuleSetting) -> str:
        return obj.region.code

    @staticmethod
    def resolve_set_by(obj: RuleSetting) -> str | None:
        return obj.set_by.get_username() if obj.set_by_id else None


# --- alerts ----------------------------------------------------------------------------------------------


@router.get("/alerts", response=list[AlertOut], auth=django_auth, summary="Alerts in my regions")
@paginate(LimitOffsetPagination)
def alert_list(
    request: HttpRequest,
    severity: str = "",
    status: str = "",
    rule: str = "",
    family: str = "",
    region: str = "",
    unresolved: bool = False,
):
    qs = selectors.alerts_for_user(request.user)
    if severity:
        qs = qs.filter(severity=severity)
    if status:
        qs = qs.filter(status=status)
    if unresolved:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if rule:
        qs = qs.filter(rule_code=rule)
    if family:
        qs = qs.filter(family=family)
    if region:
        place = Region.objects.filter(code=region[:12]).first()
        qs = qs.filter(village__path__startswith=place.path) if place else qs.none()
    return qs.order_by("-first_seen_at", "-id")


def _detail(request: HttpRequest, alert_id: int) -> Alert:
    alert = selectors.access_alert(request.user, alert_id)
    return Alert.objects.select_related("village", "handling_region", "claimed_by").get(pk=alert.pk)


@router.get("/alerts/{alert_id}", response=AlertDetailOut, auth=django_auth)
def alert_detail(request: HttpRequest, alert_id: int):
    return _detail(request, alert_id)


@router.post("/alerts/{alert_id}/claim", response=AlertDetailOut, auth=django_auth)
def alert_claim(request: HttpRequest, alert_id: int):
    services.alert_claim(actor=request.user, alert=selectors.access_alert(request.user, alert_id))
    return _detail(request, alert_id)


@router.post("/alerts/{alert_id}/verify", response=AlertDetailOut, auth=django_auth)
def alert_verify(request: HttpRequest, alert_id: int, payload: NoteIn):
    alert = selectors.access_alert(request.user, alert_id)
    services.alert_verify(actor=request.user, alert=alert, note=payload.note)
    return _detail(request, alert_id)


@router.post("/alerts/{alert_id}/dismiss", response=AlertDetailOut, auth=django_auth)
def alert_dismiss(request: HttpRequest, alert_id: int, payload: ReasonIn):
    alert = selectors.access_alert(request.user, alert_id)
    services.alert_dismiss(actor=request.user, alert=alert, reason=payload.reason)
    return _detail(request, alert_id)


@router.post("/alerts/{alert_id}/rectify", response=AlertDetailOut, auth=django_auth)
def alert_rectify(request: HttpRequest, alert_id: int, payload: NoteIn):
    alert = selectors.access_alert(request.user, alert_id)
    services.alert_rectify(actor=request.user, alert=alert, note=payload.note)
    return _detail(request, alert_id)


def _read(upload: UploadedFile | None) -> tuple[bytes | None, str]:
    if upload is None:
        return None, ""
    from sunlit.cases import documents as docstore

    return upload.read(docstore.max_bytes() + 1), upload.name or ""


@router.post(
    "/alerts/{alert_id}/close",
    response=AlertDetailOut,
    auth=django_auth,
    summary="Close a rectified alert (multipart: note and the evidence file)",
)
def alert_close(
    request: HttpRequest, alert_id: int, note: Form[str] = "", evidence: File[UploadedFile | None] = None
):
    alert = selectors.access_alert(request.user, alert_id)
    data, filename = _read(evidence)
    services.alert_close(actor=request.user, alert=alert, note=note, evidence=data, filename=filename)
    return _detail(request, alert_id)


@router.post(
    "/alerts/{alert_id}/downgrade",
    response=AlertDetailOut,
    auth=django_auth,
    summary="Lower an alert's colour (a red one only with rectification evidence)",
)
def alert_downgrade(
    request: HttpRequest,
    alert_id: int,
    severity: Form[str],
    note: Form[str] = "",
    evidence: File[UploadedFile | None] = None,
):
    alert = selectors.access_alert(request.user, alert_id)
    data, filename = _read(evidence)
    services.alert_downgrade(
        actor=request.user, alert=alert, severity=severity, note=note, evidence=data, filename=filename
    )
    return _detail(request, alert_id)


# --- rules -----------------------------------------------------------------------------------------------


@router.get("/rules", auth=django_auth, summary="The supervision rules with their parameters and bounds")
def rule_list(request: HttpRequest) -> list[dict[str, Any]]:
    if not has_perm(request.user, Perm.ALERT_VIEW) and not has_perm(request.user, Perm.RULE_MANAGE):
        raise NotFound()
    return selectors.rules_catalogue()


def _manageable_region(request: HttpRequest, code: str) -> Region:
    region = Region.objects.filter(code=(code or "")[:12]).first()
    if region is None or not has_perm(request.user, Perm.RULE_MANAGE, region):
        raise NotFound()
    return region


@router.get(
    "/rules/{rule_code}/settings",
    response=RuleSettingOut | None,
    auth=django_auth,
    summary="A region's values for a rule (rule.manage holders); null when the defaults apply",
)
def rule_setting_get(request: HttpRequest, rule_code: str, region: str):
    place = _manageable_region(request, region)
    if rule_code not in {r["code"] for r in selectors.rules_catalogue()}:
        raise NotFound()
    return (
        RuleSetting.objects.filter(region=place, rule_code=rule_code)
        .select_related("region", "set_by")
        .first()
    )


@router.put("/rules/{rule_code}/settings", response=RuleSettingOut, auth=django_auth)
def rule_setting_put(request: HttpRequest, rule_code: str, payload: RuleSettingIn):
    place = _manageable_region(request, payload.region)
    setting = services.rule_setting_set(
        actor=request.user,
        region=place,
        rule_code=rule_code,
        params=payload.params,
        enabled=payload.enabled,
        severity=payload.severity,
        reason=payload.reason,
    )
    return RuleSetting.objects.select_related("region", "set_by").get(pk=setting.pk)


# --- statistics ------------------------------------------------------------------------------------------


@router.get("/alert-stats", auth=django_auth, summary="Dashboard figures for my regions (or one of them)")
def alert_stats(request: HttpRequest, region: str = "") -> dict[str, Any]:
    if not has_perm(request.user, Perm.ALERT_VIEW):
        raise NotFound()
    place = stats.stats_scope(request.user, region or None)
    figures = stats.alert_stats(request.user, place)
    figures["region"] = {"code": place.code, "name": place.name, "level": place.level} if place else None
    return figures
