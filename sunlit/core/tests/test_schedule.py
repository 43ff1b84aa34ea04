"""The periodic-job scheduler fires each job once per slot, however many workers tick."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction

from sunlit.core import ledger, schedule
from sunlit.core.models import Checkpoint, ScheduledRun


class CountingTask:
    def __init__(self):
        self.calls = 0
        self.lock = threading.Lock()

    def enqueue(self):
        with self.lock:
            self.calls += 1


@pytest.fixture
def job():
    saved = dict(schedule._jobs)
    schedule._jobs.clear()
    task = CountingTask()
    schedule.register("test.job", every=600, task=task)
    yield task
    schedule._jobs.clear()
    schedule._jobs.update(saved)


NOON = datetime(2026, 11, 24, 12, 0, 5, tzinfo=UTC)


@pytest.mark.django_db
def test_a_job_fires_once_per_slot(job, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert schedule.tick(NOON) == ["test.job"]
        assert schedule.tick(NOON + timedelta(minutes=9)) == []
        assert schedule.tick(NOON + timedelta(minutes=10)) == ["test.job"]
    assert job.calls == 2
    assert ScheduledRun.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_fire_a_slot_exactly_once(job):
    fired = []

    def worker():
        try:
            fired.extend(schedule.tick(NOON))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fired == ["test.job"]
    assert job.calls == 1
    assert ScheduledRun.objects.filter(job="test.job").count() == 1


@pytest.mark.django_db
def test_the_checkpoint_job_is_registered_and_signs_the_ledger(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.SUNLIT_KEYS_DIR = tmp_path / "keys"
    settings.SUNLIT_LEDGER_CHECKPOINT_MINUTES = 5
    with transaction.atomic():
        ledger.ledger_append(kind="test.appended", actor=None, subject="core.thing:1", payload={})
    job = next(j for j in schedule.jobs() if j.name == "ledger.checkpoint")
    assert job.interval() == 300
    with django_capture_on_commit_callbacks(execute=True):
        assert "ledger.checkpoint" in schedule.tick(NOON)
    assert list(Checkpoint.objects.values_list("tree_size", flat=True)) == [1]
