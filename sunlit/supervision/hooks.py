"""Supervision in step with power: after a ledger append commits, watched events enqueue a check."""

from __future__ import annotations

from sunlit.core import events

# The subjects check_event re-checks; other apps' watched events (finance entries and contracts) are
# re-checked by those apps' own hooks (sunlit/finance/hooks.py), so no task is queued here for them.
CHECKED_SUBJECTS = ("cases.case:", "cases.sealuse:")


def _on_event(kind: str, subject: str) -> None:
    from .engine import watched_kinds
    from .tasks import supervise_event

    if kind in watched_kinds() and subject.startswith(CHECKED_SUBJECTS):
        supervise_event.enqueue(kind=kind, subject=subject)


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from .engine import invalidate_settings
    from .models import RuleSetting

    events.listen(_on_event)
    post_save.connect(invalidate_settings, sender=RuleSetting, dispatch_uid="supervision.settings.saved")
    post_delete.connect(invalidate_settings, sender=RuleSetting, dispatch_uid="supervision.settings.deleted")
