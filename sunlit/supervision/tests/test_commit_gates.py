"""On-commit gates (rules/gates.py) are necessary conditions: every case a rule's full detection flags
passes that rule's gate, so an on-commit check restricted to the case finds it again; and an event
about a case nothing is wrong with costs two small queries, whatever the rules."""

import pytest
from django.utils import timezone

from sunlit.core.demo import demo_load
from sunlit.supervision import anomalies
from sunlit.supervision.engine import check_event, commit_gates, run_rule, settings_version_checked
from sunlit.supervision.models import Alert
from sunlit.supervision.rules.base import REGISTRY, RuleContext, defaults

pytestmark = pytest.mark.django_db


def _exact(rule, now):
    """The rule's own detection over everything: no gate, no prefilter."""
    return list(rule.detect(RuleContext(now=now, params=defaults(rule))))


def test_every_flagged_case_passes_its_rules_gate_and_is_found_again_on_commit():
    demo_load(case_villages=2, anomalies=True)
    assert anomalies.truth()
    now = timezone.now()
    gated = [r for r in REGISTRY.values() if r.case_scoped and r.commit_gate("sqlite") is not None]
    assert len(gated) >= 15
    checked = 0
    for rule in gated:
        findings = [f for f in _exact(rule, now) if f.case_id is not None]
        cases = sorted({f.case_id for f in findings})
        passed = commit_gates([rule], cases)[rule.code] if cases else set()
        assert passed == set(cases), rule.code
        again = {f.key for f, _sev in run_rule(rule, now=now, case_ids=cases)} if cases else set()
        assert again == {f.key for f in findings}, rule.code
        checked += len(findings)
    assert checked >= len([t for t in anomalies.truth() if t.split(":")[0] in {r.code for r in gated}])


def test_the_sweep_prefilter_finds_what_the_full_detection_finds():
    demo_load(case_villages=2, anomalies=True)
    now = timezone.now()
    for rule in (r for r in REGISTRY.values() if r.sweep_prefilter):
        assert {f.key for f, _sev in run_rule(rule, now=now)} == {f.key for f in _exact(rule, now)}, rule.code


def test_an_event_about_a_clean_case_costs_one_query(tree, people, standard, django_assert_num_queries):
    from sunlit.cases import services

    case = services.case_start(actor=people.committee, village=tree.village, item_code="VS-07", title="证明")
    settings_version_checked()
    check_event("case.started", f"cases.case:{case.pk}")  # warm: gate SQL built once per process
    with django_assert_num_queries(1):  # every gate of every rule at once, with the settings version
        assert check_event("case.started", f"cases.case:{case.pk}") == 0
    with django_assert_num_queries(1):  # no such case: every gate says no, no rule runs
        assert check_event("vote.recorded", "cases.case:0") == 0
    assert not Alert.objects.exists()


def test_a_settings_change_by_another_process_is_seen_before_a_rule_runs(tree, people, standard):
    """The on-commit check reads the settings version with its gates: a RuleSetting written behind
    this process's back (no signal) is in force for the next event whose gate lets a rule run."""
    from django.utils import timezone

    from sunlit.cases import services
    from sunlit.cases.models import StepInstance
    from sunlit.supervision import engine
    from sunlit.supervision.models import RuleSetting

    rule = REGISTRY["PROC_STEP_SEQUENCE"]
    case = services.case_start(actor=people.committee, village=tree.village, item_code="VS-07", title="证明")
    first = StepInstance.objects.get(case=case, sequence=1)
    other = case.flow.steps.exclude(key=case.flow.start_key).first()
    StepInstance.objects.filter(pk=first.pk).update(step=other)  # the record now starts mid-flow
    settings_version_checked()
    assert [g.enabled for g in engine.settings_groups(rule)] == [True]  # cached in this process
    RuleSetting.objects.bulk_create(  # bulk_create sends no post_save: as if another process wrote it
        [RuleSetting(region=tree.county, rule_code=rule.code, params={}, enabled=False)]
    )
    assert check_event("case.started", f"cases.case:{case.pk}") == 0  # the gate passes, the rule is off
    assert not Alert.objects.exists()
    RuleSetting.objects.filter(rule_code=rule.code).update(enabled=True, set_at=timezone.now())  # no signal
    assert check_event("case.started", f"cases.case:{case.pk}") == 1
    assert list(Alert.objects.values_list("rule_code", flat=True)) == [rule.code]


def test_the_gate_query_is_prepared_on_postgresql_and_runs_without_preparing(tree, people, standard):
    """On PostgreSQL the gate query is a server-side prepared statement (planned once per connection);
    with preparing switched off (SUNLIT_PG_PREPARE=0, e.g. behind an old pooler) it runs unprepared
    with the same answers."""
    from django.db import connection

    from sunlit.cases import services

    case = services.case_start(actor=people.committee, village=tree.village, item_code="VS-07", title="证明")
    rule = REGISTRY["PROC_STEP_SEQUENCE"]
    assert commit_gates([rule], [case.pk])[rule.code] == set()
    if connection.vendor != "postgresql":
        return

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["SELECT c.id, CASE%"]
            )
            return cursor.fetchone()[0]

    assert prepared() >= 1
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")  # compiling at every execution cost more than the gates themselves
        assert cursor.fetchone()[0] == "off"
    raw = connection.connection
    threshold = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        other = REGISTRY["PROC_VOTE_RULES"]  # a gate shape not prepared before
        before = prepared()
        assert commit_gates([rule, other], [case.pk]) == {rule.code: set(), other.code: set()}
        assert prepared() == before
    finally:
        raw.prepare_threshold = threshold
