"""The flow engine's rules, free of database writes: deadlines, vote arithmetic, typed inputs, routing.

services.py calls these inside its transactions; keeping them pure makes every boundary (the exact
deadline, two-thirds exactly and one short, a guard's inputs) testable without fixtures.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import cel
from django.conf import settings
from django.utils.translation import gettext as _

from sunlit.core.calendar import add_working_days
from sunlit.powers.flowcheck import parse_fraction
from sunlit.powers.guards import evaluate_guard, param_value
from sunlit.powers.vocab import CompareRule, StepKind, VoteBase

from .errors import CaseErrorCode, CaseRefused

MAX_TEXT_INPUT = 500
MAX_LIST_ITEMS = 100


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def end_of_working_day(start: datetime.datetime, days: int) -> datetime.datetime:
    """The last instant of the ``days``-th working day after ``start``'s local date.

    "Within N working days" of an entry on day D ends at 24:00 of the Nth working day after D (D
    itself never counts). The instant returned is the first moment *after* the period, so
    ``now < result`` means "still within".
    """
    tz = local_tz()
    day = add_working_days(start.astimezone(tz).date(), days)
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)


def param_int(parameters: dict[str, Any], key: str) -> int | None:
    if not key:
        return None
    raw = parameters.get(key)
    if raw is None:
        return None
    return int(Decimal(str(raw)))


def step_days(number: int | None, param: str, parameters: dict[str, Any]) -> int | None:
    """A step's working-day figure: the fixed number or the case's pinned parameter value."""
    if param:
        return param_int(parameters, param)
    return number


# --- votes -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    expected: int
    present: int
    votes_for: int
    votes_against: int
    abstentions: int


@dataclass(frozen=True)
class VoteOutcome:
    quorum_met: bool
    passed: bool
    quorum_needed: str
    threshold_needed: str


def _meets(value: Fraction, target: Fraction, rule: str) -> bool:
    return value > target if rule == CompareRule.GT else value >= target


def check_tally(tally: Tally) -> None:
    problems: list[str] = []
    for name in ("expected", "present", "votes_for", "votes_against", "abstentions"):
        value = getattr(tally, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(_("%(field)s must be a whole number of zero or more.") % {"field": name})
    if problems:
        raise CaseRefused(
            _("The vote tally is not valid."), code=CaseErrorCode.VOTE_INVALID, fields={"vote": problems}
        )
    if tally.expected == 0:
        problems.append(_("The number entitled to vote must be more than zero."))
    if tally.present > tally.expected:
        problems.append(_("More people are present than are entitled to vote."))
    if tally.votes_for + tally.votes_against + tally.abstentions > tally.present:
        problems.append(_("More votes are counted than people present."))
    if problems:
        raise CaseRefused(
            _("The vote tally is not valid."), code=CaseErrorCode.VOTE_INVALID, fields={"vote": problems}
        )


def vote_outcome(step: Any, tally: Tally) -> VoteOutcome:
    """Apply a vote step's rule to a tally with exact fractions (two-thirds means 2/3, not 0.67)."""
    check_tally(tally)
    quorum = parse_fraction(step.quorum) or Fraction(0)
    threshold = parse_fraction(step.threshold) or Fraction(1, 2)
    quorum_met = _meets(Fraction(tally.present, tally.expected), quorum, step.quorum_rule or CompareRule.GTE)
    base = tally.expected if step.threshold_base == VoteBase.EXPECTED else tally.present
    passed = (
        quorum_met
        and base > 0
        and _meets(Fraction(tally.votes_for, base), threshold, step.threshold_rule or CompareRule.GT)
    )
    return VoteOutcome(
        quorum_met=quorum_met,
        passed=passed,
        quorum_needed=_rule_text(step.quorum_rule or CompareRule.GTE, step.quorum or "0"),
        threshold_needed=_rule_text(step.threshold_rule or CompareRule.GT, step.threshold or "1/2"),
    )


def _rule_text(rule: str, fraction: str) -> str:
    if rule == CompareRule.GT:
        return _("more than %(f)s") % {"f": fraction}
    return _("at least %(f)s") % {"f": fraction}


# --- inputs ----------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def guard_variables(expression: str) -> frozenset[str]:
    """Names a guard reads (excluding ``params``)."""
    try:
        return frozenset(cel.compile(expression).variables()) - {"params"}
    except (ValueError, RuntimeError):
        return frozenset()


def declared_types(item_variables: list[dict[str, Any]]) -> dict[str, str]:
    return {v["name"]: v["type"] for v in item_variables if v.get("name") and v.get("type")}


def _guard_booleans(outgoing: list[Any], types: dict[str, str]) -> set[str]:
    names: set[str] = set()
    for transition in outgoing:
        if transition.guard:
            names |= {n for n in guard_variables(transition.guard) if types.get(n) == "bool"}
    return names


def vote_owned_variables(step: Any, outgoing: list[Any], types: dict[str, str]) -> set[str]:
    """At a vote step, the yes/no variables its outgoing conditions read are the vote's result.

    They are set by the engine from the tally; nobody may type them in, so a vote that misses its
    quorum or threshold cannot be recorded as passed, whatever the user enters.
    """
    return _guard_booleans(outgoing, types) if step.kind == StepKind.VOTE else set()


def notice_owned_variables(step: Any, outgoing: list[Any], types: dict[str, str]) -> set[str]:
    """At a public-notice step, the yes/no variables its outgoing conditions read mean "an objection
    was upheld"; the engine sets them from the notice's answered objections."""
    return _guard_booleans(outgoing, types) if step.kind == StepKind.PUBLIC_NOTICE else set()


def routing_inputs(outgoing: list[Any], types: dict[str, str], owned: set[str]) -> list[str]:
    """Declared variables the step's outgoing conditions read, in declaration order, minus vote-owned."""
    needed: set[str] = set()
    for transition in outgoing:
        if transition.guard:
            needed |= set(guard_variables(transition.guard))
    return [name for name in types if name in needed and name not in owned]


def coerce_inputs(raw: dict[str, Any], types: dict[str, str], *, forbidden: set[str]) -> dict[str, Any]:
    """Typed values for declared variables; every problem is reported per field."""
    values: dict[str, Any] = {}
    fields: dict[str, list[str]] = {}
    for name, value in raw.items():
        if name not in types:
            fields.setdefault(name, []).append(_("This item does not declare a variable with this name."))
            continue
        if name in forbidden:
            fields.setdefault(name, []).append(
                _("This value comes from the vote tally and cannot be entered.")
            )
            continue
        try:
            values[name] = coerce_value(value, types[name])
        except ValueError as exc:
            fields.setdefault(name, []).append(str(exc))
    if fields:
        raise CaseRefused(_("Some values are not valid."), code=CaseErrorCode.INPUT_INVALID, fields=fields)
    return values


def coerce_value(value: Any, kind: str) -> Any:
    """Convert form or JSON input to the CEL type of a declared variable (ValueError with a message)."""
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"true", "1", "yes", "on", "是"}:
            return True
        if text in {"false", "0", "no", "off", "否"}:
            return False
        raise ValueError(_("Enter yes or no."))
    if kind == "int":
        if isinstance(value, bool):
            raise ValueError(_("Enter a whole number."))
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(_("Enter a whole number.")) from None
        if number != number.to_integral_value() or abs(number) > 10**15:
            raise ValueError(_("Enter a whole number."))
        return int(number)
    if kind == "double":
        if isinstance(value, bool):
            raise ValueError(_("Enter a number."))
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(_("Enter a number.")) from None
        if not number.is_finite() or abs(number) > 10**15:
            raise ValueError(_("Enter a number."))
        return float(number)
    if kind == "string":
        text = str(value).strip()
        if len(text) > MAX_TEXT_INPUT:
            raise ValueError(_("Enter at most %(n)d characters.") % {"n": MAX_TEXT_INPUT})
        return text
    if kind == "list":
        items = value if isinstance(value, list) else list(str(value).split(","))
        items = [str(i).strip() for i in items if str(i).strip()]
        if len(items) > MAX_LIST_ITEMS:
            raise ValueError(_("Enter at most %(n)d entries.") % {"n": MAX_LIST_ITEMS})
        return items
    raise ValueError(_("Unknown variable type."))


# --- routing ---------------------------------------------------------------------------------------------


@dataclass
class Route:
    target: Any  # powers.Step
    evaluations: list[dict[str, Any]] = field(default_factory=list)


def guard_params(parameters: dict[str, Any], kinds: dict[str, str]) -> dict[str, Any]:
    return {
        key: param_value(kinds.get(key, "decimal"), Decimal(str(value))) for key, value in parameters.items()
    }


def choose_route(outgoing: list[Any], variables: dict[str, Any], params: dict[str, Any]) -> Route:
    """Pick the next step: guarded transitions by priority (first true wins), else the default.

    Every evaluated condition is returned with the values it read, for the record.
    """
    if not outgoing:
        raise CaseRefused(_("This step has no way out."), code=CaseErrorCode.NO_ROUTE)
    guarded = sorted((t for t in outgoing if t.guard), key=lambda t: (t.priority, t.position))
    evaluations: list[dict[str, Any]] = []
    for transition in guarded:
        names = sorted(guard_variables(transition.guard))
        missing = [n for n in names if n not in variables]
        if missing:
            raise CaseRefused(
                _("Enter %(names)s first: the next step depends on it.") % {"names": ", ".join(missing)},
                code=CaseErrorCode.INPUT_MISSING,
                fields={n: [_("Required to decide the next step.")] for n in missing},
            )
        try:
            result = evaluate_guard(transition.guard, variables, params)
        except ValueError as exc:
            raise CaseRefused(
                _("The condition %(guard)s could not be evaluated: %(err)s")
                % {"guard": transition.guard, "err": exc},
                code=CaseErrorCode.GUARD_FAILED,
            ) from None
        evaluations.append(
            {
                "guard": transition.guard,
                "target": transition.target.key,
                "inputs": {n: variables[n] for n in names},
                "result": result,
            }
        )
        if result:
            return Route(transition.target, evaluations)
    defaults = [t for t in outgoing if not t.guard]
    if defaults:
        chosen = next((t for t in defaults if t.is_default), defaults[0])
        evaluations.append({"guard": "", "target": chosen.target.key, "inputs": {}, "result": True})
        return Route(chosen.target, evaluations)
    raise CaseRefused(_("No condition leading out of this step holds."), code=CaseErrorCode.NO_ROUTE)
