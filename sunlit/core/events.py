"""After-commit notifications of ledger appends, for apps that react to what happened.

``ledger_append`` calls :func:`appended` for every event; listeners (registered by later apps in
their ``AppConfig.ready``, e.g. supervision) are called with ``(kind, subject)`` once the transaction
commits. Django drops the callback when the transaction (or the savepoint that made the append)
rolls back, so nothing is delivered for an act that did not happen. A listener only enqueues work (a
task); it never writes in the committing transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

Listener = Callable[[str, str], None]
_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def appended(kind: str, subject: str) -> None:
    if not _listeners:
        return

    def deliver() -> None:
        for listener in list(_listeners):
            listener(kind, subject)

    transaction.on_commit(deliver)
