"""Reference datasets (大数据比对): death records, vehicle and business registrations, the public
payroll and urban benefit lists, imported from CSV/XLSX so supervision rules can match them against
case parties on the keyed ID hash.

Every import is all or nothing: each bad row is reported with its line, column and reason (bad
check character, bad date, unknown value, the same record twice), and nothing is written unless the
whole file is clean. A clean file becomes one ReferenceImport batch and one ``reference.imported``
ledger event. Vehicles, businesses, payroll and urban benefits are snapshots: a new batch supersedes
the previous one of its kind. Death records accumulate. Clear ID numbers never reach the database.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.accounts.models import User
from sunlit.accounts.permissions import has_perm
from sunlit.accounts.roles import Perm
from sunlit.core.errors import PermissionDenied
from sunlit.core.ledger import ledger_append
from sunlit.core.masking import id_number_valid, mask_id_number, normalize_id_number
from sunlit.core.pii_store import id_hash
from sunlit.core.tabular import (
    ImportRejected,
    Row,
    RowError,
    check_columns,
    parse_date,
    read_bytes,
    read_tables,
)

from .models import (
    SNAPSHOT_KINDS,
    BusinessRecord,
    BusinessStatus,
    DeathRecord,
    PayrollRecord,
    ReferenceImport,
    ReferenceKind,
    UrbanBenefitKind,
    UrbanBenefitRecord,
    VehicleKind,
    VehicleRecord,
)

# GB 32100-2015 unified social credit code: 18 characters from this alphabet (no I, O, S, V, Z),
# the last a check character over the first 17 with weights 3^i mod 31.
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_CHARS[(31 - total % 31) % 31]


def normalize_credit_code(value: str | None) -> str:
    return "".join((value or "").split()).upper()


def credit_code_valid(value: str | None) -> bool:
    code = normalize_credit_code(value)
    if len(code) != 18 or any(c not in _CREDIT_CHARS for c in code):
        return False
    return credit_code_check_char(code[:17]) == code[17]


def mask_plate(value: str) -> str:
    """Keep the province character, the authority letter and the last two: 豫S12345 → 豫S***45."""
    plate = "".join(value.split()).upper().replace("·", "")
    if len(plate) <= 4:
        return "*" * len(plate)
    return plate[:2] + "*" * (len(plate) - 4) + plate[-2:]


class _RowProblem(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column, self.message = column, message


def _date(row: Row, column: str, *, required: bool = True) -> datetime.date | None:
    try:
        value = parse_date(row.get(column))
    except ValueError as exc:
        raise _RowProblem(column, _("Not a date (use YYYY-MM-DD): %(value)s") % {"value": exc}) from None
    if value is None and required:
        raise _RowProblem(column, _("A value is required."))
    return value


def _text(row: Row, column: str, limit: int, *, required: bool = True) -> str:
    value = row.get(column).strip()
    if required and not value:
        raise _RowProblem(column, _("A value is required."))
    if len(value) > limit:
        raise _RowProblem(column, _("At most %(n)d characters.") % {"n": limit})
    return value


def _choice(row: Row, column: str, choices: type[models.TextChoices]) -> str:
    value = row.get(column).strip().lower()
    if value not in choices.values:
        raise _RowProblem(
            column, _("Unknown value “%(value)s”; use one of: %(values)s.")
            % {"value": value[:30], "values": ", ".join(choices.values)},
        )  # fmt: skip
    return value


def _period(row: Row) -> tuple[datetime.date | None, datetime.date | None]:
    start, end = _date(row, "from_date"), _date(row, "until_date", required=False)
    if start and end and end < start:
        raise _RowProblem("until_date", _("The end date is before the start date."))
    return start, end


@dataclass(frozen=True)
class Dataset:
    model: type[models.Model]
    required: tuple[str, ...]
    optional: tuple[str, ...]
    # Parses the row (past the ID number) into model fields; raises _RowProblem.
    parse: Callable[[Row], dict[str, Any]]
    # What makes two rows the same record (with the ID number unless ``same_any_person``).
    same: Callable[[dict[str, Any]], tuple[Any, ...]]
    same_any_person: bool = False  # a credit code names one business, whoever is its representative


def _death(row: Row) -> dict[str, Any]:
    died_on = _date(row, "died_on")
    if died_on and died_on > timezone.localdate():
        raise _RowProblem("died_on", _("The date of death is in the future."))
    return {
        "name": _text(row, "name", 50),
        "died_on": died_on,
        "source": _text(row, "source", 50, required=False),
    }


def _vehicle(row: Row) -> dict[str, Any]:
    plate = "".join(_text(row, "plate", 12).split()).upper().replace("·", "")
    return {
        "plate": plate,
        "plate_masked": mask_plate(plate),
        "vehicle_kind": _choice(row, "vehicle_type", VehicleKind),
        "registered_on": _date(row, "registered_on"),
    }


def _business(row: Row) -> dict[str, Any]:
    code = normalize_credit_code(row.get("credit_code"))
    if not credit_code_valid(code):
        raise _RowProblem(
            "credit_code",
            _("Not a valid unified social credit code (18 characters; the check character does not match)."),
        )
    return {
        "business_name": _text(row, "business_name", 200),
        "credit_code": code,
        "status": _choice(row, "status", BusinessStatus),
        "registered_on": _date(row, "registered_on"),
    }


def _payroll(row: Row) -> dict[str, Any]:
    start, end = _period(row)
    return {
        "employer": _text(row, "employer", 200),
        "position": _text(row, "position", 100, required=False),
        "valid_from": start,
        "valid_until": end,
    }


def _urban(row: Row) -> dict[str, Any]:
    start, end = _period(row)
    return {
        "benefit": _choice(row, "benefit", UrbanBenefitKind),
        "place": _text(row, "place", 100),
        "valid_from": start,
        "valid_until": end,
    }


DATASETS: dict[str, Dataset] = {
    ReferenceKind.DEATHS: Dataset(
        DeathRecord, ("id_number", "name", "died_on"), ("source",), _death, lambda f: ()
    ),
    ReferenceKind.VEHICLES: Dataset(
        VehicleRecord,
        ("id_number", "plate", "vehicle_type", "registered_on"),
        (),
        _vehicle,
        lambda f: (f["plate"],),
    ),
    ReferenceKind.BUSINESSES: Dataset(
        BusinessRecord,
        ("id_number", "business_name", "credit_code", "status", "registered_on"),
        (),
        _business,
        lambda f: (f["credit_code"],),
        same_any_person=True,
    ),
    ReferenceKind.PAYROLL: Dataset(
        PayrollRecord,
        ("id_number", "employer", "from_date"),
        ("position", "until_date"),
        _payroll,
        lambda f: (f["employer"], f["valid_from"]),
    ),
    ReferenceKind.URBAN_BENEFITS: Dataset(
        UrbanBenefitRecord,
        ("id_number", "benefit", "from_date", "place"),
        ("until_date",),
        _urban,
        lambda f: (f["benefit"], f["valid_from"]),
    ),
}


def reference_import(
    *,
    actor: User | None,
    kind: str,
    source: bytes | str | Path | IO[bytes],
    filename: str = "",
) -> ReferenceImport:
    """Import one reference dataset file as a new batch. ``actor=None`` is the operator's command."""
    if kind not in DATASETS:
        raise ImportRejected([RowError(0, _("Unknown dataset “%(kind)s”.") % {"kind": str(kind)[:30]})])
    if actor is not None and not has_perm(actor, Perm.REFERENCE_IMPORT):
        raise PermissionDenied()
    dataset = DATASETS[kind]
    data = read_bytes(source)
    name = filename or (Path(source).name if isinstance(source, str | Path) else "")
    table = next(iter(read_tables(data, name).values()), None)
    if table is None or not table.rows:
        raise ImportRejected([RowError(0, _("The file is empty."))])
    errors = check_columns(table, dataset.required, dataset.optional)
    if errors:
        raise ImportRejected(errors)
    seen: dict[tuple[Any, ...], int] = {}
    records: list[dict[str, Any]] = []
    for row in table.rows:
        number = normalize_id_number(row.get("id_number"))
        row_errors: list[RowError] = []
        if not id_number_valid(number):
            row_errors.append(
                RowError(
                    row.line,
                    _("Not a valid 18-digit resident ID number (the check digit does not match)."),
                    column="id_number",
                    sheet=table.sheet,
                )
            )
        try:
            fields = dataset.parse(row)
        except _RowProblem as problem:
            row_errors.append(RowError(row.line, problem.message, column=problem.column, sheet=table.sheet))
        if row_errors:
            errors.extend(row_errors)
            continue
        key = dataset.same(fields) if dataset.same_any_person else (number, *dataset.same(fields))
        if key in seen:
            errors.append(
                RowError(
                    row.line,
                    _("The same record is on line %(line)d.") % {"line": seen[key]},
                    column="id_number",
                    sheet=table.sheet,
                )
            )
            continue
        seen[key] = row.line
        fields.pop("plate", None)  # only its masked form is kept
        records.append({"id_hash": id_hash(number), "id_masked": mask_id_number(number), **fields})
    if errors:
        raise ImportRejected(errors)
    now = timezone.now()
    with transaction.atomic():
        if kind in SNAPSHOT_KINDS:
            ReferenceImport.objects.filter(kind=kind, superseded_at__isnull=True).update(superseded_at=now)
        batch = ReferenceImport.objects.create(
            kind=kind,
            filename=name[:255],
            file_sha256=hashlib.sha256(data).hexdigest(),
            rows=len(records),
            imported_by=actor,
            imported_at=now,
        )
        dataset.model.objects.bulk_create([dataset.model(batch=batch, **r) for r in records], batch_size=1000)
        ledger_append(
            kind="reference.imported",
            actor=actor,
            subject=f"people.referenceimport:{batch.pk}",
            payload={"dataset": kind, "rows": len(records), "file_sha256": batch.file_sha256},
        )
    return batch
