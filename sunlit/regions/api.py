"""Region read endpoints (public) and import (system administrators)."""

from django.http import HttpRequest
from ninja import File, Router, Schema
from ninja.files import UploadedFile
from ninja.security import django_auth

from sunlit.accounts.permissions import has_perm
from sunlit.accounts.roles import Perm
from sunlit.core.errors import NotFound

from . import selectors, services

router = Router(tags=["regions"])


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None = None

    @staticmethod
    def resolve_parent_code(obj) -> str | None:
        return obj.parent.code if obj.parent_id else None


class RegionDetailOut(RegionOut):
    ancestors: list[RegionOut]
    children: list[RegionOut]


class ImportResultOut(Schema):
    created: int
    updated: int
    rows: int


@router.get("/regions", response=list[RegionOut], summary="Children of a region (top level without parent)")
def region_list(request: HttpRequest, parent: str | None = None):
    region = selectors.region_get(parent) if parent else None
    return list(selectors.region_children(region).select_related("parent"))


@router.get("/regions/{code}", response=RegionDetailOut)
def region_detail(request: HttpRequest, code: str):
    region = selectors.region_get(code)
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "parent_code": region.parent.code if region.parent_id else None,
        "ancestors": selectors.region_ancestors(region, include_self=False),
        "children": list(selectors.region_children(region).select_related("parent")),
    }


@router.post("/regions/import", response=ImportResultOut, auth=django_auth)
def region_import(request: HttpRequest, file: File[UploadedFile]):
    if not has_perm(request.user, Perm.REGION_MANAGE):
        raise NotFound()
    return services.regions_import(source=file.read(), filename=file.name or "")
