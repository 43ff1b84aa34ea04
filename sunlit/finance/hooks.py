"""Finance rules in step with the money: after a finance event commits, re-check its village.

Supervision's engine re-checks cases and seal uses itself (sunlit/supervision/engine.py
``check_event``); finance events are about entries and contracts, so this app runs the finance
rules watching the event's kind over the event's village, through the engine's own ``run_rule`` and
``raise_alerts`` (idempotent: alert keys are unique).
"""

from __future__ import annotations

from sunlit.core import events

SUBJECT_MODELS = {
    "finance.entry": "Entry",
    "finance.contract": "Contract",
    "finance.reimbursement": "Reimbursement",
}


def _on_event(kind: str, subject: str) -> None:
    from .rules import CONTRACT_KINDS, ENTRY_KINDS
    from .tasks import finance_check

    if kind in ENTRY_KINDS or kind in CONTRACT_KINDS:
        finance_check.enqueue(kind=kind, subject=subject)


def connect() -> None:
    events.listen(_on_event)


def village_of(subject: str):
    """The village an event's subject belongs to, or None."""
    from django.apps import apps

    label, _sep, raw = subject.partition(":")
    name = SUBJECT_MODELS.get(label)
    if name is None or not raw.isdigit():
        return None
    model = apps.get_model("finance", name)
    row = model.objects.filter(pk=int(raw)).select_related("village").first()
    return row.village if row is not None else None


def check_village(kind: str, subject: str) -> int:
    """Run the finance rules watching ``kind`` over the subject's village; returns new alerts."""
    from django.utils import timezone

    from sunlit.supervision.engine import raise_alerts, run_rule, settings_version_checked
    from sunlit.supervision.rules.base import REGISTRY

    from .rules import FINANCE_RULES

    village = village_of(subject)
    if village is None:
        return 0
    settings_version_checked()  # a worker must see thresholds changed by another process
    now = timezone.now()
    raised = 0
    for code in FINANCE_RULES:
        rule = REGISTRY[code]
        if kind in rule.watches:
            raised += raise_alerts(rule, run_rule(rule, now=now, region=village), now=now)[0]
    return raised
