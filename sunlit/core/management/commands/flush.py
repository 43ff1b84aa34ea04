"""``flush`` that may empty the append-only ledger tables: wiping the whole database is the one
deletion the ledger triggers let through (sunlit/core/ledger_triggers.py). The test runner uses
it between transactional tests."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand

from sunlit.core.ledger_triggers import ledger_maintenance


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        with ledger_maintenance(options["database"]):
            super().handle(**options)
