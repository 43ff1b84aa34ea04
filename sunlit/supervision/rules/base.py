"""The rule framework: one class per rule, registered by code, with parameters as data per region.

A rule's ``detect`` is a set-based query over the whole scope it is given (never a Python loop over
cases): it returns Findings, each with a key stable across runs, so the engine can upsert alerts
idempotently. Parameters have bounds; county staff set values per region (RuleSetting) within them.

Rules iterate their querysets plainly, never with ``.iterator()``: on PostgreSQL that opens a
server-side ``WITH HOLD`` cursor, which cannot use a parallel plan (a sweep query ran 3× slower on two
cores); what a rule reads back is its findings, which fit in memory.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django.db.models import Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

UNIT_DAYS = gettext_lazy("days")
UNIT_HOURS = gettext_lazy("hours")
UNIT_WORKING_DAYS = gettext_lazy("working days")


@dataclass(frozen=True)
class ParamSpec:
    default: Decimal | int
    minimum: Decimal | int
    maximum: Decimal | int
    label: Promise | str
    unit: Promise | str = ""

    def clean(self, value: Any) -> Decimal:
        number = Decimal(str(value))
        if not number.is_finite() or number < Decimal(self.minimum) or number > Decimal(self.maximum):
            raise ValueError(f"{value} is outside [{self.minimum}, {self.maximum}]")
        return number


@dataclass(frozen=True)
class Finding:
    key: str  # stable for the same anomaly across runs (unique within the rule)
    village_id: int
    subject: str  # "app.model:pk"
    evidence: dict[str, Any]
    case_id: int | None = None
    severity: str | None = None  # overrides the rule's severity for this finding


@dataclass
class RuleContext:
    """What a rule run may look at: villages (a Q on a region field prefix), optional case ids, now."""

    now: datetime.datetime
    params: dict[str, Decimal]
    region_paths: list[str] | None = None  # None = everywhere
    case_ids: list[int] | None = None  # on-commit checks restrict to these cases
    exclude_paths: list[str] = field(default_factory=list)  # subtrees with settings of their own
    extra: dict[str, Any] = field(default_factory=dict)

    def village_q(self, prefix: str) -> Q:
        """Restrict ``<prefix>`` (a FK to a village Region) to the run's regions."""
        q = Q()
        if self.region_paths is not None:
            q = Q(pk__in=[])
            for path in self.region_paths:
                q |= Q(**{f"{prefix}__path__startswith": path})
        for path in self.exclude_paths:
            q &= ~Q(**{f"{prefix}__path__startswith": path})
        return q

    def case_q(self, prefix: str = "case") -> Q:
        if self.case_ids is None:
            return Q()
        return Q(**{f"{prefix}_id__in": self.case_ids})

    def param(self, name: str) -> Decimal:
        return self.params[name]

    def int_param(self, name: str) -> int:
        return int(self.params[name])


def rows_for_ids(queryset: QuerySet[Any], ids: Iterable[int], *fields: str, chunk: int = 2000) -> list[Any]:
    """``queryset.values_list(*fields)`` for the rows whose primary key is in ``ids``, in key order,
    read ``chunk`` keys at a time: how a rule whose set-based query returns bare ids (raw SQL the
    planner can flatten) reads the details of the few rows it found."""
    keys = sorted(ids)
    rows: list[Any] = []
    for start in range(0, len(keys), chunk):
        rows += list(queryset.filter(pk__in=keys[start : start + chunk]).order_by("pk").values_list(*fields))
    return rows


class Rule:
    code: ClassVar[str]
    name: ClassVar[Promise | str]
    family: ClassVar[str]
    severity: ClassVar[str]
    risk_points: ClassVar[tuple[str, ...]] = ()  # catalog risk codes the rule covers (e.g. "VS01-R1")
    params: ClassVar[dict[str, ParamSpec]] = {}
    # Ledger event kinds after which the rule re-checks the cases involved (on commit).
    watches: ClassVar[tuple[str, ...]] = ()
    # Whether detect() honours RuleContext.case_ids (case-scoped rules can run on commit).
    case_scoped: ClassVar[bool] = True
    # Sweeps first select the cases passing commit_gate (one scan) and run detect() on those only:
    # for rules whose gate is far cheaper than their detection over everything (several passes).
    sweep_prefilter: ClassVar[bool] = False

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError

    def commit_gate(self, vendor: str) -> str | None:
        """On-commit pre-check (see rules/gates.py): a SQL boolean over the case row ``c`` that is TRUE
        whenever ``detect`` restricted to that case can find something (a necessary condition), or
        None to always run ``detect``. ``vendor`` is the connection's ("sqlite", "postgresql")."""
        return None

    def title(self, finding: Finding) -> str:
        """A short line for lists; rules override to cite the evidence."""
        return str(self.name)

    def explain(self, finding: Finding) -> str:
        """The explanation shown to staff, citing the evidence."""
        return str(self.name)


REGISTRY: dict[str, Rule] = {}


def register(cls: type[Rule]) -> type[Rule]:
    if cls.code in REGISTRY:
        raise ValueError(f"duplicate rule code {cls.code}")
    REGISTRY[cls.code] = cls()
    return cls


def defaults(rule: Rule) -> dict[str, Decimal]:
    return {name: Decimal(str(spec.default)) for name, spec in rule.params.items()}
