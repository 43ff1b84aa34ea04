"""Reads of the region tree."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from sunlit.core.errors import NotFound

from .models import Region, RegionLevel
from .services import normalize_code


def region_get(code: str) -> Region:
    normalized = normalize_code(code or "")
    region = Region.objects.select_related("parent").filter(code=normalized).first() if normalized else None
    if region is None:
        raise NotFound()
    return region


def region_children(region: Region | None) -> QuerySet[Region]:
    qs = Region.objects.filter(parent=region) if region else Region.objects.filter(parent__isnull=True)
    return qs.annotate(child_count=Count("children")).order_by("code")


def region_subtree(region: Region, *, include_self: bool = True) -> QuerySet[Region]:
    qs = Region.objects.filter(path__startswith=region.path)
    return qs if include_self else qs.exclude(pk=region.pk)


def region_ancestors(region: Region, *, include_self: bool = True) -> list[Region]:
    codes = region.ancestor_codes()
    if not include_self:
        codes = codes[:-1]
    by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [by_code[c] for c in codes if c in by_code]


def villages_in(region: Region) -> QuerySet[Region]:
    return region_subtree(region).filter(level=RegionLevel.VILLAGE)
