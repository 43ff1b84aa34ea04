"""Each rule: a hit and a near miss that must not hit; idempotent sweeps; clean data raises nothing."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from sunlit.cases import services
from sunlit.cases.errors import StepRoleRequired
from sunlit.cases.models import CaseDocument, Notice, StepInstance, VoteRecord
from sunlit.core.models import AuditEvent
from sunlit.supervision.engine import check_event, sweep
from sunlit.supervision.models import Alert, AlertAction
from sunlit.supervision.tests.conftest import T0

pytestmark = pytest.mark.django_db


def alerts(rule=None):
    qs = Alert.objects.all()
    if rule:
        qs = qs.filter(rule_code=rule)
    return list(qs.order_by("id"))


def reset():
    AlertAction.objects.all().delete()
    Alert.objects.all().delete()


def sweep_rule(code, now=None):
    return sweep(rule_codes=[code], now=now)


# --- time ----------------------------------------------------------------------------------------------


def test_step_overdue_at_the_exact_deadline_not_an_instant_before(walk):
    with time_machine.travel(T0, tick=False):
        case = walk("accept")
    due = case.current.due_at
    sweep_rule("TIME_STEP_OVERDUE", now=due - datetime.timedelta(microseconds=1))
    assert alerts() == []
    sweep_rule("TIME_STEP_OVERDUE", now=due)
    [alert] = alerts()
    assert alert.severity == "yellow"
    assert alert.case == case
    assert case.tracking_no in alert.explanation
    sweep_rule("TIME_STEP_OVERDUE", now=due + datetime.timedelta(days=11))
    assert len(alerts()) == 1  # the same finding, not a new alert
    reset()
    sweep_rule("TIME_STEP_OVERDUE", now=due + datetime.timedelta(days=11))
    assert alerts()[0].severity == "red"


def test_notice_cut_short_hit_and_exact_end(walk):
    with time_machine.travel(T0, tick=False) as clock:
        case = walk("county_review", clock=clock)
    notice_step = StepInstance.objects.get(case=case, step__key="notice")
    assert notice_step.completed_at == notice_step.not_before  # completed at the exact end: allowed
    sweep_rule("TIME_NOTICE_CUT_SHORT")
    assert alerts() == []
    # A DBA (or a legacy import) backdates the completion by an hour.
    StepInstance.objects.filter(pk=notice_step.pk).update(
        completed_at=notice_step.not_before - datetime.timedelta(hours=1)
    )
    sweep_rule("TIME_NOTICE_CUT_SHORT")
    [alert] = alerts()
    assert alert.severity == "red"
    assert alert.evidence["hours_short"] == 1.0


def test_objection_unanswered_after_the_reply_days(walk):
    with time_machine.travel(T0, tick=False):
        case = walk("notice")
        objection = services.objection_lodge(notice=Notice.objects.get(case=case), text="有车")
    lodged = timezone.localtime(objection.lodged_at)  # Tuesday 09:00
    # 10 working days after Tuesday 24 Nov is Tuesday 8 Dec.
    sweep_rule(
        "TIME_OBJECTION_UNANSWERED", now=lodged + datetime.timedelta(days=14) - datetime.timedelta(seconds=1)
    )
    assert alerts() == []
    sweep_rule("TIME_OBJECTION_UNANSWERED", now=lodged + datetime.timedelta(days=14))
    assert [a.rule_code for a in alerts()] == ["TIME_OBJECTION_UNANSWERED"]


# --- procedure -----------------------------------------------------------------------------------------


def test_step_sequence_skipped_step(walk):
    with time_machine.travel(T0, tick=False):
        case = walk("township_review")
    sweep_rule("PROC_STEP_SEQUENCE")
    assert alerts() == []
    # Someone rewrites the record so the case jumped from survey straight to township review.
    meeting = StepInstance.objects.get(case=case, step__key="review_meeting")
    survey_step = StepInstance.objects.get(case=case, step__key="survey").step
    StepInstance.objects.filter(pk=meeting.pk).update(step=survey_step)
    sweep_rule("PROC_STEP_SEQUENCE")
    found = {(a.evidence["from"], a.evidence["to"]) for a in alerts()}
    assert ("survey", "survey") in found or ("accept", "survey") in found
    assert all(a.severity == "red" for a in alerts())


def test_step_sequence_gap_in_the_record(walk):
    """A step recorded with nothing at the sequence just before it (a row removed or renumbered) is out
    of order, with no step to come from; the steps around it that still follow each other are not."""
    with time_machine.travel(T0, tick=False):
        case = walk("township_review")
    steps = list(StepInstance.objects.filter(case=case).order_by("sequence"))
    assert len(steps) >= 3
    last = steps[-1]
    StepInstance.objects.filter(pk=last.pk).update(sequence=last.sequence + 5)
    sweep_rule("PROC_STEP_SEQUENCE")
    assert [(a.subject, a.evidence["from"], a.evidence["to"]) for a in alerts()] == [
        (f"cases.stepinstance:{last.pk}", "", last.step.key)
    ]


def test_documents_missing_hit_and_complete_case(walk):
    with time_machine.travel(T0, tick=False):
        case = walk("survey")
    sweep_rule("PROC_DOCUMENTS_MISSING")
    assert alerts() == []
    doc = CaseDocument.objects.filter(case=case, step_instance__step__key="accept").first()
    CaseDocument.objects.filter(pk=doc.pk).delete()
    sweep_rule("PROC_DOCUMENTS_MISSING")
    [alert] = alerts()
    assert alert.evidence["uploaded"] == len(alert.evidence["required"]) - 1


def test_objection_ignored_when_the_case_moved_on(walk):
    with time_machine.travel(T0, tick=False):
        case = walk("notice")
        services.objection_lodge(notice=Notice.objects.get(case=case), text="异议")
    sweep_rule("PROC_OBJECTION_IGNORED")
    assert alerts() == []  # still at the notice step: blocked, not ignored
    later = StepInstance.objects.create(
        case=case, step=case.current.step.outgoing.first().target, sequence=99, status="completed",
        entered_at=timezone.now(),
    )  # fmt: skip
    type(case).objects.filter(pk=case.pk).update(current=later)
    sweep_rule("PROC_OBJECTION_IGNORED")
    assert [a.severity for a in alerts()] == ["red"]


def test_vote_rules_invalid_tally_and_missing_tally(walk):
    with time_machine.travel(T0, tick=False):
        case = walk("township_review")
    sweep_rule("PROC_VOTE_RULES")
    assert alerts() == []
    record = VoteRecord.objects.get(case=case)
    # Two thirds of those present is needed: 30 present, 19 for is one short, yet recorded as passed.
    VoteRecord.objects.filter(pk=record.pk).update(votes_for=19, votes_against=11)
    sweep_rule("PROC_VOTE_RULES")
    assert [a.evidence["problem"] for a in alerts()] == ["tally"]
    VoteRecord.objects.filter(pk=record.pk).update(votes_for=20, votes_against=10)  # exactly two thirds
    reset()
    sweep_rule("PROC_VOTE_RULES")
    assert alerts() == []
    VoteRecord.objects.filter(pk=record.pk).delete()
    sweep_rule("PROC_VOTE_RULES")
    assert [a.evidence["problem"] for a in alerts()] == ["no_vote"]


def test_out_of_role_attempts_blue_then_yellow(walk, people):
    with time_machine.travel(T0, tick=False):
        case = walk("accept")
        with pytest.raises(StepRoleRequired):
            services.step_complete(actor=people.supervisor, case=case)
        sweep_rule("PROC_OUT_OF_ROLE")
        [alert] = alerts()
        assert alert.severity == "blue"
        for _ in range(2):
            with pytest.raises(StepRoleRequired):
                services.step_complete(actor=people.supervisor, case=case)
        reset()
        sweep_rule("PROC_OUT_OF_ROLE")
        [alert] = alerts()
        assert alert.severity == "yellow"
        assert alert.evidence["attempts"] == 3


# --- seals ---------------------------------------------------------------------------------------------


def test_seal_without_case_yellow_then_red_and_none_with_a_case(tree, people, walk):
    with time_machine.travel(T0, tick=False):
        case = walk("accept")
        services.seal_use_record(
            actor=people.committee, village=tree.village, seal="committee", purpose="受理登记",
            document_sha256="a" * 64, approver=people.chair, case=case,
        )  # fmt: skip
        sweep_rule("SEAL_WITHOUT_CASE")
        assert alerts() == []
        for n in range(3):
            services.seal_use_record(
                actor=people.committee, village=tree.village, seal="committee", purpose=f"证明{n}",
                document_sha256=f"{n}" * 64, approver=people.chair, exception_reason="急用",
            )  # fmt: skip
            if n == 0:
                sweep_rule("SEAL_WITHOUT_CASE")
                assert [a.severity for a in alerts()] == ["yellow"]
        reset()
        sweep_rule("SEAL_WITHOUT_CASE")
    assert [a.severity for a in alerts()] == ["red", "red", "red"]


# --- engine --------------------------------------------------------------------------------------------


def test_sweeps_are_idempotent_and_ledgered_once(walk):
    with time_machine.travel(T0, tick=False):
        case = walk("accept")
    later = case.current.due_at + datetime.timedelta(hours=1)
    sweep(now=later)
    first = {a.key for a in alerts()}
    raised_events = AuditEvent.objects.filter(kind="alert.raised").count()
    run = sweep(now=later + datetime.timedelta(hours=1))
    assert {a.key for a in alerts()} == first
    assert run.raised == 0
    assert AuditEvent.objects.filter(kind="alert.raised").count() == raised_events == len(first)


def test_a_clean_case_raises_nothing(walk, people, upload_all):
    with time_machine.travel(T0, tick=False) as clock:
        case = walk("county_review", clock=clock)
        upload_all(case, people.county_department)
        services.step_complete(actor=people.county_department, case=case, inputs={"county_result": "pass"})
        case.refresh_from_db()
        clock.move_to(case.current.not_before)
        for actor in (people.chair, people.county_department):
            upload_all(case, actor)
            services.step_complete(actor=actor, case=case)
        run = sweep()
    case.refresh_from_db()
    assert case.status == "completed"
    assert run.findings == 0
    assert alerts() == []


def test_on_commit_check_raises_without_a_sweep(walk, people, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False):
        case = walk("accept")
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(StepRoleRequired):
            services.step_complete(actor=people.supervisor, case=case)
    assert [a.rule_code for a in alerts()] == ["PROC_OUT_OF_ROLE"]


def test_check_event_for_unknown_subjects_is_a_no_op():
    assert check_event("step.completed", "nonsense") == 0
    assert check_event("step.completed", "cases.case:999999") == 0
    assert check_event("seal.exception", "cases.sealuse:999999") == 0


def test_region_settings_change_parameters_within_bounds(tree, walk, people):
    from sunlit.supervision.services import AlertRefused, rule_setting_set

    with time_machine.travel(T0, tick=False):
        case = walk("accept")
    due = case.current.due_at
    rule_setting_set(
        actor=people.county_discipline,
        region=tree.county,
        rule_code="TIME_STEP_OVERDUE",
        params={"grace_hours": 24},
    )
    sweep_rule("TIME_STEP_OVERDUE", now=due + datetime.timedelta(hours=23))
    assert alerts() == []
    sweep_rule("TIME_STEP_OVERDUE", now=due + datetime.timedelta(hours=24))
    assert len(alerts()) == 1
    with pytest.raises(AlertRefused) as info:
        rule_setting_set(
            actor=people.county_discipline,
            region=tree.county,
            rule_code="TIME_STEP_OVERDUE",
            params={"grace_hours": 1000, "x": 1},
        )
    assert set(info.value.fields) == {"grace_hours", "x"}
    from sunlit.core.errors import NotFound

    with pytest.raises(NotFound):
        rule_setting_set(actor=people.reviewer, region=tree.county, rule_code="TIME_STEP_OVERDUE", params={})


def test_supervise_command_sweeps_and_is_idempotent(walk):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.utils import translation

    with time_machine.travel(T0, tick=False):
        walk("accept")
    with time_machine.travel(T0 + datetime.timedelta(days=30), tick=False), translation.override("en"):
        out = StringIO()
        call_command("supervise", "--full", stdout=out)
        assert "1 new alerts" in out.getvalue()
        out = StringIO()
        call_command("supervise", rule=["TIME_STEP_OVERDUE"], stdout=out)
        assert "0 new alerts" in out.getvalue()
        with pytest.raises(CommandError):
            call_command("supervise", rule=["NOPE"])


def test_periodic_jobs_are_registered_with_the_scheduler():
    from sunlit.core import schedule

    names = {job.name for job in schedule.jobs()}
    assert {"supervision.sweep", "supervision.escalate", "ledger.checkpoint"} <= names
