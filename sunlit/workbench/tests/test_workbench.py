"""Staff pages: login lockout, scoped catalog management, the flow editor, adoption."""

import pytest
from django.urls import reverse

from sunlit.accounts.roles import Role
from sunlit.powers import selectors, services
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


def login(client, user):
    client.force_login(user)
    return client


def test_login_locks_after_repeated_failures(client, make_user, settings):
    settings.SUNLIT_LOGIN_MAX_FAILURES = 3
    user = (
        make_user(Role.COUNTY_DISCIPLINE, None, username="lock_me")
        if False
        else make_user(username="lock_me")
    )
    user.set_password("right-password-123")
    user.save()
    url = reverse("workbench:login")
    for _ in range(3):
        client.post(url, {"username": "lock_me", "password": "wrong"})
    response = client.post(url, {"username": "lock_me", "password": "right-password-123"})
    assert response.status_code == 200  # still on the form
    assert "_auth_user_id" not in client.session
    assert "locked" in response.content.decode() or "锁定" in response.content.decode()


def test_login_one_failure_short_of_lockout_still_works(client, make_user, settings):
    settings.SUNLIT_LOGIN_MAX_FAILURES = 3
    user = make_user(username="almost")
    user.set_password("right-password-123")
    user.save()
    url = reverse("workbench:login")
    for _ in range(2):
        client.post(url, {"username": "almost", "password": "wrong"})
    client.post(url, {"username": "almost", "password": "right-password-123"})
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_unknown_usernames_lock_too_without_revealing_anything(client, settings):
    settings.SUNLIT_LOGIN_MAX_FAILURES = 2
    url = reverse("workbench:login")
    first = client.post(url, {"username": "ghost", "password": "x"}).content.decode()
    assert "locked" not in first


def test_workbench_requires_login(client):
    response = client.get(reverse("workbench:home"))
    assert response.status_code == 302
    assert reverse("workbench:login") in response["Location"]


def test_county_staff_imports_and_sees_row_errors(client, tree, make_user):
    user = make_user(Role.COUNTY_DISCIPLINE, tree.county)
    login(client, user)
    doc = small_document()
    doc["items"][0]["flow"]["steps"][1]["role"] = "village_king"
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("c.yaml", dump_yaml(doc).encode(), content_type="application/yaml")
    response = client.post(reverse("workbench:catalogs"), {"owner": tree.county.code, "file": bad})
    body = response.content.decode()
    assert 'id="row-errors"' in body
    assert "village_king" in body
    assert not Catalog.objects.exists()
    good = SimpleUploadedFile("c.yaml", dump_yaml(small_document()).encode(), content_type="application/yaml")
    response = client.post(reverse("workbench:catalogs"), {"owner": tree.county.code, "file": good})
    assert response.status_code == 302
    assert Catalog.objects.get().status == CatalogStatus.DRAFT


def test_out_of_scope_county_cannot_see_or_touch(client, tree, make_user, published):
    other = make_user(Role.COUNTY_DISCIPLINE, tree.other_county)
    login(client, other)
    draft = services.catalog_new_draft(actor=None, catalog=published)
    assert client.get(reverse("workbench:catalog", args=[draft.pk])).status_code == 404
    assert client.post(reverse("workbench:catalog_action", args=[draft.pk, "publish"])).status_code == 404
    assert client.get(reverse("workbench:flow_editor", args=[draft.pk, "PA-03"])).status_code == 404
    draft.refresh_from_db()
    assert draft.status == CatalogStatus.DRAFT


def _editor_post(item_doc, **overrides):
    flow = item_doc["flow"]
    data = {
        "start": flow["start"],
        "step-count": str(len(flow["steps"])),
        "tr-count": str(len(flow["transitions"])),
    }
    for i, s in enumerate(flow["steps"]):
        vote = s["vote"] or {}
        data.update(
            {
                f"step-{i}-key": s["key"],
                f"step-{i}-name": s["name"],
                f"step-{i}-kind": s["kind"],
                f"step-{i}-role": s["role"],
                f"step-{i}-deadline_days": "" if s["deadline_days"] is None else str(s["deadline_days"]),
                f"step-{i}-notice_days": "" if s["notice_days"] is None else str(s["notice_days"]),
                f"step-{i}-documents": "\n".join(s["documents"]),
                f"step-{i}-risks": ",".join(s["risks"]),
                f"step-{i}-vote_body": vote.get("body", ""),
                f"step-{i}-quorum": vote.get("quorum", ""),
                f"step-{i}-quorum_rule": vote.get("quorum_rule", ""),
                f"step-{i}-threshold": vote.get("threshold", ""),
                f"step-{i}-threshold_rule": vote.get("threshold_rule", ""),
                f"step-{i}-threshold_base": vote.get("threshold_base", ""),
            }
        )
    for i, t in enumerate(flow["transitions"]):
        data.update(
            {
                f"tr-{i}-from": t["from"],
                f"tr-{i}-to": t["to"],
                f"tr-{i}-guard": t["guard"],
                f"tr-{i}-priority": str(t["priority"]),
                f"tr-{i}-label": t["label"],
            }
        )
        if t["default"]:
            data[f"tr-{i}-default"] = "1"
    data.update(overrides)
    return data


def test_flow_editor_previews_problems_then_saves_and_publishes(client, tree, make_user, published):
    user = make_user(Role.COUNTY_DISCIPLINE, tree.county)
    login(client, user)
    draft = services.catalog_new_draft(actor=user, catalog=published)
    url = reverse("workbench:flow_editor", args=[draft.pk, "PA-03"])
    item_doc = selectors.item_document(draft.items.get(code="PA-03"))
    # a broken guard shows in the live preview (htmx partial) and nothing is saved
    data = _editor_post(item_doc, **{"tr-1-guard": 'amount > "big"', "action": "preview"})
    response = client.post(url, data, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-code="guard_type"' in body
    assert "<html" not in body  # a partial
    assert "HX-Request" in response["Vary"]
    # saving keeps the draft with the problem; publishing is refused with the message
    client.post(url, {**data, "action": "save"})
    assert "guard_type" in {p.code for p in services.catalog_problems(draft)}
    response = client.post(reverse("workbench:catalog_action", args=[draft.pk, "publish"]), follow=True)
    draft.refresh_from_db()
    assert draft.status == CatalogStatus.DRAFT
    # fixing the guard and saving makes the draft publishable
    data = _editor_post(item_doc, **{"tr-1-guard": "amount >= params.tier_amount * 2.0", "action": "save"})
    client.post(url, data)
    assert services.catalog_problems(draft) == []
    client.post(reverse("workbench:catalog_action", args=[draft.pk, "publish"]))
    draft.refresh_from_db()
    assert draft.status == CatalogStatus.PUBLISHED
    flow = draft.items.get(code="PA-03").flow
    assert flow.version == 2
    assert flow.transitions.filter(guard="amount >= params.tier_amount * 2.0").exists()


def test_flow_editor_add_step_without_javascript(client, tree, make_user, published):
    user = make_user(Role.COUNTY_DISCIPLINE, tree.county)
    login(client, user)
    draft = services.catalog_new_draft(actor=user, catalog=published)
    url = reverse("workbench:flow_editor", args=[draft.pk, "VS-01"])
    item_doc = selectors.item_document(draft.items.get(code="VS-01"))
    body = client.post(url, _editor_post(item_doc, action="add_step")).content.decode()
    assert f'name="step-{len(item_doc["flow"]["steps"])}-key"' in body


def test_village_staff_see_catalog_read_only(client, tree, make_user, published):
    user = make_user(Role.VILLAGE_SECRETARY, tree.village)
    login(client, user)
    response = client.get(reverse("workbench:flow_editor", args=[published.pk, "PA-03"]))
    assert response.status_code == 200
    assert 'id="flow-form"' not in response.content.decode()
    assert client.post(reverse("workbench:catalog_action", args=[published.pk, "draft"])).status_code == 404


def test_township_adopts_and_overrides_within_bounds(client, tree, make_user, published):
    user = make_user(Role.TOWNSHIP_DISCIPLINE, tree.township)
    login(client, user)
    url = reverse("workbench:region_catalog", args=[tree.township.code])
    client.post(url, {"action": "adopt", "catalog_id": published.pk})
    assert selectors.catalog_in_force(tree.village) == published
    response = client.post(
        url, {"item_code": "PA-03", "key": "tier_amount", "value": "500000", "reason": "太大"}, follow=True
    )
    assert not ParameterOverride.objects.exists()
    assert "200000" in response.content.decode()  # the message names the bound
    client.post(url, {"item_code": "PA-03", "key": "tier_amount", "value": "200000", "reason": "山区"})
    assert ParameterOverride.objects.get().value == 200000


def test_township_cannot_manage_other_township(client, tree, make_user, published):
    user = make_user(Role.TOWNSHIP_DISCIPLINE, tree.township)
    login(client, user)
    url = reverse("workbench:region_catalog", args=[tree.other_township.code])
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "adopt", "catalog_id": published.pk}).status_code == 404


def test_calendar_warning_is_visible_to_staff_for_an_uncovered_year(client, tree, make_user):
    import time_machine

    user = make_user(Role.COUNTY_DISCIPLINE, tree.county)
    with time_machine.travel("2199-06-01 12:00:00+08:00", tick=False):
        login(client, user)
        body = client.get(reverse("workbench:home")).content.decode()
    assert "calendar-warning" in body
    assert "2199" in body
