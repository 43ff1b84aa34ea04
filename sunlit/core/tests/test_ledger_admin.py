"""The ledger and the personal-data access log in the Django admin: read-only, audit admin only."""

import pytest
from django.db import transaction

from sunlit.accounts.roles import Role
from sunlit.core import ledger

pytestmark = pytest.mark.django_db

LEDGER_PAGES = ["auditevent", "checkpoint", "merklenode", "ledgerhead", "ledgerverification"]


@pytest.fixture
def event(db):
    with transaction.atomic():
        return ledger.ledger_append(
            kind="case.started", actor=None, subject="cases.case:42", payload={"item": "A01", "名": "张"}
        )


def test_the_audit_admin_reads_the_ledger_and_the_access_log(client, tree, make_user, event):
    # given
    client.force_login(make_user(Role.AUDIT_ADMIN, tree.county))
    # when / then every ledger page and the access log open, read-only
    for model in LEDGER_PAGES:
        assert client.get(f"/admin/core/{model}/").status_code == 200, model
    assert client.get("/admin/people/personaccesslog/").status_code == 200
    listed = client.get("/admin/core/auditevent/", {"kind": "case.started", "q": "cases.case:42"})
    assert "cases.case:42" in listed.content.decode()
    page = client.get(f"/admin/core/auditevent/{event.seq}/change/").content.decode()
    assert "&quot;item&quot;: &quot;A01&quot;" in page  # the leaf, indented JSON
    assert "名" in page
    assert f"/api/v1/ledger/proofs/inclusion?tree_size=1&amp;index={event.seq}" in page
    assert client.get("/admin/core/auditevent/add/").status_code == 403
    assert client.post(f"/admin/core/auditevent/{event.seq}/delete/").status_code == 403
    assert "personal data salt" not in client.get("/admin/").content.decode().lower()


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.COUNTY_DISCIPLINE])
def test_other_roles_do_not_see_the_ledger_or_the_access_log(client, tree, make_user, event, role):
    client.force_login(make_user(role, tree.county))
    for model in LEDGER_PAGES:
        assert client.get(f"/admin/core/{model}/").status_code in (302, 403), model
    assert client.get("/admin/people/personaccesslog/").status_code in (302, 403)
    assert client.get(f"/admin/core/auditevent/{event.seq}/change/").status_code in (302, 403)
