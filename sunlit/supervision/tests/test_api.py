"""The supervision API: scoped alert lists and details, lifecycle actions with enveloped refusals,
the rules catalogue, rule settings for rule.manage holders, and the statistics endpoint."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from sunlit.accounts.roles import Role
from sunlit.cases.tests.conftest import pdf_bytes
from sunlit.supervision.engine import sweep
from sunlit.supervision.models import Alert, RuleSetting
from sunlit.supervision.rules.base import REGISTRY
from sunlit.supervision.tests.conftest import T0

pytestmark = pytest.mark.django_db
URL = "/api/v1"


@pytest.fixture
def api(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def alert(walk):
    with time_machine.travel(T0, tick=False):
        case = walk("accept")
    sweep(rule_codes=["TIME_STEP_OVERDUE"], now=case.current.due_at + datetime.timedelta(days=11))
    return Alert.objects.get()


def test_list_filters_and_paginates(alert, people, api, django_assert_max_num_queries):
    client = api(people.township_discipline)
    with django_assert_max_num_queries(8):
        body = client.get(f"{URL}/alerts").json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert (item["id"], item["severity"], item["status"], item["handling_region_name"]) == (
        alert.pk,
        "red",
        "open",
        "十里镇",
    )
    assert client.get(f"{URL}/alerts", {"severity": "blue"}).json()["count"] == 0
    assert client.get(f"{URL}/alerts", {"rule": "TIME_STEP_OVERDUE", "unresolved": True}).json()["count"] == 1
    assert client.get(f"{URL}/alerts", {"region": alert.village.code}).json()["count"] == 1
    assert client.get(f"{URL}/alerts", {"region": "nowhere"}).json()["count"] == 0
    assert client.get(f"{URL}/alerts", {"limit": 1, "offset": 1}).json()["items"] == []


def test_list_query_count_does_not_grow(alert, people, api, django_assert_max_num_queries):
    client = api(people.county_discipline)
    with django_assert_max_num_queries(8) as few:
        client.get(f"{URL}/alerts")
    fields = {
        f.attname: getattr(alert, f.attname)
        for f in Alert._meta.concrete_fields
        if f.attname not in ("id", "key")
    }
    Alert.objects.bulk_create([Alert(**fields, key=f"copy:{i}") for i in range(20)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"{URL}/alerts").json()["count"] == 21


def test_detail_and_scoping(alert, people, api, client, make_user, tree):
    body = api(people.supervisor).get(f"{URL}/alerts/{alert.pk}").json()
    assert body["explanation"] == alert.explanation
    assert [a["kind"] for a in body["actions"]] == ["raised"]
    assert body["case_id"] == alert.case_id
    far = make_user(Role.TOWNSHIP_DISCIPLINE, tree.other_township)
    for path in (f"/alerts/{alert.pk}", "/alerts/999999"):
        response = api(far).get(f"{URL}{path}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert api(far).get(f"{URL}/alerts").json()["count"] == 0
    client.logout()
    assert client.get(f"{URL}/alerts").status_code == 401


def test_lifecycle_through_the_api(alert, people, api):
    client = api(people.township_discipline)
    body = client.post(f"{URL}/alerts/{alert.pk}/claim").json()
    assert (body["status"], body["claimed_by"]) == ("claimed", "tdiscipline")
    response = client.post(f"{URL}/alerts/{alert.pk}/claim")
    assert response.status_code == 409
    assert response.json()["code"] == "alert_state"
    client.post(f"{URL}/alerts/{alert.pk}/verify", {"note": "属实"}, content_type="application/json")
    client.post(f"{URL}/alerts/{alert.pk}/rectify", {"note": "整改"}, content_type="application/json")
    response = client.post(f"{URL}/alerts/{alert.pk}/close", {"note": "已整改"})
    assert response.status_code == 422
    assert response.json()["code"] == "evidence_required"
    response = client.post(
        f"{URL}/alerts/{alert.pk}/downgrade",
        {"severity": "yellow", "note": "已整改", "evidence": SimpleUploadedFile("e.pdf", pdf_bytes("e"))},
    )
    assert response.json()["severity"] == "yellow"
    response = client.post(
        f"{URL}/alerts/{alert.pk}/close",
        {"note": "已整改", "evidence": SimpleUploadedFile("r.pdf", pdf_bytes("r"))},
    )
    body = response.json()
    assert body["status"] == "closed"
    assert [a["kind"] for a in body["actions"]] == [
        "raised",
        "claimed",
        "verified",
        "rectifying",
        "downgraded",
        "closed",
    ]
    assert len(body["actions"][-1]["evidence_sha256"]) == 64


def test_dismiss_needs_a_reason_and_viewers_cannot_act(alert, people, api):
    response = api(people.supervisor).post(f"{URL}/alerts/{alert.pk}/claim")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    client = api(people.township_discipline)
    response = client.post(
        f"{URL}/alerts/{alert.pk}/dismiss", {"reason": " "}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["fields"]["reason"]
    assert Alert.objects.get(pk=alert.pk).status == "open"
    response = client.post(
        f"{URL}/alerts/{alert.pk}/dismiss", {"reason": "误报"}, content_type="application/json"
    )
    assert response.json()["status"] == "dismissed"


def test_rules_catalogue(people, api):
    body = api(people.supervisor).get(f"{URL}/rules").json()
    assert {r["code"] for r in body} == set(REGISTRY)
    assert api(people.committee).get(f"{URL}/rules").status_code == 404


def _param_rule():
    for code, rule in sorted(REGISTRY.items()):
        if rule.params:
            name, spec = next(iter(rule.params.items()))
            return code, name, spec
    pytest.skip("no rule has parameters")


def test_rule_settings_get_and_put(people, api, tree, make_user):
    code, name, spec = _param_rule()
    client = api(people.county_discipline)
    url = f"{URL}/rules/{code}/settings"
    assert client.get(url, {"region": tree.county.code}).json() is None
    response = client.put(
        url,
        {"region": tree.county.code, "params": {name: str(spec.maximum + 1)}},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert name in response.json()["fields"]
    assert not RuleSetting.objects.exists()
    response = client.put(
        url,
        {"region": tree.county.code, "params": {name: str(spec.minimum)}, "reason": "本县从严"},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = client.get(url, {"region": tree.county.code}).json()
    assert (body["region"], body["set_by"], body["reason"]) == (tree.county.code, "cdiscipline", "本县从严")
    # not a rule.manage holder there: 404, like a missing region
    other = make_user(Role.COUNTY_DISCIPLINE, tree.other_county)
    assert api(other).get(url, {"region": tree.county.code}).status_code == 404
    response = api(people.township_discipline).put(
        url, {"region": tree.township.code, "params": {}}, content_type="application/json"
    )
    assert response.status_code == 404
    assert (
        api(people.county_discipline)
        .get(f"{URL}/rules/NOPE/settings", {"region": tree.county.code})
        .status_code
        == 404
    )


def test_stats_endpoint(alert, people, api, tree):
    body = api(people.county_discipline).get(f"{URL}/alert-stats").json()
    assert body["total"] == 1
    assert body["region"]["code"] == tree.county.code
    assert [r["name"] for r in body["by_region"]] == ["十里镇", "寨河镇"]
    body = api(people.county_discipline).get(f"{URL}/alert-stats", {"region": tree.township.code}).json()
    assert [(r["name"], r["total"]) for r in body["by_region"]] == [("十里村", 1), ("王湾村", 0)]
    assert (
        api(people.township_discipline).get(f"{URL}/alert-stats", {"region": tree.county.code}).status_code
        == 404
    )
    assert api(people.committee).get(f"{URL}/alert-stats").status_code == 404
