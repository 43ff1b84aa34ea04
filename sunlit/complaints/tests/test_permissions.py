"""Who sees and handles what: role × in/out of scope × complaint kind, generated from one table.
Missing and out-of-scope are the same 404."""

import pytest
from django.test import Client
from django.urls import reverse

from sunlit.complaints import selectors, services
from sunlit.complaints.errors import NotHandler
from sunlit.core.errors import NotFound

pytestmark = pytest.mark.django_db

# complaint → (who sees it, who may handle it)
CASES = {
    "assets": ({"leader", "liaison", "tdiscipline", "cdiscipline"}, {"leader", "cdiscipline"}),
    "report": ({"tdiscipline", "cdiscipline"}, {"tdiscipline", "cdiscipline"}),
    "welfare": ({"department", "tdiscipline", "cdiscipline"}, {"department", "cdiscipline"}),
}
USERS = [
    "leader",
    "liaison",
    "tdiscipline",
    "far_discipline",
    "far_leader",
    "department",
    "cdiscipline",
    "other_cdiscipline",
    "secretary",
    "nobody",
]


@pytest.fixture
def complaints(file):
    return {
        "assets": file(text="三资问题：鱼塘承包费").complaint,
        "report": file(kind="report", category="conduct", text="举报村干部优亲厚友").complaint,
        "welfare": file(category="welfare", text="低保评定不公开").complaint,
    }


@pytest.mark.parametrize("which", sorted(CASES))
@pytest.mark.parametrize("who", USERS)
def test_visibility_matrix(complaints, staff, which, who):
    user = getattr(staff, who)
    complaint = complaints[which]
    sees = who in CASES[which][0]
    assert selectors.complaints_for_user(user).filter(pk=complaint.pk).exists() == sees
    client = Client()
    client.force_login(user)
    response = client.get(reverse("workbench:complaint", args=[complaint.pk]))
    assert response.status_code == (200 if sees else 404)
    if not sees:
        with pytest.raises(NotFound):
            selectors.access_complaint(user, complaint.pk)


@pytest.mark.parametrize("which", sorted(CASES))
@pytest.mark.parametrize("who", USERS)
def test_claim_matrix(complaints, staff, which, who):
    user = getattr(staff, who)
    complaint = complaints[which]
    handles = who in CASES[which][1]
    if handles:
        assert services.complaint_claim(actor=user, complaint=complaint).claimed_by == user
    else:
        with pytest.raises(NotHandler):
            services.complaint_claim(actor=user, complaint=complaint)
        complaint.refresh_from_db()
        assert complaint.claimed_by is None


def test_missing_and_out_of_scope_are_the_same_404(complaints, staff):
    client = Client()
    client.force_login(staff.far_leader)
    hidden = client.get(reverse("workbench:complaint", args=[complaints["assets"].pk]))
    missing = client.get(reverse("workbench:complaint", args=[999999]))
    assert hidden.status_code == missing.status_code == 404
    api_hidden = client.get(f"/api/v1/complaints/{complaints['assets'].pk}")
    api_missing = client.get("/api/v1/complaints/999999")
    assert api_hidden.status_code == api_missing.status_code == 404
    assert api_hidden.json() == api_missing.json()


def test_posting_an_action_out_of_scope_is_404_and_changes_nothing(complaints, staff):
    client = Client()
    client.force_login(staff.far_leader)
    c = complaints["assets"]
    r = client.post(reverse("workbench:complaint_action", args=[c.pk, "accept"]))
    assert r.status_code == 404
    c.refresh_from_db()
    assert c.status == "received"


def test_in_scope_viewer_without_handling_gets_403_on_action(complaints, staff):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(staff.liaison)
    c = complaints["assets"]
    r = client.post(reverse("workbench:complaint_action", args=[c.pk, "accept"]))
    assert r.status_code == 403
    assert "Only the responsible unit may do this." in r.content.decode()
    c.refresh_from_db()
    assert c.status == "received"
