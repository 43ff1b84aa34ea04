"""Reads of supervision, scoped to the user's regions."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from sunlit.accounts.models import User
from sunlit.accounts.permissions import region_q
from sunlit.accounts.roles import Perm
from sunlit.core.errors import NotFound

from .models import Alert
from .rules.base import REGISTRY


def alerts_for_user(user: User) -> QuerySet[Alert]:
    return Alert.objects.filter(region_q(user, Perm.ALERT_VIEW, "village")).select_related(
        "village", "handling_region", "case"
    )


def access_alert(user: User, alert_id: Any) -> Alert:
    try:
        pk = int(alert_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    alert = alerts_for_user(user).filter(pk=pk).first()
    if alert is None:
        raise NotFound()
    return alert


def alert_counts(qs: QuerySet[Alert], field: str) -> dict[str, int]:
    return dict(qs.values(field).annotate(n=Count("pk")).values_list(field, "n"))


def rules_catalogue() -> list[dict[str, Any]]:
    return [
        {
            "code": rule.code,
            "name": str(rule.name),
            "family": rule.family,
            "severity": rule.severity,
            "risk_points": list(rule.risk_points),
            "watches": list(rule.watches),
            "params": {
                name: {
                    "default": str(spec.default),
                    "min": str(spec.minimum),
                    "max": str(spec.maximum),
                    "label": str(spec.label),
                    "unit": str(spec.unit),
                }
                for name, spec in rule.params.items()
            },
        }
        for rule in sorted(REGISTRY.values(), key=lambda r: r.code)
    ]
