"""The case API: scoped, enveloped refusals, public tracking and objections without an account."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from sunlit.cases.models import Case, Notice
from sunlit.cases.tests.conftest import pdf_bytes

pytestmark = pytest.mark.django_db
URL = "/api/v1"


@pytest.fixture
def api(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def start(client, tree, **extra):
    payload = {
        "village": tree.village.code,
        "item_code": "VS-01",
        "title": "王五 低保申请",
        "parties": [{"role": "applicant", "name": "王五"}],
    } | extra
    return client.post(f"{URL}/cases", payload, content_type="application/json")


def test_start_and_read_a_case(tree, people, standard, api):
    client = api(people.committee)
    response = start(client, tree)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "active"
    assert body["current"]["key"] == "apply"
    assert body["parties"] == [{"role": "applicant", "name": "王五"}]
    detail = client.get(f"{URL}/cases/{body['id']}").json()
    assert detail["tracking_no"] == body["tracking_no"]
    listing = client.get(f"{URL}/cases").json()
    assert listing["count"] == 1


def test_refusals_use_the_envelope(tree, people, standard, api):
    client = api(people.committee)
    response = start(client, tree, item_code="NOPE")
    assert response.status_code == 422
    assert response.json()["code"] == "item_not_in_catalog"
    case_id = start(client, tree).json()["id"]
    response = client.post(f"{URL}/cases/{case_id}/steps/1/complete", {}, content_type="application/json")
    assert response.status_code == 422
    envelope = response.json()
    assert envelope["code"] == "documents_missing"
    assert "documents" in envelope["fields"]
    response = client.post(f"{URL}/cases/{case_id}/steps/9/complete", {}, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["code"] == "step_not_active"


def test_wrong_role_is_403_out_of_scope_is_404(tree, people, standard, api, client):
    case_id = start(api(people.committee), tree).json()["id"]
    client.force_login(people.supervisor)
    response = client.post(f"{URL}/cases/{case_id}/steps/1/complete", {}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "step_role_required"
    client.force_login(people.other_chair)
    assert client.get(f"{URL}/cases/{case_id}").status_code == 404
    assert client.get(f"{URL}/cases/999999").status_code == 404
    response = client.post(f"{URL}/cases/{case_id}/steps/1/complete", {}, content_type="application/json")
    assert response.status_code == 404
    assert client.get(f"{URL}/cases").json()["count"] == 0


def test_anonymous_staff_calls_are_401(client):
    assert client.get(f"{URL}/cases").status_code == 401
    assert client.post(f"{URL}/cases", {}, content_type="application/json").status_code == 401


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        {"village": 1},
        {"village": "411522100201", "item_code": ["x"]},
        {"village": "411522100201", "item_code": "VS-01", "variables": "x"},
    ],
)
def test_malformed_input_is_422_not_500(tree, people, standard, api, payload):
    client = api(people.committee)
    response = client.post(f"{URL}/cases", payload, content_type="application/json")
    assert response.status_code in (400, 404, 422)


def test_upload_and_complete_through_the_api(tree, people, standard, api):
    client = api(people.committee)
    case_id = start(client, tree).json()["id"]
    requirements = client.get(f"{URL}/cases/{case_id}/requirements").json()
    for doc in requirements["documents"]:
        upload = SimpleUploadedFile(
            f"{doc['name']}.pdf", pdf_bytes(doc["name"]), content_type="application/pdf"
        )
        response = client.post(f"{URL}/cases/{case_id}/documents", {"name": doc["name"], "file": upload})
        assert response.status_code == 201, response.content
        assert len(response.json()["sha256"]) == 64
    bad = SimpleUploadedFile("x.pdf", b"<html>no</html>", content_type="application/pdf")
    response = client.post(f"{URL}/cases/{case_id}/documents", {"name": "申请书", "file": bad})
    assert response.status_code == 422
    assert response.json()["code"] == "document_type"
    response = client.post(
        f"{URL}/cases/{case_id}/steps/1/complete", {"note": "代办"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["current"]["key"] == "accept"
    assert client.get(f"{URL}/cases/todo").json()["count"] == 1


def test_public_tracking_is_masked(tree, people, standard, api, client):
    body = start(api(people.committee), tree).json()
    client.logout()
    response = client.get(f"{URL}/public/cases/{body['tracking_no'].lower()}")
    assert response.status_code == 200
    public = response.json()
    assert public["parties"][0]["name"] == "王*"
    assert "王五" not in response.content.decode()
    assert client.get(f"{URL}/public/cases/20260101-AAAA-AAAA").status_code == 404


def test_public_objection_and_staff_answer(tree, people, standard, api, client, upload_all):
    from sunlit.cases import engine, services

    with time_machine.travel(datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.UTC), tick=False):
        case = Case.objects.get(pk=start(api(people.committee), tree).json()["id"])
        for actor in (people.committee, people.committee, people.reviewer):
            upload_all(case, actor)
            services.step_complete(actor=actor, case=case)
        upload_all(case, people.chair)
        services.step_complete(
            actor=people.chair,
            case=case,
            vote=engine.Tally(expected=9, present=9, votes_for=9, votes_against=0, abstentions=0),
        )
        upload_all(case, people.reviewer)
        services.step_complete(actor=people.reviewer, case=case, inputs={"township_result": "pass"})
        notice = Notice.objects.get(case=case)
        client.logout()
        assert client.get(f"{URL}/notices/{notice.code}").json()["is_open"] is True
        response = client.post(
            f"{URL}/notices/{notice.code}/objections", {"text": "有异议"}, content_type="application/json"
        )
        assert response.status_code == 201
        receipt = response.json()["receipt_code"]
        assert client.get(f"{URL}/objections/receipts/{receipt}").json()["status"] == "open"
        response = client.post(
            f"{URL}/notices/{notice.code}/objections", {"text": ""}, content_type="application/json"
        )
        assert response.status_code == 422
        client.force_login(people.reviewer)
        objection_id = client.get(f"{URL}/objections").json()["items"][0]["id"]
        response = client.post(
            f"{URL}/objections/{objection_id}/resolve",
            {"upheld": False, "answer": "经核实不成立"},
            content_type="application/json",
        )
        assert response.status_code == 200
        client.logout()
        assert client.get(f"{URL}/objections/receipts/{receipt}").json()["answer"] == "经核实不成立"
