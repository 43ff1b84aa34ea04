"""Planted irregularities with their ground truth, for ``sunlit demo --anomalies``, tests and benchmarks.

Each *injector* picks its targets in the generated data deterministically (a seeded random stream over
candidates ordered by primary key), makes the change an official or a database administrator could
make, and records what supervision must find: the rule code and the exact finding key the rule will
produce (an ``InjectedAnomaly`` row; the alert key is ``"<rule>:<key>"``).

- Through the services, where the act is legal but suspicious: a seal use registered as an exception,
  an attempt to complete a step without its role.
- Through direct ORM updates, where the engine would refuse: a deadline or a notice completion
  backdated, a required document row deleted, a step instance retargeted, a vote tally rewritten or
  deleted, an answered objection reopened.

Every injector works on a case no other injector touched, so one change cannot make another rule fire
by accident; on clean data (``demo_load(clean=True)``) the alerts raised must then equal the truth
exactly (``compare``).
"""

from __future__ import annotations

import datetime
import hashlib
import random
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.accounts.models import User
from sunlit.accounts.roles import Role
from sunlit.cases.models import CaseDocument, Objection, StepInstance, VoteRecord
from sunlit.cases.vocab import CaseStatus, ObjectionStatus, SealKind, StepStatus
from sunlit.powers.flowcheck import parse_fraction
from sunlit.powers.models import Step, Transition
from sunlit.powers.vocab import StepKind, VoteBase
from sunlit.regions.models import Region, RegionLevel

from .models import Alert, InjectedAnomaly
from .rules.base import REGISTRY
from .rules.time import working_days_before
from .vocab import RuleFamily

CANDIDATES = 400  # candidates considered per injector (the first by primary key), whatever the scale
BOUNDARY_DAYS = 2  # working days kept clear of a rule's threshold, so a sweep a bit later agrees


class NoTarget(Exception):
    """The data has nothing this injector can work on."""


@dataclass
class Expected:
    rule_code: str
    key: str
    description: str


@dataclass
class Injection:
    """What injectors share: the seeded stream, the moment, the scope and the cases already used."""

    rng: random.Random
    now: datetime.datetime
    region: Region | None
    used_cases: set[int] = field(default_factory=set)

    def cases_q(self, prefix: str = "case") -> Q:
        q = ~Q(**{f"{prefix}_id__in": self.used_cases}) if self.used_cases else Q()
        if self.region is not None:
            q &= Q(**{f"{prefix}__village__path__startswith": self.region.path})
        return q

    def villages(self) -> QuerySet[Region]:
        qs = Region.objects.filter(level=RegionLevel.VILLAGE)
        if self.region is not None:
            qs = qs.filter(path__startswith=self.region.path)
        return qs

    def pick(self, qs: QuerySet, what: str) -> Any:
        """One row of ``qs`` (deterministic for the same data and seed); raises NoTarget."""
        pks = list(qs.order_by("pk").values_list("pk", flat=True)[:CANDIDATES])
        if not pks:
            raise NoTarget(what)
        return qs.model.objects.get(pk=self.rng.choice(pks))

    def candidates(self, qs: QuerySet) -> list[Any]:
        """Up to CANDIDATES rows of ``qs`` in a seeded random order."""
        rows = list(qs.order_by("pk")[:CANDIDATES])
        self.rng.shuffle(rows)
        return rows

    def use(self, case_id: int | None) -> None:
        if case_id is not None:
            self.used_cases.add(case_id)


@dataclass(frozen=True)
class Injector:
    name: str
    family: str
    rules: tuple[str, ...]
    run: Callable[[Injection], list[Expected]]


INJECTORS: dict[str, Injector] = {}


def injector(name: str, family: str, *rules: str) -> Callable:
    def wrap(func: Callable[[Injection], list[Expected]]) -> Callable[[Injection], list[Expected]]:
        if name in INJECTORS:
            raise ValueError(f"duplicate injector {name}")
        INJECTORS[name] = Injector(name, family, rules, func)
        return func

    return wrap


# --- recording and comparing ----------------------------------------------------------------------------


def record(
    expected: Iterable[Expected | tuple[str, str, str]],
    *,
    injector: str = "",
    now: datetime.datetime | None = None,
) -> int:
    """Store the findings supervision must produce (already known ones are kept as they are)."""
    now = now or timezone.now()
    rows = []
    for item in expected:
        rule_code, key, description = (
            (item.rule_code, item.key, item.description) if isinstance(item, Expected) else item
        )
        rows.append(
            InjectedAnomaly(
                rule_code=rule_code,
                key=key,
                injector=injector,
                description=str(description)[:300],
                injected_at=now,
            )
        )
    InjectedAnomaly.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def truth() -> set[str]:
    """The alert keys supervision must raise."""
    return {row.alert_key for row in InjectedAnomaly.objects.all()}


@dataclass
class Comparison:
    expected: set[str]
    raised: set[str]

    @property
    def missed(self) -> set[str]:
        return self.expected - self.raised

    @property
    def false(self) -> set[str]:
        return self.raised - self.expected

    @property
    def exact(self) -> bool:
        return self.expected == self.raised


def compare(rule_codes: Iterable[str] | None = None) -> Comparison:
    """The ground truth against the alerts in the database (optionally for some rules only)."""
    alerts = Alert.objects.all()
    truth_rows = InjectedAnomaly.objects.all()
    if rule_codes is not None:
        codes = list(rule_codes)
        alerts = alerts.filter(rule_code__in=codes)
        truth_rows = truth_rows.filter(rule_code__in=codes)
    return Comparison({row.alert_key for row in truth_rows}, set(alerts.values_list("key", flat=True)))


@dataclass
class InjectionReport:
    injected: dict[str, int] = field(default_factory=dict)  # injector → expected findings
    skipped: dict[str, str] = field(default_factory=dict)  # injector → why

    @property
    def total(self) -> int:
        return sum(self.injected.values())


def inject(
    *,
    seed: int,
    region: Region | None = None,
    families: Iterable[str] | None = None,
    names: Iterable[str] | None = None,
    now: datetime.datetime | None = None,
) -> InjectionReport:
    """Run the injectors (every one, or those of ``families`` / ``names``) over ``region`` and record
    the ground truth. Each injector runs in its own transaction (savepoint)."""
    now = now or timezone.now()
    families = set(families) if families is not None else None
    names = set(names) if names is not None else None
    state = Injection(rng=random.Random(f"{seed}:anomalies"), now=now, region=region)  # noqa: S311
    # Cases with a planted anomaly already (the demo's own) are left alone too.
    state.used_cases |= _cases_in_truth()
    report = InjectionReport()
    for name, item in sorted(INJECTORS.items(), key=lambda pair: _scarcity(pair[0])):
        if (families is not None and item.family not in families) or (
            names is not None and name not in names
        ):
            continue
        if any(code not in REGISTRY for code in item.rules):
            report.skipped[name] = _("rule not installed")
            continue
        try:
            with transaction.atomic():
                found = item.run(state)
                record(found, injector=name, now=now)
        except NoTarget as exc:
            report.skipped[name] = _("nothing to work on: %(what)s") % {"what": exc}
            continue
        report.injected[name] = len(found)
    return report


# Injectors whose targets are rare in a small history (a relief case a township reviewer worked on, a
# notice the case has left, a completed notice step, a running notice) choose first, so the injectors
# content with any completed step do not use those cases up.
SCARCE_FIRST = (
    "conflict.reviewer_relative",
    "procedure.objection_reopened",
    "time.notice_backdated",
    "time.objection_aged",
)


def _scarcity(name: str) -> int:
    return SCARCE_FIRST.index(name) if name in SCARCE_FIRST else len(SCARCE_FIRST)


def _cases_in_truth() -> set[int]:
    """Cases of the demo's own planted anomalies (steps left overdue)."""
    keys = [
        int(k)
        for k in InjectedAnomaly.objects.filter(rule_code="TIME_STEP_OVERDUE").values_list("key", flat=True)
        if k.isdigit()
    ]
    return set(StepInstance.objects.filter(pk__in=keys).values_list("case_id", flat=True))


def _holder(role: str, village: Region) -> User:
    user = (
        User.objects.filter(assignments__role=role, assignments__region=village, assignments__revoked_at=None)
        .order_by("pk")
        .first()
    )
    if user is None:
        raise NoTarget(f"{role} in {village.code}")
    return user


def _step_label(instance: StepInstance) -> dict[str, str]:
    return {"case": instance.case.tracking_no, "step": instance.step.name}


# --- time -----------------------------------------------------------------------------------------------


@injector("time.deadline_backdated", RuleFamily.TIME, "TIME_STEP_OVERDUE")
def _deadline_backdated(ctx: Injection) -> list[Expected]:
    """A DBA moves an active step's deadline into the past (as a legacy import with paper dates would)."""
    instance = ctx.pick(
        StepInstance.objects.filter(ctx.cases_q()).filter(
            status=StepStatus.ACTIVE, due_at__gt=ctx.now + datetime.timedelta(days=1)
        ),
        "an active step not yet due",
    )
    ctx.use(instance.case_id)
    StepInstance.objects.filter(pk=instance.pk).update(due_at=ctx.now - datetime.timedelta(days=3))
    return [
        Expected(
            "TIME_STEP_OVERDUE",
            str(instance.pk),
            _("Deadline of step “%(step)s” of case %(case)s moved three days into the past")
            % _step_label(instance),
        )
    ]


@injector("time.notice_backdated", RuleFamily.TIME, "TIME_NOTICE_CUT_SHORT")
def _notice_backdated(ctx: Injection) -> list[Expected]:
    """A DBA backdates a notice step's completion to before its notice period ended."""
    instance = ctx.pick(
        StepInstance.objects.filter(ctx.cases_q()).filter(
            status=StepStatus.COMPLETED,
            step__kind=StepKind.PUBLIC_NOTICE,
            not_before__isnull=False,
            completed_at__gte=F("not_before"),
        ),
        "a completed notice step",
    )
    ctx.use(instance.case_id)
    StepInstance.objects.filter(pk=instance.pk).update(
        completed_at=instance.not_before - datetime.timedelta(hours=6)
    )
    return [
        Expected(
            "TIME_NOTICE_CUT_SHORT",
            str(instance.pk),
            _(
                "Completion of notice “%(step)s” of case %(case)s backdated to six hours before the period ended"
            )
            % _step_label(instance),
        )
    ]


def _reply_days() -> int:
    return int(REGISTRY["TIME_OBJECTION_UNANSWERED"].params["reply_days"].default)


@injector("time.objection_aged", RuleFamily.TIME, "TIME_OBJECTION_UNANSWERED")
def _objection_aged(ctx: Injection) -> list[Expected]:
    """An objection to a notice still running is registered with its (old) paper date and left
    unanswered: lodged long before the reply period."""
    waiting = Objection.objects.filter(ctx.cases_q()).filter(
        status=ObjectionStatus.OPEN, case__current_id=F("notice__step_instance_id")
    )
    if waiting.exists():
        objection = ctx.pick(waiting, "an open objection")
    else:
        from sunlit.cases import services
        from sunlit.cases.models import Notice

        notice = ctx.pick(
            Notice.objects.filter(ctx.cases_q()).filter(
                case__status=CaseStatus.ACTIVE,
                case__current_id=F("step_instance_id"),
                opens_at__lte=ctx.now,
                closes_at__gt=ctx.now,
            ),
            "a notice running now",
        )
        objection = services.objection_lodge(notice=notice, text="公示对象家里有营业执照，请核实。")
    ctx.use(objection.case_id)
    lodged = working_days_before(ctx.now, _reply_days() + BOUNDARY_DAYS + 3)
    Objection.objects.filter(pk=objection.pk).update(lodged_at=lodged)
    return [
        Expected(
            "TIME_OBJECTION_UNANSWERED",
            str(objection.pk),
            _("Objection %(receipt)s to case %(case)s dated %(days)d working days back, unanswered")
            % {
                "receipt": objection.receipt_code,
                "case": objection.case.tracking_no,
                "days": _reply_days() + BOUNDARY_DAYS + 3,
            },
        )
    ]


# --- procedure ------------------------------------------------------------------------------------------

SAFE_RETARGET_KINDS = (StepKind.TASK, StepKind.APPROVAL, StepKind.DOCUMENT)


@injector("procedure.step_retargeted", RuleFamily.PROCEDURE, "PROC_STEP_SEQUENCE")
def _step_retargeted(ctx: Injection) -> list[Expected]:
    """A DBA points a completed step instance at another step of the flow, one its previous step has
    no transition to (a step 'skipped' after the fact). The new step is no vote or notice and needs no
    document the instance lacks, so only the sequence is wrong: at the instance, and at the next one
    too when the new step has no transition to it."""
    instances = ctx.candidates(
        StepInstance.objects.filter(ctx.cases_q())
        .filter(status=StepStatus.COMPLETED, sequence__gt=1, step__kind__in=SAFE_RETARGET_KINDS)
        .select_related("step", "case")
    )
    for instance in instances:
        prev = StepInstance.objects.filter(case_id=instance.case_id, sequence=instance.sequence - 1).first()
        nxt = StepInstance.objects.filter(case_id=instance.case_id, sequence=instance.sequence + 1).first()
        if prev is None:
            continue
        have = set(CaseDocument.objects.filter(step_instance=instance).values_list("name", flat=True))
        from_prev = set(Transition.objects.filter(source_id=prev.step_id).values_list("target_id", flat=True))
        targets = Step.objects.filter(flow_id=instance.step.flow_id, kind__in=SAFE_RETARGET_KINDS).order_by(
            "position", "pk"
        )
        for target in targets:
            if target.pk == instance.step_id or target.pk in from_prev or not set(target.documents) <= have:
                continue
            ctx.use(instance.case_id)
            StepInstance.objects.filter(pk=instance.pk).update(step=target)
            label = {**_step_label(instance), "target": target.name, "prev": prev.step.name}
            found = [
                Expected(
                    "PROC_STEP_SEQUENCE",
                    str(instance.pk),
                    _(
                        "Step “%(step)s” of case %(case)s rewritten as “%(target)s”, which cannot follow “%(prev)s”"
                    )
                    % label,
                )
            ]
            if (
                nxt is not None
                and not Transition.objects.filter(source=target, target_id=nxt.step_id).exists()
            ):
                found.append(
                    Expected(
                        "PROC_STEP_SEQUENCE",
                        str(nxt.pk),
                        _(
                            "Step “%(next)s” of case %(case)s now follows “%(target)s”, which cannot lead to it"
                        )
                        % {**label, "next": nxt.step.name},
                    )
                )
            return found
    raise NoTarget("a completed step that can be retargeted")


@injector("procedure.document_deleted", RuleFamily.PROCEDURE, "PROC_DOCUMENTS_MISSING")
def _document_deleted(ctx: Injection) -> list[Expected]:
    """A DBA deletes the row of one required document of a completed step."""
    instances = ctx.candidates(
        StepInstance.objects.filter(ctx.cases_q())
        .filter(status=StepStatus.COMPLETED)
        .exclude(step__documents=[])
        .select_related("step", "case")
    )
    for instance in instances:
        required = sorted(set(instance.step.documents))
        have = set(CaseDocument.objects.filter(step_instance=instance).values_list("name", flat=True))
        if not required or not set(required) <= have:
            continue
        name = ctx.rng.choice(required)
        ctx.use(instance.case_id)
        CaseDocument.objects.filter(step_instance=instance, name=name).delete()
        return [
            Expected(
                "PROC_DOCUMENTS_MISSING",
                str(instance.pk),
                _("Document “%(name)s” of step “%(step)s” of case %(case)s deleted")
                % {**_step_label(instance), "name": name},
            )
        ]
    raise NoTarget("a completed step with all its documents")


@injector("procedure.objection_reopened", RuleFamily.PROCEDURE, "PROC_OBJECTION_IGNORED")
def _objection_reopened(ctx: Injection) -> list[Expected]:
    """A DBA erases the answer of an objection to a case that has since moved on (or, when no case has
    one, registers a paper objection to a closed notice and leaves it open): on record, the case left
    its notice step with the objection open, and if it is old the objection is unanswered too."""
    reply_days = _reply_days()
    old = working_days_before(ctx.now, reply_days + BOUNDARY_DAYS)
    recent = working_days_before(ctx.now, max(reply_days - BOUNDARY_DAYS, 0))
    clear = Q(lodged_at__lte=old) | Q(lodged_at__gt=recent)
    answered = (
        Objection.objects.filter(ctx.cases_q())
        .exclude(status=ObjectionStatus.OPEN)
        .exclude(case__current_id=F("notice__step_instance_id"))
        .filter(clear)
    )
    if answered.exists():
        objection = ctx.pick(answered, "an answered objection")
        Objection.objects.filter(pk=objection.pk).update(
            status=ObjectionStatus.OPEN, answer="", answered_by=None, answered_at=None
        )
        what = _("Answer of objection %(receipt)s to case %(case)s erased after the case moved on")
    else:
        from sunlit.cases.models import Notice

        notice = ctx.pick(
            Notice.objects.filter(ctx.cases_q())
            .exclude(case__current_id=F("step_instance_id"))
            .filter(Q(opens_at__lte=old - datetime.timedelta(days=1)) | Q(opens_at__gt=recent)),
            "a notice the case has left",
        )
        objection = Objection.objects.create(
            notice=notice,
            case=notice.case,
            receipt_code=f"Y{secrets.token_hex(6).upper()[:11]}",
            text="公示期间书面反映：申请人有经营性收入。",
            status=ObjectionStatus.OPEN,
            lodged_at=notice.opens_at + datetime.timedelta(hours=2),
        )
        what = _(
            "Paper objection %(receipt)s to case %(case)s registered after the case moved on, unanswered"
        )
    ctx.use(objection.case_id)
    label = {"receipt": objection.receipt_code, "case": objection.case.tracking_no}
    found = [Expected("PROC_OBJECTION_IGNORED", str(objection.pk), what % label)]
    if objection.lodged_at <= old:
        found.append(
            Expected(
                "TIME_OBJECTION_UNANSWERED",
                str(objection.pk),
                _("Objection %(receipt)s to case %(case)s open long after it was lodged") % label,
            )
        )
    return found


@injector("procedure.tally_rewritten", RuleFamily.PROCEDURE, "PROC_VOTE_RULES")
def _tally_rewritten(ctx: Injection) -> list[Expected]:
    """A DBA rewrites a passed vote's tally so that it could not have passed (but it stays 'passed')."""
    record_ = ctx.pick(
        VoteRecord.objects.filter(ctx.cases_q()).filter(passed=True, present__gt=0), "a passed vote"
    )
    step = record_.step_instance.step
    threshold = parse_fraction(step.threshold) or Fraction(1, 2)
    base = record_.expected if step.threshold_base == VoteBase.EXPECTED else record_.present
    votes_for = record_.present // 5
    if votes_for * threshold.denominator >= base * threshold.numerator:
        votes_for = 0  # still enough for a low threshold: nobody for
    ctx.use(record_.case_id)
    VoteRecord.objects.filter(pk=record_.pk).update(
        votes_for=votes_for, votes_against=record_.present - votes_for, abstentions=0
    )
    return [
        Expected(
            "PROC_VOTE_RULES",
            f"tally:{record_.pk}",
            _(
                "Tally of the vote of case %(case)s rewritten to %(yes)d for of %(present)d present, still passed"
            )
            % {"case": record_.case.tracking_no, "yes": votes_for, "present": record_.present},
        )
    ]


@injector("procedure.tally_deleted", RuleFamily.PROCEDURE, "PROC_VOTE_RULES")
def _tally_deleted(ctx: Injection) -> list[Expected]:
    """A DBA deletes the only tally of a completed vote step."""
    instance = ctx.pick(
        StepInstance.objects.filter(ctx.cases_q())
        .filter(status=StepStatus.COMPLETED, step__kind=StepKind.VOTE)
        .annotate(n=Count("votes"))
        .filter(n=1),
        "a completed vote step with one tally",
    )
    ctx.use(instance.case_id)
    VoteRecord.objects.filter(step_instance=instance).delete()
    return [
        Expected(
            "PROC_VOTE_RULES",
            f"novote:{instance.pk}",
            _("Tally of vote step “%(step)s” of case %(case)s deleted") % _step_label(instance),
        )
    ]


@injector("procedure.out_of_role", RuleFamily.PROCEDURE, "PROC_OUT_OF_ROLE")
def _out_of_role(ctx: Injection) -> list[Expected]:
    """The village supervision committee member tries to complete a step (越权): refused and recorded."""
    from sunlit.cases import services
    from sunlit.cases.errors import StepRoleRequired

    instance = ctx.pick(
        StepInstance.objects.filter(ctx.cases_q())
        .filter(status=StepStatus.ACTIVE, case__status=CaseStatus.ACTIVE)
        .exclude(step__role=Role.VILLAGE_SUPERVISOR),
        "an active step",
    )
    case = instance.case
    actor = _holder(Role.VILLAGE_SUPERVISOR, case.village)
    ctx.use(case.pk)
    try:
        services.step_complete(actor=actor, case=case, sequence=instance.sequence)
    except StepRoleRequired:
        pass
    else:  # pragma: no cover - the supervisor holds no step role
        raise RuntimeError("the out-of-role attempt was accepted")
    return [
        Expected(
            "PROC_OUT_OF_ROLE",
            f"{actor.pk}:{case.pk}",
            _("%(user)s tried to complete step “%(step)s” of case %(case)s")
            % {**_step_label(instance), "user": actor.username},
        )
    ]


# --- seals ----------------------------------------------------------------------------------------------


@injector("seals.exception", RuleFamily.SEALS_DISCLOSURE, "SEAL_WITHOUT_CASE")
def _seal_exception(ctx: Injection) -> list[Expected]:
    """A committee member stamps a document with no case, registered as an exception with a reason."""
    from sunlit.cases import services

    villages = ctx.villages().filter(cases__isnull=False).distinct()
    village = ctx.pick(villages, "a village with cases")
    digest = hashlib.sha256(f"anomaly:{village.code}:{ctx.now.isoformat()}".encode()).hexdigest()
    use = services.seal_use_record(
        actor=_holder(Role.VILLAGE_COMMITTEE, village),
        village=village,
        seal=SealKind.COMMITTEE,
        purpose="为外村人员出具居住证明",
        document_sha256=digest,
        approver=_holder(Role.VILLAGE_SECRETARY, village),
        exception_reason="书记口头同意，事后补登记。",
    )
    return [
        Expected(
            "SEAL_WITHOUT_CASE",
            str(use.pk),
            _("Seal used without a case in %(village)s") % {"village": village.name},
        )
    ]


# --- registry helpers (conflict, eligibility, money) ----------------------------------------------------

BENEFIT_ITEM = "VS-01"  # 低保: means-tested relief, checked by every conflict and eligibility rule
WORKS_ITEM = "PA-04"  # 采购: works and procurement, checked by the money rules


def _new_id_number(ctx: Injection, village: Region, born: datetime.date) -> str:
    """A valid resident ID number of the village's county that nobody in the registry has."""
    from sunlit.core.masking import _id_check_char
    from sunlit.core.pii_store import id_hash
    from sunlit.people.models import Person

    while True:
        seq = ctx.rng.randrange(0, 999)
        first17 = f"{village.code[:6]}{born:%Y%m%d}{seq:03d}"
        number = first17 + _id_check_char(first17)
        if not Person.objects.filter(id_hash=id_hash(number)).exists():
            return number


def _resident(ctx: Injection, village: Region, name: str, age: int = 58) -> tuple[Any, str]:
    """A villager entered in the registry: (person, ID number)."""
    from sunlit.people.services import PersonData, person_create

    born = datetime.date(ctx.now.year - age, ctx.rng.randint(1, 12), ctx.rng.randint(1, 28))
    number = _new_id_number(ctx, village, born)
    return person_create(actor=None, data=PersonData(village=village, name=name, id_number=number)), number


def _case_village(ctx: Injection) -> Region:
    """A village with demo cases (so its cadres exist)."""
    return ctx.pick(ctx.villages().filter(cases__isnull=False).distinct(), "a village with cases")


def _benefit_case(ctx: Injection, village: Region, person: Any, title: str) -> Any:
    """A villager applies for 低保 through the committee, with the registered person as applicant."""
    from sunlit.cases import services

    case = services.case_start(
        actor=_holder(Role.VILLAGE_COMMITTEE, village),
        village=village,
        item_code=BENEFIT_ITEM,
        title=title,
        parties=[{"role": "applicant", "person": person}],
    )
    ctx.use(case.pk)
    return case


def _reference(kind: str, header: str, *rows: str) -> None:
    """A county department imports a reference dataset file (a new batch)."""
    from sunlit.people.reference import reference_import

    reference_import(actor=None, kind=kind, source=("\n".join([header, *rows]) + "\n").encode())


# --- conflict -------------------------------------------------------------------------------------------


@injector("conflict.cadre_relative_applies", RuleFamily.CONFLICT, "CONFLICT_CADRE_BENEFICIARY")
def _cadre_relative_applies(ctx: Injection) -> list[Expected]:
    """The village chair declares their son; the son then applies for 低保 in the chair's village."""
    from sunlit.people.services import declaration_add

    village = _case_village(ctx)
    chair = _holder(Role.VILLAGE_CHAIR, village)
    son, number = _resident(ctx, village, "王晓军", age=30)
    declaration_add(
        actor=chair, cadre=chair, relative_id_number=number, relative_name=son.name, relation="child"
    )
    case = _benefit_case(ctx, village, son, f"{son.name} 最低生活保障申请")
    return [
        Expected(
            "CONFLICT_CADRE_BENEFICIARY",
            f"{case.pk}:{son.pk}",
            _("The declared son of the chair of %(village)s applies for 低保 (case %(case)s)")
            % {"village": village.name, "case": case.tracking_no},
        )
    ]


@injector("conflict.reviewer_relative", RuleFamily.CONFLICT, "CONFLICT_APPROVER_RELATIVE")
def _reviewer_relative(ctx: Injection) -> list[Expected]:
    """A township reviewer declares their sister, who turns out to be the applicant of a relief case
    they already reviewed (the registry link of the party is added afterwards): no recusal. The
    reviewer is no village cadre, so only the approver rule applies."""
    from sunlit.cases.models import CaseParty
    from sunlit.people.services import declaration_add
    from sunlit.powers.vocab import ItemCategory

    reviewed = StepInstance.objects.filter(
        case_id=OuterRef("case_id"),
        status=StepStatus.COMPLETED,
        completed_by__assignments__role=Role.TOWNSHIP_REVIEWER,
    )
    party = ctx.pick(
        CaseParty.objects.filter(ctx.cases_q())
        .filter(
            role="applicant",
            person__isnull=True,
            case__status__in=(CaseStatus.ACTIVE, CaseStatus.COMPLETED),
            case__item__category=ItemCategory.RELIEF,
        )
        .filter(Exists(reviewed)),
        "a relief case a township reviewer worked on",
    )
    instance = (
        StepInstance.objects.filter(
            case_id=party.case_id,
            status=StepStatus.COMPLETED,
            completed_by__assignments__role=Role.TOWNSHIP_REVIEWER,
        )
        .select_related("completed_by")
        .order_by("sequence")
        .first()
    )
    reviewer = instance.completed_by
    ctx.use(party.case_id)
    sister, number = _resident(ctx, party.case.village, party.name, age=50)
    CaseParty.objects.filter(pk=party.pk).update(person=sister)
    declaration_add(
        actor=reviewer,
        cadre=reviewer,
        relative_id_number=number,
        relative_name=party.name,
        relation="sibling",
    )
    return [
        Expected(
            "CONFLICT_APPROVER_RELATIVE",
            f"{party.case_id}:{sister.pk}",
            _("%(user)s reviewed case %(case)s of their declared sister")
            % {"user": reviewer.username, "case": party.case.tracking_no},
        )
    ]


# --- eligibility ----------------------------------------------------------------------------------------


@injector("eligibility.deceased_applicant", RuleFamily.ELIGIBILITY, "ELIG_DECEASED")
def _deceased_applicant(ctx: Injection) -> list[Expected]:
    """Someone applies for 低保 in the name of a villager the civil affairs bureau reports as dead."""
    from sunlit.people.models import ReferenceKind

    village = _case_village(ctx)
    person, number = _resident(ctx, village, "刘老汉", age=82)
    died = timezone.localdate(ctx.now) - datetime.timedelta(days=60)
    _reference(ReferenceKind.DEATHS, "id_number,name,died_on", f"{number},{person.name},{died.isoformat()}")
    case = _benefit_case(ctx, village, person, f"{person.name} 最低生活保障申请")
    return [
        Expected(
            "ELIG_DECEASED",
            f"{case.pk}:{person.pk}",
            _("Case %(case)s: the applicant died on %(died)s") % {"case": case.tracking_no, "died": died},
        )
    ]


@injector("eligibility.vehicle_owner", RuleFamily.ELIGIBILITY, "ELIG_VEHICLE")
def _vehicle_owner(ctx: Injection) -> list[Expected]:
    """A 低保 applicant owns a car, per the traffic police's register."""
    from sunlit.people.models import ReferenceKind

    village = _case_village(ctx)
    person, number = _resident(ctx, village, "陈国强", age=45)
    registered = timezone.localdate(ctx.now) - datetime.timedelta(days=400)
    plate = f"豫S{ctx.rng.randrange(10000, 99999)}"
    _reference(
        ReferenceKind.VEHICLES,
        "id_number,plate,vehicle_type,registered_on",
        f"{number},{plate},car,{registered.isoformat()}",
    )
    case = _benefit_case(ctx, village, person, f"{person.name} 最低生活保障申请")
    return [
        Expected(
            "ELIG_VEHICLE",
            f"{case.pk}:{person.pk}",
            _("Case %(case)s: the applicant owns a car") % {"case": case.tracking_no},
        )
    ]


def _record_holder(
    ctx: Injection, kind: str, header: str, row: str, name: str, age: int, what: str, rule_code: str
) -> list[Expected]:
    """A 低保 applicant with a record in force in a reference dataset (``row`` has ``{id}``)."""
    village = _case_village(ctx)
    person, number = _resident(ctx, village, name, age=age)
    _reference(kind, header, row.format(id=number))
    case = _benefit_case(ctx, village, person, f"{person.name} 最低生活保障申请")
    return [Expected(rule_code, f"{case.pk}:{person.pk}", what % {"case": case.tracking_no})]


@injector("eligibility.business_owner", RuleFamily.ELIGIBILITY, "ELIG_BUSINESS")
def _business_owner(ctx: Injection) -> list[Expected]:
    """A 低保 applicant runs a registered business, per the market regulator."""
    from sunlit.people.models import ReferenceKind
    from sunlit.people.reference import credit_code_check_char

    first17 = f"92{ctx.rng.randrange(10**15, 10**16)}"[:17]
    code = first17 + credit_code_check_char(first17)
    since = (timezone.localdate(ctx.now) - datetime.timedelta(days=700)).isoformat()
    return _record_holder(
        ctx,
        ReferenceKind.BUSINESSES,
        "id_number,business_name,credit_code,status,registered_on",
        f"{{id}},光山县兴旺农资经营部,{code},active,{since}",
        "周兴旺",
        48,
        _("Case %(case)s: the applicant runs an active business"),
        "ELIG_BUSINESS",
    )


@injector("eligibility.on_payroll", RuleFamily.ELIGIBILITY, "ELIG_PAYROLL")
def _on_payroll(ctx: Injection) -> list[Expected]:
    """A 低保 applicant draws a public salary, per the payroll office."""
    from sunlit.people.models import ReferenceKind

    since = (timezone.localdate(ctx.now) - datetime.timedelta(days=900)).isoformat()
    return _record_holder(
        ctx,
        ReferenceKind.PAYROLL,
        "id_number,employer,from_date",
        f"{{id}},光山县某镇中心学校,{since}",
        "吴文斌",
        39,
        _("Case %(case)s: the applicant is on the public payroll"),
        "ELIG_PAYROLL",
    )


@injector("eligibility.urban_benefit", RuleFamily.ELIGIBILITY, "ELIG_URBAN_RURAL")
def _urban_benefit(ctx: Injection) -> list[Expected]:
    """A 低保 applicant already receives the urban minimum living allowance elsewhere."""
    from sunlit.people.models import ReferenceKind

    since = (timezone.localdate(ctx.now) - datetime.timedelta(days=300)).isoformat()
    return _record_holder(
        ctx,
        ReferenceKind.URBAN_BENEFITS,
        "id_number,benefit,from_date,place",
        f"{{id}},subsistence,{since},信阳市浉河区",
        "郑桂兰",
        66,
        _("Case %(case)s: the applicant already receives the urban allowance"),
        "ELIG_URBAN_RURAL",
    )


@injector("eligibility.applies_twice", RuleFamily.ELIGIBILITY, "ELIG_DUPLICATE")
def _applies_twice(ctx: Injection) -> list[Expected]:
    """The same villager applies for 低保 twice (the second case is the duplicate)."""
    village = _case_village(ctx)
    person, _number = _resident(ctx, village, "黄春生", age=61)
    _benefit_case(ctx, village, person, f"{person.name} 最低生活保障申请")
    again = _benefit_case(ctx, village, person, f"{person.name} 最低生活保障申请（重新申请）")
    return [
        Expected(
            "ELIG_DUPLICATE",
            f"{again.pk}:{person.pk}",
            _("Case %(case)s: the applicant already has a 低保 case") % {"case": again.tracking_no},
        )
    ]


# --- money ----------------------------------------------------------------------------------------------


@injector("money.contract_split", RuleFamily.MONEY, "MONEY_CONTRACT_SPLIT")
def _contract_split(ctx: Injection) -> list[Expected]:
    """A purchase split in two cases with the same purpose, each under the first tier, that together
    reach it exactly."""
    from sunlit.cases import services

    village = _case_village(ctx)
    committee = _holder(Role.VILLAGE_COMMITTEE, village)
    title = "村部会议室空调采购"
    first = services.case_start(
        actor=committee, village=village, item_code=WORKS_ITEM, title=title, variables={"amount": 1000}
    )
    tier = int(Decimal(str(first.parameters["tier1_amount"])))
    second = services.case_start(
        actor=committee, village=village, item_code=WORKS_ITEM, title=title, variables={"amount": tier - 1000}
    )
    ctx.use(first.pk)
    ctx.use(second.pk)
    return [
        Expected(
            "MONEY_CONTRACT_SPLIT",
            str(second.pk),
            _("Purchase “%(title)s” split into 1000 and %(rest)d yuan under the %(tier)d yuan tier")
            % {"title": title, "rest": tier - 1000, "tier": tier},
        )
    ]


@injector("money.counterparty_relative", RuleFamily.MONEY, "MONEY_COUNTERPARTY_CADRE")
def _counterparty_relative(ctx: Injection) -> list[Expected]:
    """The village secretary's declared brother-in-law is the supplier of a purchase."""
    from sunlit.cases import services
    from sunlit.people.services import declaration_add

    village = _case_village(ctx)
    secretary = _holder(Role.VILLAGE_SECRETARY, village)
    supplier, number = _resident(ctx, village, "张建材", age=40)
    declaration_add(
        actor=secretary,
        cadre=secretary,
        relative_id_number=number,
        relative_name=supplier.name,
        relation="sibling",
    )
    case = services.case_start(
        actor=_holder(Role.VILLAGE_COMMITTEE, village),
        village=village,
        item_code=WORKS_ITEM,
        title="村道路灯维修材料采购",
        variables={"amount": 8600},
        parties=[{"role": "counterparty", "person": supplier}],
    )
    ctx.use(case.pk)
    party = case.parties.get(role="counterparty")
    return [
        Expected(
            "MONEY_COUNTERPARTY_CADRE",
            str(party.pk),
            _("The supplier of case %(case)s is a declared relative of the village secretary")
            % {"case": case.tracking_no},
        )
    ]
