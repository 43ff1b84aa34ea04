"""Demo cases for ``sunlit demo``: three months of genuine history, made by the real services.

Every case, step, document, vote, notice, objection, seal use and termination is written by
``sunlit.cases.services`` (so each one is in the ledger), under a simulated clock (time-machine)
that moves forward through the last :data:`SIM_DAYS` days in chronological order and stops at the
real current time. Ledger times therefore only ever grow, notices still running are open *now*, and
steps whose deadline has passed are overdue *now*.

Cases are spread over a sample of the demo county's villages (the village of the printed logins
first, where the printed accounts do the work, so those logins have things to do). Each village gets
every shape in :data:`QUOTA` in the first village (so every state exists, even in a small sample), part of them in the others, and a few
more picked at random. The same seed gives the same history for the same day; the tracking numbers
and notice codes are random (``secrets``) by design.

Only the demo command imports this module (through ``sunlit.core.demo``).
"""

from __future__ import annotations

import datetime
import hashlib
import heapq
import io
import itertools
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import time_machine
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.accounts.models import User
from sunlit.accounts.roles import ROLE_LEVELS, Role
from sunlit.accounts.services import role_grant, user_create
from sunlit.core.calendar import add_working_days, is_working_day
from sunlit.core.models import AuditEvent
from sunlit.powers.vocab import StepKind
from sunlit.regions.models import Region, RegionLevel

from . import engine, services
from .errors import CaseRefused
from .models import Case, Objection, StepInstance
from .vocab import CaseStatus, SealKind

SIM_DAYS = 91  # the history covers about the last three months
SAMPLE_VILLAGES = 40  # villages with cases (of ≈300 in the demo county)
QUOTA_OTHERS = 5  # shapes of the quota (in rotation) in every other sampled village
EXTRA_CASES = (1, 4)  # random cases per village on top of the quota
EXCEPTION_EVERY = 6  # a seal use without a case (a logged exception) in the first and every sixth village
# A story stopping at a step due this close to the end is carried on instead (it is neither clearly
# overdue nor clearly not when supervision looks a moment later).
LATE_MARGIN = datetime.timedelta(hours=2)

Progress = Callable[[str, str, float], None]  # (step, detail, seconds), as sunlit.core.demo

_WORK_START = datetime.time(8, 30)
_WORK_MINUTES = 9 * 60  # 08:30–17:30

SURNAMES = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "胡",
    "朱",
    "郭",
    "何",
    "罗",
    "高",
    "林",
    "余",
    "彭",
    "曾",
    "汪",
    "程",
    "詹",
    "柯",
    "熊",
    "付",
    "晏",
    "涂",
    "易",
]
GIVEN = [
    "建国",
    "秀英",
    "桂兰",
    "玉梅",
    "国强",
    "志刚",
    "德华",
    "春生",
    "冬梅",
    "金凤",
    "长青",
    "明亮",
    "海燕",
    "红霞",
    "永福",
    "振华",
    "家兴",
    "守成",
    "文斌",
    "淑珍",
    "小军",
    "凤英",
    "兰芝",
    "有才",
    "宏伟",
    "光荣",
    "世杰",
    "秋菊",
]
PROJECTS = [
    "村组道路硬化",
    "文化广场修建",
    "饮水安全巩固提升",
    "茶园基地建设",
    "村部维修",
    "塘堰清淤",
    "路灯安装",
    "光伏电站收益分配",
    "集体林地承包",
    "村小学旧址出租",
]
PURCHASES = ["办公用品", "防汛物资", "路灯配件", "保洁工具", "党建宣传栏", "监控设备", "茶叶加工设备"]
CERTIFICATES = ["居住", "亲属关系", "家庭经济状况", "务农", "无宅基地"]
DISPUTES = ["宅基地边界", "土地承包", "邻里排水", "赡养", "山林权属"]
VOTE_BODIES = {  # (smallest, largest) number entitled to vote
    "two_committees": (5, 9),
    "party_members": (18, 45),
    "villager_representatives": (25, 45),
    "villagers": (260, 520),
    "members": (120, 300),
}
DEFAULT_BODY = (20, 40)
TRUE_BY_DEFAULT = frozenset(
    {
        "eligible",
        "approved",
        "accepted",
        "lawful",
        "contract_ok",
        "in_catalog",
        "facts_verified",
        "county_approved",
        "township_approved",
        "agreed",
    }
)
SEAL_STEPS = {"seal": SealKind.COMMITTEE, "contract": SealKind.ECONOMIC, "archive": SealKind.COMMITTEE}
TERMINATION_REASONS = (
    "申请人书面撤回申请。",
    "申请人户籍已迁出本村，转由迁入地受理。",
    "申请人已去世，按规定终止办理。",
    "经村民代表会议研究，项目暂缓实施。",
)
EXCEPTION_REASONS = (
    "县民政局紧急调取材料，书记电话同意后用印，次日补登记。",
    "乡镇防汛紧急通知需当日盖章回执，事后补办审批。",
    "为村民开具外出务工证明，系统临时故障，事后补录。",
)
OBJECTION_TEXTS = (
    "申请人家里有一辆小轿车，是否符合条件？",
    "申请人儿子在城里有房有工作，请核实赡养能力。",
    "公示名单里的面积和实际不一致。",
    "这个价格比市场价高，建议重新询价。",
)
OBJECTION_ANSWERS = (
    "经入户核实，车辆已于去年过户他人，异议不成立，已当面答复。",
    "经调查核实，所反映情况与事实不符，异议不成立，已书面答复。",
    "经核实情况属实，异议成立，退回重新调查。",
)


# --- what happens to a case -----------------------------------------------------------------------


@dataclass
class Plan:
    """How one case unfolds: which answers its officials give and where its story stops."""

    shape: str
    item: str
    title: str
    variables: dict[str, Any] = field(default_factory=dict)
    parties: list[dict[str, Any]] = field(default_factory=list)
    answers: dict[str, list[Any]] = field(default_factory=dict)  # variable → value per visit
    fail_votes: frozenset[str] = frozenset()  # vote steps whose first vote fails
    stop_at: tuple[str, ...] = ()  # stop acting on entering one of these step kinds (with a deadline)
    stop_key: str = ""  # … or this step
    terminate_at: str = ""  # terminate on entering this step
    objection: str = ""  # "", "open", "dismissed", "upheld": at the first public notice
    recent: bool = False  # started in the last days, so it is where it stops *now*
    pace: tuple[int, int] = (1, 3)  # working days between steps


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _applicant(rng: random.Random) -> tuple[str, list[dict[str, Any]]]:
    name = _person(rng)
    return name, [{"role": "applicant", "name": name}]


def _shape_dibao(rng: random.Random, shape: str) -> Plan:
    name, parties = _applicant(rng)
    plan = Plan(shape, "VS-01", f"{name} 最低生活保障申请", parties=parties)
    if shape == "refused":
        plan.answers["county_result"] = ["reject"]
    elif shape == "returned":
        plan.answers["township_result"] = ["return", "pass"]
    elif shape == "upheld":
        plan.objection = "upheld"
    return plan


def _shape(rng: random.Random, shape: str) -> Plan:
    """A plan of the given shape (its item varies by shape; the details come from ``rng``)."""
    if shape == "approved":
        plan = _shape_dibao(rng, "approved")
        plan.objection = rng.choice(["", "dismissed"])
        return plan
    if shape == "refused":
        kind = rng.choice(["dibao", "age", "certificate"])
        if kind == "dibao":
            return _shape_dibao(rng, "refused")
        name, parties = _applicant(rng)
        if kind == "age":
            return Plan(
                shape, "VS-09", f"{name} 高龄津贴申领", {"age": rng.randint(76, 79)}, parties, pace=(0, 2)
            )
        return Plan(
            shape,
            "VS-07",
            f"为{name}出具{rng.choice(CERTIFICATES)}证明",
            parties=parties,
            answers={"facts_verified": [False]},
            pace=(0, 1),
        )
    if shape == "withdrawn":
        project = rng.choice(PROJECTS)
        return Plan(shape, "PA-01", f"{project}（四议两公开）", fail_votes=frozenset({"resolve"}))
    if shape == "overdue":
        kind = rng.choice(["survey", "sign", "review"])
        if kind == "survey":
            plan = _shape_dibao(rng, "approved")
            plan.stop_key = "survey"
            return plan
        if kind == "sign":
            purpose = rng.choice(PURCHASES)
            return Plan(
                shape,
                "PA-07",
                f"支付{purpose}款",
                {"amount": rng.randrange(2500, 28000, 100)},
                stop_key="sign_chair",
            )
        name, parties = _applicant(rng)
        return Plan(shape, "VS-08", f"{name} 残疾人两项补贴申请", parties=parties, stop_key="township_review")
    if shape == "at_vote":
        plan = _shape_dibao(rng, "approved")
        plan.stop_at, plan.recent, plan.pace = (StepKind.VOTE,), True, (0, 0)
        return plan
    if shape in ("notice_open", "notice_answered", "notice_quiet"):
        name, parties = _applicant(rng)
        choice = rng.choice(["VS-08", "VS-09", "VS-06"]) if shape != "notice_quiet" else "PA-12"
        titles = {
            "VS-08": f"{name} 残疾人两项补贴申请",
            "VS-09": f"{name} 高龄津贴申领",
            "VS-06": f"{name} 耕地地力保护补贴申报",
            "PA-12": f"{timezone.localdate():%Y}年第{rng.randint(1, 4)}季度财务收支公开",
        }
        plan = Plan(
            shape,
            choice,
            titles[choice],
            {"age": rng.randint(80, 96)} if choice == "VS-09" else {},
            [] if choice == "PA-12" else parties,
            stop_at=(StepKind.PUBLIC_NOTICE,),
            recent=True,
            pace=(0, 0),
        )
        plan.objection = {"notice_open": "open", "notice_answered": "dismissed"}.get(shape, "")
        return plan
    if shape == "terminated":
        name, parties = _applicant(rng)
        plan = Plan(
            shape, "VS-03", f"{name} 临时救助申请", {"amount": rng.randrange(500, 3000, 100)}, parties
        )
        plan.terminate_at = rng.choice(["village_check", "township_review"])
        return plan
    if shape == "certificate":
        name, parties = _applicant(rng)
        return Plan(
            shape, "VS-07", f"为{name}出具{rng.choice(CERTIFICATES)}证明", parties=parties, pace=(0, 1)
        )
    if shape == "at_task":
        purpose = rng.choice(PURCHASES)
        amount = rng.randrange(21000, 90000, 500)
        return Plan(
            shape, "PA-04", f"采购{purpose}", {"amount": amount}, stop_key="inquiry", recent=True, pace=(0, 0)
        )
    if shape == "at_document":
        name, parties = _applicant(rng)
        return Plan(
            shape,
            "VS-07",
            f"为{name}出具{rng.choice(CERTIFICATES)}证明",
            parties=parties,
            stop_at=(StepKind.DOCUMENT,),
            recent=True,
            pace=(0, 0),
        )
    if shape == "mediation":
        a, b = _person(rng), _person(rng)
        return Plan(
            shape,
            "VS-13",
            f"{a}与{b}{rng.choice(DISPUTES)}纠纷调解",
            parties=[{"role": "applicant", "name": a}, {"role": "counterparty", "name": b}],
            answers={"agreed": [rng.random() < 0.8]},
        )
    if shape == "land":
        name, parties = _applicant(rng)
        area = rng.randrange(20, 160, 5)
        return Plan(
            shape,
            "VS-14",
            f"{name}土地经营权流转备案（{area}亩）",
            {"area_mu": area, "corporate": rng.random() < 0.3},
            parties,
        )
    if shape == "expense":
        purpose = rng.choice(PURCHASES)
        return Plan(shape, "PA-07", f"支付{purpose}款", {"amount": rng.randrange(800, 60000, 100)})
    raise ValueError(shape)  # pragma: no cover


# Every shape in the first sampled village (so every state exists however small the sample), a
# rotating part of them in the others.
QUOTA = (
    "approved",
    "refused",
    "withdrawn",
    "overdue",
    "at_vote",
    "notice_open",
    "notice_answered",
    "notice_quiet",
    "terminated",
    "certificate",
    "at_task",
    "at_document",
)
EXTRAS = (
    ("approved", 1),
    ("certificate", 3),
    ("expense", 3),
    ("mediation", 2),
    ("land", 2),
    ("refused", 1),
    ("returned", 1),
    ("upheld", 1),
)


def _extra_plan(rng: random.Random) -> Plan:
    shapes, weights = zip(*EXTRAS, strict=True)
    shape = rng.choices(shapes, weights)[0]
    if shape in ("returned", "upheld"):
        plan = _shape_dibao(rng, shape)
        plan.shape = shape
        return plan
    return _shape(rng, shape)


# --- the simulated clock --------------------------------------------------------------------------


class Clock:
    """A frozen clock that only moves forward (so ledger times are monotonic)."""

    def __init__(self, traveller: Any, start: datetime.datetime) -> None:
        self._traveller = traveller
        self.now = start

    def at(self, when: datetime.datetime) -> datetime.datetime:
        self.now = max(when, self.now + datetime.timedelta(seconds=1))
        self._traveller.move_to(self.now)
        return self.now

    def tick(self, rng: random.Random, minutes: tuple[int, int] = (1, 6)) -> datetime.datetime:
        return self.at(
            self.now + datetime.timedelta(minutes=rng.randint(*minutes), seconds=rng.randint(0, 59))
        )


def _working_days_back(day: datetime.date, count: int) -> datetime.date:
    while count:
        day -= datetime.timedelta(days=1)
        count -= int(is_working_day(day))
    return day


def _office_time(day: datetime.date, rng: random.Random, tz: Any) -> datetime.datetime:
    minutes = rng.randint(0, _WORK_MINUTES)
    start = datetime.datetime.combine(day, _WORK_START, tzinfo=tz)
    return start + datetime.timedelta(minutes=minutes, seconds=rng.randint(0, 59))


def _later(after: datetime.datetime, working_days: int, rng: random.Random) -> datetime.datetime:
    """An office-hours moment ``working_days`` working days after ``after`` (0: a little later the
    same working day when possible, else the next working day)."""
    tz = engine.local_tz()
    local = after.astimezone(tz)
    day = local.date()
    if working_days > 0:
        day = add_working_days(day, working_days)
    else:
        soon = local + datetime.timedelta(minutes=rng.randint(10, 120))
        if is_working_day(day) and local.time() >= _WORK_START and soon.time() <= datetime.time(17, 30):
            return soon
        day = add_working_days(day, 0 if local.time() < _WORK_START else 1)
    for _attempt in range(5):
        when = _office_time(day, rng, tz)
        if when > after:
            return when
    return after + datetime.timedelta(minutes=rng.randint(10, 90))


# --- staff ---------------------------------------------------------------------------------------


class Staff:
    """Who does the work: the printed demo logins in their own regions, elsewhere one account per
    role and region (no password: they are the people behind the history, not logins)."""

    def __init__(self, county: Region, logins: list[Any], rng: random.Random) -> None:
        self.county = county
        self.rng = rng
        self.created = 0
        users = {
            u.username: u for u in User.objects.filter(username__in=[login.username for login in logins])
        }
        self._users: dict[tuple[str, int], User] = {
            (login.role, login.region.pk): users[login.username]
            for login in logins
            if login.username in users
        }

    def get(self, role: str, region: Region) -> User:
        key = (role, region.pk)
        user = self._users.get(key)
        if user is None:
            username = f"{role}.{region.code}"
            user = User.objects.filter(username=username).first()
            if user is None:
                user = user_create(
                    actor=None,
                    username=username,
                    password=None,  # type: ignore[arg-type] - an unusable password: not a login
                    display_name=f"{_person(self.rng)}（演示）",
                    validate=False,
                )
                self.created += 1
            role_grant(actor=None, user=user, role=role, region=region)
            self._users[key] = user
        return user

    def for_step(self, step_role: str, village: Region) -> User:
        role = Role.VILLAGE_COMMITTEE if step_role == Role.APPLICANT else step_role
        levels = ROLE_LEVELS[role]
        if RegionLevel.VILLAGE in levels:
            return self.get(role, village)
        if RegionLevel.TOWNSHIP in levels:
            return self.get(role, village.parent)
        return self.get(role, self.county)

    def prepare(self, villages: list[Region]) -> None:
        """Create everyone up front, at the start of the history."""
        for village in villages:
            for role in (
                Role.VILLAGE_SECRETARY,
                Role.VILLAGE_CHAIR,
                Role.VILLAGE_COMMITTEE,
                Role.VILLAGE_ACCOUNTANT,
                Role.VILLAGE_CLERK,
                Role.VILLAGE_SUPERVISOR,
                Role.TOWNSHIP_REVIEWER,
                Role.TOWNSHIP_LEADER,
                Role.TOWNSHIP_LIAISON,
                Role.COUNTY_DEPARTMENT,
            ):
                self.for_step(role, village)


# --- documents -----------------------------------------------------------------------------------


class Documents:
    """Small generated PDFs, one per document name and variant: many cases upload the same bytes,
    which the content-addressed store keeps once."""

    VARIANTS = 2

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int], bytes] = {}

    def pdf(self, name: str, variant: int) -> bytes:
        key = (name, variant % self.VARIANTS)
        data = self._cache.get(key)
        if data is None:
            data = self._cache[key] = _make_pdf(name, key[1])
        return data


def _make_pdf(name: str, variant: int) -> bytes:
    from reportlab.lib.pagesizes import A5
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A5, invariant=1)  # invariant: same bytes every time
    page.setTitle(name)
    page.setFont("STSong-Light", 18)
    page.drawString(48, 520, name)
    page.setFont("STSong-Light", 11)
    page.drawString(48, 490, f"阳光村务演示文件（样本 {variant + 1}）")
    page.drawString(48, 470, "Sunlit demo document — generated, not a real record.")
    page.drawString(48, 450, hashlib.sha256(name.encode()).hexdigest()[:32])
    page.showPage()
    page.save()
    return buffer.getvalue()


# --- the simulation ------------------------------------------------------------------------------


@dataclass
class CasesReport:
    villages: int = 0
    cases: int = 0
    staff_created: int = 0
    documents: int = 0
    steps_completed: int = 0
    votes: int = 0
    objections: int = 0
    seal_uses: int = 0
    seal_exceptions: int = 0
    service_calls: int = 0
    ledger_events: int = 0
    by_status: Counter = field(default_factory=Counter)
    overdue: int = 0
    notices_open: int = 0
    first: datetime.datetime | None = None
    notes: list[str] = field(default_factory=list)
    # What supervision must find in this history, on purpose: (rule code, finding key, description).
    expected: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class _Live:
    plan: Plan
    village: Region
    rng: random.Random
    case: Case | None = None
    visits: Counter = field(default_factory=Counter)  # variable → times answered
    voted: set[str] = field(default_factory=set)  # vote steps that already had their failing vote
    objected: bool = False
    open_objection: Objection | None = None
    done: bool = False


def cases_loaded(county: Region) -> bool:
    """The marker of loaded demo cases: the county has cases (the demo then adds none)."""
    return Case.objects.filter(village__path__startswith=county.path).exists()


def sample_villages(county: Region, first: Region, count: int, rng: random.Random) -> list[Region]:
    villages = list(
        Region.objects.filter(path__startswith=county.path, level=RegionLevel.VILLAGE)
        .select_related("parent")
        .order_by("code")
    )
    others = [v for v in villages if v.pk != first.pk]
    picked = rng.sample(others, min(max(count - 1, 0), len(others)))
    first = next(v for v in villages if v.pk == first.pk)
    return [first, *sorted(picked, key=lambda v: v.code)]


def demo_cases(
    *,
    county: Region,
    first_village: Region,
    logins: list[Any],
    seed: int,
    villages: int = SAMPLE_VILLAGES,
    progress: Progress | None = None,
    clean: bool = False,
) -> CasesReport | None:
    """Generate the demo cases of ``county`` (None when it already has cases). Runs inside the
    caller's transaction; documents are written to the content-addressed store as they go.

    The history deliberately contains what supervision flags (steps left overdue, seal uses without a
    case); each is listed in ``report.expected``. ``clean``: none of them (no seal exceptions, and a
    story that would stop at a step overdue by now carries on), so supervision must find nothing."""
    if cases_loaded(county):
        return None
    rng = random.Random(f"{seed}:{county.code}:cases")  # noqa: S311 - demo data, not security
    report = CasesReport()
    ledger_before = AuditEvent.objects.count()
    tz = engine.local_tz()
    real_now = timezone.now()
    today = real_now.astimezone(tz).date()
    start = datetime.datetime.combine(today - datetime.timedelta(days=SIM_DAYS), _WORK_START, tzinfo=tz)
    last_event = AuditEvent.objects.aggregate(last=Max("time"))["last"]
    if last_event is not None and last_event >= start:
        # The ledger only grows in time: history cannot be written before events already in it.
        start = last_event + datetime.timedelta(seconds=1)
        report.notes.append(
            _("The ledger already has events after the start of the demo history; it starts at %(t)s.")
            % {"t": timezone.localtime(start).strftime("%Y-%m-%d %H:%M")}
        )
    report.first = start
    sample = sample_villages(county, first_village, villages, rng)
    report.villages = len(sample)

    started = time.perf_counter()
    with time_machine.travel(start, tick=False) as traveller:
        clock = Clock(traveller, start)
        staff = Staff(county, logins, random.Random(f"{seed}:{county.code}:staff"))  # noqa: S311
        staff.prepare(sample)
        report.staff_created = staff.created
        if progress:
            progress(
                "case staff",
                _("%(n)d cadres in %(v)d sampled villages") % {"n": staff.created, "v": len(sample)},
                time.perf_counter() - started,
            )
        sim = _Simulation(clock, staff, Documents(), report, real_now, rng, clean=clean)
        sim.schedule_all(sample, start)
        sim.run(progress)
    report.ledger_events = AuditEvent.objects.count() - ledger_before
    counted = Case.objects.filter(village__in=sample)
    report.by_status = Counter(counted.values_list("status", flat=True))
    report.overdue = StepInstance.objects.filter(
        case__in=counted, status="active", due_at__lt=timezone.now()
    ).count()
    now = timezone.now()
    report.notices_open = (
        counted.filter(notices__opens_at__lte=now, notices__closes_at__gt=now, status=CaseStatus.ACTIVE)
        .distinct()
        .count()
    )
    return report


class _Simulation:
    def __init__(
        self,
        clock: Clock,
        staff: Staff,
        documents: Documents,
        report: CasesReport,
        end: datetime.datetime,
        rng: random.Random,
        clean: bool = False,
    ) -> None:
        self.clean = clean
        self.clock = clock
        self.staff = staff
        self.documents = documents
        self.report = report
        self.end = end
        self.rng = rng
        self.queue: list[tuple[datetime.datetime, int, Callable[[], None]]] = []
        self.counter = itertools.count()
        self.routing: dict[int, tuple[dict[str, str], list[str]]] = {}

    def at(self, when: datetime.datetime, action: Callable[[], None]) -> None:
        if when < self.end:
            heapq.heappush(self.queue, (when, next(self.counter), action))

    # -- planning --

    def schedule_all(self, villages: list[Region], start: datetime.datetime) -> None:
        span = (self.end - start).total_seconds()
        for index, village in enumerate(villages):
            vrng = random.Random(f"{self.rng.random()}")  # noqa: S311 - one stream per village
            # The first village (the printed logins') has every shape; the others some of them.
            shapes = (
                QUOTA
                if index == 0
                else [QUOTA[(index * QUOTA_OTHERS + k) % len(QUOTA)] for k in range(QUOTA_OTHERS)]
            )
            plans = [_shape(vrng, shape) for shape in shapes]
            plans += [_extra_plan(vrng) for _ in range(vrng.randint(*EXTRA_CASES))]
            for plan in plans:
                live = _Live(plan, village, random.Random(vrng.random()))  # noqa: S311
                if plan.recent:
                    # The last few working days: the case is where its story stops now.
                    day = _working_days_back(
                        self.end.astimezone(engine.local_tz()).date(), vrng.randint(2, 4)
                    )
                    when = datetime.datetime.combine(
                        day, datetime.time(9, vrng.randint(0, 59)), engine.local_tz()
                    )
                elif plan.shape in ("overdue",):
                    when = start + datetime.timedelta(seconds=vrng.uniform(0.05, 0.45) * span)
                else:  # long stories start early enough to finish
                    when = start + datetime.timedelta(seconds=vrng.uniform(0, 0.55) * span)
                self.at(_later(when, 0, vrng), lambda live=live: self.start(live))
            if index % EXCEPTION_EVERY == 0 and not self.clean:
                when = start + datetime.timedelta(seconds=vrng.uniform(0.1, 0.95) * span)
                self.at(_later(when, 0, vrng), lambda village=village: self.seal_exception(village))

    def run(self, progress: Progress | None) -> None:
        started = time.perf_counter()
        month = None
        done_before = 0
        while self.queue:
            when, _n, action = heapq.heappop(self.queue)
            label = when.astimezone(engine.local_tz()).strftime("%Y-%m")
            if month is not None and label != month and progress:
                self._progress(progress, month, started, done_before)
                started, done_before = time.perf_counter(), self.report.service_calls
            month = label
            self.clock.at(when)
            action()
        if month is not None and progress:
            self._progress(progress, month, started, done_before)

    def _progress(self, progress: Progress, month: str, started: float, calls_before: int) -> None:
        progress(
            f"cases {month}",
            _("%(cases)d cases started so far, %(calls)d service calls this month")
            % {"cases": self.report.cases, "calls": self.report.service_calls - calls_before},
            time.perf_counter() - started,
        )

    # -- acting --

    def start(self, live: _Live) -> None:
        plan = live.plan
        actor = self.staff.for_step(Role.VILLAGE_COMMITTEE, live.village)
        live.case = services.case_start(
            actor=actor,
            village=live.village,
            item_code=plan.item,
            title=plan.title,
            variables=plan.variables,
            parties=plan.parties,
        )
        self.report.cases += 1
        self.report.service_calls += 1
        self.entered(live)

    def entered(self, live: _Live) -> None:
        """The case just entered a step: decide what happens next and when."""
        case = live.case
        assert case is not None
        # The services keep the case object they were given up to date (status, current step).
        instance = case.current
        if case.status != CaseStatus.ACTIVE or instance is None:
            live.done = True
            return
        step, plan, rng = instance.step, live.plan, live.rng
        if plan.terminate_at and step.key == plan.terminate_at:
            self.at(_later(self.clock.now, rng.randint(1, 4), rng), lambda: self.terminate(live))
            return
        if (step.key == plan.stop_key or step.kind in plan.stop_at) and self._may_stop(live, instance):
            # The story stops here: nobody acts (a deadline passes, or the notice runs on).
            if step.kind == StepKind.PUBLIC_NOTICE and plan.objection and not live.objected:
                self._schedule_objection(live, instance)
            return
        if step.kind == StepKind.PUBLIC_NOTICE:
            if plan.objection and not live.objected:
                self._schedule_objection(live, instance)
                return
            self.at(_later(instance.not_before, rng.randint(0, 1), rng), lambda: self.complete(live))
            return
        lo, hi = plan.pace
        self.at(_later(self.clock.now, rng.randint(lo, hi), rng), lambda: self.complete(live))

    def _may_stop(self, live: _Live, instance: StepInstance) -> bool:
        """Whether the story may stop at ``instance``; a stop leaving the step overdue now is expected
        of supervision (and never happens in a clean history: the story carries on instead)."""
        due = instance.due_at
        if due is None or due > self.end + LATE_MARGIN:
            return True
        if self.clean or due > self.end:
            return False
        self.report.expected.append(
            (
                "TIME_STEP_OVERDUE",
                str(instance.pk),
                _("Demo: case %(case)s left at step “%(step)s” past its deadline")
                % {"case": live.case.tracking_no, "step": instance.step.name},  # type: ignore[union-attr]
            )
        )
        return True

    def _schedule_objection(self, live: _Live, instance: StepInstance) -> None:
        live.objected = True
        opens, closes = instance.entered_at, instance.not_before
        assert closes is not None
        # Early in the period (within hours for the notices still running now).
        early = opens + datetime.timedelta(minutes=live.rng.randint(30, 180))
        when = early if live.plan.recent else opens + (closes - opens) * live.rng.uniform(0.02, 0.15)
        self.at(when, lambda: self.object(live))

    def object(self, live: _Live) -> None:
        notice = live.case.notices.order_by("-id").first()  # type: ignore[union-attr]
        objection = services.objection_lodge(notice=notice, text=live.rng.choice(OBJECTION_TEXTS))
        self.report.objections += 1
        self.report.service_calls += 1
        if live.plan.objection == "open":
            return  # nobody has answered it yet
        live.open_objection = objection
        delay = 0 if live.plan.recent else live.rng.randint(1, 2)
        self.at(_later(self.clock.now, delay, live.rng), lambda: self.answer(live))

    def answer(self, live: _Live) -> None:
        objection = live.open_objection
        assert objection is not None
        assert live.case is not None
        upheld = live.plan.objection == "upheld"
        answer = OBJECTION_ANSWERS[2] if upheld else live.rng.choice(OBJECTION_ANSWERS[:2])
        instance = live.case.notices.order_by("-id").first().step_instance  # type: ignore[union-attr]
        actor = self.staff.for_step(instance.step.role, live.village)
        services.objection_resolve(actor=actor, objection=objection, upheld=upheld, answer=answer)
        live.open_objection = None
        self.report.service_calls += 1
        if live.plan.stop_at and StepKind.PUBLIC_NOTICE in live.plan.stop_at:
            return
        self.at(
            _later(max(self.clock.now, instance.not_before), live.rng.randint(0, 1), live.rng),
            lambda: self.complete(live),
        )

    def terminate(self, live: _Live) -> None:
        actor = self.staff.get(Role.VILLAGE_CHAIR, live.village)
        services.case_terminate(actor=actor, case=live.case, reason=live.rng.choice(TERMINATION_REASONS))
        self.report.service_calls += 1
        live.done = True

    def seal_exception(self, village: Region) -> None:
        rng = self.rng
        use = services.seal_use_record(
            actor=self.staff.get(Role.VILLAGE_COMMITTEE, village),
            village=village,
            seal=SealKind.COMMITTEE,
            purpose="开具证明材料",
            document_sha256=hashlib.sha256(self.documents.pdf("证明", rng.randint(0, 1))).hexdigest(),
            approver=self.staff.get(Role.VILLAGE_SECRETARY, village),
            exception_reason=rng.choice(EXCEPTION_REASONS),
        )
        self.report.expected.append(
            (
                "SEAL_WITHOUT_CASE",
                str(use.pk),
                _("Demo: a seal use without a case in %(village)s") % {"village": village.name},
            )
        )
        self.report.seal_uses += 1
        self.report.seal_exceptions += 1
        self.report.service_calls += 1

    def complete(self, live: _Live) -> None:
        case, plan, rng = live.case, live.plan, live.rng
        assert case is not None
        instance = case.current
        assert instance is not None
        step = instance.step
        actor = self.staff.for_step(step.role, live.village)
        uploaded: list[str] = []
        for name in step.documents:
            document = services.document_upload(
                actor=actor,
                case=case,
                name=name,
                data=self.documents.pdf(name, rng.randint(0, 1)),
                filename=f"{name}.pdf",
            )
            uploaded.append(document.sha256)
            self.report.documents += 1
            self.report.service_calls += 1
            self.clock.tick(rng)
        if step.key in SEAL_STEPS and uploaded:
            services.seal_use_record(
                actor=self.staff.get(Role.VILLAGE_COMMITTEE, live.village),
                village=live.village,
                seal=SEAL_STEPS[step.key],
                purpose=f"{case.title} · {step.name}"[:300],
                document_sha256=uploaded[-1],
                approver=self.staff.get(Role.VILLAGE_CHAIR, live.village),
                case=case,
            )
            self.report.seal_uses += 1
            self.report.service_calls += 1
            self.clock.tick(rng)
        kwargs: dict[str, Any] = {}
        if step.kind == StepKind.VOTE:
            fail = step.key in plan.fail_votes and step.key not in live.voted
            live.voted.add(step.key)
            kwargs["vote"] = _tally(step, passed=not fail, rng=rng)
            kwargs["held_on"] = timezone.localdate()
            kwargs["meeting_ref"] = f"{timezone.localdate():%Y%m%d}-{step.key}"
            self.report.votes += 1
        else:
            types, needed = self._routing(case, step)
            kwargs["inputs"] = {
                name: self._answer(live, name, types[name]) for name in needed if name not in plan.variables
            }
        case.refresh_from_db(fields=["revision", "variables", "status", "current"])  # objections bump it
        services.step_complete(actor=actor, case=case, sequence=instance.sequence, **kwargs)
        self.report.steps_completed += 1
        self.report.service_calls += 1
        self.entered(live)

    def _routing(self, case: Case, step: Any) -> tuple[dict[str, str], list[str]]:
        """The declared variable types of the case's item and the inputs the step's way out reads."""
        cached = self.routing.get(step.pk)
        if cached is None:
            outgoing = list(step.outgoing.all())
            types = engine.declared_types(case.item.variables)
            owned = engine.notice_owned_variables(step, outgoing, types)
            cached = self.routing[step.pk] = (types, engine.routing_inputs(outgoing, types, owned))
        return cached

    def _answer(self, live: _Live, name: str, kind: str) -> Any:
        values = live.plan.answers.get(name)
        visit = live.visits[name]
        live.visits[name] += 1
        if values:
            return values[min(visit, len(values) - 1)]
        if kind == "bool":
            return name in TRUE_BY_DEFAULT
        if kind == "string":
            return "general" if name == "category" else "pass"
        if kind == "int":
            return live.rng.randint(0, 5)
        return 0


def _tally(step: Any, *, passed: bool, rng: random.Random) -> engine.Tally:
    """A plausible tally of the step's voting body that passes (or fails) by its own rules."""
    low, high = VOTE_BODIES.get(step.vote_body, DEFAULT_BODY)
    for _attempt in range(200):
        expected = rng.randint(low, high)
        present = rng.randint(math.ceil(expected * 0.75), expected)
        votes_for = (
            rng.randint(math.ceil(present * 0.75), present)
            if passed
            else rng.randint(present // 4, present // 2)
        )
        against = rng.randint(0, present - votes_for)
        tally = engine.Tally(expected, present, votes_for, against, present - votes_for - against)
        try:
            outcome = engine.vote_outcome(step, tally)
        except CaseRefused:  # an impossible tally: draw again
            continue
        if outcome.quorum_met and outcome.passed == passed:
            return tally
    raise RuntimeError(f"no tally for vote step {step.key}")  # pragma: no cover
