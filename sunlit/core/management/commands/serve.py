"""``sunlit serve``: gunicorn (a production WSGI server) plus one task worker, as child processes.

SIGINT and SIGTERM are forwarded to both children as SIGTERM, on which both stop gracefully. Each
child runs in its own process group, so a Ctrl-C reaches it exactly once, through this process; if
this process is killed with SIGKILL, the service manager's control group (or a person) must stop
them. When either child ends, the other is stopped and the command exits with the ended child's
status (non-zero if it crashed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

DEFAULT_BIND = "127.0.0.1:8000"
GRACE_SECONDS = 30  # how long a child may take to stop before it is killed
GUNICORN_GRACEFUL_SECONDS = 20  # gunicorn's own limit for finishing requests on SIGTERM


def base_url(bind: str) -> str:
    """The address to print for a gunicorn ``--bind`` value."""
    if bind.startswith(("unix:", "fd://")):
        return bind
    host, _sep, port = bind.rpartition(":")
    if not _sep:
        host, port = bind, "8000"
    if host in ("", "0.0.0.0", "[::]"):  # noqa: S104 - only choosing what to print
        host = "127.0.0.1"
    return f"http://{host}:{port}"


class Command(BaseCommand):
    help = (
        "Serve the site with gunicorn and run the task worker beside it. Static files are collected "
        "first. Ctrl-C (or SIGTERM) stops both."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--bind", default=DEFAULT_BIND, help=f"HOST:PORT to listen on (default {DEFAULT_BIND})."
        )
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2).")
        parser.add_argument(
            "--timeout", type=int, default=60, help="gunicorn worker timeout in seconds (default 60)."
        )
        parser.add_argument("--no-worker", action="store_true", help="Do not start the task worker.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            raise CommandError(_("--workers must be at least 1."))
        if self._unapplied_migrations():
            raise CommandError(_("The database is not up to date; run `sunlit migrate` first."))
        call_command("collectstatic", interactive=False, verbosity=0)
        connections.close_all()  # this process only supervises from here on
        env = self._child_environment()
        commands = {
            "web": [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                options["bind"],
                "--workers",
                str(options["workers"]),
                "--timeout",
                str(options["timeout"]),
                "--graceful-timeout",
                str(GUNICORN_GRACEFUL_SECONDS),
                "--access-logfile",
                "-",
                *self._control_socket(),
            ]
        }
        if not options["no_worker"]:
            commands["worker"] = [
                sys.executable,
                "-m",
                "config.cli",
                "db_worker",
                "--no-reload",
                "--verbosity",
                str(options["verbosity"]),
            ]
        self._warn_about_host(options["bind"])
        self.stdout.write(
            self.style.SUCCESS(_("Serving on %(url)s/ (Ctrl-C stops).") % {"url": base_url(options["bind"])})
        )
        self.stdout.flush()
        returncode = self._run(commands, env)
        if returncode:
            raise CommandError(
                _("A server process ended with status %(code)d.") % {"code": returncode},
                returncode=returncode,
            )

    @staticmethod
    def _unapplied_migrations() -> bool:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))

    @staticmethod
    def _control_socket() -> list[str]:
        """Recent gunicorn opens a control socket, by default one per user (~/.gunicorn); keep each
        installation's in its data directory so two instances never share it."""
        from gunicorn.config import KNOWN_SETTINGS

        if any(setting.name == "control_socket" for setting in KNOWN_SETTINGS):
            return ["--control-socket", str(settings.DATA_DIR / "gunicorn.ctl")]
        return []

    @staticmethod
    def _child_environment() -> dict[str, str]:
        """This process's environment, pinned so the children see the same settings and data."""
        env = os.environ.copy()
        env["DJANGO_SETTINGS_MODULE"] = settings.SETTINGS_MODULE
        env["SUNLIT_DATA_DIR"] = str(settings.DATA_DIR)  # a relative path is resolved once, here
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(settings.BASE_DIR), env.get("PYTHONPATH", "")) if p
        )
        return env

    def _warn_about_host(self, bind: str) -> None:
        host = base_url(bind).removeprefix("http://").rpartition(":")[0]
        if host and "*" not in settings.ALLOWED_HOSTS and host.strip("[]") not in settings.ALLOWED_HOSTS:
            self.stderr.write(
                self.style.WARNING(
                    _("%(host)s is not in SUNLIT_ALLOWED_HOSTS; requests to it will be refused.")
                    % {"host": host}
                )
            )

    def _run(self, commands: dict[str, list[str]], env: dict[str, str]) -> int:
        children: dict[str, subprocess.Popen] = {}
        stopping = {"signal": 0}

        def forward(signum: int, frame: FrameType | None) -> None:
            # Both children stop gracefully on SIGTERM (gunicorn finishes its requests, the worker
            # its task), and a worker still starting up dies quietly instead of with a traceback.
            stopping["signal"] = signum
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for name, argv in commands.items():
                # Own process group: a Ctrl-C reaches the children once, through forward().
                children[name] = subprocess.Popen(argv, env=env, start_new_session=True)  # noqa: S603
            ended = None
            while ended is None:
                ended = next((name for name, child in children.items() if child.poll() is not None), None)
                if ended is None:
                    time.sleep(0.2)
            returncode = children[ended].returncode
            if not stopping["signal"]:
                self.stderr.write(
                    _("The %(name)s process ended (status %(code)d); stopping the others.")
                    % {"name": ended, "code": returncode}
                )
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + GRACE_SECONDS
            for child in children.values():
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
            if stopping["signal"]:
                # Stopped on request: a child's status only matters if it failed on its own.
                return next(
                    (c.returncode for c in children.values() if c.returncode not in (0, -signal.SIGTERM)), 0
                )
            return returncode if returncode >= 0 else 128 - returncode
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.kill()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
