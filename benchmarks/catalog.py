"""``sunlit bench catalog``: the catalog pipeline on the shipped standard catalog.

Each repetition runs inside a transaction that is rolled back, on a throw-away region tree (a
province with code 99, which no real division uses), so the configured database is left as it was.
"""

from __future__ import annotations

import random
from pathlib import Path

from django.db import transaction

from benchmarks import Out, Timer, Timing
from sunlit.core.demo import build_townships_and_villages
from sunlit.powers.exchange import document_to_xlsx, dump_yaml
from sunlit.powers.selectors import catalog_document, catalog_in_force, effective_parameters, items_prefetched
from sunlit.powers.services import (
    STANDARD_CATALOG,
    adoption_set,
    catalog_import,
    catalog_parse,
    catalog_publish,
)
from sunlit.regions.models import Region, RegionLevel
from sunlit.regions.services import region_create

DEFAULT_REPEAT = 5
TOWNSHIPS = 20


class _Rollback(Exception):
    pass


def _tree(villages: int) -> tuple[Region, list[Region], list[Region]]:
    province = region_create(code="990000", name="基准省", level=RegionLevel.PROVINCE, parent=None)
    city = region_create(code="999900", name="基准市", level=RegionLevel.CITY, parent=province)
    county = region_create(code="999901", name="基准县", level=RegionLevel.COUNTY, parent=city)
    per = -(-villages // TOWNSHIPS)
    townships, _count = build_townships_and_villages(county, random.Random(0), TOWNSHIPS, (per, per))
    village_list = list(Region.objects.filter(parent__in=townships).order_by("code")[:villages])
    return county, townships, village_list


def run(
    *, repeat: int, out: Out, villages: int = 300, source: Path | None = None, **options: object
) -> list[Timing]:
    path = source or STANDARD_CATALOG
    data = path.read_bytes()
    document = catalog_parse(data, path.name)
    workbook = document_to_xlsx(document)
    items = len(document["items"])
    out(f"{path.name}: {items} items, {len(data):,} bytes YAML, {len(workbook):,} bytes XLSX; {repeat} runs")
    timer = Timer()
    for run_number in range(repeat):
        try:
            with transaction.atomic():
                county, townships, village_list = _tree(villages)
                with timer("parse + validate YAML", f"{items} items"):
                    catalog_parse(data, "standard.yaml")
                with timer("parse + validate XLSX"):
                    catalog_parse(workbook, "standard.xlsx")
                with timer("import YAML → draft"):
                    catalog = catalog_import(actor=None, owner=county, source=data, filename="standard.yaml")
                with timer("publish"):
                    catalog_publish(actor=None, catalog=catalog)
                with timer("export YAML"):
                    dump_yaml(catalog_document(catalog))
                with timer("export XLSX"):
                    document_to_xlsx(catalog_document(catalog))
                with timer(f"adopt ({len(townships)} townships)"):
                    for township in townships:
                        adoption_set(actor=None, region=township, catalog=catalog)
                with timer("catalog in force", f"{len(village_list)} villages"):
                    in_force = [catalog_in_force(village) for village in village_list]
                assert all(c is not None for c in in_force)
                with timer(
                    "effective parameters",
                    f"{len(village_list)} villages × {items} items, as the region catalog page",
                ):
                    for village, village_catalog in zip(village_list, in_force, strict=True):
                        for item in items_prefetched(village_catalog.items.order_by("position")):
                            effective_parameters(village, item)
                raise _Rollback
        except _Rollback:
            pass
        out(f"  run {run_number + 1}/{repeat} done")
    return timer.results()
