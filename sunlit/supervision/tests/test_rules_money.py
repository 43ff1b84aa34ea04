"""Money rules: contract splitting at the exact tier boundary, counterparties related to cadres.

The boundary: the works and procurement flows branch on ``amount >= tier1_amount`` (¥50,000 for PA-03
by default), so split cases summing to exactly ¥50,000 would have taken the other path (a hit), and
¥49,999 would not (no hit).
"""

import datetime

import pytest
import time_machine

from sunlit.cases import services
from sunlit.people import services as people_services
from sunlit.people.reference import credit_code_check_char
from sunlit.supervision.tests.conftest import T0
from sunlit.supervision.tests.refdata import id_number, load, reset, resident, run

pytestmark = pytest.mark.django_db

SPLIT = "MONEY_CONTRACT_SPLIT"
RELATED = "MONEY_COUNTERPARTY_CADRE"


def credit(n: int) -> str:
    first17 = f"91411522MA44L0A{n:02d}"
    return first17 + credit_code_check_char(first17)


@pytest.fixture
def works(tree, people, standard):
    def start(
        amount, *, title="村道修补", counterparty="光山县顺达建筑有限公司", code=None, days=0, village=None
    ):
        parties = []
        if counterparty:
            parties = [{"role": "counterparty", "name": counterparty, "credit_code": code or ""}]
        actor = people.committee if village is None else people.other_chair
        with time_machine.travel(T0 + datetime.timedelta(days=days), tick=False):
            return services.case_start(
                actor=actor, village=village or tree.village, item_code="PA-03", title=title,
                variables={"amount": amount}, parties=parties,
            )  # fmt: skip

    return start


def test_split_contracts_reaching_the_tier_exactly_hit_one_yuan_short_do_not(works):
    first = works(20000, code=credit(1))
    second = works(29999, title="村道修补二期", code=credit(1), days=10)
    assert first.parameters["tier1_amount"].startswith("50000")
    assert run(SPLIT) == []  # ¥49,999: one yuan short of the tier
    type(second).objects.filter(pk=second.pk).update(amount=30000)
    [alert] = run(SPLIT)  # ¥50,000: exactly the tier, which routes to a villagers' representative vote
    assert alert.case == second
    assert alert.severity == "red"
    assert alert.evidence["basis"] == "credit_code"
    assert alert.evidence["total"] == "50000.00"
    assert alert.evidence["cases"] == 2
    # A third small contract after the crossing does not raise another alert for the same group.
    works(5000, code=credit(1), days=20)
    assert len(run(SPLIT)) == 1


def test_split_by_purpose_or_name_and_the_window(works, tree):
    works(30000, title="文化广场铺装", counterparty="")
    works(25000, title="文化广场铺装", counterparty="", days=91)  # outside the 90-day window
    assert run(SPLIT) == []
    works(25000, title="文化广场铺装", counterparty="", days=100)
    [alert] = run(SPLIT)
    assert alert.evidence["basis"] == "purpose"
    reset()
    # The same individual contractor (no credit code), under other titles; the name is masked.
    works(40000, title="水渠清淤", counterparty="张三丰")
    works(10000, title="水渠护坡", counterparty="张三丰", days=5)
    found = {a.evidence["basis"]: a for a in run(SPLIT)}
    assert found["counterparty"].evidence["shared"] == "张**"
    assert "张三丰" not in found["counterparty"].explanation


def test_split_needs_the_same_village_and_each_case_below_the_tier(works, tree):
    works(30000, code=credit(2))
    works(30000, code=credit(2), days=1, village=tree.sibling_village)
    assert run(SPLIT) == []  # two villages
    works(60000, code=credit(2), days=2)  # itself over the tier: took the right path
    assert run(SPLIT) == []


@pytest.fixture
def chair_son(tree, people):
    me = resident(tree.village, "王主任", 1)
    people_services.declaration_add(
        actor=people.chair, cadre=people.chair, cadre_person=me,
        relative_id_number=id_number(2), relative_name="王小军", relation="child",
    )  # fmt: skip
    return resident(tree.village, "王小军", 2)


def test_counterparty_who_is_a_cadres_relative_hits(works, people, chair_son):
    case = services.case_start(
        actor=people.committee, village=chair_son.village, item_code="PA-03", title="路灯维修",
        variables={"amount": 8000}, parties=[{"role": "counterparty", "person": chair_son}],
    )  # fmt: skip
    works(8000, counterparty="光山县路灯工程有限公司", code=credit(3))  # a stranger's firm
    [alert] = run(RELATED)
    assert alert.case == case
    assert alert.severity == "red"
    assert alert.evidence["via"] == "person"
    assert alert.evidence["relation"] == "child"


def test_counterparty_firm_run_by_a_cadres_relative_hits_a_strangers_firm_does_not(works, chair_son):
    stranger = resident(chair_son.village, "钱老板", 3)
    load(
        "businesses", "id_number,business_name,credit_code,status,registered_on",
        f"{id_number(2)},光山县小军建材有限公司,{credit(4)},active,2021-03-01",
        f"{id_number(3)},光山县钱氏建材有限公司,{credit(5)},active,2021-03-01",
    )  # fmt: skip
    assert stranger.pk
    works(9000, counterparty="光山县钱氏建材有限公司", code=credit(5))
    assert run(RELATED) == []
    case = works(9000, counterparty="光山县小军建材有限公司", code=credit(4))
    [alert] = run(RELATED)
    assert alert.case == case
    assert alert.evidence["via"] == "business"
    assert "光山县小军建材有限公司" in alert.explanation
