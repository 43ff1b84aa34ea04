"""Quorum and threshold with exact fractions: two-thirds means 2/3, never 0.67.

A vote that misses the quorum or the threshold cannot pass, whatever anyone enters: ``passed`` is
only ever computed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from django.utils.translation import gettext as _

from .config import BodyRule
from .vocab import Compare, ThresholdBase


@dataclass(frozen=True)
class Outcome:
    quorum_met: bool
    passed: bool
    quorum_needed: str
    threshold_needed: str


def meets(value: Fraction, target: Fraction, rule: str) -> bool:
    return value > target if rule == Compare.GT else value >= target


def rule_text(rule: str, fraction: Fraction) -> str:
    frac = f"{fraction.numerator}/{fraction.denominator}"
    if rule == Compare.GT:
        return _("more than %(f)s") % {"f": frac}
    return _("at least %(f)s") % {"f": frac}


def outcome(rule: BodyRule, *, expected: int, present: int, votes_for: int) -> Outcome:
    """Apply ``rule`` to a meeting. ``expected`` > 0 and ``present`` <= ``expected`` are checked by callers."""
    quorum_met = expected > 0 and meets(Fraction(present, expected), rule.quorum, rule.quorum_rule)
    base = expected if rule.threshold_base == ThresholdBase.EXPECTED else present
    passed = quorum_met and base > 0 and meets(Fraction(votes_for, base), rule.threshold, rule.threshold_rule)
    return Outcome(
        quorum_met=quorum_met,
        passed=passed,
        quorum_needed=rule_text(rule.quorum_rule, rule.quorum),
        threshold_needed=rule_text(rule.threshold_rule, rule.threshold),
    )
