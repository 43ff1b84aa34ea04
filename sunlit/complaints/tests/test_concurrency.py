"""Two handlers claiming, or two workers escalating, the same complaint at once: exactly one wins.

On PostgreSQL the transactions overlap (the loser waits on the row lock, then sees the new state); on
SQLite IMMEDIATE transactions serialise them. Either way the outcome is the same.
"""

import datetime
import threading

import pytest
from django.db import connection

from sunlit.accounts.roles import Role
from sunlit.complaints import services
from sunlit.complaints.errors import ComplaintConflict
from sunlit.complaints.models import Complaint, ComplaintEvent
from sunlit.core.models import AuditEvent


def _race(work, args) -> dict:
    barrier = threading.Barrier(len(args))
    results: dict = {}

    def run(key, *a):
        try:
            barrier.wait(timeout=10)
            results[key] = work(*a)
        except ComplaintConflict as exc:
            results[key] = exc.code
        except Exception as exc:  # pragma: no cover - reported by the assertion
            results[key] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=a) for a in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_handlers_claim_at_once_one_wins(tree, make_user):
    first = make_user(Role.TOWNSHIP_LEADER, tree.township, "first")
    second = make_user(Role.TOWNSHIP_LEADER, tree.township, "second")
    c = services.complaint_file(
        actor=None,
        channel="portal",
        kind="complaint",
        category="assets",
        village=tree.village,
        text="并发认领测试内容",
    ).complaint

    def claim(user):
        services.complaint_claim(actor=user, complaint=Complaint.objects.get(pk=c.pk))
        return "ok"

    results = _race(claim, [("first", first), ("second", second)])
    assert sorted(results.values()) == ["already_claimed", "ok"], results
    assert AuditEvent.objects.filter(kind="complaint.claimed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_escalate_once(tree):
    c = services.complaint_file(
        actor=None,
        channel="portal",
        kind="complaint",
        category="assets",
        village=tree.village,
        text="并发升级测试内容",
    ).complaint
    later = c.accept_due + datetime.timedelta(seconds=1)
    results = _race(lambda: services.escalate_due(now=later)["escalated"], [("a",), ("b",)])
    assert sorted(results.values()) == [0, 1], results
    c.refresh_from_db()
    assert c.escalation_level == 1
    assert ComplaintEvent.objects.filter(complaint=c, action="escalated_overdue").count() == 1
