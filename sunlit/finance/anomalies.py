"""Planted 三资 irregularities with their ground truth (see sunlit/supervision/anomalies.py).

Each injector builds what it needs in a demo village itself (a contract, an account, entries), the way
a legacy import or a database administrator would (direct ORM writes, where the services would keep
the records tidy), so it works whether or not the finance demo has run yet; names and numbers are
distinct from the demo's own records, and every planted record is clean for every other rule.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.accounts.roles import Role
from sunlit.regions.models import Region
from sunlit.supervision.anomalies import Expected, Injection, _case_village, _holder, _resident, injector
from sunlit.supervision.vocab import RuleFamily

from .models import Account, Asset, Contract, ContractEvent, Counterparty, Entry, Instalment
from .vocab import (
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
)

MARK = "YC"  # numbers of planted records start with this (异常)


def _village(ctx: Injection) -> Region:
    return ctx.pick(ctx.villages(), "a demo village")


def _credit_code(ctx: Injection) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return "91411522" + "".join(ctx.rng.choice(alphabet) for _ in range(10))


def _business(ctx: Injection, village: Region, name: str) -> Counterparty:
    return Counterparty.objects.create(
        village=village,
        kind=CounterpartyKind.BUSINESS,
        name=name,
        credit_code=_credit_code(ctx),
        created_at=ctx.now,
    )


def _bank(village: Region, today: datetime.date) -> Account:
    account, _created = Account.objects.get_or_create(
        village=village,
        name="集体经济专户（旧账迁移）",
        defaults={
            "kind": AccountKind.BANK,
            "bank": "河南光山农村商业银行",
            "number_masked": "6230****0917",
            "opening_balance": Decimal("300000.00"),
            "opened_on": today - datetime.timedelta(days=900),
        },
    )
    return account


def _entry(ctx: Injection, village: Region, account: Account, day: datetime.date, **fields) -> Entry:
    n = Entry.objects.filter(village=village, number__startswith=MARK).count() + 1
    return Entry.objects.create(
        village=village,
        account=account,
        number=f"{MARK}{day:%Y%m}-{n:04d}",
        date=day,
        voucher_no=f"{MARK}-{n:03d}",
        recorded_at=ctx.now,
        **fields,
    )


def _asset(ctx: Injection, village: Region, name: str, today: datetime.date) -> Asset:
    n = Asset.objects.filter(village=village, code__startswith=MARK).count() + 1
    return Asset.objects.create(
        village=village,
        code=f"{MARK}-{n:03d}",
        name=name,
        category=AssetCategory.BUILDING,
        acquired_on=today - datetime.timedelta(days=3650),
        original_value=Decimal("180000.00"),
        salvage_value=Decimal("9000.00"),
        useful_life_years=30,
        status=AssetStatus.LEASED,
        created_at=ctx.now,
    )


def _lease(
    ctx: Injection,
    village: Region,
    *,
    title: str,
    counterparty: Counterparty,
    asset: Asset,
    price: Decimal,
    start: datetime.date,
    end: datetime.date,
    status: str = ContractStatus.ACTIVE,
    previous: Contract | None = None,
    dues: list[datetime.date],
) -> Contract:
    n = Contract.objects.filter(village=village, number__startswith=MARK).count() + 1
    each = price.quantize(Decimal("0.01"))
    contract = Contract.objects.create(
        village=village,
        number=f"{MARK}-HT-{n:03d}",
        kind=ContractKind.LEASE,
        direction=Direction.INCOME,
        title=title,
        counterparty=counterparty,
        asset=asset,
        amount=each * len(dues),
        annual_price=price,
        start_date=start,
        end_date=end,
        signed_on=start - datetime.timedelta(days=10),
        status=status,
        previous=previous,
        created_at=ctx.now,
    )
    Instalment.objects.bulk_create(
        [Instalment(contract=contract, sequence=i, due_date=d, amount=each) for i, d in enumerate(dues, 1)]
    )
    ContractEvent.objects.create(
        contract=contract, kind=ContractEventKind.SIGNED, on=contract.signed_on, new_price=price, at=ctx.now
    )
    return contract


def _pay_all(ctx: Injection, contract: Contract, account: Account) -> None:
    for inst in contract.instalments.all():
        _entry(
            ctx,
            contract.village,
            account,
            inst.due_date,
            kind=EntryKind.INCOME,
            direction=Direction.INCOME,
            category=Category.CONTRACTING_INCOME,
            amount=inst.amount,
            summary=f"{contract.title} 租金",
            counterparty=contract.counterparty,
            contract=contract,
            instalment=inst,
        )


@injector("assets.rent_overdue", RuleFamily.ASSETS, "ASSET_RENT_OVERDUE")
def _rent_overdue(ctx: Injection) -> list[Expected]:
    """A tenant stops paying: the year's rent of a leased warehouse is two months overdue."""
    village = _village(ctx)
    today = timezone.localdate(ctx.now)
    tenant = _business(ctx, village, "光山县恒丰粮油贸易有限公司")
    asset = _asset(ctx, village, "原村小学闲置校舍", today)
    due = today - datetime.timedelta(days=75)
    contract = _lease(
        ctx,
        village,
        title="原村小学校舍租赁",
        counterparty=tenant,
        asset=asset,
        price=Decimal("12000.00"),
        start=due,
        end=due + datetime.timedelta(days=3 * 365),
        dues=[due, due + datetime.timedelta(days=365), due + datetime.timedelta(days=730)],
    )
    first = contract.instalments.get(sequence=1)
    return [
        Expected(
            "ASSET_RENT_OVERDUE",
            str(first.pk),
            _("Rent of contract %(contract)s in %(village)s left unpaid 75 days")
            % {"contract": contract.number, "village": village.name},
        )
    ]


@injector("assets.lease_expired", RuleFamily.ASSETS, "ASSET_LEASE_EXPIRED_IN_USE")
def _lease_expired(ctx: Injection) -> list[Expected]:
    """A shop lease ended two months ago; nobody closed or renewed it and the tenant stays on."""
    village = _village(ctx)
    today = timezone.localdate(ctx.now)
    tenant = _business(ctx, village, "光山县便民生活超市")
    asset = _asset(ctx, village, "村部临街门面房", today)
    end = today - datetime.timedelta(days=60)
    start = end - datetime.timedelta(days=2 * 365 - 1)
    contract = _lease(
        ctx,
        village,
        title="村部临街门面房租赁",
        counterparty=tenant,
        asset=asset,
        price=Decimal("8000.00"),
        start=start,
        end=end,
        dues=[start, start + datetime.timedelta(days=365)],
    )
    _pay_all(ctx, contract, _bank(village, today))
    return [
        Expected(
            "ASSET_LEASE_EXPIRED_IN_USE",
            str(contract.pk),
            _("Lease %(contract)s in %(village)s ended 60 days ago and is still in force")
            % {"contract": contract.number, "village": village.name},
        )
    ]


@injector("assets.renewal_underpriced", RuleFamily.ASSETS, "ASSET_PRICE_BELOW")
def _renewal_underpriced(ctx: Injection) -> list[Expected]:
    """A factory building is renewed to the same tenant at a quarter less than before."""
    village = _village(ctx)
    today = timezone.localdate(ctx.now)
    tenant = _business(ctx, village, "光山县鑫源羽绒制品厂")
    asset = _asset(ctx, village, "集体厂房一号车间", today)
    bank = _bank(village, today)
    start = today - datetime.timedelta(days=3 * 365 + 40)
    old = _lease(
        ctx,
        village,
        title="集体厂房一号车间租赁",
        counterparty=tenant,
        asset=asset,
        price=Decimal("20000.00"),
        start=start,
        end=start + datetime.timedelta(days=3 * 365 - 1),
        status=ContractStatus.RENEWED,
        dues=[start + datetime.timedelta(days=365 * i) for i in range(3)],
    )
    _pay_all(ctx, old, bank)
    renewed_on = old.end_date + datetime.timedelta(days=1)
    new = _lease(
        ctx,
        village,
        title="集体厂房一号车间租赁（续签）",
        counterparty=tenant,
        asset=asset,
        price=Decimal("15000.00"),
        start=renewed_on,
        end=renewed_on + datetime.timedelta(days=3 * 365 - 1),
        previous=old,
        dues=[renewed_on],
    )
    Contract.objects.filter(pk=old.pk).update(closed_on=renewed_on)
    _pay_all(ctx, new, bank)
    ContractEvent.objects.create(
        contract=old,
        kind=ContractEventKind.RENEWED,
        on=renewed_on,
        old_price=old.annual_price,
        new_price=new.annual_price,
        related=new,
        at=ctx.now,
    )
    return [
        Expected(
            "ASSET_PRICE_BELOW",
            str(new.pk),
            _("Renewal %(contract)s in %(village)s at ¥15,000 after ¥20,000")
            % {"contract": new.number, "village": village.name},
        )
    ]


@injector("money.spending_no_case", RuleFamily.MONEY, "MONEY_SPENDING_NO_CASE")
def _spending_no_case(ctx: Injection) -> list[Expected]:
    """¥8,600 of road-light parts paid from the bank with no approval behind it."""
    village = _village(ctx)
    today = timezone.localdate(ctx.now)
    supplier = _business(ctx, village, "信阳市明亮照明器材经营部")
    entry = _entry(
        ctx,
        village,
        _bank(village, today),
        today - datetime.timedelta(days=20),
        kind=EntryKind.EXPENSE,
        direction=Direction.EXPENSE,
        category=Category.PURCHASES,
        amount=Decimal("8600.00"),
        summary="村道路灯配件采购",
        counterparty=supplier,
    )
    return [
        Expected(
            "MONEY_SPENDING_NO_CASE",
            str(entry.pk),
            _("Expense %(entry)s in %(village)s without an approving case")
            % {"entry": entry.number, "village": village.name},
        )
    ]


@injector("money.payee_cadre", RuleFamily.MONEY, "MONEY_PAYEE_CADRE")
def _payee_cadre(ctx: Injection) -> list[Expected]:
    """The committee chair's declared nephew is paid for cleaning the village square (below every
    approval tier, so only the relationship is wrong)."""
    from sunlit.people.services import declaration_add

    village = _case_village(ctx)
    today = timezone.localdate(ctx.now)
    chair = _holder(Role.VILLAGE_CHAIR, village)
    nephew, number = _resident(ctx, village, "李保洁", age=35)
    declaration_add(
        actor=chair, cadre=chair, relative_id_number=number, relative_name=nephew.name, relation="other"
    )
    payee = Counterparty.objects.create(
        village=village,
        kind=CounterpartyKind.PERSON,
        name=nephew.name,
        person=nephew,
        id_hash=nephew.id_hash,
        id_masked=nephew.id_masked,
        created_at=ctx.now,
    )
    _entry(
        ctx,
        village,
        _bank(village, today),
        today - datetime.timedelta(days=12),
        kind=EntryKind.EXPENSE,
        direction=Direction.EXPENSE,
        category=Category.PUBLIC_WELFARE,
        amount=Decimal("1500.00"),
        summary="村文化广场保洁劳务费",
        counterparty=payee,
    )
    return [
        Expected(
            "MONEY_PAYEE_CADRE",
            str(payee.pk),
            _("A declared relative of the chair of %(village)s is paid for labour")
            % {"village": village.name},
        )
    ]


@injector("money.cash_over_limit", RuleFamily.MONEY, "MONEY_CASH_OVER_LIMIT")
def _cash_over_limit(ctx: Injection) -> list[Expected]:
    """¥6,500 of hall rent taken in cash and kept overnight before it went to the bank."""
    village = _village(ctx)
    today = timezone.localdate(ctx.now)
    day = today - datetime.timedelta(days=40)
    cash = Account.objects.create(
        village=village,
        kind=AccountKind.CASH,
        name="备用金（报账员保管）",
        opening_balance=Decimal("800.00"),
        opened_on=day - datetime.timedelta(days=200),
    )
    bank = _bank(village, today)
    _entry(
        ctx,
        village,
        cash,
        day,
        kind=EntryKind.INCOME,
        direction=Direction.INCOME,
        category=Category.OPERATING_INCOME,
        amount=Decimal("6500.00"),
        summary="村民礼堂场地使用费（现金）",
    )
    out = _entry(
        ctx,
        village,
        cash,
        day + datetime.timedelta(days=1),
        kind=EntryKind.TRANSFER,
        direction=Direction.EXPENSE,
        category=Category.TRANSFER,
        amount=Decimal("6500.00"),
        summary="现金存入银行",
    )
    into = _entry(
        ctx,
        village,
        bank,
        day + datetime.timedelta(days=1),
        kind=EntryKind.TRANSFER,
        direction=Direction.INCOME,
        category=Category.TRANSFER,
        amount=Decimal("6500.00"),
        summary="现金存入银行",
        pair=out,
    )
    Entry.objects.filter(pk=out.pk).update(pair=into)
    return [
        Expected(
            "MONEY_CASH_OVER_LIMIT",
            f"{cash.pk}:{day:%Y-%m}",
            _("¥7,300 cash on hand overnight in %(village)s") % {"village": village.name},
        )
    ]
