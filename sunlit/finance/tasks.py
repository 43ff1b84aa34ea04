"""Background work of finance (thin: load, call a service). Periodic jobs fire once per slot."""

from __future__ import annotations

from django_tasks import task

from sunlit.core import schedule


@task()
def finance_check(kind: str, subject: str) -> int:
    """Re-check the village of a committed finance event; returns the number of new alerts."""
    from .hooks import check_village

    return check_village(kind, subject)


@task()
def finance_monthly_disclosure() -> int:
    """Publish last month's finance statement of every village that has finance records and none yet."""
    from .disclosure import statements_publish_due

    return statements_publish_due()


schedule.register("finance.monthly_disclosure", every=6 * 3600, task=finance_monthly_disclosure)
