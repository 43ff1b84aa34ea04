"""Two people completing the same step at once: exactly one succeeds, the other gets a conflict.

Runs on both databases; on PostgreSQL the two transactions really overlap (the losing UPDATE waits on
the winner's row lock and then finds the step no longer active), on SQLite IMMEDIATE transactions
serialise them.
"""

import threading

import pytest
from django.db import connection

from sunlit.accounts.roles import Role
from sunlit.cases import services
from sunlit.cases.errors import StepConflict
from sunlit.cases.models import Case, StepInstance
from sunlit.cases.vocab import StepStatus
from sunlit.core.models import AuditEvent


@pytest.mark.django_db(transaction=True)
def test_two_completers_exactly_one_wins(tree, standard, make_user, upload_all):
    first = make_user(Role.VILLAGE_COMMITTEE, tree.village, "first")
    second = make_user(Role.VILLAGE_SECRETARY, tree.village, "second")
    case = services.case_start(actor=first, village=tree.village, item_code="VS-01", title="并发测试")
    upload_all(case, first)
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def complete(user):
        try:
            mine = Case.objects.get(pk=case.pk)
            barrier.wait(timeout=10)
            services.step_complete(actor=user, case=mine, sequence=1)
            results[user.username] = "ok"
        except StepConflict as exc:
            results[user.username] = exc.code
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            results[user.username] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=complete, args=(u,)) for u in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results.values()) == ["ok", "step_not_active"], results
    steps = StepInstance.objects.filter(case=case).order_by("sequence")
    assert [(s.sequence, s.status) for s in steps] == [(1, StepStatus.COMPLETED), (2, StepStatus.ACTIVE)]
    assert AuditEvent.objects.filter(kind="step.completed", subject=f"cases.case:{case.pk}").count() == 1
