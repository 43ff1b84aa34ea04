"""The configuration tables in the admin: editable by holders of rule.manage, each change in the ledger,
and in force at once; others cannot open them. The reveal log is read-only for the audit admin."""

import pytest

from sunlit.accounts.roles import Role
from sunlit.complaints.models import DeadlineRule
from sunlit.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_county_discipline_sets_a_time_limit_and_it_applies(client, tree, make_user, file):
    client.force_login(make_user(Role.COUNTY_DISCIPLINE, tree.county))
    assert client.get("/admin/complaints/routingrule/").status_code == 200
    r = client.post(
        "/admin/complaints/deadlinerule/add/", {"key": "accept", "days": "10", "count": "calendar"}
    )
    assert r.status_code == 302, r.content[:500]
    assert DeadlineRule.objects.get().days == 10
    assert AuditEvent.objects.filter(kind="complaints.config_added").count() == 1
    c = file().complaint
    assert (c.accept_due.date() - c.created_at.date()).days in (10, 11)  # local end of the 10th day


@pytest.mark.parametrize("role", [Role.TOWNSHIP_LEADER, Role.SYSTEM_ADMIN])
def test_others_cannot_edit_the_configuration(client, tree, make_user, role):
    region = tree.township if role == Role.TOWNSHIP_LEADER else tree.county
    client.force_login(make_user(role, region))
    assert client.get("/admin/complaints/deadlinerule/").status_code == 403
    r = client.post(
        "/admin/complaints/deadlinerule/add/", {"key": "accept", "days": "1", "count": "calendar"}
    )
    assert r.status_code == 403
    assert not DeadlineRule.objects.exists()


def test_audit_admin_reads_the_reveal_log(client, tree, make_user):
    client.force_login(make_user(Role.AUDIT_ADMIN, tree.county))
    assert client.get("/admin/complaints/reporteraccess/").status_code == 200
    assert client.get("/admin/complaints/reporteraccess/add/").status_code == 403
