"""Concurrent writes: two corrections at once both land as consecutive versions (the item row is
locked), and the same automatic publication delivered twice at once makes one disclosure."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from sunlit.accounts.roles import Role
from sunlit.core.models import AuditEvent
from sunlit.disclosure.models import Disclosure, DisclosureVersion
from sunlit.disclosure.services import disclosure_correct, disclosure_publish


def _together(*calls):
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # pragma: no cover - reported by the assertions
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_corrections_at_once_become_versions_two_and_three(tree, make_user):
    first = make_user(Role.VILLAGE_CHAIR, tree.village, "c1")
    second = make_user(Role.VILLAGE_SECRETARY, tree.village, "c2")
    d = disclosure_publish(actor=first, village=tree.village, module="decisions", title="原标题", body="原文")
    results = _together(
        lambda: disclosure_correct(
            actor=first, disclosure=Disclosure.objects.get(pk=d.pk), title="甲", body="甲", reason="甲"
        ),
        lambda: disclosure_correct(
            actor=second, disclosure=Disclosure.objects.get(pk=d.pk), title="乙", body="乙", reason="乙"
        ),
    )
    assert all(isinstance(r, DisclosureVersion) for r in results), results
    assert sorted(r.number for r in results) == [2, 3]
    d.refresh_from_db()
    assert d.current.number == 3
    assert AuditEvent.objects.filter(kind="disclosure.corrected").count() == 2


@pytest.mark.django_db(transaction=True)
def test_same_source_published_twice_at_once_is_one_disclosure(tree):
    def publish():
        return disclosure_publish(
            actor=None,
            village=tree.village,
            module="decisions",
            title="通知",
            body="内容",
            source="cases.notice:99",
        )

    results = _together(publish, publish)
    assert all(isinstance(r, Disclosure) for r in results), results
    assert results[0].pk == results[1].pk
    assert Disclosure.objects.count() == 1
    assert AuditEvent.objects.filter(kind="disclosure.published").count() == 1
