"""The finance demo: plausible data in every village, clean for every rule; the planted 三资
irregularities are all caught and nothing else."""

from __future__ import annotations

import pytest

from sunlit.core.demo import demo_load
from sunlit.finance.anomalies import MARK
from sunlit.finance.models import Account, Contract, Entry, MonthlyStatement
from sunlit.finance.rules import FINANCE_RULES
from sunlit.regions.models import Region, RegionLevel
from sunlit.supervision import anomalies
from sunlit.supervision.engine import sweep
from sunlit.supervision.rules.base import REGISTRY

CASE_VILLAGES = 2


@pytest.mark.django_db
def test_the_demo_fills_every_village_and_the_finance_rules_find_nothing_on_it():
    demo_load(case_villages=CASE_VILLAGES, clean=True)
    villages = Region.objects.filter(level=RegionLevel.VILLAGE, path__startswith=report_county_path())
    assert villages.count() > 100
    with_books = set(Account.objects.filter(name="库存现金").values_list("village_id", flat=True))
    assert with_books == set(villages.values_list("pk", flat=True))
    assert Entry.objects.count() >= 20 * villages.count()
    assert Contract.objects.filter(previous__isnull=False).exists()  # some renewals
    assert Contract.objects.filter(case__isnull=False).exists()  # works approved by cases
    assert MonthlyStatement.objects.count() == villages.count()  # last month's statement everywhere
    # the statements are published in time for the disclosure schedule (when that rule is installed)
    codes = [*FINANCE_RULES, *(c for c in ("DISCLOSURE_PERIODIC_MISSING",) if c in REGISTRY)]
    run = sweep(rule_codes=codes)
    assert run.findings == 0, run.detail
    # loading again changes nothing
    before = Entry.objects.count()
    from sunlit.core.demo import demo_login_regions
    from sunlit.finance.demo import demo_finance

    county, _t, _v = demo_login_regions()
    assert demo_finance(county=county, logins=[], seed=1, clean=True) is None
    assert Entry.objects.count() == before


def report_county_path() -> str:
    from sunlit.core.demo import demo_login_regions

    return demo_login_regions()[0].path


@pytest.mark.django_db
def test_every_planted_finance_anomaly_is_caught_and_nothing_else():
    report = demo_load(case_villages=CASE_VILLAGES, anomalies=True)
    assert report.anomalies is not None
    mine = {name for name, item in anomalies.INJECTORS.items() if set(item.rules) & set(FINANCE_RULES)}
    assert len(mine) == len(FINANCE_RULES)
    assert mine <= set(report.anomalies.injected), report.anomalies.skipped
    assert Entry.objects.filter(number__startswith=MARK).exists()
    sweep(rule_codes=FINANCE_RULES)
    result = anomalies.compare(FINANCE_RULES)
    assert result.expected  # something was planted for every rule
    assert {key.split(":")[0] for key in result.expected} == set(FINANCE_RULES)
    assert result.missed == set()  # 100% recall
    assert result.false == set()  # no false alert
