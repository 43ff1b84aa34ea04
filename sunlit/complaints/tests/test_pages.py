"""The pages end to end (no JavaScript): file on the portal, follow with the code and secret, reply,
the unit answers in the workbench, the villager rates; staff intake; query counts stay bounded."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sunlit.complaints.models import Complaint, ComplaintMessage
from sunlit.complaints.vocab import Rating, Status

pytestmark = pytest.mark.django_db


def en_client(user=None, ip="10.9.0.1"):
    client = Client(headers={"Accept-Language": "en"}, REMOTE_ADDR=ip)
    if user is not None:
        client.force_login(user)
    return client


def file_on_portal(client, tree, **extra):
    data = {
        "kind": "complaint",
        "category": "assets",
        "village": tree.village.code,
        "text": "村集体机动地租金没有公开。",
        "identity": "anonymous",
        **extra,
    }
    return client.post(reverse("portal:complaint_new"), data)


def test_portal_form_renders_with_villages(tree):
    r = en_client().get(reverse("portal:complaint_new") + f"?village={tree.village.code}")
    assert r.status_code == 200
    html = r.content.decode()
    assert f'value="{tree.village.code}" selected' in html
    assert "<optgroup" in html


def test_file_follow_reply_answer_rate(tree, staff):
    villager = en_client()
    r = file_on_portal(villager, tree)
    assert r.status_code == 200
    html = r.content.decode()
    code = re.search(r'id="tracking-code">([^<]+)<', html).group(1)
    secret = re.search(r'id="tracking-secret">([^<]+)<', html).group(1)
    assert "no-cache" in r["Cache-Control"] or "no-store" in r["Cache-Control"]
    complaint = Complaint.objects.get(code=code)
    assert secret not in complaint.secret_hash

    # follow with a wrong secret: same answer as an unknown code
    wrong = villager.post(reverse("portal:complaint_follow"), {"code": code, "secret": "X" * 16})
    unknown = villager.post(reverse("portal:complaint_follow"), {"code": "T00000000000", "secret": secret})
    assert wrong.status_code == unknown.status_code == 404

    leader = en_client(staff.leader)
    detail = reverse("workbench:complaint", args=[complaint.pk])
    assert leader.post(reverse("workbench:complaint_action", args=[complaint.pk, "claim"])).status_code == 302
    assert (
        leader.post(
            reverse("workbench:complaint_action", args=[complaint.pk, "ask"]),
            {"ask-text": "租金是哪一年的？"},
        ).status_code
        == 302
    )
    page = villager.post(reverse("portal:complaint_follow"), {"code": code, "secret": secret})
    assert "租金是哪一年的？" in page.content.decode()
    r = villager.post(
        reverse("portal:complaint_follow"),
        {"code": code, "secret": secret, "action": "reply", "text": "2025年的"},
    )
    assert r.status_code == 200
    assert ComplaintMessage.objects.filter(complaint=complaint, body="2025年的").exists()
    assert (
        leader.post(reverse("workbench:complaint_action", args=[complaint.pk, "accept"])).status_code == 302
    )
    r = leader.post(
        reverse("workbench:complaint_action", args=[complaint.pk, "answer"]),
        {"answer-text": "已在公开栏公布2025年租金收支。"},
    )
    assert r.status_code == 302
    assert "2025年的" in leader.get(detail).content.decode()

    page = villager.post(
        reverse("portal:complaint_follow"), {"code": code, "secret": secret}
    ).content.decode()
    assert 'id="rate-form"' in page
    assert "已在公开栏公布2025年租金收支。" in page
    r = villager.post(
        reverse("portal:complaint_follow"),
        {"code": code, "secret": secret, "action": "rate", "rating": Rating.SATISFIED},
    )
    assert r.status_code == 200
    complaint.refresh_from_db()
    assert (complaint.status, complaint.rating) == (Status.CLOSED, Rating.SATISFIED)


def test_portal_refusals_are_shown_and_change_nothing(tree):
    client = en_client()
    r = file_on_portal(client, tree, text="短")
    assert r.status_code in (400, 422)
    r = file_on_portal(client, tree, identity="named", name="", phone="12")
    assert r.status_code == 422
    assert "Give an 11-digit mobile number" in r.content.decode()
    assert not Complaint.objects.exists()


def test_real_name_portal_flow_with_phone_code(tree, outbox, django_capture_on_commit_callbacks):
    client = en_client()
    with django_capture_on_commit_callbacks(execute=True):
        r = file_on_portal(client, tree, identity="named", name="李四", phone="13900001111")
    html = r.content.decode()
    code = re.search(r'id="tracking-code">([^<]+)<', html).group(1)
    secret = re.search(r'id="tracking-secret">([^<]+)<', html).group(1)
    assert 'id="verify"' in html
    otp = re.search(r"(\d{6})", outbox[-1].text).group(1)
    r = client.post(
        reverse("portal:complaint_verify"),
        {"code": code, "secret": secret, "otp": "000000" if otp != "000000" else "111111"},
    )
    assert r.status_code == 422
    r = client.post(reverse("portal:complaint_verify"), {"code": code, "secret": secret, "otp": otp})
    assert r.status_code == 200
    assert Complaint.objects.get(code=code).status == Status.RECEIVED


def test_staff_intake_page(tree, staff):
    client = en_client(staff.liaison)
    assert client.get(reverse("workbench:complaint_intake")).status_code == 200
    r = client.post(
        reverse("workbench:complaint_intake"),
        {
            "channel": "phone",
            "kind": "suggestion",
            "category": "openness",
            "village": tree.village.code,
            "text": "建议每月公开一次账目",
            "anonymous": "on",
        },
    )
    assert r.status_code == 200
    assert 'id="tracking-secret"' in r.content.decode()
    assert Complaint.objects.get().channel == "phone"
    assert en_client(staff.leader).get(reverse("workbench:complaint_intake")).status_code == 404


def test_malformed_actions_are_not_500(tree, staff, file):
    c = file().complaint
    client = en_client(staff.leader)
    assert client.post(reverse("workbench:complaint_action", args=[c.pk, "explode"])).status_code == 404
    client.post(reverse("workbench:complaint_action", args=[c.pk, "accept"]))
    r = client.post(
        reverse("workbench:complaint_action", args=[c.pk, "extend"]),
        {"extend-days": "abc", "extend-reason": "x"},
    )
    assert r.status_code == 422
    r = client.post(reverse("workbench:complaint_action", args=[c.pk, "accept"]))
    assert r.status_code == 409
    assert en_client().post(reverse("portal:complaint_follow"), {"code": "", "secret": ""}).status_code == 400
    assert en_client().get(reverse("portal:complaints") + "?village=nope&page=zz").status_code == 200


def _make(file, tree, n):
    for i in range(n):
        file(
            text=f"第{i}号意见：村务公开不及时",
            category="openness" if i % 2 else "assets",
            village=tree.village if i % 3 else tree.sibling_village,
        )


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url", ["/staff/complaints/?status=all", "/api/v1/complaints", "/staff/complaints/export.csv"]
)
def test_staff_lists_query_count_is_bounded(file, tree, staff, url):
    _make(file, tree, 3)
    client = en_client(staff.cdiscipline)
    few = _count(client, url)
    _make(file, tree, 20)
    assert _count(client, url) == few


@pytest.mark.parametrize("url", ["/complaints/", "/open311/v2/requests.json", "/open311/v2/requests.xml"])
def test_public_lists_query_count_is_bounded(file, tree, url):
    _make(file, tree, 3)
    client = en_client()
    few = _count(client, url)
    _make(file, tree, 20)
    assert _count(client, url) == few
