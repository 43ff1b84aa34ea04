"""The disclosure API: public reads, staff writes, the error envelope, scope and query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .conftest import PHONE, id_number

pytestmark = pytest.mark.django_db
URL = "/api/v1"


def test_public_list_detail_history(client, publish, staff, tree):
    from sunlit.disclosure.services import disclosure_correct

    d = publish(module="livelihood", entries=[{"name": "张三", "benefit": "低保", "amount": "350"}])
    for i in range(6):
        publish(title=f"公示{i}", body=f"电话{PHONE}")
    disclosure_correct(actor=staff.chair, disclosure=d, title="低保名单（更正）", body="更正", reason="笔误")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"{URL}/disclosures", {"village": tree.village.code, "limit": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 7
    assert len(body["items"]) == 5
    assert len(ctx.captured_queries) <= 4  # region, count, page
    assert all(PHONE not in item["title"] for item in body["items"])
    detail = client.get(f"{URL}/disclosures/{d.code}").json()
    assert detail["current"]["number"] == 2
    assert detail["current"]["entries"][0]["name"] == "张三"
    assert set(detail["current"]["entries"][0]) == {"name", "village_group", "benefit", "amount", "period"}
    versions = client.get(f"{URL}/disclosures/{d.code}/versions").json()
    assert [(v["number"], v["reason"]) for v in versions] == [(1, ""), (2, "笔误")]
    assert client.get(f"{URL}/disclosures/GKNOPE").status_code == 404
    searched = client.get(f"{URL}/disclosures", {"q": "低保", "region": tree.county.code}).json()
    assert [i["code"] for i in searched["items"]] == [d.code]


def test_staff_publish_correct_redact(client, staff, tree):
    client.force_login(staff.chair)
    payload = {
        "village": tree.village.code,
        "module": "decisions",
        "title": "决议公示",
        "body": f"联系人身份证{id_number()}",
        "period_start": "2026-03-01",
        "period_end": "2026-03-08",
    }
    response = client.post(f"{URL}/disclosures", payload, content_type="application/json")
    assert response.status_code == 201
    created = response.json()
    assert "411522********" in created["current"]["body"]
    code = created["code"]
    bad = client.post(
        f"{URL}/disclosures",
        {**payload, "module": "livelihood", "entries": [{"name": "张三", "benefit": id_number()}]},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "pii_blocked"
    assert "entries[0].benefit" in bad.json()["fields"]
    fixed = client.post(
        f"{URL}/disclosures/{code}/corrections",
        {"title": "决议公示（更正）", "body": "更正后", "reason": "更正"},
        content_type="application/json",
    )
    assert fixed.status_code == 201
    assert fixed.json()["number"] == 2
    # the chair may not redact (403); someone outside gets 404
    denied = client.post(
        f"{URL}/disclosures/{code}/redactions",
        {"reason": "x", "field": "body"},
        content_type="application/json",
    )
    assert denied.status_code == 403
    client.force_login(staff.far_discipline)
    assert (
        client.post(
            f"{URL}/disclosures/{code}/redactions",
            {"reason": "x", "field": "body"},
            content_type="application/json",
        ).status_code
        == 404
    )
    client.force_login(staff.township_discipline)
    redacted = client.post(
        f"{URL}/disclosures/{code}/redactions",
        {"reason": "涉及隐私", "field": "body", "text": "更正后"},
        content_type="application/json",
    )
    assert redacted.status_code == 201
    assert redacted.json()["body"] == "■■■"


def test_staff_list_scoped_and_needs_login(client, publish, staff, tree):
    publish()
    publish(village=tree.far_village, actor=None)
    assert client.get(f"{URL}/staff/disclosures").status_code == 401
    client.force_login(staff.chair)
    assert client.get(f"{URL}/staff/disclosures").json()["count"] == 1
    client.force_login(staff.county_discipline)
    assert client.get(f"{URL}/staff/disclosures").json()["count"] == 2
    client.force_login(staff.other_chair)
    assert client.get(f"{URL}/staff/disclosures").json()["count"] == 0


def test_contact(client, staff, tree):
    from sunlit.disclosure.services import contact_set

    assert client.get(f"{URL}/villages/{tree.village.code}/supervision-contact").status_code == 404
    contact_set(
        actor=staff.chair, village=tree.village, chair="王明", office_phone="0376-8123456", address="村部二楼"
    )
    body = client.get(f"{URL}/villages/{tree.village.code}/supervision-contact").json()
    assert body["chair"] == "王明"
    assert body["office_phone"] == "0376-8123456"


def test_malformed_input_is_422_not_500(client, staff, tree):
    client.force_login(staff.chair)
    bad_date = client.post(
        f"{URL}/disclosures",
        {"village": tree.village.code, "module": "decisions", "title": "t", "period_start": "2026-13-45"},
        content_type="application/json",
    )
    assert bad_date.status_code == 422
    bad_module = client.post(
        f"{URL}/disclosures",
        {"village": tree.village.code, "module": "nope", "title": "t"},
        content_type="application/json",
    )
    assert bad_module.status_code == 422
    assert bad_module.json()["code"] == "module_invalid"
    assert client.get(f"{URL}/disclosures", {"date_from": "yesterday"}).status_code == 422
    assert client.get(f"{URL}/disclosures", {"village": "999999999999"}).status_code == 404
