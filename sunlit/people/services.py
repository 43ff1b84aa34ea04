"""Writes of the person registry: persons, kinship, declarations, reveals, and all-or-nothing imports."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.accounts.models import User
from sunlit.accounts.permissions import has_perm
from sunlit.accounts.roles import Perm
from sunlit.core.errors import NotFound, PermissionDenied
from sunlit.core.ledger import ledger_append, ledger_subject
from sunlit.core.masking import id_number_valid, mask_id_number, mask_phone, normalize_id_number
from sunlit.core.pii_store import decrypt, encrypt, id_hash
from sunlit.core.tabular import (
    ImportRejected,
    RowError,
    check_columns,
    parse_date,
    read_bytes,
    read_tables,
    write_csv,
    write_xlsx,
)
from sunlit.regions.models import Region, RegionLevel

from .errors import PersonInvalid
from .models import (
    CadreDeclaration,
    Gender,
    Household,
    Kinship,
    Person,
    PersonAccessLog,
    PersonStatus,
    Relation,
)

PERSON_COLUMNS = ["village_code", "name", "id_number"]
PERSON_OPTIONAL = ["household_number", "village_group", "gender", "birth_date", "phone", "status", "died_on"]
KINSHIP_COLUMNS = ["id_number", "relative_id_number", "relation"]


def birth_date_from_id(number: str) -> datetime.date | None:
    try:
        return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def gender_from_id(number: str) -> str:
    return Gender.MALE if int(number[16]) % 2 else Gender.FEMALE


def _clean_phone(phone: str) -> str:
    return "".join(ch for ch in (phone or "") if ch.isdigit())


@dataclass
class PersonData:
    village: Region
    name: str
    id_number: str
    household_number: str = ""
    group: str = ""
    gender: str = ""
    birth_date: datetime.date | None = None
    phone: str = ""
    status: str = PersonStatus.ALIVE
    died_on: datetime.date | None = None


def _person_problems(data: PersonData) -> dict[str, str]:
    problems: dict[str, str] = {}
    if data.village.level != RegionLevel.VILLAGE:
        problems["village_code"] = _("Persons are registered in a village.")
    if not data.name or len(data.name) > 50:
        problems["name"] = _("A name of at most 50 characters is required.")
    if not id_number_valid(data.id_number):
        problems["id_number"] = _("Not a valid 18-digit resident ID number (the check digit does not match).")
    if data.phone and (len(data.phone) != 11 or not data.phone.startswith("1")):
        problems["phone"] = _("A mobile number has 11 digits and starts with 1.")
    if data.status not in PersonStatus.values:
        problems["status"] = _("Unknown status.")
    if data.died_on and data.status != PersonStatus.DECEASED:
        problems["died_on"] = _("A date of death needs the status deceased.")
    if data.gender and data.gender not in Gender.values:
        problems["gender"] = _("Unknown gender.")
    return problems


def _build(data: PersonData, household: Household | None) -> Person:
    number = normalize_id_number(data.id_number)
    return Person(
        village=data.village,
        household=household,
        name=data.name,
        gender=data.gender or gender_from_id(number),
        birth_date=data.birth_date or birth_date_from_id(number),
        id_hash=id_hash(number),
        id_token=encrypt(number),
        id_masked=mask_id_number(number),
        phone_token=encrypt(data.phone) if data.phone else "",
        phone_masked=mask_phone(data.phone) if data.phone else "",
        status=data.status,
        died_on=data.died_on,
    )


def person_create(*, actor: User | None, data: PersonData) -> Person:
    if actor is not None and not has_perm(actor, Perm.PEOPLE_MANAGE, data.village):
        raise NotFound()
    data.phone = _clean_phone(data.phone)
    problems = _person_problems(data)
    if not problems and Person.objects.filter(id_hash=id_hash(data.id_number)).exists():
        problems["id_number"] = _("This ID number is already registered.")
    if problems:
        raise PersonInvalid(fields={k: [v] for k, v in problems.items()})
    with transaction.atomic():
        household = None
        if data.household_number:
            household, _created = Household.objects.get_or_create(
                village=data.village, number=data.household_number, defaults={"group": data.group}
            )
        person = _build(data, household)
        person.save()
        ledger_append(
            kind="person.registered",
            actor=actor,
            subject=ledger_subject(person),
            region=data.village,
            payload={"household": data.household_number, "status": person.status},
            pii={"id_number": normalize_id_number(data.id_number), "name": data.name},
        )
    return person


def person_mark_deceased(*, actor: User | None, person: Person, died_on: datetime.date) -> Person:
    if actor is not None and not has_perm(actor, Perm.PEOPLE_MANAGE, person.village):
        raise NotFound()
    if died_on > timezone.localdate():
        raise PersonInvalid(fields={"died_on": [_("The date of death is in the future.")]})
    with transaction.atomic():
        Person.objects.filter(pk=person.pk).update(status=PersonStatus.DECEASED, died_on=died_on)
        ledger_append(
            kind="person.deceased",
            actor=actor,
            subject=ledger_subject(person),
            region=person.village,
            payload={"died_on": died_on},
        )
    person.refresh_from_db()
    return person


def kinship_add(*, actor: User | None, person: Person, relative: Person, relation: str) -> Kinship:
    if actor is not None and not has_perm(actor, Perm.PEOPLE_MANAGE, person.village):
        raise NotFound()
    if relation not in Relation.values:
        raise PersonInvalid(fields={"relation": [_("Unknown relation.")]})
    if person.pk == relative.pk:
        message = _("A person cannot be their own relative.")
        raise PersonInvalid(message, fields={"relative": [message]})
    if (
        Kinship.objects.filter(person=relative, relative=person).exists()
        or Kinship.objects.filter(person=person, relative=relative).exists()
    ):
        message = _("This kinship is already recorded.")
        raise PersonInvalid(message, fields={"relative": [message]})
    with transaction.atomic():
        kin = Kinship.objects.create(person=person, relative=relative, relation=relation)
        ledger_append(
            kind="kinship.recorded",
            actor=actor,
            subject=ledger_subject(person),
            region=person.village,
            payload={"relative": relative.pk, "relation": relation},
        )
    return kin


def declaration_add(
    *,
    actor: User,
    cadre: User,
    relative_id_number: str,
    relative_name: str,
    relation: str,
    cadre_person: Person | None = None,
) -> CadreDeclaration:
    """A cadre declares a close relative (self-declaration, or entered by the township for them)."""
    if actor.pk != cadre.pk and not has_perm(actor, Perm.PEOPLE_MANAGE):
        raise PermissionDenied()
    fields: dict[str, list[str]] = {}
    if not id_number_valid(relative_id_number):
        fields["relative_id_number"] = [
            _("Not a valid 18-digit resident ID number (the check digit does not match).")
        ]
    if relation not in Relation.values:
        fields["relation"] = [_("Unknown relation.")]
    relative_name = (relative_name or "").strip()
    if not relative_name or len(relative_name) > 50:
        fields["relative_name"] = [_("A name of at most 50 characters is required.")]
    if fields:
        raise PersonInvalid(fields=fields)
    digest = id_hash(relative_id_number)
    if CadreDeclaration.objects.filter(cadre=cadre, relative_id_hash=digest).exists():
        message = _("This relative is already declared.")
        raise PersonInvalid(message, fields={"relative_id_number": [message]})
    with transaction.atomic():
        declaration = CadreDeclaration.objects.create(
            cadre=cadre,
            cadre_person=cadre_person,
            relative=Person.objects.filter(id_hash=digest).first(),
            relative_id_hash=digest,
            relative_name=relative_name,
            relation=relation,
            declared_at=timezone.now(),
        )
        ledger_append(
            kind="declaration.recorded",
            actor=actor,
            subject=ledger_subject(declaration),
            payload={"cadre": cadre.pk, "relation": relation},
            pii={
                "relative_id_number": normalize_id_number(relative_id_number),
                "relative_name": relative_name,
            },
        )
    return declaration


def person_reveal(*, actor: User, person: Person, field: str, reason: str) -> str:
    """The clear ID number or phone, for a holder of people.reveal; every reveal is logged and ledgered."""
    if not has_perm(actor, Perm.PEOPLE_REVEAL, person.village):
        raise PermissionDenied(_("You may not see clear personal data."))
    reason = (reason or "").strip()
    if not reason:
        raise PersonInvalid(fields={"reason": [_("Say why you need to see it.")]})
    tokens = {"id_number": person.id_token, "phone": person.phone_token}
    if field not in tokens:
        raise PersonInvalid(fields={"field": [_("Unknown field.")]})
    with transaction.atomic():
        PersonAccessLog.objects.create(
            user=actor, person=person, field=field, reason=reason[:300], at=timezone.now()
        )
        ledger_append(
            kind="person.revealed",
            actor=actor,
            subject=ledger_subject(person),
            region=person.village,
            payload={"field": field, "reason": reason[:300]},
        )
    return decrypt(tokens[field]) if tokens[field] else ""


# --- imports ---------------------------------------------------------------------------------------------


def people_import(
    *, actor: User | None, source: bytes | str | Path | IO[bytes], filename: str = ""
) -> dict[str, int]:
    """Import persons from CSV/XLSX: all or nothing, every bad row reported with its line."""
    data = read_bytes(source)
    tables = read_tables(data, filename or (str(source) if isinstance(source, str | Path) else ""))
    table = next(iter(tables.values()), None)
    if table is None or not table.rows:
        raise ImportRejected([RowError(0, _("The file is empty."))])
    errors = check_columns(table, PERSON_COLUMNS, PERSON_OPTIONAL)
    if errors:
        raise ImportRejected(errors)
    villages = {
        r.code: r
        for r in Region.objects.filter(code__in={row.get("village_code").strip() for row in table.rows})
    }
    seen: dict[str, int] = {}
    prepared: list[PersonData] = []
    for row in table.rows:

        def bad(column: str, message: str, row: Any = row) -> None:
            errors.append(RowError(row.line, message, column=column, sheet=table.sheet))

        village = villages.get(row.get("village_code").strip())
        if village is None or (actor is not None and not has_perm(actor, Perm.PEOPLE_MANAGE, village)):
            bad("village_code", _("Unknown village, or outside your regions."))
            continue
        dates: dict[str, datetime.date | None] = {}
        for column in ("birth_date", "died_on"):
            try:
                dates[column] = parse_date(row.get(column))
            except ValueError as exc:
                bad(column, _("Not a date (use YYYY-MM-DD): %(value)s") % {"value": exc})
        if len(dates) < 2:
            continue
        birth, died = dates["birth_date"], dates["died_on"]
        status = row.get("status").strip() or (PersonStatus.DECEASED if died else PersonStatus.ALIVE)
        item = PersonData(
            village=village,
            name=row.get("name").strip(),
            id_number=normalize_id_number(row.get("id_number")),
            household_number=row.get("household_number").strip(),
            group=row.get("village_group").strip(),
            gender=row.get("gender").strip(),
            birth_date=birth,
            phone=_clean_phone(row.get("phone")),
            status=status,
            died_on=died,
        )
        problems = _person_problems(item)
        for column, message in problems.items():
            bad(column, message)
        if problems:
            continue
        if item.id_number in seen:
            bad("id_number", _("The same ID number is on line %(line)d.") % {"line": seen[item.id_number]})
            continue
        seen[item.id_number] = row.line
        prepared.append(item)
    hashes = {id_hash(p.id_number): p for p in prepared}
    for existing in Person.objects.filter(id_hash__in=list(hashes)).values_list("id_hash", flat=True):
        errors.append(
            RowError(
                seen[hashes[existing].id_number],
                _("This ID number is already registered."),
                column="id_number",
            )
        )
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line))
    with transaction.atomic():
        households: dict[tuple[int, str], Household] = {}
        for item in prepared:
            key = (item.village.pk, item.household_number)
            if item.household_number and key not in households:
                households[key], _created = Household.objects.get_or_create(
                    village=item.village, number=item.household_number, defaults={"group": item.group}
                )
        persons = [_build(p, households.get((p.village.pk, p.household_number))) for p in prepared]
        Person.objects.bulk_create(persons, batch_size=1000)
        ledger_append(
            kind="people.imported",
            actor=actor,
            subject="people.person:import",
            payload={"rows": len(persons), "file_sha256": hashlib.sha256(data).hexdigest()},
        )
    return {"persons": len(persons), "households": len(households)}


def kinship_import(
    *, actor: User | None, source: bytes | str | Path | IO[bytes], filename: str = ""
) -> dict[str, int]:
    data = read_bytes(source)
    tables = read_tables(data, filename or (str(source) if isinstance(source, str | Path) else ""))
    table = next(iter(tables.values()), None)
    if table is None or not table.rows:
        raise ImportRejected([RowError(0, _("The file is empty."))])
    errors = check_columns(table, KINSHIP_COLUMNS)
    if errors:
        raise ImportRejected(errors)
    numbers = {normalize_id_number(r.get(c)) for r in table.rows for c in ("id_number", "relative_id_number")}
    by_hash = {p.id_hash: p for p in Person.objects.filter(id_hash__in=[id_hash(n) for n in numbers if n])}
    pairs: dict[frozenset[int], int] = {}
    links: list[Kinship] = []
    for row in table.rows:
        a_no, b_no = (
            normalize_id_number(row.get("id_number")),
            normalize_id_number(row.get("relative_id_number")),
        )
        relation = row.get("relation").strip()
        a, b = by_hash.get(id_hash(a_no)), by_hash.get(id_hash(b_no))
        line_errors = []
        if a is None:
            line_errors.append(("id_number", _("No registered person has this ID number.")))
        if b is None:
            line_errors.append(("relative_id_number", _("No registered person has this ID number.")))
        if relation not in Relation.values:
            line_errors.append(("relation", _("Unknown relation.")))
        if a is not None and b is not None and a.pk == b.pk:
            line_errors.append(("relative_id_number", _("A person cannot be their own relative.")))
        if a is not None and actor is not None and not has_perm(actor, Perm.PEOPLE_MANAGE, a.village):
            line_errors.append(("id_number", _("No registered person has this ID number.")))
        if not line_errors and a is not None and b is not None:
            pair = frozenset({a.pk, b.pk})
            if pair in pairs:
                line_errors.append(
                    ("relative_id_number", _("The same pair is on line %(line)d.") % {"line": pairs[pair]})
                )
            elif Kinship.objects.filter(person__in=[a, b], relative__in=[a, b]).exists():
                line_errors.append(("relative_id_number", _("This kinship is already recorded.")))
            else:
                pairs[pair] = row.line
                links.append(Kinship(person=a, relative=b, relation=relation))
        errors.extend(RowError(row.line, m, column=c, sheet=table.sheet) for c, m in line_errors)
    if errors:
        raise ImportRejected(errors)
    with transaction.atomic():
        Kinship.objects.bulk_create(links, batch_size=1000)
        ledger_append(
            kind="kinship.imported",
            actor=actor,
            subject="people.kinship:import",
            payload={"rows": len(links), "file_sha256": hashlib.sha256(data).hexdigest()},
        )
    return {"kinships": len(links)}


EXPORT_COLUMNS = [
    "village_code",
    "household_number",
    "village_group",
    "name",
    "id_number",
    "gender",
    "birth_date",
    "phone",
    "status",
    "died_on",
]


def people_export(
    *, actor: User | None, region: Region, reveal_reason: str = "", fmt: str = "csv"
) -> tuple[bytes, int]:
    """The persons in ``region`` in the import format: masked, unless a holder of people.reveal gives
    a reason (then every revealed person is logged). ``actor=None`` is the operator's command: masked.
    Returns (file content, row count)."""
    from .selectors import persons_for_user

    base = (
        persons_for_user(actor)
        if actor is not None
        else Person.objects.select_related("village", "household")
    )
    persons = list(base.filter(village__path__startswith=region.path).order_by("village__code", "id"))
    wants = bool(reveal_reason.strip())
    reveal = wants and actor is not None and has_perm(actor, Perm.PEOPLE_REVEAL, region)
    if wants and not reveal:
        raise PermissionDenied(_("You may not see clear personal data."))
    rows = []
    with transaction.atomic():
        if reveal:
            now = timezone.now()
            PersonAccessLog.objects.bulk_create(
                [
                    PersonAccessLog(user=actor, person=p, field="export", reason=reveal_reason[:300], at=now)
                    for p in persons
                ]
            )
            ledger_append(
                kind="people.exported",
                actor=actor,
                subject="people.person:export",
                region=region,
                payload={"rows": len(persons), "revealed": True, "reason": reveal_reason[:300]},
            )
        for p in persons:
            rows.append(
                [
                    p.village.code,
                    p.household.number if p.household else "",
                    p.household.group if p.household else "",
                    p.name,
                    decrypt(p.id_token) if reveal else p.id_masked,
                    p.gender,
                    p.birth_date.isoformat() if p.birth_date else "",
                    (decrypt(p.phone_token) if p.phone_token else "") if reveal else p.phone_masked,
                    p.status,
                    p.died_on.isoformat() if p.died_on else "",
                ]
            )
    if fmt == "xlsx":
        return write_xlsx([("people", EXPORT_COLUMNS, rows)]), len(rows)
    return write_csv(EXPORT_COLUMNS, rows), len(rows)
