"""The complaints demo: a few hundred complaints at every stage in the demo county, deterministic plans,
nothing identifying in public wording, the ledger intact, idempotent."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from sunlit.complaints.demo import COUNT, _plans, demo_complaints
from sunlit.complaints.models import Complaint
from sunlit.complaints.vocab import Rating, Status
from sunlit.core.ledger_verify import ledger_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    from sunlit.core.demo import demo_load, demo_login_regions

    report = demo_load(case_villages=2, clean=True)
    county, _township, _village = demo_login_regions()
    steps = {name: (detail, seconds) for name, detail, seconds in report.steps}
    print("complaints demo:", steps.get("complaints"))
    return county, report, steps


def test_demo_covers_every_stage(demo):
    county, report, _steps = demo
    qs = Complaint.objects.filter(village__path__startswith=county.path)
    assert COUNT <= qs.count() <= COUNT + 12
    statuses = set(qs.values_list("status", flat=True))
    assert {
        Status.RECEIVED,
        Status.ACCEPTED,
        Status.ANSWERED,
        Status.CLOSED,
        Status.REFUSED,
        Status.DUPLICATE,
    } <= statuses
    assert qs.filter(rating=Rating.SATISFIED).exists()
    assert qs.filter(escalation_level__gte=1).exists()
    assert qs.filter(extended=True).exists()
    assert qs.filter(stage="review").exists()
    assert qs.filter(kind="report").exists()
    assert len(set(qs.values_list("category", flat=True))) == 11
    assert qs.values("village").distinct().count() > 100
    assert not qs.filter(status=Status.UNVERIFIED).exists()
    # public wording never carries a phone number
    assert not any(
        ch.isdigit() and len(ch) >= 11 for ch in " ".join(qs.values_list("public_text", flat=True)).split()
    )
    assert qs.filter(created_at__lt=timezone.now() - timezone.timedelta(days=60)).exists()  # a history
    assert demo_complaints(county=county, logins=report.logins, seed=2026, clean=True) is None
    assert ledger_verify(workers=1).ok


def test_plans_are_deterministic(tree):
    villages = [tree.village, tree.sibling_village, tree.far_village]
    now = timezone.now()
    a = _plans(random.Random("1:x:complaints"), villages, now)
    b = _plans(random.Random("1:x:complaints"), villages, now)
    assert [(p.village.pk, p.category, p.text, p.stage, p.times["filed"]) for p in a] == [
        (p.village.pk, p.category, p.text, p.stage, p.times["filed"]) for p in b
    ]
