"""``sunlit worker``: the django-tasks-db database worker, in this process, under one name."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run the background task worker (django-tasks-db's db_worker). Run one beside each `sunlit "
        "serve` or more on PostgreSQL. Ctrl-C stops it after the current task."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--queue-name", default="default", help="Queues to process, comma-separated; '*' for all."
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds to wait when the queue is empty."
        )
        parser.add_argument("--batch", action="store_true", help="Run every waiting task, then exit.")
        parser.add_argument("--max-tasks", type=int, default=None, help="Exit after this many tasks.")

    def handle(self, *args: Any, **options: Any) -> None:
        worker_options = {
            "queue_name": options["queue_name"],
            "interval": options["interval"],
            "batch": options["batch"],
            "reload": False,
            "verbosity": options["verbosity"],
        }
        if options["max_tasks"] is not None:
            worker_options["max_tasks"] = options["max_tasks"]
        call_command("db_worker", **worker_options)
