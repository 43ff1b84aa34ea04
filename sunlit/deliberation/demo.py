"""Demo data for deliberation: called by sunlit.core.demo after the case history.

For the first villages of the demo township: registry persons where the village has too few (the
county demo does not always load the registry), the six bodies with dated memberships, one motion
taken through every stage (meetings, resolutions, plan/resolution/result publications), one motion
waiting for its review meeting, an upcoming meeting on the calendar, three months of duty airing in
which every member reported, and two quarters of discipline team leader scores. Everything goes
through the services (ledger events included) with fixed dates relative to a fixed anchor, so the
content is deterministic; clean data raises no supervision alert.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.core.masking import _id_check_char
from sunlit.core.pii_store import encrypt, id_hash
from sunlit.people.models import Gender, Household, Person, PersonStatus
from sunlit.regions.models import Region, RegionLevel

from . import services
from .models import Body, Meeting
from .vocab import BodyKind, Position, PublicationKind

DEMO_VILLAGES = 3
PERSONS_NEEDED = 30
SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗"
GIVEN = "国建明华军平志伟强秀英芳兰玉春红海涛文斌桂珍"


def _anchor() -> datetime.datetime:
    """Noon of the first day of the month four months before today (local): the demo history runs
    from there to last month, so it is always in the past and always the same shape."""
    today = timezone.localdate()
    month = today.month - 4
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return datetime.datetime(year, month, 1, 9, 0, tzinfo=timezone.get_current_timezone())


def _persons(village: Region, rng: random.Random) -> list[Person]:
    """At least PERSONS_NEEDED living adults of ``village``: the registry's, topped up here."""
    adults = list(
        Person.objects.filter(
            village=village, status=PersonStatus.ALIVE, birth_date__lte=datetime.date(2000, 1, 1)
        ).order_by("id")[:PERSONS_NEEDED]
    )
    missing = PERSONS_NEEDED - len(adults)
    if missing <= 0:
        return adults
    created: list[Person] = []
    n = 0
    while len(created) < missing:
        n += 1
        birth = datetime.date(1950 + rng.randrange(45), 1 + rng.randrange(12), 1 + rng.randrange(28))
        gender = Gender.MALE if rng.random() < 0.6 else Gender.FEMALE
        first17 = f"{village.code[:6]}{birth:%Y%m%d}{rng.randrange(1000):03d}"
        number = first17 + _id_check_char(first17)
        digest = id_hash(number)
        if Person.objects.filter(id_hash=digest).exists() or any(p.id_hash == digest for p in created):
            continue
        household, _new = Household.objects.get_or_create(
            village=village,
            number=f"YS{village.code[-3:]}{len(created) + 1:03d}",
            defaults={"group": "第一村民组"},
        )
        created.append(
            Person(
                village=village,
                household=household,
                name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                gender=gender,
                birth_date=birth,
                id_hash=digest,
                id_token=encrypt(number),
                id_masked=f"{number[:6]}********{number[-4:]}",
            )
        )
    Person.objects.bulk_create(created)
    return adults + list(
        Person.objects.filter(village=village, id_hash__in=[p.id_hash for p in created]).order_by("id")
    )


def _bodies(village: Region, people: list[Person], since: datetime.date) -> dict[str, Body]:
    plan = {
        BodyKind.BRANCH_COMMITTEE: people[:3],
        BodyKind.TWO_COMMITTEES: people[:6],
        BodyKind.PARTY_MEMBERS: people[:12],
        BodyKind.VILLAGER_REPRESENTATIVES: people[6:21],
        BodyKind.SUPERVISION_COMMITTEE: people[21:24],
    }
    bodies: dict[str, Body] = {}
    for kind, members in plan.items():
        body = services.body_create(actor=None, village=village, kind=kind)
        for i, person in enumerate(members):
            position = Position.MEMBER
            if i == 0 and kind in (
                BodyKind.BRANCH_COMMITTEE,
                BodyKind.TWO_COMMITTEES,
                BodyKind.PARTY_MEMBERS,
            ):
                position = Position.SECRETARY
            elif i == 1 and kind == BodyKind.TWO_COMMITTEES:
                position = Position.CHAIR
            elif i == 0 and kind == BodyKind.SUPERVISION_COMMITTEE:
                position = Position.SUPERVISION_CHAIR
            elif i == 2 and kind == BodyKind.SUPERVISION_COMMITTEE:
                position = Position.DISCIPLINE_LEADER
            services.membership_add(actor=None, body=body, person=person, started_on=since, position=position)
        bodies[kind] = body
    bodies[BodyKind.VILLAGERS_MEETING] = services.body_create(
        actor=None, village=village, kind=BodyKind.VILLAGERS_MEETING
    )
    return bodies


def _meet(
    body: Body, motion: Any, start: datetime.datetime, title: str, text: str, rng: random.Random
) -> Any:
    notice = start - datetime.timedelta(days=4)
    meeting = services.meeting_convene(
        actor=None, body=body, title=title, starts_at=start, notice_sent_at=notice, motion=motion,
        location="村委会会议室", now=notice,
    )  # fmt: skip
    members = services.members_on(body, timezone.localdate(start))
    absent = rng.randrange(0, max(1, len(members) // 4))  # at most a quarter absent: always quorate
    present = members[: len(members) - absent]
    services.meeting_attendance(actor=None, meeting=meeting, present_ids=[p.pk for p in present], now=start)
    ballots = {p.pk: "for" for p in present}
    if len(present) > 4:
        ballots[present[-1].pk] = "abstain"
    res = services.meeting_vote(actor=None, meeting=meeting, text=text, ballots=ballots, now=start)
    services.meeting_minutes(
        actor=None, meeting=meeting, minutes=f"{title}。{text}与会人员充分讨论，形成决议。"
    )
    return res


def _full_motion(village: Region, bodies: dict[str, Body], t0: datetime.datetime, rng: random.Random) -> None:
    day = datetime.timedelta(days=1)
    title = f"{village.name}村组道路硬化工程"
    motion = services.motion_open(
        actor=None, village=village, title=title, summary="硬化村组道路2.3公里，预算48万元。", now=t0
    )
    _meet(
        bodies[BodyKind.BRANCH_COMMITTEE],
        motion,
        t0 + 5 * day,
        "村党组织提议会",
        "同意提议实施村组道路硬化工程。",
        rng,
    )
    _meet(
        bodies[BodyKind.TWO_COMMITTEES],
        motion,
        t0 + 10 * day,
        "两委联席会议商议",
        "形成道路硬化初步方案。",
        rng,
    )
    services.motion_publish(
        actor=None, motion=motion, kind=PublicationKind.PLAN, title=f"关于{title}方案的公示",
        body="道路硬化方案：硬化村组道路2.3公里，预算48万元，资金来源为上级奖补和村集体收入。", now=t0 + 11 * day,
    )  # fmt: skip
    _meet(
        bodies[BodyKind.PARTY_MEMBERS], motion, t0 + 15 * day, "党员大会审议", "审议通过道路硬化方案。", rng
    )
    res = _meet(
        bodies[BodyKind.VILLAGER_REPRESENTATIVES],
        motion,
        t0 + 27 * day,
        "村民代表会议决议",
        "决定实施村组道路硬化工程。",
        rng,
    )
    services.motion_publish(
        actor=None, motion=motion, kind=PublicationKind.RESOLUTION, title=f"关于{title}的决议公开",
        body=f"村民代表会议决议：{res.text}应到{res.expected}人，实到{res.present}人，同意{res.votes_for}人。", now=t0 + 28 * day,
    )  # fmt: skip
    services.stage_complete(actor=None, motion=motion, now=t0 + 31 * day)
    services.stage_complete(actor=None, motion=motion, note="工程已按方案完成并通过验收。", now=t0 + 70 * day)
    services.motion_publish(
        actor=None, motion=motion, kind=PublicationKind.RESULT, title=f"关于{title}实施结果的公开",
        body="工程实际支出46.8万元，已通过乡镇组织的验收。", now=t0 + 71 * day,
    )  # fmt: skip
    services.stage_complete(actor=None, motion=motion, now=t0 + 78 * day)
    services.stage_complete(
        actor=None, motion=motion, note="村务监督委员会组织评议，群众满意。", now=t0 + 80 * day
    )


def _open_motion(village: Region, bodies: dict[str, Body], t0: datetime.datetime, rng: random.Random) -> None:
    day = datetime.timedelta(days=1)
    motion = services.motion_open(
        actor=None, village=village, title=f"{village.name}集体鱼塘发包", now=t0 + 60 * day
    )
    _meet(
        bodies[BodyKind.BRANCH_COMMITTEE],
        motion,
        t0 + 65 * day,
        "村党组织提议会",
        "同意将集体鱼塘公开发包。",
        rng,
    )
    _meet(
        bodies[BodyKind.TWO_COMMITTEES], motion, t0 + 70 * day, "两委联席会议商议", "形成鱼塘发包方案。", rng
    )
    services.motion_publish(
        actor=None, motion=motion, kind=PublicationKind.PLAN, title=f"关于{village.name}集体鱼塘发包方案的公示",
        body="鱼塘面积30亩，发包期5年，底价每年1.2万元，公开竞价。", now=t0 + 71 * day,
    )  # fmt: skip
    # the review meeting is on the calendar, two weeks from today
    start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0) + datetime.timedelta(days=14)
    services.meeting_convene(
        actor=None, body=bodies[BodyKind.PARTY_MEMBERS], title="党员大会审议鱼塘发包方案", starts_at=start,
        notice_sent_at=timezone.now(), motion=motion, location="村党群服务中心",
    )  # fmt: skip


def _duty(village: Region, t0: datetime.datetime) -> int:
    reports = 0
    for months in (1, 2, 3):
        first = (t0.date().replace(day=1) + datetime.timedelta(days=31 * months)).replace(day=1)
        held = first + datetime.timedelta(days=24)
        session = services.duty_session_open(
            actor=None,
            village=village,
            held_on=held,
            now=timezone.make_aware(datetime.datetime.combine(held, datetime.time(16))),
        )
        for person in services.session_members(session):
            services.duty_report_record(
                actor=None, session=session, person=person,
                duties="按分工做好联系群众、村务管理和项目监督工作。", eight_rules_ok=True,
                gifts_received=False, obstruction=False, major_matters="参与村组道路硬化工程决策。",
                problems="群众对工程进度关注较多，已及时答复。", peer_comments="履职认真。",
            )  # fmt: skip
            reports += 1
        services.duty_session_conclude(
            actor=None, session=session, conclusion="本月班子成员均能正确用权，未发现违规问题。"
        )
    return reports


def _scores(
    villages: list[Region], leaders: dict[int, Person], t0: datetime.datetime, rng: random.Random
) -> int:
    year = t0.year
    quarter = (t0.month - 1) // 3 + 1
    quarters = []
    for _i in range(2):
        quarter -= 1
        if quarter == 0:
            year, quarter = year - 1, 4
        quarters.append(f"{year}Q{quarter}")
    from . import config

    aspects = config.effective(villages[0])["score_aspects"]
    count = 0
    for q in reversed(quarters):
        for village in villages:
            scores = {a["key"]: a["max"] - rng.randrange(0, 3) for a in aspects}
            services.leader_score_record(
                actor=None, village=village, quarter=q, leader=leaders[village.pk], scores=scores
            )
            count += 1
    return count


def demo_deliberation(
    *, county: Any, logins: Any, seed: int, clean: bool, progress: Any = None
) -> str | None:
    """Generate this app's demo data in ``county``; return a one-line summary, or None if nothing was done."""
    from sunlit.core.demo import demo_login_regions

    _county, township, first = demo_login_regions()
    villages = [
        first,
        *list(
            Region.objects.filter(parent=township, level=RegionLevel.VILLAGE)
            .exclude(pk=first.pk)
            .order_by("code")[: DEMO_VILLAGES - 1]
        ),
    ]
    if Body.objects.filter(village__in=villages).exists():
        return None
    rng = random.Random(f"{seed}:{county.code}:deliberation")  # noqa: S311 - demo data, not security
    t0 = _anchor()
    since = (t0 - datetime.timedelta(days=400)).date()
    leaders: dict[int, Person] = {}
    reports = 0
    with transaction.atomic():
        for village in villages:
            people = _persons(village, rng)
            bodies = _bodies(village, people, since)
            leaders[village.pk] = people[23]
            _full_motion(village, bodies, t0, rng)
            _open_motion(village, bodies, t0, rng)
            reports += _duty(village, t0)
        scores = _scores(villages, leaders, t0, rng)
    meetings = Meeting.objects.filter(village__in=villages).count()
    return _(
        "%(villages)d villages, %(meetings)d meetings, %(motions)d motions, %(reports)d duty reports, "
        "%(scores)d leader scores"
    ) % {
        "villages": len(villages),
        "meetings": meetings,
        "motions": 2 * len(villages),
        "reports": reports,
        "scores": scores,
    }
