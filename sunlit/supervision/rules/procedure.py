"""Procedure rules (程序): skipped or out-of-order steps, missing documents, objections ignored,
votes that could not pass, out-of-role attempts."""

# ruff: noqa: S608 - gate SQL is built from table names and vocabulary literals only (gates.lit)

from __future__ import annotations

import datetime
from collections.abc import Iterable
from fractions import Fraction

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sunlit.cases.models import CaseDocument, Objection, RefusedAttempt, StepInstance, VoteRecord
from sunlit.cases.vocab import ObjectionStatus, RefusalKind, StepStatus
from sunlit.powers.flowcheck import parse_fraction
from sunlit.powers.models import FlowVersion, Step, Transition
from sunlit.powers.vocab import CompareRule, StepKind, VoteBase

from ..vocab import RuleFamily, Severity
from . import gates
from .base import UNIT_DAYS, Finding, ParamSpec, Rule, RuleContext, register, rows_for_ids

SI, STEP = gates.t(StepInstance), gates.t(Step)


@register
class StepSequence(Rule):
    code = "PROC_STEP_SEQUENCE"
    name = gettext_lazy("Step skipped or taken out of order")
    family = RuleFamily.PROCEDURE
    severity = Severity.RED
    watches = ("step.completed", "case.started")

    def commit_gate(self, vendor: str) -> str:
        # A first step that is not the flow's start, or a later step with no allowed transition from the
        # step before it (none before it at all included).
        return (
            f"EXISTS (SELECT 1 FROM {SI} gs WHERE gs.case_id = c.id AND ("
            # (Scalar look-ups by primary key: a NOT EXISTS here inside the OR was planned on PostgreSQL
            # as a hash of every step in the catalog. Both keys are NOT NULL columns.)
            f"(gs.sequence = 1 AND (SELECT st.key FROM {STEP} st WHERE st.id = gs.step_id) <> "
            f"(SELECT gf.start_key FROM {gates.t(FlowVersion)} gf WHERE gf.id = c.flow_id)) OR "
            f"(gs.sequence > 1 AND NOT EXISTS (SELECT 1 FROM {SI} gv JOIN {gates.t(Transition)} gt "
            f"ON gt.source_id = gv.step_id WHERE gv.case_id = c.id AND gv.sequence = gs.sequence - 1 "
            f"AND gt.target_id = gs.step_id))))"
        )

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        from django.db import connection

        scope = StepInstance.objects.filter(ctx.village_q("case__village"), ctx.case_q())
        # Flat joins, so that the planner can hash them: each later instance in scope with the instance
        # at the sequence just before it in its case ((case, sequence) is unique), and the flow's
        # transition from that one's step to this one's. A row with no such transition is out of order,
        # also when nothing is at the sequence just before (a gap). (A correlated probe of the instance
        # before each one, with a nested probe of the transitions, cost ~2.5 µs per instance on
        # PostgreSQL, 18.5 s at 7.4M instances; these hash joins are about 3× faster.)
        later = scope.filter(sequence__gt=1).order_by().values("id", "case_id", "step_id", "sequence")
        scope_sql, params = later.query.sql_with_params()
        sql = (
            f"SELECT cur.id, prev.step_id FROM ({scope_sql}) cur LEFT JOIN {SI} prev ON "
            f"prev.case_id = cur.case_id AND prev.sequence = cur.sequence - 1 LEFT JOIN "
            f"{gates.t(Transition)} gt ON gt.source_id = prev.step_id AND gt.target_id = cur.step_id "
            f"WHERE gt.id IS NULL"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            jumps = dict(cursor.fetchall())  # instance id -> the step just before it (None: a gap)
        rows = rows_for_ids(
            StepInstance.objects.all(),
            jumps,
            "pk",
            "case_id",
            "case__village_id",
            "case__tracking_no",
            "step__key",
        )
        keys = dict(Step.objects.filter(pk__in={s for s in jumps.values() if s}).values_list("pk", "key"))
        for pk, case_id, village_id, tracking_no, key in rows:
            yield Finding(
                key=str(pk),
                village_id=village_id,
                case_id=case_id,
                subject=f"cases.stepinstance:{pk}",
                evidence={"tracking_no": tracking_no, "from": keys.get(jumps[pk], ""), "to": key},
            )
        wrong_start = (
            scope.filter(sequence=1)
            .exclude(step__key=F("case__flow__start_key"))
            .values_list("pk", "case_id", "case__village_id", "case__tracking_no", "step__key")
        )
        for pk, case_id, village_id, tracking_no, key in wrong_start:
            yield Finding(
                key=str(pk),
                village_id=village_id,
                case_id=case_id,
                subject=f"cases.stepinstance:{pk}",
                evidence={"tracking_no": tracking_no, "from": "", "to": key},
            )

    def title(self, finding: Finding) -> str:
        return _("Step out of order: %(case)s") % {"case": finding.evidence["tracking_no"]}

    def explain(self, finding: Finding) -> str:
        if not finding.evidence["from"]:
            return _("Case %(case)s started at step “%(to)s”, which is not where its flow starts.") % {
                "case": finding.evidence["tracking_no"],
                "to": finding.evidence["to"],
            }
        return _("Case %(case)s went from step “%(from)s” to “%(to)s”, which its flow does not allow.") % {
            "case": finding.evidence["tracking_no"],
            "from": finding.evidence["from"],
            "to": finding.evidence["to"],
        }


@register
class DocumentsMissing(Rule):
    code = "PROC_DOCUMENTS_MISSING"
    name = gettext_lazy("Step completed without its required documents")
    family = RuleFamily.PROCEDURE
    severity = Severity.YELLOW
    watches = ("step.completed",)

    @staticmethod
    def _missing(vendor: str, instance: str, step: str) -> str:
        """SQL: the step instance ``instance`` (an id expression) of step ``step`` (its step_id
        expression) lacks one of the step's required documents: a name in the step's JSON list that no
        upload of that instance carries (the on-commit gate: a few indexed probes for one case)."""
        return (
            f"EXISTS (SELECT 1 FROM {STEP} st CROSS JOIN {gates.json_elements(vendor, 'st.documents', 'gr')} "
            f"WHERE st.id = {step} AND NOT EXISTS "
            f"(SELECT 1 FROM {gates.t(CaseDocument)} gd WHERE gd.step_instance_id = {instance} "
            f"AND gd.name = gr.value))"
        )

    def commit_gate(self, vendor: str) -> str:
        # Exactly the rule, for the completed steps of one case.
        return (
            f"EXISTS (SELECT 1 FROM {SI} gs WHERE gs.case_id = c.id AND gs.status = "
            f"{gates.lit(StepStatus.COMPLETED)} AND {self._missing(vendor, 'gs.id', 'gs.step_id')})"
        )

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        from django.db import connection

        # One set-based query, flat so that the planner can make it an anti-join: the completed step
        # instances in scope, joined with their step's required names (the JSON list expanded in
        # SQL), less those names that an upload of the instance carries. (Written as a correlated
        # EXISTS around a NOT EXISTS, PostgreSQL could only probe the uploads once per instance, or
        # hash all of them in memory.) The few instances found are then read with their details.
        scope = (
            StepInstance.objects.filter(ctx.village_q("case__village"), ctx.case_q())
            .filter(status=StepStatus.COMPLETED)
            .exclude(step__documents=[])
            .order_by()
            .values("id", "step_id")
        )
        scope_sql, params = scope.query.sql_with_params()
        vendor = connection.vendor
        sql = (
            f"SELECT DISTINCT s.id FROM ({scope_sql}) s JOIN {STEP} st ON st.id = s.step_id "
            f"CROSS JOIN {gates.json_elements(vendor, 'st.documents', 'gr')} WHERE NOT EXISTS "
            f"(SELECT 1 FROM {gates.t(CaseDocument)} gd WHERE gd.step_instance_id = s.id AND gd.name = gr.value)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            short_ids = [pk for (pk,) in cursor.fetchall()]
        rows = rows_for_ids(
            StepInstance.objects.all(),
            short_ids,
            "pk",
            "case_id",
            "case__village_id",
            "case__tracking_no",
            "step__name",
            "step__documents",
        )
        uploaded: dict[int, set[str]] = {}
        for start in range(0, len(rows), 2000):
            chunk = [r[0] for r in rows[start : start + 2000]]
            for instance_id, name in CaseDocument.objects.filter(step_instance_id__in=chunk).values_list(
                "step_instance_id", "name"
            ):
                uploaded.setdefault(instance_id, set()).add(name)
        for pk, case_id, village_id, tracking_no, step_name, names in rows:
            required = sorted(set(names))
            yield Finding(
                key=str(pk),
                village_id=village_id,
                case_id=case_id,
                subject=f"cases.stepinstance:{pk}",
                evidence={
                    "tracking_no": tracking_no,
                    "step": step_name,
                    "required": required,
                    "uploaded": len(uploaded.get(pk, set()) & set(required)),
                },
            )

    def title(self, finding: Finding) -> str:
        return _("Documents missing: %(case)s") % {"case": finding.evidence["tracking_no"]}

    def explain(self, finding: Finding) -> str:
        return _(
            "The step “%(step)s” of case %(case)s was completed with %(have)d of %(need)d required documents."
        ) % {
            "step": finding.evidence["step"],
            "case": finding.evidence["tracking_no"],
            "have": finding.evidence["uploaded"],
            "need": len(finding.evidence["required"]),
        }


@register
class ObjectionIgnored(Rule):
    code = "PROC_OBJECTION_IGNORED"
    name = gettext_lazy("Case moved on while an objection was open")
    family = RuleFamily.PROCEDURE
    severity = Severity.RED
    watches = ("step.completed", "case.terminated", "objection.lodged")

    def commit_gate(self, vendor: str) -> str:
        return (
            f"EXISTS (SELECT 1 FROM {gates.t(Objection)} go WHERE go.case_id = c.id "
            f"AND go.status = {gates.lit(ObjectionStatus.OPEN)})"
        )

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        rows = (
            Objection.objects.filter(ctx.village_q("case__village"), ctx.case_q())
            .filter(status=ObjectionStatus.OPEN)
            .exclude(case__current_id=F("notice__step_instance_id"))
            .values_list("pk", "case_id", "case__village_id", "case__tracking_no", "receipt_code")
        )
        for pk, case_id, village_id, tracking_no, receipt in rows:
            yield Finding(
                key=str(pk),
                village_id=village_id,
                case_id=case_id,
                subject=f"cases.objection:{pk}",
                evidence={"tracking_no": tracking_no, "receipt_code": receipt},
            )

    def title(self, finding: Finding) -> str:
        return _("Objection ignored: %(case)s") % {"case": finding.evidence["tracking_no"]}

    def explain(self, finding: Finding) -> str:
        return _("Case %(case)s left its notice step while objection %(receipt)s was still unanswered.") % {
            "case": finding.evidence["tracking_no"],
            "receipt": finding.evidence["receipt_code"],
        }


@register
class VoteRules(Rule):
    code = "PROC_VOTE_RULES"
    name = gettext_lazy("Vote step passed without a valid vote")
    family = RuleFamily.PROCEDURE
    severity = Severity.RED
    watches = ("step.completed", "vote.recorded")

    def commit_gate(self, vendor: str) -> str:
        # A completed vote step without a tally, or a tally recorded as quorate or passed that its step's
        # rule does not let through (the same integer arithmetic as _cmp; a fraction parse_fraction would
        # not read makes the gate pass, and the rule decides with its defaults).
        vote = gates.t(VoteRecord)
        yes = gates.true(vendor)
        q_valid, qn, qd = gates.fraction_parts(vendor, "st.quorum")
        t_valid, tn, td = gates.fraction_parts(vendor, "st.threshold")
        base = f"(CASE WHEN st.threshold_base = {gates.lit(VoteBase.EXPECTED)} THEN gv.expected ELSE gv.present END)"
        q_ok = gates.compare("st.quorum_rule", f"gv.present * {qd}", f"gv.expected * {qn}", default_gt=False)
        t_ok = gates.compare("st.threshold_rule", f"gv.votes_for * {td}", f"{base} * {tn}", default_gt=True)
        return (
            f"(EXISTS (SELECT 1 FROM {SI} gs JOIN {STEP} st ON st.id = gs.step_id WHERE gs.case_id = c.id "
            f"AND gs.status = {gates.lit(StepStatus.COMPLETED)} AND st.kind = {gates.lit(StepKind.VOTE)} "
            f"AND NOT EXISTS (SELECT 1 FROM {vote} gv WHERE gv.step_instance_id = gs.id)) OR "
            f"EXISTS (SELECT 1 FROM {vote} gv JOIN {SI} gs ON gs.id = gv.step_instance_id "
            f"JOIN {STEP} st ON st.id = gs.step_id WHERE gv.case_id = c.id "
            f"AND (gv.quorum_met = {yes} OR gv.passed = {yes}) AND (NOT {q_valid} OR NOT {t_valid} "
            f"OR (gv.quorum_met = {yes} AND NOT {q_ok}) OR (gv.passed = {yes} AND NOT ({q_ok} AND {t_ok})))))"
        )

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        scope = StepInstance.objects.filter(ctx.village_q("case__village"), ctx.case_q())
        # 1. A vote step completed with no tally at all.
        no_vote = (
            scope.filter(status=StepStatus.COMPLETED, step__kind=StepKind.VOTE)
            .annotate(has_vote=Exists(VoteRecord.objects.filter(step_instance=OuterRef("pk"))))
            .filter(has_vote=False)
            .values_list("pk", "case_id", "case__village_id", "case__tracking_no", "step__name")
        )
        for pk, case_id, village_id, tracking_no, step_name in no_vote:
            yield Finding(
                key=f"novote:{pk}",
                village_id=village_id,
                case_id=case_id,
                subject=f"cases.stepinstance:{pk}",
                evidence={"tracking_no": tracking_no, "step": step_name, "problem": "no_vote"},
            )
        # 2. A tally recorded as passed (or quorate) that the step's rule does not let pass.
        records = VoteRecord.objects.filter(ctx.village_q("case__village"), ctx.case_q())
        rules = Step.objects.filter(pk__in=records.values("step_instance__step")).values_list(
            "pk", "quorum", "quorum_rule", "threshold", "threshold_rule", "threshold_base"
        )
        # One query per distinct vote rule (not per step): templates share a handful of rules.
        by_rule: dict[tuple[str, str, str, str, str], list[int]] = {}
        for step_id, *rule in rules:
            by_rule.setdefault(tuple(rule), []).append(step_id)
        for (quorum, quorum_rule, threshold, threshold_rule, base), step_ids in by_rule.items():
            q_frac = parse_fraction(quorum) or Fraction(0)
            t_frac = parse_fraction(threshold) or Fraction(1, 2)
            base_col = "expected" if base == VoteBase.EXPECTED else "present"
            q_ok = self._cmp("present", "expected", q_frac, quorum_rule or CompareRule.GTE)
            t_ok = self._cmp("votes_for", base_col, t_frac, threshold_rule or CompareRule.GT)
            bad = (
                records.filter(step_instance__step_id__in=step_ids)
                .filter((Q(quorum_met=True) & ~q_ok) | (Q(passed=True) & ~(q_ok & t_ok)))
                .values_list(
                    "pk",
                    "case_id",
                    "case__village_id",
                    "case__tracking_no",
                    "votes_for",
                    "present",
                    "expected",
                )
            )
            for pk, case_id, village_id, tracking_no, yes, present, expected in bad:
                yield Finding(
                    key=f"tally:{pk}",
                    village_id=village_id,
                    case_id=case_id,
                    subject=f"cases.voterecord:{pk}",
                    evidence={
                        "tracking_no": tracking_no,
                        "problem": "tally",
                        "for": yes,
                        "present": present,
                        "expected": expected,
                        "quorum": f"{quorum_rule} {quorum}",
                        "threshold": f"{threshold_rule} {threshold} of {base}",
                    },
                )

    @staticmethod
    def _cmp(count: str, base: str, fraction: Fraction, rule: str) -> Q:
        """``count / base`` meets ``fraction`` (integer arithmetic on the two columns)."""
        from django.db.models import ExpressionWrapper, IntegerField
        from django.db.models.lookups import GreaterThan, GreaterThanOrEqual

        lhs = ExpressionWrapper(F(count) * fraction.denominator, output_field=IntegerField())
        rhs = ExpressionWrapper(F(base) * fraction.numerator, output_field=IntegerField())
        lookup = GreaterThan if rule == CompareRule.GT else GreaterThanOrEqual
        return Q(lookup(lhs, rhs))

    def title(self, finding: Finding) -> str:
        return _("Invalid vote: %(case)s") % {"case": finding.evidence["tracking_no"]}

    def explain(self, finding: Finding) -> str:
        if finding.evidence["problem"] == "no_vote":
            return _(
                "The vote step “%(step)s” of case %(case)s was completed without any recorded tally."
            ) % {
                "step": finding.evidence["step"],
                "case": finding.evidence["tracking_no"],
            }
        return _(
            "Case %(case)s records a vote as valid with %(yes)d for, %(present)d present of %(expected)d, "
            "but the rule requires quorum %(quorum)s and %(threshold)s."
        ) % {
            "case": finding.evidence["tracking_no"],
            "yes": finding.evidence["for"],
            "present": finding.evidence["present"],
            "expected": finding.evidence["expected"],
            "quorum": finding.evidence["quorum"],
            "threshold": finding.evidence["threshold"],
        }


@register
class OutOfRole(Rule):
    code = "PROC_OUT_OF_ROLE"
    name = gettext_lazy("Step attempted without its role (越权)")
    family = RuleFamily.PROCEDURE
    severity = Severity.BLUE
    watches = ("refused.out_of_role",)
    case_scoped = True
    params = {
        "window_days": ParamSpec(30, 1, 365, gettext_lazy("Counting window"), UNIT_DAYS),
        "repeat_threshold": ParamSpec(3, 2, 50, gettext_lazy("Yellow from this many attempts in the window")),
    }

    def commit_gate(self, vendor: str) -> str:
        return (
            f"EXISTS (SELECT 1 FROM {gates.t(RefusedAttempt)} ga WHERE ga.case_id = c.id "
            f"AND ga.kind = {gates.lit(RefusalKind.OUT_OF_ROLE)})"
        )

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        since = ctx.now - datetime.timedelta(days=ctx.int_param("window_days"))
        attempts = RefusedAttempt.objects.filter(ctx.village_q("village"), ctx.case_q()).filter(
            kind=RefusalKind.OUT_OF_ROLE, actor__isnull=False, village__isnull=False
        )
        per_actor = dict(
            attempts.filter(at__gte=since)
            .values("actor_id")
            .annotate(n=Count("pk"))
            .values_list("actor_id", "n")
        )
        rows = (
            attempts.values("actor_id", "case_id", "village_id")
            .annotate(n=Count("pk"))
            .values_list("actor_id", "case_id", "village_id", "n", "actor__username", "case__tracking_no")
        )
        threshold = ctx.int_param("repeat_threshold")
        for actor_id, case_id, village_id, n, username, tracking_no in rows:
            yield Finding(
                key=f"{actor_id}:{case_id}",
                village_id=village_id,
                case_id=case_id,
                subject=f"accounts.user:{actor_id}",
                evidence={
                    "user": username,
                    "tracking_no": tracking_no,
                    "attempts": n,
                    "recent": per_actor.get(actor_id, 0),
                },
                severity=Severity.YELLOW if per_actor.get(actor_id, 0) >= threshold else None,
            )

    def title(self, finding: Finding) -> str:
        return _("Out-of-role attempt by %(user)s") % {"user": finding.evidence["user"]}

    def explain(self, finding: Finding) -> str:
        return _(
            "%(user)s tried %(n)d time(s) to complete a step of case %(case)s without holding its role."
        ) % {
            "user": finding.evidence["user"],
            "n": finding.evidence["attempts"],
            "case": finding.evidence["tracking_no"] or "—",
        }
