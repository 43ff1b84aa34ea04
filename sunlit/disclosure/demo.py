"""Demo data for disclosure: called by sunlit.core.demo after the case history.

- The demo county gets the default schedules (monthly finance, quarterly village and party affairs)
  from the first month of the quarter about six months back, and **every** village publishes each owed period
  on time (between the period's end and its due day), so supervision raises nothing on clean data.
- The sample villages (those with demo cases, and the first ones of the county) get a plausible year
  of other disclosures across the nine modules: benefit lists with rows, projects, decisions,
  services guides, monitored households, answered complaints; a few are corrected (version 2).
- Every notice and completed case of the county is published as the automatic publication would
  (sunlit.disclosure.automatic), so the portal shows them without waiting for the worker.
- Every village gets its supervision committee's contact.

The generated bulk (periodic items, year of items, contacts) is written with bulk inserts and one
ledger event per disclosure (sunlit.core.ledger_bulk), in a few seconds for ≈300 villages. The
content is generated text with no personal data (names in benefit lists are made up).
Deterministic for a seed (disclosure codes derive from it). Idempotent: a county whose villages
already have contacts is left alone.
"""

from __future__ import annotations

import datetime
import hashlib
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.core.ledger_bulk import BulkLedger
from sunlit.regions.models import Region, RegionLevel

from . import privacy
from .models import (
    BenefitListEntry,
    Disclosure,
    DisclosureSchedule,
    DisclosureSearchToken,
    DisclosureVersion,
    SupervisionContact,
)
from .periods import last_day, periods_between
from .search import weighted_tokens
from .services import schedule_defaults
from .vocab import DisclosureModule

SAMPLE_VILLAGES = 40
YEAR_ITEMS = (14, 24)  # non-periodic disclosures per sample village over the year
CORRECT_EVERY = 17  # one generated item in this many gets a correction (version 2)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
GIVEN = "秀英桂兰玉珍凤华明建国志强海燕红梅德胜金花春生丽娟永福长林文军小平玉梅淑芬家成宏伟"
GROUPS = ("一组", "二组", "三组", "四组", "五组", "六组", "七组", "八组")

# (module, title template, body template); {v} village name, {y} year, {m} month, {q} quarter,
# {n} a number, {amt} an amount, {g} a village group.
TEMPLATES: dict[str, list[tuple[str, str]]] = {
    DisclosureModule.ORGANISATION: [
        ("{v}党支部{y}年{m}月主题党日活动公开", "本月主题党日围绕学习党纪开展，应到党员{n}人，实到{n}人。"),
        (
            "{v}发展党员情况公示",
            "经支部委员会研究，拟将{g}村民1名列为发展对象，公示期7天，如有异议请向支部反映。",
        ),
    ],
    DisclosureModule.SERVICES: [
        (
            "{v}便民服务事项办理指南",
            "低保申请、宅基地审批、建房申请、证明开具等事项的办理流程、所需材料和办结时限见附件清单。",
        ),
        (
            "{v}便民服务中心值班安排（{y}年{m}月）",
            "工作日8:30—17:30有村干部值班，节假日请拨打便民服务中心办公电话。",
        ),
    ],
    DisclosureModule.ECONOMY: [
        (
            "{v}村集体经济合作社{y}年收益分配方案",
            "集体经营性收入{amt}元，提取公积公益金后按股分红，方案经村民代表会议表决通过。",
        ),
        ("{v}光伏电站收益公示", "本季度光伏发电收益{amt}元，已全部计入村集体账户。"),
    ],
    DisclosureModule.LIVELIHOOD: [
        (
            "{v}{y}年第{q}季度农村低保对象名单公示",
            "经入户调查、民主评议，以下农户拟纳入农村最低生活保障，公示期7天。",
        ),
        (
            "{v}{y}年耕地地力保护补贴发放公示",
            "按确权面积每亩补贴标准发放，明细如下，如有异议请在公示期内反映。",
        ),
        ("{v}临时救助对象公示", "经村委会审核，以下农户因病因灾申请临时救助，拟给予救助。"),
    ],
    DisclosureModule.PROJECTS: [
        (
            "{v}{g}道路硬化工程招标结果公示",
            "项目预算{amt}元，经镇公共资源交易中心公开招标确定施工单位，工期60天。",
        ),
        ("{v}农田水利沟渠修缮项目验收公示", "项目已完工并经镇村联合验收，结算金额{amt}元。"),
    ],
    DisclosureModule.DECISIONS: [
        (
            "{v}村民代表会议决议公开（{y}年第{n}号）",
            "会议应到代表{n}人，实到全部，表决通过关于村集体鱼塘对外发包的决议。",
        ),
        ("{v}“四议两公开”实施结果公开", "关于{g}安装路灯的决议已实施完毕，支出{amt}元。"),
    ],
    DisclosureModule.REVITALISATION: [
        ("{v}防返贫监测对象动态调整公示", "经排查，{g}新增监测户1户，已落实帮扶措施。"),
        ("{v}乡村振兴衔接资金项目公示", "衔接资金{amt}元用于特色种植基地建设，带动农户增收。"),
    ],
    DisclosureModule.COMPLAINTS: [
        ("关于{g}路灯不亮问题的答复", "群众反映{g}路灯损坏，村委会已安排维修，现已恢复照明。"),
        ("关于村集体鱼塘承包费使用情况的答复", "承包费{amt}元已全部入账，支出明细见本月财务公开。"),
    ],
    DisclosureModule.ASSETS: [
        (
            "{v}集体资产出租情况公示",
            "村集体厂房一处对外出租，年租金{amt}元，租期三年，经公开竞价确定承租方。",
        ),
    ],
}
PERIODIC: dict[str, tuple[str, str]] = {
    DisclosureModule.ASSETS: (
        "{v}{label}财务收支公开",
        "本月收入{amt}元，支出{amt2}元，月末结余{amt3}元。收支明细见附表，接受村民监督。",
    ),
    DisclosureModule.DECISIONS: (
        "{v}{label}村务公开",
        "本季度召开村民代表会议{n}次，讨论决定村级重大事项{n}项，执行情况良好。",
    ),
    DisclosureModule.ORGANISATION: (
        "{v}{label}党务公开",
        "本季度召开支部党员大会{n}次，收缴党费，开展“三会一课”，发展党员工作按程序推进。",
    ),
}


def _amount(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low, high)) * 10


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _i in range(rng.choice((1, 2))))


class _Writer:
    """Bulk writes mirroring disclosure_publish (privacy checks, index, one ledger event each)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.items: list[dict[str, Any]] = []

    def add(self, **item: Any) -> None:
        self.items.append(item)

    def flush(self) -> int:
        if not self.items:
            return 0
        items = sorted(self.items, key=lambda i: i["at"])
        disclosures = []
        for item in items:
            rng_code = "".join(self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _i in range(6))
            disclosures.append(
                Disclosure(
                    village=item["village"],
                    module=item["module"],
                    code=f"GK{timezone.localtime(item['at']):%y%m%d}{rng_code}",
                    first_published_at=item["at"],
                    updated_at=item.get("corrected_at") or item["at"],
                )
            )
        Disclosure.objects.bulk_create(disclosures, batch_size=1000)
        versions: list[DisclosureVersion] = []
        entries: list[tuple[int, list[privacy.EntryInput]]] = []
        for disclosure, item in zip(disclosures, items, strict=True):
            rows = privacy.clean_entries(item.get("entries", ()))
            for number, (title, body, at, reason) in enumerate(item["versions"], start=1):
                version = DisclosureVersion(
                    disclosure=disclosure,
                    number=number,
                    title=title,
                    body=body,
                    period_start=item.get("period_start"),
                    period_end=item.get("period_end"),
                    published_at=at,
                    reason=reason,
                )
                version.content_hash = privacy.content_hash(
                    {
                        "title": title,
                        "body": body,
                        "period_start": version.period_start,
                        "period_end": version.period_end,
                        "entries": [e.as_dict() for e in rows],
                        "attachments": [],
                    }
                )
                versions.append(version)
                entries.append((len(versions) - 1, rows))
        DisclosureVersion.objects.bulk_create(versions, batch_size=1000)
        latest: dict[int, DisclosureVersion] = {}
        for version in versions:
            latest[version.disclosure_id] = version
        for disclosure in disclosures:
            disclosure.current = latest[disclosure.pk]
        newest = (
            DisclosureVersion.objects.filter(disclosure=OuterRef("pk")).order_by("-number").values("pk")[:1]
        )
        Disclosure.objects.filter(current__isnull=True).update(current=Subquery(newest))
        BenefitListEntry.objects.bulk_create(
            [
                BenefitListEntry(
                    version=versions[index],
                    position=i,
                    name=e.name,
                    village_group=e.village_group,
                    benefit=e.benefit,
                    amount=e.amount,
                    period=e.period,
                )
                for index, rows in entries
                for i, e in enumerate(rows)
            ],
            batch_size=2000,
        )
        rows_of = {id(versions[index]): rows for index, rows in entries}
        by_disclosure: dict[int, list[DisclosureVersion]] = {}
        for version in versions:
            by_disclosure.setdefault(version.disclosure_id, []).append(version)
        tokens = []
        for disclosure in disclosures:
            version = disclosure.current
            rows = rows_of[id(version)]
            texts = [version.body] + [f"{e.name} {e.village_group} {e.benefit} {e.period}" for e in rows]
            for token, weight in weighted_tokens(version.title, texts).items():
                tokens.append(DisclosureSearchToken(disclosure=disclosure, token=token, weight=weight))
        DisclosureSearchToken.objects.bulk_create(tokens, batch_size=5000)
        ledger = BulkLedger()
        for disclosure in disclosures:
            for version in by_disclosure[disclosure.pk]:
                ledger.append(
                    kind="disclosure.published" if version.number == 1 else "disclosure.corrected",
                    time=timezone.now(),
                    subject=f"disclosure.disclosure:{disclosure.pk}",
                    region_code=disclosure.village.code,
                    payload={
                        "code": disclosure.code,
                        "module": disclosure.module,
                        "version": version.number,
                        "title": version.title,
                        "content_hash": version.content_hash,
                        "published_at": version.published_at.isoformat(),
                        "reason": version.reason,
                        "generated": True,
                    },
                )
        ledger.flush()
        count = len(disclosures)
        self.items = []
        return count


def _periodic(
    writer: _Writer, rng: random.Random, county: Region, villages: list[Region], today: datetime.date
) -> int:
    n = 0
    schedules = {s.module: s for s in DisclosureSchedule.objects.filter(region=county)}
    # periods already published by another app's demo (e.g. finance statements) are not repeated
    done = set(
        Disclosure.objects.filter(village__in=villages, module__in=list(schedules)).values_list(
            "village_id", "module", "current__period_start", "current__period_end"
        )
    )
    for village in villages:
        for module, schedule in sorted(schedules.items()):
            if not schedule.active:
                continue
            for period in periods_between(schedule.frequency, schedule.starts_on, today):
                if (village.pk, module, period.start, period.end) in done:
                    continue
                due = last_day(schedule, period)
                latest = min(due - datetime.timedelta(days=schedule.grace_days + 1), today)
                first = period.end + datetime.timedelta(days=1)
                if latest < first:
                    if today <= due:
                        continue  # not owed yet and too early to publish
                    latest = first
                day = first + datetime.timedelta(days=rng.randrange((latest - first).days + 1))
                at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9 + rng.randrange(8))))
                if at > timezone.now():
                    continue
                label = (
                    f"{period.start.year}年{period.start.month}月"
                    if schedule.frequency == "monthly"
                    else f"{period.start.year}年第{(period.start.month - 1) // 3 + 1}季度"
                )
                title, body = PERIODIC[module]
                values = {
                    "v": village.name,
                    "label": label,
                    "amt": _amount(rng, 200, 8000),
                    "amt2": _amount(rng, 200, 6000),
                    "amt3": _amount(rng, 1000, 30000),
                    "n": rng.randrange(2, 6),
                }
                writer.add(
                    village=village,
                    module=module,
                    period_start=period.start,
                    period_end=period.end,
                    at=at,
                    versions=[(title.format(**values), body.format(**values), at, "")],
                )
                n += 1
    return n


def _year(writer: _Writer, rng: random.Random, villages: list[Region], today: datetime.date) -> int:
    n = 0
    now = timezone.now()
    for village in villages:
        for i in range(rng.randrange(*YEAR_ITEMS)):
            module = rng.choice(list(TEMPLATES))
            title, body = rng.choice(TEMPLATES[module])
            day = today - datetime.timedelta(days=rng.randrange(1, 365))
            at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(8 + rng.randrange(10))))
            if at > now:
                continue
            values = {
                "v": village.name,
                "y": day.year,
                "m": day.month,
                "q": (day.month - 1) // 3 + 1,
                "n": rng.randrange(3, 40),
                "amt": _amount(rng, 500, 60000),
                "g": rng.choice(GROUPS),
            }
            entries = []
            if module == DisclosureModule.LIVELIHOOD:
                benefit = (
                    "农村低保" if "低保" in title else ("耕地地力保护补贴" if "补贴" in title else "临时救助")
                )
                entries = [
                    {
                        "name": _person(rng),
                        "village_group": rng.choice(GROUPS),
                        "benefit": benefit,
                        "amount": _amount(rng, 20, 200),
                        "period": f"{day.year}年{day.month}月",
                    }
                    for _j in range(rng.randrange(3, 12))
                ]
            notice_days = rng.choice((5, 7, 15))
            versions = [(title.format(**values), body.format(**values), at, "")]
            if (n + i) % CORRECT_EVERY == 0:
                fixed_at = min(at + datetime.timedelta(days=2), now)
                versions.append(
                    (
                        versions[0][0] + "（更正）",
                        versions[0][1] + "\n\n更正：原公示中金额有误，现予更正。",
                        fixed_at,
                        "原公示金额笔误",
                    )
                )
            writer.add(
                village=village,
                module=module,
                period_start=day,
                period_end=day + datetime.timedelta(days=notice_days),
                at=at,
                corrected_at=versions[-1][2],
                entries=entries,
                versions=versions,
            )
            n += 1
    return n


def _contacts(rng: random.Random, villages: list[Region]) -> int:
    now = timezone.now()
    rows = []
    for village in villages:
        seed = int(hashlib.sha256(village.code.encode()).hexdigest()[:6], 16)
        rows.append(
            SupervisionContact(
                village=village,
                chair=_person(rng),
                members="、".join(_person(rng) for _i in range(2)),
                office_phone=f"0376-{8000000 + seed % 1000000}",
                address=f"{village.name}党群服务中心二楼村务监督委员会办公室",
                hours="周一至周五 8:30—17:30",
                updated_at=now,
            )
        )
    SupervisionContact.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _automatic(county: Region) -> int:
    """Publish the county's case notices and public results (as the worker would)."""
    from sunlit.cases.models import Case, Notice
    from sunlit.cases.vocab import CaseStatus

    from .automatic import publish_notice, publish_result

    n = 0
    for pk in (
        Notice.objects.filter(village__path__startswith=county.path)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        n += publish_notice(pk) is not None
    cases = Case.objects.filter(village__path__startswith=county.path, status=CaseStatus.COMPLETED)
    for pk in cases.order_by("pk").values_list("pk", flat=True):
        n += publish_result(pk) is not None
    return n


def demo_disclosure(*, county: Any, logins: Any, seed: int, clean: bool, progress: Any = None) -> str | None:
    """Generate this app's demo data in ``county``; return a one-line summary, or None if nothing was done."""
    villages = list(
        Region.objects.filter(level=RegionLevel.VILLAGE, path__startswith=county.path).order_by("code")
    )
    if not villages or SupervisionContact.objects.filter(village__in=villages).exists():
        return None
    rng = random.Random(f"{seed}:{county.code}:disclosure")  # noqa: S311 - demo data, not secrets
    today = timezone.localdate()
    # schedules in force from the start of the quarter about six months back
    back = today.replace(day=1) - datetime.timedelta(days=160)
    quarter_start = datetime.date(back.year, ((back.month - 1) // 3) * 3 + 1, 1)
    from sunlit.cases.models import Case

    with_cases = set(Case.objects.filter(village__in=villages).values_list("village_id", flat=True))
    sample = [v for v in villages if v.pk in with_cases]
    sample += [v for v in villages if v.pk not in with_cases][: max(0, SAMPLE_VILLAGES - len(sample))]
    with transaction.atomic():
        schedule_defaults(actor=None, county=county, starts_on=quarter_start)
        writer = _Writer(rng)
        periodic = _periodic(writer, rng, county, villages, today)
        year = _year(writer, rng, sample, today)
        writer.flush()
        contacts = _contacts(rng, villages)
        automatic = _automatic(county)
    return _(
        "%(periodic)d periodic disclosures in %(villages)d villages, %(year)d other disclosures in %(sample)d "
        "villages, %(automatic)d from cases, %(contacts)d committee contacts"
    ) % {
        "periodic": periodic,
        "villages": len(villages),
        "year": year,
        "sample": len(sample),
        "automatic": automatic,
        "contacts": contacts,
    }
