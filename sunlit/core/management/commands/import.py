"""``sunlit import <kind> FILE``: all-or-nothing imports, run as the operator (no permission check).

Each kind is one entry of IMPORTERS; later apps add theirs (people, finance, …) there. A rejected
file prints every row error with its line and exits with status 1, having written nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from sunlit.core.management.base import SunlitCommand, region_option
from sunlit.people.models import ReferenceKind
from sunlit.people.reference import reference_import
from sunlit.people.services import kinship_import, people_import
from sunlit.powers.services import catalog_import, catalog_publish
from sunlit.regions.services import regions_import


@dataclass(frozen=True)
class ImportKind:
    run: Callable[[Path, dict[str, Any]], list[str]]  # imports the file, returns lines to print
    suffixes: tuple[str, ...]  # accepted file name endings
    options: tuple[str, ...] = ()  # the command's kind-specific options this kind accepts
    required: tuple[str, ...] = ()


def _import_regions(path: Path, options: dict[str, Any]) -> list[str]:
    result = regions_import(source=path, filename=path.name)
    return [
        _("%(rows)d rows: %(created)d regions created, %(updated)d renamed.")
        % {"rows": result["rows"], "created": result["created"], "updated": result["updated"]}
    ]


def _import_catalog(path: Path, options: dict[str, Any]) -> list[str]:
    owner = region_option(options["owner"])
    catalog = catalog_import(actor=None, owner=owner, source=path, filename=path.name)
    lines = [
        _(
            "Draft edition %(version)d of %(name)s (%(code)s, id %(id)d) created for %(owner)s with %(items)d items."
        )
        % {
            "version": catalog.version,
            "name": catalog.name,
            "code": catalog.code,
            "id": catalog.pk,
            "owner": owner.name,
            "items": catalog.items.count(),
        }
    ]
    if options["publish"]:
        report = catalog_publish(actor=None, catalog=catalog)
        lines.append(_("Published; content hash %(hash)s.") % {"hash": report.catalog.content_hash})
        if report.retired is not None:
            lines.append(
                _("Edition %(version)d retired; %(moved)d adoptions moved, %(kept)d local values kept.")
                % {
                    "version": report.retired.version,
                    "moved": report.adoptions_moved,
                    "kept": report.overrides_kept,
                }
            )
        lines += [_("Local value dropped: %(what)s") % {"what": what} for what in report.overrides_dropped]
    return lines


def _import_people(path: Path, options: dict[str, Any]) -> list[str]:
    result = people_import(actor=None, source=path, filename=path.name)
    return [_("%(persons)d persons in %(households)d households registered.") % result]


def _import_kinship(path: Path, options: dict[str, Any]) -> list[str]:
    result = kinship_import(actor=None, source=path, filename=path.name)
    return [_("%(kinships)d kinship links recorded.") % result]


def _reference(kind: str) -> Callable[[Path, dict[str, Any]], list[str]]:
    def run(path: Path, options: dict[str, Any]) -> list[str]:
        batch = reference_import(actor=None, kind=kind, source=path, filename=path.name)
        return [
            _("%(rows)d records of %(dataset)s imported as batch %(batch)d.")
            % {"rows": batch.rows, "dataset": ReferenceKind(kind).label, "batch": batch.pk}
        ]

    return run


def _finance(kind: str) -> Callable[[Path, dict[str, Any]], list[str]]:
    def run(path: Path, options: dict[str, Any]) -> list[str]:
        from sunlit.finance.exchange import finance_import

        return [
            _("%(n)d rows imported.")
            % {"n": finance_import(actor=None, kind=kind, source=path, filename=path.name)}
        ]

    return run


IMPORTERS: dict[str, ImportKind] = {
    "regions": ImportKind(_import_regions, (".csv", ".xlsx")),
    "people": ImportKind(_import_people, (".csv", ".xlsx")),
    "kinship": ImportKind(_import_kinship, (".csv", ".xlsx")),
    "catalog": ImportKind(
        _import_catalog, (".yaml", ".yml", ".xlsx"), options=("owner", "publish"), required=("owner",)
    ),
    # Reference datasets for the eligibility cross-checks (大数据比对).
    **{kind.value: ImportKind(_reference(kind.value), (".csv", ".xlsx")) for kind in ReferenceKind},
    # 三资 registers, contracts and entries (sunlit/finance/exchange.py).
    **{
        f"finance-{kind}": ImportKind(_finance(kind), (".csv", ".xlsx"))
        for kind in ("assets", "resources", "contracts", "entries")
    },
}


class Command(SunlitCommand):
    help = (
        "Import a file. Kinds: regions (CSV/XLSX: code, name, level, parent_code); catalog (YAML/XLSX, "
        "as a draft edition owned by --owner; --publish publishes it at once); people (CSV/XLSX: "
        "village_code, name, id_number, …); kinship (CSV/XLSX: id_number, relative_id_number, relation); "
        "reference datasets deaths, vehicles, businesses, payroll, urban_benefits (CSV/XLSX). All or nothing: a "
        "rejected file lists every bad row and changes nothing. See docs/import-formats.md."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kind", choices=sorted(IMPORTERS), help="What the file holds.")
        parser.add_argument("file", help="The file to import.")
        parser.add_argument("--owner", help="catalog: code of the county (or city, province) that owns it.")
        parser.add_argument("--publish", action="store_true", help="catalog: publish the imported draft.")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = IMPORTERS[options["kind"]]
        path = Path(options["file"])
        for name in ("owner", "publish"):
            if options[name] and name not in kind.options:
                raise CommandError(
                    _("--%(option)s does not apply to %(kind)s.") % {"option": name, "kind": options["kind"]}
                )
        for name in kind.required:
            if not options[name]:
                raise CommandError(
                    _("%(kind)s needs --%(option)s.") % {"kind": options["kind"], "option": name}
                )
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        if not path.name.lower().endswith(kind.suffixes):
            raise CommandError(
                _("A %(kind)s file must end in %(suffixes)s.")
                % {"kind": options["kind"], "suffixes": ", ".join(kind.suffixes)}
            )
        with transaction.atomic():  # a kind that makes several writes keeps them all or none
            lines = kind.run(path, options)
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(_("Imported %(path)s.") % {"path": path}))
