"""Eligibility cross-checks (大数据比对): a hit and a near miss per rule.

Every case here was last acted on at T0 (Tuesday 24 November 2026, 09:00 CST): its decision date.
"""

import datetime

import pytest
import time_machine

from sunlit.cases import services
from sunlit.people import services as people_services
from sunlit.supervision.tests.conftest import T0
from sunlit.supervision.tests.refdata import add_party, id_number, load, reset, resident, run

pytestmark = pytest.mark.django_db

LATER = T0 + datetime.timedelta(days=10)  # when the reference files arrive


@pytest.fixture
def case(walk):
    with time_machine.travel(T0, tick=False):
        return walk("accept")  # "apply" completed at T0


def test_deceased_before_the_decision_day_hits_after_or_on_it_does_not(tree, case):
    before, after, same_day, registry = (
        resident(tree.village, n, i) for i, n in enumerate(("甲一", "乙二", "丙三", "丁四"), 10)
    )
    for person in (before, after, same_day, registry):
        add_party(case, person)
    with time_machine.travel(LATER, tick=False):
        load(
            "deaths", "id_number,name,died_on,source",
            f"{id_number(10)},甲某,2026-11-23,火化",  # the day before the decision: hit
            f"{id_number(11)},乙某,2026-11-25,火化",  # the day after: not a hit
            f"{id_number(12)},丙某,2026-11-24,公安",  # the same day: not a hit (order unknown)
        )  # fmt: skip
        people_services.person_mark_deceased(actor=None, person=registry, died_on=datetime.date(2026, 11, 20))
    found = {a.evidence["died_on"]: a for a in run("ELIG_DECEASED")}
    assert sorted(found) == ["2026-11-20", "2026-11-23"]
    assert found["2026-11-23"].evidence["source"] == "火化"
    assert found["2026-11-20"].evidence["source"] == "registry"
    assert all(a.severity == "red" for a in found.values())
    assert "甲*" in found["2026-11-23"].explanation


def test_vehicle_on_the_decision_day_hits_later_or_exempt_ones_do_not(tree, people, case):
    car, late, moto = (resident(tree.village, n, i) for i, n in enumerate(("车主", "新车主", "摩托"), 20))
    for person in (car, late, moto):
        add_party(case, person)
    with time_machine.travel(T0, tick=False):
        farm = services.case_start(
            actor=people.committee, village=tree.village, item_code="VS-06", title="耕地补贴"
        )
    add_party(farm, car)  # farm subsidies are not means-tested
    header = "id_number,plate,vehicle_type,registered_on"
    load(
        "vehicles", header,
        f"{id_number(20)},豫S12345,car,2026-11-24",
        f"{id_number(21)},豫S54321,car,2026-11-25",
        f"{id_number(22)},豫S11111,motorcycle,2020-01-01",
    )  # fmt: skip
    [alert] = run("ELIG_VEHICLE")
    assert alert.case == case
    assert alert.severity == "yellow"
    assert alert.evidence["record"][0] == "豫S***45"
    assert "豫S12345" not in alert.explanation
    # A new snapshot without the car supersedes the old one: nothing left to flag.
    reset()
    load("vehicles", header, f"{id_number(22)},豫S11111,motorcycle,2020-01-01")
    assert run("ELIG_VEHICLE") == []


def test_active_business_hits_a_deregistered_one_does_not(tree, case):
    from sunlit.people.reference import credit_code_check_char

    owner, former = resident(tree.village, "店主", 30), resident(tree.village, "前店主", 31)
    add_party(case, owner)
    add_party(case, former)
    code = "92411522MA44L0AB" + "1"
    code2 = "92411522MA44L0AB" + "2"
    load(
        "businesses", "id_number,business_name,credit_code,status,registered_on",
        f"{id_number(30)},十里村便民超市,{code + credit_code_check_char(code)},active,2020-01-01",
        f"{id_number(31)},十里村小吃店,{code2 + credit_code_check_char(code2)},deregistered,2020-01-01",
    )  # fmt: skip
    [alert] = run("ELIG_BUSINESS")
    assert alert.evidence["party"] == "店*"
    assert alert.evidence["record"][0] == "十里村便民超市"
    assert alert.severity == "yellow"


def test_on_the_payroll_on_the_decision_day_hits_one_who_left_the_day_before_does_not(tree, case):
    clerk, retired = resident(tree.village, "办事员", 40), resident(tree.village, "退休者", 41)
    add_party(case, clerk)
    add_party(case, retired)
    load(
        "payroll", "id_number,employer,position,from_date,until_date",
        f"{id_number(40)},十里镇人民政府,办事员,2020-01-01,",
        f"{id_number(41)},十里镇卫生院,护士,2000-01-01,2026-11-23",
    )  # fmt: skip
    [alert] = run("ELIG_PAYROLL")
    assert alert.evidence["party"] == "办**"
    assert alert.evidence["record"][0] == "十里镇人民政府"


def test_urban_subsistence_hits_the_rural_one_and_a_different_urban_benefit_does_not(tree, case):
    both, other = resident(tree.village, "城乡", 50), resident(tree.village, "特困", 51)
    add_party(case, both)
    add_party(case, other)
    load(
        "urban_benefits", "id_number,benefit,from_date,until_date,place",
        f"{id_number(50)},subsistence,2025-01-01,,浉河区老城街道",
        f"{id_number(51)},extreme_poverty,2025-01-01,,浉河区老城街道",  # not what case VS-01 pays
    )  # fmt: skip
    [alert] = run("ELIG_URBAN_RURAL")
    assert alert.evidence["party"] == "城*"
    assert alert.evidence["place"] == "浉河区老城街道"
    assert alert.severity == "red"


def test_same_benefit_in_two_villages_hits_two_different_benefits_do_not(tree, people, case):
    twice, two_kinds = resident(tree.village, "重复", 60), resident(tree.village, "两项", 61)
    add_party(case, twice)
    add_party(case, two_kinds)
    with time_machine.travel(T0 + datetime.timedelta(days=1), tick=False):
        elsewhere = services.case_start(
            actor=people.other_chair, village=tree.sibling_village, item_code="VS-01", title="低保申请"
        )
        temporary = services.case_start(
            actor=people.committee, village=tree.village, item_code="VS-03", title="临时救助"
        )
    add_party(elsewhere, twice)
    add_party(temporary, two_kinds)
    [alert] = run("ELIG_DUPLICATE")
    assert alert.case == elsewhere
    assert alert.evidence["earlier"] == case.tracking_no
    assert alert.evidence["earlier_village"] == tree.village.name
    assert alert.village == tree.sibling_village
    # Outside the look-back window the second case is a new application, not a duplicate.
    reset()
    type(case).objects.filter(pk=case.pk).update(started_at=T0 - datetime.timedelta(days=400))
    assert run("ELIG_DUPLICATE") == []
