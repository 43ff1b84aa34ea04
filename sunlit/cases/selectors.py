"""Reads of cases, always scoped: staff see cases in their regions; the public sees masked views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from sunlit.accounts.models import User
from sunlit.accounts.permissions import active_assignments, region_q
from sunlit.accounts.roles import Perm
from sunlit.core.errors import NotFound
from sunlit.core.masking import mask_name

from .models import Case, CaseDocument, CaseParty, Notice, Objection, StepInstance, VoteRecord
from .permissions import STEP_ROLE_HOLDERS
from .vocab import StepStatus


def cases_for_user(user: User) -> QuerySet[Case]:
    return Case.objects.filter(region_q(user, Perm.CASE_VIEW, "village")).select_related(
        "village", "item", "current", "current__step"
    )


def access_case(user: User, case_id: Any) -> Case:
    """The case if the user may see it; NotFound for missing and out-of-scope alike."""
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    case = cases_for_user(user).select_related("item__catalog", "flow", "started_by").filter(pk=pk).first()
    if case is None:
        raise NotFound()
    return case


def access_case_by_tracking(user: User, tracking_no: Any) -> Case:
    case = cases_for_user(user).filter(tracking_no=str(tracking_no)[:24]).first()
    if case is None:
        raise NotFound()
    return case


def step_roles_for(role: str) -> set[str]:
    """Flow roles an assignable role may act in."""
    return {role} | {step_role for step_role, holders in STEP_ROLE_HOLDERS.items() if role in holders}


def todo_for_user(user: User) -> QuerySet[StepInstance]:
    """Active steps the user may complete, soonest due first."""
    q = Q()
    for assignment in active_assignments(user):
        q |= Q(
            step__role__in=step_roles_for(assignment.role),
            case__village__path__startswith=assignment.region.path,
        )
    if not q:
        return StepInstance.objects.none()
    return (
        StepInstance.objects.filter(q, status=StepStatus.ACTIVE)
        .select_related("case", "case__village", "case__item", "step")
        .order_by("due_at", "entered_at", "id")
    )


def case_timeline(case: Case) -> list[StepInstance]:
    return list(
        case.steps.select_related("step", "completed_by")
        .prefetch_related(
            Prefetch("documents", queryset=CaseDocument.objects.order_by("uploaded_at", "id")),
            Prefetch("votes", queryset=VoteRecord.objects.order_by("recorded_at", "id")),
        )
        .order_by("sequence")
    )


@dataclass(frozen=True)
class StepState:
    key: str
    state: str  # "done", "current", "overdue", "pending"


def step_states(case: Case, timeline: list[StepInstance]) -> dict[str, str]:
    """Per flow step key: done / current / overdue / pending, for highlighting the flowchart."""
    now = timezone.now()
    states: dict[str, str] = {}
    for instance in timeline:
        key = instance.step.key
        if instance.status == StepStatus.ACTIVE:
            states[key] = "overdue" if instance.due_at and now >= instance.due_at else "current"
        elif instance.status == StepStatus.COMPLETED and states.get(key) not in ("current", "overdue"):
            states[key] = "done"
    return states


def case_parties(case: Case) -> list[CaseParty]:
    return list(case.parties.select_related("person").order_by("id"))


# --- public views ----------------------------------------------------------------------------------------


def public_case(tracking_no: Any) -> Case:
    """A case found by its tracking number, for the portal (shown with masked data only)."""
    text = str(tracking_no or "").strip().upper()[:24]
    case = (
        Case.objects.filter(tracking_no=text)
        .select_related("village", "village__parent", "item", "current", "current__step")
        .first()
    )
    if case is None:
        raise NotFound()
    return case


def public_parties(case: Case) -> list[dict[str, str]]:
    return [{"role": p.get_role_display(), "name": mask_name(p.name)} for p in case.parties.order_by("id")]


def public_notice(code: Any) -> Notice:
    notice = (
        Notice.objects.filter(code=str(code or "")[:24])
        .select_related(
            "case", "case__item", "village", "village__parent", "step_instance", "step_instance__step"
        )
        .first()
    )
    if notice is None:
        raise NotFound()
    return notice


def notices_open(village: Any = None) -> QuerySet[Notice]:
    now = timezone.now()
    qs = Notice.objects.filter(opens_at__lte=now, closes_at__gt=now).select_related("village", "case")
    if village is not None:
        qs = qs.filter(village=village)
    return qs.order_by("closes_at")


def public_objection(receipt_code: Any) -> Objection:
    objection = (
        Objection.objects.filter(receipt_code=str(receipt_code or "").strip().upper()[:24])
        .select_related("notice", "case")
        .first()
    )
    if objection is None:
        raise NotFound()
    return objection


def objections_for_user(user: User) -> QuerySet[Objection]:
    return Objection.objects.filter(region_q(user, Perm.CASE_VIEW, "case__village")).select_related(
        "notice", "case", "case__village"
    )


def access_objection(user: User, objection_id: Any) -> Objection:
    try:
        pk = int(objection_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    objection = objections_for_user(user).filter(pk=pk).first()
    if objection is None:
        raise NotFound()
    return objection


def access_document(user: User, case: Case, document_id: Any) -> CaseDocument:
    try:
        pk = int(document_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    document = case.documents.filter(pk=pk).first()
    if document is None:
        raise NotFound()
    return document
