"""The deterministic demo data set behind ``sunlit demo`` and ``sunlit bench demo``.

This module orchestrates the services of several apps (regions, accounts, powers) the way an
operator would; only the demo command and the benchmarks import it, so the one-way import order of
the domain modules (core → regions → accounts → powers → …) is not affected.

The province, city and county rows are real (``sunlit/regions/data/xinyang.csv``). Every township and
village below them is **generated**: the names are made up from common place-name elements of the
region and the codes follow the statistical scheme (街道 001–099, 镇 100–199, 乡 200–299; 社区 001–199,
村 201–399) without being the real codes. The same seed always gives the same tree.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sunlit.accounts.models import User
from sunlit.accounts.roles import FLOW_ONLY_ROLES, ROLE_LEVELS, Role
from sunlit.accounts.services import role_grant, user_create
from sunlit.cases.bulk import CASES_PER_VILLAGE, CityReport, city_cases, city_cases_loaded
from sunlit.cases.demo import SAMPLE_VILLAGES, CasesReport, demo_cases
from sunlit.powers.models import Catalog, ItemParameter, Step
from sunlit.powers.services import (
    STANDARD_CATALOG,
    adoption_set,
    catalog_import,
    catalog_parse,
    catalog_publish,
    override_set,
)
from sunlit.powers.vocab import CatalogStatus, ItemCategory, OverrideLevel, ParamKind
from sunlit.regions.models import LEVEL_DEPTH, Region, RegionLevel
from sunlit.regions.services import normalize_code, regions_load_xinyang

if TYPE_CHECKING:
    from sunlit.supervision.anomalies import InjectionReport

DEMO_CITY = "411500"  # 信阳市
DEMO_COUNTY = "411522"  # 光山县: the county the printed logins work in
DEMO_PASSWORD = "sunlit-demo-2026"  # noqa: S105 - the shared demo password, printed on purpose
DEFAULT_SEED = 2026
SCALES = ("county", "city")

# Sizes. The demo county has the same shape at both scales, so loading the county first and the
# city later gives the same tree as loading the city at once.
DEMO_COUNTY_TOWNSHIPS = 20
VILLAGES_PER_TOWNSHIP = (12, 18)  # ≈15 on average → ≈300 villages in the demo county
CITY_TOWNSHIPS = (18, 26)  # ≈22 per other county
CITY_VILLAGES_PER_TOWNSHIP = (12, 20)  # ≈16 → ≈3,450 villages in the city


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Generated names: two-character stems and village name elements common in southern Henan.
TOWNSHIP_STEMS = _words(
    "青石 柳河 桃林 龙潭 凤岭 石门 双河 杨店 兴隆 高寨 宝塔 莲花 金桥 新集 梅岭 丰集 陡山 长岭 卧龙 泉河 "
    "观音 白塔 月湖 汪桥 曹畈 孙庙 吴店 花园 竹林 青龙 东岳 西河 南湾 北岗 彭店 付店 刘集 余集 八里 "
    "五里 三河 九龙 七里 双椿 仁和 陈棚 晏岗 古城 洪埠 槐树 桥口 黄店 涂湾 鲍畈 方集 胡店 铁佛"
)
STREET_STEMS = _words("城关 东城 西城 南城 北城 新华 紫荆 弦歌 人民 建设")
SURNAMES = _words(
    "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 胡 朱 郭 何 罗 高 林 余 彭 曾 汪 程 詹 柯 熊 付 晏 涂 易 袁 邱"
)
PLACE_ENDINGS = _words("湾 岗 畈 店 楼 庄 冲 洼 寨 桥 河 塆 围孜 营 铺 集 湖 堰 山 岭 坳 咀 圩 大塆 老庄")
VILLAGE_WORDS = _words(
    "桃园 杨柳 新建 光明 幸福 红星 胜利 团结 双庙 三里 五星 和平 向阳 东风 新华 民主 长胜 前进 "
    "黄山 龙井 竹园 茶山 柏林 双塘 清水 石桥 枣林 栗园"
)
STREET_PARTS = _words("东街 西街 南街 北街 中心 新区 花园 滨河 府前 车站")

Progress = Callable[[str, str, float], None]


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    region: Region


@dataclass
class DemoReport:
    generated_counties: list[str] = field(default_factory=list)
    townships: int = 0
    villages: int = 0
    catalogs: int = 0
    adoptions: int = 0
    overrides: int = 0
    users_created: int = 0
    logins: list[Login] = field(default_factory=list)
    cases: CasesReport | None = None  # None when the demo county already had cases
    anomalies: InjectionReport | None = None  # what ``anomalies=True`` planted
    city: CityReport | None = None  # the bulk city-scale history, when generated
    steps: list[tuple[str, str, float]] = field(default_factory=list)  # (step, detail, seconds)
    notes: list[str] = field(default_factory=list)

    @property
    def already_loaded(self) -> bool:
        return not self.generated_counties and self.cases is None and self.city is None

    @property
    def seconds(self) -> float:
        return sum(s for _step, _detail, s in self.steps)


def _code12(code: str) -> str:
    normalized = normalize_code(code)
    assert normalized is not None, code
    return normalized


def demo_load(
    *,
    scale: str = "county",
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
    case_villages: int = SAMPLE_VILLAGES,
    city_cases_per_village: int = CASES_PER_VILLAGE,
    clean: bool = False,
    anomalies: bool = False,
) -> DemoReport:
    """Load the demo data set (see :func:`_demo_load`). At the city scale the case history is the
    bulk-generated one of every village over three years (sunlit/cases/bulk.py,
    ``city_cases_per_village`` each, 0: none), written after the rest in transactions of its own,
    instead of the county demo's service-driven one (the ledger only grows in time, so both cannot
    be written); running it again adds nothing once the city has cases."""
    report = _demo_load(
        scale=scale,
        seed=seed,
        progress=progress,
        case_villages=case_villages if scale == "county" else 0,
        clean=clean,
        anomalies=anomalies and scale == "county",
    )
    if scale == "city" and city_cases_per_village > 0:
        city = Region.objects.get(code=_code12(DEMO_CITY))
        county, _township, _village = demo_login_regions()
        if city_cases_loaded(city, county):
            report.notes.append(_("The city already has case history; no city cases were generated."))
        else:
            started = time.perf_counter()
            report.city = city_cases(
                city=city,
                logins=report.logins,
                seed=seed,
                per_village=city_cases_per_village,
                progress=progress,
            )
            seconds = time.perf_counter() - started
            report.steps.append(
                (
                    "city cases",
                    _("%(cases)d cases in %(villages)d villages, %(events)d ledger events")
                    % {
                        "cases": report.city.cases,
                        "villages": report.city.villages,
                        "events": report.city.events,
                    },
                    seconds,
                )
            )
            if progress:
                progress(*report.steps[-1])
    return report


@transaction.atomic
def _demo_load(
    *,
    scale: str = "county",
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
    case_villages: int = SAMPLE_VILLAGES,
    clean: bool = False,
    anomalies: bool = False,
) -> DemoReport:
    """Load the demo data set. The marker of a loaded county is that it has townships: such a
    county is left alone, so running the demo again changes nothing (and a county-scale demo can
    later grow to the city scale).

    One transaction: if any step is refused, nothing is written. ``progress`` is called after each
    step with (step, detail, seconds).

    Cases (sunlit.cases.demo) are generated in ``case_villages`` sampled villages of the demo county
    (0: none), at both scales, the first time the county has none.

    Supervision's ground truth (``InjectedAnomaly``): the history deliberately leaves some steps
    overdue and registers a few seal uses without a case; each is recorded as an expected finding.
    ``clean``: a history with none of them, on which supervision must raise no alert at all.
    ``anomalies``: then plant irregularities of every rule family (sunlit.supervision.anomalies) in the
    generated cases, each recorded with the finding it must produce.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}")
    report = DemoReport()

    def step(name: str, started: float, detail: str) -> None:
        seconds = time.perf_counter() - started
        report.steps.append((name, detail, seconds))
        if progress:
            progress(name, detail, seconds)

    started = time.perf_counter()
    result = regions_load_xinyang()
    step("regions", started, _("%(created)d Xinyang regions created") % {"created": result["created"]})

    wanted = [DEMO_COUNTY] if scale == "county" else None
    counties = Region.objects.filter(parent__code=_code12(DEMO_CITY), level=RegionLevel.COUNTY).order_by(
        "code"
    )
    if wanted is not None:
        counties = counties.filter(code__in=[_code12(c) for c in wanted])
    todo = [c for c in counties if not c.children.exists()]
    report.generated_counties = [c.code for c in todo]

    if todo:
        started = time.perf_counter()
        townships_by_county: dict[int, list[Region]] = {}
        for county in todo:
            # Per county, so a county's tree does not depend on the scale; demo data, not security.
            rng = random.Random(f"{seed}:{county.code}")  # noqa: S311
            townships, villages = _generate_county(county, rng)
            townships_by_county[county.pk] = townships
            report.townships += len(townships)
            report.villages += villages
        step(
            "townships+villages",
            started,
            ngettext(
                "%(t)d townships, %(v)d villages in %(c)d county",
                "%(t)d townships, %(v)d villages in %(c)d counties",
                len(todo),
            )
            % {"t": report.townships, "v": report.villages, "c": len(todo)},
        )

        started = time.perf_counter()
        standard = _StandardCatalog()
        catalogs = {county.pk: standard.load_for(county, report) for county in todo}
        step("catalogs", started, _("%(n)d catalog editions imported and published") % {"n": report.catalogs})

        started = time.perf_counter()
        for county in todo:
            for township in townships_by_county[county.pk]:
                adoption_set(actor=None, region=township, catalog=catalogs[county.pk])
                report.adoptions += 1
        step(
            "adoptions",
            started,
            _("%(n)d townships adopted their county's catalog") % {"n": report.adoptions},
        )

        started = time.perf_counter()
        for county in todo:
            rng = random.Random(f"{seed}:{county.code}:overrides")  # noqa: S311
            report.overrides += _set_overrides(
                catalogs[county.pk], townships_by_county[county.pk], rng, report
            )
        step("overrides", started, _("%(n)d local parameter values") % {"n": report.overrides})

    started = time.perf_counter()
    report.logins = _ensure_logins(report)
    step("accounts", started, _("%(n)d staff accounts created") % {"n": report.users_created})

    if case_villages > 0:
        started = time.perf_counter()
        county, _township, village = demo_login_regions()
        report.cases = demo_cases(
            county=county,
            first_village=village,
            logins=report.logins,
            seed=seed,
            villages=case_villages,
            progress=progress,  # a line per simulated month; the total is the "cases" step
            clean=clean,
        )
        if report.cases is not None:
            step(
                "cases",
                started,
                _("%(cases)d cases in %(villages)d villages, %(events)d ledger events")
                % {
                    "cases": report.cases.cases,
                    "villages": report.cases.villages,
                    "events": report.cases.ledger_events,
                },
            )
            from sunlit.supervision import anomalies as planted

            planted.record(report.cases.expected, injector="demo")
            # The later domains build on the case history, and the injectors plant among their data.
            _demo_domains(report, seed=seed, clean=clean, progress=progress)
            if anomalies:
                started = time.perf_counter()
                report.anomalies = planted.inject(seed=seed, region=county)
                step(
                    "anomalies",
                    started,
                    _("%(n)d irregularities planted by %(k)d injectors")
                    % {"n": report.anomalies.total, "k": len(report.anomalies.injected)},
                )
    if anomalies and report.anomalies is None:
        report.notes.append(_("No irregularities were planted: no demo cases were generated in this run."))
    return report


def _demo_domains(report: DemoReport, *, seed: int, clean: bool, progress: Progress | None) -> None:
    """The later domains' demo data, in dependency order, each summarised as one step."""
    from sunlit.accountability.demo import demo_accountability
    from sunlit.complaints.demo import demo_complaints
    from sunlit.deliberation.demo import demo_deliberation
    from sunlit.disclosure.demo import demo_disclosure
    from sunlit.finance.demo import demo_finance

    county, _township, _village = demo_login_regions()
    for name, generate in (
        ("deliberation", demo_deliberation),
        ("finance", demo_finance),
        ("disclosure", demo_disclosure),
        ("complaints", demo_complaints),
        ("accountability", demo_accountability),
    ):
        started = time.perf_counter()
        detail = generate(county=county, logins=report.logins, seed=seed, clean=clean, progress=progress)
        if detail is not None:
            report.steps.append((name, detail, time.perf_counter() - started))
            if progress:
                progress(*report.steps[-1])


# --- regions ---------------------------------------------------------------------------------------


def _unique(make: Callable[[], str], taken: set[str]) -> str:
    for _attempt in range(200):
        name = make()
        if name not in taken:
            taken.add(name)
            return name
    raise RuntimeError("demo name pool exhausted")  # pragma: no cover - the pools are large enough


def _generate_county(county: Region, rng: random.Random) -> tuple[list[Region], int]:
    if county.short_code == DEMO_COUNTY:
        return build_townships_and_villages(county, rng, DEMO_COUNTY_TOWNSHIPS, VILLAGES_PER_TOWNSHIP)
    return build_townships_and_villages(county, rng, rng.randint(*CITY_TOWNSHIPS), CITY_VILLAGES_PER_TOWNSHIP)


def build_townships_and_villages(
    county: Region, rng: random.Random, n_townships: int, per_township: tuple[int, int]
) -> tuple[list[Region], int]:
    """Bulk-create generated townships and villages under a county that has none; returns
    (townships in code order, number of villages)."""
    n_streets = max(1, round(n_townships * 0.1))
    n_xiang = round(n_townships * 0.3)
    n_zhen = n_townships - n_streets - n_xiang

    stems = rng.sample(TOWNSHIP_STEMS, n_zhen + n_xiang)
    plan = (
        [(100 + i, stems[i] + "镇") for i in range(n_zhen)]
        + [(200 + i, stems[n_zhen + i] + "乡") for i in range(n_xiang)]
        + [(1 + i, name + "街道") for i, name in enumerate(rng.sample(STREET_STEMS, n_streets))]
    )
    township_depth = LEVEL_DEPTH[RegionLevel.TOWNSHIP]
    townships = []
    for number, name in sorted(plan):
        code = f"{county.short_code}{number:03d}000"
        townships.append(
            Region(
                code=code,
                name=name,
                level=RegionLevel.TOWNSHIP,
                parent=county,
                path=f"{county.path}{code}/",
                depth=township_depth,
            )
        )
    Region.objects.bulk_create(townships)
    townships = list(Region.objects.filter(parent=county).order_by("code"))  # with their keys

    village_depth = LEVEL_DEPTH[RegionLevel.VILLAGE]
    villages = []
    for township in townships:
        count = rng.randint(*per_township)
        is_street = township.name.endswith("街道")
        # A street office has mostly communities (社区); a town has one or two around its seat.
        communities = count - rng.randint(0, 2) if is_street else rng.randint(0, 2)
        stem = township.name.removesuffix("街道")[:2]
        taken: set[str] = set()
        names = [_unique(partial(_community_name, rng, stem), taken) for _ in range(communities)] + [
            _unique(partial(_village_name, rng), taken) for _ in range(count - communities)
        ]
        numbers = [1 + i for i in range(communities)] + [201 + i for i in range(count - communities)]
        for number, name in zip(numbers, names, strict=True):
            code = f"{township.short_code}{number:03d}"
            villages.append(
                Region(
                    code=code,
                    name=name,
                    level=RegionLevel.VILLAGE,
                    parent=township,
                    path=f"{township.path}{code}/",
                    depth=village_depth,
                )
            )
    Region.objects.bulk_create(villages, batch_size=500)
    return townships, len(villages)


def _village_name(rng: random.Random) -> str:
    if rng.random() < 0.8:
        return rng.choice(SURNAMES) + rng.choice(PLACE_ENDINGS) + "村"
    return rng.choice(VILLAGE_WORDS) + "村"


def _community_name(rng: random.Random, stem: str) -> str:
    base = rng.choice([stem, *STREET_PARTS])
    return base + ("" if base.endswith("街") else rng.choice(["", "路", "街"])) + "社区"


# --- catalog, adoptions, overrides -----------------------------------------------------------------


class _StandardCatalog:
    """The shipped standard catalog, read and validated once however many counties load it."""

    def __init__(self) -> None:
        self._document: dict | None = None

    def load_for(self, county: Region, report: DemoReport) -> Catalog:
        existing = (
            Catalog.objects.filter(owner=county, status=CatalogStatus.PUBLISHED).order_by("code").first()
        )
        if existing is not None:
            report.notes.append(
                _("%(county)s already has a published catalog (%(name)s); the demo adopts it.")
                % {"county": county.name, "name": existing}
            )
            return existing
        if self._document is None:
            self._document = catalog_parse(STANDARD_CATALOG)
        # What catalog_load_standard does, without reading the file again for every county.
        catalog = catalog_import(actor=None, owner=county, document=self._document)
        catalog_publish(actor=None, catalog=catalog)
        catalog.refresh_from_db()
        report.catalogs += 1
        return catalog


def _raised(param: ItemParameter) -> Decimal | None:
    """A value above the default and within the county's bounds, or None if there is none."""
    ceiling = param.maximum if param.maximum is not None else param.default * 2
    step = (ceiling - param.default) / 2
    if param.kind == ParamKind.DAYS or param.kind == ParamKind.INT:
        value = param.default + max(Decimal(1), min(Decimal(2), step.to_integral_value(ROUND_HALF_UP)))
    else:
        value = (param.default + step).quantize(Decimal("1"), ROUND_HALF_UP)
    value = min(value, ceiling)
    if param.minimum is not None:
        value = max(value, param.minimum)
    return value if value > param.default else None


def _pick(
    params: list[ItemParameter], *, level: str, preference: Callable[[ItemParameter], tuple]
) -> ItemParameter | None:
    """The most preferred parameter ``level`` may override with room above its default."""
    allowed = (
        (OverrideLevel.TOWNSHIP, OverrideLevel.VILLAGE)
        if level == RegionLevel.TOWNSHIP
        else (OverrideLevel.VILLAGE,)
    )
    usable = [p for p in params if p.override in allowed and _raised(p) is not None]
    usable.sort(key=lambda p: (*preference(p), p.item.position, p.position))
    return usable[0] if usable else None


def _set_overrides(catalog: Catalog, townships: list[Region], rng: random.Random, report: DemoReport) -> int:
    """Two townships raise a works tier; three villages lengthen a notice period. The parameters
    are read from the catalog, so this follows whatever the standard catalog contains."""
    params = list(ItemParameter.objects.filter(item__catalog=catalog).select_related("item"))
    notice_params = set(
        Step.objects.filter(flow__item__catalog=catalog)
        .exclude(notice_param="")
        .values_list("flow__item__code", "notice_param")
    )
    # Townships: an amount tier of a works item; villages: the length of a public notice.
    township_param = _pick(
        params,
        level=RegionLevel.TOWNSHIP,
        preference=lambda p: (p.kind != ParamKind.DECIMAL, p.item.category != ItemCategory.WORKS_PROCUREMENT),
    )
    village_param = _pick(
        params,
        level=RegionLevel.VILLAGE,
        preference=lambda p: ((p.item.code, p.key) not in notice_params, p.kind != ParamKind.DAYS),
    )
    count = 0
    if township_param is None:
        report.notes.append(_("The catalog has no parameter townships may raise; no township overrides."))
    else:
        first = _first_township(townships)
        chosen = [first, *rng.sample([t for t in townships if t != first], min(1, len(townships) - 1))]
        for township in chosen:
            override_set(
                actor=None,
                region=township,
                item_code=township_param.item.code,
                key=township_param.key,
                value=_raised(township_param),
                reason="演示数据：本镇村级工程规模普遍较小，经乡镇党委会研究适当提高该限额。",
            )
            count += 1
    if village_param is None:
        report.notes.append(_("The catalog has no parameter villages may lengthen; no village overrides."))
        return count
    first = _first_township(townships)
    first_villages = list(
        Region.objects.filter(parent=first, level=RegionLevel.VILLAGE, name__endswith="村").order_by("code")[
            :1
        ]
    )
    others = list(
        Region.objects.filter(parent__in=townships, level=RegionLevel.VILLAGE)
        .exclude(parent=first)
        .order_by("code")
    )
    for village in first_villages + rng.sample(others, min(2, len(others))):
        adoption_set(actor=None, region=village, catalog=catalog)
        report.adoptions += 1
        override_set(
            actor=None,
            region=village,
            item_code=village_param.item.code,
            key=village_param.key,
            value=_raised(village_param),
            reason="演示数据：本村外出务工人员多，经村民代表会议决定延长公示期。",
        )
        count += 1
    return count


# --- accounts --------------------------------------------------------------------------------------


def _first_township(townships: list[Region]) -> Region:
    """The first town (镇, code …100), where the demo's township logins work; else the first one."""
    return next((t for t in townships if t.code[6:9] >= "100"), townships[0])


def demo_login_regions() -> tuple[Region, Region, Region]:
    """(county, first town, first 村 of that town) of the demo county."""
    county = Region.objects.get(code=_code12(DEMO_COUNTY))
    townships = list(Region.objects.filter(parent=county).order_by("code"))
    if not townships:
        raise RuntimeError("the demo county has no townships")
    township = _first_township(townships)
    village = (
        Region.objects.filter(parent=township, name__endswith="村").order_by("code").first()
        or Region.objects.filter(parent=township).order_by("code").first()
    )
    if village is None:
        raise RuntimeError("the demo township has no villages")
    return county, township, village


def demo_login_plan() -> list[tuple[str, Region]]:
    """One login per assignable role, named after the role, at the lowest demo region it fits."""
    county, township, village = demo_login_regions()
    plan = []
    for role in Role:
        if role in FLOW_ONLY_ROLES:
            continue
        levels = ROLE_LEVELS[role]
        region = (
            village
            if RegionLevel.VILLAGE in levels
            else township
            if RegionLevel.TOWNSHIP in levels
            else county
        )
        plan.append((role.value, region))
    return plan


def _ensure_logins(report: DemoReport) -> list[Login]:
    logins = []
    existing = {
        u.username: u for u in User.objects.filter(username__in=[r for r, _region in demo_login_plan()])
    }
    for role, region in demo_login_plan():
        user = existing.get(role)
        if user is None:
            with translation.override("zh-hans"):
                label = str(Role(role).label)
            user = user_create(
                actor=None,
                username=role,
                password=DEMO_PASSWORD,
                display_name=f"{label}（演示）"[:50],
                validate=False,
            )
            report.users_created += 1
        role_grant(actor=None, user=user, role=role, region=region)
        logins.append(Login(role, role, region))
    return logins
