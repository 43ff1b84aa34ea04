"""Finance endpoints under /api/v1/: scoped staff reads (contracts with their history, entries,
assets, reconciliations) and writes through the same services as the workbench (book an entry,
reconcile a month, record contract events), plus the public monthly statements and contract
histories (masked). Missing and out-of-scope records are the same 404."""

import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import django_auth

from sunlit.core.errors import NotFound
from sunlit.regions.models import RegionLevel
from sunlit.regions.selectors import region_get

from . import selectors, services
from .models import Contract, Entry

router = Router(tags=["finance"])


class ContractOut(Schema):
    id: int
    village: str
    number: str
    kind: str
    direction: str
    title: str
    counterparty: str
    amount: Decimal
    annual_price: Decimal | None
    start_date: datetime.date
    end_date: datetime.date
    status: str
    case: str | None
    document_sha256: str
    previous_id: int | None

    @staticmethod
    def resolve_village(obj: Contract) -> str:
        return obj.village.code

    @staticmethod
    def resolve_counterparty(obj: Contract) -> str:
        return obj.counterparty.name

    @staticmethod
    def resolve_case(obj: Contract) -> str | None:
        return obj.case.tracking_no if obj.case_id else None


class InstalmentOut(Schema):
    sequence: int
    due_date: datetime.date
    amount: Decimal
    paid: Decimal
    cancelled: bool


class EventOut(Schema):
    kind: str
    on: datetime.date
    old_price: Decimal | None
    new_price: Decimal | None
    note: str


class PaymentOut(Schema):
    number: str
    date: datetime.date
    amount: Decimal
    instalment: int | None

    @staticmethod
    def resolve_instalment(obj: Entry) -> int | None:
        return obj.instalment.sequence if obj.instalment_id else None


class ContractHistoryOut(Schema):
    contract: ContractOut
    instalments: list[InstalmentOut]
    events: list[EventOut]
    payments: list[PaymentOut]
    paid: Decimal
    arrears: Decimal


class EntryOut(Schema):
    id: int
    village: str
    number: str
    date: datetime.date
    kind: str
    direction: str
    category: str
    amount: Decimal
    summary: str
    account: str
    counterparty: str | None
    contract_id: int | None
    case: str | None
    voucher_no: str
    voucher_sha256: str

    @staticmethod
    def resolve_village(obj: Entry) -> str:
        return obj.village.code

    @staticmethod
    def resolve_account(obj: Entry) -> str:
        return obj.account.name

    @staticmethod
    def resolve_counterparty(obj: Entry) -> str | None:
        return obj.counterparty.name if obj.counterparty_id else None

    @staticmethod
    def resolve_case(obj: Entry) -> str | None:
        return obj.case.tracking_no if obj.case_id else None


class EntryIn(Schema):
    village: str
    account_id: int
    kind: str
    category: str
    date: datetime.date
    amount: str
    summary: str
    voucher_no: str
    voucher_sha256: str = ""
    contract_id: int | None = None
    instalment: int | None = None


class ReconciliationIn(Schema):
    account_id: int
    month: str
    statement_balance: str
    explanation: str = ""


class ReconciliationOut(Schema):
    id: int
    account_id: int
    month: datetime.date
    statement_balance: Decimal
    book_balance: Decimal
    difference: Decimal
    explanation: str


class EventIn(Schema):
    action: str  # terminate | complete | price | arrears
    on: datetime.date
    note: str = ""
    new_annual_price: str | None = None


class StatementOut(Schema):
    month: str
    income: Decimal
    expense: Decimal
    arrears: Decimal
    published_at: datetime.datetime
    body: dict[str, Any]

    @staticmethod
    def resolve_month(obj: Any) -> str:
        return f"{obj.month:%Y-%m}"


def _history(contract: Contract) -> dict[str, Any]:
    h = selectors.contract_history(contract)
    return {
        "contract": contract,
        "instalments": [
            {
                "sequence": i.sequence,
                "due_date": i.due_date,
                "amount": i.amount,
                "paid": i.paid or 0,
                "cancelled": i.cancelled,
            }
            for i in h.instalments
        ],
        "events": h.events,
        "payments": h.entries,
        "paid": h.paid,
        "arrears": h.arrears,
    }


@router.get(
    "/finance/contracts", response=list[ContractOut], auth=django_auth, summary="Contracts in my regions"
)
@paginate(LimitOffsetPagination)
def contract_list(request: HttpRequest, village: str = "", status: str = ""):
    qs = selectors.contracts_for_user(request.user)
    if village:
        qs = qs.filter(village__code=village[:12])
    if status:
        qs = qs.filter(status=status[:12])
    return qs.order_by("-start_date", "-id")


@router.get("/finance/contracts/{contract_id}", response=ContractHistoryOut, auth=django_auth)
def contract_detail(request: HttpRequest, contract_id: int):
    return _history(selectors.access_contract(request.user, contract_id))


@router.post("/finance/contracts/{contract_id}/events", response=ContractHistoryOut, auth=django_auth)
def contract_event(request: HttpRequest, contract_id: int, payload: EventIn):
    contract = selectors.access_contract(request.user, contract_id)
    if payload.action == "terminate":
        services.contract_terminate(actor=request.user, contract=contract, on=payload.on, reason=payload.note)
    elif payload.action == "complete":
        services.contract_complete(actor=request.user, contract=contract, on=payload.on, note=payload.note)
    elif payload.action == "price":
        services.contract_change_price(
            actor=request.user,
            contract=contract,
            new_annual_price=payload.new_annual_price,
            on=payload.on,
            note=payload.note,
        )
    elif payload.action == "arrears":
        services.arrears_record(actor=request.user, contract=contract, on=payload.on, note=payload.note)
    else:
        from .errors import FinanceErrorCode, FinanceRefused

        raise FinanceRefused(
            code=FinanceErrorCode.INPUT_INVALID, fields={"action": ["terminate, complete, price or arrears"]}
        )
    return _history(selectors.access_contract(request.user, contract_id))


@router.get("/finance/entries", response=list[EntryOut], auth=django_auth, summary="Entries in my regions")
@paginate(LimitOffsetPagination)
def entry_list(request: HttpRequest, village: str = "", kind: str = "", since: datetime.date | None = None):
    qs = selectors.entries_for_user(request.user)
    if village:
        qs = qs.filter(village__code=village[:12])
    if kind:
        qs = qs.filter(kind=kind[:10])
    if since:
        qs = qs.filter(date__gte=since)
    return qs.order_by("-date", "-id")


@router.post("/finance/entries", response={201: EntryOut}, auth=django_auth, summary="Book an entry")
def entry_create(request: HttpRequest, payload: EntryIn):
    village = selectors.access_village(request.user, _village_pk(payload.village))
    account = selectors.access_account(request.user, payload.account_id)
    contract = selectors.access_contract(request.user, payload.contract_id) if payload.contract_id else None
    instalment = None
    if contract is not None and payload.instalment is not None:
        instalment = contract.instalments.filter(sequence=payload.instalment).first()
        if instalment is None:
            raise NotFound()
    entry = services.entry_record(
        actor=request.user,
        village=village,
        data={
            "kind": payload.kind,
            "category": payload.category,
            "account": account,
            "date": payload.date,
            "amount": payload.amount,
            "summary": payload.summary,
            "voucher_no": payload.voucher_no,
            "voucher_sha256": payload.voucher_sha256,
            "contract": contract,
            "instalment": instalment,
        },
    )
    return 201, selectors.access_entry(request.user, entry.pk)


def _village_pk(code: str) -> int:
    try:
        region = region_get(code)
    except NotFound:
        raise NotFound() from None
    return region.pk


@router.post("/finance/reconciliations", response={201: ReconciliationOut}, auth=django_auth)
def reconciliation_create(request: HttpRequest, payload: ReconciliationIn):
    account = selectors.access_account(request.user, payload.account_id)
    row = services.reconciliation_record(actor=request.user, account=account, data=payload.dict())
    return 201, row


@router.get(
    "/finance/public/{code}/statements",
    response=list[StatementOut],
    summary="A village's monthly finance statements",
)
@paginate(LimitOffsetPagination)
def public_statements(request: HttpRequest, code: str):
    village = region_get(code)
    if village.level != RegionLevel.VILLAGE:
        raise NotFound()
    return selectors.public_statements(village)


class PublicContractOut(Schema):
    number: str
    kind: str
    title: str
    counterparty: str
    amount: Decimal
    annual_price: Decimal | None
    start_date: datetime.date
    end_date: datetime.date
    status: str
    paid: Decimal
    arrears: Decimal
    events: list[EventOut]
    instalments: list[InstalmentOut]


@router.get(
    "/finance/public/{code}/contracts/{contract_id}",
    response=PublicContractOut,
    summary="A contract's public history",
)
def public_contract(request: HttpRequest, code: str, contract_id: int):
    from .disclosure import public_text

    village = region_get(code)
    contract = selectors.public_contract(village, contract_id)
    h = selectors.contract_history(contract, today=timezone.localdate())
    return {
        "number": contract.number,
        "kind": contract.kind,
        "title": public_text(contract.title, contract.counterparty),
        "counterparty": selectors.public_counterparty(contract.counterparty),
        "amount": contract.amount,
        "annual_price": contract.annual_price,
        "start_date": contract.start_date,
        "end_date": contract.end_date,
        "status": contract.status,
        "paid": h.paid,
        "arrears": h.arrears,
        "events": [
            {
                "kind": e.kind,
                "on": e.on,
                "old_price": e.old_price,
                "new_price": e.new_price,
                "note": public_text(e.note, contract.counterparty),
            }
            for e in h.events
        ],
        "instalments": [
            {
                "sequence": i.sequence,
                "due_date": i.due_date,
                "amount": i.amount,
                "paid": i.paid or 0,
                "cancelled": i.cancelled,
            }
            for i in h.instalments
        ],
    }
