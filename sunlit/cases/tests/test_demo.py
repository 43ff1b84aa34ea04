"""The demo's cases: every state exists, all of it was written by the services (so it is all in the
ledger, in time order), and loading the demo again adds nothing."""

from collections import Counter

import pytest
from django.utils import timezone

from sunlit.accounts.models import User
from sunlit.cases.models import (
    Case,
    CaseDocument,
    Notice,
    Objection,
    RefusedAttempt,
    SealUse,
    StepInstance,
    VoteRecord,
)
from sunlit.cases.selectors import notices_open, todo_for_user
from sunlit.cases.vocab import CaseStatus, ObjectionStatus, StepStatus
from sunlit.core.demo import demo_load
from sunlit.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    return demo_load(case_villages=2)


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Case,
            StepInstance,
            CaseDocument,
            Notice,
            Objection,
            SealUse,
            VoteRecord,
            AuditEvent,
        )
    }


def test_demo_cases_cover_every_state(demo):
    report = demo.cases
    assert report is not None
    assert report.villages == 2
    assert Case.objects.count() == report.cases
    assert len(set(Case.objects.values_list("village", flat=True))) == 2
    now = timezone.now()

    # completed along different branches
    completed = Case.objects.filter(status=CaseStatus.COMPLETED)
    ends = set(completed.values_list("end_step_key", flat=True))
    assert {"done", "refused", "withdrawn"} <= ends
    withdrawn = completed.filter(end_step_key="withdrawn")
    assert VoteRecord.objects.filter(case__in=withdrawn, passed=False).exists()  # after a failed vote
    assert Case.objects.filter(status=CaseStatus.TERMINATED).exclude(termination_reason="").exists()

    # active at every kind of step, some overdue
    active = StepInstance.objects.filter(status=StepStatus.ACTIVE, case__status=CaseStatus.ACTIVE)
    kinds = set(active.values_list("step__kind", flat=True))
    assert {"task", "approval", "vote", "public_notice", "document"} <= kinds
    assert active.filter(due_at__lt=now).exists()

    # notices open now: with an open objection, with an answered one, with none
    open_notices = list(notices_open())
    assert open_notices
    states = [set(n.objections.values_list("status", flat=True)) for n in open_notices]
    assert any(ObjectionStatus.OPEN in s for s in states)
    assert any(ObjectionStatus.DISMISSED in s for s in states)
    assert any(not s for s in states)

    # seal uses with cases and as logged exceptions; documents stored once per content
    assert SealUse.objects.filter(case__isnull=False).exists()
    assert SealUse.objects.filter(is_exception=True).exclude(exception_reason="").exists()
    documents = CaseDocument.objects.count()
    assert documents > CaseDocument.objects.values("sha256").distinct().count() > 0
    assert set(CaseDocument.objects.values_list("content_type", flat=True)) == {"application/pdf"}

    # the printed chair has work to do
    chair = next(login for login in demo.logins if login.role == "village_chair")
    assert todo_for_user(User.objects.get(username=chair.username)).exists()


def test_every_demo_record_went_through_the_services_and_is_loaded_once(demo):
    kinds = Counter(AuditEvent.objects.values_list("kind", flat=True))
    assert kinds["case.started"] == Case.objects.count()
    non_end = StepInstance.objects.filter(status=StepStatus.COMPLETED).exclude(step__kind="end")
    assert kinds["step.completed"] == non_end.count()
    assert kinds["case.completed"] == Case.objects.filter(status=CaseStatus.COMPLETED).count()
    assert kinds["case.terminated"] == Case.objects.filter(status=CaseStatus.TERMINATED).count()
    assert kinds["document.uploaded"] == CaseDocument.objects.count()
    assert kinds["vote.recorded"] == VoteRecord.objects.count()
    assert kinds["notice.opened"] == Notice.objects.count()
    assert kinds["objection.lodged"] == Objection.objects.count()
    answered = Objection.objects.exclude(status=ObjectionStatus.OPEN).count()
    assert kinds["objection.resolved"] == answered
    assert kinds["seal.used"] + kinds["seal.exception"] == SealUse.objects.count()
    assert kinds["seal.exception"] == SealUse.objects.filter(is_exception=True).count()
    refusals = sum(n for kind, n in kinds.items() if kind.startswith("refused."))
    assert refusals == RefusedAttempt.objects.count() == 0
    # the later domains' demos (sunlit.core.demo._demo_domains) append events of their own kinds
    case_kinds = ("case.", "step.", "document.", "vote.", "notice.", "objection.", "seal.", "refused.")
    assert sum(n for kind, n in kinds.items() if kind.startswith(case_kinds)) == demo.cases.ledger_events
    # written under a clock moving forward through the last three months, up to now
    times = list(AuditEvent.objects.order_by("seq").values_list("time", flat=True))
    assert times == sorted(times)
    assert (times[-1] - times[0]).days >= 60
    assert times[-1] <= timezone.now()

    # loading the demo again adds nothing
    before = _counts()
    again = demo_load(case_villages=2)
    assert again.cases is None
    assert again.already_loaded
    assert _counts() == before
