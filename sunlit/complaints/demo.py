"""Demo data for complaints: called by sunlit.core.demo after the case history.

A few hundred plausible complaints across the categories and villages of the demo county, at every
stage: waiting for acceptance, being handled (some extended), answered and rated, not satisfied and
escalated, refused, duplicates, under review, and some left overdue for the periodic job to escalate.
Every act goes through sunlit.complaints.services (so each is in the ledger, which only grows in
time: the acts are recorded now); the business dates are then set back to the simulated history
(filed up to five months ago) and the deadlines recomputed from them with the configured limits.
Deterministic for a seed (texts, villages, stages, dates); the random tracking codes differ.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Case, DateTimeField, Value, When
from django.test import override_settings
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.accounts.models import User
from sunlit.accounts.roles import Role
from sunlit.regions.models import Region, RegionLevel

from . import config, messaging, services
from .models import Complaint, ComplaintEvent, ComplaintMessage
from .vocab import Channel, DeadlineKey, Kind, Office, Rating, Status

COUNT = 300
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["秀英", "桂兰", "建国", "志强", "海燕", "德胜", "玉梅", "国庆", "春花", "小军", "永福", "丽娟"]

TEXTS: dict[str, list[str]] = {
    "assets": [
        "{village}集体鱼塘承包费每年{amount}元，从来没有公开过去向，请求公开账目。",
        "村里的机动地被低价租给村干部亲戚，租金只有{amount}元一亩，明显低于市场价。",
        "村集体厂房出租合同没有经过村民代表会议，收入去向不明。",
    ],
    "works": [
        "{village}村道硬化工程去年刚修好就开裂，施工方不来修，工程款{amount}元是否已付清？",
        "村部新建广场没有公开招标，听说是村干部亲戚承包的。",
        "饮水安全工程管道埋得太浅，冬天冻裂了三次。",
    ],
    "welfare": [
        "我家符合低保条件，申请了两次都没有评上，评议会也没有通知我参加。",
        "{village}有人家里有车有楼房还在吃低保，请核查。",
        "临时救助金{amount}元申请了三个月还没有发下来。",
    ],
    "homestead": [
        "宅基地建房审批拖了半年没有结果，村里说要先交{amount}元“协调费”。",
        "邻居超占宅基地建房，挡住了我家的出路，村里不管。",
    ],
    "land": [
        "征地补偿款每亩少发了{amount}元，补偿标准没有公示。",
        "高速公路征地的青苗补偿费被村里扣留，至今没有发放。",
    ],
    "subsidy": [
        "耕地地力保护补贴今年没有到账，一卡通里查不到。",
        "农机购置补贴被村干部代领了，我本人并不知情，联系电话{phone}。",
    ],
    "openness": [
        "{village}村务公开栏已经半年没有更新，财务收支看不到。",
        "建议村务公开的内容同时发在微信群里，方便外出务工的村民查看。",
    ],
    "election": [
        "村委会换届选举有人拿着委托书代投了十几票，请核查。",
        "选民登记漏登了我家三口人，去村部反映没人理。",
    ],
    "seals": [
        "到村里开证明要先交{amount}元才给盖章。",
        "村委会公章由会计个人保管，随意给人盖章。",
    ],
    "conduct": [
        "村干部上班时间经常不在村部，办事找不到人。",
        "驻村干部办事态度恶劣，对来访群众不耐烦。",
        "村干部操办儿子婚礼大摆宴席，收受礼金。",
    ],
    "other": [
        "建议在村口安装路灯，晚上出行不安全。",
        "村里垃圾清运不及时，堆在河边发臭。",
    ],
}
ANSWERS = [
    "经核查，反映的问题基本属实，已责令村委会限期整改，并在村务公开栏公布整改结果。",
    "经核实，相关款项已按规定发放到户，具体明细已在村务公开栏公示，欢迎监督。",
    "已约谈相关村干部，责令退还多收费用，并纳入年度考核。",
    "经调查，反映的情况与事实不符，相关程序符合规定，已向您当面说明。",
    "已会同有关部门现场核实，问题已整改完毕。",
]
QUESTIONS = ["请说明具体发生的时间。", "能否提供相关收据或照片？", "请问涉及的是哪一个村民小组？"]
REPLIES = ["大概是去年秋收以后。", "收据在我手上，可以提供复印件。", "是第三村民小组。"]
# (stage, share): what happens to a filing
STAGES = [
    ("received", 10),
    ("received_old", 6),
    ("accepted", 12),
    ("accepted_extended", 3),
    ("accepted_overdue", 4),
    ("rated_satisfied", 30),
    ("rated_basically", 8),
    ("not_satisfied", 8),
    ("answered", 6),
    ("answered_old", 4),
    ("refused", 4),
    ("review", 3),
    ("report_ack", 2),
]


@dataclass
class Plan:
    village: Region
    kind: str
    category: str
    text: str
    stage: str
    days_ago: int
    name: str = ""
    phone: str = ""
    consent: bool = False
    channel: str = Channel.PORTAL
    times: dict[str, datetime.datetime] = field(default_factory=dict)


class _Handlers:
    """Who acts for each unit: the demo logins where they sit, else one county discipline account."""

    def __init__(self, county: Region, logins: Any) -> None:
        by_role = {login.role: login for login in logins or []}
        self.users = {
            u.username: u for u in User.objects.filter(username__in=[lg.username for lg in by_role.values()])
        }
        self.by_role = by_role
        self.county = county

    def user(self, role: str) -> User | None:
        login = self.by_role.get(role)
        return self.users.get(login.username) if login else None

    def for_complaint(self, complaint: Complaint) -> User:
        role = {
            Office.TOWNSHIP: Role.TOWNSHIP_LEADER,
            Office.TOWNSHIP_DISCIPLINE: Role.TOWNSHIP_DISCIPLINE,
            Office.COUNTY_CIVIL_AFFAIRS: Role.COUNTY_DEPARTMENT,
            Office.COUNTY_NATURAL_RESOURCES: Role.COUNTY_DEPARTMENT,
            Office.COUNTY_AGRICULTURE: Role.COUNTY_DEPARTMENT,
            Office.COUNTY_COMPLAINTS: Role.COUNTY_DEPARTMENT,
        }.get(complaint.office, Role.COUNTY_DISCIPLINE)
        login = self.by_role.get(role)
        if login is not None and complaint.unit.path.startswith(login.region.path):
            user = self.user(role)
            if user is not None:
                return user
        return self.discipline()

    def discipline(self) -> User:
        user = self.user(Role.COUNTY_DISCIPLINE)
        if user is None:
            raise RuntimeError("the demo county discipline login is missing")
        return user


def _plans(rng: random.Random, villages: list[Region], now: datetime.datetime) -> list[Plan]:
    stages = [s for s, share in STAGES for _ in range(share)]
    plans = []
    for i in range(COUNT):
        category = rng.choice(list(TEXTS))
        stage = stages[i % len(stages)]
        kind = (
            Kind.REPORT
            if category == "conduct" or stage == "report_ack"
            else rng.choice([Kind.COMPLAINT] * 4 + [Kind.SUGGESTION])
        )
        if stage == "review":
            kind = Kind.COMPLAINT
        village = rng.choice(villages)
        text = rng.choice(TEXTS[category]).format(
            village=village.name,
            amount=rng.choice([300, 800, 1200, 2000, 5000, 20000]),
            phone=f"139{rng.randint(10000000, 99999999)}",
        )
        named = rng.random() < 0.35
        days = {
            "received": rng.randint(0, 9),
            "received_old": rng.randint(20, 45),
            "accepted": rng.randint(5, 40),
            "accepted_extended": rng.randint(50, 58),
            "accepted_overdue": rng.randint(70, 100),
            "answered": rng.randint(3, 20),
            "answered_old": rng.randint(90, 120),
            "report_ack": rng.randint(2, 12),
        }.get(stage, rng.randint(30, 150))
        plans.append(
            Plan(
                village=village,
                kind=kind,
                category=category,
                text=text,
                stage=stage,
                days_ago=days,
                name=(rng.choice(SURNAMES) + rng.choice(GIVEN)) if named else "",
                phone=f"13{rng.randint(500000000, 999999999)}" if named else "",
                consent=rng.random() < 0.5,
                channel=rng.choice(
                    [Channel.PORTAL] * 6 + [Channel.PHONE, Channel.VISIT, Channel.LETTER, Channel.SMS]
                ),
            )
        )
    # a few duplicates of earlier filings (same village and wording, a few days later)
    recent = [p for p in plans if p.days_ago <= 20]
    for original in recent[:: max(1, len(recent) // 12)][:12]:
        plans.append(
            Plan(
                village=original.village,
                kind=original.kind,
                category=original.category,
                text=original.text,
                stage="duplicate",
                days_ago=max(0, original.days_ago - rng.randint(1, 5)),
            )
        )
    for plan in plans:
        filed = now - datetime.timedelta(
            days=plan.days_ago, hours=rng.randint(0, 8), minutes=rng.randint(0, 59)
        )
        plan.times = {
            "filed": filed,
            "accepted": filed + datetime.timedelta(days=rng.randint(1, 10), hours=rng.randint(1, 5)),
        }
        span = max(plan.days_ago - (plan.times["accepted"] - filed).days - 1, 1)
        plan.times["answered"] = plan.times["accepted"] + datetime.timedelta(
            days=rng.randint(1, min(span, 40))
        )
        plan.times["rated"] = plan.times["answered"] + datetime.timedelta(days=rng.randint(0, 3), hours=2)
    return plans


def demo_complaints(*, county: Any, logins: Any, seed: int, clean: bool, progress: Any = None) -> str | None:
    """Generate this app's demo data in ``county``; return a one-line summary, or None if nothing was done."""
    villages = list(
        Region.objects.filter(level=RegionLevel.VILLAGE, path__startswith=county.path).order_by("code")
    )
    if not villages or Complaint.objects.filter(village__path__startswith=county.path).exists():
        return None
    rng = random.Random(f"{seed}:{county.code}:complaints")  # noqa: S311 - demo data, not secrets
    now = timezone.now()
    handlers = _Handlers(county, logins)
    plans = sorted(_plans(rng, villages, now), key=lambda p: (p.stage == "duplicate", -p.days_ago))
    intake = handlers.discipline()
    # Rate limits protect the public channels from abuse, not the bootstrap: without this, a second
    # demo in the same process (same deterministic phones) would be refused.
    unlimited = override_settings(SUNLIT_COMPLAINT_FILE_PER_IP=0, SUNLIT_COMPLAINT_FILE_PER_PHONE=0)
    with transaction.atomic(), messaging.muted(), config.limits_cached(), unlimited:
        for plan in plans:
            _run(plan, rng, handlers, intake)
        escalated = services.escalate_due(now=now)
    by_status: dict[str, int] = {}
    for status in Complaint.objects.filter(village__path__startswith=county.path).values_list(
        "status", flat=True
    ):
        by_status[status] = by_status.get(status, 0) + 1
    return _(
        "%(n)d complaints in %(v)d villages (%(answered)d answered or closed, %(escalated)d escalated now)"
    ) % {
        "n": len(plans),
        "v": len({p.village.pk for p in plans}),
        "answered": by_status.get(Status.ANSWERED, 0) + by_status.get(Status.CLOSED, 0),
        "escalated": escalated["escalated"],
    }


def _run(plan: Plan, rng: random.Random, handlers: _Handlers, intake: User) -> None:
    staff_channel = plan.channel in (Channel.PHONE, Channel.VISIT, Channel.LETTER)
    filed = services.complaint_file(
        actor=intake if staff_channel else None,
        channel=plan.channel,
        kind=plan.kind,
        category=plan.category,
        village=plan.village,
        text=plan.text,
        anonymous=not plan.name,
        name=plan.name,
        phone=plan.phone,
        consent_publish=plan.consent,
        phone_verified=bool(plan.phone),  # the demo skips the text-message round trip
    )
    c = filed.complaint
    stage = plan.stage
    if stage not in ("received", "received_old", "duplicate", "report_ack") and c.status == Status.RECEIVED:
        handler = handlers.for_complaint(c)
        if stage == "refused":
            services.complaint_refuse(
                actor=handler, complaint=c, reason="不属于本单位受理范围，已告知向相关部门反映。"
            )
        else:
            services.complaint_accept(actor=handler, complaint=c)
            if rng.random() < 0.3:
                q = rng.randrange(len(QUESTIONS))
                services.complaint_ask(actor=handler, complaint=c, question=QUESTIONS[q])
                services.reporter_reply(complaint=c, text=REPLIES[q])
            if stage == "accepted_extended":
                services.complaint_extend(
                    actor=handler,
                    complaint=c,
                    days=rng.choice([15, 20, 30]),
                    reason="需要会同县直部门现场核查。",
                )
            if stage not in ("accepted", "accepted_extended", "accepted_overdue"):
                services.complaint_answer(actor=handler, complaint=c, answer=rng.choice(ANSWERS))
                if stage == "rated_satisfied":
                    services.complaint_rate(complaint=c, rating=Rating.SATISFIED)
                elif stage == "rated_basically":
                    services.complaint_rate(complaint=c, rating=Rating.BASICALLY)
                elif stage == "not_satisfied":
                    services.complaint_rate(
                        complaint=c, rating=Rating.NOT_SATISFIED, comment="问题没有真正解决。"
                    )
                elif stage == "review" and c.kind == Kind.COMPLAINT:
                    services.review_request(complaint=c, reason="对答复不服，请求复查。")
    _backdate(Complaint.objects.select_related("village").get(pk=c.pk), plan)


def _backdate(c: Complaint, plan: Plan) -> None:
    """Move the business dates of ``c`` to the simulated history and recompute its deadlines."""
    t = plan.times
    c.created_at = t["filed"]
    key = DeadlineKey.REPORT_ACK if c.kind == Kind.REPORT else DeadlineKey.ACCEPT
    if c.accept_due:
        c.accept_due = config.due_after(t["filed"], key)
    if c.accepted_at:
        c.accepted_at = t["accepted"]
        c.claimed_at = t["accepted"]
    if c.closed_at and c.status in (Status.REFUSED, Status.DUPLICATE):
        c.closed_at = t["accepted"] if c.status == Status.REFUSED else t["filed"]
    if c.handle_due and c.status == Status.ACCEPTED and not c.escalation_level and c.stage == "original":
        c.handle_due = config.due_after(
            t["accepted"],
            DeadlineKey.HANDLE,
            days=config.limit(DeadlineKey.HANDLE).days + (c.extension_days or 0),
        )
    if c.answered_at:
        c.answered_at = t["answered"]
        c.request_until = config.due_after(t["answered"], DeadlineKey.REVIEW_REQUEST)
        c.rate_until = config.due_after(t["answered"], DeadlineKey.RATE)
    if c.rated_at:
        c.rated_at = t["rated"]
        if c.status == Status.CLOSED:
            c.closed_at = t["rated"]
    if c.phone_verified_at:
        c.phone_verified_at = t["filed"]
    if c.escalation_level or c.stage != "original":  # moved on after the rating: new limit from then
        c.handle_due = config.due_after(t["rated"], DeadlineKey.REVIEW_ANSWER)
    c.save()
    moments = {
        "filed": t["filed"],
        "verified": t["filed"],
        "duplicate": t["filed"],
        "claimed": t["accepted"],
        "accepted": t["accepted"],
        "refused": t["accepted"],
        "asked": t["accepted"] + datetime.timedelta(hours=3),
        "extended": t["accepted"] + datetime.timedelta(days=40),
        "answered": t["answered"],
        "rated": t["rated"],
        "review_requested": t["rated"],
    }
    ComplaintEvent.objects.filter(complaint=c, action__in=list(moments)).update(
        at=Case(
            *[When(action=action, then=Value(at)) for action, at in moments.items()],
            output_field=DateTimeField(),
        )
    )
    order = list(ComplaintMessage.objects.filter(complaint=c).order_by("id"))
    for n, message in enumerate(order):
        when = {
            "notice": t["accepted"],
            "question": t["accepted"] + datetime.timedelta(hours=3),
            "reply": t["accepted"] + datetime.timedelta(days=1)
            if message.author == "reporter" and n < len(order) - 1
            else t["rated"],
            "answer": t["answered"],
        }.get(message.kind, t["accepted"])
        message.created_at = when + datetime.timedelta(seconds=n)
    ComplaintMessage.objects.bulk_update(order, ["created_at"])
