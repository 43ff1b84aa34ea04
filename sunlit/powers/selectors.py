"""Reads of the catalog: editions, the catalog in force for a region, documents, heat maps."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from sunlit.accounts.models import User
from sunlit.accounts.permissions import has_perm, scopes_for
from sunlit.accounts.roles import Perm
from sunlit.core.errors import NotFound
from sunlit.core.numbers import format_decimal
from sunlit.regions.models import Region, RegionLevel

from .document import FORMAT
from .models import (
    Adoption,
    Catalog,
    Control,
    FlowVersion,
    ItemParameter,
    PowerItem,
    RiskPoint,
    Step,
    Transition,
)
from .vocab import CatalogStatus, OverrideLevel, RiskLevel

PUBLIC_STATUSES = (CatalogStatus.PUBLISHED, CatalogStatus.RETIRED)


def catalogs_for_user(user: User) -> QuerySet[Catalog]:
    """Editions the user may see in the workbench: every published/retired edition owned by a
    region on the path of one of the user's scopes, plus drafts owned inside a scope where the
    user may view catalogs."""
    scopes = scopes_for(user, Perm.CATALOG_VIEW)
    if not scopes:
        return Catalog.objects.none()
    q = Q()
    for scope in scopes:
        ancestors = [c for c in scope.path.strip("/").split("/") if c]
        q |= Q(owner__path__startswith=scope.path) | Q(owner__code__in=ancestors, status__in=PUBLIC_STATUSES)
    return Catalog.objects.filter(q).select_related("owner").distinct()


def access_catalog(user: User, catalog_id: Any, *, perm: str = Perm.CATALOG_VIEW) -> Catalog:
    """The edition if the user may see it (and hold ``perm`` for its owner when perm is a write);
    NotFound otherwise, for missing and out-of-scope alike."""
    try:
        pk = int(catalog_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    catalog = catalogs_for_user(user).filter(pk=pk).first()
    if catalog is None:
        raise NotFound()
    if perm != Perm.CATALOG_VIEW and not has_perm(user, perm, catalog.owner):
        raise NotFound()
    return catalog


def public_catalog_get(catalog_id: Any) -> Catalog:
    try:
        pk = int(catalog_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    catalog = Catalog.objects.filter(pk=pk, status__in=PUBLIC_STATUSES).select_related("owner").first()
    if catalog is None:
        raise NotFound()
    return catalog


def published_catalogs() -> QuerySet[Catalog]:
    return Catalog.objects.filter(status=CatalogStatus.PUBLISHED).select_related("owner")


def adoption_for(region: Region) -> Adoption | None:
    """The adoption in force for a region: its own, else the nearest ancestor's (village → township)."""
    codes = region.ancestor_codes()
    adoptions = {
        a.region.code: a
        for a in Adoption.objects.filter(region__code__in=codes).select_related(
            "region", "catalog", "catalog__owner"
        )
    }
    for code in reversed(codes):
        if code in adoptions:
            return adoptions[code]
    return None


def catalog_in_force(region: Region) -> Catalog | None:
    """ "清单之外无权力": the edition whose items are the only powers a village may exercise."""
    adoption = adoption_for(region)
    return adoption.catalog if adoption else None


def items_prefetched(qs: QuerySet[PowerItem]) -> QuerySet[PowerItem]:
    return qs.select_related("flow").prefetch_related(
        Prefetch("parameters", queryset=ItemParameter.objects.order_by("position")),
    )


def items_in_force(region: Region) -> QuerySet[PowerItem]:
    catalog = catalog_in_force(region)
    if catalog is None:
        return PowerItem.objects.none()
    return catalog.items.all().order_by("position")


def item_in_force(region: Region, item_code: str) -> PowerItem:
    item = items_in_force(region).filter(code=item_code).first()
    if item is None:
        raise NotFound()
    return item


@dataclass(frozen=True)
class EffectiveParameter:
    key: str
    label: str
    kind: str
    value: Decimal
    default: Decimal
    minimum: Decimal | None
    maximum: Decimal | None
    unit: str
    override: str
    source: str  # "default", or the code of the region whose override applies
    source_name: str
    reason: str

    @property
    def display(self) -> str:
        return format_decimal(self.value)


def effective_parameters(region: Region, item: PowerItem) -> dict[str, EffectiveParameter]:
    """Parameter values for ``item`` in ``region``: the county default, then the township's
    override, then the village's (each only where the county allows that level)."""
    codes = region.ancestor_codes()
    adoptions = list(
        Adoption.objects.filter(region__code__in=codes, catalog=item.catalog)
        .select_related("region")
        .prefetch_related("overrides")
    )
    adoptions.sort(key=lambda a: a.region.depth)
    result: dict[str, EffectiveParameter] = {}
    for param in item.parameters.all():
        value, source, source_name, reason = param.default, "default", "", ""
        for adoption in adoptions:
            if not _level_may_override(adoption.region.level, param.override):
                continue
            for override in adoption.overrides.all():
                if override.item_code == item.code and override.key == param.key:
                    value, source, source_name, reason = (
                        override.value,
                        adoption.region.code,
                        adoption.region.name,
                        override.reason,
                    )
        result[param.key] = EffectiveParameter(
            key=param.key,
            label=param.label,
            kind=param.kind,
            value=value,
            default=param.default,
            minimum=param.minimum,
            maximum=param.maximum,
            unit=param.unit,
            override=param.override,
            source=source,
            source_name=source_name,
            reason=reason,
        )
    return result


def _level_may_override(level: str, override: str) -> bool:
    if override == OverrideLevel.VILLAGE:
        return level in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE)
    if override == OverrideLevel.TOWNSHIP:
        return level == RegionLevel.TOWNSHIP
    return False


def level_may_override(level: str, override: str) -> bool:
    return _level_may_override(level, override)


def item_full(item_id: Any, *, catalog: Catalog | None = None) -> PowerItem:
    """An item with its flow, steps, transitions, risks and controls loaded in a fixed number of queries."""
    try:
        pk = int(item_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    qs = PowerItem.objects.select_related("catalog", "catalog__owner", "flow").prefetch_related(
        Prefetch("parameters", queryset=ItemParameter.objects.order_by("position")),
        Prefetch(
            "flow__steps",
            queryset=Step.objects.order_by("position").prefetch_related(
                Prefetch(
                    "risks", queryset=RiskPoint.objects.order_by("position").prefetch_related("controls")
                )
            ),
        ),
        Prefetch(
            "flow__transitions",
            queryset=Transition.objects.order_by("position").select_related("source", "target"),
        ),
        Prefetch(
            "risks",
            queryset=RiskPoint.objects.order_by("position")
            .select_related("step")
            .prefetch_related(Prefetch("controls", queryset=Control.objects.order_by("position"))),
        ),
    )
    if catalog is not None:
        qs = qs.filter(catalog=catalog)
    item = qs.filter(pk=pk).first()
    if item is None:
        raise NotFound()
    return item


def _days_value(number: int | None, param: str) -> int | str | None:
    return f"param:{param}" if param else number


def item_document(item: PowerItem) -> dict:
    flow: FlowVersion = item.flow
    steps = list(flow.steps.all())
    step_risks: dict[int, list[str]] = {s.pk: [] for s in steps}
    risks = list(item.risks.all())
    for risk in risks:
        if risk.step_id in step_risks:
            step_risks[risk.step_id].append(risk.code)
    return {
        "code": item.code,
        "name": item.name,
        "group": item.group,
        "category": item.category,
        "summary": item.summary,
        "legal_basis": [{"title": b["title"], "article": b["article"]} for b in item.legal_basis],
        "responsible_role": item.responsible_role,
        "time_limit_days": _days_value(item.time_limit_days, item.time_limit_param),
        "disclosure": item.disclosure,
        "guide": {
            "contact": item.guide_contact,
            "materials": list(item.guide_materials),
            "duration": item.guide_duration,
        },
        "parameters": [
            {
                "key": p.key,
                "label": p.label,
                "kind": p.kind,
                "default": format_decimal(p.default),
                "min": None if p.minimum is None else format_decimal(p.minimum),
                "max": None if p.maximum is None else format_decimal(p.maximum),
                "unit": p.unit,
                "override": p.override,
                "illustrative": p.illustrative,
            }
            for p in item.parameters.all()
        ],
        "variables": [{"name": v["name"], "type": v["type"], "label": v["label"]} for v in item.variables],
        "flow": {
            "start": flow.start_key,
            "steps": [
                {
                    "key": s.key,
                    "name": s.name,
                    "kind": s.kind,
                    "role": s.role,
                    "deadline_days": _days_value(s.deadline_days, s.deadline_param),
                    "notice_days": _days_value(s.notice_days, s.notice_param),
                    "documents": list(s.documents),
                    "vote": {
                        "body": s.vote_body,
                        "quorum": s.quorum,
                        "quorum_rule": s.quorum_rule,
                        "threshold": s.threshold,
                        "threshold_rule": s.threshold_rule,
                        "threshold_base": s.threshold_base,
                    }
                    if s.vote_body or s.quorum or s.threshold
                    else None,
                    "description": s.description,
                    "risks": step_risks[s.pk],
                }
                for s in steps
            ],
            "transitions": [
                {
                    "from": t.source.key,
                    "to": t.target.key,
                    "guard": t.guard,
                    "default": t.is_default,
                    "priority": t.priority,
                    "label": t.label,
                }
                for t in flow.transitions.all()
            ],
        },
        "risks": [
            {
                "code": r.code,
                "step": r.step.key if r.step else "",
                "description": r.description,
                "likelihood": r.likelihood,
                "impact": r.impact,
                "controls": [
                    {"measure": c.measure, "role": c.responsible_role, "evidence": c.evidence}
                    for c in r.controls.all()
                ],
            }
            for r in risks
        ],
    }


def catalog_document(catalog: Catalog) -> dict:
    """The whole edition as a canonical document (the inverse of importing it)."""
    items = (
        PowerItem.objects.filter(catalog=catalog)
        .order_by("position")
        .select_related("flow")
        .prefetch_related(
            Prefetch("parameters", queryset=ItemParameter.objects.order_by("position")),
            Prefetch("flow__steps", queryset=Step.objects.order_by("position")),
            Prefetch(
                "flow__transitions",
                queryset=Transition.objects.order_by("position").select_related("source", "target"),
            ),
            Prefetch(
                "risks",
                queryset=RiskPoint.objects.order_by("position")
                .select_related("step")
                .prefetch_related(Prefetch("controls", queryset=Control.objects.order_by("position"))),
            ),
        )
    )
    return {
        "format": FORMAT,
        "catalog": {
            "code": catalog.code,
            "name": catalog.name,
            "version": catalog.version,
            "description": catalog.description,
            "risk_matrix": catalog.risk_matrix,
        },
        "items": [item_document(item) for item in items],
        "responsibilities": [
            {"code": r.code, "role": r.role, "duty": r.duty, "basis": r.basis}
            for r in catalog.responsibilities.order_by("position")
        ],
        "negative_list": [
            {"code": n.code, "text": n.text, "basis": n.basis, "consequence": n.consequence}
            for n in catalog.negative_entries.order_by("position")
        ],
    }


@dataclass
class HeatMap:
    likelihood: list[str]
    impact: list[str]
    counts: list[list[int]]  # counts[likelihood-1][impact-1]
    levels: list[list[str]]
    by_level: dict[str, int]
    total: int


def risk_heatmap(catalog: Catalog) -> HeatMap:
    matrix = catalog.risk_matrix
    counts = [[0 for _ in matrix["impact"]] for _ in matrix["likelihood"]]
    by_level = dict.fromkeys(RiskLevel.values, 0)
    total = 0
    for likelihood, impact, level in RiskPoint.objects.filter(item__catalog=catalog).values_list(
        "likelihood", "impact", "level"
    ):
        counts[likelihood - 1][impact - 1] += 1
        by_level[level] += 1
        total += 1
    return HeatMap(matrix["likelihood"], matrix["impact"], counts, matrix["levels"], by_level, total)
