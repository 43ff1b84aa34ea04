"""The deliberation demo: complete motions with resolutions and publications, duty reports, scores;
idempotent, deterministic in shape, and no supervision rule fires on the clean demo."""

from __future__ import annotations

import pytest
from django.utils import timezone

from sunlit.deliberation.demo import demo_deliberation
from sunlit.deliberation.models import DutyReport, LeaderScore, Meeting, Motion, Publication, Resolution
from sunlit.deliberation.selectors import duty_dashboard

pytestmark = pytest.mark.django_db


def test_demo_loads_once_and_raises_no_alert():
    from sunlit.core.demo import demo_load, demo_login_regions
    from sunlit.core.ledger_verify import ledger_verify
    from sunlit.supervision.engine import run_rule
    from sunlit.supervision.rules.base import REGISTRY

    report = demo_load(case_villages=2, clean=True)
    county, township, village = demo_login_regions()
    steps = {name: detail for name, detail, _seconds in report.steps}
    assert steps["deliberation"].startswith(("3 villages", "3 个村"))
    assert Motion.objects.filter(status="completed").count() == 3
    assert Motion.objects.filter(status="open").count() == 3
    assert Resolution.objects.filter(passed=False).count() == 0
    assert Resolution.objects.filter(passed=True).count() == 3 * (4 + 2)
    assert Publication.objects.count() == 3 * 3 + 3
    assert Meeting.objects.filter(status="scheduled", starts_at__gt=timezone.now()).count() == 3
    assert LeaderScore.objects.filter(township=township).count() == 6
    assert DutyReport.objects.count() == 3 * 3 * 12
    session_month = DutyReport.objects.order_by("session__month").first().session.month
    assert all(row["held"] and not row["missing"] for row in duty_dashboard([village], session_month))
    assert demo_deliberation(county=county, logins=[], seed=2026, clean=True) is None
    now = timezone.now()
    fired = {name: list(run_rule(rule, now=now, region=county)) for name, rule in REGISTRY.items()}
    assert {name: f for name, f in fired.items() if f} == {}
    assert ledger_verify(workers=1).ok
