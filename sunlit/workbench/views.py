"""Staff workbench: thin views over the catalog services. Scoped by role assignments."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sunlit.accounts.permissions import active_assignments, has_perm, scopes_for
from sunlit.accounts.roles import Perm, Role
from sunlit.core.errors import DomainError, NotFound
from sunlit.core.tabular import ImportRejected
from sunlit.powers import selectors as catalog_selectors
from sunlit.powers import services as catalog_services
from sunlit.powers.document import normalize_item
from sunlit.powers.flowcheck import Problem
from sunlit.powers.mermaid import flow_to_mermaid
from sunlit.powers.vocab import CatalogStatus, CompareRule, StepKind, VoteBase, VoteBody
from sunlit.regions import selectors as region_selectors
from sunlit.regions.models import RegionLevel

from .flowform import flow_from_post, rows_for
from .forms import CatalogImportForm, LockoutAuthenticationForm, OverrideForm

ROLE_LABELS = dict(Role.choices)


def staff_required(view: Callable) -> Callable:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not has_perm(request.user, Perm.STAFF_VIEW):
            raise Http404
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None

    return wrapper


class LoginView(auth_views.LoginView):
    template_name = "workbench/login.html"
    authentication_form = LockoutAuthenticationForm
    redirect_authenticated_user = True


login_view = LoginView.as_view()
logout_view = auth_views.LogoutView.as_view()


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    assignments = active_assignments(request.user)
    adopt_scopes = scopes_for(request.user, Perm.CATALOG_ADOPT)
    return render(
        request,
        "workbench/home.html",
        {
            "assignments": assignments,
            "can_manage": has_perm(request.user, Perm.CATALOG_MANAGE),
            "can_view_catalog": has_perm(request.user, Perm.CATALOG_VIEW),
            "can_view_cases": has_perm(request.user, Perm.CASE_VIEW),
            "can_start_case": has_perm(request.user, Perm.CASE_OPERATE),
            "adopt_scopes": adopt_scopes,
            "is_admin": any(
                has_perm(request.user, p)
                for p in (
                    Perm.REGION_MANAGE,
                    Perm.USER_MANAGE,
                    Perm.ROLE_ASSIGN,
                    Perm.CALENDAR_MANAGE,
                    Perm.AUDIT_VIEW,
                )
            ),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def catalogs(request: HttpRequest) -> HttpResponse:
    owners = [
        s
        for s in scopes_for(request.user, Perm.CATALOG_MANAGE)
        if s.level in (RegionLevel.COUNTY, RegionLevel.CITY, RegionLevel.PROVINCE)
    ]
    form = CatalogImportForm(request.POST or None, request.FILES or None, owners=owners)
    row_errors = []
    if request.method == "POST" and form.is_valid():
        try:
            owner = region_selectors.region_get(form.cleaned_data["owner"])
            upload = form.cleaned_data["file"]
            edition = catalog_services.catalog_import(
                actor=request.user, owner=owner, source=upload.read(), filename=upload.name or ""
            )
        except ImportRejected as exc:
            row_errors = exc.errors
            form.add_error(None, exc.message)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Imported as a draft edition. Review it and publish."))
            return redirect("workbench:catalog", catalog_id=edition.pk)
    editions = catalog_selectors.catalogs_for_user(request.user).order_by("owner__code", "code", "-version")
    return render(
        request,
        "workbench/catalogs.html",
        {"editions": editions, "form": form if owners else None, "row_errors": row_errors},
    )


@staff_required
def catalog_detail(request: HttpRequest, catalog_id: int) -> HttpResponse:
    edition = catalog_selectors.access_catalog(request.user, catalog_id)
    can_manage = has_perm(request.user, Perm.CATALOG_MANAGE, edition.owner)
    problems = catalog_services.catalog_problems(edition) if edition.is_draft else []
    items = list(edition.items.order_by("position"))
    index = {f"items[{i}]": item for i, item in enumerate(items)}
    located = [
        {"item": index.get(p.path.split(".")[0]), "message": p.message, "path": p.path} for p in problems
    ]
    return render(
        request,
        "workbench/catalog.html",
        {"catalog": edition, "items": items, "problems": located, "can_manage": can_manage},
    )


@staff_required
@require_POST
def catalog_action(request: HttpRequest, catalog_id: int, action: str) -> HttpResponse:
    edition = catalog_selectors.access_catalog(request.user, catalog_id, perm=Perm.CATALOG_MANAGE)
    try:
        if action == "publish":
            report = catalog_services.catalog_publish(actor=request.user, catalog=edition)
            messages.success(
                request,
                _(
                    "Published. %(moved)d adoptions moved to this edition; %(kept)d local values kept, %(dropped)d dropped."
                )
                % {
                    "moved": report.adoptions_moved,
                    "kept": report.overrides_kept,
                    "dropped": len(report.overrides_dropped),
                },
            )
            for line in report.overrides_dropped:
                messages.warning(request, _("Dropped local value: %(line)s") % {"line": line})
        elif action == "draft":
            draft = catalog_services.catalog_new_draft(actor=request.user, catalog=edition)
            messages.success(request, _("A new draft edition was created."))
            return redirect("workbench:catalog", catalog_id=draft.pk)
        elif action == "discard":
            catalog_services.catalog_discard_draft(actor=request.user, catalog=edition)
            messages.success(request, _("The draft was discarded."))
            return redirect("workbench:catalogs")
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
        for detail in exc.details[:50]:
            messages.error(request, f"{detail.get('path', '')}: {detail.get('message', '')}")
    return redirect("workbench:catalog", catalog_id=edition.pk)


def _editor_context(edition, item, flow, item_doc, problems, *, extra_steps=0, extra_transitions=0) -> dict:
    steps, transitions = rows_for(flow, extra_steps, extra_transitions)
    return {
        "catalog": edition,
        "item": item,
        "item_doc": item_doc,
        "start": flow.get("start", ""),
        "steps": steps,
        "transitions": transitions,
        "mermaid": flow_to_mermaid(flow, ROLE_LABELS),
        "problems": problems,
        "kinds": StepKind.choices,
        "roles": Role.choices,
        "bodies": VoteBody.choices,
        "rules": CompareRule.choices,
        "bases": VoteBase.choices,
        "params": item_doc.get("parameters", []),
        "variables": item_doc.get("variables", []),
        "step_keys": [s.get("key") for s in flow.get("steps", []) if s.get("key")],
    }


@staff_required
@require_http_methods(["GET", "POST"])
def flow_editor(request: HttpRequest, catalog_id: int, item_code: str) -> HttpResponse:
    edition = catalog_selectors.access_catalog(request.user, catalog_id)
    item = edition.items.filter(code=item_code).first()
    if item is None:
        raise Http404
    item = catalog_selectors.item_full(item.pk, catalog=edition)
    item_doc = catalog_selectors.item_document(item)
    editable = edition.status == CatalogStatus.DRAFT and has_perm(
        request.user, Perm.CATALOG_MANAGE, edition.owner
    )
    if request.method == "GET":
        _normalized, problems = normalize_item(item_doc, edition.risk_matrix)
        return render(
            request,
            "workbench/flow_editor.html",
            {**_editor_context(edition, item, item_doc["flow"], item_doc, problems), "editable": editable},
        )
    if not editable:
        raise Http404
    flow = flow_from_post(request.POST)
    candidate = {**item_doc, "flow": flow}
    action = request.POST.get("action", "preview")
    extra_steps = 1 if action == "add_step" else 0
    extra_transitions = 1 if action == "add_transition" else 0
    if action == "save":
        try:
            result = catalog_services.item_replace(
                actor=request.user, catalog=edition, item_doc=candidate, item=item
            )
        except DomainError as exc:
            problems = [
                Problem(d.get("code", ""), d.get("message", ""), d.get("path", "")) for d in exc.details
            ]
            messages.error(request, exc.message)
        else:
            if result.problems:
                messages.warning(request, _("Saved with problems to fix before publishing."))
            else:
                messages.success(request, _("Saved. The flow is valid."))
            return redirect(reverse("workbench:flow_editor", args=[edition.pk, item_code]))
    else:
        _normalized, problems = normalize_item(candidate, edition.risk_matrix)
    context = {
        **_editor_context(
            edition,
            item,
            flow,
            item_doc,
            problems,
            extra_steps=extra_steps,
            extra_transitions=extra_transitions,
        ),
        "editable": True,
    }
    template = (
        "workbench/flow_editor.html#preview"
        if request.headers.get("HX-Request") and action == "preview"
        else "workbench/flow_editor.html"
    )
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def region_catalog(request: HttpRequest, code: str) -> HttpResponse:
    region = region_selectors.region_get(code)
    if region.level not in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE) or not has_perm(
        request.user, Perm.CATALOG_ADOPT, region
    ):
        raise Http404
    if request.method == "POST":
        try:
            if request.POST.get("action") == "adopt":
                edition = catalog_selectors.public_catalog_get(request.POST.get("catalog_id"))
                catalog_services.adoption_set(actor=request.user, region=region, catalog=edition)
                messages.success(request, _("The catalog was adopted."))
            elif request.POST.get("action") == "clear":
                catalog_services.override_clear(
                    actor=request.user,
                    region=region,
                    item_code=request.POST.get("item_code", ""),
                    key=request.POST.get("key", ""),
                )
                messages.success(request, _("The local value was removed; the county default applies."))
            else:
                form = OverrideForm(request.POST)
                if form.is_valid():
                    catalog_services.override_set(actor=request.user, region=region, **form.cleaned_data)
                    messages.success(request, _("The local value was saved."))
                else:
                    messages.error(request, _("Enter a value and a reason."))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("workbench:region_catalog", code=region.code)
    ancestors = region_selectors.region_ancestors(region, include_self=False)
    candidates = catalog_selectors.published_catalogs().filter(owner__in=ancestors)
    adoption = catalog_selectors.adoption_for(region)
    rows = []
    if adoption:
        for item in catalog_selectors.items_prefetched(adoption.catalog.items.order_by("position")):
            effective = catalog_selectors.effective_parameters(region, item)
            for param in item.parameters.all():
                e = effective[param.key]
                rows.append(
                    {
                        "item": item,
                        "param": param,
                        "effective": e,
                        "may_override": catalog_selectors.level_may_override(region.level, param.override),
                        "own": e.source == region.code,
                    }
                )
    return render(
        request,
        "workbench/region_catalog.html",
        {
            "region": region,
            "ancestors": ancestors,
            "candidates": candidates,
            "adoption": adoption,
            "rows": rows,
            "own_adoption": adoption and adoption.region_id == region.pk,
        },
    )
