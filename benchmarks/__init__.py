"""Benchmarks behind ``sunlit bench <name>`` (docs/benchmarks.md).

Timing goals live here, not in the test suite. Each benchmark module has ``DEFAULT_REPEAT`` and
``run(*, repeat, out, **options) -> list[Timing]``; BENCHMARKS names them.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import import_module
from types import ModuleType

BENCHMARKS: dict[str, str] = {
    "cases": "benchmarks.cases",
    "catalog": "benchmarks.catalog",
    "complaints": "benchmarks.complaints",
    "demo": "benchmarks.demo",
    "ledger": "benchmarks.ledger",
    "portal": "benchmarks.portal",
    "supervise": "benchmarks.supervise",
}

Out = Callable[[str], None]


class BenchmarkError(Exception):
    """A benchmark could not run; the message says why."""


@dataclass
class Timing:
    name: str
    samples: list[float] = field(default_factory=list)  # seconds, one per repetition
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def best(self) -> float:
        return min(self.samples)


class Timer:
    """Collects samples by name, in first-seen order."""

    def __init__(self) -> None:
        self.timings: dict[str, Timing] = {}

    @contextmanager
    def __call__(self, name: str, note: str = "") -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.add(name, time.perf_counter() - started, note)

    def add(self, name: str, seconds: float, note: str = "") -> None:
        timing = self.timings.setdefault(name, Timing(name))
        timing.samples.append(seconds)
        timing.note = note or timing.note

    def results(self) -> list[Timing]:
        return list(self.timings.values())


def benchmark(name: str) -> ModuleType:
    return import_module(BENCHMARKS[name])


def format_table(timings: list[Timing]) -> str:
    width = max([len(t.name) for t in timings] + [4])
    lines = [f"{'step':<{width}}  {'median':>9}  {'min':>9}  {'runs':>4}  note"]
    lines.append("-" * len(lines[0]))
    for t in timings:
        lines.append(
            f"{t.name:<{width}}  {_seconds(t.median):>9}  {_seconds(t.best):>9}  {len(t.samples):>4}  {t.note}"
        )
    return "\n".join(lines)


def _seconds(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
