"""Staff alert pages: list with filters, the alert page and its htmx/plain actions, the dashboard and
its drill-down, rule settings; scoping (404 out of scope), refusals that change nothing, query counts."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from sunlit.accounts.roles import Role
from sunlit.cases.models import StepInstance
from sunlit.cases.tests.conftest import pdf_bytes
from sunlit.supervision import services
from sunlit.supervision.engine import sweep
from sunlit.supervision.models import Alert, AlertAction, RuleSetting
from sunlit.supervision.tests.conftest import T0, walk  # noqa: F401 - fixture
from sunlit.supervision.vocab import AlertStatus

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def staff():
    def login(user) -> Client:
        client = Client(headers={"Accept-Language": "en"})
        client.force_login(user)
        return client

    return login


def raise_overdue(walk, titles=("低保申请",)):  # noqa: F811
    """One red TIME_STEP_OVERDUE alert per title (cases stuck at 'accept'), raised by a real sweep."""
    with time_machine.travel(T0, tick=False):
        for title in titles:
            walk("accept", title=title)
    latest = max(StepInstance.objects.exclude(due_at=None).values_list("due_at", flat=True))
    sweep(rule_codes=["TIME_STEP_OVERDUE"], now=latest + datetime.timedelta(days=11))
    return list(Alert.objects.order_by("id"))


@pytest.fixture
def alert(walk):  # noqa: F811
    return raise_overdue(walk)[0]


def url(alert, name="alert", *args):
    return reverse(f"workbench:{name}", args=[alert.pk, *args])


# --- nav and list ---------------------------------------------------------------------------------------


def test_nav_links_the_alert_pages_only_for_alert_viewers(alert, people, staff):
    assert (
        reverse("workbench:alerts")
        in staff(people.township_discipline).get(reverse("workbench:home")).content.decode()
    )
    assert (
        reverse("workbench:alerts")
        in staff(people.supervisor).get(reverse("workbench:home")).content.decode()
    )
    assert (
        reverse("workbench:alerts")
        not in staff(people.committee).get(reverse("workbench:home")).content.decode()
    )
    assert staff(people.committee).get(reverse("workbench:alerts")).status_code == 404


def test_list_shows_scoped_alerts_and_filters(walk, people, staff, make_user, tree):  # noqa: F811
    first, second = raise_overdue(walk, ("甲申请", "乙申请"))
    Alert.objects.filter(pk=second.pk).update(severity="yellow", status="dismissed", dismiss_reason="x")
    client = staff(people.township_discipline)
    body = client.get(reverse("workbench:alerts")).content.decode()
    assert first.title in body
    assert second.title in body
    body = client.get(reverse("workbench:alerts"), {"severity": "yellow"}).content.decode()
    assert f'data-alert="{second.pk}"' in body
    assert f'data-alert="{first.pk}"' not in body
    body = client.get(reverse("workbench:alerts"), {"status": "unresolved"}).content.decode()
    assert f'data-alert="{first.pk}"' in body
    assert f'data-alert="{second.pk}"' not in body
    body = client.get(reverse("workbench:alerts"), {"rule": "PROC_VOTE_RULES"}).content.decode()
    assert "data-alert=" not in body
    body = client.get(
        reverse("workbench:alerts"), {"family": "time", "region": tree.township.code}
    ).content.decode()
    assert body.count("data-alert=") == 2
    body = client.get(reverse("workbench:alerts"), {"region": tree.village.code}).content.decode()
    assert body.count("data-alert=") == 2
    body = client.get(reverse("workbench:alerts"), {"region": tree.far_village.code}).content.decode()
    assert body.count("data-alert=") == 2  # a region outside the choices is ignored, not an error
    # out of scope: another township's discipline office sees none of them
    far = make_user(Role.TOWNSHIP_DISCIPLINE, tree.other_township)
    assert "data-alert=" not in staff(far).get(reverse("workbench:alerts")).content.decode()


def test_list_query_count_is_bounded_and_paginates(walk, people, staff, django_assert_max_num_queries):  # noqa: F811
    raise_overdue(walk, ("一",))
    client = staff(people.county_discipline)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("workbench:alerts"))
    alert = Alert.objects.get()
    Alert.objects.bulk_create(
        [
            Alert(
                **{
                    f.attname: getattr(alert, f.attname)
                    for f in Alert._meta.concrete_fields
                    if f.attname not in ("id", "key")
                },
                key=f"copy:{i}",
            )
            for i in range(30)
        ]
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("workbench:alerts"))
    body = response.content.decode()
    assert body.count("data-alert=") == 25
    assert 'rel="next"' in body
    assert client.get(reverse("workbench:alerts"), {"page": 2}).content.decode().count("data-alert=") == 6


# --- the alert page -------------------------------------------------------------------------------------


def test_detail_shows_explanation_evidence_case_link_and_timeline(alert, people, staff):
    body = staff(people.township_discipline).get(url(alert)).content.decode()
    assert alert.explanation.splitlines()[0][:20] in body
    assert 'id="alert-evidence"' in body
    assert "<dt>" in body
    assert reverse("workbench:case", args=[alert.case_id]) in body
    assert 'data-kind="raised"' in body
    assert 'id="claim-form"' in body
    assert 'id="dismiss-form"' in body
    assert 'id="verify-form"' not in body
    assert "十里镇" in body  # the handling region


def test_detail_is_404_out_of_scope_and_for_missing(alert, people, staff, make_user, tree):
    far = make_user(Role.TOWNSHIP_DISCIPLINE, tree.other_township)
    assert staff(far).get(url(alert)).status_code == 404
    assert staff(people.chair).get(url(alert)).status_code == 404  # cadres do not see alerts about them
    assert staff(people.township_discipline).get(reverse("workbench:alert", args=[999999])).status_code == 404
    assert staff(far).post(url(alert, "alert_action", "claim")).status_code == 404
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.OPEN


def test_viewer_without_handle_sees_no_forms_and_a_forged_post_is_refused(alert, people, staff):
    client = staff(people.supervisor)  # alert.view, not alert.handle
    body = client.get(url(alert)).content.decode()
    assert 'id="claim-form"' not in body
    response = client.post(url(alert, "alert_action", "claim"))
    assert response.status_code == 403
    assert 'id="alert-refusal"' in response.content.decode()
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.OPEN
    assert AlertAction.objects.filter(alert=alert).count() == 1


def test_claim_then_dismiss_with_htmx_and_the_reason_is_required(alert, people, staff):
    client = staff(people.township_discipline)
    response = client.post(url(alert, "alert_action", "claim"), headers=HTMX)
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="alert-body">')
    assert 'data-status="claimed"' in body
    assert 'id="verify-form"' in body
    # an empty reason: refused inline (200 for htmx), nothing changes
    response = client.post(url(alert, "alert_action", "dismiss"), {"dismiss-reason": "  "}, headers=HTMX)
    assert response.status_code == 200
    assert "Give the reason for dismissing the alert." in response.content.decode()
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.CLAIMED
    assert AlertAction.objects.filter(alert=alert).count() == 2
    response = client.post(
        url(alert, "alert_action", "dismiss"), {"dismiss-reason": "日历错误"}, headers=HTMX
    )
    alert.refresh_from_db()
    assert (alert.status, alert.dismiss_reason) == (AlertStatus.DISMISSED, "日历错误")
    assert 'id="dismiss-form"' not in response.content.decode()


def test_plain_posts_walk_the_lifecycle_to_closed_with_evidence(alert, people, staff):
    client = staff(people.township_discipline)
    response = client.post(url(alert, "alert_action", "claim"))
    assert response.status_code == 302
    assert response["Location"] == url(alert)
    client.post(url(alert, "alert_action", "verify"), {"verify-note": "确系超期"})
    client.post(url(alert, "alert_action", "rectify"), {"rectify-note": "三日内办结"})
    # closing without evidence is refused on the page (422 plain), the alert stays rectifying
    response = client.post(url(alert, "alert_action", "close"), {"close-note": "已办结"})
    assert response.status_code == 422
    assert "Attach the rectification evidence." in response.content.decode()
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.RECTIFYING
    response = client.post(
        url(alert, "alert_action", "close"),
        {"close-note": "已办结", "close-evidence": SimpleUploadedFile("r.pdf", pdf_bytes("整改"))},
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED
    body = client.get(url(alert)).content.decode()
    assert "The alert was closed." in body
    assert alert.actions.get(kind="closed").evidence_sha256 in body
    assert 'class="alert-action"' not in body  # nothing left to do


def test_red_downgrade_needs_evidence_on_the_page(alert, people, staff):
    client = staff(people.township_discipline)
    for action, data in (
        ("claim", {}),
        ("verify", {"verify-note": "属实"}),
        ("rectify", {"rectify-note": "整改"}),
    ):
        client.post(url(alert, "alert_action", action), data)
    body = client.get(url(alert)).content.decode()
    assert 'id="downgrade-form"' in body
    response = client.post(
        url(alert, "alert_action", "downgrade"), {"downgrade-severity": "yellow", "downgrade-note": "已整改"}
    )
    assert response.status_code == 422
    assert Alert.objects.get(pk=alert.pk).severity == "red"
    client.post(
        url(alert, "alert_action", "downgrade"),
        {
            "downgrade-severity": "yellow",
            "downgrade-note": "已整改",
            "downgrade-evidence": SimpleUploadedFile("e.pdf", pdf_bytes("e")),
        },
    )
    assert Alert.objects.get(pk=alert.pk).severity == "yellow"


def test_a_stale_action_is_refused_and_changes_nothing(alert, people, staff):
    client = staff(people.township_discipline)
    client.post(url(alert, "alert_action", "claim"))
    response = client.post(url(alert, "alert_action", "claim"))
    assert response.status_code == 409
    assert 'id="alert-refusal"' in response.content.decode()
    assert AlertAction.objects.filter(alert=alert, kind="claimed").count() == 1
    assert client.post(url(alert, "alert_action", "explode")).status_code == 404


def test_detail_shows_escalation_and_query_count_is_bounded(
    alert, people, staff, django_assert_max_num_queries
):
    services.alerts_escalate_due(now=alert.first_seen_at + datetime.timedelta(days=3))
    client = staff(people.county_discipline)
    with django_assert_max_num_queries(14):
        body = client.get(url(alert)).content.decode()
    assert "escalation level 1" in body
    assert "光山县" in body
    assert 'data-kind="escalated"' in body
    # the township office no longer handles it: no forms for it
    assert 'id="claim-form"' not in staff(people.township_discipline).get(url(alert)).content.decode()


# --- dashboard --------------------------------------------------------------------------------------------


def test_dashboard_has_charts_tables_and_drills_down(
    alert, people, staff, tree, django_assert_max_num_queries
):
    client = staff(people.county_discipline)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("workbench:alert_dashboard"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="alert-stats"' in body
    assert "alerts.js" in body
    for table in ("region-table", "colour-table", "status-table", "month-table", "rule-table"):
        assert f'id="{table}"' in body
    assert 'data-alert-chart="region"' in body
    assert f"?region={tree.township.code}" in body  # county → township
    body = client.get(reverse("workbench:alert_dashboard"), {"region": tree.township.code}).content.decode()
    assert f"?region={tree.village.code}" in body  # township → village
    assert f"?region={tree.county.code}" in body  # breadcrumb back up
    body = client.get(reverse("workbench:alert_dashboard"), {"region": tree.village.code}).content.decode()
    assert 'id="village-alerts"' in body
    assert 'id="region-table"' not in body


def test_dashboard_refuses_regions_outside_the_scope(alert, people, staff, tree):
    client = staff(people.township_discipline)
    assert client.get(reverse("workbench:alert_dashboard"), {"region": tree.county.code}).status_code == 404
    assert (
        client.get(reverse("workbench:alert_dashboard"), {"region": tree.far_village.code}).status_code == 404
    )
    assert client.get(reverse("workbench:alert_dashboard"), {"region": "nowhere"}).status_code == 404
    assert client.get(reverse("workbench:alert_dashboard"), {"region": tree.village.code}).status_code == 200
    assert staff(people.committee).get(reverse("workbench:alert_dashboard")).status_code == 404


def test_dashboard_query_count_does_not_grow_with_alerts(walk, people, staff, django_assert_max_num_queries):  # noqa: F811
    raise_overdue(walk, ("一",))
    client = staff(people.county_discipline)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("workbench:alert_dashboard"))
    raise_overdue(walk, ("二", "三"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("workbench:alert_dashboard"))


# --- rule settings -----------------------------------------------------------------------------------------


def test_rules_page_lists_the_catalogue_with_bounds(people, staff, tree):
    body = staff(people.township_discipline).get(reverse("workbench:alert_rules")).content.decode()
    assert "TIME_STEP_OVERDUE" in body
    assert "<form" not in body.split('id="rule-', 1)[1]  # read only without rule.manage
    body = staff(people.county_discipline).get(reverse("workbench:alert_rules")).content.decode()
    assert 'class="rule-form"' in body
    assert staff(people.committee).get(reverse("workbench:alert_rules")).status_code == 404


def _a_param(rule_code="TIME_STEP_OVERDUE"):
    from sunlit.supervision.rules.base import REGISTRY

    for code, rule in sorted(REGISTRY.items()):
        if rule.params:
            name, spec = next(iter(rule.params.items()))
            return code, name, spec
    pytest.skip("no rule has parameters")


def test_county_staff_set_a_value_within_bounds_htmx_and_plain(people, staff, tree):
    code, name, spec = _a_param()
    client = staff(people.county_discipline)
    # out of bounds: refused inline, nothing stored
    response = client.post(
        reverse("workbench:alert_rules"),
        {
            "rule": code,
            "region": tree.county.code,
            f"{code}-p_{name}": str(spec.maximum + 1),
            f"{code}-enabled": "on",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<article class="rule-card" id="rule-{code}"')
    assert "Must be between" in body
    assert not RuleSetting.objects.exists()
    response = client.post(
        reverse("workbench:alert_rules"),
        {
            "rule": code,
            "region": tree.county.code,
            f"{code}-p_{name}": str(spec.minimum),
            f"{code}-enabled": "on",
        },
    )
    assert response.status_code == 302
    setting = RuleSetting.objects.get()
    assert (setting.region, setting.rule_code, setting.params[name]) == (
        tree.county,
        code,
        str(spec.clean(spec.minimum)),
    )


def test_rule_settings_refused_outside_the_users_region(people, staff, tree, make_user):
    code, name, spec = _a_param()
    other = make_user(Role.COUNTY_DISCIPLINE, tree.other_county)
    response = staff(other).post(
        reverse("workbench:alert_rules"),
        {"rule": code, "region": tree.county.code, f"{code}-p_{name}": str(spec.minimum)},
    )
    assert response.status_code == 404
    response = staff(people.township_discipline).post(reverse("workbench:alert_rules"), {"rule": code})
    assert response.status_code == 404
    assert not RuleSetting.objects.exists()
