"""The city-scale bulk history at a small size: every case follows its flow, every act is in the
ledger in time order with the rows it describes, and the ledger verifies."""

import itertools
from collections import Counter

import pytest

from sunlit.cases.bulk import city_cases
from sunlit.cases.models import Case, CaseDocument, CaseParty, Notice, StepInstance, VoteRecord
from sunlit.cases.vocab import CaseStatus, StepStatus
from sunlit.core.ledger_verify import ledger_verify
from sunlit.core.models import AuditEvent
from sunlit.powers.models import Transition
from sunlit.powers.vocab import StepKind
from sunlit.regions.models import Region, RegionLevel

pytestmark = pytest.mark.django_db

VILLAGES, PER_VILLAGE = 20, 30


@pytest.fixture(autouse=True)
def _keys(settings, tmp_path):
    settings.SUNLIT_KEYS_DIR = tmp_path / "keys"


@pytest.fixture
def history(tree, standard):
    township = tree.township
    Region.objects.bulk_create(
        [
            Region(
                code=f"{township.short_code}{300 + i:03d}",
                name=f"演示{i}村",
                level=RegionLevel.VILLAGE,
                parent=township,
                path=f"{township.path}{township.short_code}{300 + i:03d}/",
                depth=tree.village.depth,
            )
            for i in range(VILLAGES - 2)
        ]
    )
    lines = []
    report = city_cases(
        city=township, logins=[], seed=7, per_village=PER_VILLAGE, windows=8,
        progress=lambda *args: lines.append(args),
    )  # fmt: skip
    return report, lines


def _counts_and_progress(history):
    report, lines = history
    assert report.villages == VILLAGES
    assert report.cases == Case.objects.count() == VILLAGES * PER_VILLAGE
    assert report.events == AuditEvent.objects.count()
    assert report.steps == StepInstance.objects.count()
    assert report.votes == VoteRecord.objects.count()
    assert report.votes > 0
    assert report.notices == Notice.objects.count()
    assert report.notices > 0
    assert CaseParty.objects.exists()
    assert len(lines) >= 5
    assert lines[-1][0].startswith("cases 100%")
    status = Counter(Case.objects.values_list("status", flat=True))
    assert status[CaseStatus.COMPLETED] > 0
    assert status[CaseStatus.ACTIVE] > 0


def _every_case_follows_its_flow():
    transitions = set(Transition.objects.values_list("source_id", "target_id"))
    steps = {}
    for s in StepInstance.objects.select_related("step", "step__flow").order_by("case_id", "sequence"):
        steps.setdefault(s.case_id, []).append(s)
    votes = set(VoteRecord.objects.values_list("step_instance_id", flat=True))
    notices = set(Notice.objects.values_list("step_instance_id", flat=True))
    for case in Case.objects.select_related("flow"):
        chain = steps[case.pk]
        assert [s.sequence for s in chain] == list(range(1, len(chain) + 1))
        assert chain[0].step.key == case.flow.start_key
        for a, b in itertools.pairwise(chain):
            assert (a.step_id, b.step_id) in transitions
            assert a.status == StepStatus.COMPLETED
            assert a.next_step_key == b.step.key
            assert a.completed_at == b.entered_at
            assert a.entered_at < a.completed_at
            assert (a.pk in votes) == (a.step.kind == StepKind.VOTE)
            if a.routing:
                assert a.routing[-1]["target"] == b.step.key
                assert a.routing[-1]["result"] is True
        for s in chain:
            assert (s.pk in notices) == (s.step.kind == StepKind.PUBLIC_NOTICE)
        last = chain[-1]
        if case.status == CaseStatus.COMPLETED:
            assert last.step.kind == StepKind.END
            assert case.current_id is None
        else:
            assert last.status == StepStatus.ACTIVE
            assert case.current_id == last.pk
        assert case.revision == sum(1 for s in chain if s.completed_by_id is not None)


def _the_ledger_records_every_act_in_time_order_and_verifies():
    kinds = Counter(AuditEvent.objects.values_list("kind", flat=True))
    completed = StepInstance.objects.filter(completed_by__isnull=False).count()
    assert kinds == {
        "case.started": Case.objects.count(),
        "step.completed": completed,
        "vote.recorded": VoteRecord.objects.count(),
        "notice.opened": Notice.objects.count(),
        "case.completed": Case.objects.filter(status=CaseStatus.COMPLETED).count(),
        "document.uploaded": CaseDocument.objects.count(),
    }
    times = list(AuditEvent.objects.order_by("seq").values_list("time", flat=True))
    assert times == sorted(times)
    started = AuditEvent.objects.filter(kind="case.started").first()
    case = Case.objects.get(pk=int(started.subject.split(":")[1]))
    assert started.payload["tracking_no"] == case.tracking_no
    assert started.pii_commitments.keys() >= {"title"}
    report = ledger_verify(full=True)
    assert report.ok, report.problem


def _every_completed_step_has_its_documents_and_nothing_is_flagged():
    from sunlit.supervision.engine import run_rule
    from sunlit.supervision.rules.base import REGISTRY

    done = StepInstance.objects.filter(completed_by__isnull=False).select_related("step")
    uploaded: dict[int, set[str]] = {}
    for instance_id, name in CaseDocument.objects.values_list("step_instance_id", "name"):
        uploaded.setdefault(instance_id, set()).add(name)
    assert CaseDocument.objects.exists()
    for instance in done:
        assert uploaded.get(instance.pk, set()) == set(instance.step.documents)
    assert set(uploaded) <= {s.pk for s in done}
    listed = [e.payload["documents"] for e in AuditEvent.objects.filter(kind="step.completed")]
    assert sum(1 for hashes in listed if hashes) == len(uploaded)
    assert not run_rule(REGISTRY["PROC_DOCUMENTS_MISSING"], now=done[0].completed_at)


def test_a_small_city_history(history):
    """One generation (the slow part), four sets of checks."""
    _counts_and_progress(history)
    _every_case_follows_its_flow()
    _the_ledger_records_every_act_in_time_order_and_verifies()
    _every_completed_step_has_its_documents_and_nothing_is_flagged()
