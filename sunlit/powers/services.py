"""Writes to the catalog: import, edit drafts, publish, adopt, override parameters.

Every function names its actor, checks permission, runs in one transaction and changes
nothing when it refuses. ``actor=None`` is reserved for bootstrap code (the demo, commands run
by an operator) and skips permission checks.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.accounts.models import User
from sunlit.accounts.permissions import has_perm
from sunlit.accounts.roles import Perm
from sunlit.core.errors import Conflict, NotFound, ValidationFailed
from sunlit.core.numbers import format_decimal
from sunlit.core.tabular import ImportRejected, read_bytes
from sunlit.regions.models import Region, RegionLevel

from . import selectors
from .document import content_hash, item_hash, normalize_document, risk_level
from .errors import CatalogInvalid, CatalogNotDraft
from .exchange import problems_to_row_errors, read_catalog_file
from .flowcheck import Problem, param_ref
from .models import (
    Adoption,
    Catalog,
    Control,
    FlowVersion,
    ItemParameter,
    NegativeEntry,
    ParameterOverride,
    PowerItem,
    ResponsibilityEntry,
    RiskPoint,
    Step,
    Transition,
)
from .vocab import CatalogStatus, OverrideLevel, ParamKind

STANDARD_CATALOG = Path(__file__).resolve().parent / "catalogs" / "standard.yaml"

# Problems check_flow reports about the graph and guards. A draft may hold them while an
# official works on it; publishing refuses until none is left.
GRAPH_CODES = frozenset(
    {
        "no_steps",
        "duplicate_step",
        "missing_role",
        "unknown_role",
        "unknown_parameter",
        "parameter_kind",
        "notice_days_required",
        "notice_days_misplaced",
        "vote_misplaced",
        "vote_rule_required",
        "vote_body",
        "vote_fraction",
        "vote_rule",
        "vote_base",
        "unknown_risk",
        "bad_start",
        "no_end",
        "unknown_step",
        "self_loop",
        "duplicate_transition",
        "guard_too_long",
        "guard_syntax",
        "guard_unknown_variable",
        "guard_unknown_parameter",
        "guard_type",
        "guard_not_boolean",
        "default_with_guard",
        "end_has_exit",
        "dead_end",
        "branch_default",
        "branch_priority",
        "unreachable",
        "no_path_to_end",
    }
)


def _require(actor: User | None, perm: str, region: Region) -> None:
    if actor is not None and not has_perm(actor, perm, region):
        raise NotFound()


def _require_draft(catalog: Catalog) -> None:
    if catalog.status != CatalogStatus.DRAFT:
        raise CatalogNotDraft()


# --- import ------------------------------------------------------------------------------------------


def catalog_parse(source: bytes | str | Path | IO[bytes], filename: str = "") -> dict:
    """Read a YAML or XLSX catalog file and return its canonical document, or raise
    ImportRejected with every problem tied to a line of the file."""
    data = read_bytes(source)
    if isinstance(source, (str, Path)) and not filename:
        filename = str(source)
    raw, origins = read_catalog_file(data, filename)
    document, problems = normalize_document(raw)
    if problems:
        raise ImportRejected(problems_to_row_errors(problems, origins))
    return document


@transaction.atomic
def catalog_import(
    *,
    actor: User | None,
    owner: Region,
    source: bytes | str | Path | IO[bytes] | None = None,
    document: dict | None = None,
    filename: str = "",
) -> Catalog:
    """Create a draft edition from a file (or an already-parsed document). All or nothing.

    The edition number is the file's, or one above the latest edition of the same code, whichever
    is higher, so re-importing an exported edition never collides.
    """
    _require(actor, Perm.CATALOG_MANAGE, owner)
    if owner.level not in (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY):
        raise ValidationFailed(
            _("Catalog templates are owned by a county (or a city or province)."), code="wrong_level"
        )
    if document is None:
        if source is None:
            raise ValidationFailed(_("No catalog file was given."))
        document = catalog_parse(source, filename)
    else:
        document, problems = normalize_document(document)
        if problems:
            raise CatalogInvalid(details=[p.as_dict() for p in problems])
    code = document["catalog"]["code"]
    if Catalog.objects.filter(owner=owner, code=code, status=CatalogStatus.DRAFT).exists():
        raise Conflict(
            _("There is already a draft of this catalog; publish or discard it first."), code="draft_exists"
        )
    latest = Catalog.objects.filter(owner=owner, code=code).aggregate(v=Max("version"))["v"] or 0
    version = max(document["catalog"]["version"], latest + 1)
    catalog = Catalog.objects.create(
        owner=owner,
        code=code,
        name=document["catalog"]["name"],
        version=version,
        description=document["catalog"]["description"],
        risk_matrix=document["catalog"]["risk_matrix"],
        created_by=actor,
    )
    _persist_contents(catalog, document)
    return catalog


def _persist_contents(catalog: Catalog, document: dict) -> None:
    matrix = catalog.risk_matrix
    for position, item_doc in enumerate(document["items"]):
        _persist_item(catalog, item_doc, position, matrix)
    ResponsibilityEntry.objects.bulk_create(
        ResponsibilityEntry(catalog=catalog, position=i, **r)
        for i, r in enumerate(document["responsibilities"])
    )
    NegativeEntry.objects.bulk_create(
        NegativeEntry(catalog=catalog, position=i, **n) for i, n in enumerate(document["negative_list"])
    )


def _split_days(value: int | str | None) -> tuple[int | None, str]:
    ref = param_ref(value)
    return (None, ref) if ref is not None else (value, "")  # type: ignore[return-value]


def _persist_item(catalog: Catalog, doc: dict, position: int, matrix: dict) -> PowerItem:
    limit, limit_param = _split_days(doc["time_limit_days"])
    item = PowerItem.objects.create(
        catalog=catalog,
        code=doc["code"],
        name=doc["name"],
        group=doc["group"],
        category=doc["category"],
        summary=doc["summary"],
        legal_basis=doc["legal_basis"],
        responsible_role=doc["responsible_role"],
        time_limit_days=limit,
        time_limit_param=limit_param,
        disclosure=doc["disclosure"],
        guide_contact=doc["guide"]["contact"],
        guide_materials=doc["guide"]["materials"],
        guide_duration=doc["guide"]["duration"],
        variables=doc["variables"],
        position=position,
    )
    _persist_item_parts(item, doc, matrix)
    return item


def _persist_item_parts(item: PowerItem, doc: dict, matrix: dict) -> None:
    ItemParameter.objects.bulk_create(
        ItemParameter(
            item=item,
            key=p["key"],
            label=p["label"],
            kind=p["kind"],
            default=Decimal(p["default"]),
            minimum=None if p["min"] is None else Decimal(p["min"]),
            maximum=None if p["max"] is None else Decimal(p["max"]),
            unit=p["unit"],
            override=p["override"],
            illustrative=p["illustrative"],
            position=i,
        )
        for i, p in enumerate(doc["parameters"])
    )
    flow_doc = doc["flow"]
    flow = FlowVersion.objects.create(
        item=item, start_key=flow_doc["start"], content_hash=item_hash(flow_doc)
    )
    steps = []
    for i, s in enumerate(flow_doc["steps"]):
        deadline, deadline_param = _split_days(s["deadline_days"])
        notice, notice_param = _split_days(s["notice_days"])
        vote = s["vote"] or {}
        steps.append(
            Step(
                flow=flow,
                key=s["key"],
                name=s["name"],
                kind=s["kind"],
                role=s["role"],
                position=i,
                deadline_days=deadline,
                deadline_param=deadline_param,
                notice_days=notice,
                notice_param=notice_param,
                documents=s["documents"],
                vote_body=vote.get("body", ""),
                quorum=vote.get("quorum", ""),
                quorum_rule=vote.get("quorum_rule", ""),
                threshold=vote.get("threshold", ""),
                threshold_rule=vote.get("threshold_rule", ""),
                threshold_base=vote.get("threshold_base", ""),
                description=s["description"],
            )
        )
    Step.objects.bulk_create(steps)
    by_key = {s.key: s for s in Step.objects.filter(flow=flow)}
    Transition.objects.bulk_create(
        Transition(
            flow=flow,
            source=by_key[t["from"]],
            target=by_key[t["to"]],
            guard=t["guard"],
            is_default=t["default"],
            priority=t["priority"],
            label=t["label"],
            position=i,
        )
        for i, t in enumerate(flow_doc["transitions"])
        if t["from"] in by_key and t["to"] in by_key
    )
    step_of_risk: dict[str, str] = {}
    for s in flow_doc["steps"]:
        for code in s["risks"]:
            step_of_risk.setdefault(code, s["key"])
    for i, r in enumerate(doc["risks"]):
        step_key = r["step"] or step_of_risk.get(r["code"], "")
        likelihood = min(max(r["likelihood"], 1), len(matrix["likelihood"]))
        impact = min(max(r["impact"], 1), len(matrix["impact"]))
        risk = RiskPoint.objects.create(
            item=item,
            step=by_key.get(step_key),
            code=r["code"],
            description=r["description"],
            likelihood=r["likelihood"],
            impact=r["impact"],
            level=risk_level(matrix, likelihood, impact),
            position=i,
        )
        Control.objects.bulk_create(
            Control(
                risk=risk,
                measure=c["measure"],
                responsible_role=c["role"],
                evidence=c["evidence"],
                position=j,
            )
            for j, c in enumerate(r["controls"])
        )


# --- editing drafts ----------------------------------------------------------------------------------


@dataclass
class SaveResult:
    item: PowerItem
    problems: list[Problem] = field(default_factory=list)  # graph problems left to fix before publishing


@transaction.atomic
def item_replace(
    *, actor: User | None, catalog: Catalog, item_doc: dict, item: PowerItem | None = None
) -> SaveResult:
    """Create or replace one item of a draft from its document form (the flow editor, the API).

    Malformed input is refused. Problems with the flow graph or its guards are kept: the draft is
    saved and the problems are returned, and publishing refuses until they are fixed.
    """
    catalog = Catalog.objects.select_for_update().get(pk=catalog.pk)
    _require(actor, Perm.CATALOG_MANAGE, catalog.owner)
    _require_draft(catalog)
    document = selectors.catalog_document(catalog)
    if item is not None:
        index = next((i for i, it in enumerate(document["items"]) if it["code"] == item.code), None)
        if index is None:
            raise NotFound()
        document["items"][index] = item_doc
        position = item.position
    else:
        document["items"].append(item_doc)
        index = len(document["items"]) - 1
        position = (catalog.items.aggregate(p=Max("position"))["p"] or 0) + 1
    normalized, problems = normalize_document(document)
    prefix = f"items[{index}]"
    mine = [p for p in problems if p.path == prefix or p.path.startswith(prefix + ".")]
    blocking = [p for p in mine if p.code not in GRAPH_CODES]
    if blocking:
        raise CatalogInvalid(details=[p.as_dict() for p in blocking])
    if item is not None:
        item.delete()
    new_item = _persist_item(catalog, normalized["items"][index], position, catalog.risk_matrix)
    return SaveResult(new_item, [p for p in mine if p.code in GRAPH_CODES])


@transaction.atomic
def item_delete(*, actor: User | None, item: PowerItem) -> None:
    catalog = Catalog.objects.select_for_update().get(pk=item.catalog_id)
    _require(actor, Perm.CATALOG_MANAGE, catalog.owner)
    _require_draft(catalog)
    item.delete()


@transaction.atomic
def catalog_new_draft(*, actor: User | None, catalog: Catalog) -> Catalog:
    """Start the next edition as a draft copy of a published one."""
    _require(actor, Perm.CATALOG_MANAGE, catalog.owner)
    if catalog.status == CatalogStatus.DRAFT:
        raise Conflict(_("This edition is already a draft."), code="already_draft")
    if Catalog.objects.filter(owner=catalog.owner, code=catalog.code, status=CatalogStatus.DRAFT).exists():
        raise Conflict(
            _("There is already a draft of this catalog; publish or discard it first."), code="draft_exists"
        )
    document = selectors.catalog_document(catalog)
    latest = (
        Catalog.objects.filter(owner=catalog.owner, code=catalog.code).aggregate(v=Max("version"))["v"] or 0
    )
    draft = Catalog.objects.create(
        owner=catalog.owner,
        code=catalog.code,
        name=catalog.name,
        version=latest + 1,
        description=catalog.description,
        risk_matrix=catalog.risk_matrix,
        based_on=catalog,
        created_by=actor,
    )
    _persist_contents(draft, document)
    return draft


@transaction.atomic
def catalog_discard_draft(*, actor: User | None, catalog: Catalog) -> None:
    catalog = Catalog.objects.select_for_update().get(pk=catalog.pk)
    _require(actor, Perm.CATALOG_MANAGE, catalog.owner)
    _require_draft(catalog)
    catalog.delete()


# --- publishing --------------------------------------------------------------------------------------


def catalog_problems(catalog: Catalog) -> list[Problem]:
    """Everything that would stop this edition from being published."""
    _document, problems = normalize_document(selectors.catalog_document(catalog))
    return problems


@dataclass
class PublishReport:
    catalog: Catalog
    retired: Catalog | None
    adoptions_moved: int
    overrides_kept: int
    overrides_dropped: list[str]


@transaction.atomic
def catalog_publish(*, actor: User | None, catalog: Catalog) -> PublishReport:
    """Validate the whole draft, freeze it with its content hash, retire the previous edition and
    move every adoption (with the overrides that are still allowed and in bounds) to it."""
    catalog = Catalog.objects.select_for_update().select_related("owner").get(pk=catalog.pk)
    _require(actor, Perm.CATALOG_MANAGE, catalog.owner)
    _require_draft(catalog)
    document, problems = normalize_document(selectors.catalog_document(catalog))
    if problems:
        raise CatalogInvalid(details=[p.as_dict() for p in problems])
    previous = (
        Catalog.objects.select_for_update()
        .filter(owner=catalog.owner, code=catalog.code, status=CatalogStatus.PUBLISHED)
        .first()
    )
    now = timezone.now()
    if previous is not None:
        old_flows = {
            f.item.code: f for f in FlowVersion.objects.filter(item__catalog=previous).select_related("item")
        }
        for flow in FlowVersion.objects.filter(item__catalog=catalog).select_related("item"):
            old = old_flows.get(flow.item.code)
            if old is not None:
                flow.version = old.version if old.content_hash == flow.content_hash else old.version + 1
                flow.save(update_fields=["version"])
        previous.status = CatalogStatus.RETIRED
        previous.retired_at = now
        previous.save(update_fields=["status", "retired_at"])
    catalog.status = CatalogStatus.PUBLISHED
    catalog.content_hash = content_hash(document)
    catalog.published_at = now
    catalog.published_by = actor
    try:
        with transaction.atomic():
            catalog.save(update_fields=["status", "content_hash", "published_at", "published_by"])
    except IntegrityError:
        raise Conflict() from None
    moved = kept = 0
    dropped: list[str] = []
    if previous is not None:
        params = {
            (p.item.code, p.key): p
            for p in ItemParameter.objects.filter(item__catalog=catalog).select_related("item")
        }
        for adoption in (
            Adoption.objects.select_for_update().filter(catalog=previous).select_related("region")
        ):
            adoption.catalog = catalog
            adoption.save(update_fields=["catalog"])
            moved += 1
            for override in adoption.overrides.all():
                param = params.get((override.item_code, override.key))
                problem = (
                    _override_problem(param, adoption.region, override.value)
                    if param
                    else _("parameter removed")
                )
                if problem:
                    dropped.append(f"{adoption.region.name}: {override.item_code}.{override.key} ({problem})")
                    override.delete()
                else:
                    kept += 1
    return PublishReport(catalog, previous, moved, kept, dropped)


# --- adoption and overrides --------------------------------------------------------------------------


@transaction.atomic
def adoption_set(*, actor: User | None, region: Region, catalog: Catalog) -> Adoption:
    """A township or village adopts a published edition owned by one of its ancestors."""
    _require(actor, Perm.CATALOG_ADOPT, region)
    if region.level not in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE):
        raise ValidationFailed(_("Only townships and villages adopt a catalog."), code="wrong_level")
    catalog = (
        Catalog.objects.select_for_update().select_related("owner").get(pk=catalog.pk)
    )  # status as of now
    if catalog.status != CatalogStatus.PUBLISHED:
        raise ValidationFailed(_("Only a published edition can be adopted."), code="not_published")
    if not region.path.startswith(catalog.owner.path) or region.pk == catalog.owner_id:
        raise ValidationFailed(
            _("A region can only adopt a catalog of a region above it."), code="not_ancestor"
        )
    adoption = Adoption.objects.select_for_update().filter(region=region).first()
    if adoption is None:
        return Adoption.objects.create(region=region, catalog=catalog, adopted_by=actor)
    if adoption.catalog_id != catalog.pk:
        params = {
            (p.item.code, p.key): p
            for p in ItemParameter.objects.filter(item__catalog=catalog).select_related("item")
        }
        for override in adoption.overrides.all():
            param = params.get((override.item_code, override.key))
            if param is None or _override_problem(param, region, override.value):
                override.delete()
        adoption.catalog = catalog
        adoption.adopted_by = actor
        adoption.save(update_fields=["catalog", "adopted_by"])
    return adoption


def _override_problem(param: ItemParameter, region: Region, value: Decimal) -> str | None:
    if not selectors.level_may_override(region.level, param.override):
        return _("the county does not let a %(level)s change %(label)s") % {
            "level": region.get_level_display(),
            "label": param.label,
        }
    if param.kind in (ParamKind.INT, ParamKind.DAYS) and value != value.to_integral_value():
        return _("%(label)s must be a whole number") % {"label": param.label}
    if param.minimum is not None and value < param.minimum:
        return _("%(label)s may not be below %(min)s") % {
            "label": param.label,
            "min": format_decimal(param.minimum),
        }
    if param.maximum is not None and value > param.maximum:
        return _("%(label)s may not be above %(max)s") % {
            "label": param.label,
            "max": format_decimal(param.maximum),
        }
    return None


@transaction.atomic
def override_set(
    *,
    actor: User | None,
    region: Region,
    item_code: str,
    key: str,
    value: Any,
    reason: str,
) -> ParameterOverride:
    """Set a township's or village's value of a county parameter, within the county's bounds."""
    _require(actor, Perm.CATALOG_ADOPT, region)
    adoption = Adoption.objects.select_for_update().filter(region=region).select_related("catalog").first()
    if adoption is None:
        raise ValidationFailed(_("This region has not adopted a catalog."), code="not_adopted")
    param = ItemParameter.objects.filter(
        item__catalog=adoption.catalog, item__code=item_code, key=key
    ).first()
    if param is None:
        raise NotFound(_("No such parameter in the adopted catalog."))
    try:
        number = Decimal(str(value).strip())
        if not number.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        msg = _("Enter a number.")
        raise ValidationFailed(msg, fields={"value": [msg]}) from None
    problem = _override_problem(param, region, number)
    if problem:
        code = (
            "override_not_allowed"
            if param.override == OverrideLevel.NONE or "county" in problem
            else "out_of_bounds"
        )
        raise ValidationFailed(
            problem[:1].upper() + problem[1:] + ".", code=code, fields={"value": [problem]}
        )
    reason = (reason or "").strip()
    if not reason:
        msg = _("Say why the local value differs.")
        raise ValidationFailed(msg, fields={"reason": [msg]})
    override, _created = ParameterOverride.objects.update_or_create(
        adoption=adoption,
        item_code=item_code,
        key=key,
        defaults={"value": number, "reason": reason[:500], "set_by": actor},
    )
    return override


@transaction.atomic
def override_clear(*, actor: User | None, region: Region, item_code: str, key: str) -> None:
    _require(actor, Perm.CATALOG_ADOPT, region)
    ParameterOverride.objects.filter(adoption__region=region, item_code=item_code, key=key).delete()


@lru_cache(maxsize=1)
def _standard_document() -> dict:
    """The shipped template, parsed and validated once per process (it never changes at run time)."""
    return catalog_parse(STANDARD_CATALOG)


def catalog_load_standard(*, owner: Region, actor: User | None = None, publish: bool = True) -> Catalog:
    """Import the shipped standard template for a county and (by default) publish it."""
    with transaction.atomic():
        catalog = catalog_import(actor=actor, owner=owner, document=copy.deepcopy(_standard_document()))
        if publish:
            catalog_publish(actor=actor, catalog=catalog)
            catalog.refresh_from_db()
    return catalog
