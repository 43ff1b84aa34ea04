"""``sunlit export <kind> FILE``: write data in the same formats the importers read.

Each kind is one entry of EXPORTERS; later apps add theirs (people, finance, …) there. The format
follows the file name's ending. Runs as the operator: every record is exported, no scoping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from sunlit.core.management.base import SunlitCommand, region_option
from sunlit.core.tabular import write_csv, write_xlsx
from sunlit.people.services import people_export
from sunlit.powers.exchange import document_to_xlsx, dump_yaml
from sunlit.powers.models import Catalog
from sunlit.powers.selectors import catalog_document
from sunlit.powers.vocab import CatalogStatus
from sunlit.regions.models import CODE_DIGITS, Region, RegionLevel
from sunlit.regions.selectors import region_subtree
from sunlit.regions.services import IMPORT_COLUMNS


@dataclass(frozen=True)
class ExportKind:
    run: Callable[[str, dict[str, Any]], tuple[bytes, str]]  # (format, options) → (file content, summary)
    formats: dict[str, str]  # file name ending → format
    options: tuple[str, ...] = ()  # the command's kind-specific options this kind accepts


def _file_code(region: Region) -> str:
    """The code as region files write it: 6 digits (GB/T 2260) down to counties, 9 for townships,
    12 for villages, like sunlit/regions/data/xinyang.csv."""
    return region.code[: max(6, CODE_DIGITS[RegionLevel(region.level)])]


def _export_regions(fmt: str, options: dict[str, Any]) -> tuple[bytes, str]:
    regions = (
        region_subtree(region_option(options["root"])) if options["root"] else Region.objects.all()
    ).select_related("parent")
    rows = [
        [_file_code(r), r.name, r.level, _file_code(r.parent) if r.parent else ""]
        for r in regions.order_by("code")
    ]
    content = (
        write_csv(IMPORT_COLUMNS, rows) if fmt == "csv" else write_xlsx([("regions", IMPORT_COLUMNS, rows)])
    )
    return content, _("%(n)d regions") % {"n": len(rows)}


def _catalog(options: dict[str, Any]) -> Catalog:
    """--catalog ID, or --owner CODE [--code CODE]: that catalog's published edition, else its latest."""
    if options["catalog"] is not None:
        catalog = Catalog.objects.filter(pk=options["catalog"]).first()
        if catalog is None:
            raise CommandError(_("There is no catalog edition with id %(id)s.") % {"id": options["catalog"]})
        return catalog
    if not options["owner"]:
        raise CommandError(_("Name the catalog with --catalog ID or --owner CODE [--code CODE]."))
    owner = region_option(options["owner"])
    editions = Catalog.objects.filter(owner=owner)
    if options["code"]:
        editions = editions.filter(code=options["code"])
    codes = sorted(set(editions.values_list("code", flat=True)))
    if not codes:
        raise CommandError(_("%(owner)s has no such catalog.") % {"owner": owner.name})
    if len(codes) > 1:
        raise CommandError(
            _("%(owner)s has several catalogs (%(codes)s); choose one with --code.")
            % {"owner": owner.name, "codes": ", ".join(codes)}
        )
    published = editions.filter(status=CatalogStatus.PUBLISHED).first()
    return published or editions.order_by("-version").first()


def _export_catalog(fmt: str, options: dict[str, Any]) -> tuple[bytes, str]:
    catalog = _catalog(options)
    document = catalog_document(catalog)
    content = dump_yaml(document).encode() if fmt == "yaml" else document_to_xlsx(document)
    return content, _("%(name)s, edition %(version)d (%(status)s, id %(id)d), %(items)d items") % {
        "name": catalog.name,
        "version": catalog.version,
        "status": catalog.get_status_display(),
        "id": catalog.pk,
        "items": len(document["items"]),
    }


def _export_people(fmt: str, options: dict[str, Any]) -> tuple[bytes, str]:
    if not options["root"]:
        raise CommandError(_("Name the region to export with --root CODE."))
    content, count = people_export(actor=None, region=region_option(options["root"]), fmt=fmt)
    return content, _("%(n)d persons (ID numbers and phones masked)") % {"n": count}


def _finance(kind: str) -> Callable[[str, dict[str, Any]], tuple[bytes, str]]:
    def run(fmt: str, options: dict[str, Any]) -> tuple[bytes, str]:
        from sunlit.finance.exchange import finance_export

        region = region_option(options["root"]) if options["root"] else None
        content, count = finance_export(kind=kind, fmt=fmt, region=region)
        return content, _("%(n)d rows (ID numbers masked)") % {"n": count}

    return run


EXPORTERS: dict[str, ExportKind] = {
    **{
        f"finance-{kind}": ExportKind(_finance(kind), {".csv": "csv", ".xlsx": "xlsx"}, options=("root",))
        for kind in ("assets", "resources", "contracts", "entries")
    },
    "regions": ExportKind(_export_regions, {".csv": "csv", ".xlsx": "xlsx"}, options=("root",)),
    "people": ExportKind(_export_people, {".csv": "csv", ".xlsx": "xlsx"}, options=("root",)),
    "catalog": ExportKind(
        _export_catalog,
        {".yaml": "yaml", ".yml": "yaml", ".xlsx": "xlsx"},
        options=("catalog", "owner", "code"),
    ),
}
KIND_OPTIONS = ("root", "catalog", "owner", "code")


class Command(SunlitCommand):
    help = (
        "Export to a file in the format the importer reads, chosen by the file name's ending. Kinds: "
        "regions (.csv/.xlsx; --root CODE for one subtree); catalog (.yaml/.yml/.xlsx; --catalog ID, "
        "or --owner CODE [--code CODE] for its published edition, else its latest); people (.csv/.xlsx; "
        "--root CODE; ID numbers and phones masked)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kind", choices=sorted(EXPORTERS), help="What to export.")
        parser.add_argument("file", help="The file to write (replaced if it exists).")
        parser.add_argument("--root", help="regions: export only this region and everything below it.")
        parser.add_argument("--catalog", type=int, help="catalog: the id of the edition.")
        parser.add_argument("--owner", help="catalog: code of the region owning the catalog.")
        parser.add_argument("--code", help="catalog: the catalog's code, when the owner has several.")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = EXPORTERS[options["kind"]]
        for name in KIND_OPTIONS:
            if options[name] is not None and name not in kind.options:
                raise CommandError(
                    _("--%(option)s does not apply to %(kind)s.") % {"option": name, "kind": options["kind"]}
                )
        path = Path(options["file"])
        fmt = next((f for suffix, f in kind.formats.items() if path.name.lower().endswith(suffix)), None)
        if fmt is None:
            raise CommandError(
                _("A %(kind)s export must end in %(suffixes)s.")
                % {"kind": options["kind"], "suffixes": ", ".join(kind.formats)}
            )
        content, summary = kind.run(fmt, options)
        try:
            path.write_bytes(content)
        except OSError as exc:
            raise CommandError(
                _("Cannot write %(path)s: %(err)s") % {"path": path, "err": exc.strerror}
            ) from None
        self.stdout.write(
            self.style.SUCCESS(_("Wrote %(what)s to %(path)s.") % {"what": summary, "path": path})
        )
