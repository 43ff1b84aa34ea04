"""Fixtures for complaints: staff of each handling body, a filing helper and the SMS outbox."""

from __future__ import annotations

import pytest

from sunlit.accounts.roles import Role

NAME = "王秀英"
PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"


@pytest.fixture(autouse=True)
def _isolated(settings):
    from django.core.cache import cache

    from sunlit.complaints.messaging import MemorySmsBackend

    settings.SUNLIT_COMPLAINT_SMS_BACKEND = "sunlit.complaints.messaging.MemorySmsBackend"
    settings.SUNLIT_COMPLAINT_WEBHOOK_SECRET = "test-webhook-secret"
    cache.clear()
    MemorySmsBackend.outbox.clear()
    yield
    cache.clear()


@pytest.fixture
def outbox():
    from sunlit.complaints.messaging import MemorySmsBackend

    return MemorySmsBackend.outbox


@pytest.fixture
def staff(tree, make_user):
    class Staff:
        leader = make_user(Role.TOWNSHIP_LEADER, tree.township, "leader")
        liaison = make_user(Role.TOWNSHIP_LIAISON, tree.township, "liaison")
        tdiscipline = make_user(Role.TOWNSHIP_DISCIPLINE, tree.township, "tdiscipline")
        far_discipline = make_user(Role.TOWNSHIP_DISCIPLINE, tree.other_township, "fardiscipline")
        far_leader = make_user(Role.TOWNSHIP_LEADER, tree.other_township, "farleader")
        department = make_user(Role.COUNTY_DEPARTMENT, tree.county, "mingzheng")
        cdiscipline = make_user(Role.COUNTY_DISCIPLINE, tree.county, "cdiscipline")
        other_cdiscipline = make_user(Role.COUNTY_DISCIPLINE, tree.other_county, "othercounty")
        secretary = make_user(Role.VILLAGE_SECRETARY, tree.village, "secretary")
        nobody = make_user(None, None, "nobody")

    return Staff


@pytest.fixture
def file(tree, django_capture_on_commit_callbacks):
    """File a complaint through the services (anonymous portal filing unless told otherwise); the
    on-commit messages are sent."""
    from sunlit.complaints import services

    def do(**overrides):
        data = {
            "actor": None,
            "channel": "portal",
            "kind": "complaint",
            "category": "assets",
            "village": tree.village,
            "text": "村集体鱼塘承包费去向不明，请求公开账目。",
            "anonymous": True,
        }
        data.update(overrides)
        with django_capture_on_commit_callbacks(execute=True):
            return services.complaint_file(**data)

    return do
