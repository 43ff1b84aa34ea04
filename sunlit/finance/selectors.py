"""Reads of finance, always region-scoped for staff; the public reads masked statements and contract
histories. ``access_*`` raise the same NotFound for missing and out-of-scope records."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from sunlit.accounts.models import User
from sunlit.accounts.permissions import region_q
from sunlit.accounts.roles import Perm
from sunlit.core.errors import NotFound
from sunlit.regions.models import Region

from .models import (
    Account,
    Asset,
    Contract,
    ContractEvent,
    Counterparty,
    Entry,
    Instalment,
    MonthlyStatement,
    Reconciliation,
    Reimbursement,
    Resource,
)
from .rules import paid_subquery, shown_name
from .vocab import Direction, EntryKind

ZERO = Decimal("0.00")


def _pk(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound() from None


def _scoped(qs: QuerySet, user: User, field: str = "village") -> QuerySet:
    return qs.filter(region_q(user, Perm.FINANCE_VIEW, field))


def assets_for_user(user: User) -> QuerySet[Asset]:
    return _scoped(Asset.objects.select_related("village"), user)


def resources_for_user(user: User) -> QuerySet[Resource]:
    return _scoped(Resource.objects.select_related("village"), user)


def contracts_for_user(user: User) -> QuerySet[Contract]:
    return _scoped(
        Contract.objects.select_related("village", "counterparty", "asset", "resource", "case"), user
    )


def entries_for_user(user: User) -> QuerySet[Entry]:
    return _scoped(
        Entry.objects.select_related("village", "account", "counterparty", "contract", "case"), user
    )


def accounts_for_user(user: User) -> QuerySet[Account]:
    return _scoped(Account.objects.select_related("village"), user)


def counterparties_for_user(user: User) -> QuerySet[Counterparty]:
    return _scoped(Counterparty.objects.select_related("village"), user)


def reimbursements_for_user(user: User) -> QuerySet[Reimbursement]:
    return _scoped(Reimbursement.objects.select_related("village", "case", "counterparty", "entry"), user)


def reconciliations_for_user(user: User) -> QuerySet[Reconciliation]:
    return _scoped(
        Reconciliation.objects.select_related("account", "account__village", "recorded_by"),
        user,
        "account__village",
    )


def _access(qs: QuerySet, pk: Any) -> Any:
    obj = qs.filter(pk=_pk(pk)).first()
    if obj is None:
        raise NotFound()
    return obj


def access_contract(user: User, contract_id: Any) -> Contract:
    return _access(contracts_for_user(user).select_related("previous"), contract_id)


def access_asset(user: User, asset_id: Any) -> Asset:
    return _access(assets_for_user(user), asset_id)


def access_entry(user: User, entry_id: Any) -> Entry:
    return _access(entries_for_user(user), entry_id)


def access_account(user: User, account_id: Any) -> Account:
    return _access(accounts_for_user(user), account_id)


def access_reimbursement(user: User, reimbursement_id: Any) -> Reimbursement:
    return _access(reimbursements_for_user(user), reimbursement_id)


def access_counterparty(user: User, counterparty_id: Any) -> Counterparty:
    return _access(counterparties_for_user(user), counterparty_id)


def villages_for_user(user: User) -> QuerySet[Region]:
    from sunlit.regions.models import RegionLevel

    return Region.objects.filter(_village_q(user), level=RegionLevel.VILLAGE)


def _village_q(user: User) -> Q:
    from sunlit.accounts.permissions import scopes_for

    scopes = scopes_for(user, Perm.FINANCE_VIEW)
    if not scopes:
        return Q(pk__in=[])
    q = Q()
    for scope in scopes:
        q |= Q(path__startswith=scope.path)
    return q


def access_village(user: User, village_id: Any) -> Region:
    return _access(villages_for_user(user), village_id)


# --- contract history -----------------------------------------------------------------------------------


def instalments_with_paid(contract: Contract) -> list[Instalment]:
    return list(contract.instalments.annotate(paid=paid_subquery()).order_by("sequence"))


def contract_arrears(contract: Contract, *, today: datetime.date | None = None) -> Decimal:
    """What is owed under an income contract: instalments due by ``today`` not fully paid."""
    today = today or timezone.localdate()
    owed = ZERO
    for inst in contract.instalments.filter(cancelled=False, due_date__lte=today).annotate(
        paid=paid_subquery()
    ):
        owed += max(Decimal(inst.amount) - Decimal(inst.paid or 0), ZERO)
    return owed.quantize(Decimal("0.01"))


@dataclass
class ContractHistory:
    contract: Contract
    chain: list[Contract]  # earlier contracts of the same letting, oldest first, then renewals
    instalments: list[Instalment]
    events: list[ContractEvent]
    entries: list[Entry]
    paid: Decimal
    arrears: Decimal


def contract_history(contract: Contract, *, today: datetime.date | None = None) -> ContractHistory:
    today = today or timezone.localdate()
    chain: list[Contract] = []
    cursor = contract.previous
    seen = {contract.pk}
    while cursor is not None and cursor.pk not in seen and len(chain) < 50:
        chain.insert(0, cursor)
        seen.add(cursor.pk)
        cursor = Contract.objects.filter(pk=cursor.previous_id).first() if cursor.previous_id else None
    later = Contract.objects.filter(previous=contract).first()
    while later is not None and later.pk not in seen and len(chain) < 100:
        chain.append(later)
        seen.add(later.pk)
        later = Contract.objects.filter(previous=later).first()
    instalments = instalments_with_paid(contract)
    entries = list(contract.entries.select_related("account", "instalment").order_by("date", "id"))
    paid = sum((e.amount for e in entries), ZERO)
    arrears = sum(
        (
            max(Decimal(i.amount) - Decimal(i.paid or 0), ZERO)
            for i in instalments
            if not i.cancelled and i.due_date <= today
        ),
        ZERO,
    )
    events = list(contract.events.select_related("actor", "related").order_by("on", "id"))
    return ContractHistory(contract, chain, instalments, events, entries, paid, arrears)


# --- "我的资金": payments to one villager ---------------------------------------------------------------


@dataclass(frozen=True)
class PersonPayment:
    date: datetime.date
    purpose: str
    amount: Decimal
    source: str  # who paid: the village's name and the account


def payments_for_person(*, person: Any) -> list[PersonPayment]:
    """Payments the village collectives made to this villager (matched on the person or the keyed ID
    hash), newest first. Used by the portal's "我的资金" page."""
    q = Q(counterparty__person=person)
    if getattr(person, "id_hash", ""):
        q |= Q(counterparty__id_hash=person.id_hash)
    rows = (
        Entry.objects.filter(q, kind=EntryKind.EXPENSE, direction=Direction.EXPENSE)
        .select_related("village", "account")
        .order_by("-date", "-id")
    )
    return [
        PersonPayment(
            date=e.date,
            purpose=e.summary,
            amount=e.amount,
            source=f"{e.village.name} · {e.get_category_display()}",
        )
        for e in rows[:500]
    ]


# --- public ---------------------------------------------------------------------------------------------


def public_statements(village: Region) -> QuerySet[MonthlyStatement]:
    return MonthlyStatement.objects.filter(village=village).order_by("-month")


def public_statement(village: Region, month: datetime.date) -> MonthlyStatement:
    row = MonthlyStatement.objects.filter(village=village, month=month).first()
    if row is None:
        raise NotFound()
    return row


def public_contract(village: Region, contract_id: Any) -> Contract:
    """A contract of the village for its public history (shown masked)."""
    contract = (
        Contract.objects.filter(village=village, pk=_pk(contract_id))
        .select_related("village", "counterparty", "asset", "resource", "case", "previous")
        .first()
    )
    if contract is None:
        raise NotFound()
    return contract


def public_contracts(village: Region) -> QuerySet[Contract]:
    return (
        Contract.objects.filter(village=village).select_related("counterparty").order_by("-start_date", "-id")
    )


def public_counterparty(counterparty: Counterparty) -> str:
    return shown_name(counterparty.name, counterparty.kind)


def totals(village: Region, start: datetime.date, end: datetime.date) -> dict[str, Decimal]:
    sums = Entry.objects.filter(village=village, date__gte=start, date__lte=end).aggregate(
        income=Sum("amount", filter=Q(kind=EntryKind.INCOME), default=ZERO),
        expense=Sum("amount", filter=Q(kind=EntryKind.EXPENSE), default=ZERO),
    )
    return {k: Decimal(v).quantize(Decimal("0.01")) for k, v in sums.items()}
