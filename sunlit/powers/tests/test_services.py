"""Publishing, editions, adoption and overrides within the county's bounds."""

from decimal import Decimal

import pytest

from sunlit.core.errors import Conflict, NotFound, ValidationFailed
from sunlit.powers import selectors, services
from sunlit.powers.errors import CatalogInvalid, CatalogNotDraft
from sunlit.powers.exchange import dump_yaml
from sunlit.powers.models import Catalog, ParameterOverride
from sunlit.powers.tests.docs import small_document
from sunlit.powers.vocab import CatalogStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(tree):
    catalog = services.catalog_import(
        actor=None, owner=tree.county, source=dump_yaml(small_document()).encode()
    )
    services.catalog_publish(actor=None, catalog=catalog)
    catalog.refresh_from_db()
    return catalog


def test_publish_freezes_with_hash(published):
    assert published.status == CatalogStatus.PUBLISHED
    assert len(published.content_hash) == 64
    with pytest.raises(CatalogNotDraft):
        services.item_replace(
            actor=None,
            catalog=published,
            item_doc=small_document()["items"][1],
            item=published.items.get(code="VS-01"),
        )


def test_publish_refuses_draft_with_graph_problems_and_changes_nothing(tree, published):
    draft = services.catalog_new_draft(actor=None, catalog=published)
    item = draft.items.get(code="VS-01")
    doc = selectors.item_document(item)
    doc["flow"]["transitions"] = [t for t in doc["flow"]["transitions"] if t["from"] != "issue"]
    result = services.item_replace(actor=None, catalog=draft, item_doc=doc, item=item)
    assert {p.code for p in result.problems} == {"dead_end", "unreachable"}  # "end" is now cut off too
    with pytest.raises(CatalogInvalid) as info:
        services.catalog_publish(actor=None, catalog=draft)
    assert any(d["code"] == "dead_end" for d in info.value.details)
    draft.refresh_from_db()
    published.refresh_from_db()
    assert draft.status == CatalogStatus.DRAFT
    assert published.status == CatalogStatus.PUBLISHED


def test_item_replace_refuses_malformed_input(published):
    draft = services.catalog_new_draft(actor=None, catalog=published)
    item = draft.items.get(code="VS-01")
    doc = selectors.item_document(item)
    doc["group"] = "nonsense"
    with pytest.raises(CatalogInvalid):
        services.item_replace(actor=None, catalog=draft, item_doc=doc, item=item)
    assert draft.items.filter(code="VS-01", group="villager_services").exists()


def test_new_edition_retires_old_and_moves_adoptions_keeping_valid_overrides(tree, published):
    services.adoption_set(actor=None, region=tree.township, catalog=published)
    services.adoption_set(actor=None, region=tree.village, catalog=published)
    services.override_set(
        actor=None,
        region=tree.township,
        item_code="PA-03",
        key="tier_amount",
        value="80000",
        reason="山区造价高",
    )
    services.override_set(
        actor=None,
        region=tree.village,
        item_code="PA-03",
        key="notice_days",
        value="10",
        reason="村民外出务工多",
    )
    draft = services.catalog_new_draft(actor=None, catalog=published)
    item = draft.items.get(code="PA-03")
    doc = selectors.item_document(item)
    doc["parameters"][1]["max"] = "7"  # the county narrows the notice bounds: the village's 10 is now out
    services.item_replace(actor=None, catalog=draft, item_doc=doc, item=item)
    report = services.catalog_publish(actor=None, catalog=draft)
    published.refresh_from_db()
    assert published.status == CatalogStatus.RETIRED
    assert report.adoptions_moved == 2
    assert report.overrides_kept == 1
    assert len(report.overrides_dropped) == 1
    assert "notice_days" in report.overrides_dropped[0]
    assert selectors.catalog_in_force(tree.village).pk == draft.pk
    unchanged = draft.items.get(code="VS-01").flow
    changed = draft.items.get(code="PA-03").flow
    assert unchanged.version == 1
    assert changed.version == 1  # flow content unchanged; only a parameter bound changed


def test_flow_version_increments_only_when_the_flow_changes(published):
    draft = services.catalog_new_draft(actor=None, catalog=published)
    item = draft.items.get(code="VS-01")
    doc = selectors.item_document(item)
    doc["flow"]["steps"][1]["deadline_days"] = 3
    services.item_replace(actor=None, catalog=draft, item_doc=doc, item=item)
    services.catalog_publish(actor=None, catalog=draft)
    assert draft.items.get(code="VS-01").flow.version == 2
    assert draft.items.get(code="PA-03").flow.version == 1


def test_only_one_draft_at_a_time(published):
    services.catalog_new_draft(actor=None, catalog=published)
    with pytest.raises(Conflict):
        services.catalog_new_draft(actor=None, catalog=published)


def test_catalog_in_force_prefers_village_then_township(tree, published):
    assert selectors.catalog_in_force(tree.village) is None
    services.adoption_set(actor=None, region=tree.township, catalog=published)
    assert selectors.catalog_in_force(tree.village) == published
    assert selectors.catalog_in_force(tree.far_village) is None
    assert selectors.item_in_force(tree.village, "PA-03").code == "PA-03"
    with pytest.raises(NotFound):
        selectors.item_in_force(tree.village, "NOPE")


def test_adoption_requires_an_ancestor_owner(tree, published):
    with pytest.raises(ValidationFailed):
        services.adoption_set(actor=None, region=tree.far_county_village, catalog=published)
    with pytest.raises(ValidationFailed):
        services.adoption_set(actor=None, region=tree.county, catalog=published)


@pytest.mark.parametrize(
    ("key", "value", "region_attr", "ok"),
    [
        ("notice_days", "5", "village", True),  # exactly min
        ("notice_days", "15", "village", True),  # exactly max
        ("notice_days", "4", "village", False),  # one below min
        ("notice_days", "16", "village", False),  # one above max
        ("notice_days", "7.5", "village", False),  # days are whole
        ("tier_amount", "60000", "village", False),  # township-only parameter
        ("tier_amount", "60000", "township", True),
        ("tier_amount", "nan", "township", False),
        ("tier_amount", "abc", "township", False),
    ],
)
def test_override_bounds(tree, published, key, value, region_attr, ok):
    services.adoption_set(actor=None, region=tree.township, catalog=published)
    services.adoption_set(actor=None, region=tree.village, catalog=published)
    region = getattr(tree, region_attr)
    if ok:
        services.override_set(
            actor=None, region=region, item_code="PA-03", key=key, value=value, reason="本地情况"
        )
        params = selectors.effective_parameters(tree.village, published.items.get(code="PA-03"))
        assert params[key].value == Decimal(value)
        assert params[key].source == region.code
    else:
        with pytest.raises(ValidationFailed):
            services.override_set(
                actor=None, region=region, item_code="PA-03", key=key, value=value, reason="本地情况"
            )
        assert not ParameterOverride.objects.exists()


def test_override_needs_a_reason(tree, published):
    services.adoption_set(actor=None, region=tree.village, catalog=published)
    with pytest.raises(ValidationFailed):
        services.override_set(
            actor=None, region=tree.village, item_code="PA-03", key="notice_days", value="6", reason=" "
        )


def test_discard_draft(published):
    draft = services.catalog_new_draft(actor=None, catalog=published)
    services.catalog_discard_draft(actor=None, catalog=draft)
    assert not Catalog.objects.filter(pk=draft.pk).exists()
    with pytest.raises(CatalogNotDraft):
        services.catalog_discard_draft(actor=None, catalog=published)


def test_heatmap_counts_every_risk(published):
    heat = selectors.risk_heatmap(published)
    assert heat.total == 3
    assert heat.counts[2][2] == 1  # R1 of PA-03: likelihood 3, impact 3
    assert heat.by_level["high"] == 1


def test_switching_edition_drops_local_values_now_out_of_bounds(tree, published):
    services.adoption_set(actor=None, region=tree.township, catalog=published)
    services.override_set(
        actor=None, region=tree.township, item_code="PA-03", key="tier_amount", value="150000", reason="山区"
    )
    services.override_set(
        actor=None, region=tree.township, item_code="PA-03", key="notice_days", value="6", reason="赶集"
    )
    narrower = small_document()
    narrower["catalog"]["code"] = "city"
    narrower["items"][0]["parameters"][0]["max"] = "100000"  # 150000 no longer allowed
    city_catalog = services.catalog_import(actor=None, owner=tree.city, source=dump_yaml(narrower).encode())
    services.catalog_publish(actor=None, catalog=city_catalog)
    services.adoption_set(actor=None, region=tree.township, catalog=city_catalog)
    kept = {(o.key, str(o.value)) for o in ParameterOverride.objects.all()}
    assert kept == {("notice_days", "6.00")}
