"""The alert lifecycle: claim, verify or dismiss, rectify, close with evidence, downgrade, escalate."""

import datetime

import pytest
import time_machine

from sunlit.accounts.roles import Role
from sunlit.cases.tests.conftest import pdf_bytes
from sunlit.core.errors import Conflict, PermissionDenied
from sunlit.core.models import AuditEvent
from sunlit.supervision import selectors, services
from sunlit.supervision.engine import sweep
from sunlit.supervision.models import Alert
from sunlit.supervision.tests.conftest import T0
from sunlit.supervision.vocab import AlertStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(walk):
    with time_machine.travel(T0, tick=False):
        case = walk("accept")
    sweep(rule_codes=["TIME_STEP_OVERDUE"], now=case.current.due_at + datetime.timedelta(days=11))
    return Alert.objects.get()


def test_full_lifecycle_with_evidence(alert, people):
    handler = people.township_discipline
    alert = services.alert_claim(actor=handler, alert=alert)
    assert (alert.status, alert.claimed_by) == (AlertStatus.CLAIMED, handler)
    with pytest.raises(Conflict):
        services.alert_claim(actor=handler, alert=alert)
    alert = services.alert_verify(actor=handler, alert=alert, note="确系超期")
    alert = services.alert_rectify(actor=handler, alert=alert, note="限期三日内办结")
    with pytest.raises(services.AlertRefused) as info:
        services.alert_close(actor=handler, alert=alert, note="已办结", evidence=None)
    assert info.value.code == "evidence_required"
    alert = services.alert_close(actor=handler, alert=alert, note="已办结", evidence=pdf_bytes("整改报告"))
    assert alert.status == AlertStatus.CLOSED
    kinds = [a.kind for a in alert.actions.order_by("id")]
    assert kinds == ["raised", "claimed", "verified", "rectifying", "closed"]
    ledger = list(
        AuditEvent.objects.filter(subject=f"supervision.alert:{alert.pk}").values_list("kind", flat=True)
    )
    assert ledger == ["alert.raised", "alert.claimed", "alert.verified", "alert.rectifying", "alert.closed"]
    assert len(alert.actions.get(kind="closed").evidence_sha256) == 64


def test_dismissal_needs_a_reason(alert, people):
    with pytest.raises(services.AlertRefused) as info:
        services.alert_dismiss(actor=people.township_discipline, alert=alert, reason="  ")
    assert info.value.code == "reason_required"
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    alert = services.alert_dismiss(
        actor=people.township_discipline, alert=alert, reason="系统日历错误，已更正"
    )
    assert alert.status == AlertStatus.DISMISSED


def test_red_alert_is_downgraded_only_with_rectification_evidence(alert, people):
    handler = people.township_discipline
    assert alert.severity == "red"
    with pytest.raises(services.AlertRefused) as info:
        services.alert_downgrade(
            actor=handler, alert=alert, severity="yellow", note="x", evidence=pdf_bytes("e")
        )
    assert info.value.code == "red_needs_rectification"
    alert = services.alert_claim(actor=handler, alert=alert)
    alert = services.alert_verify(actor=handler, alert=alert, note="属实")
    alert = services.alert_rectify(actor=handler, alert=alert, note="整改")
    with pytest.raises(services.AlertRefused):
        services.alert_downgrade(actor=handler, alert=alert, severity="yellow", note="已整改", evidence=None)
    with pytest.raises(services.AlertRefused):
        services.alert_downgrade(
            actor=handler, alert=alert, severity="red", note="x", evidence=pdf_bytes("e")
        )
    alert = services.alert_downgrade(
        actor=handler, alert=alert, severity="yellow", note="已整改", evidence=pdf_bytes("e")
    )
    assert alert.severity == "yellow"


def test_only_the_handling_discipline_office_acts(alert, people, make_user, tree):
    for outsider in (
        people.chair,
        people.supervisor,
        people.reviewer,
        make_user(Role.TOWNSHIP_DISCIPLINE, tree.other_township),
    ):
        with pytest.raises(PermissionDenied):
            services.alert_claim(actor=outsider, alert=alert)
    services.alert_claim(actor=people.county_discipline, alert=alert)  # the county may take it over


def test_alert_visibility_is_scoped(alert, people, make_user, tree):
    assert selectors.alerts_for_user(people.supervisor).count() == 1
    assert selectors.alerts_for_user(people.county_discipline).count() == 1
    assert selectors.alerts_for_user(people.chair).count() == 0  # cadres do not see alerts about them
    far = make_user(Role.TOWNSHIP_DISCIPLINE, tree.other_township)
    assert selectors.alerts_for_user(far).count() == 0


def test_unclaimed_alerts_escalate_to_the_county_after_three_working_days(alert, tree):
    raised = alert.first_seen_at
    assert alert.handling_region == tree.township
    # Raised at 00:00 on Tuesday 8 December: three working days later is 00:00 on Friday.
    assert (
        services.alerts_escalate_due(now=raised + datetime.timedelta(days=3) - datetime.timedelta(minutes=1))
        == 0
    )
    assert services.alerts_escalate_due(now=raised + datetime.timedelta(days=3)) == 1
    alert.refresh_from_db()
    assert alert.handling_region == tree.county
    assert alert.escalation_level == 1
    assert services.alerts_escalate_due(now=raised + datetime.timedelta(days=5)) == 0  # not again at once
    assert alert.actions.filter(kind="escalated").count() == 1
