"""Writes of finance (三资). Keyword-only, the actor named, one transaction each, the audit event
written inside it. A refusal raises a FinanceRefused (or NotFound / PermissionDenied) and changes
nothing."""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.accounts.models import User
from sunlit.accounts.permissions import has_perm
from sunlit.accounts.roles import Perm
from sunlit.cases import documents as docstore
from sunlit.cases.models import Case, SealUse, StepInstance
from sunlit.cases.vocab import CaseStatus, PartyRole, SealKind, StepStatus
from sunlit.core.errors import NotFound, PermissionDenied
from sunlit.core.ledger import ledger_append, ledger_subject
from sunlit.core.masking import id_number_valid, mask_id_number
from sunlit.core.pii_store import id_hash
from sunlit.people.models import Person
from sunlit.regions.models import Region, RegionLevel

from .errors import FinanceConflict, FinanceErrorCode, FinanceRefused
from .models import (
    Account,
    Asset,
    Contract,
    ContractEvent,
    Counterparty,
    Entry,
    Instalment,
    Reconciliation,
    ReferencePrice,
    Reimbursement,
    Resource,
)
from .vocab import (
    EXPENSE_CATEGORIES,
    INCOME_CATEGORIES,
    LETTING_KINDS,
    AccountKind,
    AssetCategory,
    AssetStatus,
    Category,
    ContractEventKind,
    ContractKind,
    ContractStatus,
    CounterpartyKind,
    Direction,
    EntryKind,
    ReimbursementStatus,
    ResourceKind,
    ResourceStatus,
)

CENT = Decimal("0.01")
MAX_MONEY = Decimal("999999999999.99")
MONEY_TEXT = re.compile(r"-?\d{1,12}(\.\d{1,2})?")  # yuan and fen, no exponent
REIMBURSEMENT_ITEM = "PA-07"  # 村级财务收支审批（三签一章） in the county catalog
# The case steps that are the signatures of 三签一章 (secretary, chair, supervision chair + seal).
SIGNATURE_STEPS = ("sign_secretary", "sign_chair", "sign_supervisor")
TOWNSHIP_STEP = "township_sign"
DEFAULT_TOWNSHIP_SIGN_AMOUNT = Decimal("50000")


# --- checks shared by the services ----------------------------------------------------------------------


def _can(actor: User, perm: str, village: Region) -> None:
    """Out of scope is not found; in scope without the right is refused. ``actor=None`` is the
    operator (``sunlit import``, the demo), who is not checked."""
    if actor is None:
        return
    if not has_perm(actor, Perm.FINANCE_VIEW, village):
        raise NotFound()
    if not has_perm(actor, perm, village):
        raise PermissionDenied()


def _village(region: Region) -> None:
    if region.level != RegionLevel.VILLAGE:
        raise FinanceRefused(_("Finance records belong to a village."), code=FinanceErrorCode.WRONG_VILLAGE)


class Problems:
    """Field errors collected while checking input; raised together."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def raise_if_any(self, message: str | None = None) -> None:
        if self.fields:
            raise FinanceRefused(
                message or _("The record is not complete or not valid."),
                code=FinanceErrorCode.INPUT_INVALID,
                fields=self.fields,
            )

    def money(
        self, field: str, value: Any, *, allow_zero: bool = False, required: bool = True
    ) -> Decimal | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(field, _("Enter an amount in yuan."))
            return None
        text = str(value).strip().replace(",", "").replace("¥", "")
        try:
            if not MONEY_TEXT.fullmatch(text):
                raise ValueError(text)
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            self.add(field, _("“%(value)s” is not an amount in yuan.") % {"value": str(value)[:30]})
            return None
        if (
            not number.is_finite()
            or number != number.quantize(CENT, rounding=ROUND_HALF_UP)
            or number > MAX_MONEY
        ):
            self.add(field, _("“%(value)s” is not an amount in yuan and fen.") % {"value": str(value)[:30]})
            return None
        if number < 0 or (number == 0 and not allow_zero):
            self.add(field, _("The amount must be more than zero."))
            return None
        return number.quantize(CENT)

    def date(self, field: str, value: Any, *, required: bool = True) -> datetime.date | None:
        if isinstance(value, datetime.datetime):
            return timezone.localdate(value) if timezone.is_aware(value) else value.date()
        if isinstance(value, datetime.date):
            return value
        if value is None or not str(value).strip():
            if required:
                self.add(field, _("Enter a date."))
            return None
        try:
            return datetime.date.fromisoformat(str(value).strip())
        except ValueError:
            self.add(field, _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": str(value)[:30]})
            return None

    def text(self, field: str, value: Any, *, max_length: int, required: bool = True) -> str:
        text = str(value or "").strip()
        if required and not text:
            self.add(field, _("This field is required."))
        elif len(text) > max_length:
            self.add(field, _("At most %(n)d characters.") % {"n": max_length})
        return text[:max_length]

    def choice(self, field: str, value: Any, choices: Iterable[str]) -> str:
        text = str(value or "").strip()
        if text not in set(choices):
            self.add(field, _("Choose one of the listed values."))
        return text


def _sha256(value: str, problems: Problems, field: str) -> str:
    digest = (value or "").strip().lower()
    if digest and (len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest)):
        problems.add(field, _("Give the SHA-256 of the document (64 hexadecimal characters)."))
    return digest


def store_document(data: bytes | None) -> str:
    """Clean and store an uploaded document (sunlit/cases/documents.py); return its SHA-256 ("" for none)."""
    if not data:
        return ""
    clean = docstore.clean(data)
    docstore.store(clean)
    return clean.sha256


def _in_village(obj: Any, village: Region, problems: Problems, field: str) -> None:
    if obj is not None and obj.village_id != village.pk:
        problems.add(field, _("This record belongs to another village."))


# --- counterparties -------------------------------------------------------------------------------------


def counterparty_get_or_create(
    *,
    actor: User | None,
    village: Region,
    kind: str,
    name: str,
    person: Person | None = None,
    id_number: str = "",
    credit_code: str = "",
    check: bool = True,
) -> Counterparty:
    """The village's counterparty with this ID (person) or credit code (business), created if new.
    A person is matched on the keyed hash of the ID number, never on the name."""
    if check:
        _can(actor, Perm.FINANCE_RECORD, village)
    problems = Problems()
    kind = problems.choice("kind", kind, CounterpartyKind.values)
    name = problems.text("name", name, max_length=200)
    digest = masked = ""
    code = (credit_code or "").strip().upper()
    if kind == CounterpartyKind.PERSON:
        code = ""
        if person is not None:
            digest, masked = person.id_hash, person.id_masked
        elif id_number:
            if not id_number_valid(id_number):
                problems.add("id_number", _("The ID number is not valid."))
            else:
                digest, masked = id_hash(id_number), mask_id_number(id_number)
    elif kind == CounterpartyKind.BUSINESS:
        person = None
        if code and (len(code) != 18 or not code.isalnum()):
            problems.add("credit_code", _("A unified social credit code has 18 letters and digits."))
    problems.raise_if_any(_("The counterparty is not complete."))
    existing = None
    if digest:
        existing = Counterparty.objects.filter(village=village, id_hash=digest).first()
        if existing is None and person is None:
            person = Person.objects.filter(id_hash=digest).first()
    elif code:
        existing = Counterparty.objects.filter(village=village, credit_code=code).first()
    else:
        existing = Counterparty.objects.filter(
            village=village, kind=kind, name=name, id_hash="", credit_code=""
        ).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        counterparty = Counterparty.objects.create(
            village=village,
            kind=kind,
            name=name,
            person=person,
            id_hash=digest,
            id_masked=masked,
            credit_code=code,
            created_at=timezone.now(),
        )
        ledger_append(
            kind="finance.counterparty.created",
            actor=actor,
            subject=ledger_subject(counterparty),
            region=village,
            payload={"kind": kind, "credit_code": code, "person": person.pk if person else None},
            pii={"name": name} if kind == CounterpartyKind.PERSON else None,
        )
    return counterparty


# --- registers ------------------------------------------------------------------------------------------


def asset_register(*, actor: User, village: Region, data: dict[str, Any]) -> Asset:
    _can(actor, Perm.FINANCE_RECORD, village)
    _village(village)
    p = Problems()
    fields = {
        "code": p.text("code", data.get("code"), max_length=30),
        "name": p.text("name", data.get("name"), max_length=200),
        "category": p.choice("category", data.get("category"), AssetCategory.values),
        "location": p.text("location", data.get("location"), max_length=200, required=False),
        "acquired_on": p.date("acquired_on", data.get("acquired_on")),
        "original_value": p.money("original_value", data.get("original_value")),
        "salvage_value": p.money("salvage_value", data.get("salvage_value") or "0", allow_zero=True),
        "status": p.choice("status", data.get("status") or AssetStatus.IN_USE, AssetStatus.values),
        "note": p.text("note", data.get("note"), max_length=300, required=False),
    }
    try:
        life = int(str(data.get("useful_life_years") or "").strip())
        if not 1 <= life <= 100:
            raise ValueError
    except ValueError:
        p.add("useful_life_years", _("Enter the useful life in whole years (1 to 100)."))
        life = 0
    if (
        fields["original_value"]
        and fields["salvage_value"] is not None
        and fields["salvage_value"] > fields["original_value"]
    ):
        p.add("salvage_value", _("The salvage value cannot exceed the original value."))
    if fields["code"] and Asset.objects.filter(village=village, code=fields["code"]).exists():
        p.add("code", _("The asset number “%(code)s” is already registered.") % {"code": fields["code"]})
    p.raise_if_any(_("The asset cannot be registered."))
    with transaction.atomic():
        asset = Asset.objects.create(
            village=village, useful_life_years=life, created_at=timezone.now(), **fields
        )
        ledger_append(
            kind="finance.asset.registered",
            actor=actor,
            subject=ledger_subject(asset),
            region=village,
            payload={"code": asset.code, "name": asset.name, "value": asset.original_value},
        )
    return asset


def resource_register(*, actor: User, village: Region, data: dict[str, Any]) -> Resource:
    _can(actor, Perm.FINANCE_RECORD, village)
    _village(village)
    p = Problems()
    fields = {
        "code": p.text("code", data.get("code"), max_length=30),
        "name": p.text("name", data.get("name"), max_length=200),
        "kind": p.choice("kind", data.get("kind"), ResourceKind.values),
        "area_mu": p.money("area_mu", data.get("area_mu")),
        "location": p.text("location", data.get("location"), max_length=200, required=False),
        "status": p.choice(
            "status", data.get("status") or ResourceStatus.SELF_MANAGED, ResourceStatus.values
        ),
        "note": p.text("note", data.get("note"), max_length=300, required=False),
    }
    if fields["code"] and Resource.objects.filter(village=village, code=fields["code"]).exists():
        p.add("code", _("The resource number “%(code)s” is already registered.") % {"code": fields["code"]})
    p.raise_if_any(_("The resource cannot be registered."))
    with transaction.atomic():
        resource = Resource.objects.create(village=village, created_at=timezone.now(), **fields)
        ledger_append(
            kind="finance.resource.registered",
            actor=actor,
            subject=ledger_subject(resource),
            region=village,
            payload={"code": resource.code, "kind": resource.kind, "area_mu": resource.area_mu},
        )
    return resource


def reference_price_set(
    *, actor: User, county: Region, kind: str, price_per_mu: Any, valid_from: Any, note: str = ""
) -> ReferencePrice:
    """The county's reference rent for a kind of resource (county staff who set rule parameters)."""
    if actor is not None and not has_perm(actor, Perm.RULE_MANAGE, county):
        raise NotFound()
    p = Problems()
    if county.level != RegionLevel.COUNTY:
        p.add("county", _("Reference prices are set by a county."))
    kind = p.choice("kind", kind, ResourceKind.values)
    price = p.money("price_per_mu", price_per_mu)
    start = p.date("valid_from", valid_from)
    note = p.text("note", note, max_length=300, required=False)
    p.raise_if_any(_("The reference price cannot be set."))
    with transaction.atomic():
        row, _created = ReferencePrice.objects.update_or_create(
            county=county,
            kind=kind,
            valid_from=start,
            defaults={"price_per_mu": price, "note": note, "set_by": actor, "set_at": timezone.now()},
        )
        ledger_append(
            kind="finance.reference_price.set",
            actor=actor,
            subject=ledger_subject(row),
            region=county,
            payload={"kind": kind, "price_per_mu": price, "valid_from": start},
        )
    return row


# --- contracts ------------------------------------------------------------------------------------------


def _direction(kind: str) -> str:
    return Direction.INCOME if kind in LETTING_KINDS else Direction.EXPENSE


def _schedule(p: Problems, schedule: Sequence[Any], amount: Decimal | None, start, end) -> list[tuple]:
    """``[(due_date, amount), …]`` checked: dates within reason, amounts adding up to the contract's."""
    rows: list[tuple[datetime.date, Decimal]] = []
    for n, item in enumerate(schedule or (), start=1):
        try:
            due_raw, amount_raw = item["due_date"], item["amount"]
        except (KeyError, TypeError):
            try:
                due_raw, amount_raw = item
            except (TypeError, ValueError):
                p.add("schedule", _("Instalment %(n)d: give a due date and an amount.") % {"n": n})
                continue
        due = p.date("schedule", due_raw)
        value = p.money("schedule", amount_raw)
        if due and value:
            rows.append((due, value))
    if not rows:
        p.add("schedule", _("Give the payment schedule: at least one instalment."))
        return rows
    rows.sort()
    if amount is not None and sum((v for _d, v in rows), Decimal(0)) != amount:
        p.add(
            "schedule",
            _("The instalments add up to ¥%(sum)s, not the contract amount ¥%(amount)s.")
            % {"sum": sum((v for _d, v in rows), Decimal(0)), "amount": amount},
        )
    if (
        start
        and end
        and rows
        and (
            rows[0][0] < start - datetime.timedelta(days=366)
            or rows[-1][0] > end + datetime.timedelta(days=366)
        )
    ):
        p.add("schedule", _("An instalment falls more than a year outside the contract period."))
    return rows


def _contract_fields(village: Region, data: dict[str, Any], p: Problems) -> dict[str, Any]:
    kind = p.choice("kind", data.get("kind"), ContractKind.values)
    fields: dict[str, Any] = {
        "number": p.text("number", data.get("number"), max_length=40),
        "kind": kind,
        "direction": _direction(kind),
        "title": p.text("title", data.get("title"), max_length=200),
        "amount": p.money("amount", data.get("amount")),
        "annual_price": p.money("annual_price", data.get("annual_price"), required=kind in LETTING_KINDS),
        "start_date": p.date("start_date", data.get("start_date")),
        "end_date": p.date("end_date", data.get("end_date")),
        "signed_on": p.date("signed_on", data.get("signed_on")),
    }
    if fields["start_date"] and fields["end_date"] and fields["end_date"] < fields["start_date"]:
        p.add("end_date", _("The contract cannot end before it starts."))
    counterparty = data.get("counterparty")
    if not isinstance(counterparty, Counterparty):
        p.add("counterparty", _("Choose the counterparty."))
    else:
        _in_village(counterparty, village, p, "counterparty")
    fields["counterparty"] = counterparty
    for name in ("asset", "resource"):
        obj = data.get(name)
        _in_village(obj, village, p, name)
        fields[name] = obj
    if kind == ContractKind.LEASE and fields["asset"] is None:
        p.add("asset", _("A lease lets an asset: choose it."))
    if kind == ContractKind.CONTRACTING and fields["resource"] is None:
        p.add("resource", _("Contracting lets a resource: choose it."))
    case = data.get("case")
    if case is not None:
        if not isinstance(case, Case) or case.village_id != village.pk:
            p.add("case", _("The approving case must be a case of this village."))
        elif case.status == CaseStatus.TERMINATED:
            p.add("case", _("The approving case was terminated."))
    fields["case"] = case
    fields["document_sha256"] = _sha256(data.get("document_sha256", ""), p, "document_sha256")
    return fields


def _mark_let(contract: Contract, letting: bool) -> None:
    """Keep the register's status in step with the contracts letting it out."""
    if contract.kind not in LETTING_KINDS:
        return
    if contract.asset_id:
        other = Contract.objects.filter(asset_id=contract.asset_id, status=ContractStatus.ACTIVE).exclude(
            pk=contract.pk
        )
        status = AssetStatus.LEASED if letting or other.exists() else AssetStatus.IDLE
        Asset.objects.filter(pk=contract.asset_id).exclude(status=AssetStatus.DISPOSED).update(status=status)
    if contract.resource_id:
        other = Contract.objects.filter(
            resource_id=contract.resource_id, status=ContractStatus.ACTIVE
        ).exclude(pk=contract.pk)
        status = ResourceStatus.CONTRACTED if letting or other.exists() else ResourceStatus.IDLE
        Resource.objects.filter(pk=contract.resource_id).update(status=status)


def contract_sign(
    *,
    actor: User,
    village: Region,
    data: dict[str, Any],
    schedule: Sequence[Any],
    document: bytes | None = None,
    previous: Contract | None = None,
) -> Contract:
    """Register a signed contract with its payment schedule (instalments), the approving case and the
    SHA-256 of the signed contract (uploaded here, or given when the file is stored already)."""
    _can(actor, Perm.FINANCE_RECORD, village)
    _village(village)
    p = Problems()
    fields = _contract_fields(village, data, p)
    rows = _schedule(p, schedule, fields["amount"], fields["start_date"], fields["end_date"])
    if fields["number"] and Contract.objects.filter(village=village, number=fields["number"]).exists():
        p.add(
            "number",
            _("The contract number “%(number)s” is already registered.") % {"number": fields["number"]},
        )
    p.raise_if_any(_("The contract cannot be registered."))
    digest = store_document(document) or fields.pop("document_sha256")
    fields.pop("document_sha256", None)
    now = timezone.now()
    try:
        with transaction.atomic():
            contract = Contract.objects.create(
                village=village,
                document_sha256=digest,
                previous=previous,
                created_by=actor,
                created_at=now,
                **fields,
            )
            Instalment.objects.bulk_create(
                [
                    Instalment(contract=contract, sequence=n, due_date=d, amount=v)
                    for n, (d, v) in enumerate(rows, 1)
                ]
            )
            ContractEvent.objects.create(
                contract=contract,
                kind=ContractEventKind.SIGNED,
                on=contract.signed_on,
                old_price=previous.annual_price if previous is not None else None,
                new_price=contract.annual_price or contract.amount,
                actor=actor,
                at=now,
            )
            _mark_let(contract, True)
            ledger_append(
                kind="finance.contract.signed" if previous is None else "finance.contract.renewed",
                actor=actor,
                subject=ledger_subject(contract),
                region=village,
                payload={
                    "number": contract.number,
                    "kind": contract.kind,
                    "amount": contract.amount,
                    "annual_price": contract.annual_price,
                    "start": contract.start_date,
                    "end": contract.end_date,
                    "counterparty": contract.counterparty_id,
                    "case": contract.case_id,
                    "document_sha256": digest,
                    "instalments": len(rows),
                    "previous": previous.pk if previous else None,
                },
            )
    except IntegrityError:
        raise FinanceConflict(_("The contract number is already registered.")) from None
    return contract


def _open_contract(contract: Contract) -> None:
    if contract.status != ContractStatus.ACTIVE:
        raise FinanceRefused(
            _("Contract %(number)s is %(status)s; it cannot be changed.")
            % {"number": contract.number, "status": contract.get_status_display()},
            code=FinanceErrorCode.CONTRACT_CLOSED,
        )


def _lock(contract: Contract) -> Contract:
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    _open_contract(locked)
    return locked


def contract_renew(
    *,
    actor: User,
    contract: Contract,
    data: dict[str, Any],
    schedule: Sequence[Any],
    document: bytes | None = None,
) -> Contract:
    """A renewal: a new contract following ``contract`` (same counterparty and asset/resource unless
    given); the old one is closed as renewed and the price change is recorded on both."""
    _can(actor, Perm.FINANCE_RECORD, contract.village)
    if contract.kind not in LETTING_KINDS:
        raise FinanceRefused(
            _("Only leases and contracting are renewed."), code=FinanceErrorCode.NOT_RENEWABLE
        )
    _open_contract(contract)
    merged = {
        "kind": contract.kind,
        "title": contract.title,
        "counterparty": contract.counterparty,
        "asset": contract.asset,
        "resource": contract.resource,
    } | {k: v for k, v in data.items() if v not in (None, "")}
    with transaction.atomic():
        old = _lock(contract)
        new = contract_sign(
            actor=actor, village=old.village, data=merged, schedule=schedule, document=document, previous=old
        )
        old.status = ContractStatus.RENEWED
        old.closed_on = new.start_date
        old.save(update_fields=["status", "closed_on"])
        ContractEvent.objects.create(
            contract=old,
            kind=ContractEventKind.RENEWED,
            on=new.signed_on,
            old_price=old.annual_price,
            new_price=new.annual_price,
            related=new,
            actor=actor,
            at=timezone.now(),
        )
    return new


def contract_change_price(
    *, actor: User, contract: Contract, new_annual_price: Any, on: Any, note: str
) -> Contract:
    """A price change agreed during the term: instalments due from ``on`` with nothing paid yet are
    rescaled to the new price; the contract amount follows."""
    _can(actor, Perm.FINANCE_RECORD, contract.village)
    p = Problems()
    price = p.money("new_annual_price", new_annual_price)
    day = p.date("on", on)
    note = p.text("note", note, max_length=500)
    if contract.annual_price is None:
        p.add("new_annual_price", _("This contract has no price per year."))
    p.raise_if_any(_("The price change cannot be recorded."))
    with transaction.atomic():
        locked = _lock(contract)
        old = locked.annual_price
        for inst in locked.instalments.filter(due_date__gte=day, cancelled=False).exclude(
            pk__in=Entry.objects.filter(instalment__contract=locked).values("instalment_id")
        ):
            inst.amount = (inst.amount * price / old).quantize(CENT, rounding=ROUND_HALF_UP)
            inst.save(update_fields=["amount"])
        locked.annual_price = price
        locked.amount = locked.instalments.filter(cancelled=False).aggregate(s=Sum("amount"))["s"] or Decimal(
            0
        )
        locked.save(update_fields=["annual_price", "amount"])
        ContractEvent.objects.create(
            contract=locked,
            kind=ContractEventKind.PRICE_CHANGED,
            on=day,
            old_price=old,
            new_price=price,
            note=note,
            actor=actor,
            at=timezone.now(),
        )
        ledger_append(
            kind="finance.contract.price_changed",
            actor=actor,
            subject=ledger_subject(locked),
            region=locked.village,
            payload={"from": old, "to": price, "on": day, "note": note},
        )
    return locked


def contract_terminate(*, actor: User, contract: Contract, on: Any, reason: str) -> Contract:
    """Early termination: instalments due after ``on`` with nothing paid are cancelled; what fell due
    before stays owed."""
    _can(actor, Perm.FINANCE_RECORD, contract.village)
    p = Problems()
    day = p.date("on", on)
    reason = p.text("reason", reason, max_length=500)
    if day and day > contract.end_date:
        p.add("on", _("The contract already ended on %(date)s.") % {"date": contract.end_date})
    p.raise_if_any(_("The termination cannot be recorded."))
    return _close(actor, contract, ContractStatus.TERMINATED, ContractEventKind.TERMINATED, day, reason)


def contract_complete(*, actor: User, contract: Contract, on: Any, note: str = "") -> Contract:
    """Close a contract at the end of its term (the asset or resource is free again)."""
    _can(actor, Perm.FINANCE_RECORD, contract.village)
    p = Problems()
    day = p.date("on", on)
    note = p.text("note", note, max_length=500, required=False)
    if day and day < contract.end_date:
        p.add(
            "on",
            _("The contract runs until %(date)s; terminate it early instead.") % {"date": contract.end_date},
        )
    p.raise_if_any(_("The contract cannot be closed."))
    return _close(actor, contract, ContractStatus.COMPLETED, ContractEventKind.COMPLETED, day, note)


def _close(
    actor: User, contract: Contract, status: str, event: str, day: datetime.date, note: str
) -> Contract:
    with transaction.atomic():
        locked = _lock(contract)
        cancelled = 0
        if status == ContractStatus.TERMINATED:
            cancelled = (
                locked.instalments.filter(due_date__gt=day, cancelled=False)
                .exclude(pk__in=Entry.objects.filter(instalment__contract=locked).values("instalment_id"))
                .update(cancelled=True)
            )
        locked.status = status
        locked.closed_on = day
        locked.close_reason = note
        locked.save(update_fields=["status", "closed_on", "close_reason"])
        _mark_let(locked, False)
        ContractEvent.objects.create(
            contract=locked, kind=event, on=day, note=note, actor=actor, at=timezone.now()
        )
        ledger_append(
            kind=f"finance.contract.{status}",
            actor=actor,
            subject=ledger_subject(locked),
            region=locked.village,
            payload={"on": day, "reason": note, "cancelled_instalments": cancelled},
        )
    return locked


def arrears_record(*, actor: User, contract: Contract, on: Any, note: str) -> ContractEvent:
    """Record that arrears were found and chased (催缴), with what was done."""
    _can(actor, Perm.FINANCE_RECORD, contract.village)
    p = Problems()
    day = p.date("on", on)
    note = p.text("note", note, max_length=500)
    p.raise_if_any(_("The arrears notice cannot be recorded."))
    from .selectors import contract_arrears

    owed = contract_arrears(contract, today=day)
    with transaction.atomic():
        event = ContractEvent.objects.create(
            contract=contract,
            kind=ContractEventKind.ARREARS,
            on=day,
            new_price=owed,
            note=note,
            actor=actor,
            at=timezone.now(),
        )
        ledger_append(
            kind="finance.contract.arrears",
            actor=actor,
            subject=ledger_subject(contract),
            region=contract.village,
            payload={"on": day, "owed": owed, "note": note},
        )
    return event


# --- accounts and entries -------------------------------------------------------------------------------


def account_open(*, actor: User, village: Region, data: dict[str, Any]) -> Account:
    _can(actor, Perm.FINANCE_RECONCILE, village)
    _village(village)
    p = Problems()
    fields = {
        "kind": p.choice("kind", data.get("kind"), AccountKind.values),
        "name": p.text("name", data.get("name"), max_length=100),
        "bank": p.text("bank", data.get("bank"), max_length=100, required=False),
        "number_masked": p.text("number_masked", data.get("number_masked"), max_length=30, required=False),
        "opening_balance": p.money("opening_balance", data.get("opening_balance") or "0", allow_zero=True),
        "opened_on": p.date("opened_on", data.get("opened_on")),
    }
    if fields["kind"] == AccountKind.BANK and not fields["bank"]:
        p.add("bank", _("Name the bank."))
    if fields["name"] and Account.objects.filter(village=village, name=fields["name"]).exists():
        p.add("name", _("The village already has an account named “%(name)s”.") % {"name": fields["name"]})
    p.raise_if_any(_("The account cannot be opened."))
    with transaction.atomic():
        account = Account.objects.create(village=village, **fields)
        ledger_append(
            kind="finance.account.opened",
            actor=actor,
            subject=ledger_subject(account),
            region=village,
            payload={"kind": account.kind, "name": account.name, "opening_balance": account.opening_balance},
        )
    return account


def account_balance(account: Account, *, on: datetime.date | None = None) -> Decimal:
    qs = account.entries.all()
    if on is not None:
        qs = qs.filter(date__lte=on)
    sums = qs.aggregate(
        i=Sum("amount", filter=Q(direction=Direction.INCOME), default=Decimal(0)),
        o=Sum("amount", filter=Q(direction=Direction.EXPENSE), default=Decimal(0)),
    )
    return (Decimal(account.opening_balance) + Decimal(sums["i"]) - Decimal(sums["o"])).quantize(CENT)


def _next_number(village: Region, day: datetime.date) -> str:
    prefix = f"JZ{day:%Y%m}-"
    last = (
        Entry.objects.filter(village=village, number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{n:04d}"


def entry_record(
    *,
    actor: User,
    village: Region,
    data: dict[str, Any],
    voucher: bytes | None = None,
    _check: bool = True,
) -> Entry:
    """Book one income or expense with its voucher. Payments under a contract name the contract (and
    the instalment they pay); the approving case defaults to the contract's."""
    if _check:
        _can(actor, Perm.FINANCE_RECORD, village)
    _village(village)
    p = Problems()
    kind = p.choice("kind", data.get("kind"), (EntryKind.INCOME, EntryKind.EXPENSE))
    direction = Direction.INCOME if kind == EntryKind.INCOME else Direction.EXPENSE
    allowed = INCOME_CATEGORIES if kind == EntryKind.INCOME else EXPENSE_CATEGORIES
    category = p.choice("category", data.get("category"), allowed)
    account = data.get("account")
    if not isinstance(account, Account):
        p.add("account", _("Choose the account."))
    else:
        _in_village(account, village, p, "account")
    fields = {
        "date": p.date("date", data.get("date")),
        "amount": p.money("amount", data.get("amount")),
        "summary": p.text("summary", data.get("summary"), max_length=300),
        "voucher_no": p.text("voucher_no", data.get("voucher_no"), max_length=40),
    }
    voucher_sha = _sha256(data.get("voucher_sha256", ""), p, "voucher_sha256")
    counterparty, contract, instalment, case = (
        data.get(k) for k in ("counterparty", "contract", "instalment", "case")
    )
    _in_village(counterparty, village, p, "counterparty")
    _in_village(contract, village, p, "contract")
    if contract is not None:
        if contract.direction != direction:
            p.add(
                "contract",
                _("Contract %(number)s does not bring money that way.") % {"number": contract.number},
            )
        counterparty = counterparty or contract.counterparty
        if counterparty is not None and counterparty.pk != contract.counterparty_id:
            p.add("counterparty", _("The counterparty is not the contract's."))
        case = case or contract.case
    if instalment is not None:
        if contract is None or instalment.contract_id != contract.pk:
            p.add("instalment", _("The instalment is not one of this contract's."))
        elif instalment.cancelled:
            p.add("instalment", _("The instalment was cancelled."))
        elif fields["amount"]:
            paid = instalment.entries.aggregate(s=Sum("amount", default=Decimal(0)))["s"]
            if paid + fields["amount"] > instalment.amount:
                p.add(
                    "amount",
                    _("The instalment is ¥%(due)s and ¥%(paid)s is paid already; ¥%(amount)s is too much.")
                    % {"due": instalment.amount, "paid": paid, "amount": fields["amount"]},
                )
    if case is not None and (not isinstance(case, Case) or case.village_id != village.pk):
        p.add("case", _("The approving case must be a case of this village."))
    p.raise_if_any(_("The entry cannot be booked."))
    digest = store_document(voucher) or voucher_sha
    with transaction.atomic():
        if instalment is not None:  # recheck under the row lock: two payments at once cannot overpay
            Instalment.objects.select_for_update().filter(pk=instalment.pk).first()
            paid = instalment.entries.aggregate(s=Sum("amount", default=Decimal(0)))["s"]
            if paid + fields["amount"] > instalment.amount:
                raise FinanceConflict(
                    _("The instalment is ¥%(due)s and ¥%(paid)s is paid already; ¥%(amount)s is too much.")
                    % {"due": instalment.amount, "paid": paid, "amount": fields["amount"]},
                    code=FinanceErrorCode.INSTALMENT_OVERPAID,
                )
        if direction == Direction.EXPENSE:
            Account.objects.select_for_update().filter(pk=account.pk).first()
            balance = account_balance(account)
            if balance < fields["amount"]:
                raise FinanceRefused(
                    _("%(account)s holds ¥%(balance)s; ¥%(amount)s cannot be paid from it.")
                    % {"account": account.name, "balance": balance, "amount": fields["amount"]},
                    code=FinanceErrorCode.INSUFFICIENT_FUNDS,
                )
        entry = Entry.objects.create(
            village=village,
            account=account,
            number=_next_number(village, fields["date"]),
            kind=kind,
            direction=direction,
            category=category,
            counterparty=counterparty,
            contract=contract,
            instalment=instalment,
            case=case,
            voucher_sha256=digest,
            recorded_by=actor,
            recorded_at=timezone.now(),
            **fields,
        )
        ledger_append(
            kind="finance.entry.recorded",
            actor=actor,
            subject=ledger_subject(entry),
            region=village,
            payload={
                "number": entry.number,
                "kind": kind,
                "category": category,
                "amount": entry.amount,
                "date": entry.date,
                "account": account.pk,
                "counterparty": counterparty.pk if counterparty else None,
                "contract": contract.pk if contract else None,
                "instalment": instalment.pk if instalment else None,
                "case": case.pk if case else None,
                "voucher_no": entry.voucher_no,
                "voucher_sha256": digest,
            },
        )
    return entry


def transfer_record(*, actor: User, village: Region, data: dict[str, Any]) -> tuple[Entry, Entry]:
    """Move money between two of the village's accounts (cash deposited at the bank, cash drawn)."""
    _can(actor, Perm.FINANCE_RECORD, village)
    p = Problems()
    source, target = data.get("from_account"), data.get("to_account")
    for name, obj in (("from_account", source), ("to_account", target)):
        if not isinstance(obj, Account):
            p.add(name, _("Choose the account."))
        else:
            _in_village(obj, village, p, name)
    if isinstance(source, Account) and source == target:
        p.add("to_account", _("Choose two different accounts."))
    day = p.date("date", data.get("date"))
    amount = p.money("amount", data.get("amount"))
    summary = p.text("summary", data.get("summary") or _("Transfer"), max_length=300)
    voucher_no = p.text("voucher_no", data.get("voucher_no"), max_length=40)
    p.raise_if_any(_("The transfer cannot be booked."))
    now = timezone.now()
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=source.pk).first()
        balance = account_balance(source)
        if balance < amount:
            raise FinanceRefused(
                _("%(account)s holds ¥%(balance)s; ¥%(amount)s cannot be paid from it.")
                % {"account": source.name, "balance": balance, "amount": amount},
                code=FinanceErrorCode.INSUFFICIENT_FUNDS,
            )
        common = {
            "village": village,
            "date": day,
            "kind": EntryKind.TRANSFER,
            "category": Category.TRANSFER,
            "amount": amount,
            "summary": summary,
            "voucher_no": voucher_no,
            "recorded_by": actor,
            "recorded_at": now,
        }
        out = Entry.objects.create(
            account=source, direction=Direction.EXPENSE, number=_next_number(village, day), **common
        )
        into = Entry.objects.create(
            account=target, direction=Direction.INCOME, number=_next_number(village, day), pair=out, **common
        )
        out.pair = into
        out.save(update_fields=["pair"])
        ledger_append(
            kind="finance.transfer.recorded",
            actor=actor,
            subject=ledger_subject(out),
            region=village,
            payload={
                "from": source.pk,
                "to": target.pk,
                "amount": amount,
                "date": day,
                "entries": [out.pk, into.pk],
            },
        )
    return out, into


# --- reimbursement (三签一章, through the catalog's PA-07 case) ---------------------------------------------


def reimbursement_request(
    *,
    actor: User,
    village: Region,
    data: dict[str, Any],
    voucher: bytes | None = None,
) -> Reimbursement:
    """Open a reimbursement: the handler and a witness have signed the vouchers; a PA-07 case
    (村级财务收支审批（三签一章）) is started for the amount, which routes it by the county's tiers and
    collects the secretary's, chair's, supervision chair's (and above the limit the township leader's)
    signatures as its steps."""
    from sunlit.cases.services import case_start

    _can(actor, Perm.FINANCE_RECORD, village)
    _village(village)
    p = Problems()
    fields = {
        "purpose": p.text("purpose", data.get("purpose"), max_length=300),
        "category": p.choice("category", data.get("category"), EXPENSE_CATEGORIES),
        "amount": p.money("amount", data.get("amount")),
        "handler_name": p.text("handler_name", data.get("handler_name"), max_length=50),
        "witness_name": p.text("witness_name", data.get("witness_name"), max_length=50),
    }
    if fields["handler_name"] and fields["handler_name"] == fields["witness_name"]:
        p.add("witness_name", _("The witness must be someone other than the handler."))
    counterparty = data.get("counterparty")
    _in_village(counterparty, village, p, "counterparty")
    digest = _sha256(data.get("voucher_sha256", ""), p, "voucher_sha256")
    if not voucher and not digest:
        p.add("voucher", _("Upload the signed vouchers."))
    p.raise_if_any(_("The reimbursement cannot be requested."))
    digest = store_document(voucher) or digest
    now = timezone.now()
    with transaction.atomic():
        parties = []
        if counterparty is not None:
            parties.append(
                {
                    "role": PartyRole.COUNTERPARTY,
                    "person": counterparty.person,
                    "name": counterparty.name,
                    "credit_code": counterparty.credit_code,
                }
            )
        case = case_start(
            actor=actor,
            village=village,
            item_code=REIMBURSEMENT_ITEM,
            title=fields["purpose"][:200],
            variables={"amount": float(fields["amount"])},
            parties=parties,
        )
        count = Reimbursement.objects.filter(village=village, requested_at__year=now.year).count()
        reimbursement = Reimbursement.objects.create(
            village=village,
            number=f"BX{timezone.localdate(now):%Y}-{count + 1:04d}",
            counterparty=counterparty,
            voucher_sha256=digest,
            case=case,
            requested_by=actor,
            requested_at=now,
            **fields,
        )
        ledger_append(
            kind="finance.reimbursement.requested",
            actor=actor,
            subject=ledger_subject(reimbursement),
            region=village,
            payload={
                "number": reimbursement.number,
                "amount": reimbursement.amount,
                "case": case.pk,
                "voucher_sha256": digest,
            },
            pii={"handler": fields["handler_name"], "witness": fields["witness_name"]},
        )
    return reimbursement


def township_sign_amount(case: Case) -> Decimal:
    try:
        return Decimal(str(case.parameters.get("township_sign_amount", DEFAULT_TOWNSHIP_SIGN_AMOUNT)))
    except (InvalidOperation, ValueError):
        return DEFAULT_TOWNSHIP_SIGN_AMOUNT


def signatures(reimbursement: Reimbursement) -> list[dict[str, Any]]:
    """Each signature 三签一章 needs, whether it is there, who gave it and when."""
    case = reimbursement.case
    needed = list(SIGNATURE_STEPS)
    if reimbursement.amount >= township_sign_amount(case):
        needed.append(TOWNSHIP_STEP)
    done = {
        s.step.key: s
        for s in StepInstance.objects.filter(case=case, status=StepStatus.COMPLETED, step__key__in=needed)
        .select_related("step", "completed_by")
        .order_by("completed_at")
    }
    rows: list[dict[str, Any]] = [
        {
            "key": "handler",
            "label": _("Handler"),
            "done": True,
            "by": reimbursement.handler_name,
            "at": reimbursement.requested_at,
        },
        {
            "key": "witness",
            "label": _("Witness"),
            "done": True,
            "by": reimbursement.witness_name,
            "at": reimbursement.requested_at,
        },
    ]
    labels = {
        "sign_secretary": _("Party secretary"),
        "sign_chair": _("Committee chair"),
        "sign_supervisor": _("Supervision committee chair"),
        TOWNSHIP_STEP: _("Township leader"),
    }
    for key in needed:
        instance = done.get(key)
        rows.append(
            {
                "key": key,
                "label": labels[key],
                "done": instance is not None,
                "by": instance.completed_by.username if instance and instance.completed_by else "",
                "at": instance.completed_at if instance else None,
            }
        )
    seal = SealUse.objects.filter(case=case, seal=SealKind.SUPERVISION).order_by("used_at").first()
    rows.append(
        {
            "key": "seal",
            "label": _("Supervision committee seal"),
            "done": seal is not None,
            "by": seal.recorded_by.username if seal else "",
            "at": seal.used_at if seal else None,
        }
    )
    return rows


def reimbursement_pay(*, actor: User, reimbursement: Reimbursement, data: dict[str, Any]) -> Reimbursement:
    """Pay an approved reimbursement: refused until every signature and the seal are recorded on its
    case; the payment is an expense entry pointing at the case."""
    _can(actor, Perm.FINANCE_RECORD, reimbursement.village)
    if reimbursement.status != ReimbursementStatus.PENDING:
        raise FinanceRefused(
            _("Reimbursement %(number)s is %(status)s already.")
            % {"number": reimbursement.number, "status": reimbursement.get_status_display()},
            code=FinanceErrorCode.REIMBURSEMENT_CLOSED,
        )
    case = Case.objects.get(pk=reimbursement.case_id)
    if case.status == CaseStatus.TERMINATED or case.end_step_key == "rejected":
        raise FinanceRefused(
            _("Case %(case)s ended without approval; the reimbursement cannot be paid.")
            % {"case": case.tracking_no},
            code=FinanceErrorCode.SIGNATURES_MISSING,
        )
    missing = [str(row["label"]) for row in signatures(reimbursement) if not row["done"]]
    if missing:
        raise FinanceRefused(
            _("Not paid: the signature or seal of %(missing)s is missing on case %(case)s.")
            % {"missing": _("、").join(missing), "case": case.tracking_no},
            code=FinanceErrorCode.SEAL_MISSING
            if missing == [str(_("Supervision committee seal"))]
            else FinanceErrorCode.SIGNATURES_MISSING,
        )
    with transaction.atomic():
        locked = Reimbursement.objects.select_for_update().get(pk=reimbursement.pk)
        if locked.status != ReimbursementStatus.PENDING:
            raise FinanceConflict(_("The reimbursement was paid meanwhile."))
        entry = entry_record(
            actor=actor,
            village=locked.village,
            data={
                "kind": EntryKind.EXPENSE,
                "category": locked.category,
                "account": data.get("account"),
                "date": data.get("date"),
                "amount": locked.amount,
                "summary": locked.purpose,
                "voucher_no": data.get("voucher_no"),
                "voucher_sha256": locked.voucher_sha256,
                "counterparty": locked.counterparty,
                "case": case,
            },
            _check=False,
        )
        locked.status = ReimbursementStatus.PAID
        locked.entry = entry
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "entry", "closed_at"])
        ledger_append(
            kind="finance.reimbursement.paid",
            actor=actor,
            subject=ledger_subject(locked),
            region=locked.village,
            payload={"number": locked.number, "entry": entry.pk, "case": case.pk, "amount": locked.amount},
        )
    return locked


def reimbursement_reject(*, actor: User, reimbursement: Reimbursement) -> Reimbursement:
    """Close a reimbursement whose case ended without approval (rejected or terminated)."""
    _can(actor, Perm.FINANCE_RECORD, reimbursement.village)
    case = reimbursement.case
    if reimbursement.status != ReimbursementStatus.PENDING:
        raise FinanceRefused(
            _("The reimbursement is closed already."), code=FinanceErrorCode.REIMBURSEMENT_CLOSED
        )
    if not (case.status == CaseStatus.TERMINATED or case.end_step_key == "rejected"):
        raise FinanceRefused(
            _("Case %(case)s has not ended without approval; the reimbursement stays open.")
            % {"case": case.tracking_no},
            code=FinanceErrorCode.REIMBURSEMENT_CLOSED,
        )
    with transaction.atomic():
        reimbursement.status = ReimbursementStatus.REJECTED
        reimbursement.closed_at = timezone.now()
        reimbursement.save(update_fields=["status", "closed_at"])
        ledger_append(
            kind="finance.reimbursement.rejected",
            actor=actor,
            subject=ledger_subject(reimbursement),
            region=reimbursement.village,
            payload={"case": case.pk},
        )
    return reimbursement


# --- monthly bank reconciliation ------------------------------------------------------------------------


def month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def parse_month(value: Any) -> datetime.date | None:
    text = str(value or "").strip()
    try:
        return datetime.date.fromisoformat(f"{text[:7]}-01")
    except ValueError:
        return None


def reconciliation_record(
    *, actor: User, account: Account, data: dict[str, Any], statement: bytes | None = None
) -> Reconciliation:
    """Reconcile a bank account for a month that has ended: the statement's closing balance against
    the books; a difference must be explained (unrecorded bank charges, cheques in transit …)."""
    _can(actor, Perm.FINANCE_RECONCILE, account.village)
    p = Problems()
    month = parse_month(data.get("month"))
    if month is None:
        p.add("month", _("Enter the month as YYYY-MM."))
    balance = p.money("statement_balance", data.get("statement_balance"), allow_zero=True)
    explanation = p.text("explanation", data.get("explanation"), max_length=2000, required=False)
    if account.kind != AccountKind.BANK:
        p.add("account", _("Only bank accounts are reconciled with a statement."))
    p.raise_if_any(_("The reconciliation cannot be recorded."))
    if month_end(month) >= timezone.localdate():
        raise FinanceRefused(
            _("%(month)s has not ended yet.") % {"month": f"{month:%Y-%m}"},
            code=FinanceErrorCode.MONTH_NOT_OVER,
        )
    book = account_balance(account, on=month_end(month))
    difference = (balance - book).quantize(CENT)
    if difference != 0 and not explanation:
        raise FinanceRefused(
            _(
                "The statement shows ¥%(statement)s but the books ¥%(book)s: explain the difference of ¥%(diff)s."
            )
            % {"statement": balance, "book": book, "diff": difference},
            code=FinanceErrorCode.EXPLANATION_REQUIRED,
            fields={"explanation": [_("Explain the difference.")]},
        )
    digest = store_document(statement)
    try:
        with transaction.atomic():
            row = Reconciliation.objects.create(
                account=account,
                month=month,
                statement_balance=balance,
                book_balance=book,
                difference=difference,
                explanation=explanation,
                statement_sha256=digest,
                recorded_by=actor,
                recorded_at=timezone.now(),
            )
            ledger_append(
                kind="finance.reconciliation.recorded",
                actor=actor,
                subject=ledger_subject(row),
                region=account.village,
                payload={
                    "account": account.pk,
                    "month": f"{month:%Y-%m}",
                    "statement": balance,
                    "book": book,
                    "difference": difference,
                },
            )
    except IntegrityError:
        raise FinanceConflict(
            _("%(account)s is already reconciled for %(month)s.")
            % {"account": account.name, "month": f"{month:%Y-%m}"},
            code=FinanceErrorCode.ALREADY_RECONCILED,
        ) from None
    return row
