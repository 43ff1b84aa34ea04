"""A small periodic-job scheduler: each job fires exactly once per time slot, however many
workers tick.

A job has a name, an interval and a django-tasks task. ``tick()`` computes each job's current
slot (the start of the interval containing now, in epoch seconds) and inserts a ScheduledRun row
with the unique key (job, slot). Only the worker whose insert succeeds enqueues the task, on
commit; every other worker gets an IntegrityError and skips. ``sunlit worker`` ticks in a
background thread (sunlit/core/management/commands/worker.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import ScheduledRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    interval: Callable[[], int]  # seconds, read at each tick so settings changes apply
    task: object  # a django_tasks Task (anything with .enqueue())


_jobs: dict[str, Job] = {}


def register(name: str, *, every: Callable[[], int] | int, task: object) -> Job:
    """Register (or replace) the periodic job ``name`` running ``task`` every ``every`` seconds."""
    interval = every if callable(every) else (lambda: every)
    job = Job(name=name, interval=interval, task=task)
    _jobs[name] = job
    return job


def jobs() -> list[Job]:
    return list(_jobs.values())


def slot_of(job: Job, now: datetime) -> int:
    interval = max(int(job.interval()), 1)
    seconds = int(now.timestamp())
    return seconds - seconds % interval


def tick(now: datetime | None = None) -> list[str]:
    """Fire every job whose current slot has not fired yet; return the names fired here."""
    now = now or timezone.now()
    fired = []
    for job in jobs():
        slot = slot_of(job, now)
        try:
            with transaction.atomic():
                ScheduledRun.objects.create(job=job.name, slot=slot)
                transaction.on_commit(job.task.enqueue)  # type: ignore[attr-defined]
        except IntegrityError:
            continue  # another worker took this slot
        fired.append(job.name)
        logger.info("scheduled job %s fired for slot %s", job.name, slot)
    return fired
