"""The disclosure demo: every module present, periodic disclosures on time (no alert on clean data),
idempotent, and the injector plants exactly what the rule finds."""

from __future__ import annotations

import random

import pytest
from django.db.models import Count
from django.utils import timezone

from sunlit.core.ledger_verify import ledger_verify
from sunlit.disclosure.demo import demo_disclosure
from sunlit.disclosure.models import Disclosure, DisclosureSchedule, SupervisionContact
from sunlit.disclosure.vocab import DisclosureModule
from sunlit.supervision.engine import run_rule
from sunlit.supervision.rules.base import REGISTRY

pytestmark = pytest.mark.django_db
RULE = "DISCLOSURE_PERIODIC_MISSING"


@pytest.fixture
def demo():
    """The demo's regions and staff without the case history or the other domains (they are tested
    by their apps), then this app's demo, timed."""
    import time

    from sunlit.core.demo import demo_load, demo_login_regions

    demo_load(case_villages=0, clean=True)
    county, _township, _village = demo_login_regions()
    started = time.perf_counter()
    assert demo_disclosure(county=county, logins=[], seed=2026, clean=True) is not None
    print("disclosure demo seconds:", round(time.perf_counter() - started, 2))
    return county


def test_demo_publishes_every_module_and_raises_nothing(demo):
    modules = set(Disclosure.objects.values_list("module", flat=True))
    assert modules == set(DisclosureModule.values)
    assert DisclosureSchedule.objects.filter(region=demo).count() == 3
    villages = demo.__class__.objects.filter(level="village", path__startswith=demo.path).count()
    assert SupervisionContact.objects.count() == villages
    assert Disclosure.objects.annotate(n=Count("versions")).filter(n=2).exists()  # some corrected
    assert list(run_rule(REGISTRY[RULE], now=timezone.now(), region=demo)) == []
    assert demo_disclosure(county=demo, logins=[], seed=2026, clean=True) is None  # idempotent
    assert ledger_verify(workers=1).ok

    # the injector plants exactly what the rule then finds
    from sunlit.supervision.anomalies import INJECTORS, Injection

    expected = INJECTORS["disclosure.periodic_missing"].run(
        Injection(rng=random.Random(1), now=timezone.now(), region=demo)
    )
    found = sorted(f.key for f, _sev in run_rule(REGISTRY[RULE], now=timezone.now(), region=demo))
    assert expected
    assert found == sorted(e.key for e in expected)
