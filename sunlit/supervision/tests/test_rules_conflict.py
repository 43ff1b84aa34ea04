"""Conflict of interest (优亲厚友): a hit and a near miss per rule."""

import pytest
import time_machine

from sunlit.people import services as people_services
from sunlit.supervision.tests.conftest import T0
from sunlit.supervision.tests.refdata import add_party, id_number, resident, run

pytestmark = pytest.mark.django_db

CADRE = "CONFLICT_CADRE_BENEFICIARY"
APPROVER = "CONFLICT_APPROVER_RELATIVE"


@pytest.fixture
def chair_person(tree, people):
    """The village chair's own registry entry, known through a declaration of their son."""
    me = resident(tree.village, "王主任", 1)
    people_services.declaration_add(
        actor=people.chair, cadre=people.chair, cadre_person=me,
        relative_id_number=id_number(2), relative_name="王小军", relation="child",
    )  # fmt: skip
    return me


def test_declared_relative_of_a_village_cadre_hits_and_an_outsider_does_not(tree, people, walk, chair_person):
    son = resident(tree.village, "王小军", 2)  # registered after the declaration: matched on the hash
    stranger = resident(tree.village, "赵大妈", 3)
    with time_machine.travel(T0, tick=False):
        case = walk("accept")
        add_party(case, stranger)
    assert run(CADRE) == []  # near miss: nobody related to a cadre
    add_party(case, son)
    [alert] = run(CADRE)
    assert alert.severity == "red"
    assert alert.evidence["relation"] == "child"
    assert alert.evidence["cadre"] == "chair"
    assert "王小军" not in alert.explanation
    assert "王**" in alert.explanation
    assert id_number(2) not in repr(alert.evidence)


def test_recorded_kinship_both_ways_and_the_cadre_themself(tree, people, walk, chair_person):
    wife = resident(tree.village, "李桂兰", 4)
    father = resident(tree.village, "王老汉", 5)
    people_services.kinship_add(actor=None, person=chair_person, relative=wife, relation="spouse")
    people_services.kinship_add(actor=None, person=father, relative=chair_person, relation="child")
    with time_machine.travel(T0, tick=False):
        case = walk("accept")
    add_party(case, wife)
    add_party(case, father, role="applicant")
    add_party(case, chair_person)
    found = run(CADRE)
    # The wife is recorded as the chair's spouse; the chair as the father's child, so the father is
    # the chair's parent; the chair is a party too.
    assert sorted(a.evidence["relation"] for a in found) == ["parent", "self", "spouse"]
    assert {a.evidence["source"] for a in found} == {"registry", "declaration"}
    assert len(run(CADRE)) == 3  # one alert per person; re-runs add nothing


def test_a_cadre_of_another_village_is_not_a_cadre_here(tree, people, walk):
    other = resident(tree.sibling_village, "孙主任", 6)
    people_services.declaration_add(
        actor=people.other_chair, cadre=people.other_chair, cadre_person=other,
        relative_id_number=id_number(7), relative_name="孙小妹", relation="sibling",
    )  # fmt: skip
    sister = resident(tree.village, "孙小妹", 7)
    with time_machine.travel(T0, tick=False):
        case = walk("accept")
    add_party(case, sister)
    assert run(CADRE) == []
    assert run(APPROVER) == []


def test_terminated_and_non_benefit_cases_do_not_count(tree, people, walk, chair_person):
    from sunlit.cases import services

    son = resident(tree.village, "王小军", 2)
    with time_machine.travel(T0, tick=False):
        case = walk("accept")
        add_party(case, son)
        services.case_terminate(actor=people.chair, case=case, reason="撤回申请")
        works = services.case_start(
            actor=people.committee, village=tree.village, item_code="PA-03", title="修路",
            variables={"amount": 30000},
        )  # fmt: skip
    add_party(works, son)
    assert run(CADRE) == []


def test_approver_related_to_the_beneficiary_hits_only_once_they_acted(tree, people, walk):
    # The township reviewer (not a village cadre) declared a nephew, who applies for 低保.
    people_services.declaration_add(
        actor=people.reviewer, cadre=people.reviewer,
        relative_id_number=id_number(8), relative_name="周小侄", relation="other",
    )  # fmt: skip
    nephew = resident(tree.village, "周小侄", 8)
    with time_machine.travel(T0, tick=False):
        case = walk("survey")  # apply and accept done by the committee; the survey is the reviewer's
        add_party(case, nephew)
        assert run(APPROVER) == []  # near miss: the reviewer has not acted on the case yet
        assert run(CADRE) == []  # and is no cadre of the village
        case2 = walk("review_meeting")  # here the reviewer completed the survey
        add_party(case2, nephew)
    [alert] = run(APPROVER)
    assert alert.case == case2
    assert alert.severity == "red"
    assert alert.evidence["approver"] == "reviewer"
    assert alert.evidence["step"]
    assert "周**" in alert.explanation
