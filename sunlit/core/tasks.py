"""Background tasks of the core app (thin: call a service). Periodic ones are registered with
the scheduler (sunlit/core/schedule.py)."""

from __future__ import annotations

from django.conf import settings
from django_tasks import task

from . import schedule


@task()
def ledger_checkpoint() -> int:
    """Sign a checkpoint of the ledger at its current size; returns the tree size."""
    from .checkpoints import checkpoint_take

    return checkpoint_take().tree_size


def checkpoint_interval() -> int:
    return int(getattr(settings, "SUNLIT_LEDGER_CHECKPOINT_MINUTES", 10)) * 60


schedule.register("ledger.checkpoint", every=checkpoint_interval, task=ledger_checkpoint)
