"""The accountability demo: leads at every stage from alerts and inspections, deterministic, idempotent."""

from __future__ import annotations

import pytest

from sunlit.accountability.demo import demo_accountability
from sunlit.accountability.models import Lead
from sunlit.accounts.roles import Role

pytestmark = pytest.mark.django_db


class Login:
    def __init__(self, user, role, region):
        self.username, self.role, self.region = user.username, role, region


def _snapshot():
    return sorted(
        (
            lead.source,
            lead.title,
            lead.status,
            lead.village.code,
            tuple(lead.findings.values_list("subject_name", "form", "measure")),
        )
        for lead in Lead.objects.select_related("village")
    )


def test_demo_leads_at_every_stage(tree, make_user, make_alert):
    handler = make_user(Role.COUNTY_DISCIPLINE, tree.county, "county_discipline")
    for status in ("open", "claimed", "verified"):
        make_alert(status)
    logins = [Login(handler, "county_discipline", tree.county)]
    summary = demo_accountability(county=tree.county, logins=logins, seed=7, clean=False)
    assert summary
    assert "leads" in summary or "问题线索" in summary
    statuses = set(Lead.objects.values_list("status", flat=True))
    assert statuses >= {"closed", "found", "checking", "held", "concluded", "registered"}
    assert Lead.objects.filter(source="alert").count() == 3  # the open and claimed alerts were verified first
    closed = Lead.objects.get(status="closed")
    assert closed.visits.exists()
    assert closed.notices.exists()
    assert closed.findings.filter(responsibility_for__isnull=False).exists()  # 一案双查
    refused = Lead.objects.filter(status="found", tasks__status="open").get()
    from sunlit.accountability.services import close_problems

    assert [code for code, _m in close_problems(refused)] == ["not_rectified"]
    assert demo_accountability(county=tree.county, logins=logins, seed=7, clean=False) is None  # idempotent


def test_demo_is_deterministic(tree, make_user, make_alert):
    from django.db import transaction

    handler = make_user(Role.COUNTY_DISCIPLINE, tree.county, "county_discipline")
    for status in ("open", "verified"):
        make_alert(status, village=tree.far_village)
    logins = [Login(handler, "county_discipline", tree.county)]
    with transaction.atomic():
        demo_accountability(county=tree.county, logins=logins, seed=3, clean=False)
        first = _snapshot()
        transaction.set_rollback(True)
    assert not Lead.objects.exists()
    demo_accountability(county=tree.county, logins=logins, seed=3, clean=False)
    assert _snapshot() == first
    assert len(first) == 6
    assert demo_accountability(county=tree.county, logins=logins, seed=3, clean=True) is None
