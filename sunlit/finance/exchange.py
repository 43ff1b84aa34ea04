"""Import and export of the registers, contracts and entries as CSV or XLSX (columns in
docs/import-formats.md).

Imports are all-or-nothing: every row goes through the same service as the pages (so the same
checks and ledger events), each in a savepoint; every refused row is reported with its line and
reason, and if any row is refused the whole file is rolled back. Exports are scoped to the user's
regions (or a region for the operator) and never contain ID numbers (only their masked form).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from sunlit.accounts.models import User
from sunlit.cases.models import Case
from sunlit.core.errors import DomainError, NotFound
from sunlit.core.tabular import (
    ImportRejected,
    Row,
    RowError,
    check_columns,
    read_bytes,
    read_tables,
    write_csv,
    write_xlsx,
)
from sunlit.regions.models import Region, RegionLevel

from . import services
from .models import Account, Asset, Contract, Counterparty, Entry, Resource

ASSET_COLUMNS = (
    "village_code",
    "code",
    "name",
    "category",
    "acquired_on",
    "original_value",
    "useful_life_years",
)
ASSET_OPTIONAL = ("salvage_value", "status", "location", "note")
RESOURCE_COLUMNS = ("village_code", "code", "name", "kind", "area_mu")
RESOURCE_OPTIONAL = ("status", "location", "note")
CONTRACT_COLUMNS = (
    "village_code",
    "number",
    "kind",
    "title",
    "counterparty_kind",
    "counterparty_name",
    "amount",
    "start_date",
    "end_date",
    "signed_on",
    "schedule",
)
CONTRACT_OPTIONAL = (
    "counterparty_credit_code",
    "counterparty_id_number",
    "annual_price",
    "asset_code",
    "resource_code",
    "case_tracking_no",
    "document_sha256",
    "previous_number",
)
ENTRY_COLUMNS = ("village_code", "date", "kind", "category", "account", "amount", "summary", "voucher_no")
ENTRY_OPTIONAL = (
    "counterparty_kind",
    "counterparty_name",
    "counterparty_credit_code",
    "counterparty_id_number",
    "contract_number",
    "instalment",
    "case_tracking_no",
    "voucher_sha256",
)


class RowRefused(Exception):
    def __init__(self, message: str, column: str = "") -> None:
        super().__init__(message)
        self.message, self.column = message, column


def _village(row: Row, cache: dict[str, Region]) -> Region:
    code = row.get("village_code").strip()
    if code not in cache:
        village = Region.objects.filter(code=code, level=RegionLevel.VILLAGE).first()
        if village is None:
            raise RowRefused(
                _("There is no village with code “%(code)s”.") % {"code": code[:20]}, "village_code"
            )
        cache[code] = village
    return cache[code]


def _counterparty(actor: User | None, village: Region, row: Row) -> Counterparty | None:
    name = row.get("counterparty_name").strip()
    if not name:
        return None
    return services.counterparty_get_or_create(
        actor=actor,
        village=village,
        kind=row.get("counterparty_kind").strip() or "business",
        name=name,
        id_number=row.get("counterparty_id_number").strip(),
        credit_code=row.get("counterparty_credit_code").strip(),
    )


def _case(village: Region, tracking_no: str) -> Case | None:
    tracking_no = tracking_no.strip()
    if not tracking_no:
        return None
    case = Case.objects.filter(village=village, tracking_no=tracking_no.upper()).first()
    if case is None:
        raise RowRefused(
            _("Case “%(no)s” is not a case of this village.") % {"no": tracking_no[:30]}, "case_tracking_no"
        )
    return case


def _by_code(model: Any, village: Region, field: str, value: str, column: str) -> Any:
    value = value.strip()
    if not value:
        return None
    obj = model.objects.filter(village=village, **{field: value}).first()
    if obj is None:
        raise RowRefused(_("“%(value)s” is not registered in this village.") % {"value": value[:40]}, column)
    return obj


def _schedule(text: str) -> list[tuple[str, str]]:
    """ "2026-01-01:5000;2027-01-01:5000" → [(date, amount), …]"""
    out = []
    for part in (text or "").replace("；", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        due, sep, amount = part.partition(":")
        if not sep:
            due, sep, amount = part.partition("=")
        if not sep:
            raise RowRefused(_("Write the schedule as due date:amount; due date:amount …"), "schedule")
        out.append((due.strip(), amount.strip()))
    return out


def _import_asset(actor: User | None, row: Row, cache: dict) -> None:
    services.asset_register(actor=actor, village=_village(row, cache), data=dict(row.values))


def _import_resource(actor: User | None, row: Row, cache: dict) -> None:
    services.resource_register(actor=actor, village=_village(row, cache), data=dict(row.values))


def _import_contract(actor: User | None, row: Row, cache: dict) -> None:
    village = _village(row, cache)
    data: dict[str, Any] = {
        k: row.get(k)
        for k in (
            "number",
            "kind",
            "title",
            "amount",
            "annual_price",
            "start_date",
            "end_date",
            "signed_on",
            "document_sha256",
        )
    }
    data["counterparty"] = _counterparty(actor, village, row)
    data["asset"] = _by_code(Asset, village, "code", row.get("asset_code"), "asset_code")
    data["resource"] = _by_code(Resource, village, "code", row.get("resource_code"), "resource_code")
    data["case"] = _case(village, row.get("case_tracking_no"))
    schedule = _schedule(row.get("schedule"))
    previous = _by_code(Contract, village, "number", row.get("previous_number"), "previous_number")
    if previous is not None:
        services.contract_renew(actor=actor, contract=previous, data=data, schedule=schedule)
    else:
        services.contract_sign(actor=actor, village=village, data=data, schedule=schedule)


def _import_entry(actor: User | None, row: Row, cache: dict) -> None:
    village = _village(row, cache)
    data: dict[str, Any] = {
        k: row.get(k)
        for k in ("date", "kind", "category", "amount", "summary", "voucher_no", "voucher_sha256")
    }
    account = Account.objects.filter(village=village, name=row.get("account").strip()).first()
    if account is None:
        raise RowRefused(
            _("The village has no account named “%(name)s”.") % {"name": row.get("account")[:40]}, "account"
        )
    data["account"] = account
    data["counterparty"] = _counterparty(actor, village, row)
    contract = _by_code(Contract, village, "number", row.get("contract_number"), "contract_number")
    data["contract"] = contract
    if row.get("instalment").strip():
        if contract is None:
            raise RowRefused(_("An instalment needs its contract."), "instalment")
        raw = row.get("instalment").strip()
        inst = (
            contract.instalments.filter(sequence=int(raw)).first() if raw.isdigit() and len(raw) < 5 else None
        )
        if inst is None:
            raise RowRefused(_("The contract has no such instalment."), "instalment")
        data["instalment"] = inst
    data["case"] = _case(village, row.get("case_tracking_no"))
    services.entry_record(actor=actor, village=village, data=data)


@dataclass(frozen=True)
class Kind:
    label: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    importer: Callable[[User | None, Row, dict], None]


KINDS: dict[str, Kind] = {
    "assets": Kind("assets", ASSET_COLUMNS, ASSET_OPTIONAL, _import_asset),
    "resources": Kind("resources", RESOURCE_COLUMNS, RESOURCE_OPTIONAL, _import_resource),
    "contracts": Kind("contracts", CONTRACT_COLUMNS, CONTRACT_OPTIONAL, _import_contract),
    "entries": Kind("entries", ENTRY_COLUMNS, ENTRY_OPTIONAL, _import_entry),
}


def finance_import(*, actor: User | None, kind: str, source: Any, filename: str = "") -> int:
    """Import one file of ``kind`` (assets, resources, contracts, entries); returns the rows imported.
    Raises ImportRejected with every row error and imports nothing when any row is refused."""
    if kind not in KINDS:
        raise ImportRejected([RowError(0, _("Unknown kind “%(kind)s”.") % {"kind": str(kind)[:20]})])
    spec = KINDS[kind]
    data = read_bytes(source)
    tables = read_tables(data, filename)
    table = next(iter(tables.values()), None)
    if table is None or not table.columns:
        raise ImportRejected([RowError(0, _("The file has no header row."))])
    errors = check_columns(table, spec.required, spec.optional)
    if errors:
        raise ImportRejected(errors)
    if not table.rows:
        raise ImportRejected([RowError(0, _("The file has no data rows."))])
    cache: dict[str, Region] = {}
    with transaction.atomic():
        for row in table.rows:
            try:
                with transaction.atomic():
                    spec.importer(actor, row, cache)
            except RowRefused as exc:
                errors.append(RowError(row.line, exc.message, column=exc.column, sheet=table.sheet))
            except NotFound:
                errors.append(
                    RowError(
                        row.line,
                        _("The village is not in your regions."),
                        column="village_code",
                        sheet=table.sheet,
                    )
                )
            except DomainError as exc:
                detail = "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in exc.fields.items())
                message = f"{exc.message} {detail}".strip()
                errors.append(RowError(row.line, message, sheet=table.sheet))
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise ImportRejected(errors)
    return len(table.rows)


# --- export ---------------------------------------------------------------------------------------------


def _rows(kind: str, qs: QuerySet) -> tuple[list[str], Iterable[list[Any]]]:
    if kind == "assets":
        from django.utils import timezone

        from .depreciation import of_asset

        today = timezone.localdate()
        cols = [*ASSET_COLUMNS, *ASSET_OPTIONAL, "accumulated_depreciation", "net_value"]

        def gen_assets():
            for a in qs.select_related("village").order_by("village__code", "code").iterator(chunk_size=1000):
                d = of_asset(a, today)
                yield [
                    a.village.code,
                    a.code,
                    a.name,
                    a.category,
                    a.acquired_on.isoformat(),
                    a.original_value,
                    a.useful_life_years,
                    a.salvage_value,
                    a.status,
                    a.location,
                    a.note,
                    d.accumulated,
                    d.net_value,
                ]

        return cols, gen_assets()
    if kind == "resources":
        cols = [*RESOURCE_COLUMNS, *RESOURCE_OPTIONAL]
        return cols, (
            [r.village.code, r.code, r.name, r.kind, r.area_mu, r.status, r.location, r.note]
            for r in qs.select_related("village").order_by("village__code", "code").iterator(chunk_size=1000)
        )
    if kind == "contracts":
        cols = [
            *CONTRACT_COLUMNS,
            "counterparty_credit_code",
            "counterparty_id_masked",
            "annual_price",
            "asset_code",
            "resource_code",
            "case_tracking_no",
            "document_sha256",
            "previous_number",
            "status",
        ]

        def gen_contracts():
            for c in (
                qs.select_related("village", "counterparty", "asset", "resource", "case", "previous")
                .prefetch_related("instalments")
                .order_by("village__code", "number")
            ):
                schedule = ";".join(
                    f"{i.due_date.isoformat()}:{i.amount}" for i in c.instalments.all() if not i.cancelled
                )
                yield [
                    c.village.code,
                    c.number,
                    c.kind,
                    c.title,
                    c.counterparty.kind,
                    c.counterparty.name,
                    c.amount,
                    c.start_date.isoformat(),
                    c.end_date.isoformat(),
                    c.signed_on.isoformat(),
                    schedule,
                    c.counterparty.credit_code,
                    c.counterparty.id_masked,
                    c.annual_price,
                    c.asset.code if c.asset else "",
                    c.resource.code if c.resource else "",
                    c.case.tracking_no if c.case else "",
                    c.document_sha256,
                    c.previous.number if c.previous else "",
                    c.status,
                ]

        return cols, gen_contracts()
    cols = [
        *ENTRY_COLUMNS,
        "counterparty_kind",
        "counterparty_name",
        "counterparty_credit_code",
        "contract_number",
        "instalment",
        "case_tracking_no",
        "voucher_sha256",
        "number",
        "direction",
    ]
    return cols, (
        [
            e.village.code,
            e.date.isoformat(),
            e.kind,
            e.category,
            e.account.name,
            e.amount,
            e.summary,
            e.voucher_no,
            e.counterparty.kind if e.counterparty else "",
            e.counterparty.name if e.counterparty else "",
            e.counterparty.credit_code if e.counterparty else "",
            e.contract.number if e.contract else "",
            e.instalment.sequence if e.instalment else "",
            e.case.tracking_no if e.case else "",
            e.voucher_sha256,
            e.number,
            e.direction,
        ]
        for e in qs.select_related("village", "account", "counterparty", "contract", "instalment", "case")
        .order_by("village__code", "date", "id")
        .iterator(chunk_size=2000)
    )


MODELS = {"assets": Asset, "resources": Resource, "contracts": Contract, "entries": Entry}


def finance_export(
    *, kind: str, fmt: str, queryset: QuerySet | None = None, region: Region | None = None
) -> tuple[bytes, int]:
    """The rows of ``kind`` (a scoped queryset, or everything under ``region``) as CSV or XLSX."""
    qs = queryset if queryset is not None else MODELS[kind].objects.all()
    if region is not None:
        qs = qs.filter(village__path__startswith=region.path)
    count = qs.count()
    cols, rows = _rows(kind, qs)
    if fmt == "xlsx":
        return write_xlsx([(kind, cols, rows)]), count
    return write_csv(cols, rows), count
