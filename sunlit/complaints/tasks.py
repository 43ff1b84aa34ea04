"""The periodic complaint job: escalate overdue complaints, close unrated answers, drop stale unverified
filings. Registered with sunlit.core.schedule, so it runs exactly once per slot however many workers tick."""

from __future__ import annotations

from django_tasks import task

from sunlit.core import schedule

from .config import setting_int


@task()
def complaints_escalate() -> dict[str, int]:
    from .services import escalate_due

    return escalate_due()


def escalate_interval() -> int:
    return setting_int("SUNLIT_COMPLAINT_SWEEP_MINUTES", 60) * 60


schedule.register("complaints.escalate", every=escalate_interval, task=complaints_escalate)
