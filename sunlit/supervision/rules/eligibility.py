"""Eligibility cross-checks (大数据比对): benefit parties matched on the keyed ID hash against the
reference datasets (sunlit.people.reference) and against other benefit cases.

The moment a benefit is judged at is the case's *decision date*: the local date of its latest
completed step (the last approval or payment so far), or of its start when nothing is done yet.
Death: a hit when the person died strictly **before** that date (death on the decision day itself is
not flagged: the order within the day is unknown). Vehicles, businesses, payroll and urban benefits:
a hit when the record was in force **on** that date. Only current batches of snapshot datasets count.
Vehicle, business and payroll checks apply to means-tested relief only (category ``relief``): farm
subsidies go to whoever farms the land, car or salary or not.
"""

# ruff: noqa: S608 - gate SQL is built from table names and vocabulary literals only (gates.lit)

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import DateField, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sunlit.cases.models import CaseParty, StepInstance
from sunlit.core.masking import mask_name
from sunlit.people.models import (
    BusinessRecord,
    BusinessStatus,
    DeathRecord,
    PayrollRecord,
    PersonStatus,
    UrbanBenefitKind,
    UrbanBenefitRecord,
    VehicleKind,
    VehicleRecord,
)
from sunlit.powers.vocab import ItemCategory

from ..vocab import RuleFamily, Severity
from . import gates
from .base import UNIT_DAYS, Finding, ParamSpec, Rule, RuleContext, register
from .conflict import BENEFIT_ROLES, LIVE_CASES, _tag, benefit_gate, benefit_parties

MEANS_TESTED = (ItemCategory.RELIEF,)
# Vehicles most 低保 rules disregard: ordinary motorcycles, tricycles, farm and disability vehicles.
COUNTED_VEHICLES = (VehicleKind.CAR, VehicleKind.TRUCK, VehicleKind.OTHER)
# The rural benefit (standard catalog item code) each urban benefit duplicates.
URBAN_EQUIVALENTS = {UrbanBenefitKind.SUBSISTENCE: "VS-01", UrbanBenefitKind.EXTREME_POVERTY: "VS-02"}


def _decided_on() -> TruncDate:
    last_done = Subquery(
        StepInstance.objects.filter(case_id=OuterRef("case_id"), completed_at__isnull=False)
        .order_by("-completed_at")
        .values("completed_at")[:1]
    )
    return TruncDate(Coalesce(last_done, F("case__started_at")), tzinfo=timezone.get_current_timezone())


def _fmt(value: object) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value or "")


def _party_finding(row: dict, **evidence: object) -> Finding:
    return Finding(
        key=f"{row['case_id']}:{row['person_id']}",
        village_id=row["case__village_id"],
        case_id=row["case_id"],
        subject=f"cases.caseparty:{row['pk']}",
        evidence={
            "tracking_no": row["case__tracking_no"],
            "party": mask_name(row["name"]),
            "decided_on": _fmt(row["decided_on"]),
            **evidence,
        },
    )


PARTY_FIELDS = ("pk", "case_id", "case__village_id", "case__tracking_no", "person_id", "name", "decided_on")


def _unique(findings: Iterable[Finding]) -> Iterable[Finding]:
    seen = set()
    for finding in findings:
        if finding.key not in seen:
            seen.add(finding.key)
            yield finding


@register
class DeceasedBeneficiary(Rule):
    code = "ELIG_DECEASED"
    name = gettext_lazy("Benefit approved for a deceased person")
    family = RuleFamily.ELIGIBILITY
    severity = Severity.RED
    risk_points = ("VS01-R5", "VS02-R3", "VS08-R2", "VS09-R1", "VS11-R1", "VS12-R2")
    watches = ("case.started", "step.completed")

    def commit_gate(self, vendor: str) -> str:
        return benefit_gate(
            f"pe.status = {gates.lit(PersonStatus.DECEASED)} OR EXISTS (SELECT 1 FROM "
            f"{gates.t(DeathRecord)} gr WHERE gr.id_hash = pe.id_hash)"
        )

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        recorded = Subquery(
            DeathRecord.objects.filter(id_hash=OuterRef("person__id_hash"))
            .order_by("died_on")
            .values("died_on")[:1],
            output_field=DateField(),
        )
        source = _tag(
            DeathRecord.objects.filter(id_hash=OuterRef("person__id_hash")).order_by("died_on"),
            F("source"),
            Value(""),
        )
        rows = (
            benefit_parties(ctx)
            .annotate(decided_on=_decided_on(), recorded_death=recorded, record_source=source)
            .filter(
                Q(person__status=PersonStatus.DECEASED, person__died_on__lt=F("decided_on"))
                | Q(person__status=PersonStatus.DECEASED, person__died_on__isnull=True)
                | Q(recorded_death__lt=F("decided_on"))
            )
            .values(*PARTY_FIELDS, "person__died_on", "recorded_death", "record_source")
        )

        def findings() -> Iterable[Finding]:
            for row in rows:
                dates = [d for d in (row["person__died_on"], row["recorded_death"]) if d]
                died = min(dates) if dates else None
                by_record = died is not None and died == row["recorded_death"]
                yield _party_finding(
                    row,
                    died_on=_fmt(died),
                    source=(row["record_source"] or "").split("|")[0] if by_record else "registry",
                    by_record=by_record,
                )

        return _unique(findings())

    def title(self, finding: Finding) -> str:
        return _("Deceased beneficiary: %(case)s") % {"case": finding.evidence["tracking_no"]}

    def explain(self, finding: Finding) -> str:
        e = finding.evidence
        if not e["died_on"]:
            return _("%(party)s, who benefits from case %(case)s, is registered as deceased.") % {
                "party": e["party"],
                "case": e["tracking_no"],
            }
        return _(
            "%(party)s, who benefits from case %(case)s, died on %(died)s (%(source)s), before the case was "
            "last acted on (%(decided)s)."
        ) % {
            "party": e["party"],
            "case": e["tracking_no"],
            "died": e["died_on"],
            "source": e["source"] if e["by_record"] else _("person registry"),
            "decided": e["decided_on"],
        }


class _RecordRule(Rule):
    """A means-tested benefit to someone with a matching record in force on the decision date."""

    family = RuleFamily.ELIGIBILITY
    severity = Severity.YELLOW
    risk_points = ("VS01-R2", "VS02-R1")
    watches = ("case.started", "step.completed")

    def records(self) -> Q:  # pragma: no cover - abstract
        raise NotImplementedError

    def evidence_tag(self, qs):  # pragma: no cover - abstract
        raise NotImplementedError

    model: type

    def commit_gate(self, vendor: str) -> str:
        return benefit_gate(
            f"EXISTS (SELECT 1 FROM {gates.t(self.model)} gr WHERE gr.id_hash = pe.id_hash)", MEANS_TESTED
        )

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        matching = self.model.objects.filter(
            self.records(), batch__superseded_at__isnull=True, id_hash=OuterRef("person__id_hash")
        )
        rows = (
            benefit_parties(ctx, MEANS_TESTED)
            .annotate(decided_on=_decided_on())
            .annotate(record=self.evidence_tag(matching))
            .filter(record__isnull=False)
            .values(*PARTY_FIELDS, "record")
        )
        return _unique(_party_finding(row, record=row["record"].split("|")) for row in rows)


@register
class VehicleOwner(_RecordRule):
    code = "ELIG_VEHICLE"
    name = gettext_lazy("Means-tested benefit to a vehicle owner")
    model = VehicleRecord

    def records(self) -> Q:
        return Q(vehicle_kind__in=COUNTED_VEHICLES, registered_on__lte=OuterRef("decided_on"))

    def evidence_tag(self, qs):
        return _tag(qs, F("plate_masked"), F("vehicle_kind"), F("registered_on"))

    def title(self, finding: Finding) -> str:
        return _("Beneficiary owns a vehicle: %(case)s") % {"case": finding.evidence["tracking_no"]}

    def explain(self, finding: Finding) -> str:
        plate, kind, since = finding.evidence["record"][:3]
        return _(
            "%(party)s, who benefits from case %(case)s, has owned the vehicle %(plate)s (%(kind)s) since %(since)s."
        ) % {
            "party": finding.evidence["party"],
            "case": finding.evidence["tracking_no"],
            "plate": plate,
            "kind": VehicleKind(kind).label if kind in VehicleKind.values else kind,
            "since": since,
        }


@register
class BusinessOwner(_RecordRule):
    code = "ELIG_BUSINESS"
    name = gettext_lazy("Means-tested benefit to a business owner")
    model = BusinessRecord

    def records(self) -> Q:
        return Q(status=BusinessStatus.ACTIVE, registered_on__lte=OuterRef("decided_on"))

    def evidence_tag(self, qs):
        return _tag(qs, F("business_name"), F("credit_code"), F("registered_on"))

    def title(self, finding: Finding) -> str:
        return _("Beneficiary runs a business: %(case)s") % {"case": finding.evidence["tracking_no"]}

    def explain(self, finding: Finding) -> str:
        business, code, since = finding.evidence["record"][:3]
        return _(
            "%(party)s, who benefits from case %(case)s, is the legal representative or owner of "
            "%(business)s (%(code)s), active since %(since)s."
        ) % {
            "party": finding.evidence["party"],
            "case": finding.evidence["tracking_no"],
            "business": business,
            "code": code,
            "since": since,
        }


@register
class OnPublicPayroll(_RecordRule):
    code = "ELIG_PAYROLL"
    name = gettext_lazy("Means-tested benefit to someone on the public payroll")
    model = PayrollRecord

    def records(self) -> Q:
        return Q(valid_from__lte=OuterRef("decided_on")) & (
            Q(valid_until__isnull=True) | Q(valid_until__gte=OuterRef("decided_on"))
        )

    def evidence_tag(self, qs):
        return _tag(qs, F("employer"), F("position"), F("valid_from"))

    def title(self, finding: Finding) -> str:
        return _("Beneficiary on the public payroll: %(case)s") % {"case": finding.evidence["tracking_no"]}

    def explain(self, finding: Finding) -> str:
        employer, position, since = finding.evidence["record"][:3]
        return _(
            "%(party)s, who benefits from case %(case)s, has been paid by %(employer)s (%(position)s) "
            "since %(since)s."
        ) % {
            "party": finding.evidence["party"],
            "case": finding.evidence["tracking_no"],
            "employer": employer,
            "position": position or "—",
            "since": since,
        }


@register
class SameBenefitTwice(Rule):
    code = "ELIG_DUPLICATE"
    name = gettext_lazy("The same benefit drawn twice")
    family = RuleFamily.ELIGIBILITY
    severity = Severity.YELLOW
    risk_points = ("VS03-R1", "VS04-R1", "VS10-R1", "PA16-R1")
    watches = ("case.started",)
    params = {
        "window_days": ParamSpec(365, 30, 1095, gettext_lazy("Look back for an earlier case"), UNIT_DAYS)
    }

    def commit_gate(self, vendor: str) -> str:
        # Another benefit case of the same registered person (any item, any time: looser than the rule).
        return benefit_gate(
            f"EXISTS (SELECT 1 FROM {gates.t(CaseParty)} gq WHERE gq.person_id = gp.person_id "
            f"AND gq.role IN {gates.lits(BENEFIT_ROLES)} AND gq.case_id <> c.id)"
        )

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        window = datetime.timedelta(days=ctx.int_param("window_days"))
        started = OuterRef("case__started_at")
        earlier = (
            CaseParty.objects.filter(
                person_id=OuterRef("person_id"),
                role__in=BENEFIT_ROLES,
                case__status__in=LIVE_CASES,
                case__item__code=OuterRef("case__item__code"),
                case__started_at__gte=started - window,
            )
            .filter(
                Q(case__started_at__lt=started) | Q(case__started_at=started, case_id__lt=OuterRef("case_id"))
            )
            .exclude(case_id=OuterRef("case_id"))
        )
        rows = (
            benefit_parties(ctx)
            .annotate(
                earlier=_tag(
                    earlier.order_by("-case__started_at"),
                    F("case__tracking_no"),
                    F("case__village__name"),
                    F("case_id"),
                )
            )
            .filter(earlier__isnull=False)
            .values(
                "pk",
                "case_id",
                "case__village_id",
                "case__tracking_no",
                "person_id",
                "name",
                "earlier",
                "case__item__code",
            )
        )

        def findings() -> Iterable[Finding]:
            for row in rows:
                tracking, village, _case = row["earlier"].split("|")
                yield Finding(
                    key=f"{row['case_id']}:{row['person_id']}",
                    village_id=row["case__village_id"],
                    case_id=row["case_id"],
                    subject=f"cases.caseparty:{row['pk']}",
                    evidence={
                        "tracking_no": row["case__tracking_no"],
                        "party": mask_name(row["name"]),
                        "item": row["case__item__code"],
                        "earlier": tracking,
                        "earlier_village": village,
                    },
                )

        return _unique(findings())

    def title(self, finding: Finding) -> str:
        return _("Same benefit twice: %(case)s") % {"case": finding.evidence["tracking_no"]}

    def explain(self, finding: Finding) -> str:
        e = finding.evidence
        return _(
            "%(party)s benefits from case %(case)s and already from case %(earlier)s (%(village)s) of the "
            "same item %(item)s."
        ) % {
            "party": e["party"],
            "case": e["tracking_no"],
            "earlier": e["earlier"],
            "village": e["earlier_village"],
            "item": e["item"],
        }


@register
class UrbanAndRural(Rule):
    code = "ELIG_URBAN_RURAL"
    name = gettext_lazy("Rural benefit to someone drawing the urban one")
    family = RuleFamily.ELIGIBILITY
    severity = Severity.RED
    watches = ("case.started", "step.completed")

    def commit_gate(self, vendor: str) -> str:
        from sunlit.powers.models import PowerItem

        return (
            f"(EXISTS (SELECT 1 FROM {gates.t(PowerItem)} gu WHERE gu.id = c.item_id AND gu.code IN "
            f"{gates.lits(URBAN_EQUIVALENTS.values())}) AND "
            + benefit_gate(
                f"EXISTS (SELECT 1 FROM {gates.t(UrbanBenefitRecord)} gr WHERE gr.id_hash = pe.id_hash)"
            )
            + ")"
        )

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        def findings() -> Iterable[Finding]:
            for benefit, item_code in URBAN_EQUIVALENTS.items():  # one query per pair of benefits
                urban = UrbanBenefitRecord.objects.filter(
                    Q(valid_until__isnull=True) | Q(valid_until__gte=OuterRef("decided_on")),
                    benefit=benefit,
                    batch__superseded_at__isnull=True,
                    id_hash=OuterRef("person__id_hash"),
                    valid_from__lte=OuterRef("decided_on"),
                )
                rows = (
                    benefit_parties(ctx)
                    .filter(case__item__code=item_code)
                    .annotate(decided_on=_decided_on())
                    .annotate(urban=_tag(urban, F("place"), F("valid_from")))
                    .filter(urban__isnull=False)
                    .values(*PARTY_FIELDS, "urban")
                )
                for row in rows:
                    place, since = row["urban"].split("|")
                    yield _party_finding(row, benefit=str(benefit), place=place, since=since)

        return _unique(findings())

    def title(self, finding: Finding) -> str:
        return _("Urban and rural benefit: %(case)s") % {"case": finding.evidence["tracking_no"]}

    def explain(self, finding: Finding) -> str:
        e = finding.evidence
        return _(
            "%(party)s, who benefits from case %(case)s, has drawn the %(benefit)s in %(place)s since %(since)s."
        ) % {
            "party": e["party"],
            "case": e["tracking_no"],
            "benefit": UrbanBenefitKind(e["benefit"]).label,
            "place": e["place"],
            "since": e["since"],
        }
