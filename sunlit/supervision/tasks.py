"""Background work of supervision (thin: call the engine or a service).

Periodic jobs fire once per slot across all workers (sunlit/core/schedule.py).
"""

from __future__ import annotations

from django.conf import settings
from django_tasks import task

from sunlit.core import schedule


@task()
def supervise_event(kind: str, subject: str) -> int:
    """Re-check what a committed event touched; returns the number of new alerts."""
    from .engine import check_event

    return check_event(kind, subject)


@task()
def supervise_sweep() -> int:
    """The periodic full sweep; returns the number of new alerts."""
    from .engine import sweep

    return sweep().raised


@task()
def supervise_escalate() -> int:
    """Escalate alerts left unclaimed or unresolved too long; returns how many moved up."""
    from .services import alerts_escalate_due

    return alerts_escalate_due()


def sweep_interval() -> int:
    return int(getattr(settings, "SUNLIT_SUPERVISION_SWEEP_MINUTES", 60)) * 60


schedule.register("supervision.sweep", every=sweep_interval, task=supervise_sweep)
schedule.register("supervision.escalate", every=3600, task=supervise_escalate)
