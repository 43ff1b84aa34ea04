"""``sunlit demo``: migrate, load the deterministic demo data set, print the logins, serve."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.accounts.models import User
from sunlit.accounts.roles import Role
from sunlit.cases.bulk import CASES_PER_VILLAGE
from sunlit.cases.demo import SAMPLE_VILLAGES
from sunlit.cases.selectors import todo_for_user
from sunlit.core.demo import DEFAULT_SEED, DEMO_PASSWORD, SCALES, DemoReport, demo_load
from sunlit.core.management.base import SunlitCommand
from sunlit.core.management.commands.serve import DEFAULT_BIND, base_url
from sunlit.regions.models import LEVEL_DEPTH, RegionLevel
from sunlit.regions.selectors import region_ancestors

COUNTY_DEPTH = LEVEL_DEPTH[RegionLevel.COUNTY]


class Command(SunlitCommand):
    help = (
        "Migrate the database, load the deterministic demo data set (Xinyang regions, generated "
        "townships and villages, the standard catalog adopted by every township, a few local "
        "parameter values, one staff login per role and three months of case history in a sample of "
        "villages), print the logins and serve the site with a task worker. Running it again reuses the data already loaded."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--scale",
            choices=SCALES,
            default="county",
            help="county: 光山县, about 20 townships and 300 villages (default); city: all 10 Xinyang "
            "counties, about 3,450 villages.",
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="Random seed of the generated names and sizes."
        )
        parser.add_argument(
            "--anomalies",
            action="store_true",
            help="Plant irregularities of every supervision rule family in the demo cases (county "
            "scale), each recorded with the alert it must raise (sunlit/supervision/anomalies.py).",
        )
        parser.add_argument(
            "--clean",
            action="store_true",
            help="Generate a case history with nothing for supervision to flag (no steps left overdue, "
            "no seal use without a case); with --anomalies, only the planted irregularities.",
        )
        parser.add_argument(
            "--no-cases",
            action="store_true",
            help="Do not generate the demo cases (three months of case history in about 40 villages).",
        )
        parser.add_argument(
            "--cases-per-village",
            type=int,
            default=CASES_PER_VILLAGE,
            help=f"City scale: cases generated in bulk in every village over three years (default "
            f"{CASES_PER_VILLAGE}, about a million in all; 0: none).",
        )
        parser.add_argument("--no-serve", action="store_true", help="Load the data and stop; do not serve.")
        parser.add_argument(
            "--bind", default=DEFAULT_BIND, help=f"Address to serve on (default {DEFAULT_BIND})."
        )
        parser.add_argument("--report-json", help=argparse.SUPPRESS)  # step timings, for `sunlit bench demo`

    def handle(self, *args: Any, **options: Any) -> None:
        scale, seed = options["scale"], options["seed"]
        self.stdout.write(
            self.style.MIGRATE_HEADING(
                _("Sunlit demo (scale %(scale)s, seed %(seed)d)") % {"scale": scale, "seed": seed}
            )
        )
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        self._progress("migrate", _("database schema up to date"), time.perf_counter() - started)
        if options["anomalies"] and scale != "county":
            self.stdout.write(
                self.style.WARNING(_("--anomalies plants irregularities at the county scale only."))
            )

        report = demo_load(
            scale=scale,
            seed=seed,
            progress=self._progress,
            case_villages=0 if options["no_cases"] else SAMPLE_VILLAGES,
            city_cases_per_village=0 if options["no_cases"] else options["cases_per_village"],
            clean=options["clean"],
            anomalies=options["anomalies"],
        )
        for note in report.notes:
            self.stdout.write(self.style.WARNING(f"  {note}"))
        if report.already_loaded:
            self.stdout.write(
                self.style.SUCCESS(_("The demo data set was already loaded; nothing was generated."))
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Generated %(villages)d villages in %(townships)d townships in %(seconds).1f s.")
                    % {"villages": report.villages, "townships": report.townships, "seconds": report.seconds}
                )
            )
        if report.cases is not None:
            self._print_cases(report)
        if report.anomalies is not None:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Planted %(n)d irregularities for supervision (%(injectors)s).")
                    % {
                        "n": report.anomalies.total,
                        "injectors": ", ".join(f"{k} {v}" for k, v in report.anomalies.injected.items()),
                    }
                )
            )
            for name, why in report.anomalies.skipped.items():
                self.stdout.write(self.style.WARNING(f"  {name}: {why}"))
        if report.city is not None:
            city = report.city
            for note in city.notes:
                self.stdout.write(self.style.WARNING(f"  {note}"))
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "City history: %(cases)d cases in %(villages)d villages since %(since)s "
                        "(%(completed)d completed, %(active)d in progress), %(steps)d steps, %(votes)d votes, "
                        "%(notices)d notices, %(events)d ledger events in %(seconds).0f s."
                    )
                    % {
                        "cases": city.cases,
                        "villages": city.villages,
                        "since": timezone.localtime(city.first).strftime("%Y-%m-%d") if city.first else "",
                        "completed": city.by_status.get("completed", 0),
                        "active": city.by_status.get("active", 0),
                        "steps": city.steps,
                        "votes": city.votes,
                        "notices": city.notices,
                        "events": city.events,
                        "seconds": city.seconds,
                    }
                )
            )
        if options["report_json"]:
            Path(options["report_json"]).write_text(json.dumps(self._summary(report, scale, seed)))
        self._print_logins(report, options["bind"])
        if not options["no_serve"]:
            call_command("serve", bind=options["bind"])

    def _print_cases(self, report: DemoReport) -> None:
        cases = report.cases
        assert cases is not None
        status = cases.by_status
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Cases: %(cases)d in %(villages)d villages since %(since)s: %(completed)d completed, "
                    "%(active)d in progress (%(overdue)d steps overdue, %(notices)d with a notice open now), "
                    "%(terminated)d terminated; %(documents)d documents, %(seals)d seal uses "
                    "(%(exceptions)d exceptions)."
                )
                % {
                    "cases": cases.cases,
                    "villages": cases.villages,
                    "since": timezone.localtime(cases.first).strftime("%Y-%m-%d") if cases.first else "",
                    "completed": status.get("completed", 0),
                    "active": status.get("active", 0),
                    "overdue": cases.overdue,
                    "notices": cases.notices_open,
                    "terminated": status.get("terminated", 0),
                    "documents": cases.documents,
                    "seals": cases.seal_uses,
                    "exceptions": cases.seal_exceptions,
                }
            )
        )
        for note in cases.notes:
            self.stdout.write(self.style.WARNING(f"  {note}"))

    def _progress(self, step: str, detail: str, seconds: float) -> None:
        self.stdout.write(f"  {step:<20} {detail:<50} {seconds:7.2f} s")

    def _print_logins(self, report: DemoReport, bind: str) -> None:
        self.stdout.write("")
        self.stdout.write(
            self.style.MIGRATE_HEADING(
                _("Staff logins (the password of every account is %(password)s)")
                % {"password": DEMO_PASSWORD}
            )
        )
        users = {u.username: u for u in User.objects.filter(username__in=[x.username for x in report.logins])}
        now = timezone.now()
        for login in report.logins:
            where = " ".join(r.name for r in region_ancestors(login.region) if r.depth >= COUNTY_DEPTH)
            todo = todo_for_user(users[login.username]) if login.username in users else None
            count = todo.count() if todo is not None else 0
            work = ""
            if count:
                work = _("%(n)d steps to do, %(late)d overdue") % {
                    "n": count,
                    "late": todo.filter(due_at__lt=now).count(),
                }
            self.stdout.write(f"  {login.username:<22} {Role(login.role).label!s:<34} {where:<24} {work}")
        url = base_url(bind)
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(_("Addresses")))
        for label, path in (
            (_("public portal"), "/"),
            (_("staff workbench"), "/staff/"),
            (_("API docs"), "/api/v1/docs"),
        ):
            self.stdout.write(f"  {label:<18} {url}{path}")

    @staticmethod
    def _summary(report: DemoReport, scale: str, seed: int) -> dict:
        return {
            "scale": scale,
            "seed": seed,
            "already_loaded": report.already_loaded,
            "townships": report.townships,
            "villages": report.villages,
            "catalogs": report.catalogs,
            "adoptions": report.adoptions,
            "overrides": report.overrides,
            "cases": report.cases.cases if report.cases is not None else 0,
            "case_ledger_events": report.cases.ledger_events if report.cases is not None else 0,
            "city_cases": report.city.cases if report.city is not None else 0,
            "city_ledger_events": report.city.events if report.city is not None else 0,
            "users_created": report.users_created,
            "seconds": report.seconds,
            "steps": [{"step": s, "detail": d, "seconds": t} for s, d, t in report.steps],
        }
