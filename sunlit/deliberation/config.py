"""County configuration of deliberation, with the defaults taken from practice (docs/deliberation.md).

A county stores only what it changes (``CountySettings.values``); everything else comes from
:data:`DEFAULTS`. A motion snapshots its stage plan when it is opened, so a later change of the
county's settings never reorders a running motion (as a case pins its flow version).

Defaults (PRACTICE.md): 四议两公开 sequence 提议 → 商议 → 审议 → 决议 → 决议公开 → 实施 → 结果公开 → 评议;
materials to members 3 days ahead; at least 2/3 of members present and more than half of those
entitled agreeing; a villagers' meeting counted on household representatives (2/3 present) and
passing with more than half of those present; plan posted at least 15 days before the vote and
the resolution for 3 days after it (Ninghai's 五议 version); results posted 7 days.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from sunlit.powers.flowcheck import parse_fraction
from sunlit.regions.models import Region, RegionLevel

from .errors import DeliberationErrorCode, DeliberationRefused
from .vocab import BodyKind, Compare, Electorate, StageKey, StageKind, ThresholdBase

_MEMBERS_RULE = {
    "electorate": Electorate.MEMBERS.value,
    "quorum": "2/3",
    "quorum_rule": Compare.GTE.value,
    "threshold": "1/2",
    "threshold_rule": Compare.GT.value,
    "threshold_base": ThresholdBase.EXPECTED.value,
}

# Names are msgids (translated when shown). The nine aspects on which township discipline offices score village discipline team leaders.
DEFAULT_SCORE_ASPECTS = [
    {"key": "political_study", "name": gettext_noop("Political study"), "max": 10},
    {"key": "supervision_of_decisions", "name": gettext_noop("Supervision of major decisions"), "max": 15},
    {
        "key": "village_affairs_disclosure",
        "name": gettext_noop("Supervision of village affairs disclosure"),
        "max": 10,
    },
    {"key": "finance_supervision", "name": gettext_noop("Supervision of collective finances"), "max": 15},
    {"key": "benefit_supervision", "name": gettext_noop("Supervision of benefits and subsidies"), "max": 10},
    {"key": "complaint_handling", "name": gettext_noop("Handling of complaints and leads"), "max": 10},
    {"key": "duty_airing", "name": gettext_noop("Duty airing attendance"), "max": 10},
    {"key": "integrity_education", "name": gettext_noop("Integrity education"), "max": 10},
    {"key": "own_conduct", "name": gettext_noop("Own conduct and discipline"), "max": 10},
]

DEFAULTS: dict[str, Any] = {
    "suggestion_stage": False,  # 五议: a 建议 stage collecting suggestions first
    "verification_stage": False,  # 五议: 核议 by the supervision committee before the review
    "allow_merge": True,  # 一肩挑: proposal and consultation may be merged
    "stage_bodies": {
        StageKey.PROPOSE.value: BodyKind.BRANCH_COMMITTEE.value,
        StageKey.CONSULT.value: BodyKind.TWO_COMMITTEES.value,
        StageKey.VERIFY.value: BodyKind.SUPERVISION_COMMITTEE.value,
        StageKey.REVIEW.value: BodyKind.PARTY_MEMBERS.value,
        StageKey.RESOLVE.value: BodyKind.VILLAGER_REPRESENTATIVES.value,
    },
    "meeting_notice_days": 3,  # notice and materials this many days before a meeting
    "plan_notice_days": 15,  # the plan is posted at least this many days before the resolution vote
    "resolution_notice_days": 3,  # the resolution stays posted this many days before implementation
    "result_notice_days": 7,  # the implementation result stays posted this many days
    "body_rules": {
        BodyKind.BRANCH_COMMITTEE.value: dict(_MEMBERS_RULE),
        BodyKind.TWO_COMMITTEES.value: dict(_MEMBERS_RULE),
        BodyKind.PARTY_MEMBERS.value: dict(_MEMBERS_RULE),
        BodyKind.VILLAGER_REPRESENTATIVES.value: dict(_MEMBERS_RULE),
        BodyKind.SUPERVISION_COMMITTEE.value: dict(_MEMBERS_RULE),
        BodyKind.FINANCE_GROUP.value: dict(_MEMBERS_RULE),
        BodyKind.VILLAGERS_MEETING.value: {
            "electorate": Electorate.HOUSEHOLDS.value,
            "quorum": "2/3",
            "quorum_rule": Compare.GTE.value,
            "threshold": "1/2",
            "threshold_rule": Compare.GT.value,
            "threshold_base": ThresholdBase.PRESENT.value,
        },
    },
    # Vote steps of cases whose body is listed here can only be satisfied by a passed resolution of that
    # body for that case (sunlit/cases/hooks.py). Opt-in, so counties can switch over when ready.
    "resolution_required_bodies": [],
    "duty_reminder_day": 20,  # from this day of the month, branches without a session are reminded
    "score_aspects": DEFAULT_SCORE_ASPECTS,
}

MEETING_STAGES = (StageKey.PROPOSE, StageKey.CONSULT, StageKey.VERIFY, StageKey.REVIEW, StageKey.RESOLVE)


@dataclass(frozen=True)
class BodyRule:
    electorate: str
    quorum: Fraction
    quorum_rule: str
    threshold: Fraction
    threshold_rule: str
    threshold_base: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BodyRule:
        return cls(
            electorate=data["electorate"],
            quorum=parse_fraction(data["quorum"]) or Fraction(0),
            quorum_rule=data["quorum_rule"],
            threshold=parse_fraction(data["threshold"]) or Fraction(1, 2),
            threshold_rule=data["threshold_rule"],
            threshold_base=data["threshold_base"],
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "electorate": self.electorate,
            "quorum": f"{self.quorum.numerator}/{self.quorum.denominator}",
            "quorum_rule": self.quorum_rule,
            "threshold": f"{self.threshold.numerator}/{self.threshold.denominator}",
            "threshold_rule": self.threshold_rule,
            "threshold_base": self.threshold_base,
        }


def county_of(region: Region) -> Region | None:
    if region.level == RegionLevel.COUNTY:
        return region
    codes = region.ancestor_codes()
    return Region.objects.filter(code__in=codes, level=RegionLevel.COUNTY).first()


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def effective(region: Region) -> dict[str, Any]:
    """The settings in force for ``region`` (a village or its county): the county's values over DEFAULTS."""
    from .models import CountySettings

    county = county_of(region)
    stored = (
        CountySettings.objects.filter(county=county).values_list("values", flat=True).first()
        if county
        else None
    )
    return _merge(DEFAULTS, stored or {})


def body_rule(settings: dict[str, Any], kind: str) -> BodyRule:
    return BodyRule.from_dict(settings["body_rules"][kind])


def stage_plan(settings: dict[str, Any]) -> list[dict[str, str]]:
    """The ordered stages a new motion runs: ``[{"key", "kind", "body"}]``."""
    bodies = settings["stage_bodies"]
    keys: list[str] = []
    if settings["suggestion_stage"]:
        keys.append(StageKey.SUGGEST)
    keys += [StageKey.PROPOSE, StageKey.CONSULT]
    if settings["verification_stage"]:
        keys.append(StageKey.VERIFY)
    keys += [
        StageKey.REVIEW,
        StageKey.RESOLVE,
        StageKey.PUBLISH_RESOLUTION,
        StageKey.IMPLEMENT,
        StageKey.PUBLISH_RESULT,
        StageKey.EVALUATE,
    ]
    plan = []
    for key in keys:
        if key == StageKey.SUGGEST:
            kind, body = StageKind.SUGGESTIONS, ""
        elif key in MEETING_STAGES or (key == StageKey.EVALUATE and bodies.get(key)):
            kind, body = StageKind.MEETING, bodies[key]
        elif key in (StageKey.PUBLISH_RESOLUTION, StageKey.PUBLISH_RESULT):
            kind, body = StageKind.PUBLICATION, ""
        else:
            kind, body = StageKind.TASK, ""
        plan.append({"key": str(key), "kind": str(kind), "body": str(body)})
    return plan


def _refuse(field: str, message: str) -> DeliberationRefused:
    return DeliberationRefused(
        _("The settings are not valid."),
        code=DeliberationErrorCode.SETTINGS_INVALID,
        fields={field: [message]},
    )


def validate(values: dict[str, Any]) -> dict[str, Any]:
    """Check a county's overrides; return the merged settings or raise with the field at fault."""
    if not isinstance(values, dict):
        raise _refuse("values", _("Settings must be an object."))
    unknown = sorted(set(values) - set(DEFAULTS))
    if unknown:
        raise _refuse(unknown[0], _("Unknown setting “%(key)s”.") % {"key": unknown[0]})
    merged = _merge(DEFAULTS, values)
    for key in ("suggestion_stage", "verification_stage", "allow_merge"):
        if not isinstance(merged[key], bool):
            raise _refuse(key, _("Must be true or false."))
    for key in ("meeting_notice_days", "plan_notice_days", "resolution_notice_days", "result_notice_days"):
        value = merged[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 90:
            raise _refuse(key, _("Must be a whole number of days from 0 to 90."))
    day = merged["duty_reminder_day"]
    if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 28:
        raise _refuse("duty_reminder_day", _("Must be a day of the month from 1 to 28."))
    for stage, body in merged["stage_bodies"].items():
        if stage not in StageKey.values or (body and body not in BodyKind.values):
            raise _refuse("stage_bodies", _("Unknown stage or body “%(key)s”.") % {"key": f"{stage}:{body}"})
    for kind, rule in merged["body_rules"].items():
        if kind not in BodyKind.values or not isinstance(rule, dict):
            raise _refuse("body_rules", _("Unknown body “%(key)s”.") % {"key": kind})
        if rule.get("electorate") not in Electorate.values:
            raise _refuse("body_rules", _("Unknown electorate for “%(key)s”.") % {"key": kind})
        for frac in ("quorum", "threshold"):
            if parse_fraction(rule.get(frac)) is None:
                raise _refuse(
                    "body_rules", _("“%(key)s” needs a fraction like 2/3.") % {"key": f"{kind}.{frac}"}
                )
        for cmp in ("quorum_rule", "threshold_rule"):
            if rule.get(cmp) not in Compare.values:
                raise _refuse("body_rules", _("“%(key)s” must be gt or gte.") % {"key": f"{kind}.{cmp}"})
        if rule.get("threshold_base") not in ThresholdBase.values:
            raise _refuse("body_rules", _("“%(key)s” must be expected or present.") % {"key": kind})
    bodies = merged["resolution_required_bodies"]
    if not isinstance(bodies, list) or any(b not in BodyKind.values for b in bodies):
        raise _refuse("resolution_required_bodies", _("List known bodies only."))
    aspects = merged["score_aspects"]
    if (
        not isinstance(aspects, list)
        or not aspects
        or len({a.get("key") for a in aspects if isinstance(a, dict)}) != len(aspects)
        or any(
            not isinstance(a.get("max"), int) or isinstance(a.get("max"), bool) or a["max"] <= 0
            for a in aspects
        )
    ):
        raise _refuse("score_aspects", _("Each aspect needs a unique key, a name and a positive maximum."))
    return merged
