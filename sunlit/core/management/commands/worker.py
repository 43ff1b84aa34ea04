"""``sunlit worker``: the django-tasks-db database worker plus the periodic-job scheduler.

The scheduler (sunlit/core/schedule.py) ticks in a background thread; since each job fires once
per slot across all workers, any number of workers may run it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)


def run_scheduler(stop: threading.Event, every: float) -> None:
    from sunlit.core import schedule

    while True:
        try:
            schedule.tick()
        except Exception:  # a failed tick must not stop the worker; the next one retries
            logger.exception("scheduler tick failed")
        finally:
            close_old_connections()
        if stop.wait(every):
            break
    connection.close()


class Command(BaseCommand):
    help = (
        "Run the background task worker (django-tasks-db's db_worker) and the periodic-job "
        "scheduler (ledger checkpoints, …). Run one beside each `sunlit serve` or more on "
        "PostgreSQL. Ctrl-C stops it after the current task."
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
        parser.add_argument(
            "--tick", type=float, default=30.0, help="Seconds between scheduler ticks (default 30)."
        )
        parser.add_argument("--no-scheduler", action="store_true", help="Do not run periodic jobs here.")

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
        stop = threading.Event()
        scheduler = None
        if not options["no_scheduler"]:
            if options["batch"]:
                from sunlit.core import schedule

                schedule.tick()  # fire what is due, then let the batch run it
            else:
                scheduler = threading.Thread(
                    target=run_scheduler, args=(stop, options["tick"]), name="sunlit-scheduler", daemon=True
                )
                scheduler.start()
        try:
            call_command("db_worker", **worker_options)
        finally:
            stop.set()
            if scheduler is not None:
                scheduler.join(timeout=5)
