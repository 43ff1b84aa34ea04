"""Writes of supervision: the alert lifecycle, escalation and rule settings.

open → claimed → verified | dismissed (reason) → rectifying → closed (evidence). A red alert is
downgraded only with rectification evidence. Every transition is a conditional update on the current
status (so two handlers cannot both claim), an AlertAction row and a ledger event, in one transaction.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.accounts.models import User
from sunlit.accounts.permissions import has_perm
from sunlit.accounts.roles import Perm
from sunlit.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sunlit.core.ledger import ledger_append
from sunlit.regions.models import Region, RegionLevel

from . import notify
from .models import Alert, AlertAction, RuleSetting
from .rules.base import REGISTRY
from .rules.time import working_days_before
from .vocab import OPEN_STATUSES, SEVERITY_RANK, AlertStatus, Severity


class AlertRefused(ValidationFailed):
    default_code = "alert_refused"


def _require_handle(actor: User, alert: Alert) -> None:
    if not has_perm(actor, Perm.ALERT_HANDLE, alert.handling_region):
        raise PermissionDenied(_("Only the discipline office handling this alert may act on it."))


def _transition(
    *,
    actor: User | None,
    alert: Alert,
    kind: str,
    sources: tuple[str, ...],
    target: str,
    note: str = "",
    evidence_sha256: str = "",
    changes: dict[str, Any] | None = None,
) -> Alert:
    now = timezone.now()
    with transaction.atomic():
        updated = Alert.objects.filter(pk=alert.pk, status__in=sources).update(
            status=target, **(changes or {})
        )
        if not updated:
            current = Alert.objects.filter(pk=alert.pk).values_list("status", flat=True).first()
            raise Conflict(
                _("The alert is “%(status)s”; this action is not possible now.")
                % {"status": AlertStatus(current).label if current else "?"},
                code="alert_state",
            )
        AlertAction.objects.create(
            alert=alert,
            kind=kind,
            actor=actor,
            note=note,
            evidence_sha256=evidence_sha256,
            from_status=alert.status,
            to_status=target,
            at=now,
        )
        ledger_append(
            kind=f"alert.{kind}",
            actor=actor,
            subject=f"supervision.alert:{alert.pk}",
            region=alert.village,
            payload={
                "from": alert.status,
                "to": target,
                "note": note,
                "evidence": evidence_sha256,
                **(changes or {}),
            },
        )
    alert.refresh_from_db()
    return alert


def alert_claim(*, actor: User, alert: Alert) -> Alert:
    _require_handle(actor, alert)
    return _transition(
        actor=actor,
        alert=alert,
        kind="claimed",
        sources=(AlertStatus.OPEN,),
        target=AlertStatus.CLAIMED,
        changes={"claimed_by_id": actor.pk, "claimed_at": timezone.now()},
    )


def alert_verify(*, actor: User, alert: Alert, note: str) -> Alert:
    _require_handle(actor, alert)
    note = _required(note, "note", _("Record what the check found."))
    return _transition(
        actor=actor,
        alert=alert,
        kind="verified",
        sources=(AlertStatus.CLAIMED,),
        target=AlertStatus.VERIFIED,
        note=note,
        changes={"resolved_at": timezone.now()},
    )


def alert_dismiss(*, actor: User, alert: Alert, reason: str) -> Alert:
    _require_handle(actor, alert)
    reason = _required(reason, "reason", _("Give the reason for dismissing the alert."))
    return _transition(
        actor=actor,
        alert=alert,
        kind="dismissed",
        sources=(AlertStatus.OPEN, AlertStatus.CLAIMED),
        target=AlertStatus.DISMISSED,
        note=reason,
        changes={"dismiss_reason": reason, "resolved_at": timezone.now()},
    )


def alert_rectify(*, actor: User, alert: Alert, note: str) -> Alert:
    """A verified problem goes to rectification (整改), with what must be done."""
    _require_handle(actor, alert)
    note = _required(note, "note", _("Say what must be rectified."))
    return _transition(
        actor=actor,
        alert=alert,
        kind="rectifying",
        sources=(AlertStatus.VERIFIED,),
        target=AlertStatus.RECTIFYING,
        note=note,
    )


def _evidence(data: bytes | None, filename: str) -> str:
    if not data:
        raise AlertRefused(
            _("Attach the rectification evidence."),
            code="evidence_required",
            fields={"evidence": [_("Required.")]},
        )
    from sunlit.cases import documents as docstore

    clean = docstore.clean(data)
    docstore.store(clean)
    return clean.sha256


def alert_close(*, actor: User, alert: Alert, note: str, evidence: bytes | None, filename: str = "") -> Alert:
    """Rectification done: closed only with evidence (stored content-addressed, hash in the ledger)."""
    _require_handle(actor, alert)
    note = _required(note, "note", _("Say how it was rectified."))
    digest = _evidence(evidence, filename)
    return _transition(
        actor=actor,
        alert=alert,
        kind="closed",
        sources=(AlertStatus.RECTIFYING,),
        target=AlertStatus.CLOSED,
        note=note,
        evidence_sha256=digest,
        changes={"closed_at": timezone.now()},
    )


def alert_downgrade(
    *, actor: User, alert: Alert, severity: str, note: str, evidence: bytes | None, filename: str = ""
) -> Alert:
    """Lower an alert's colour. A red alert only with rectification evidence (红色预警凭整改证据降级)."""
    _require_handle(actor, alert)
    if (
        severity not in Severity.values
        or SEVERITY_RANK[Severity(severity)] >= SEVERITY_RANK[Severity(alert.severity)]
    ):
        raise AlertRefused(
            _("Choose a lower colour."), code="severity_not_lower", fields={"severity": [_("Must be lower.")]}
        )
    note = _required(note, "note", _("Say why the alert is downgraded."))
    digest = _evidence(evidence, filename) if alert.severity == Severity.RED else ""
    if alert.severity == Severity.RED and alert.status not in (AlertStatus.RECTIFYING, AlertStatus.VERIFIED):
        raise AlertRefused(
            _("A red alert is downgraded only after it was verified and rectification has begun."),
            code="red_needs_rectification",
        )
    now = timezone.now()
    with transaction.atomic():
        updated = Alert.objects.filter(pk=alert.pk, severity=alert.severity, status=alert.status).update(
            severity=severity
        )
        if not updated:
            raise Conflict(_("The alert changed meanwhile; reload it."), code="alert_state")
        AlertAction.objects.create(
            alert=alert,
            kind="downgraded",
            actor=actor,
            note=note,
            evidence_sha256=digest,
            from_status=alert.status,
            to_status=alert.status,
            at=now,
        )
        ledger_append(
            kind="alert.downgraded",
            actor=actor,
            subject=f"supervision.alert:{alert.pk}",
            region=alert.village,
            payload={"from": alert.severity, "to": severity, "note": note, "evidence": digest},
        )
    alert.refresh_from_db()
    return alert


def _required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise AlertRefused(message, code="reason_required", fields={field: [message]})
    return value[:4000]


# --- escalation ------------------------------------------------------------------------------------------

ESCALATION_LEVELS = {RegionLevel.TOWNSHIP: 0, RegionLevel.COUNTY: 1, RegionLevel.CITY: 2}


def _next_handler(region: Region) -> Region | None:
    parent = region.parent
    while parent is not None and parent.level not in (
        RegionLevel.COUNTY,
        RegionLevel.CITY,
        RegionLevel.PROVINCE,
    ):
        parent = parent.parent
    return parent


def alerts_escalate_due(*, now: datetime.datetime | None = None) -> int:
    """Move unclaimed (after SUNLIT_ALERT_CLAIM_DAYS working days) and unresolved (after
    SUNLIT_ALERT_RESOLVE_DAYS) alerts one level up the region tree. Idempotent per level: an alert is
    escalated again only after the same period has passed at its new level."""
    now = now or timezone.now()
    claim_cutoff = working_days_before(now, int(getattr(settings, "SUNLIT_ALERT_CLAIM_DAYS", 3)))
    resolve_cutoff = working_days_before(now, int(getattr(settings, "SUNLIT_ALERT_RESOLVE_DAYS", 15)))
    due = list(
        Alert.objects.filter(status__in=OPEN_STATUSES)
        .exclude(handling_region__level=RegionLevel.PROVINCE)
        .select_related("handling_region__parent", "village")
    )
    moved = 0
    escalated: list[int] = []  # notifications hook
    for alert in due:
        since = alert.escalated_at or alert.first_seen_at
        stale = (alert.status == AlertStatus.OPEN and since <= claim_cutoff) or since <= resolve_cutoff
        if not stale:
            continue
        target = _next_handler(alert.handling_region)
        if target is None:
            continue
        with transaction.atomic():
            updated = Alert.objects.filter(pk=alert.pk, handling_region=alert.handling_region).update(
                handling_region=target, escalation_level=alert.escalation_level + 1, escalated_at=now
            )
            if not updated:
                continue
            AlertAction.objects.create(
                alert=alert,
                kind="escalated",
                note=f"{alert.handling_region.name} → {target.name}",
                from_status=alert.status,
                to_status=alert.status,
                at=now,
            )
            ledger_append(
                kind="alert.escalated",
                actor=None,
                subject=f"supervision.alert:{alert.pk}",
                region=alert.village,
                payload={
                    "from": alert.handling_region.code,
                    "to": target.code,
                    "level": alert.escalation_level + 1,
                },
            )
        moved += 1
        escalated.append(alert.pk)
    notify.alerts_escalated(escalated)  # notifications hook: enqueued on commit (notify.py)
    return moved


# --- rule settings ---------------------------------------------------------------------------------------


def rule_setting_set(
    *,
    actor: User | None,
    region: Region,
    rule_code: str,
    params: dict[str, Any],
    enabled: bool = True,
    severity: str = "",
    reason: str = "",
) -> RuleSetting:
    """Set a region's values for a rule within the rule's bounds (county discipline staff)."""
    if actor is not None and not has_perm(actor, Perm.RULE_MANAGE, region):
        raise NotFound()
    rule = REGISTRY.get(rule_code)
    if rule is None:
        raise NotFound()
    fields: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    for name, value in params.items():
        spec = rule.params.get(name)
        if spec is None:
            fields[name] = [_("This rule has no such parameter.")]
            continue
        try:
            clean[name] = str(spec.clean(value))
        except (ValueError, ArithmeticError):
            fields[name] = [
                _("Must be between %(min)s and %(max)s.") % {"min": spec.minimum, "max": spec.maximum}
            ]
    if severity and severity not in Severity.values:
        fields["severity"] = [_("Unknown colour.")]
    if region.level not in (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY):
        fields["region"] = [_("Rule parameters are set by a county (or a city or province).")]
    if fields:
        raise AlertRefused(_("The rule settings are not valid."), code="rule_setting_invalid", fields=fields)
    with transaction.atomic():
        setting, _created = RuleSetting.objects.update_or_create(
            region=region,
            rule_code=rule_code,
            defaults={
                "params": clean,
                "enabled": enabled,
                "severity": severity,
                "reason": (reason or "")[:300],
                "set_by": actor,
            },
        )
        ledger_append(
            kind="rule.configured",
            actor=actor,
            subject=f"supervision.rulesetting:{setting.pk}",
            region=region,
            payload={
                "rule": rule_code,
                "params": clean,
                "enabled": enabled,
                "severity": severity,
                "reason": reason,
            },
        )
    return setting
