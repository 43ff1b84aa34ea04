"""Public pages: reachable without login, scoped to what is published, bounded queries."""

import pytest
from django.urls import reverse

from sunlit.powers import services
from sunlit.powers.exchange import dump_yaml
from sunlit.powers.tests.docs import small_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(tree):
    catalog = services.catalog_import(
        actor=None, owner=tree.county, source=dump_yaml(small_document()).encode()
    )
    services.catalog_publish(actor=None, catalog=catalog)
    services.adoption_set(actor=None, region=tree.township, catalog=catalog)
    services.override_set(
        actor=None,
        region=tree.township,
        item_code="PA-03",
        key="tier_amount",
        value="80000",
        reason="山区造价高",
    )
    catalog.refresh_from_db()
    return catalog


def test_home_lists_regions(client, tree):
    response = client.get("/")
    assert response.status_code == 200
    assert "信阳市" in response.content.decode()


def test_city_page_has_map_and_list_alternative(client, tree):
    response = client.get(reverse("portal:region", args=[tree.city.code]))
    body = response.content.decode()
    assert 'data-geo-url="/geo/411500.json"' in body
    assert "光山县" in body
    assert "罗山县" in body


def test_geo_json_for_city(client, tree):
    response = client.get("/geo/411500.json")
    assert response.status_code == 200
    assert len(response.json()["features"]) == 10
    assert client.get("/geo/abc.json").status_code == 404


def test_village_page_lists_catalog_in_force(client, tree, published):
    response = client.get(reverse("portal:region", args=[tree.village.code]))
    body = response.content.decode()
    assert "村级工程项目建设" in body
    assert "出具证明" in body


def test_village_without_adoption_says_so(client, tree, published):
    response = client.get(reverse("portal:region", args=[tree.far_village.code]))
    assert "No power catalog" in response.content.decode() or "尚未" in response.content.decode()


def test_item_page_shows_four_lists_with_local_values(client, tree, published, django_assert_max_num_queries):
    url = reverse("portal:village_item", args=[tree.village.code, "PA-03"])
    with django_assert_max_num_queries(25):
        response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "flowchart TD" in body  # Mermaid source
    assert "村民代表会议决议" in body  # step table
    assert "化整为零规避决策程序" in body  # risk
    assert "同一项目累计金额比对" in body  # control
    assert "80000" in body
    assert "十里镇" in body


def test_unknown_item_or_region_is_404(client, tree, published):
    assert client.get(reverse("portal:village_item", args=[tree.village.code, "NOPE"])).status_code == 404
    assert (
        client.get(reverse("portal:village_item", args=[tree.far_village.code, "PA-03"])).status_code == 404
    )
    assert client.get(reverse("portal:region", args=["999999999999"])).status_code == 404
    assert client.get(reverse("portal:region", args=["not-a-code"])).status_code == 404


def test_draft_catalog_is_not_public(client, tree, published):
    draft = services.catalog_new_draft(actor=None, catalog=published)
    assert client.get(reverse("portal:catalog", args=[draft.pk])).status_code == 404
    item = draft.items.first()
    assert client.get(reverse("portal:catalog_item", args=[draft.pk, item.pk])).status_code == 404
    assert client.get(f"/api/v1/catalogs/{draft.pk}").status_code == 404


def test_catalog_page_and_heatmap(client, published):
    body = client.get(reverse("portal:catalog", args=[published.pk])).content.decode()
    assert "不得化整为零规避决策" in body  # negative list
    assert "主持村级重大事项决策" in body  # responsibility list
    heat = client.get(reverse("portal:heatmap", args=[published.pk]))
    assert heat.status_code == 200
    assert "heat-spec" in heat.content.decode()


def test_item_of_other_catalog_is_404(client, tree, published):
    other = published.items.first()
    assert client.get(reverse("portal:catalog_item", args=[published.pk + 999, other.pk])).status_code == 404


def test_large_text_mode_sticks(client, tree):
    response = client.get("/?text=large")
    assert 'class="large-text"' in response.content.decode()
    assert 'class="large-text"' in client.get("/").content.decode()


def test_english_catalog(client, tree):
    client.cookies["django_language"] = "en"
    body = client.get("/").content.decode()
    assert "Find your village" in body
