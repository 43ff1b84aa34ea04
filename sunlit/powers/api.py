"""Catalog endpoints: public reads of published editions and the catalog in force; scoped writes."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.security import django_auth

from sunlit.accounts.roles import Perm
from sunlit.core.errors import NotFound, ValidationFailed
from sunlit.core.numbers import format_decimal
from sunlit.regions.selectors import region_get

from . import selectors, services
from .exchange import document_to_xlsx, dump_yaml
from .models import Catalog

router = Router(tags=["catalog"])


class CatalogOut(Schema):
    id: int
    owner_code: str
    owner_name: str
    code: str
    name: str
    version: int
    status: str
    content_hash: str
    published_at: Any = None
    item_count: int | None = None

    @staticmethod
    def resolve_owner_code(obj: Catalog) -> str:
        return obj.owner.code

    @staticmethod
    def resolve_owner_name(obj: Catalog) -> str:
        return obj.owner.name


class ParameterOut(Schema):
    key: str
    label: str
    kind: str
    value: str
    default: str
    min: str | None
    max: str | None
    unit: str
    source: str


class ItemOut(Schema):
    id: int
    code: str
    name: str
    group: str
    category: str
    responsible_role: str


class VillageItemOut(ItemOut):
    parameters: list[ParameterOut]


class VillageCatalogOut(Schema):
    region_code: str
    catalog: CatalogOut | None
    items: list[ItemOut]


class ProblemOut(Schema):
    code: str
    message: str
    path: str


class SaveOut(Schema):
    item_id: int
    problems: list[ProblemOut]


class PublishOut(Schema):
    catalog: CatalogOut
    retired_id: int | None
    adoptions_moved: int
    overrides_kept: int
    overrides_dropped: list[str]


class AdoptionIn(Schema):
    catalog_id: int


class OverrideIn(Schema):
    value: str
    reason: str


def _public_or_staff(request: HttpRequest, catalog_id: int) -> Catalog:
    try:
        return selectors.public_catalog_get(catalog_id)
    except NotFound:
        if request.user.is_authenticated:
            return selectors.access_catalog(request.user, catalog_id)
        raise


# Declared before /catalogs/{catalog_id} so the literal path wins.
@router.post(
    "/catalogs/import",
    response={201: CatalogOut},
    auth=django_auth,
    summary="Import a YAML/XLSX file as a draft",
)
def catalog_import(request: HttpRequest, owner: Form[str], file: File[UploadedFile]):
    region = region_get(owner)
    catalog = services.catalog_import(
        actor=request.user, owner=region, source=file.read(), filename=file.name or ""
    )
    return Status(201, catalog)


@router.get(
    "/catalogs",
    response=list[CatalogOut],
    summary="Published editions, or with mine=true those the user may see",
)
def catalog_list(request: HttpRequest, mine: bool = False):
    if mine and request.user.is_authenticated:
        return list(selectors.catalogs_for_user(request.user).order_by("owner__code", "code", "-version"))
    return list(selectors.published_catalogs().order_by("owner__code", "code"))


@router.get("/catalogs/{catalog_id}", response=CatalogOut)
def catalog_detail(request: HttpRequest, catalog_id: int):
    catalog = _public_or_staff(request, catalog_id)
    catalog.item_count = catalog.items.count()
    return catalog


@router.get(
    "/catalogs/{catalog_id}/document", summary="The edition as a catalog document (json, yaml or xlsx)"
)
def catalog_export(request: HttpRequest, catalog_id: int, format: str = "json"):
    catalog = _public_or_staff(request, catalog_id)
    document = selectors.catalog_document(catalog)
    name = f"{catalog.code}-{catalog.version}"
    if format == "yaml":
        response = HttpResponse(dump_yaml(document), content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.yaml"'
        return response
    if format == "xlsx":
        response = HttpResponse(
            document_to_xlsx(document),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    if format != "json":
        raise NotFound()
    return document


@router.get("/catalogs/{catalog_id}/problems", response=list[ProblemOut], auth=django_auth)
def catalog_problems(request: HttpRequest, catalog_id: int):
    catalog = selectors.access_catalog(request.user, catalog_id)
    return [p.as_dict() for p in services.catalog_problems(catalog)]


@router.get("/items/{item_id}", summary="One item of a published edition as a document")
def item_detail(request: HttpRequest, item_id: int):
    item = selectors.item_full(item_id)
    _public_or_staff(request, item.catalog_id)
    return selectors.item_document(item)


@router.get(
    "/villages/{code}/catalog", response=VillageCatalogOut, summary="The catalog in force for a region"
)
def village_catalog(request: HttpRequest, code: str):
    region = region_get(code)
    catalog = selectors.catalog_in_force(region)
    items = list(selectors.items_in_force(region)) if catalog else []
    return {"region_code": region.code, "catalog": catalog, "items": items}


@router.get("/villages/{code}/items/{item_code}", response=VillageItemOut)
def village_item(request: HttpRequest, code: str, item_code: str):
    region = region_get(code)
    item = selectors.item_in_force(region, item_code)
    params = selectors.effective_parameters(region, item)
    item.parameters_out = [
        {
            "key": p.key,
            "label": p.label,
            "kind": p.kind,
            "value": p.display,
            "default": format_decimal(p.default),
            "min": None if p.minimum is None else format_decimal(p.minimum),
            "max": None if p.maximum is None else format_decimal(p.maximum),
            "unit": p.unit,
            "source": p.source,
        }
        for p in params.values()
    ]
    return {
        **{f: getattr(item, f) for f in ("id", "code", "name", "group", "category", "responsible_role")},
        "parameters": item.parameters_out,
    }


# --- writes -----------------------------------------------------------------------------------------


@router.post("/catalogs/{catalog_id}/drafts", response={201: CatalogOut}, auth=django_auth)
def catalog_new_draft(request: HttpRequest, catalog_id: int):
    catalog = selectors.access_catalog(request.user, catalog_id, perm=Perm.CATALOG_MANAGE)
    return Status(201, services.catalog_new_draft(actor=request.user, catalog=catalog))


@router.delete("/catalogs/{catalog_id}", response={204: None}, auth=django_auth)
def catalog_discard(request: HttpRequest, catalog_id: int):
    catalog = selectors.access_catalog(request.user, catalog_id, perm=Perm.CATALOG_MANAGE)
    services.catalog_discard_draft(actor=request.user, catalog=catalog)
    return Status(204, None)


@router.put("/catalogs/{catalog_id}/items/{item_code}", response=SaveOut, auth=django_auth)
def item_put(request: HttpRequest, catalog_id: int, item_code: str):
    """Body: the item as a document (see docs/catalog-format.md)."""
    catalog = selectors.access_catalog(request.user, catalog_id, perm=Perm.CATALOG_MANAGE)
    try:
        payload = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(_("The body is not valid JSON."), code="invalid_json") from None
    if not isinstance(payload, dict):
        raise ValidationFailed(_("The body must be a JSON object describing the item."), code="invalid_json")
    item = catalog.items.filter(code=item_code).first()
    result = services.item_replace(actor=request.user, catalog=catalog, item_doc=payload, item=item)
    return {"item_id": result.item.pk, "problems": [p.as_dict() for p in result.problems]}


@router.delete("/catalogs/{catalog_id}/items/{item_code}", response={204: None}, auth=django_auth)
def item_delete(request: HttpRequest, catalog_id: int, item_code: str):
    catalog = selectors.access_catalog(request.user, catalog_id, perm=Perm.CATALOG_MANAGE)
    item = catalog.items.filter(code=item_code).first()
    if item is None:
        raise NotFound()
    services.item_delete(actor=request.user, item=item)
    return Status(204, None)


@router.post("/catalogs/{catalog_id}/publish", response=PublishOut, auth=django_auth)
def catalog_publish(request: HttpRequest, catalog_id: int):
    catalog = selectors.access_catalog(request.user, catalog_id, perm=Perm.CATALOG_MANAGE)
    report = services.catalog_publish(actor=request.user, catalog=catalog)
    return {
        "catalog": report.catalog,
        "retired_id": report.retired.pk if report.retired else None,
        "adoptions_moved": report.adoptions_moved,
        "overrides_kept": report.overrides_kept,
        "overrides_dropped": report.overrides_dropped,
    }


@router.put("/regions/{code}/adoption", auth=django_auth, response={200: dict})
def adoption_put(request: HttpRequest, code: str, payload: AdoptionIn):
    region = region_get(code)
    catalog = selectors.public_catalog_get(payload.catalog_id)
    adoption = services.adoption_set(actor=request.user, region=region, catalog=catalog)
    return {"region_code": region.code, "catalog_id": adoption.catalog_id}


@router.put("/regions/{code}/overrides/{item_code}/{key}", auth=django_auth, response={200: dict})
def override_put(request: HttpRequest, code: str, item_code: str, key: str, payload: OverrideIn):
    region = region_get(code)
    override = services.override_set(
        actor=request.user,
        region=region,
        item_code=item_code,
        key=key,
        value=payload.value,
        reason=payload.reason,
    )
    return {"item_code": override.item_code, "key": override.key, "value": format_decimal(override.value)}


@router.delete("/regions/{code}/overrides/{item_code}/{key}", auth=django_auth, response={204: None})
def override_delete(request: HttpRequest, code: str, item_code: str, key: str):
    region = region_get(code)
    services.override_clear(actor=request.user, region=region, item_code=item_code, key=key)
    return Status(204, None)
