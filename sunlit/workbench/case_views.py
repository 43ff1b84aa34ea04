"""Staff case pages: to-do, case list, start, the case page and its actions, document download.

Thin views: parse a form, call ``access_*``/a service/a selector, render. Every action works as a
plain form post (redirect on success, the page with the refusal inline otherwise) and as an htmx
post, which gets the ``case-body`` partial back (``Vary: HX-Request``). Refusals are DomainErrors
from sunlit.cases.services, shown on the form that caused them.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sunlit.accounts.permissions import has_perm, scopes_for
from sunlit.accounts.roles import Perm, Role
from sunlit.cases import documents as docstore
from sunlit.cases import selectors, services
from sunlit.cases.models import Case, StepInstance
from sunlit.cases.permissions import step_actor
from sunlit.cases.vocab import CaseStatus, ObjectionStatus
from sunlit.core.errors import DomainError
from sunlit.powers import selectors as catalog_selectors
from sunlit.powers.mermaid import flow_to_mermaid
from sunlit.regions.models import Region, RegionLevel

from .case_forms import (
    CaseFilterForm,
    CaseStartForm,
    DocumentForm,
    ObjectionAnswerForm,
    StepCompleteForm,
    TerminateForm,
    add_domain_error,
)
from .views import staff_required

ROLE_LABELS = dict(Role.choices)
PAGE_SIZE = 25


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _time_left(due: datetime.datetime | None, now: datetime.datetime) -> dict[str, Any]:
    """Whole days and hours until ``due`` (negative when overdue), for the to-do list."""
    if due is None:
        return {"overdue": False, "days": None, "hours": None}
    seconds = int((due - now).total_seconds())
    overdue = seconds <= 0
    span = abs(seconds)
    return {"overdue": overdue, "days": span // 86400, "hours": (span % 86400) // 3600}


# --- lists -----------------------------------------------------------------------------------------------


@staff_required
@require_GET
def todo(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.todo_for_user(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [{"instance": i, **_time_left(i.due_at, now)} for i in page]
    return render(request, "workbench/cases/todo.html", {"page": page, "rows": rows})


@staff_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    if not has_perm(request.user, Perm.CASE_VIEW):
        raise Http404
    visible = selectors.cases_for_user(request.user)
    items = list(visible.order_by("item__code").values_list("item__code", "item__name").distinct())
    villages = list(
        visible.order_by("village__code").values_list("village__code", "village__name").distinct()
    )
    form = CaseFilterForm(
        request.GET or None,
        items=[(code, f"{code} {name}") for code, name in dict(items).items()],
        villages=list(dict(villages).items()),
    )
    qs = visible
    if form.is_valid():
        if form.cleaned_data["status"]:
            qs = qs.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["item"]:
            qs = qs.filter(item__code=form.cleaned_data["item"])
        if form.cleaned_data["village"]:
            qs = qs.filter(village__code=form.cleaned_data["village"])
    page = Paginator(qs.order_by("-started_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workbench/cases/list.html",
        {
            "page": page,
            "form": form,
            "query": query.urlencode(),
            "now": timezone.now(),
            "can_start": has_perm(request.user, Perm.CASE_OPERATE),
        },
    )


# --- start -----------------------------------------------------------------------------------------------


def _operable_villages(user) -> list[Region]:
    """Villages inside the regions where the user holds case.operate."""
    q = Q()
    for scope in scopes_for(user, Perm.CASE_OPERATE):
        q |= Q(path__startswith=scope.path)
    if not q:
        return []
    return list(Region.objects.filter(q, level=RegionLevel.VILLAGE).order_by("code")[:500])


@staff_required
@require_http_methods(["GET", "POST"])
def case_start(request: HttpRequest) -> HttpResponse:
    villages = _operable_villages(request.user)
    if not villages:
        raise Http404
    data = request.POST if request.method == "POST" else request.GET
    by_code = {v.code: v for v in villages}
    village = by_code.get(data.get("village", "")) or (villages[0] if len(villages) == 1 else None)
    items = list(catalog_selectors.items_in_force(village)) if village else []
    item = next((i for i in items if i.code == data.get("item")), None)
    variables = item.variables if item else []
    bound = request.method == "POST" or bool(request.GET)
    initial = {"village": village.code if village else "", "item": item.code if item else ""}
    form = CaseStartForm(
        data if bound else None, initial=initial, villages=villages, items=items, variables=variables
    )
    if request.method == "POST" and form.is_valid() and village and item:
        try:
            case = services.case_start(
                actor=request.user,
                village=village,
                item_code=item.code,
                title=form.cleaned_data["title"],
                variables=form.variable_values(),
                parties=form.parties(),
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request, _("Case %(no)s was started.") % {"no": case.tracking_no}
            )  # the tracking number is what the villager is given
            return redirect("workbench:case", case_id=case.pk)
    elif request.method == "GET":
        form.errors.clear()  # choosing a village or an item is not a submission
    context = {"form": form, "village": village, "item": item, "items": items}
    status = 422 if request.method == "POST" else 200
    if _is_htmx(request) and request.method == "GET":
        response = render(request, "workbench/cases/start.html#start-form", context)
    else:
        response = render(request, "workbench/cases/start.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- the case page ---------------------------------------------------------------------------------------


def _flow_document(case: Case) -> tuple[dict[str, Any], list[Any]]:
    """The pinned flow version as the document form flow_to_mermaid reads, and its steps."""
    steps = list(case.flow.steps.order_by("position"))
    transitions = list(case.flow.transitions.select_related("source", "target").order_by("position"))
    for step in steps:
        step.next_steps = [t for t in transitions if t.source_id == step.pk]
    document = {
        "start": case.flow.start_key,
        "steps": [{"key": s.key, "name": s.name, "kind": s.kind, "role": s.role} for s in steps],
        "transitions": [
            {"from": t.source.key, "to": t.target.key, "guard": t.guard, "label": t.label}
            for t in transitions
        ],
    }
    return document, steps


def _late(instance: StepInstance, now: datetime.datetime) -> bool:
    if instance.due_at is None:
        return False
    return (instance.completed_at or now) >= instance.due_at


def _action_panel(user, case: Case, forms: dict[str, Any]) -> dict[str, Any] | None:
    """What the user may do on the active step, with its (possibly bound) forms."""
    current = case.current
    if current is None or case.status != CaseStatus.ACTIVE:
        return None
    who = step_actor(user, current.step.role, case.village)
    can_upload = who is not None or has_perm(user, Perm.CASE_OPERATE, case.village)
    req = services.step_requirements(case, current)
    declared = {v.get("name"): v for v in case.item.variables}
    needed = [declared[n] for n in req["inputs"] if n in declared]
    complete_form = forms.get("complete") or StepCompleteForm(
        initial={"sequence": current.sequence}, variables=needed, needs_vote=req["needs_vote"]
    )
    bound_doc = forms.get("document")
    documents = []
    for entry in req["documents"]:
        if bound_doc is not None and bound_doc.data.get("name") == entry["name"]:
            form = bound_doc
        else:
            form = DocumentForm(initial={"sequence": current.sequence, "name": entry["name"]})
        documents.append({**entry, "form": form})
    return {
        "instance": current,
        "who": who,
        "can_complete": who is not None,
        "can_upload": can_upload,
        "req": req,
        "documents": documents,
        "complete_form": complete_form,
        "votes": list(current.votes.order_by("recorded_at", "id")) if req["needs_vote"] else [],
        "notice_running": bool(req["not_before"] and timezone.now() < req["not_before"]),
    }


def _case_context(request: HttpRequest, case: Case, forms: dict[str, Any] | None = None) -> dict[str, Any]:
    forms = forms or {}
    user = request.user
    now = timezone.now()
    timeline = selectors.case_timeline(case)
    states = selectors.step_states(case, timeline)
    document, steps = _flow_document(case)
    for step in steps:
        step.state = states.get(step.key, "pending")
        step.role_label = ROLE_LABELS.get(step.role, step.role)
    for instance in timeline:
        instance.late = _late(instance, now)
        instance.role_label = ROLE_LABELS.get(instance.completed_as, instance.completed_as)
    objections = list(
        case.objections.select_related("notice__step_instance__step").order_by("lodged_at", "id")
    )
    may_handle = has_perm(user, Perm.OBJECTION_HANDLE, case.village)
    for objection in objections:
        objection.can_answer = objection.status == ObjectionStatus.OPEN and (
            may_handle or step_actor(user, objection.notice.step_instance.step.role, case.village) is not None
        )
        bound = forms.get("answer")
        objection.form = (
            bound
            if bound is not None and bound.objection_id == objection.pk
            else ObjectionAnswerForm(prefix=f"o{objection.pk}")
        )
    can_terminate = case.status == CaseStatus.ACTIVE and has_perm(user, Perm.CASE_TERMINATE, case.village)
    return {
        "case": case,
        "timeline": timeline,
        "steps": steps,
        "mermaid": flow_to_mermaid(document, ROLE_LABELS, states),
        "parties": selectors.case_parties(case),
        "notices": list(case.notices.order_by("opens_at", "id")),
        "objections": objections,
        "action": _action_panel(user, case, forms),
        "can_terminate": can_terminate,
        "terminate_form": forms.get("terminate") or TerminateForm(),
        "flash": forms.get("flash"),
        "now": now,
    }


def _render_case(
    request: HttpRequest, case: Case, *, forms: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    context = _case_context(request, case, forms)
    if _is_htmx(request):
        # htmx swaps only 2xx answers, so a refusal comes back as 200 with the message in the partial.
        response = render(request, "workbench/cases/detail.html#case-body", context)
    else:
        response = render(request, "workbench/cases/detail.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _done(request: HttpRequest, case_id: int, message: str) -> HttpResponse:
    """After a successful action: the fresh partial for htmx, a redirect (PRG) for a plain post."""
    if _is_htmx(request):
        case = selectors.access_case(request.user, case_id)
        return _render_case(request, case, forms={"flash": message})
    messages.success(request, message)
    return redirect("workbench:case", case_id=case_id)


@staff_required
@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    return _render_case(request, selectors.access_case(request.user, case_id))


@staff_required
@require_POST
def document_upload(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.access_case(request.user, case_id)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        limit = docstore.max_bytes()
        try:
            services.document_upload(
                actor=request.user,
                case=case,
                name=form.cleaned_data["name"],
                data=upload.read(limit + 1),
                filename=upload.name or "",
                sequence=form.cleaned_data["sequence"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            return _render_case(request, case, forms={"document": form}, status=exc.status)
        return _done(request, case.pk, _("“%(name)s” was uploaded.") % {"name": form.cleaned_data["name"]})
    return _render_case(request, case, forms={"document": form}, status=422)


@staff_required
@require_POST
def step_complete(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.access_case(request.user, case_id)
    if case.current is None:
        return _render_case(request, case, status=409)
    req = services.step_requirements(case, case.current)
    declared = {v.get("name"): v for v in case.item.variables}
    form = StepCompleteForm(
        request.POST,
        variables=[declared[n] for n in req["inputs"] if n in declared],
        needs_vote=req["needs_vote"],
    )
    if not form.is_valid():
        return _render_case(request, case, forms={"complete": form}, status=422)
    vote_only = request.POST.get("action") == "vote"
    try:
        if vote_only:
            tally = form.tally()
            if tally is None:
                form.add_error(None, _("Enter the tally of the meeting."))
                return _render_case(request, case, forms={"complete": form}, status=422)
            record = services.vote_record(
                actor=request.user,
                case=case,
                tally=tally,
                held_on=form.cleaned_data.get("held_on"),
                meeting_ref=form.cleaned_data.get("meeting_ref", ""),
                sequence=form.cleaned_data["sequence"],
            )
            message = (
                _("The vote was recorded: it passed.")
                if record.passed
                else _("The vote was recorded: it did not pass.")
            )
        else:
            services.step_complete(
                actor=request.user,
                case=case,
                sequence=form.cleaned_data["sequence"],
                inputs=form.variable_values(),
                note=form.cleaned_data["note"],
                vote=form.tally(),
                held_on=form.cleaned_data.get("held_on"),
                meeting_ref=form.cleaned_data.get("meeting_ref", ""),
            )
            message = _("The step was completed.")
    except DomainError as exc:
        form.add_domain_error(exc)
        case = selectors.access_case(request.user, case_id)  # unchanged, but re-read for a consistent page
        return _render_case(request, case, forms={"complete": form}, status=exc.status)
    return _done(request, case.pk, message)


@staff_required
@require_POST
def objection_answer(request: HttpRequest, case_id: int, objection_id: int) -> HttpResponse:
    case = selectors.access_case(request.user, case_id)
    objection = selectors.access_objection(request.user, objection_id)
    if objection.case_id != case.pk:
        raise Http404
    form = ObjectionAnswerForm(request.POST, prefix=f"o{objection.pk}")
    form.objection_id = objection.pk  # type: ignore[attr-defined]
    if not form.is_valid():
        return _render_case(request, case, forms={"answer": form}, status=422)
    try:
        services.objection_resolve(
            actor=request.user,
            objection=objection,
            upheld=form.cleaned_data["outcome"] == "upheld",
            answer=form.cleaned_data["answer"],
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return _render_case(request, case, forms={"answer": form}, status=exc.status)
    return _done(
        request, case.pk, _("The objection %(code)s was answered.") % {"code": objection.receipt_code}
    )


@staff_required
@require_POST
def case_terminate(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.access_case(request.user, case_id)
    form = TerminateForm(request.POST)
    if not form.is_valid():
        return _render_case(request, case, forms={"terminate": form}, status=422)
    try:
        services.case_terminate(actor=request.user, case=case, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        add_domain_error(form, exc)
        return _render_case(request, case, forms={"terminate": form}, status=exc.status)
    return _done(request, case.pk, _("The case was terminated."))


@staff_required
@require_GET
def document_download(request: HttpRequest, case_id: int, document_id: int) -> HttpResponse:
    case = selectors.access_case(request.user, case_id)
    document = selectors.access_document(request.user, case, document_id)
    try:
        stored = docstore.open_stored(document.sha256)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=document.original_name or document.name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
