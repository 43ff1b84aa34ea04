"""API: public reads, scoped writes, one error envelope, never a 500 on bad input."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sunlit.accounts.roles import Role
from sunlit.powers import services
from sunlit.powers.exchange import dump_yaml
from sunlit.powers.models import Catalog
from sunlit.powers.tests.docs import small_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(tree):
    catalog = services.catalog_import(
        actor=None, owner=tree.county, source=dump_yaml(small_document()).encode()
    )
    services.catalog_publish(actor=None, catalog=catalog)
    services.adoption_set(actor=None, region=tree.township, catalog=catalog)
    catalog.refresh_from_db()
    return catalog


def test_openapi_is_served(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/villages/{code}/catalog" in spec["paths"]


def test_region_reads(client, tree):
    top = client.get("/api/v1/regions").json()
    assert [r["code"] for r in top] == ["410000000000"]
    detail = client.get("/api/v1/regions/411522").json()
    assert detail["name"] == "光山县"
    assert [a["name"] for a in detail["ancestors"]] == ["河南省", "信阳市"]


def test_unknown_region_is_enveloped_404(client, tree):
    response = client.get("/api/v1/regions/xyz")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": response.json()["message"], "fields": {}}


def test_village_catalog_and_item_parameters(client, tree, published):
    data = client.get(f"/api/v1/villages/{tree.village.code}/catalog").json()
    assert [i["code"] for i in data["items"]] == ["PA-03", "VS-01"]
    item = client.get(f"/api/v1/villages/{tree.village.code}/items/PA-03").json()
    assert {p["key"]: p["value"] for p in item["parameters"]}["tier_amount"] == "50000"
    assert client.get(f"/api/v1/villages/{tree.far_village.code}/items/PA-03").status_code == 404


def test_export_formats(client, published):
    assert client.get(f"/api/v1/catalogs/{published.pk}/document").json()["catalog"]["code"] == "test"
    yaml_response = client.get(f"/api/v1/catalogs/{published.pk}/document?format=yaml")
    assert yaml_response["Content-Type"].startswith("application/yaml")
    xlsx = client.get(f"/api/v1/catalogs/{published.pk}/document?format=xlsx")
    assert xlsx.content[:2] == b"PK"
    assert client.get(f"/api/v1/catalogs/{published.pk}/document?format=pdf").status_code == 404


def test_writes_need_login(client, published):
    response = client.post(f"/api/v1/catalogs/{published.pk}/drafts")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_import_through_api_reports_rows_and_changes_nothing(client, tree, make_user):
    client.force_login(make_user(Role.COUNTY_DISCIPLINE, tree.county))
    doc = small_document()
    doc["items"][1]["code"] = doc["items"][0]["code"]
    upload = SimpleUploadedFile("c.yaml", dump_yaml(doc).encode())
    response = client.post("/api/v1/catalogs/import", {"owner": tree.county.code, "file": upload})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "import_rejected"
    assert body["details"][0]["line"] > 0
    assert not Catalog.objects.exists()
    upload = SimpleUploadedFile("c.yaml", dump_yaml(small_document()).encode())
    response = client.post("/api/v1/catalogs/import", {"owner": tree.county.code, "file": upload})
    assert response.status_code == 201
    assert response.json()["status"] == "draft"


def test_out_of_scope_write_is_404_not_403(client, tree, make_user, published):
    client.force_login(make_user(Role.COUNTY_DISCIPLINE, tree.other_county))
    response = client.post(f"/api/v1/catalogs/{published.pk}/drafts")
    assert response.status_code == 404
    response = client.put(
        f"/api/v1/regions/{tree.village.code}/overrides/PA-03/notice_days",
        data=json.dumps({"value": "6", "reason": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 404


def test_item_put_returns_problems_and_publish_refuses(client, tree, make_user, published):
    user = make_user(Role.COUNTY_DISCIPLINE, tree.county)
    client.force_login(user)
    draft = client.post(f"/api/v1/catalogs/{published.pk}/drafts").json()
    item = client.get(
        f"/api/v1/items/{Catalog.objects.get(pk=draft['id']).items.get(code='VS-01').pk}"
    ).json()
    item["flow"]["transitions"] = item["flow"]["transitions"][:-1]
    saved = client.put(
        f"/api/v1/catalogs/{draft['id']}/items/VS-01", data=json.dumps(item), content_type="application/json"
    ).json()
    assert "dead_end" in {p["code"] for p in saved["problems"]}
    response = client.post(f"/api/v1/catalogs/{draft['id']}/publish")
    assert response.status_code == 422
    assert response.json()["code"] == "catalog_invalid"


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        json.dumps([1, 2]),
        json.dumps({"flow": "x"}),
        json.dumps({"code": None, "flow": {"steps": [None]}}),
    ],
)
def test_malformed_item_payloads_never_500(client, tree, make_user, published, payload):
    client.force_login(make_user(Role.COUNTY_DISCIPLINE, tree.county))
    draft = client.post(f"/api/v1/catalogs/{published.pk}/drafts").json()
    response = client.put(
        f"/api/v1/catalogs/{draft['id']}/items/VS-01", data=payload, content_type="application/json"
    )
    assert 400 <= response.status_code < 500
    assert "code" in response.json()


def test_override_bounds_via_api(client, tree, make_user, published):
    client.force_login(make_user(Role.TOWNSHIP_DISCIPLINE, tree.township))
    url = f"/api/v1/regions/{tree.township.code}/overrides/PA-03/tier_amount"
    bad = client.put(url, data=json.dumps({"value": "9", "reason": "x"}), content_type="application/json")
    assert bad.status_code == 422
    assert bad.json()["code"] == "out_of_bounds"
    good = client.put(
        url, data=json.dumps({"value": "10000", "reason": "x"}), content_type="application/json"
    )
    assert good.json()["value"] == "10000"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/catalogs/abc",
        "/api/v1/items/0",
        "/api/v1/catalogs/99999/document",
        "/api/v1/villages/1/catalog",
    ],
)
def test_bad_ids_are_not_500(client, tree, path):
    response = client.get(path)
    assert response.status_code in (404, 422)
