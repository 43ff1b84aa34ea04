"""Background tasks of deliberation (thin: call a service). The daily duty-airing reminder is
registered with the scheduler (sunlit/core/schedule.py)."""

from __future__ import annotations

from django.conf import settings
from django_tasks import task

from sunlit.core import schedule


@task()
def duty_reminders() -> int:
    """Remind branches that have not held this month's duty airing, or whose members have not all
    reported, from the county's reminder day on; returns the number of reminders sent."""
    from .reminders import duty_reminders_send

    return duty_reminders_send()


def reminder_interval() -> int:
    return int(getattr(settings, "SUNLIT_DUTY_REMINDER_HOURS", 24)) * 3600


schedule.register("deliberation.duty_reminders", every=reminder_interval, task=duty_reminders)
