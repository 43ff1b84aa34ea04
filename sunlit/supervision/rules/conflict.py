"""Conflict-of-interest rules (优亲厚友): benefits to cadres and their relatives, and approvers who did
not step aside for a relative.

Who counts as a cadre of a village: a user holding a village role that runs cases (secretary, chair,
committee member, accountant, clerk) there, unrevoked when the case started. A cadre's own person is
known through CadreDeclaration.cadre_person; their relatives are those they declared (matched on the
keyed ID hash, so a relative registered later still matches) and those recorded in the registry's
Kinship table, read in both directions. Everything is matched in SQL (correlated subqueries on the
hash), one query per rule run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import CharField, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sunlit.accounts.models import User
from sunlit.accounts.roles import Role
from sunlit.cases.models import CaseParty, StepInstance
from sunlit.cases.vocab import CaseStatus, PartyRole, StepStatus
from sunlit.core.masking import mask_name
from sunlit.people.models import INVERSE_RELATION, CadreDeclaration, Kinship, Relation
from sunlit.powers.vocab import ItemCategory

from ..vocab import RuleFamily, Severity
from . import gates
from .base import Finding, Rule, RuleContext, register

CADRE_ROLES = (
    Role.VILLAGE_SECRETARY,
    Role.VILLAGE_CHAIR,
    Role.VILLAGE_COMMITTEE,
    Role.VILLAGE_ACCOUNTANT,
    Role.VILLAGE_CLERK,
)
BENEFIT_CATEGORIES = (ItemCategory.RELIEF, ItemCategory.FARM_SUBSIDIES)
BENEFIT_ROLES = (PartyRole.BENEFICIARY, PartyRole.APPLICANT)
LIVE_CASES = (CaseStatus.ACTIVE, CaseStatus.COMPLETED)  # terminated cases pay nothing
SELF = "self"  # the party is the cadre themself


def benefit_parties(ctx: RuleContext, categories: Iterable[str] = BENEFIT_CATEGORIES) -> QuerySet[CaseParty]:
    """Registered beneficiaries and applicants of live benefit cases in the run's scope."""
    return CaseParty.objects.filter(ctx.village_q("case__village"), ctx.case_q()).filter(
        role__in=BENEFIT_ROLES,
        person__isnull=False,
        case__status__in=LIVE_CASES,
        case__item__category__in=list(categories),
    )


def benefit_gate(condition: str, categories: Iterable[str] = BENEFIT_CATEGORIES) -> str:
    """On-commit gate: a live benefit case with a registered beneficiary/applicant meeting ``condition``
    (SQL over ``pe``, the party's people_person row)."""
    return (
        f"({gates.live_case()} AND {gates.case_in_categories(categories)} AND "
        f"{gates.benefit_party(condition, BENEFIT_ROLES)})"
    )


def linked_gate() -> str:
    return benefit_gate(gates.person_linked("pe.id", "pe.id_hash"))


def _holding_at(
    user_path: str, village_ref: str = "case__village_id", since_ref: str = "case__started_at"
) -> Q:
    """``user_path`` holds a cadre role in the outer row's village (``village_ref``), unrevoked at the
    outer row's moment (``since_ref``): by default the case's village and its start."""
    p = f"{user_path}__assignments"
    return Q(**{f"{p}__role__in": CADRE_ROLES, f"{p}__region_id": OuterRef(village_ref)}) & (
        Q(**{f"{p}__revoked_at__isnull": True}) | Q(**{f"{p}__revoked_at__gt": OuterRef(since_ref)})
    )


def _tag(qs: QuerySet[Any], *parts: Any) -> Subquery:
    """The first matching row as one "a|b|c" string (portable across SQLite and PostgreSQL)."""
    pieces: list[Any] = []
    for part in parts:
        if pieces:
            pieces.append(Value("|"))
        pieces.append(Cast(part, CharField()) if not isinstance(part, Value) else part)
    return Subquery(
        qs.order_by("pk").annotate(tag=Concat(*pieces, output_field=CharField())).values("tag")[:1],
        output_field=CharField(),
    )


def cadre_link_annotations(
    hash_ref: str,
    prefix: str = "",
    *,
    village_ref: str = "case__village_id",
    since_ref: str = "case__started_at",
) -> dict[str, Subquery]:
    """Annotations on a query whose rows carry an ID hash ``hash_ref`` (a field or an annotation), a
    village (``village_ref``) and a moment (``since_ref``): whether the hash belongs to a cadre of that
    village, in office at that moment, or to one of their relatives. By default the rows are case
    parties (the case's village and start). Each value is "cadre user id|relation of the party to the
    cadre|source", or NULL."""

    def _holding(user_path: str) -> Q:
        return _holding_at(user_path, village_ref, since_ref)

    kin_fwd = F("relation")  # Kinship(person=party, relative=cadre): what the cadre is to the party
    return {
        f"{prefix}cadre_self": _tag(
            CadreDeclaration.objects.filter(_holding("cadre"), cadre_person__id_hash=OuterRef(hash_ref)),
            F("cadre_id"),
            Value(SELF),
            Value("declaration"),
        ),
        f"{prefix}declared": _tag(
            CadreDeclaration.objects.filter(_holding("cadre"), relative_id_hash=OuterRef(hash_ref)),
            F("cadre_id"),
            F("relation"),
            Value("declared"),
        ),
        f"{prefix}kin_rev": _tag(
            Kinship.objects.filter(
                _holding("person__cadre_roles__cadre"), relative__id_hash=OuterRef(hash_ref)
            ),
            F("person__cadre_roles__cadre_id"),
            F("relation"),
            Value("registry"),
        ),
        f"{prefix}kin_fwd": _tag(
            Kinship.objects.filter(
                _holding("relative__cadre_roles__cadre"), person__id_hash=OuterRef(hash_ref)
            ),
            F("relative__cadre_roles__cadre_id"),
            kin_fwd,
            Value("registry:inverse"),
        ),
    }


LINK_ORDER = ("cadre_self", "declared", "kin_rev", "kin_fwd")


def any_link(prefix: str = "", order: Iterable[str] = LINK_ORDER) -> Q:
    q = Q(pk__in=[])
    for name in order:
        q |= Q(**{f"{prefix}{name}__isnull": False})
    return q


def first_link(
    values: dict[str, Any], prefix: str = "", order: Iterable[str] = LINK_ORDER
) -> list[str] | None:
    """The strongest link found on a row, as [user id, relation of the party to the cadre, source, …]."""
    for name in order:
        tag = values.get(f"{prefix}{name}")
        if tag:
            parts = tag.split("|")
            if parts[2].endswith(":inverse"):
                parts[1] = INVERSE_RELATION[Relation(parts[1])]
                parts[2] = parts[2].split(":")[0]
            return parts
    return None


def user_labels(ids: Iterable[int]) -> dict[int, str]:
    """How a cadre is shown: their account name, and their masked display name when set."""
    labels = {}
    for pk, username, display in User.objects.filter(pk__in=set(ids)).values_list(
        "pk", "username", "display_name"
    ):
        labels[pk] = f"{username} ({mask_name(display)})" if display else username
    return labels


def relation_label(relation: str) -> str:
    if relation == SELF:
        return _("the cadre themself")
    try:
        return str(Relation(relation).label)
    except ValueError:
        return relation


@register
class CadreBeneficiary(Rule):
    code = "CONFLICT_CADRE_BENEFICIARY"
    name = gettext_lazy("Benefit to a village cadre or a cadre's relative")
    family = RuleFamily.CONFLICT
    severity = Severity.RED
    risk_points = ("VS01-R1", "VS03-R1", "VS04-R1", "VS06-R1", "VS10-R2", "PA16-R1")
    watches = ("case.started",)

    def commit_gate(self, vendor: str) -> str:
        return linked_gate()

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        rows = list(
            benefit_parties(ctx)
            .annotate(**cadre_link_annotations("person__id_hash"))
            .filter(any_link())
            .values(
                "pk",
                "case_id",
                "case__village_id",
                "case__tracking_no",
                "person_id",
                "name",
                "role",
                *LINK_ORDER,
            )
        )
        labels = user_labels(int(first_link(r)[0]) for r in rows)
        seen = set()
        for row in rows:
            key = f"{row['case_id']}:{row['person_id']}"
            if key in seen:  # the same person as applicant and beneficiary
                continue
            seen.add(key)
            user_id, relation, source = first_link(row)[:3]
            yield Finding(
                key=key,
                village_id=row["case__village_id"],
                case_id=row["case_id"],
                subject=f"cases.caseparty:{row['pk']}",
                evidence={
                    "tracking_no": row["case__tracking_no"],
                    "party": mask_name(row["name"]),
                    "party_role": row["role"],
                    "cadre": labels.get(int(user_id), ""),
                    "relation": relation,
                    "source": source,
                },
            )

    def title(self, finding: Finding) -> str:
        return _("Cadre-related beneficiary: %(case)s") % {"case": finding.evidence["tracking_no"]}

    def explain(self, finding: Finding) -> str:
        e = finding.evidence
        if e["relation"] == SELF:
            return _("%(party)s, who benefits from case %(case)s, is the village cadre %(cadre)s.") % {
                "party": e["party"],
                "case": e["tracking_no"],
                "cadre": e["cadre"],
            }
        return _(
            "%(party)s, who benefits from case %(case)s, is %(relation)s of the village cadre %(cadre)s "
            "(%(source)s)."
        ) % {
            "party": e["party"],
            "case": e["tracking_no"],
            "relation": relation_label(e["relation"]),
            "cadre": e["cadre"],
            "source": _source_label(e["source"]),
        }


def _source_label(source: str) -> str:
    return {
        "declaration": _("the cadre's own declaration"),
        "declared": _("declared by the cadre"),
        "registry": _("recorded kinship"),
    }.get(source, source)


def _approver_tag(path: str, outer: Q, relation: Any, source: str) -> Subquery:
    qs = StepInstance.objects.filter(
        outer, case_id=OuterRef("case_id"), status=StepStatus.COMPLETED, completed_by__isnull=False
    )
    return _tag(qs, F("completed_by_id"), relation, Value(source), F("step__name"))


APPROVER_ORDER = ("a_self", "a_declared", "a_kin_rev", "a_kin_fwd")


@register
class ApproverRelative(Rule):
    code = "CONFLICT_APPROVER_RELATIVE"
    name = gettext_lazy("Step approved by the beneficiary or a relative of theirs (no recusal)")
    family = RuleFamily.CONFLICT
    severity = Severity.RED
    risk_points = ("VS01-R3", "VS01-R1")
    watches = ("step.completed",)

    def commit_gate(self, vendor: str) -> str:
        # The approver's declarations and kinships link them to the party's hash: the party appears
        # in a declaration or a kinship (the approver being a cadre is the rest of the condition).
        return linked_gate()

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        d = "completed_by__declarations"
        hash_ref = OuterRef("person__id_hash")
        annotations = {
            "a_self": _approver_tag(
                d, Q(**{f"{d}__cadre_person__id_hash": hash_ref}), Value(SELF), "declaration"
            ),
            "a_declared": _approver_tag(
                d, Q(**{f"{d}__relative_id_hash": hash_ref}), F(f"{d}__relation"), "declared"
            ),
            # Kinship(person=cadre, relative=party): the relation is what the party is to the cadre.
            "a_kin_rev": _approver_tag(
                d,
                Q(**{f"{d}__cadre_person__kinships__relative__id_hash": hash_ref}),
                F(f"{d}__cadre_person__kinships__relation"),
                "registry",
            ),
            "a_kin_fwd": _approver_tag(
                d,
                Q(**{f"{d}__cadre_person__kinships_as_relative__person__id_hash": hash_ref}),
                F(f"{d}__cadre_person__kinships_as_relative__relation"),
                "registry:inverse",
            ),
        }
        rows = list(
            benefit_parties(ctx)
            .annotate(**annotations)
            .filter(any_link(order=APPROVER_ORDER))
            .values(
                "pk",
                "case_id",
                "case__village_id",
                "case__tracking_no",
                "person_id",
                "name",
                "role",
                *APPROVER_ORDER,
            )
        )
        links = [first_link(r, order=APPROVER_ORDER) for r in rows]
        labels = user_labels(int(link[0]) for link in links if link)
        seen = set()
        for row, link in zip(rows, links, strict=True):
            key = f"{row['case_id']}:{row['person_id']}"
            if key in seen or link is None:
                continue
            seen.add(key)
            user_id, relation, source, step = link[0], link[1], link[2], "|".join(link[3:])
            yield Finding(
                key=key,
                village_id=row["case__village_id"],
                case_id=row["case_id"],
                subject=f"cases.caseparty:{row['pk']}",
                evidence={
                    "tracking_no": row["case__tracking_no"],
                    "party": mask_name(row["name"]),
                    "party_role": row["role"],
                    "approver": labels.get(int(user_id), ""),
                    "relation": relation,
                    "source": source,
                    "step": step,
                },
            )

    def title(self, finding: Finding) -> str:
        return _("Approver did not step aside: %(case)s") % {"case": finding.evidence["tracking_no"]}

    def explain(self, finding: Finding) -> str:
        e = finding.evidence
        if e["relation"] == SELF:
            return _(
                "%(approver)s completed the step “%(step)s” of case %(case)s, which benefits themself."
            ) % {
                "approver": e["approver"],
                "step": e["step"],
                "case": e["tracking_no"],
            }
        return _(
            "%(approver)s completed the step “%(step)s” of case %(case)s, which benefits %(party)s, "
            "%(relation)s of theirs (%(source)s)."
        ) % {
            "approver": e["approver"],
            "step": e["step"],
            "case": e["tracking_no"],
            "party": e["party"],
            "relation": relation_label(e["relation"]),
            "source": _source_label(e["source"]),
        }
