"""``sunlit bench <name>``: run a benchmark from ``benchmarks/`` and print a table of timings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError

from benchmarks import BENCHMARKS, BenchmarkError, benchmark, format_table
from sunlit.core.demo import DEFAULT_SEED, SCALES
from sunlit.core.management.base import SunlitCommand


class Command(SunlitCommand):
    help = (
        "Run a benchmark and print median and best times over several runs. catalog: parse, "
        "validate, import, publish and export the standard catalog and read the catalog in force "
        "for many villages, in a transaction that is rolled back (the database is migrated first). "
        "demo: generate the demo data set in a child process on a throw-away database. "
        "complaints: topic analysis of 48,000 synthetic complaint messages (no database). See "
        "docs/benchmarks.md; never run against production data."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", choices=sorted(BENCHMARKS), help="The benchmark to run.")
        parser.add_argument("--repeat", type=int, help="Runs (default: catalog 5, demo 3, complaints 3).")
        parser.add_argument(
            "--villages", type=int, default=300, help="catalog: villages to read (default 300)."
        )
        parser.add_argument(
            "--source", type=Path, help="catalog: a catalog file instead of the standard one."
        )
        parser.add_argument(
            "--scale",
            choices=SCALES,
            default=None,
            help="demo, supervise, portal: the scale (default county; portal: city).",
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="demo: the seed.")
        parser.add_argument(
            "--sizes",
            default="",
            help="supervise: data sizes to measure, comma-separated (cases per village at city scale, "
            "default 1,2,4; case villages at county scale, default 10,20,40).",
        )
        parser.add_argument(
            "--disclosures", type=int, help="portal: disclosures to generate (default 384,000 at city scale)."
        )
        parser.add_argument("--requests", type=int, help="portal: requests per load phase (default 3,000).")
        parser.add_argument("--concurrency", type=int, help="portal: concurrent connections (default 8).")
        parser.add_argument(
            "--database-url",
            default="",
            help="demo: run against this (empty, throw-away) database instead of a temporary SQLite file.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        module = benchmark(options["name"])
        repeat = options["repeat"] or module.DEFAULT_REPEAT
        if repeat < 1:
            raise CommandError("--repeat must be at least 1.")
        if options["name"] == "catalog":
            call_command("migrate", interactive=False, verbosity=0)
        try:
            timings = module.run(
                repeat=repeat,
                out=self.stdout.write,
                villages=options["villages"],
                source=options["source"],
                scale=options["scale"] or getattr(module, "DEFAULT_SCALE", "county"),
                seed=options["seed"],
                database_url=options["database_url"],
                sizes=options["sizes"],
                disclosures=options["disclosures"],
                requests=options["requests"],
                concurrency=options["concurrency"],
            )
        except BenchmarkError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write("")
        self.stdout.write(format_table(timings))
