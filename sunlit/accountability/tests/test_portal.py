"""The public naming pages: per region, masked, paginated with bounded queries, withdrawn notices gone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sunlit.accountability import services

pytestmark = pytest.mark.django_db


def test_naming_pages_per_county_and_village_show_only_masked_text(
    make_lead, client, tree, django_assert_max_num_queries
):
    lead = make_lead("executed")
    notice = services.notice_publish(
        actor=None, lead=lead, title="关于张小明问题的通报", body="张小明（电话13812345678）虚报冒领低保金。"
    )
    for region in (tree.county, tree.township, tree.village):
        page = client.get(reverse("portal:naming", args=[region.code])).content.decode()
        assert "张**" in page
        assert "张小明" not in page
        assert "13812345678" not in page
    assert "张**" not in client.get(reverse("portal:naming", args=[tree.other_county.code])).content.decode()
    detail = client.get(reverse("portal:naming_notice", args=[tree.county.code, notice.pk]))
    assert detail.status_code == 200
    assert "138****5678" in detail.content.decode()
    assert (
        client.get(reverse("portal:naming_notice", args=[tree.other_county.code, notice.pk])).status_code
        == 404
    )
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("portal:naming", args=[tree.county.code]))
    for i in range(6):
        make_lead("published", name=f"王{i}明")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("portal:naming", args=[tree.county.code]))
    services.notice_withdraw(actor=None, notice=notice, reason="事实有误")
    assert client.get(reverse("portal:naming_notice", args=[tree.county.code, notice.pk])).status_code == 404


def test_unknown_region_is_404(client):
    assert client.get(reverse("portal:naming", args=["999999999999"])).status_code == 404


def test_county_and_township_pages_link_to_their_naming_notices(client, tree):
    for region in (tree.county, tree.township):
        page = client.get(reverse("portal:region", args=[region.code])).content.decode()
        assert reverse("portal:naming", args=[region.code]) in page
