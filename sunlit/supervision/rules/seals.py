"""Seal rules (印章): stampings without a case behind them."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sunlit.cases.models import SealUse

from ..vocab import RuleFamily, Severity
from .base import UNIT_DAYS, Finding, ParamSpec, Rule, RuleContext, register


@register
class SealWithoutCase(Rule):
    code = "SEAL_WITHOUT_CASE"
    name = gettext_lazy("Seal used without a case")
    family = RuleFamily.SEALS_DISCLOSURE
    severity = Severity.YELLOW
    watches = ("seal.exception",)
    case_scoped = False  # no case to scope by: runs in sweeps (and is cheap)
    params = {
        "window_days": ParamSpec(90, 7, 365, gettext_lazy("Counting window"), UNIT_DAYS),
        "red_threshold": ParamSpec(
            3, 2, 50, gettext_lazy("Red from this many exceptions in a village in the window")
        ),
    }

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        since = ctx.now - datetime.timedelta(days=ctx.int_param("window_days"))
        scope = SealUse.objects.filter(ctx.village_q("village")).filter(is_exception=True)
        per_village = dict(
            scope.filter(used_at__gte=since)
            .values("village_id")
            .annotate(n=Count("pk"))
            .values_list("village_id", "n")
        )
        red = ctx.int_param("red_threshold")
        rows = scope.values_list(
            "pk", "village_id", "seal", "purpose", "exception_reason", "used_at", "recorded_by__username"
        )
        for pk, village_id, seal, purpose, reason, used_at, username in rows:
            yield Finding(
                key=str(pk),
                village_id=village_id,
                subject=f"cases.sealuse:{pk}",
                evidence={
                    "seal": seal,
                    "purpose": purpose,
                    "reason": reason,
                    "used_at": used_at,
                    "recorded_by": username,
                    "in_window": per_village.get(village_id, 0),
                },
                severity=Severity.RED if per_village.get(village_id, 0) >= red else None,
            )

    def title(self, finding: Finding) -> str:
        return _("Seal used without a case: %(purpose)s") % {"purpose": finding.evidence["purpose"][:60]}

    def explain(self, finding: Finding) -> str:
        return _(
            "On %(at)s %(user)s stamped “%(purpose)s” with no case behind it, giving the reason “%(reason)s”. "
            "The village has %(n)d such stampings in the window."
        ) % {
            "at": timezone.localtime(finding.evidence["used_at"]).strftime("%Y-%m-%d"),
            "user": finding.evidence["recorded_by"],
            "purpose": finding.evidence["purpose"],
            "reason": finding.evidence["reason"],
            "n": finding.evidence["in_window"],
        }
