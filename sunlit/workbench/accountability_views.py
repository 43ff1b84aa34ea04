"""Staff pages of accountability (问责) and complaint analysis: the lead list, opening a lead from an
alert, a complaint or an inspection, a lead with its lifecycle forms, statistics, topic analyses and
supervision recommendation letters.

Thin views over sunlit.accountability and sunlit.analytics (selectors and services). Every action is a
plain form post: a redirect on success, the page with the refusal inline otherwise. Out-of-scope and
missing objects are the same 404.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sunlit.accountability import selectors, services
from sunlit.accountability.models import Lead
from sunlit.accountability.vocab import (
    FORM_MEASURES,
    RESPONSIBILITY_KINDS,
    Form,
    LeadStatus,
    Measure,
    TaskStatus,
)
from sunlit.accounts.permissions import has_perm, scopes_for
from sunlit.accounts.roles import Perm
from sunlit.analytics import selectors as analysis_selectors
from sunlit.analytics import services as analysis_services
from sunlit.analytics.models import RecommendationStatus
from sunlit.analytics.topics import TopicReport
from sunlit.cases import documents as docstore
from sunlit.core.errors import DomainError
from sunlit.regions.models import Region, RegionLevel

from .accountability_forms import (
    ACTION_FORMS,
    LeadFilterForm,
    LeadRegisterForm,
    NamingPolicyForm,
    RecommendationDraftForm,
    RecommendationEditForm,
    TopicRunForm,
    add_domain_error,
)
from .views import staff_required

PAGE_SIZE = 25
ACTION_MESSAGES = {
    "dispose": gettext_lazy("The disposition was recorded."),
    "finding": gettext_lazy("The finding was recorded."),
    "execute": gettext_lazy("The measure was recorded as carried out."),
    "publication": gettext_lazy("The public naming decision was recorded."),
    "notice": gettext_lazy("The notice was published."),
    "task": gettext_lazy("The rectification task was set."),
    "complete": gettext_lazy("The rectification was recorded with its evidence."),
    "close": gettext_lazy("The lead was closed."),
    "visit": gettext_lazy("The follow-up visit was recorded."),
}
ACTION_LABELS = {
    "dispose": gettext_lazy("Record a disposition"),
    "finding": gettext_lazy("Record a finding"),
    "execute": gettext_lazy("Record as carried out"),
    "publication": gettext_lazy("Decide on public naming"),
    "notice": gettext_lazy("Publish a naming notice"),
    "task": gettext_lazy("Set a rectification task"),
    "complete": gettext_lazy("Record the rectification"),
    "close": gettext_lazy("Close the lead"),
    "visit": gettext_lazy("Record a follow-up visit"),
}
KIND_LABELS = {
    "registered": gettext_lazy("Registered"),
    "disposed": gettext_lazy("Disposition"),
    "finding": gettext_lazy("Finding"),
    "executed": gettext_lazy("Carried out"),
    "publication": gettext_lazy("Public naming decision"),
    "published": gettext_lazy("Naming notice published"),
    "withdrawn": gettext_lazy("Naming notice withdrawn"),
    "rectification": gettext_lazy("Rectification task"),
    "rectified": gettext_lazy("Rectified"),
    "closed": gettext_lazy("Closed"),
    "visited": gettext_lazy("Follow-up visit"),
}


def _require_view(request: HttpRequest) -> None:
    if not has_perm(request.user, Perm.LEAD_VIEW):
        raise Http404


def _handled_villages(user) -> list[tuple[str, str]]:
    roots = scopes_for(user, Perm.LEAD_HANDLE)
    if not roots:
        return []
    q = Q()
    for root in roots:
        q |= Q(path__startswith=root.path)
    rows = (
        Region.objects.filter(q, level=RegionLevel.VILLAGE)
        .order_by("path")
        .values_list("code", "name", "parent__name")
    )
    return [(code, f"{parent} · {name}") for code, name, parent in rows]


# --- list ------------------------------------------------------------------------------------------------


@staff_required
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    form = LeadFilterForm(request.GET or None)
    qs = selectors.leads_for_user(request.user)
    if form.is_bound:
        form.is_valid()  # a bad value in one filter is ignored; the valid ones still apply
        if form.cleaned_data.get("status"):
            qs = qs.filter(status=form.cleaned_data["status"])
        if form.cleaned_data.get("source"):
            qs = qs.filter(source=form.cleaned_data["source"])
    page = Paginator(qs.order_by("-registered_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workbench/accountability/list.html",
        {
            "page": page,
            "form": form,
            "query": query.urlencode(),
            "current": "leads",
            "can_handle": has_perm(request.user, Perm.LEAD_HANDLE),
            "overdue": selectors.overdue_tasks(request.user, timezone.localdate()).count(),
        },
    )


# --- opening a lead --------------------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def lead_new(request: HttpRequest) -> HttpResponse:
    if not has_perm(request.user, Perm.LEAD_HANDLE):
        raise Http404
    villages = _handled_villages(request.user)
    status = 200
    if request.method == "POST":
        form = LeadRegisterForm(request.POST, villages=villages)
        if form.is_valid():
            data = form.cleaned_data
            try:
                alert = complaint = village = None
                if data["source"] == "alert":
                    alert = selectors.source_alert(request.user, data["alert"])
                elif data["source"] == "complaint":
                    complaint = selectors.source_complaint(request.user, data["complaint"])
                elif data["village"]:
                    village = Region.objects.filter(code=data["village"]).first()
                lead = services.lead_register(
                    actor=request.user,
                    source=data["source"],
                    title=data["title"],
                    summary=data["summary"],
                    village=village,
                    alert=alert,
                    complaint=complaint,
                    source_description=data["source_description"],
                )
            except DomainError as exc:
                if exc.status == 404:
                    exc = DomainError(_("No such alert or complaint in your regions."), code="not_found")
                add_domain_error(form, exc)
                status = 422
            else:
                messages.success(request, _("Lead “%(code)s” was opened.") % {"code": lead.code})
                return redirect("workbench:lead", lead_id=lead.pk)
        else:
            status = 422
    else:
        initial: dict[str, Any] = {"source": "inspection"}
        if request.GET.get("alert"):
            alert = selectors.source_alert(request.user, request.GET["alert"])  # NotFound → 404
            initial = {
                "source": "alert",
                "alert": alert.pk,
                "title": alert.title,
                "summary": alert.explanation,
            }
        elif request.GET.get("complaint"):
            complaint = selectors.source_complaint(request.user, request.GET["complaint"])
            initial = {
                "source": "complaint",
                "complaint": complaint.pk,
                "title": complaint.title,
                "summary": complaint.public_text,
            }
        form = LeadRegisterForm(initial=initial, villages=villages)
    return render(
        request,
        "workbench/accountability/new.html",
        {"form": form, "candidates": selectors.lead_candidates(request.user, 20), "current": "new"},
        status=status,
    )


# --- a lead ----------------------------------------------------------------------------------------------


def _violation_choices(detail: dict[str, Any]) -> list[tuple[int, str]]:
    return [(f.pk, f"{f.subject_name} · {f.subject_post}") for f in detail["violations"]]


def _lead_context(request: HttpRequest, lead: Lead, forms: dict[str, Any] | None = None) -> dict[str, Any]:
    forms = forms or {}
    detail = selectors.lead_detail(lead)
    can_handle = has_perm(request.user, Perm.LEAD_HANDLE, lead.village)
    violations = _violation_choices(detail)
    status = lead.status
    panels: dict[str, Any] = {}
    if can_handle:
        if status in (LeadStatus.REGISTERED, LeadStatus.HELD, LeadStatus.CHECKING):
            panels["dispose"] = forms.get("dispose") or ACTION_FORMS["dispose"](prefix="dispose")
        if status in (LeadStatus.CHECKING, LeadStatus.FOUND):
            panels["finding"] = forms.get("finding") or ACTION_FORMS["finding"](
                violations=violations, prefix="finding"
            )
        if status == LeadStatus.FOUND:
            panels["publication"] = forms.get("publication") or ACTION_FORMS["publication"](
                initial={"required": "1" if lead.publication_required else "0"}, prefix="publication"
            )
            panels["notice"] = forms.get("notice") or ACTION_FORMS["notice"](
                initial={"title": lead.title}, prefix="notice"
            )
            panels["task"] = forms.get("task") or ACTION_FORMS["task"](prefix="task")
            panels["close"] = forms.get("close") or ACTION_FORMS["close"](prefix="close")
        if status in (LeadStatus.FOUND, LeadStatus.CLOSED):
            panels["visit"] = forms.get("visit") or ACTION_FORMS["visit"](
                initial={"visited_on": timezone.localdate()}, prefix="visit"
            )
    execute_forms = {}
    complete_forms = {}
    if can_handle and status == LeadStatus.FOUND:
        for f in detail["findings"]:
            if f.executed_on is None:
                bound = forms.get("execute")
                prefix = f"execute-{f.pk}"
                execute_forms[f.pk] = (
                    bound
                    if bound is not None and bound.prefix == prefix
                    else ACTION_FORMS["execute"](
                        initial={"finding": f.pk, "executed_on": timezone.localdate()}, prefix=prefix
                    )
                )
        for t in detail["tasks"]:
            if t.status == TaskStatus.OPEN:
                bound = forms.get("complete")
                prefix = f"complete-{t.pk}"
                complete_forms[t.pk] = (
                    bound
                    if bound is not None and bound.prefix == prefix
                    else ACTION_FORMS["complete"](initial={"task": t.pk}, prefix=prefix)
                )
    for f in detail["findings"]:
        f.execute_form = execute_forms.get(f.pk)
    for t in detail["tasks"]:
        t.complete_form = complete_forms.get(t.pk)
        t.overdue = t.status == TaskStatus.OPEN and t.due_on < timezone.localdate()
    for act in detail["actions"]:
        act.label = KIND_LABELS.get(act.kind, act.kind)
    return {
        "lead": lead,
        **detail,
        "panels": [{"action": a, "label": ACTION_LABELS[a], "form": f} for a, f in panels.items()],
        "can_handle": can_handle,
        "problems": services.close_problems(lead) if status == LeadStatus.FOUND else [],
        "refusal": forms.get("refusal"),
        "form_measures": [
            {"form": Form(k).label, "measures": [Measure(m).label for m in sorted(v)]}
            for k, v in sorted(FORM_MEASURES.items())
        ],
        "responsibility_kinds": RESPONSIBILITY_KINDS,
        "alert_link": lead.alert_id is not None and has_perm(request.user, Perm.ALERT_VIEW, lead.village),
        "current": "leads",
    }


@staff_required
@require_GET
def lead_detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = selectors.access_lead(request.user, lead_id)
    return render(request, "workbench/accountability/detail.html", _lead_context(request, lead))


def _perform(request: HttpRequest, lead: Lead, action: str, form: Any) -> None:
    user = request.user
    data = form.cleaned_data
    if action == "dispose":
        services.lead_dispose(actor=user, lead=lead, disposition=data["disposition"], note=data["note"])
    elif action == "finding":
        linked = None
        if data.get("responsibility_for"):
            linked = selectors.access_finding(user, data["responsibility_for"])
        services.finding_record(
            actor=user,
            lead=lead,
            kind=data["kind"],
            subject_name=data["subject_name"],
            subject_post=data["subject_post"],
            party_member=data["party_member"],
            public_servant=data["public_servant"],
            form=data["form"],
            measure=data["measure"],
            facts=data["facts"],
            responsibility_for=linked,
        )
    elif action == "execute":
        finding = selectors.access_finding(user, data["finding"])
        if finding.lead_id != lead.pk:
            raise Http404
        services.finding_execute(
            actor=user, finding=finding, decision_ref=data["decision_ref"], executed_on=data["executed_on"]
        )
    elif action == "publication":
        services.publication_set(actor=user, lead=lead, required=data["required"], reason=data["reason"])
    elif action == "notice":
        services.notice_publish(actor=user, lead=lead, title=data["title"], body=data["body"])
    elif action == "task":
        services.rectification_assign(
            actor=user,
            lead=lead,
            description=data["description"],
            responsible_unit=data["responsible_unit"],
            working_days=data["working_days"],
        )
    elif action == "complete":
        task = selectors.access_task(user, data["task"])
        if task.lead_id != lead.pk:
            raise Http404
        upload = data.get("evidence")
        evidence = upload.read(docstore.max_bytes() + 1) if upload else None
        services.rectification_complete(
            actor=user,
            task=task,
            note=data["note"],
            evidence=evidence,
            filename=(upload.name if upload else ""),
        )
    elif action == "close":
        services.lead_close(actor=user, lead=lead, note=data["note"])
    elif action == "visit":
        services.visit_record(
            actor=user,
            lead=lead,
            visited_on=data["visited_on"],
            visitors=data["visitors"],
            outcome=data["outcome"],
            note=data["note"],
        )


@staff_required
@require_POST
def lead_action(request: HttpRequest, lead_id: int, action: str) -> HttpResponse:
    lead = selectors.access_lead(request.user, lead_id)
    if action not in ACTION_FORMS:
        raise Http404
    kwargs: dict[str, Any] = {"prefix": action}
    if action in ("execute", "complete"):  # one form per finding or task: the target names the prefix
        target = request.POST.get("target", "")
        if not target.isdigit():
            raise Http404
        kwargs["prefix"] = f"{action}-{target}"
    if action == "finding":
        kwargs["violations"] = _violation_choices(selectors.lead_detail(lead))
    form = ACTION_FORMS[action](request.POST, request.FILES, **kwargs)
    if not form.is_valid():
        response = render(
            request,
            "workbench/accountability/detail.html",
            _lead_context(request, lead, {action: form}),
            status=422,
        )
        return response
    try:
        _perform(request, lead, action, form)
    except DomainError as exc:
        add_domain_error(form, exc)
        lead = selectors.access_lead(request.user, lead_id)
        context = _lead_context(request, lead, {action: form, "refusal": str(exc.message)})
        return render(request, "workbench/accountability/detail.html", context, status=exc.status)
    messages.success(request, str(ACTION_MESSAGES[action]))
    return redirect("workbench:lead", lead_id=lead_id)


# --- statistics ------------------------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def lead_stats(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    region = selectors.stats_scope(request.user, request.GET.get("region"))  # NotFound → 404
    period = "year" if request.GET.get("period") == "year" else "month"
    counties = [r for r in scopes_for(request.user, Perm.LEAD_HANDLE) if r.level == RegionLevel.COUNTY]
    policy_form = None
    if counties:
        county = counties[0]
        if request.method == "POST":
            policy_form = NamingPolicyForm(request.POST)
            if policy_form.is_valid():
                try:
                    services.naming_policy_set(
                        actor=request.user,
                        county=county,
                        name_display=policy_form.cleaned_data["name_display"],
                    )
                except DomainError as exc:
                    add_domain_error(policy_form, exc)
                else:
                    messages.success(
                        request, _("The naming rule of %(county)s was saved.") % {"county": county.name}
                    )
                    return redirect("workbench:lead_stats")
        else:
            policy_form = NamingPolicyForm(initial={"name_display": services.naming_display(county)})
        policy_county = county
    elif request.method == "POST":
        raise Http404
    else:
        policy_county = None
    figures = selectors.finding_stats(request.user, region, period)
    spec = {
        "form": {
            "labels": [f["label"] for f in figures["by_form"]],
            "values": [f["n"] for f in figures["by_form"]],
        },
        "measure": {
            "labels": [m["label"] for m in figures["by_measure"]],
            "values": [m["n"] for m in figures["by_measure"]],
        },
        "region": {
            "labels": [r["name"] for r in figures["by_region"]],
            "codes": [r["code"] for r in figures["by_region"]],
            "forms": [[r["forms"][i] for r in figures["by_region"]] for i in range(4)],
        },
        "period": {
            "labels": [p["period"] for p in figures["by_period"]],
            "forms": [[p["forms"][i] for p in figures["by_period"]] for i in range(4)],
        },
        "names": {"forms": [str(f.label) for f in Form], "findings": _("Findings")},
    }
    return render(
        request,
        "workbench/accountability/stats.html",
        {
            "stats": figures,
            "spec": spec,
            "region": region,
            "period": period,
            "statuses": [
                (LeadStatus(k).label, n)
                for k, n in sorted(selectors.lead_status_counts(request.user, region).items())
            ],
            "policy_form": policy_form,
            "policy_county": policy_county,
            "current": "stats",
        },
    )


# --- analysis --------------------------------------------------------------------------------------------


def _analysis_regions(user) -> list[Region]:
    return [
        r
        for r in scopes_for(user, Perm.LEAD_HANDLE)
        if r.level in (RegionLevel.COUNTY, RegionLevel.CITY, RegionLevel.TOWNSHIP)
    ]


@staff_required
@require_http_methods(["GET", "POST"])
def analysis_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    regions = _analysis_regions(request.user)
    choices = [(r.code, r.name) for r in regions]
    status = 200
    if request.method == "POST":
        if not regions:
            raise Http404
        form = TopicRunForm(request.POST, regions=choices)
        if form.is_valid():
            data = form.cleaned_data
            region = next(r for r in regions if r.code == data["region"])
            try:
                run = analysis_services.topic_run_create(
                    actor=request.user,
                    region=region,
                    period_from=data["period_from"],
                    period_to=data["period_to"],
                    n_topics=data["n_topics"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                return redirect("workbench:analysis", run_id=run.pk)
        else:
            status = 422
    else:
        today = timezone.localdate()
        form = TopicRunForm(
            initial={"period_from": today - datetime.timedelta(days=365), "period_to": today, "n_topics": 8},
            regions=choices,
        )
    runs = analysis_selectors.runs_for_user(request.user).order_by("-created_at", "-id")
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    recommendations = analysis_selectors.recommendations_for_user(request.user).order_by(
        "-updated_at", "-id"
    )[:20]
    return render(
        request,
        "workbench/accountability/analysis_list.html",
        {
            "form": form if regions else None,
            "page": page,
            "recommendations": recommendations,
            "current": "analysis",
        },
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def analysis_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = analysis_selectors.access_run(request.user, run_id)
    report = TopicReport.from_json(run.result)
    choices = [(t.index, f"{t.index + 1}. {t.label}") for t in report.topics]
    can_handle = has_perm(request.user, Perm.LEAD_HANDLE, run.region)
    status = 200
    form = RecommendationDraftForm(topics=choices) if can_handle else None
    if request.method == "POST":
        if not can_handle:
            raise Http404
        form = RecommendationDraftForm(request.POST, topics=choices)
        if form.is_valid():
            try:
                rec = analysis_services.recommendation_draft(
                    actor=request.user,
                    run=run,
                    department=form.cleaned_data["department"],
                    topic_indexes=form.cleaned_data["topics"] or None,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                return redirect("workbench:recommendation", rec_id=rec.pk)
        else:
            status = 422
    return render(
        request,
        "workbench/accountability/analysis_detail.html",
        {"run": run, "report": report, "form": form, "current": "analysis"},
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def recommendation_detail(request: HttpRequest, rec_id: int) -> HttpResponse:
    rec = analysis_selectors.access_recommendation(request.user, rec_id)
    can_edit = rec.status == RecommendationStatus.DRAFT and has_perm(
        request.user, Perm.LEAD_HANDLE, rec.region
    )
    status = 200
    form = None
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if request.POST.get("issue"):
            try:
                analysis_services.recommendation_issue(actor=request.user, recommendation=rec)
            except DomainError as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, _("The letter was issued."))
            return redirect("workbench:recommendation", rec_id=rec.pk)
        form = RecommendationEditForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                analysis_services.recommendation_update(
                    actor=request.user,
                    recommendation=rec,
                    title=data["title"],
                    body=data["body"],
                    reference=data["reference"],
                    revision=data["revision"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("The draft was saved."))
                return redirect("workbench:recommendation", rec_id=rec.pk)
        else:
            status = 422
    elif can_edit:
        form = RecommendationEditForm(
            initial={
                "revision": rec.revision,
                "reference": rec.reference,
                "title": rec.title,
                "body": rec.body,
            }
        )
    return render(
        request,
        "workbench/accountability/recommendation.html",
        {"rec": rec, "form": form, "can_edit": can_edit, "current": "analysis"},
        status=status,
    )


@staff_required
@require_GET
def recommendation_pdf(request: HttpRequest, rec_id: int) -> HttpResponse:
    rec = analysis_selectors.access_recommendation(request.user, rec_id)
    response = HttpResponse(analysis_services.recommendation_pdf(rec), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="recommendation-{rec.pk}-r{rec.revision}.pdf"'
    return response
