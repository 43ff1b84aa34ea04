"""Alert statistics for the dashboard and the API: set-based, scoped to the user, bounded queries.

Every figure is one aggregate query over ``alerts_for_user(user)`` (optionally narrowed to a region's
subtree), whatever the number of alerts: by colour, status, rule (with the dispositions that give each
rule's precision), month, child region (the drill-down), and the raw durations the medians are taken
from (two single-column queries). About ten queries for the whole dashboard.

Definitions
- *rectified*: closed alerts (整改完成, closed with evidence); *not yet rectified*: verified or rectifying.
- *precision of a rule*: of its alerts that were decided (verified, rectifying, closed or dismissed),
  the share not dismissed; ``dismissed_share`` is the complement. Open and claimed alerts are not
  decided yet and do not count.
- *time to claim / to close*: median of ``claimed_at − first_seen_at`` / ``closed_at − first_seen_at``
  over the alerts that have those times, in hours.
"""

from __future__ import annotations

import statistics
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone

from sunlit.accounts.models import User
from sunlit.accounts.permissions import _roots, has_perm, region_q, scopes_for
from sunlit.accounts.roles import Perm
from sunlit.core.errors import NotFound
from sunlit.regions.models import Region, RegionLevel

from .models import Alert
from .rules.base import REGISTRY
from .vocab import AlertStatus, RuleFamily, Severity

DECIDED = (AlertStatus.VERIFIED, AlertStatus.RECTIFYING, AlertStatus.CLOSED, AlertStatus.DISMISSED)
CONFIRMED = (AlertStatus.VERIFIED, AlertStatus.RECTIFYING, AlertStatus.CLOSED)
MAX_MONTHS = 24


def stats_scope(user: User, region_code: str | None = None) -> Region | None:
    """The region a user's statistics are about: ``region_code`` when it lies inside the user's alert
    scope (else NotFound, like a missing one), otherwise the user's widest scope (None: none)."""
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None or not has_perm(user, Perm.ALERT_VIEW, region):
            raise NotFound()
        return region
    roots = _roots(scopes_for(user, Perm.ALERT_VIEW))
    return roots[0] if roots else None


def stats_regions(user: User) -> list[Region]:
    """The roots of the user's alert scope (where a drill-down may start)."""
    return _roots(scopes_for(user, Perm.ALERT_VIEW))


def _scoped(user: User, region: Region | None) -> QuerySet[Alert]:
    qs = Alert.objects.filter(region_q(user, Perm.ALERT_VIEW, "village"))
    if region is not None:
        qs = qs.filter(village__path__startswith=region.path)
    return qs


def _hours(pairs: list[tuple[Any, Any]]) -> float | None:
    spans = [(end - start).total_seconds() / 3600 for start, end in pairs if start and end]
    return round(statistics.median(spans), 1) if spans else None


def by_region(qs: QuerySet[Alert], region: Region) -> list[dict[str, Any]]:
    """Counts per child region of ``region`` (a village has none): one query per distinct length of
    the children's paths (one, with the 12-digit codes)."""
    children = list(Region.objects.filter(parent=region).order_by("code"))
    counts: dict[str, dict[str, int]] = {}
    for length in sorted({len(c.path) for c in children}):
        rows = (
            qs.annotate(branch=Substr("village__path", 1, length))
            .values("branch")
            .annotate(
                total=Count("pk"),
                red=Count("pk", filter=Q(severity=Severity.RED)),
                open=Count("pk", filter=Q(status__in=(AlertStatus.OPEN, AlertStatus.CLAIMED))),
            )
            .order_by()
        )
        for row in rows:
            counts[row["branch"]] = row
    return [
        {
            "code": child.code,
            "name": child.name,
            "level": child.level,
            "total": counts.get(child.path, {}).get("total", 0),
            "red": counts.get(child.path, {}).get("red", 0),
            "open": counts.get(child.path, {}).get("open", 0),
        }
        for child in children
    ]


def alert_stats(user: User, region: Region | None = None) -> dict[str, Any]:
    """Every dashboard figure for the alerts ``user`` may see within ``region``."""
    qs = _scoped(user, region)
    colours = dict(qs.values("severity").annotate(n=Count("pk")).order_by().values_list("severity", "n"))
    statuses = dict(qs.values("status").annotate(n=Count("pk")).order_by().values_list("status", "n"))
    rule_rows = (
        qs.values("rule_code", "family")
        .annotate(
            total=Count("pk"),
            decided=Count("pk", filter=Q(status__in=DECIDED)),
            dismissed=Count("pk", filter=Q(status=AlertStatus.DISMISSED)),
            closed=Count("pk", filter=Q(status=AlertStatus.CLOSED)),
        )
        .order_by("rule_code")
    )
    rules = []
    for row in rule_rows:
        rule = REGISTRY.get(row["rule_code"])
        decided = row["decided"]
        rules.append(
            {
                "code": row["rule_code"],
                "name": str(rule.name) if rule else row["rule_code"],
                "family": row["family"],
                "total": row["total"],
                "decided": decided,
                "dismissed": row["dismissed"],
                "closed": row["closed"],
                "dismissed_share": round(row["dismissed"] / decided, 3) if decided else None,
                "precision": round(1 - row["dismissed"] / decided, 3) if decided else None,
            }
        )
    families = dict(qs.values("family").annotate(n=Count("pk")).order_by().values_list("family", "n"))
    month_rows = (
        qs.annotate(month=TruncMonth("first_seen_at", tzinfo=timezone.get_current_timezone()))
        .values("month")
        .annotate(
            total=Count("pk"),
            red=Count("pk", filter=Q(severity=Severity.RED)),
            yellow=Count("pk", filter=Q(severity=Severity.YELLOW)),
            blue=Count("pk", filter=Q(severity=Severity.BLUE)),
        )
        .order_by("-month")[:MAX_MONTHS]
    )
    months = [
        {
            "month": row["month"].strftime("%Y-%m"),
            "total": row["total"],
            "red": row["red"],
            "yellow": row["yellow"],
            "blue": row["blue"],
        }
        for row in reversed(list(month_rows))
    ]
    claim_pairs = list(qs.filter(claimed_at__isnull=False).values_list("first_seen_at", "claimed_at"))
    close_pairs = list(qs.filter(closed_at__isnull=False).values_list("first_seen_at", "closed_at"))
    rectified = statuses.get(AlertStatus.CLOSED, 0)
    not_rectified = statuses.get(AlertStatus.VERIFIED, 0) + statuses.get(AlertStatus.RECTIFYING, 0)
    return {
        "region": region,
        "total": sum(colours.values()),
        "by_colour": [
            {"key": s.value, "label": str(s.label), "n": colours.get(s.value, 0)} for s in Severity
        ],
        "by_status": [
            {"key": s.value, "label": str(s.label), "n": statuses.get(s.value, 0)} for s in AlertStatus
        ],
        "by_family": [
            {"key": f.value, "label": str(f.label), "n": families[f.value]}
            for f in RuleFamily
            if f.value in families
        ],
        "by_rule": rules,
        "by_month": months,
        "by_region": by_region(qs, region)
        if region is not None and region.level != RegionLevel.VILLAGE
        else [],
        "rectification": {"rectified": rectified, "not_rectified": not_rectified},
        "median_hours_to_claim": _hours(claim_pairs),
        "median_hours_to_close": _hours(close_pairs),
        "claimed": len(claim_pairs),
        "closed": len(close_pairs),
    }


def chart_spec(stats: dict[str, Any]) -> dict[str, Any]:
    """The plain numbers the dashboard's charts draw (read by sunlit/static/sunlit/alerts.js); the
    page's tables show the same numbers."""
    return {
        "colour": [{"key": r["key"], "name": r["label"], "value": r["n"]} for r in stats["by_colour"]],
        "rule": {
            "labels": [r["code"] for r in stats["by_rule"]],
            "values": [r["total"] for r in stats["by_rule"]],
        },
        "region": {
            "labels": [r["name"] for r in stats["by_region"]],
            "values": [r["total"] for r in stats["by_region"]],
            "codes": [r["code"] for r in stats["by_region"]],
        },
        "month": {
            "labels": [m["month"] for m in stats["by_month"]],
            "red": [m["red"] for m in stats["by_month"]],
            "yellow": [m["yellow"] for m in stats["by_month"]],
            "blue": [m["blue"] for m in stats["by_month"]],
        },
        "rectification": [
            {"key": "rectified", "value": stats["rectification"]["rectified"]},
            {"key": "not_rectified", "value": stats["rectification"]["not_rectified"]},
        ],
    }
