"""Staff case pages: to-do, list, start, the case page with its htmx and plain-post actions, downloads."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from sunlit.cases import services
from sunlit.cases.models import Case, CaseDocument, Objection, RefusedAttempt, StepInstance
from sunlit.cases.tests.conftest import pdf_bytes
from sunlit.cases.vocab import CaseStatus, ObjectionStatus, StepStatus

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")
T0 = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=CST)  # a Tuesday
HTMX = {"HX-Request": "true"}


@pytest.fixture
def staff():
    """A client speaking English (service messages are compared in English) that logs a user in."""

    def login(user) -> Client:
        client = Client(headers={"Accept-Language": "en"})
        client.force_login(user)
        return client

    return login


def start_dibao(tree, people, title="张三 最低生活保障申请"):
    return services.case_start(
        actor=people.committee,
        village=tree.village,
        item_code="VS-01",
        title=title,
        parties=[{"role": "applicant", "name": "张三"}],
    )


def case_url(case, name="case", *args):
    return reverse(f"workbench:{name}", args=[case.pk, *args])


def active(case) -> StepInstance:
    return StepInstance.objects.select_related("step").get(case=case, status=StepStatus.ACTIVE)


def upload_post(client, case, name, *, data=None, htmx=False):
    instance = active(case)
    return client.post(
        case_url(case, "case_upload"),
        {
            "sequence": instance.sequence,
            "name": name,
            "file": SimpleUploadedFile(f"{name}.pdf", data or pdf_bytes(f"{case.pk}-{name}")),
        },
        headers=HTMX if htmx else {},
    )


# --- lists ---------------------------------------------------------------------------------------------


def test_workbench_home_and_nav_link_to_the_case_pages(tree, people, standard, staff):
    body = staff(people.committee).get(reverse("workbench:home")).content.decode()
    assert reverse("workbench:todo") in body
    assert reverse("workbench:cases") in body
    assert reverse("workbench:case_start") in body


def test_todo_lists_my_active_steps_with_overdue_mark_and_days_left(tree, people, standard, staff):
    with time_machine.travel(T0, tick=False) as clock:
        overdue = start_dibao(tree, people, title="逾期案件")
        StepInstance.objects.filter(case=overdue).update(due_at=T0 - datetime.timedelta(hours=1))
        fresh = start_dibao(tree, people, title="新案件")
        StepInstance.objects.filter(case=fresh).update(due_at=T0 + datetime.timedelta(days=3, hours=5))
        clock.move_to(T0 + datetime.timedelta(minutes=1))
        response = staff(people.committee).get(reverse("workbench:todo"))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("逾期案件") < body.index("新案件")  # soonest due first
    rows = body.split("<tr")[2:]
    assert 'class="overdue"' in rows[0]
    assert "state-overdue" in rows[0]
    assert 'class="overdue"' not in rows[1]
    assert "3 d 4 h left" in rows[1]
    assert overdue.tracking_no in body


def test_todo_is_empty_for_someone_with_no_step_to_do(tree, people, standard, staff):
    start_dibao(tree, people)
    response = staff(people.other_chair).get(reverse("workbench:todo"))
    assert response.status_code == 200
    assert "张三" not in response.content.decode()


def test_todo_and_case_list_need_a_bounded_number_of_queries(
    tree, people, standard, staff, django_assert_max_num_queries
):
    client = staff(people.committee)
    start_dibao(tree, people)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("workbench:todo"))
    for i in range(8):
        start_dibao(tree, people, title=f"案件{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("workbench:todo"))
    assert response.content.decode().count("<tr") == 10  # header + 9 cases
    with django_assert_max_num_queries(14) as listed:
        response = client.get(reverse("workbench:cases"))
    assert response.content.decode().count("<tr") == 10
    start_dibao(tree, people, title="再一个")
    with django_assert_max_num_queries(len(listed.captured_queries)):
        client.get(reverse("workbench:cases"))


def test_case_list_filters_by_status_item_and_village(tree, people, standard, staff):
    kept = start_dibao(tree, people, title="保留")
    stopped = start_dibao(tree, people, title="终止的")
    services.case_terminate(actor=people.chair, case=stopped, reason="申请人撤回")
    client = staff(people.reviewer)  # township staff see the village's cases
    body = client.get(reverse("workbench:cases"), {"status": "terminated"}).content.decode()
    assert stopped.tracking_no in body
    assert kept.tracking_no not in body
    body = client.get(
        reverse("workbench:cases"), {"item": "VS-01", "village": tree.village.code, "status": "active"}
    ).content.decode()
    assert kept.tracking_no in body
    assert stopped.tracking_no not in body
    body = client.get(reverse("workbench:cases"), {"village": "nowhere"}).content.decode()
    assert kept.tracking_no in body  # an unknown choice is ignored, not an error


def test_case_list_is_scoped(tree, people, standard, staff):
    case = start_dibao(tree, people)
    assert case.tracking_no in staff(people.supervisor).get(reverse("workbench:cases")).content.decode()
    assert case.tracking_no not in staff(people.other_chair).get(reverse("workbench:cases")).content.decode()
    assert case.tracking_no not in staff(people.far_reviewer).get(reverse("workbench:cases")).content.decode()


# --- start ---------------------------------------------------------------------------------------------


def test_start_offers_my_villages_then_items_in_force_then_their_variables(tree, people, standard, staff):
    client = staff(people.committee)
    url = reverse("workbench:case_start")
    first = client.get(url).content.decode()
    assert tree.village.code in first  # the only village is preselected
    assert "VS-01" in first
    assert 'name="title"' not in first  # no item chosen yet
    chosen = client.get(url, {"village": tree.village.code, "item": "PA-03"}).content.decode()
    assert 'name="var_amount"' in chosen
    assert 'name="title"' in chosen
    partial = client.get(url, {"village": tree.village.code, "item": "VS-01"}, headers=HTMX)
    assert "HX-Request" in partial["Vary"]
    assert "<html" not in partial.content.decode()
    assert 'id="start-form"' in partial.content.decode()


def test_start_creates_the_case_and_redirects_to_it(tree, people, standard, staff):
    client = staff(people.committee)
    response = client.post(
        reverse("workbench:case_start"),
        {
            "village": tree.village.code,
            "item": "VS-01",
            "title": "李四 低保申请",
            "party_role": "applicant",
            "party_name": "李四",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == case_url(case)
    assert case.title == "李四 低保申请"
    assert list(case.parties.values_list("name", flat=True)) == ["李四"]
    assert case.started_by == people.committee


def test_start_refusal_shows_the_field_message_and_creates_nothing(tree, people, standard, staff):
    client = staff(people.committee)
    response = client.post(
        reverse("workbench:case_start"),
        {"village": tree.village.code, "item": "PA-03", "title": "修路", "var_amount": "lots"},
    )
    assert response.status_code == 422
    assert "Some values are not valid." in response.content.decode()
    assert "Enter a number." in response.content.decode() or "whole number" in response.content.decode()
    assert not Case.objects.exists()


def test_start_is_not_found_for_someone_who_cannot_operate(tree, people, standard, staff):
    assert staff(people.supervisor).get(reverse("workbench:case_start")).status_code == 404
    assert staff(people.nobody).get(reverse("workbench:case_start")).status_code == 404


def test_start_of_a_village_outside_my_scope_is_refused(tree, people, standard, staff):
    response = staff(people.committee).post(
        reverse("workbench:case_start"),
        {"village": tree.sibling_village.code, "item": "VS-01", "title": "t"},
    )
    assert response.status_code == 422  # the village is not among my choices
    assert not Case.objects.exists()


# --- the case page -------------------------------------------------------------------------------------


def test_case_page_shows_header_flowchart_states_table_timeline_and_parties(
    tree, people, standard, staff, upload_all
):
    case = start_dibao(tree, people)
    upload_all(case, people.committee)
    services.step_complete(actor=people.committee, case=case)
    response = staff(people.committee).get(case_url(case))
    body = response.content.decode()
    assert response.status_code == 200
    assert case.tracking_no in body
    assert "class s0 done" in body  # apply is done on the flowchart
    assert "class s1 current" in body  # accept is current
    assert 'id="step-apply" data-state="done"' in body
    assert 'id="step-accept" data-state="current"' in body
    assert 'id="step-survey" data-state="pending"' in body
    assert "张三" in body  # staff see the full party name
    document = CaseDocument.objects.filter(case=case).first()
    assert document.sha256 in body
    assert reverse("workbench:case_document", args=[case.pk, document.pk]) in body
    assert "on the applicant&#x27;s behalf" in body or "on the applicant's behalf" in body
    assert 'id="complete-form"' in body


def test_case_page_marks_an_overdue_step(tree, people, standard, staff):
    case = start_dibao(tree, people)
    StepInstance.objects.filter(case=case).update(due_at=datetime.datetime(2020, 1, 1, tzinfo=CST))
    body = staff(people.committee).get(case_url(case)).content.decode()
    assert "class s0 overdue" in body
    assert 'id="step-apply" data-state="overdue"' in body


@pytest.mark.parametrize("who", ["other_chair", "far_reviewer", "nobody"])
def test_out_of_scope_case_is_a_404_page_for_every_action(tree, people, standard, staff, who):
    case = start_dibao(tree, people)
    client = staff(getattr(people, who))
    assert client.get(case_url(case)).status_code == 404
    assert client.post(case_url(case, "case_complete"), {"sequence": 1}).status_code == 404
    assert client.post(case_url(case, "case_terminate"), {"reason": "x"}).status_code == 404
    assert upload_post(client, case, "申请书").status_code == 404
    assert client.get(reverse("workbench:case", args=[999999])).status_code == 404
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    assert not CaseDocument.objects.exists()


def test_case_page_requires_login(tree, people, standard):
    case = start_dibao(tree, people)
    response = Client().get(case_url(case))
    assert response.status_code == 302
    assert reverse("workbench:login") in response["Location"]


# --- uploads -------------------------------------------------------------------------------------------


def test_upload_as_plain_post_redirects_and_marks_the_document_uploaded(tree, people, standard, staff):
    case = start_dibao(tree, people)
    client = staff(people.committee)
    response = upload_post(client, case, "申请书")
    assert response.status_code == 302
    assert response["Location"] == case_url(case)
    assert list(CaseDocument.objects.values_list("name", flat=True)) == ["申请书"]
    body = client.get(case_url(case)).content.decode()
    assert 'class="doc-uploaded" data-document="申请书"' in body
    assert 'class="doc-missing" data-document="授权核对书"' in body


def test_upload_via_htmx_returns_the_case_partial(tree, people, standard, staff):
    case = start_dibao(tree, people)
    response = upload_post(staff(people.committee), case, "申请书", htmx=True)
    body = response.content.decode()
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert body.lstrip().startswith('<div id="case-body">')
    assert "<html" not in body
    assert 'class="doc-uploaded" data-document="申请书"' in body
    assert "was uploaded" in body


def test_upload_refusal_is_shown_inline_and_stores_nothing(tree, people, standard, staff):
    case = start_dibao(tree, people)
    client = staff(people.committee)
    plain = upload_post(client, case, "申请书", data=b"MZ\x90\x00 not a document")
    assert plain.status_code == 422
    assert "This kind of file is not accepted." in plain.content.decode()
    htmx = upload_post(client, case, "申请书", data=b"MZ\x90\x00 not a document", htmx=True)
    assert htmx.status_code == 200
    assert "This kind of file is not accepted." in htmx.content.decode()
    assert not CaseDocument.objects.exists()


# --- completing steps ----------------------------------------------------------------------------------


def test_completing_with_missing_documents_is_refused_inline_and_changes_nothing(
    tree, people, standard, staff
):
    case = start_dibao(tree, people)
    client = staff(people.committee)
    for headers, status in (({}, 422), (HTMX, 200)):
        response = client.post(case_url(case, "case_complete"), {"sequence": 1}, headers=headers)
        assert response.status_code == status
        assert "Upload the required documents first" in response.content.decode()
    instance = active(case)
    assert (instance.sequence, instance.step.key) == (1, "apply")
    assert RefusedAttempt.objects.filter(code="documents_missing").count() == 2


def test_completing_without_the_role_is_refused_inline_and_changes_nothing(
    tree, people, standard, staff, upload_all
):
    case = start_dibao(tree, people)
    upload_all(case, people.committee)
    client = staff(people.supervisor)  # may see the case, holds no role for the step
    page = client.get(case_url(case)).content.decode()
    assert 'id="complete-form"' not in page
    response = client.post(case_url(case, "case_complete"), {"sequence": 1})
    assert response.status_code == 403
    assert "you do not hold that role" in response.content.decode()
    assert active(case).sequence == 1
    assert RefusedAttempt.objects.filter(kind="out_of_role").count() == 1


def test_completing_as_plain_post_and_via_htmx_moves_the_case(tree, people, standard, staff, upload_all):
    case = start_dibao(tree, people)
    client = staff(people.committee)
    upload_all(case, people.committee)
    plain = client.post(case_url(case, "case_complete"), {"sequence": 1, "note": "材料齐全"})
    assert plain.status_code == 302
    assert active(case).step.key == "accept"
    upload_all(case, people.committee)
    htmx = client.post(case_url(case, "case_complete"), {"sequence": 2}, headers=HTMX)
    body = htmx.content.decode()
    assert htmx.status_code == 200
    assert "HX-Request" in htmx["Vary"]
    assert "The step was completed." in body
    assert 'id="step-survey" data-state="current"' in body
    assert active(case).step.key == "survey"
    assert StepInstance.objects.get(case=case, sequence=1).note == "材料齐全"


def test_a_stale_sequence_is_a_conflict_shown_inline(tree, people, standard, staff, upload_all):
    case = start_dibao(tree, people)
    upload_all(case, people.committee)
    services.step_complete(actor=people.committee, case=case)
    response = staff(people.committee).post(case_url(case, "case_complete"), {"sequence": 1})
    assert response.status_code == 409
    assert "no longer active" in response.content.decode()


def _to_vote(tree, people, upload_all):
    case = start_dibao(tree, people)
    for actor in (people.committee, people.committee, people.reviewer):
        upload_all(case, actor)
        case.refresh_from_db()
        services.step_complete(actor=actor, case=case)
    case.refresh_from_db()
    return case


def test_vote_step_takes_the_tally_and_routing_inputs_from_the_form(
    tree, people, standard, staff, upload_all
):
    case = _to_vote(tree, people, upload_all)
    client = staff(people.chair)
    upload_all(case, people.chair)
    page = client.get(case_url(case)).content.decode()
    assert 'name="votes_for"' in page
    seq = active(case).sequence
    partial_tally = client.post(case_url(case, "case_complete"), {"sequence": seq, "expected": 30})
    assert partial_tally.status_code == 422
    assert "every number of the tally" in partial_tally.content.decode()
    no_quorum = {"sequence": seq, "expected": 30, "present": 10, "votes_for": 10, "votes_against": 0}
    response = client.post(case_url(case, "case_complete"), {**no_quorum, "abstentions": 0})
    assert response.status_code == 422
    assert "not quorate" in response.content.decode()
    assert active(case).step.key == "review_meeting"
    tally = {"sequence": seq, "expected": 30, "present": 21, "votes_for": 14, "votes_against": 7}
    response = client.post(
        case_url(case, "case_complete"), {**tally, "abstentions": 0, "held_on": "2026-11-20"}
    )
    assert response.status_code == 302
    assert active(case).step.key == "township_review"

    # township review: the branch needs township_result, entered as a typed input
    reviewer = staff(people.reviewer)
    upload_all(case, people.reviewer)
    seq = active(case).sequence
    page = reviewer.get(case_url(case)).content.decode()
    assert 'name="var_township_result"' in page
    missing = reviewer.post(case_url(case, "case_complete"), {"sequence": seq})
    assert "Enter township_result first" in missing.content.decode()
    done = reviewer.post(case_url(case, "case_complete"), {"sequence": seq, "var_township_result": "pass"})
    assert done.status_code == 302
    assert active(case).step.key == "notice"


def test_recording_a_failed_vote_only(tree, people, standard, staff, upload_all):
    case = _to_vote(tree, people, upload_all)
    seq = active(case).sequence
    tally = {"sequence": seq, "expected": 30, "present": 21, "votes_for": 5, "votes_against": 16}
    response = staff(people.chair).post(
        case_url(case, "case_complete"), {**tally, "abstentions": 0, "action": "vote"}, headers=HTMX
    )
    assert response.status_code == 200
    assert "it did not pass" in response.content.decode()
    assert active(case).votes.count() == 1
    assert active(case).step.key == "review_meeting"


# --- objections, termination, downloads -----------------------------------------------------------------


def test_answering_an_objection_from_the_case_page(tree, people, standard, staff, upload_all):
    case = _to_vote(tree, people, upload_all)
    upload_all(case, people.chair)
    from sunlit.cases import engine

    services.step_complete(
        actor=people.chair,
        case=case,
        vote=engine.Tally(expected=30, present=21, votes_for=14, votes_against=7, abstentions=0),
    )
    upload_all(case, people.reviewer)
    services.step_complete(actor=people.reviewer, case=case, inputs={"township_result": "pass"})
    notice = case.notices.get()
    objection = services.objection_lodge(notice=notice, text="申请人家有小汽车")
    client = staff(people.reviewer)
    page = client.get(case_url(case)).content.decode()
    assert objection.receipt_code in page
    assert "1 objection is open" in page
    url = case_url(case, "case_objection_answer", objection.pk)
    empty = client.post(url, {f"o{objection.pk}-outcome": "dismissed", f"o{objection.pk}-answer": ""})
    assert empty.status_code == 422
    assert "Write the answer the villager will see." in empty.content.decode()
    response = client.post(
        url,
        {f"o{objection.pk}-outcome": "dismissed", f"o{objection.pk}-answer": "经核实车辆已过户。"},
        headers=HTMX,
    )
    assert response.status_code == 200
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.DISMISSED
    assert "经核实车辆已过户。" in response.content.decode()
    # someone without the right may not answer, and an objection of another case is not found
    other = start_dibao(tree, people)
    assert client.post(case_url(other, "case_objection_answer", objection.pk), {}).status_code == 404
    assert Objection.objects.filter(status=ObjectionStatus.OPEN).count() == 0


def test_terminate_needs_the_right_and_a_reason(tree, people, standard, staff):
    case = start_dibao(tree, people)
    committee = staff(people.committee)  # no case.terminate
    assert 'id="terminate-form"' not in committee.get(case_url(case)).content.decode()
    refused = committee.post(case_url(case, "case_terminate"), {"reason": "x"})
    assert refused.status_code == 403
    chair = staff(people.chair)
    empty = chair.post(case_url(case, "case_terminate"), {"reason": " "}, headers=HTMX)
    assert empty.status_code == 200
    assert "Give the reason for terminating the case." in empty.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    done = chair.post(case_url(case, "case_terminate"), {"reason": "申请人撤回申请"})
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.TERMINATED
    page = chair.get(case_url(case)).content.decode()
    assert "申请人撤回申请" in page
    assert 'id="complete-form"' not in page


def test_document_download_streams_the_stored_file_to_those_who_may_see_it(
    tree, people, standard, staff, upload_all
):
    case = start_dibao(tree, people)
    document = upload_all(case, people.committee)[0]
    url = reverse("workbench:case_document", args=[case.pk, document.pk])
    response = staff(people.supervisor).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == pdf_bytes(f"{case.pk}-1-{document.name}")
    assert staff(people.other_chair).get(url).status_code == 404
    other = start_dibao(tree, people)
    wrong_case = reverse("workbench:case_document", args=[other.pk, document.pk])
    assert staff(people.committee).get(wrong_case).status_code == 404
