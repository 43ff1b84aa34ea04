"""Time rules (时限): overdue steps, notice periods cut short, objections left unanswered."""

# ruff: noqa: S608 - gate SQL is built from table names and vocabulary literals only (gates.lit)

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sunlit.cases.models import Objection, StepInstance
from sunlit.cases.vocab import ObjectionStatus, StepStatus
from sunlit.core.calendar import is_working_day
from sunlit.powers.vocab import StepKind

from ..vocab import RuleFamily, Severity
from . import gates
from .base import UNIT_DAYS, UNIT_HOURS, UNIT_WORKING_DAYS, Finding, ParamSpec, Rule, RuleContext, register


def working_days_before(moment: datetime.datetime, days: int) -> datetime.datetime:
    """The instant ``days`` working days before ``moment`` (same local time of day)."""
    local = timezone.localtime(moment)
    day = local.date()
    remaining = days
    while remaining > 0:
        day -= datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return local.replace(year=day.year, month=day.month, day=day.day)


@register
class StepOverdue(Rule):
    code = "TIME_STEP_OVERDUE"
    name = gettext_lazy("Step overdue")
    family = RuleFamily.TIME
    severity = Severity.YELLOW
    params = {
        "grace_hours": ParamSpec(0, 0, 240, gettext_lazy("Grace period after the deadline"), UNIT_HOURS),
        "red_after_days": ParamSpec(10, 1, 90, gettext_lazy("Red when overdue by more than"), UNIT_DAYS),
    }

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        cutoff = ctx.now - datetime.timedelta(hours=ctx.int_param("grace_hours"))
        red_cutoff = ctx.now - datetime.timedelta(days=ctx.int_param("red_after_days"))
        rows = (
            StepInstance.objects.filter(ctx.village_q("case__village"), ctx.case_q())
            .filter(status=StepStatus.ACTIVE, due_at__isnull=False, due_at__lte=cutoff)
            .values_list(
                "pk", "case_id", "case__village_id", "case__tracking_no", "step__name", "step__role", "due_at"
            )
        )
        for pk, case_id, village_id, tracking_no, step_name, role, due_at in rows:
            yield Finding(
                key=str(pk),
                village_id=village_id,
                case_id=case_id,
                subject=f"cases.stepinstance:{pk}",
                evidence={"tracking_no": tracking_no, "step": step_name, "role": role, "due_at": due_at},
                severity=Severity.RED if due_at <= red_cutoff else None,
            )

    def title(self, finding: Finding) -> str:
        return _("Overdue: %(step)s of %(case)s") % {
            "step": finding.evidence["step"],
            "case": finding.evidence["tracking_no"],
        }

    def explain(self, finding: Finding) -> str:
        return _("The step “%(step)s” of case %(case)s was due by %(due)s and is still not done.") % {
            "step": finding.evidence["step"],
            "case": finding.evidence["tracking_no"],
            "due": timezone.localtime(finding.evidence["due_at"]).strftime("%Y-%m-%d %H:%M"),
        }


@register
class NoticeCutShort(Rule):
    code = "TIME_NOTICE_CUT_SHORT"
    name = gettext_lazy("Notice period cut short")
    family = RuleFamily.TIME
    severity = Severity.RED
    watches = ("step.completed",)

    def commit_gate(self, vendor: str) -> str:
        from sunlit.powers.models import Step

        return (
            f"EXISTS (SELECT 1 FROM {gates.t(StepInstance)} gs JOIN {gates.t(Step)} st ON st.id = gs.step_id "
            f"WHERE gs.case_id = c.id AND gs.status = {gates.lit(StepStatus.COMPLETED)} "
            f"AND st.kind = {gates.lit(StepKind.PUBLIC_NOTICE)} AND gs.not_before IS NOT NULL "
            f"AND gs.completed_at < gs.not_before)"
        )

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        # A notice step completed (so the next step taken, money paid …) before its period ended.
        rows = (
            StepInstance.objects.filter(ctx.village_q("case__village"), ctx.case_q())
            .filter(
                status=StepStatus.COMPLETED,
                step__kind=StepKind.PUBLIC_NOTICE,
                not_before__isnull=False,
                completed_at__lt=F("not_before"),
            )
            .values_list(
                "pk",
                "case_id",
                "case__village_id",
                "case__tracking_no",
                "step__name",
                "not_before",
                "completed_at",
            )
        )
        for pk, case_id, village_id, tracking_no, step_name, not_before, completed_at in rows:
            yield Finding(
                key=str(pk),
                village_id=village_id,
                case_id=case_id,
                subject=f"cases.stepinstance:{pk}",
                evidence={
                    "tracking_no": tracking_no,
                    "step": step_name,
                    "notice_ends": not_before,
                    "moved_on_at": completed_at,
                    "hours_short": round((not_before - completed_at).total_seconds() / 3600, 1),
                },
            )

    def title(self, finding: Finding) -> str:
        return _("Notice cut short: %(case)s") % {"case": finding.evidence["tracking_no"]}

    def explain(self, finding: Finding) -> str:
        return _(
            "The notice “%(step)s” of case %(case)s had to stay up until %(ends)s, but the case moved on at "
            "%(at)s (%(hours)s hours early)."
        ) % {
            "step": finding.evidence["step"],
            "case": finding.evidence["tracking_no"],
            "ends": timezone.localtime(finding.evidence["notice_ends"]).strftime("%Y-%m-%d %H:%M"),
            "at": timezone.localtime(finding.evidence["moved_on_at"]).strftime("%Y-%m-%d %H:%M"),
            "hours": finding.evidence["hours_short"],
        }


@register
class ObjectionUnanswered(Rule):
    code = "TIME_OBJECTION_UNANSWERED"
    name = gettext_lazy("Objection not answered in time")
    family = RuleFamily.TIME
    severity = Severity.YELLOW
    params = {"reply_days": ParamSpec(10, 5, 20, gettext_lazy("Answer objections within"), UNIT_WORKING_DAYS)}

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        cutoff = working_days_before(ctx.now, ctx.int_param("reply_days"))
        rows = (
            Objection.objects.filter(ctx.village_q("case__village"), ctx.case_q())
            .filter(status=ObjectionStatus.OPEN, lodged_at__lte=cutoff)
            .values_list(
                "pk", "case_id", "case__village_id", "case__tracking_no", "receipt_code", "lodged_at"
            )
        )
        for pk, case_id, village_id, tracking_no, receipt, lodged_at in rows:
            yield Finding(
                key=str(pk),
                village_id=village_id,
                case_id=case_id,
                subject=f"cases.objection:{pk}",
                evidence={"tracking_no": tracking_no, "receipt_code": receipt, "lodged_at": lodged_at},
            )

    def title(self, finding: Finding) -> str:
        return _("Objection unanswered: %(case)s") % {"case": finding.evidence["tracking_no"]}

    def explain(self, finding: Finding) -> str:
        return _(
            "An objection (receipt %(receipt)s) to case %(case)s lodged on %(at)s has not been answered."
        ) % {
            "receipt": finding.evidence["receipt_code"],
            "case": finding.evidence["tracking_no"],
            "at": timezone.localtime(finding.evidence["lodged_at"]).strftime("%Y-%m-%d"),
        }
