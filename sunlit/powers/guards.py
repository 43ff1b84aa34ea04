"""Transition guards in CEL: compile, type-check against declared variables, evaluate.

The CEL implementation we use evaluates dynamically, so "type-checking" here is done in two
parts: static (the expression parses and references only declared variables and ``params``)
and dynamic (the expression is evaluated against a spread of sample values of each declared
type, every evaluation must succeed and yield a bool). CEL never coerces types, so a guard that
compares a number with text, or adds an int to a double, fails on the first sample. Python's
``eval`` is never used.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import cel
from django.utils.translation import gettext as _

MAX_GUARD_LENGTH = 500

# Sample values per declared type. Several per type so short-circuit operators are explored.
SAMPLES: dict[str, list[Any]] = {
    "int": [0, 1, 100_000_000],
    "double": [0.0, 1.5, 1.0e8],
    "string": ["", "x"],
    "bool": [False, True],
    "list": [[], ["x"]],
}
PARAM_TYPES = {"int": "int", "days": "int", "decimal": "double"}
MAX_SAMPLE_RUNS = 256


@dataclass(frozen=True)
class GuardProblem:
    code: str
    message: str


@lru_cache(maxsize=2048)
def _compile(expression: str) -> cel.Program:
    return cel.compile(expression)


def param_value(kind: str, value: Decimal | int | float) -> Any:
    return float(value) if PARAM_TYPES.get(kind) == "double" else int(value)


def check_guard(expression: str, variables: dict[str, str], params: dict[str, str]) -> GuardProblem | None:
    """Return the first problem with ``expression``, or None when it is a sound boolean guard.

    ``variables`` maps declared case-variable names to their types (int/double/string/bool/list);
    ``params`` maps parameter keys to their kinds (int/decimal/days), reachable as ``params.key``.
    """
    if len(expression) > MAX_GUARD_LENGTH:
        return GuardProblem(
            "guard_too_long", _("The condition is longer than %(n)d characters.") % {"n": MAX_GUARD_LENGTH}
        )
    try:
        program = _compile(expression)
    except (ValueError, RuntimeError) as exc:
        first = str(exc).splitlines()[0]
        return GuardProblem("guard_syntax", _("The condition does not parse: %(err)s") % {"err": first})
    referenced = set(program.variables())
    bound = _comprehension_names(expression)
    unknown = sorted(referenced - set(variables) - {"params"} - bound)
    if unknown:
        return GuardProblem(
            "guard_unknown_variable",
            _("The condition uses %(names)s, which the item does not declare.")
            % {"names": ", ".join(unknown)},
        )
    for key in _param_keys(expression):
        if key not in params:
            return GuardProblem(
                "guard_unknown_parameter",
                _("The condition uses params.%(key)s, which the item does not declare.") % {"key": key},
            )
    used = sorted(referenced & set(variables))
    param_sample = {k: param_value(kind, 1) for k, kind in params.items()}
    pools = [SAMPLES[variables[name]] for name in used]
    for count, combo in enumerate(itertools.product(*pools)):
        if count >= MAX_SAMPLE_RUNS:
            break
        context = dict(zip(used, combo, strict=True))
        context["params"] = param_sample
        try:
            result = program.execute(context)
        except Exception as exc:
            return GuardProblem(
                "guard_type",
                _("The condition does not type-check: %(err)s") % {"err": str(exc).split(".")[0]},
            )
        if not isinstance(result, bool):
            return GuardProblem(
                "guard_not_boolean",
                _("The condition must be true or false, not “%(value)s”.") % {"value": result},
            )
    return None


def evaluate_guard(expression: str, variables: dict[str, Any], params: dict[str, Any]) -> bool:
    """Evaluate a (validated) guard against case values. Raises ValueError on failure."""
    context = dict(variables)
    context["params"] = params
    try:
        result = _compile(expression).execute(context)
    except Exception as exc:
        raise ValueError(str(exc)) from exc
    if not isinstance(result, bool):
        raise ValueError(f"guard returned {result!r}")
    return result


def _param_keys(expression: str) -> set[str]:
    import re

    return set(re.findall(r"\bparams\.([A-Za-z_][A-Za-z0-9_]*)", expression))


def _comprehension_names(expression: str) -> set[str]:
    import re

    return set(
        re.findall(r"\.(?:all|exists|exists_one|map|filter)\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,", expression)
    )
