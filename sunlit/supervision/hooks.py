"""Supervision in step with power: after a ledger append commits, watched events enqueue a check."""

from __future__ import annotations

from sunlit.core import events


def _on_event(kind: str, subject: str) -> None:
    from .engine import watched_kinds
    from .tasks import supervise_event

    if kind in watched_kinds():
        supervise_event.enqueue(kind=kind, subject=subject)


def connect() -> None:
    events.listen(_on_event)
