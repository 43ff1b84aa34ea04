"""Public portal: thin views over region and catalog selectors. No login, nothing personal."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from sunlit.accounts.roles import Role
from sunlit.core.errors import NotFound
from sunlit.core.numbers import format_decimal
from sunlit.powers import selectors as catalog
from sunlit.powers.mermaid import flow_to_mermaid
from sunlit.powers.models import RiskPoint
from sunlit.powers.vocab import ItemGroup, RiskLevel, StepKind
from sunlit.regions import selectors as regions
from sunlit.regions.models import RegionLevel

from .cache import cached_page, csrf_context, village_scope
from .disclosure_views import village_context

ROLE_LABELS = dict(Role.choices)


def _region_or_404(code: str):
    try:
        return regions.region_get(code)
    except NotFound:
        raise Http404 from None


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    top = list(regions.region_children(None))
    # Go straight to the only city when there is exactly one province with one city.
    cities = [c for p in top for c in regions.region_children(p)] if len(top) <= 3 else []
    return render(request, "portal/home.html", {"provinces": top, "cities": cities})


@require_GET
@cached_page(lambda code: village_scope(code))  # refreshed when something is published there
def region_page(request: HttpRequest, code: str) -> HttpResponse:
    region = _region_or_404(code)
    ancestors = regions.region_ancestors(region, include_self=False)
    children = regions.region_children(region)
    context = {"region": region, "ancestors": ancestors, **csrf_context()}
    if region.level == RegionLevel.VILLAGE:
        in_force = catalog.catalog_in_force(region)
        items = list(catalog.items_in_force(region)) if in_force else []
        context.update(
            catalog=in_force,
            groups=[(label, [i for i in items if i.group == value]) for value, label in ItemGroup.choices],
            **village_context(region),
        )
        response = render(request, "portal/village.html", context)
        response.sunlit_count = (region.pk, "")  # counted without tracking anyone (counters.py)
        return response
    page = Paginator(children, 200).get_page(request.GET.get("page"))
    context.update(children=page, page=page)
    if region.level == RegionLevel.CITY:
        context["links"] = {c.short_code: reverse("portal:region", args=[c.code]) for c in page}
        context["geo_url"] = reverse("portal:geo", args=[region.code[:6]])
    if region.level in (RegionLevel.COUNTY, RegionLevel.TOWNSHIP):
        context["catalogs"] = list(catalog.published_catalogs().filter(owner__in=[region, *ancestors]))
        context["in_force"] = (
            catalog.catalog_in_force(region) if region.level == RegionLevel.TOWNSHIP else None
        )
    return render(request, "portal/region.html", context)


@require_GET
@cache_control(public=True, max_age=3600)
def geo(request: HttpRequest, code: str) -> HttpResponse:
    from sunlit.regions.geo import county_features

    if not (code.isdigit() and len(code) == 6):
        raise Http404
    features = county_features(code)
    if features is None:
        raise Http404
    return JsonResponse(features)


def _item_context(item, region=None) -> dict:
    document = catalog.item_document(item)
    params = catalog.effective_parameters(region, item) if region is not None else None
    steps = list(item.flow.steps.all())
    transitions = list(item.flow.transitions.all())
    outgoing: dict[int, list] = {}
    for t in transitions:
        outgoing.setdefault(t.source_id, []).append(t)
    for step in steps:
        step.next_steps = outgoing.get(step.pk, [])
        step.deadline_display = _days(step.deadline_days, step.deadline_param, params, item)
        step.notice_display = _days(step.notice_days, step.notice_param, params, item)
        step.role_label = ROLE_LABELS.get(step.role, step.role)
    return {
        "item": item,
        "steps": steps,
        "risks": list(item.risks.all()),
        "mermaid": flow_to_mermaid(document["flow"], ROLE_LABELS),
        "params": params,
        "defaults": list(item.parameters.all()),
        "time_limit": _days(item.time_limit_days, item.time_limit_param, params, item),
        "role_labels": ROLE_LABELS,
        "StepKind": StepKind,
    }


def _days(number, param, params, item) -> str:
    if param:
        if params and param in params:
            return params[param].display
        for p in item.parameters.all():
            if p.key == param:
                return _("%(value)s (county default)") % {"value": format_decimal(p.default)}
        return "?"
    return "" if number is None else str(number)


@require_GET
def village_item(request: HttpRequest, code: str, item_code: str) -> HttpResponse:
    region = _region_or_404(code)
    try:
        item = catalog.item_in_force(region, item_code)
        item = catalog.item_full(item.pk)
    except NotFound:
        raise Http404 from None
    context = _item_context(item, region)
    context.update(region=region, ancestors=regions.region_ancestors(region, include_self=False))
    return render(request, "portal/item.html", context)


@require_GET
def catalog_page(request: HttpRequest, catalog_id: int) -> HttpResponse:
    try:
        edition = catalog.public_catalog_get(catalog_id)
    except NotFound:
        raise Http404 from None
    items = list(edition.items.order_by("position"))
    return render(
        request,
        "portal/catalog.html",
        {
            "catalog": edition,
            "groups": [(label, [i for i in items if i.group == value]) for value, label in ItemGroup.choices],
            "responsibilities": edition.responsibilities.order_by("position"),
            "negative": edition.negative_entries.order_by("position"),
            "role_labels": ROLE_LABELS,
        },
    )


@require_GET
def catalog_item(request: HttpRequest, catalog_id: int, item_id: int) -> HttpResponse:
    try:
        edition = catalog.public_catalog_get(catalog_id)
        item = catalog.item_full(item_id, catalog=edition)
    except NotFound:
        raise Http404 from None
    context = _item_context(item)
    context["catalog"] = edition
    return render(request, "portal/item.html", context)


@require_GET
def heatmap(request: HttpRequest, catalog_id: int) -> HttpResponse:
    try:
        edition = catalog.public_catalog_get(catalog_id)
    except NotFound:
        raise Http404 from None
    heat = catalog.risk_heatmap(edition)
    rows = []
    for li in reversed(range(len(heat.likelihood))):
        rows.append(
            {
                "label": heat.likelihood[li],
                "cells": [
                    {"count": heat.counts[li][ii], "level": heat.levels[li][ii]}
                    for ii in range(len(heat.impact))
                ],
            }
        )
    spec = {
        "likelihood": heat.likelihood,
        "impact": heat.impact,
        "counts": heat.counts,
        "likelihoodName": _("Likelihood"),
        "impactName": _("Impact"),
    }
    risks = (
        RiskPoint.objects.filter(item__catalog=edition)
        .select_related("item", "step")
        .order_by("-likelihood", "-impact", "item__position", "position")
    )
    return render(
        request,
        "portal/heatmap.html",
        {
            "catalog": edition,
            "heat": heat,
            "rows": rows,
            "spec": spec,
            "risks": risks,
            "levels": RiskLevel.choices,
        },
    )
