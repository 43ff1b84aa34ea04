"""Demo data for finance: called by sunlit.core.demo after the case history.

Every village of the demo county gets registers (a few assets and resources), accounts (cash on hand
run as an imprest, restored to its fixed amount each month, and a bank account), contracts (letting
of land, ponds and buildings; in villages with cases, a works or procurement contract approved by a
completed case), and a year of entries: rent collected on its due dates, subsidies, small running
costs, monthly allowances, payments to villagers, and the bank's monthly reconciliations; last
month's finance statement is published.

The data is clean for every finance rule whether ``clean`` is set or not (the planted irregularities
come from sunlit/finance/anomalies.py): rents are paid when due, renewals and lettings are priced at
or above the previous price and the county's reference rents, expenses of ¥2,000 or more cite a live
case of their village, nobody linked to a cadre is paid, and cash never exceeds ¥2,000.

Idempotent: a village that already has the demo's cash account is left alone.
"""

from __future__ import annotations

import datetime
import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.accounts.models import User
from sunlit.accounts.roles import Role
from sunlit.cases.models import Case
from sunlit.cases.vocab import CaseStatus
from sunlit.core.ledger import ledger_append
from sunlit.people.models import CadreDeclaration, Kinship, Person
from sunlit.powers.vocab import ItemCategory
from sunlit.regions.models import Region, RegionLevel

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
    Resource,
)
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
    ResourceKind,
    ResourceStatus,
)

CASH_ACCOUNT = "库存现金"
BANK_ACCOUNT = "村集体经济组织基本户"
IMPREST = Decimal("2000.00")  # cash on hand restored to this at the start of each month
CENT = Decimal("0.01")
REFERENCE = {  # yuan per mu per year, the county's reference rents
    ResourceKind.FARMLAND: Decimal("450"),
    ResourceKind.POND: Decimal("700"),
    ResourceKind.WOODLAND: Decimal("40"),
    ResourceKind.ORCHARD: Decimal("520"),
    ResourceKind.WASTELAND: Decimal("90"),
}
RESOURCES = [
    (ResourceKind.FARMLAND, "{g}组集体机动地", (30, 160)),
    (ResourceKind.POND, "{g}组大塘", (8, 40)),
    (ResourceKind.WOODLAND, "后山集体林地", (120, 600)),
    (ResourceKind.ORCHARD, "村集体茶园", (20, 90)),
    (ResourceKind.WASTELAND, "河滩荒地", (15, 80)),
]
ASSETS = [
    (AssetCategory.BUILDING, "村级党群服务中心", (600_000, 1_500_000), 40, AssetStatus.IN_USE),
    (AssetCategory.BUILDING, "集体仓库", (80_000, 260_000), 30, AssetStatus.LEASED),
    (AssetCategory.BUILDING, "临街门面房", (120_000, 300_000), 30, AssetStatus.LEASED),
    (AssetCategory.EQUIPMENT, "茶叶加工设备", (40_000, 150_000), 10, AssetStatus.IN_USE),
    (AssetCategory.FACILITY, "村组道路太阳能路灯", (60_000, 180_000), 8, AssetStatus.IN_USE),
    (AssetCategory.VEHICLE, "垃圾清运车", (35_000, 90_000), 8, AssetStatus.IN_USE),
]
TENANTS = [
    "光山县{s}家庭农场",
    "光山县{s}种养专业合作社",
    "信阳市{s}农业开发有限公司",
    "光山县{s}水产养殖场",
    "光山县{s}茶业有限公司",
    "光山县{s}羽绒加工厂",
    "光山县{s}商贸有限公司",
]
SHOPS = ["文具店", "五金店", "印务社", "电器维修部", "建材经营部", "农资店"]
WORDS = "兴旺丰收绿源富民宏达金穗青山润田华信鑫盛顺通德隆永康福瑞"
SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕"
GIVEN = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆芳娜敏静丽艳娟霞秀英玲桂兰"
SMALL_COSTS = [
    (Category.ADMINISTRATION, "办公用品购置", (80, 600)),
    (Category.ADMINISTRATION, "村部水电费", (150, 900)),
    (Category.ADMINISTRATION, "报刊订阅费", (100, 480)),
    (Category.PUBLIC_WELFARE, "村内环境卫生保洁用品", (120, 800)),
    (Category.PUBLIC_WELFARE, "路灯维修配件", (200, 1500)),
    (Category.OTHER_EXPENSE, "会议误餐补助", (100, 600)),
]
LABOUR = ["村内沟渠清淤劳务费", "防汛值守补助", "秸秆禁烧巡查补助", "公益岗位保洁工资"]


def _money(rng: random.Random, low: float, high: float, step: int = 1) -> Decimal:
    value = rng.uniform(low, high)
    return (
        (Decimal(int(value / step) * step)).quantize(CENT)
        if step > 1
        else Decimal(str(round(value, 2))).quantize(CENT)
    )


def _credit_code(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return "92411522" + "".join(rng.choice(alphabet) for _ in range(10))


def _cadre_linked_hashes() -> set[str]:
    """ID hashes of cadres' persons and of everyone declared or recorded as their relatives."""
    hashes = set(CadreDeclaration.objects.values_list("relative_id_hash", flat=True))
    cadre_people = set(
        CadreDeclaration.objects.exclude(cadre_person=None).values_list("cadre_person_id", flat=True)
    )
    hashes |= set(Person.objects.filter(pk__in=cadre_people).values_list("id_hash", flat=True))
    for a, b in Kinship.objects.filter(
        Q(person_id__in=cadre_people) | Q(relative_id__in=cadre_people)
    ).values_list("person__id_hash", "relative__id_hash"):
        hashes |= {a, b}
    return hashes


def _month_starts(today: datetime.date, months: int) -> list[datetime.date]:
    first = today.replace(day=1)
    out = []
    for _i in range(months):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
        out.append(first)
    return sorted(out)


class _Village:
    """Everything one village gets, collected for bulk inserts."""

    def __init__(
        self, village: Region, rng: random.Random, today: datetime.date, now: datetime.datetime
    ) -> None:
        self.village, self.rng, self.today, self.now = village, rng, today, now
        self.counterparties: list[Counterparty] = []
        self.entries: list[Entry] = []
        self.seq: dict[str, int] = {}

    def number(self, day: datetime.date) -> str:
        key = f"{day:%Y%m}"
        self.seq[key] = self.seq.get(key, 0) + 1
        return f"JZ{key}-{self.seq[key]:04d}"

    def entry(
        self,
        account: Account,
        day: datetime.date,
        kind: str,
        direction: str,
        category: str,
        amount: Decimal,
        summary: str,
        **links: Any,
    ) -> Entry:
        entry = Entry(
            village=self.village,
            account=account,
            number=self.number(day),
            date=day,
            kind=kind,
            direction=direction,
            category=category,
            amount=amount,
            summary=summary,
            voucher_no=f"记-{day:%m}-{self.seq[f'{day:%Y%m}']:03d}",
            recorded_at=self.now,
            **links,
        )
        self.entries.append(entry)
        return entry


def _tenant_name(rng: random.Random) -> str:
    return rng.choice(TENANTS).format(s="".join(rng.sample(WORDS, 2)))


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _annual_dues(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    dues, year = [], 0
    while True:
        try:
            due = start.replace(year=start.year + year)
        except ValueError:  # 29 February
            due = start.replace(year=start.year + year, day=28)
        if due > end:
            return dues
        dues.append(due)
        year += 1


def _village_demo(
    village: Region,
    *,
    rng: random.Random,
    today: datetime.date,
    now: datetime.datetime,
    excluded: set[str],
    reconciler: User | None,
) -> dict[str, int]:
    v = _Village(village, rng, today, now)
    year_ago = today - datetime.timedelta(days=365)
    cash = Account.objects.create(
        village=village, kind=AccountKind.CASH, name=CASH_ACCOUNT, opening_balance=IMPREST, opened_on=year_ago
    )
    bank = Account.objects.create(
        village=village,
        kind=AccountKind.BANK,
        name=BANK_ACCOUNT,
        bank="河南光山农村商业银行",
        number_masked=f"6230****{rng.randint(1000, 9999)}",
        opening_balance=_money(rng, 150_000, 450_000, 100),
        opened_on=year_ago,
    )
    # registers
    assets = []
    for n, (category, name, (low, high), life, status) in enumerate(rng.sample(ASSETS, 4), 1):
        value = _money(rng, low, high, 100)
        assets.append(
            Asset(
                village=village,
                code=f"ZC-{n:03d}",
                name=name,
                category=category,
                location=village.name,
                acquired_on=today - datetime.timedelta(days=rng.randint(400, 3000)),
                original_value=value,
                salvage_value=(value * Decimal("0.05")).quantize(CENT),
                useful_life_years=life,
                status=AssetStatus.IDLE if status == AssetStatus.LEASED else status,
                created_at=now,
            )
        )
    assets = Asset.objects.bulk_create(assets)
    resources = []
    for n, (kind, name, (low, high)) in enumerate(rng.sample(RESOURCES, 3), 1):
        resources.append(
            Resource(
                village=village,
                code=f"ZY-{n:03d}",
                name=name.format(g=rng.randint(1, 8)),
                kind=kind,
                area_mu=_money(rng, low, high, 1),
                location=f"{village.name}{rng.randint(1, 8)}组",
                status=ResourceStatus.SELF_MANAGED,
                created_at=now,
            )
        )
    resources = Resource.objects.bulk_create(resources)

    def business(name: str) -> Counterparty:
        cp = Counterparty.objects.create(
            village=village,
            kind=CounterpartyKind.BUSINESS,
            name=name,
            credit_code=_credit_code(rng),
            created_at=now,
        )
        return cp

    contracts = 0
    # letting of resources: annual rent, paid on each anniversary up to today
    for resource in resources[:2]:
        if resource.kind not in REFERENCE:
            continue
        tenant = business(_tenant_name(rng))
        reference = REFERENCE[resource.kind] * resource.area_mu
        price = (reference * Decimal(str(rng.uniform(1.0, 1.3)))).quantize(
            Decimal("1"), rounding=ROUND_HALF_UP
        )
        price = max(price, reference.quantize(Decimal("1"), rounding=ROUND_HALF_UP)).quantize(CENT)
        renewal = rng.random() < 0.5
        start = today - datetime.timedelta(days=rng.randint(200, 700))
        previous = None
        if renewal:
            old_start = start.replace(year=start.year - 5)
            old_price = (price * Decimal(str(rng.uniform(0.8, 0.97)))).quantize(Decimal("1")).quantize(CENT)
            old_price = max(
                old_price,
                (reference * Decimal("0.95")).quantize(Decimal("1"), rounding=ROUND_HALF_UP).quantize(CENT),
            )
            old_price = min(old_price, price)
            previous = _contract(
                v,
                tenant,
                resource,
                None,
                old_price,
                old_start,
                start - datetime.timedelta(days=1),
                ContractStatus.RENEWED,
                None,
                bank,
            )
            contracts += 1
        contract = _contract(
            v,
            tenant,
            resource,
            None,
            price,
            start,
            start.replace(year=start.year + 5) - datetime.timedelta(days=1),
            ContractStatus.ACTIVE,
            previous,
            bank,
        )
        contracts += 1
        if previous is not None:
            Contract.objects.filter(pk=previous.pk).update(closed_on=start)
            ContractEvent.objects.create(
                contract=previous,
                kind=ContractEventKind.RENEWED,
                on=start,
                old_price=previous.annual_price,
                new_price=price,
                related=contract,
                at=now,
            )
        Resource.objects.filter(pk=resource.pk).update(status=ResourceStatus.CONTRACTED)
    # a building let out, rent paid when due
    for asset in assets:
        if asset.name in ("集体仓库", "临街门面房"):
            tenant = business(
                rng.choice(["光山县", "信阳市"]) + "".join(rng.sample(WORDS, 2)) + rng.choice(SHOPS)
            )
            price = _money(rng, 6000, 24000, 100)
            start = today - datetime.timedelta(days=rng.randint(60, 500))
            _contract(
                v,
                tenant,
                None,
                asset,
                price,
                start,
                start.replace(year=start.year + 3) - datetime.timedelta(days=1),
                ContractStatus.ACTIVE,
                None,
                bank,
            )
            Asset.objects.filter(pk=asset.pk).update(status=AssetStatus.LEASED)
            contracts += 1
            break
    # works or procurement approved by a completed case of the village, paid through the contract
    for case in Case.objects.filter(
        village=village,
        status=CaseStatus.COMPLETED,
        amount__gte=2000,
        item__category__in=[ItemCategory.WORKS_PROCUREMENT, ItemCategory.COLLECTIVE_ASSETS],
    ).order_by("pk")[:4]:
        day = max(
            timezone.localdate(case.closed_at or case.started_at), year_ago + datetime.timedelta(days=1)
        )
        if day >= today:
            continue
        amount = Decimal(case.amount).quantize(CENT)
        supplier = business(
            rng.choice(["光山县", "信阳市"])
            + "".join(rng.sample(WORDS, 2))
            + rng.choice(["建筑工程有限公司", "市政工程有限公司", "商贸有限公司"])
        )
        n = Contract.objects.filter(village=village).count() + 1
        contract = Contract.objects.create(
            village=village,
            number=f"HT-{today.year}-{n:03d}",
            kind=ContractKind.WORKS if amount >= 30000 else ContractKind.PROCUREMENT,
            direction=Direction.EXPENSE,
            title=case.title[:200],
            counterparty=supplier,
            amount=amount,
            start_date=day,
            end_date=day + datetime.timedelta(days=90),
            signed_on=day,
            status=ContractStatus.ACTIVE,
            case=case,
            created_at=now,
        )
        inst = Instalment.objects.create(contract=contract, sequence=1, due_date=day, amount=amount)
        ContractEvent.objects.create(
            contract=contract, kind=ContractEventKind.SIGNED, on=day, new_price=amount, at=now
        )
        v.entry(
            bank,
            day,
            EntryKind.EXPENSE,
            Direction.EXPENSE,
            Category.WORKS if contract.kind == ContractKind.WORKS else Category.PURCHASES,
            amount,
            case.title[:300],
            counterparty=supplier,
            contract=contract,
            instalment=inst,
            case=case,
        )
        if day + datetime.timedelta(days=90) < today:
            Contract.objects.filter(pk=contract.pk).update(
                status=ContractStatus.COMPLETED, closed_on=day + datetime.timedelta(days=90)
            )
            ContractEvent.objects.create(
                contract=contract,
                kind=ContractEventKind.COMPLETED,
                on=day + datetime.timedelta(days=90),
                at=now,
            )
        contracts += 1

    # a year of running money
    payees = [
        p
        for p in Person.objects.filter(village=village, died_on__isnull=True).order_by("pk")[:200]
        if p.id_hash not in excluded
    ]
    payee_cps: list[Counterparty] = []
    for person in rng.sample(payees, min(len(payees), 6)):
        payee_cps.append(
            Counterparty.objects.create(
                village=village,
                kind=CounterpartyKind.PERSON,
                name=person.name,
                person=person,
                id_hash=person.id_hash,
                id_masked=person.id_masked,
                created_at=now,
            )
        )
    shops = [business("光山县" + "".join(rng.sample(WORDS, 2)) + rng.choice(SHOPS)) for _i in range(2)]
    for month in _month_starts(today, 12):
        spent = Decimal(0)
        for _k in range(rng.randint(1, 3)):
            category, summary, (low, high) = rng.choice(SMALL_COSTS)
            amount = _money(rng, low, min(high, 650), 1)
            if spent + amount > IMPREST:
                break
            spent += amount
            v.entry(
                cash,
                month + datetime.timedelta(days=rng.randint(2, 26)),
                EntryKind.EXPENSE,
                Direction.EXPENSE,
                category,
                amount,
                summary,
                counterparty=rng.choice(shops),
            )
        # the imprest is restored at the start of the next month (cash drawn from the bank)
        nxt = (month + datetime.timedelta(days=32)).replace(day=1)
        if spent and nxt <= today - datetime.timedelta(days=1):
            out = v.entry(
                bank, nxt, EntryKind.TRANSFER, Direction.EXPENSE, Category.TRANSFER, spent, "提取备用金"
            )
            into = v.entry(
                cash, nxt, EntryKind.TRANSFER, Direction.INCOME, Category.TRANSFER, spent, "提取备用金"
            )
            out._pair_with = into  # linked after insertion
        if month.month in (3, 6, 9, 12):
            v.entry(
                bank,
                month + datetime.timedelta(days=rng.randint(5, 20)),
                EntryKind.INCOME,
                Direction.INCOME,
                Category.SUBSIDY_INCOME,
                _money(rng, 8000, 30000, 100),
                "村级组织运转经费（财政拨付）",
            )
        v.entry(
            bank,
            month + datetime.timedelta(days=rng.randint(10, 25)),
            EntryKind.EXPENSE,
            Direction.EXPENSE,
            Category.ALLOWANCES,
            _money(rng, 900, 1900, 10),
            "村后备干部及公益岗位补贴",
        )
        if payee_cps and rng.random() < 0.6:
            payee = rng.choice(payee_cps)
            v.entry(
                bank,
                month + datetime.timedelta(days=rng.randint(3, 27)),
                EntryKind.EXPENSE,
                Direction.EXPENSE,
                Category.DISTRIBUTION,
                _money(rng, 300, 1800, 10),
                rng.choice(LABOUR),
                counterparty=payee,
            )
    Entry.objects.bulk_create(v.entries, batch_size=1000)
    for entry in v.entries:
        into = getattr(entry, "_pair_with", None)
        if into is not None:
            Entry.objects.filter(pk=entry.pk).update(pair=into)
            Entry.objects.filter(pk=into.pk).update(pair=entry)
    reconciliations = 0
    if reconciler is not None:
        from .services import account_balance, month_end

        rows = []
        for month in _month_starts(today, 11):
            if month < bank.opened_on.replace(day=1):
                continue
            book = account_balance(bank, on=month_end(month))
            rows.append(
                Reconciliation(
                    account=bank,
                    month=month,
                    statement_balance=book,
                    book_balance=book,
                    difference=Decimal("0.00"),
                    recorded_by=reconciler,
                    recorded_at=now,
                )
            )
        Reconciliation.objects.bulk_create(rows)
        reconciliations = len(rows)
    ledger_append(
        kind="finance.demo.generated",
        actor=None,
        subject=f"regions.region:{village.pk}",
        region=village,
        payload={
            "assets": len(assets),
            "resources": len(resources),
            "contracts": contracts,
            "entries": len(v.entries),
            "reconciliations": reconciliations,
        },
    )
    return {"contracts": contracts, "entries": len(v.entries)}


def _contract(
    v: _Village,
    tenant: Counterparty,
    resource: Resource | None,
    asset: Asset | None,
    price: Decimal,
    start: datetime.date,
    end: datetime.date,
    status: str,
    previous: Contract | None,
    bank: Account,
) -> Contract:
    n = Contract.objects.filter(village=v.village).count() + 1
    title = f"{(resource or asset).name}{'发包' if resource else '租赁'}"
    dues = _annual_dues(start, end)
    contract = Contract.objects.create(
        village=v.village,
        number=f"HT-{start.year}-{n:03d}",
        kind=ContractKind.CONTRACTING if resource else ContractKind.LEASE,
        direction=Direction.INCOME,
        title=title,
        counterparty=tenant,
        resource=resource,
        asset=asset,
        amount=price * len(dues),
        annual_price=price,
        start_date=start,
        end_date=end,
        signed_on=start - datetime.timedelta(days=v.rng.randint(3, 20)),
        status=status,
        previous=previous,
        created_at=v.now,
    )
    instalments = Instalment.objects.bulk_create(
        [Instalment(contract=contract, sequence=i, due_date=d, amount=price) for i, d in enumerate(dues, 1)]
    )
    ContractEvent.objects.create(
        contract=contract, kind=ContractEventKind.SIGNED, on=contract.signed_on, new_price=price, at=v.now
    )
    year_ago = v.today - datetime.timedelta(days=365)
    for inst in instalments:
        if inst.due_date > v.today - datetime.timedelta(days=1):
            continue
        if inst.due_date > year_ago:  # within the demo's year: booked on the day it fell due
            v.entry(
                bank,
                inst.due_date,
                EntryKind.INCOME,
                Direction.INCOME,
                Category.CONTRACTING_INCOME,
                inst.amount,
                f"{title}租金（第{inst.sequence}期）",
                counterparty=tenant,
                contract=contract,
                instalment=inst,
            )
        else:  # paid before the books kept here: carried over from the paper ledger
            v.entry(
                bank,
                inst.due_date,
                EntryKind.INCOME,
                Direction.INCOME,
                Category.CONTRACTING_INCOME,
                inst.amount,
                f"{title}租金（第{inst.sequence}期，旧账迁移）",
                counterparty=tenant,
                contract=contract,
                instalment=inst,
            )
    return contract


@transaction.atomic
def demo_finance(*, county: Any, logins: Any, seed: int, clean: bool, progress: Any = None) -> str | None:
    """Generate this app's demo data in ``county``; return a one-line summary, or None if nothing was done."""
    villages = list(
        Region.objects.filter(level=RegionLevel.VILLAGE, path__startswith=county.path).order_by("code")
    )
    done = set(
        Account.objects.filter(name=CASH_ACCOUNT, village__in=villages).values_list("village_id", flat=True)
    )
    todo = [v for v in villages if v.pk not in done]
    if not todo:
        return None
    now = timezone.now()
    today = timezone.localdate(now)
    for kind, price in REFERENCE.items():
        ReferencePrice.objects.get_or_create(
            county=county,
            kind=kind,
            valid_from=datetime.date(today.year - 8, 1, 1),
            defaults={"price_per_mu": price, "note": "县农业农村局 集体资源发包指导价", "set_at": now},
        )
    excluded = _cadre_linked_hashes()
    reconcilers = {
        row["assignments__region_id"]: row["pk"]
        for row in User.objects.filter(
            assignments__role__in=[Role.VILLAGE_ACCOUNTANT, Role.VILLAGE_CLERK],
            assignments__revoked_at=None,
            assignments__region__in=todo,
        )
        .order_by("-pk")
        .values("pk", "assignments__region_id")
    }
    users = {u.pk: u for u in User.objects.filter(pk__in=set(reconcilers.values()))}
    contracts = entries = 0
    for index, village in enumerate(todo):
        rng = random.Random(f"{seed}:finance:{village.code}")  # noqa: S311 - demo data
        counts = _village_demo(
            village,
            rng=rng,
            today=today,
            now=now,
            excluded=excluded,
            reconciler=users.get(reconcilers.get(village.pk)),
        )
        contracts += counts["contracts"]
        entries += counts["entries"]
        if progress and index % 50 == 49:
            progress("finance", _("%(n)d villages") % {"n": index + 1}, 0.0)
    from .disclosure import statements_publish_due

    # Last month's statement, published on time: the morning after the month ended (as the periodic
    # job would), so the disclosure schedule's due day is met.
    first = today.replace(day=1)
    publish_at = min(timezone.make_aware(datetime.datetime.combine(first, datetime.time(9))), now)
    statements = statements_publish_due(now=publish_at, region=county)
    return _("%(v)d villages: %(c)d contracts, %(e)d entries, %(s)d monthly statements") % {
        "v": len(todo),
        "c": contracts,
        "e": entries,
        "s": statements,
    }
