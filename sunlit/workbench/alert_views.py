"""Staff alert pages: the list, an alert with its lifecycle actions, the dashboard, rule settings.

Thin views over sunlit.supervision (selectors, services, stats). Every action works as a plain form
post (redirect on success; the page with the refusal inline otherwise) and as an htmx post, which gets
the ``alert-body`` partial back (``Vary: HX-Request``). Out-of-scope and missing alerts are the same 404.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sunlit.accounts.permissions import has_perm, scopes_for
from sunlit.accounts.roles import Perm
from sunlit.cases import documents as docstore
from sunlit.core.errors import DomainError
from sunlit.regions.models import Region, RegionLevel
from sunlit.supervision import selectors, services, stats
from sunlit.supervision.models import Alert, RuleSetting
from sunlit.supervision.rules.base import REGISTRY
from sunlit.supervision.vocab import OPEN_STATUSES

from .alert_forms import (
    ACTION_LABELS,
    AlertFilterForm,
    RuleSettingForm,
    action_form,
    add_domain_error,
    next_actions,
)
from .views import staff_required

PAGE_SIZE = 25
ACTION_MESSAGES = {
    "claim": gettext_lazy("You claimed the alert."),
    "verify": gettext_lazy("The alert was verified."),
    "dismiss": gettext_lazy("The alert was dismissed."),
    "rectify": gettext_lazy("The alert was sent to rectification."),
    "close": gettext_lazy("The alert was closed."),
    "downgrade": gettext_lazy("The alert was downgraded."),
}
KIND_LABELS = {
    "raised": gettext_lazy("Raised"),
    "claimed": gettext_lazy("Claimed"),
    "verified": gettext_lazy("Verified"),
    "dismissed": gettext_lazy("Dismissed"),
    "rectifying": gettext_lazy("Sent to rectification"),
    "closed": gettext_lazy("Closed"),
    "downgraded": gettext_lazy("Downgraded"),
    "escalated": gettext_lazy("Escalated"),
}


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _require_view(request: HttpRequest) -> None:
    if not has_perm(request.user, Perm.ALERT_VIEW):
        raise Http404


# --- list ------------------------------------------------------------------------------------------------


@staff_required
@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    visible = selectors.alerts_for_user(request.user)
    places = visible.order_by("village__code").values_list(
        "village__code", "village__name", "village__parent__code", "village__parent__name"
    )
    regions: dict[str, str] = {}
    for v_code, v_name, t_code, t_name in places.distinct():
        if t_code:
            regions.setdefault(t_code, t_name)
        regions.setdefault(v_code, f"— {v_name}")
    rules = [(code, f"{code} {REGISTRY[code].name}") for code in sorted(REGISTRY)]
    form = AlertFilterForm(request.GET or None, rules=rules, regions=sorted(regions.items()))
    qs = visible
    if form.is_bound:
        form.is_valid()  # a bad value in one filter is ignored; the valid ones still apply
        data = form.cleaned_data
        if data.get("severity"):
            qs = qs.filter(severity=data["severity"])
        if data.get("status") == "unresolved":
            qs = qs.filter(status__in=OPEN_STATUSES)
        elif data.get("status"):
            qs = qs.filter(status=data["status"])
        if data.get("rule"):
            qs = qs.filter(rule_code=data["rule"])
        if data.get("family"):
            qs = qs.filter(family=data["family"])
        if data.get("region"):
            code = data["region"]
            qs = qs.filter(Q(village__code=code) | Q(village__parent__code=code))
    page = Paginator(qs.order_by("-first_seen_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workbench/alerts/list.html",
        {
            "page": page,
            "form": form,
            "query": query.urlencode(),
            "current": "list",
            "can_manage_rules": has_perm(request.user, Perm.RULE_MANAGE),
        },
    )


# --- an alert --------------------------------------------------------------------------------------------


def _evidence_items(evidence: Any) -> list[tuple[str, str]]:
    if not isinstance(evidence, dict):
        return [("", json.dumps(evidence, ensure_ascii=False))] if evidence else []
    items = []
    for key, value in evidence.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        items.append((str(key), shown))
    return items


def _alert_context(request: HttpRequest, alert: Alert, forms: dict[str, Any] | None = None) -> dict[str, Any]:
    forms = forms or {}
    user = request.user
    can_handle = has_perm(user, Perm.ALERT_HANDLE, alert.handling_region)
    panels = []
    if can_handle:
        for action in next_actions(alert.status, alert.severity):
            form = forms.get(action) or action_form(action, alert)
            panels.append({"action": action, "label": ACTION_LABELS[action], "form": form})
    refusal = forms.get("refusal")
    actions = list(alert.actions.select_related("actor").order_by("id"))  # append-only: id order is history
    for act in actions:
        act.label = KIND_LABELS.get(act.kind, act.kind)
    return {
        "alert": alert,
        "evidence": _evidence_items(alert.evidence),
        "actions": actions,
        "panels": panels,
        "can_handle": can_handle,
        "refusal": refusal,
        "case_link": alert.case_id is not None and has_perm(user, Perm.CASE_VIEW, alert.village),
        "flash": forms.get("flash"),
        "current": "list",
    }


def _render_alert(
    request: HttpRequest, alert: Alert, *, forms: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    context = _alert_context(request, alert, forms)
    if _is_htmx(request):
        # htmx swaps only 2xx answers, so a refusal comes back as 200 with the message in the partial.
        response = render(request, "workbench/alerts/detail.html#alert-body", context)
    else:
        response = render(request, "workbench/alerts/detail.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@staff_required
@require_GET
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    return _render_alert(request, selectors.access_alert(request.user, alert_id))


def _upload(form: Any) -> tuple[bytes | None, str]:
    upload = form.cleaned_data.get("evidence")
    if not upload:
        return None, ""
    return upload.read(docstore.max_bytes() + 1), upload.name or ""


def _perform(request: HttpRequest, alert: Alert, action: str, form: Any) -> Alert:
    user = request.user
    data = form.cleaned_data
    if action == "claim":
        return services.alert_claim(actor=user, alert=alert)
    if action == "verify":
        return services.alert_verify(actor=user, alert=alert, note=data["note"])
    if action == "dismiss":
        return services.alert_dismiss(actor=user, alert=alert, reason=data["reason"])
    if action == "rectify":
        return services.alert_rectify(actor=user, alert=alert, note=data["note"])
    evidence, filename = _upload(form)
    if action == "close":
        return services.alert_close(
            actor=user, alert=alert, note=data["note"], evidence=evidence, filename=filename
        )
    return services.alert_downgrade(
        actor=user,
        alert=alert,
        severity=data["severity"],
        note=data["note"],
        evidence=evidence,
        filename=filename,
    )


@staff_required
@require_POST
def alert_action(request: HttpRequest, alert_id: int, action: str) -> HttpResponse:
    alert = selectors.access_alert(request.user, alert_id)
    if action not in ACTION_LABELS:
        raise Http404
    form = action_form(action, alert, request.POST, request.FILES)
    if not form.is_valid():
        return _render_alert(request, alert, forms={action: form}, status=422)
    try:
        _perform(request, alert, action, form)
    except DomainError as exc:
        add_domain_error(form, exc)
        alert = selectors.access_alert(request.user, alert_id)
        # A refusal of an action not offered (a stale page) is shown on top of the page.
        forms: dict[str, Any] = {action: form, "refusal": str(exc.message)}
        return _render_alert(request, alert, forms=forms, status=exc.status)
    message = str(ACTION_MESSAGES[action])
    if _is_htmx(request):
        return _render_alert(
            request, selectors.access_alert(request.user, alert_id), forms={"flash": message}
        )
    messages.success(request, message)
    return redirect("workbench:alert", alert_id=alert_id)


# --- dashboard -------------------------------------------------------------------------------------------


def _crumbs(user, region: Region) -> list[Region]:
    """The region's ancestors the user may open, then the region itself."""
    codes = region.ancestor_codes()
    chain = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [chain[c] for c in codes if c in chain and has_perm(user, Perm.ALERT_VIEW, chain[c])]


@staff_required
@require_GET
def alert_dashboard(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    region = stats.stats_scope(request.user, request.GET.get("region"))  # NotFound → 404
    figures = stats.alert_stats(request.user, region)
    spec = stats.chart_spec(figures)
    spec["names"] = {
        "rectified": _("Rectified"),
        "not_rectified": _("Not yet rectified"),
        "red": _("Red"),
        "yellow": _("Yellow"),
        "blue": _("Blue"),
        "alerts": _("Alerts"),
    }
    return render(
        request,
        "workbench/alerts/dashboard.html",
        {
            "stats": figures,
            "spec": spec,
            "region": region,
            "crumbs": _crumbs(request.user, region) if region else [],
            "roots": stats.stats_regions(request.user),
            "is_village": region is not None and region.level == RegionLevel.VILLAGE,
            "current": "dashboard",
            "can_manage_rules": has_perm(request.user, Perm.RULE_MANAGE),
        },
    )


# --- rule settings ---------------------------------------------------------------------------------------

SETTING_LEVELS = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY)


def _rule_regions(user) -> list[Region]:
    """Where the user may set rule values: their rule.manage scopes at county level or above."""
    return [r for r in scopes_for(user, Perm.RULE_MANAGE) if r.level in SETTING_LEVELS]


def _settings_region(request: HttpRequest) -> tuple[Region | None, list[Region], bool]:
    """(region shown, regions the user may set, may edit the shown one). Anyone with alert.view may
    read the catalogue; values are edited by rule.manage holders in their own region."""
    editable = _rule_regions(request.user)
    code = request.GET.get("region") or request.POST.get("region")
    if code:
        region = next((r for r in editable if r.code == code), None)
        if region is None:
            raise Http404
        return region, editable, True
    if editable:
        return editable[0], editable, True
    return None, editable, False


def _rule_entries(region: Region | None, forms: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    forms = forms or {}
    current = {}
    if region is not None:
        current = {s.rule_code: s for s in RuleSetting.objects.filter(region=region).select_related("set_by")}
    entries = []
    for rule in selectors.rules_catalogue():
        setting = current.get(rule["code"])
        form = forms.get(rule["code"])
        if form is None:
            initial: dict[str, Any] = {"enabled": True, "severity": ""}
            if setting is not None:
                initial = {
                    "enabled": setting.enabled,
                    "severity": setting.severity,
                    "reason": setting.reason,
                    **{f"p_{k}": v for k, v in setting.params.items()},
                }
            form = RuleSettingForm(initial=initial, rule=rule, prefix=rule["code"])
        entries.append({"rule": rule, "setting": setting, "form": form})
    return entries


@staff_required
@require_http_methods(["GET", "POST"])
def rule_settings(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    region, editable, can_edit = _settings_region(request)
    context = {
        "region": region,
        "editable": editable,
        "can_edit": can_edit,
        "current": "rules",
        "can_manage_rules": bool(editable),
    }
    if request.method == "POST":
        if not can_edit or region is None:
            raise Http404
        code = request.POST.get("rule", "")
        catalogue = {r["code"]: r for r in selectors.rules_catalogue()}
        if code not in catalogue:
            raise Http404
        form = RuleSettingForm(request.POST, rule=catalogue[code], prefix=code)
        status = 200
        flash = None
        if form.is_valid():
            try:
                services.rule_setting_set(
                    actor=request.user,
                    region=region,
                    rule_code=code,
                    params=form.params(),
                    enabled=form.cleaned_data["enabled"],
                    severity=form.cleaned_data["severity"],
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                flash = _("The values of %(rule)s for %(region)s were saved.") % {
                    "rule": code,
                    "region": region.name,
                }
                if not _is_htmx(request):
                    messages.success(request, flash)
                    return redirect(f"{request.path}?region={region.code}")
                form = None
        else:
            status = 422
        entries = _rule_entries(region, {code: form} if form is not None else None)
        entry = next(e for e in entries if e["rule"]["code"] == code)
        if _is_htmx(request):
            response = render(
                request, "workbench/alerts/rules.html#rule-card", {**context, "e": entry, "flash": flash}
            )
        else:
            response = render(
                request, "workbench/alerts/rules.html", {**context, "entries": entries}, status=status
            )
        patch_vary_headers(response, ["HX-Request"])
        return response
    response = render(request, "workbench/alerts/rules.html", {**context, "entries": _rule_entries(region)})
    patch_vary_headers(response, ["HX-Request"])
    return response
