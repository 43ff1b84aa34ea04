"""Reads of accountability, scoped to the user's regions (``lead.view`` over the lead's village).

``access_*`` raise the same NotFound for missing and out-of-scope objects. Public reads
(``public_notices``) only ever return published notices, already masked when they were published.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth, TruncYear

from sunlit.accounts.models import User
from sunlit.accounts.permissions import has_perm, region_q
from sunlit.accounts.roles import Perm
from sunlit.core.errors import NotFound
from sunlit.regions.models import Region

from .models import Finding, Lead, PublicNotice, RectificationTask
from .vocab import MEASURE_KIND, FindingKind, Form, Measure, MeasureKind, NoticeStatus, TaskStatus


def _pk(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound() from None


def leads_for_user(user: User) -> QuerySet[Lead]:
    return Lead.objects.filter(region_q(user, Perm.LEAD_VIEW, "village")).select_related(
        "village", "village__parent"
    )


def access_lead(user: User, lead_id: Any) -> Lead:
    lead = (
        leads_for_user(user)
        .select_related("alert", "complaint", "registered_by", "closed_by")
        .filter(pk=_pk(lead_id))
        .first()
    )
    if lead is None:
        raise NotFound()
    return lead


def lead_detail(lead: Lead) -> dict[str, Any]:
    """Everything a lead's page shows, in a fixed number of queries."""
    findings = list(lead.findings.select_related("recorded_by", "responsibility_for").order_by("id"))
    return {
        "findings": findings,
        "violations": [f for f in findings if f.kind == FindingKind.VIOLATION],
        "tasks": list(lead.tasks.select_related("assigned_by", "done_by").order_by("id")),
        "notices": list(lead.notices.order_by("-published_at")),
        "visits": list(lead.visits.select_related("recorded_by").order_by("visited_on", "id")),
        "actions": list(lead.actions.select_related("actor").order_by("id")),
    }


def access_finding(user: User, finding_id: Any) -> Finding:
    finding = (
        Finding.objects.filter(region_q(user, Perm.LEAD_VIEW, "lead__village"))
        .select_related("lead", "lead__village")
        .filter(pk=_pk(finding_id))
        .first()
    )
    if finding is None:
        raise NotFound()
    return finding


def access_task(user: User, task_id: Any) -> RectificationTask:
    task = (
        RectificationTask.objects.filter(region_q(user, Perm.LEAD_VIEW, "lead__village"))
        .select_related("lead", "lead__village")
        .filter(pk=_pk(task_id))
        .first()
    )
    if task is None:
        raise NotFound()
    return task


def access_notice(user: User, notice_id: Any) -> PublicNotice:
    notice = (
        PublicNotice.objects.filter(region_q(user, Perm.LEAD_VIEW, "village"))
        .select_related("lead", "lead__village", "village")
        .filter(pk=_pk(notice_id))
        .first()
    )
    if notice is None:
        raise NotFound()
    return notice


def lead_for_alert(user: User, alert: Any) -> Lead | None:
    """The lead opened from an alert, if the user may see it (the alert → lead side of the link)."""
    return leads_for_user(user).filter(alert=alert).first()


def lead_for_complaint(user: User, complaint: Any) -> Lead | None:
    return leads_for_user(user).filter(complaint=complaint).first()


def overdue_tasks(user: User, today: Any) -> QuerySet[RectificationTask]:
    return (
        RectificationTask.objects.filter(region_q(user, Perm.LEAD_VIEW, "lead__village"))
        .filter(status=TaskStatus.OPEN, due_on__lt=today)
        .select_related("lead", "lead__village")
        .order_by("due_on", "id")
    )


# --- public ----------------------------------------------------------------------------------------------


def public_notices(region: Region | None = None) -> QuerySet[PublicNotice]:
    """Published notices (masked at publication) in a region's subtree, newest first."""
    qs = PublicNotice.objects.filter(status=NoticeStatus.PUBLISHED).select_related(
        "village", "village__parent"
    )
    if region is not None:
        qs = qs.filter(village__path__startswith=region.path)
    return qs.order_by("-published_at", "-id")


def public_notice(notice_id: Any) -> PublicNotice:
    notice = public_notices().filter(pk=_pk(notice_id)).first()
    if notice is None:
        raise NotFound()
    return notice


# --- statistics ------------------------------------------------------------------------------------------

PERIODS = ("month", "year")


def stats_scope(user: User, code: str | None) -> Region | None:
    """The region a statistics page shows: one the user may see leads in, or None for all of theirs."""
    if not code:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None or not has_perm(user, Perm.LEAD_VIEW, region):
        raise NotFound()
    return region


def finding_stats(user: User, region: Region | None = None, period: str = "month") -> dict[str, Any]:
    """Findings by form, by measure (grouped by kind), by region (the level below ``region``) and by
    period, in four aggregate queries. Counts findings (people), not leads."""
    qs = Finding.objects.filter(region_q(user, Perm.LEAD_VIEW, "lead__village"))
    if region is not None:
        qs = qs.filter(lead__village__path__startswith=region.path)
    by_form_raw = dict(qs.values("form").annotate(n=Count("pk")).values_list("form", "n"))
    by_form = [{"key": f.value, "label": str(f.label), "n": by_form_raw.get(f.value, 0)} for f in Form]
    by_measure_raw = dict(qs.values("measure").annotate(n=Count("pk")).values_list("measure", "n"))
    by_measure = [
        {
            "key": m.value,
            "label": str(m.label),
            "kind": MEASURE_KIND[m.value],
            "kind_label": str(MeasureKind(MEASURE_KIND[m.value]).label),
            "n": by_measure_raw[m.value],
        }
        for m in Measure
        if by_measure_raw.get(m.value)
    ]
    # Region: group by the child of the scope that contains each village (a path prefix one level down).
    depth = region.depth + 1 if region is not None else None
    rows = qs.values_list("lead__village__path", "form")
    per_child: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for path, form in rows.iterator(chunk_size=2000):
        parts = [p for p in path.split("/") if p]
        key = (
            parts[depth]
            if depth is not None and len(parts) > depth
            else (parts[3] if len(parts) > 3 else parts[-1])
        )
        per_child[key][form - 1] += 1
    names = dict(Region.objects.filter(code__in=list(per_child)).values_list("code", "name"))
    by_region = sorted(
        (
            {"code": code, "name": names.get(code, code), "forms": counts, "total": sum(counts)}
            for code, counts in per_child.items()
        ),
        key=lambda r: (-r["total"], r["code"]),
    )
    trunc = TruncYear if period == "year" else TruncMonth
    period_rows = (
        qs.annotate(p=trunc("recorded_at")).values("p", "form").annotate(n=Count("pk")).order_by("p", "form")
    )
    per_period: dict[str, list[int]] = {}
    for row in period_rows:
        label = row["p"].strftime("%Y" if period == "year" else "%Y-%m")
        per_period.setdefault(label, [0, 0, 0, 0])[row["form"] - 1] += row["n"]
    by_period = [{"period": k, "forms": v, "total": sum(v)} for k, v in sorted(per_period.items())]
    return {
        "total": sum(by_form_raw.values()),
        "by_form": by_form,
        "by_measure": by_measure,
        "by_region": by_region,
        "by_period": by_period,
        "period": period,
    }


def lead_status_counts(user: User, region: Region | None = None) -> dict[str, int]:
    qs = leads_for_user(user)
    if region is not None:
        qs = qs.filter(village__path__startswith=region.path)
    return dict(qs.values("status").annotate(n=Count("pk")).values_list("status", "n"))


# --- sources of new leads --------------------------------------------------------------------------------


def source_alert(user: User, alert_id: Any) -> Any:
    """A verified-or-later alert the user may open a lead from (same NotFound for missing/out of scope)."""
    from sunlit.supervision.models import Alert

    alert = (
        Alert.objects.filter(region_q(user, Perm.LEAD_HANDLE, "village"))
        .select_related("village")
        .filter(pk=_pk(alert_id))
        .first()
    )
    if alert is None:
        raise NotFound()
    return alert


def source_complaint(user: User, complaint_id: Any) -> Any:
    from sunlit.complaints.models import Complaint

    complaint = (
        Complaint.objects.filter(region_q(user, Perm.LEAD_HANDLE, "village"))
        .select_related("village")
        .filter(pk=_pk(complaint_id))
        .first()
    )
    if complaint is None:
        raise NotFound()
    return complaint


def lead_candidates(user: User, limit: int = 50) -> dict[str, list[Any]]:
    """Verified alerts and complaints in the user's regions that have no lead yet (newest first)."""
    from sunlit.complaints.models import Complaint
    from sunlit.supervision.models import Alert

    from .services import ALERT_LEAD_STATUSES, COMPLAINT_LEAD_STATUSES

    alerts = (
        Alert.objects.filter(region_q(user, Perm.LEAD_HANDLE, "village"), status__in=ALERT_LEAD_STATUSES)
        .filter(leads__isnull=True)
        .select_related("village")
        .order_by("-first_seen_at", "-id")[:limit]
    )
    complaints = (
        Complaint.objects.filter(
            region_q(user, Perm.LEAD_HANDLE, "village"), status__in=COMPLAINT_LEAD_STATUSES, kind="report"
        )
        .filter(leads__isnull=True)
        .select_related("village")
        .order_by("-created_at", "-id")[:limit]
    )
    return {"alerts": list(alerts), "complaints": list(complaints)}
