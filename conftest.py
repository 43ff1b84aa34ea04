"""Shared fixtures: a small region tree and users holding each role."""

import pytest


@pytest.fixture
def tree(db):
    """Province → city → county (two) → townships → villages, with real Xinyang county codes."""
    from sunlit.regions.services import region_create

    province = region_create(code="410000", name="河南省", level="province", parent=None)
    city = region_create(code="411500", name="信阳市", level="city", parent=province)
    county = region_create(code="411522", name="光山县", level="county", parent=city)
    other_county = region_create(code="411521", name="罗山县", level="county", parent=city)
    township = region_create(code="411522100", name="十里镇", level="township", parent=county)
    other_township = region_create(code="411522101", name="寨河镇", level="township", parent=county)
    village = region_create(code="411522100201", name="十里村", level="village", parent=township)
    sibling_village = region_create(code="411522100202", name="王湾村", level="village", parent=township)
    far_village = region_create(code="411522101201", name="寨河村", level="village", parent=other_township)
    far_county_township = region_create(
        code="411521100", name="龙山街道", level="township", parent=other_county
    )
    far_county_village = region_create(
        code="411521100201", name="龙山村", level="village", parent=far_county_township
    )

    class Tree:
        pass

    t = Tree()
    t.__dict__.update(locals())
    return t


@pytest.fixture
def make_user(db):
    from sunlit.accounts.services import role_grant, user_create

    counter = {"n": 0}

    def make(role=None, region=None, username=None):
        counter["n"] += 1
        user = user_create(
            actor=None, username=username or f"user{counter['n']}", password="x", validate=False
        )
        if role:
            role_grant(actor=None, user=user, role=role, region=region)
        return user

    return make


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: rate limits, page stamps and cached settings must not
    leak from one test into the next one that the same worker process runs."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
