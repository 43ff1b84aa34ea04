"""The accountability API: a lead from an alert through to close, refusals in the envelope, scoping,
the permission matrix, query counts on lists, statistics and the public naming list."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sunlit.accountability.models import Lead
from sunlit.accounts.roles import ROLE_PERMS, Perm, Role
from sunlit.cases.tests.conftest import pdf_bytes

pytestmark = pytest.mark.django_db
URL = "/api/v1"


@pytest.fixture
def api(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_alert_to_closed_lead_through_the_api(make_alert, staff, api):
    client = api(staff.township)
    alert = make_alert("verified")
    response = client.post(
        f"{URL}/leads",
        {"source": "alert", "alert_id": alert.pk, "title": "低保优亲厚友", "summary": "预警核实属实"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    lead = response.json()
    lid = lead["id"]
    assert lead["alert_id"] == alert.pk
    assert lead["status"] == "registered"
    assert {p["code"] for p in lead["close_problems"]} >= {"not_checked", "not_rectified"}

    post = lambda path, data: client.post(f"{URL}{path}", data, content_type="application/json")  # noqa: E731
    assert post(f"/leads/{lid}/dispositions", {"disposition": "file_case", "note": "立案"}).status_code == 200
    refused = post(
        f"/leads/{lid}/findings",
        {
            "subject_name": "张三",
            "subject_post": "村会计",
            "form": 1,
            "measure": "party_warning",
            "facts": "f",
        },
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "measure_not_in_form"
    assert "measure" in refused.json()["fields"]
    finding = post(
        f"/leads/{lid}/findings",
        {
            "subject_name": "张三",
            "subject_post": "村会计",
            "form": 2,
            "measure": "party_warning",
            "facts": "f",
        },
    ).json()
    leader = post(
        f"/leads/{lid}/findings",
        {
            "kind": "main_responsibility",
            "subject_name": "李书记",
            "subject_post": "村党支部书记",
            "form": 1,
            "measure": "admonition",
            "facts": "主体责任落实不力",
            "responsibility_for": finding["id"],
        },
    )
    assert leader.status_code == 201
    assert leader.json()["responsibility_for_id"] == finding["id"]
    for f in (finding["id"], leader.json()["id"]):
        assert (
            post(
                f"/findings/{f}/execution", {"decision_ref": "光纪发〔2026〕1号", "executed_on": "2026-01-05"}
            ).status_code
            == 200
        )
    close = post(f"/leads/{lid}/close", {"note": "办结"})
    assert close.status_code == 422
    assert {d["code"] for d in close.json()["details"]} == {"not_published", "not_rectified"}
    notice = post(
        f"/leads/{lid}/notices", {"title": "关于张三问题的通报", "body": "张三，村会计，电话13812345678。"}
    )
    assert notice.status_code == 201
    assert "张三" not in notice.json()["body"]
    assert "13812345678" not in notice.json()["body"]
    task = post(
        f"/leads/{lid}/rectifications",
        {"description": "追回资金", "responsible_unit": "镇民政所", "working_days": 5},
    )
    assert task.status_code == 201
    tid = task.json()["id"]
    no_file = client.post(f"{URL}/rectifications/{tid}/complete", {"note": "已追回"})
    assert no_file.status_code == 422
    assert no_file.json()["code"] == "evidence_required"
    done = client.post(
        f"{URL}/rectifications/{tid}/complete",
        {
            "note": "已追回",
            "file": SimpleUploadedFile("凭证.pdf", pdf_bytes("凭证"), content_type="application/pdf"),
        },
    )
    assert done.status_code == 200
    assert len(done.json()["evidence_sha256"]) == 64
    closed = post(f"/leads/{lid}/close", {"note": "四个不放过已落实"})
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    visit = post(
        f"/leads/{lid}/visits",
        {"visited_on": "2026-01-10", "visitors": "镇纪委", "outcome": "satisfied", "note": "整改到位"},
    )
    assert visit.status_code == 201
    public = client.get(f"{URL}/public/naming", {"region": alert.village.code}).json()
    assert public["count"] == 1
    assert "张三" not in public["items"][0]["body"]


def test_out_of_scope_leads_are_not_found(make_lead, staff, api):
    lead = make_lead("found")
    finding = lead.findings.get()
    for user in (staff.other_township, staff.far_county, staff.leader):
        client = api(user)
        assert client.get(f"{URL}/leads/{lead.pk}").status_code == 404
        assert client.get(f"{URL}/leads").json()["count"] == 0
        response = client.post(
            f"{URL}/findings/{finding.pk}/execution",
            {"decision_ref": "x", "executed_on": "2026-01-01"},
            content_type="application/json",
        )
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert api(staff.county).get(f"{URL}/leads/{lead.pk}").status_code == 200
    assert api(staff.county).get(f"{URL}/leads/999999").status_code == 404


def test_anonymous_gets_401(client, make_lead):
    lead = make_lead("registered")
    assert client.get(f"{URL}/leads/{lead.pk}").status_code == 401
    assert client.get(f"{URL}/public/naming").status_code == 200


# --- permission matrix: every assignable role, in and out of scope, for viewing and acting ----------------

ROLES = [r for r in Role.values if r != Role.APPLICANT]


def _region_for(role: str, tree, inside: bool):
    from sunlit.accounts.roles import ROLE_LEVELS

    levels = ROLE_LEVELS[role]
    if "village" in levels:
        return tree.village if inside else tree.far_county_village
    if "township" in levels:
        return tree.township if inside else tree.far_county_township
    return tree.county if inside else tree.other_county


@pytest.mark.parametrize("inside", [True, False], ids=["in_scope", "out_of_scope"])
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role, inside, tree, make_user, make_lead, api):
    lead = make_lead("registered")
    user = make_user(role, _region_for(role, tree, inside))
    client = api(user)
    perms = ROLE_PERMS[role]
    may_view = inside and Perm.LEAD_VIEW in perms
    may_handle = inside and Perm.LEAD_HANDLE in perms
    assert client.get(f"{URL}/leads/{lead.pk}").status_code == (200 if may_view else 404)
    assert client.get(f"{URL}/leads").json()["count"] == (1 if may_view else 0)
    response = client.post(
        f"{URL}/leads/{lead.pk}/dispositions",
        {"disposition": "hold", "note": "暂存"},
        content_type="application/json",
    )
    expected = 200 if may_handle else (403 if may_view else 404)
    assert response.status_code == expected
    lead.refresh_from_db()
    assert lead.status == ("held" if may_handle else "registered")
    created = client.post(
        f"{URL}/leads",
        {
            "source": "inspection",
            "village": tree.village.code,
            "source_description": "巡察",
            "title": "t",
            "summary": "s",
        },
        content_type="application/json",
    )
    assert created.status_code == (201 if may_handle else 404)
    assert Lead.objects.count() == (2 if may_handle else 1)


def test_list_query_count_does_not_grow(make_lead, staff, api, django_assert_max_num_queries, tree):
    make_lead("found")
    client = api(staff.county)
    with django_assert_max_num_queries(8) as few:
        client.get(f"{URL}/leads")
    for _ in range(12):
        make_lead("found", village=tree.sibling_village)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(f"{URL}/leads").json()
    assert body["count"] == 13


def test_public_list_query_count_does_not_grow(make_lead, client, django_assert_max_num_queries):
    make_lead("published")
    with django_assert_max_num_queries(4) as few:
        client.get(f"{URL}/public/naming")
    for i in range(8):
        make_lead("published", name=f"王{i}明")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"{URL}/public/naming").json()["count"] == 9


def test_statistics_by_form_measure_region_and_period(make_lead, staff, api, tree):
    make_lead("found")  # form 2, party warning, 十里村
    make_lead("found", village=tree.far_village, form=3, measure="party_probation")
    make_lead("found", village=tree.far_county_village, form=3, measure="party_expulsion")  # other county
    body = api(staff.county).get(f"{URL}/accountability/stats").json()
    assert body["total"] == 2
    assert [f["n"] for f in body["by_form"]] == [0, 1, 1, 0]
    assert {m["key"]: m["n"] for m in body["by_measure"]} == {"party_warning": 1, "party_probation": 1}
    assert {r["code"]: r["total"] for r in body["by_region"]} == {
        tree.township.code: 1,
        tree.other_township.code: 1,
    }
    assert sum(p["total"] for p in body["by_period"]) == 2
    township = api(staff.county).get(f"{URL}/accountability/stats", {"region": tree.township.code}).json()
    assert township["total"] == 1
    assert {r["code"] for r in township["by_region"]} == {tree.village.code}
    assert (
        api(staff.township).get(f"{URL}/accountability/stats", {"region": tree.county.code}).status_code
        == 404
    )
