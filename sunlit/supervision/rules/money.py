"""Money rules (资金): contracts split to stay under a tier (化整为零), and contracts with a counterparty
related to a village cadre.

Spending over a limit without a collective decision needs the finance app's payments; it is not here.

Contract splitting. The tier thresholds are the item's own parameters ``tier1_amount``,
``tier2_amount``, ``tier3_amount`` as snapshotted on each case when it started; the flows branch on
``amount >= tier``. Cases of the same works or procurement item in one village, each **below** a
tier, that share a counterparty (same credit code, or the same name) or a purpose (the same title)
and started within ``window_days`` of each other, are flagged when their sum **reaches** the tier
(sum >= tier, as the flow's guard would have routed one case of that sum: exactly at the threshold is
a hit, one yuan short is not). The finding is the case that brought the running sum in the window to
the tier, so each split group raises one alert, however many cases follow it.
"""

# ruff: noqa: S608 - gate SQL is built from table names and vocabulary literals only (gates.lit)

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sunlit.cases.models import Case, CaseParty
from sunlit.cases.vocab import PartyRole
from sunlit.core.masking import mask_name
from sunlit.people.models import BusinessRecord, Person
from sunlit.powers.vocab import ItemCategory

from ..vocab import RuleFamily, Severity
from . import gates
from .base import UNIT_DAYS, Finding, ParamSpec, Rule, RuleContext, register
from .conflict import LINK_ORDER, LIVE_CASES, SELF, any_link, cadre_link_annotations, first_link, user_labels

TIERS = ("tier1_amount", "tier2_amount", "tier3_amount")
MONEY = DecimalField(max_digits=16, decimal_places=2)
CENT = Decimal("0.01")


def _tier(key: str, prefix: str = "") -> Cast:
    return Cast(KeyTextTransform(key, f"{prefix}parameters"), MONEY)


def _works(ctx: RuleContext | None = None) -> QuerySet[Case]:
    qs = Case.objects.filter(
        status__in=LIVE_CASES, item__category=ItemCategory.WORKS_PROCUREMENT, amount__isnull=False
    )
    if ctx is not None:
        qs = qs.filter(ctx.village_q("village"))
        if ctx.case_ids is not None:
            qs = qs.filter(pk__in=ctx.case_ids)
    return qs


@register
class ContractSplitting(Rule):
    code = "MONEY_CONTRACT_SPLIT"
    name = gettext_lazy("Contract split to stay under a tier (化整为零)")
    family = RuleFamily.MONEY
    severity = Severity.RED
    risk_points = ("PA03-R1", "PA04-R1")
    watches = ("case.started", "step.completed")
    params = {"window_days": ParamSpec(90, 7, 366, gettext_lazy("Cases started within"), UNIT_DAYS)}

    BASES = ("credit_code", "counterparty", "purpose")
    sweep_prefilter = True  # nine passes over every works case otherwise

    def commit_gate(self, vendor: str) -> str:
        # For some tier: the case is below it, and it plus every live works case of the same village
        # and item code started in the largest window allowed before it (or at the same instant), sharing
        # its title or a counterparty (credit code or name), add up to the tier. Looser than the rule
        # (all bases and all such peers at once, whatever their own tier), so never stricter.
        from sunlit.powers.models import PowerItem

        days = int(self.params["window_days"].maximum)
        item, case, party = gates.t(PowerItem), gates.t(Case), gates.t(CaseParty)
        cp = gates.lit(PartyRole.COUNTERPARTY)
        peers = (
            f"(SELECT COALESCE(SUM(c2.amount), 0) FROM {case} c2 JOIN {item} i2 ON i2.id = c2.item_id "
            f"WHERE c2.village_id = c.village_id AND c2.id <> c.id AND i2.code = "
            f"(SELECT i1.code FROM {item} i1 WHERE i1.id = c.item_id) "
            f"AND c2.status IN {gates.lits(LIVE_CASES)} AND c2.amount IS NOT NULL "
            f"AND c2.started_at >= {gates.minus_days(vendor, 'c.started_at', days)} "
            f"AND c2.started_at <= c.started_at "
            f"AND (c2.title = c.title OR EXISTS (SELECT 1 FROM {party} q1 JOIN {party} q2 "
            f"ON (q2.name = q1.name OR (q1.credit_code <> '' AND q2.credit_code = q1.credit_code)) "
            f"WHERE q1.case_id = c.id AND q1.role = {cp} AND q2.case_id = c2.id AND q2.role = {cp})))"
        )
        # The smallest tier above the case's amount (if any) is reached: one sum, whatever the tiers.
        above = [
            f"CASE WHEN c.amount < {gates.json_number(vendor, 'c.parameters', tier)} THEN "
            f"{gates.json_number(vendor, 'c.parameters', tier)} END"
            for tier in TIERS
        ]
        if vendor == "postgresql":
            next_tier = f"LEAST({', '.join(above)})"
        else:
            next_tier = "NULLIF(min(" + ", ".join(f"COALESCE({a}, 1e300)" for a in above) + "), 1e300)"
        return (
            f"({gates.live_case()} AND c.amount IS NOT NULL AND "
            f"{gates.case_in_categories([ItemCategory.WORKS_PROCUREMENT])} AND {next_tier} IS NOT NULL "
            f"AND c.amount + {peers} >= {next_tier})"
        )

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        window = datetime.timedelta(days=ctx.int_param("window_days"))
        found: dict[int, dict[str, Any]] = {}
        for tier in TIERS:
            for basis in self.BASES:
                for row in self._crossings(ctx, tier, basis, window):
                    known = found.get(row["case_id"])
                    if known is None or row["limit"] > known["limit"]:
                        found[row["case_id"]] = row | {"tier": tier, "basis": basis}
        for case_id, row in sorted(found.items()):
            yield Finding(
                key=str(case_id),
                village_id=row["village_id"],
                case_id=case_id,
                subject=f"cases.case:{case_id}",
                evidence={
                    "tracking_no": row["tracking_no"],
                    "item": row["item_code"],
                    "tier": row["tier"],
                    "limit": row["limit"],
                    "total": row["total"],
                    "cases": row["n"],
                    "basis": row["basis"],
                    "shared": row["shared"],
                    "window_days": ctx.int_param("window_days"),
                },
            )

    def _crossings(self, ctx: RuleContext, tier: str, basis: str, window: datetime.timedelta) -> list[dict]:
        """Anchors where the running sum (in start order, within the window) first reaches ``tier``."""
        if basis == "purpose":
            anchors: QuerySet[Any] = _works(ctx)
            ref = ""  # the anchor is a Case
            peers = _works().filter(title=OuterRef("title"))
        else:
            anchors = CaseParty.objects.filter(role=PartyRole.COUNTERPARTY, case__in=_works(ctx))
            if basis == "credit_code":
                anchors = anchors.exclude(credit_code="")
            ref = "case__"
            field = "credit_code" if basis == "credit_code" else "name"
            peers = _works().filter(
                Exists(
                    CaseParty.objects.filter(
                        case_id=OuterRef("pk"),
                        role=PartyRole.COUNTERPARTY,
                        **{field: OuterRef(OuterRef(field))},
                    )
                )
            )
        started, pk = OuterRef(f"{ref}started_at"), OuterRef(f"{ref}pk" if ref else "pk")
        peers = (
            peers.filter(
                village_id=OuterRef(f"{ref}village_id"),
                item__code=OuterRef(f"{ref}item__code"),
                started_at__gte=started - window,
            )
            .annotate(limit=_tier(tier))
            .filter(amount__lt=F("limit"))
        )
        upto = peers.filter(Q(started_at__lt=started) | Q(started_at=started, pk__lte=pk))
        before = peers.filter(Q(started_at__lt=started) | Q(started_at=started, pk__lt=pk))

        def total(qs: QuerySet[Case]) -> Subquery:
            return Subquery(
                qs.order_by().values("village_id").annotate(s=Sum("amount")).values("s")[:1],
                output_field=MONEY,
            )

        def count(qs: QuerySet[Case]) -> Subquery:
            return Subquery(
                qs.order_by().values("village_id").annotate(c=Count("pk", distinct=True)).values("c")[:1],
                output_field=IntegerField(),
            )

        shared = "title" if basis == "purpose" else field
        rows = (
            anchors.annotate(
                anchor_limit=_tier(tier, ref),
                running=total(upto),
                prior=Coalesce(total(before), Decimal("0"), output_field=MONEY),
                n=count(upto),
            )
            .filter(**{f"{ref}amount__lt": F("anchor_limit")})
            .filter(running__gte=F("anchor_limit"), prior__lt=F("anchor_limit"))
            .values(
                f"{ref}pk" if ref else "pk",
                f"{ref}village_id",
                f"{ref}tracking_no",
                f"{ref}item__code",
                "anchor_limit",
                "running",
                "n",
                shared,
            )
        )
        out = []
        for row in rows:
            value = row[shared]
            if basis == "counterparty":
                value = mask_name(value)  # may be a natural person; a credit code is public
            out.append(
                {
                    "case_id": row[f"{ref}pk" if ref else "pk"],
                    "village_id": row[f"{ref}village_id"],
                    "tracking_no": row[f"{ref}tracking_no"],
                    "item_code": row[f"{ref}item__code"],
                    "limit": Decimal(row["anchor_limit"]).quantize(CENT),
                    "total": Decimal(row["running"]).quantize(CENT),
                    "n": row["n"],
                    "shared": value,
                }
            )
        return out

    def title(self, finding: Finding) -> str:
        return _("Possible contract splitting: %(case)s") % {"case": finding.evidence["tracking_no"]}

    def explain(self, finding: Finding) -> str:
        e = finding.evidence
        basis = {
            "credit_code": _("the same counterparty (credit code %(v)s)"),
            "counterparty": _("the same counterparty (%(v)s)"),
            "purpose": _("the same purpose (“%(v)s”)"),
        }[e["basis"]] % {"v": e["shared"]}
        return _(
            "Case %(case)s and %(others)d other case(s) of item %(item)s in %(days)d days with %(basis)s are "
            "each below the threshold %(tier)s of ¥%(limit)s but add up to ¥%(total)s, which would have "
            "taken another path."
        ) % {
            "case": e["tracking_no"],
            "others": int(e["cases"]) - 1,
            "item": e["item"],
            "days": e["window_days"],
            "basis": basis,
            "tier": e["tier"],
            "limit": e["limit"],
            "total": e["total"],
        }


@register
class CounterpartyRelated(Rule):
    code = "MONEY_COUNTERPARTY_CADRE"
    name = gettext_lazy("Contract with a village cadre, a relative, or a business of theirs")
    family = RuleFamily.MONEY
    severity = Severity.RED
    risk_points = ("PA03-R2", "PA04-R2")
    watches = ("case.started",)

    def commit_gate(self, vendor: str) -> str:
        party, business = gates.t(CaseParty), gates.t(BusinessRecord)
        return (
            f"({gates.live_case()} AND EXISTS (SELECT 1 FROM {party} gp WHERE gp.case_id = c.id "
            f"AND gp.role = {gates.lit(PartyRole.COUNTERPARTY)} AND ("
            f"(gp.person_id IS NOT NULL AND EXISTS (SELECT 1 FROM {gates.t(Person)} pe WHERE pe.id = gp.person_id "
            f"AND {gates.person_linked('pe.id', 'pe.id_hash')})) OR "
            f"(gp.credit_code <> '' AND EXISTS (SELECT 1 FROM {business} gb WHERE gb.credit_code = gp.credit_code "
            f"AND {gates.hash_linked('gb.id_hash')})))))"
        )

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        owner = BusinessRecord.objects.filter(
            batch__superseded_at__isnull=True, credit_code=OuterRef("credit_code")
        ).exclude(credit_code="")
        person_hash = Person.objects.filter(pk=OuterRef("person_id")).values("id_hash")[:1]
        rows = list(
            CaseParty.objects.filter(ctx.village_q("case__village"), ctx.case_q())
            .filter(role=PartyRole.COUNTERPARTY, case__status__in=LIVE_CASES)
            .annotate(
                p_hash=Subquery(person_hash),
                b_hash=Subquery(owner.order_by("pk").values("id_hash")[:1]),
                b_name=Subquery(owner.order_by("pk").values("business_name")[:1]),
            )
            .annotate(**cadre_link_annotations("p_hash", "p_"), **cadre_link_annotations("b_hash", "b_"))
            .filter(any_link("p_") | any_link("b_"))
            .values(
                "pk",
                "case_id",
                "case__village_id",
                "case__tracking_no",
                "name",
                "credit_code",
                "b_name",
                *(f"p_{n}" for n in LINK_ORDER),
                *(f"b_{n}" for n in LINK_ORDER),
            )
        )
        links = [
            (first_link(r, "p_"), "person") if first_link(r, "p_") else (first_link(r, "b_"), "business")
            for r in rows
        ]
        labels = user_labels(int(link[0]) for link, _via in links)
        for row, (link, via) in zip(rows, links, strict=True):
            yield Finding(
                key=str(row["pk"]),
                village_id=row["case__village_id"],
                case_id=row["case_id"],
                subject=f"cases.caseparty:{row['pk']}",
                evidence={
                    "tracking_no": row["case__tracking_no"],
                    "counterparty": row["name"] if row["credit_code"] else mask_name(row["name"]),
                    "credit_code": row["credit_code"],
                    "via": via,
                    "cadre": labels.get(int(link[0]), ""),
                    "relation": link[1],
                    "source": link[2],
                },
            )

    def title(self, finding: Finding) -> str:
        return _("Counterparty related to a cadre: %(case)s") % {"case": finding.evidence["tracking_no"]}

    def explain(self, finding: Finding) -> str:
        from .conflict import relation_label

        e = finding.evidence
        who = (
            _("the cadre %(cadre)s") % {"cadre": e["cadre"]}
            if e["relation"] == SELF
            else _("%(relation)s of the cadre %(cadre)s")
            % {"relation": relation_label(e["relation"]), "cadre": e["cadre"]}
        )
        if e["via"] == "business":
            return _("The counterparty of case %(case)s, %(party)s (%(code)s), is run by %(who)s.") % {
                "case": e["tracking_no"],
                "party": e["counterparty"],
                "code": e["credit_code"],
                "who": who,
            }
        return _("The counterparty of case %(case)s, %(party)s, is %(who)s.") % {
            "case": e["tracking_no"],
            "party": e["counterparty"],
            "who": who,
        }
