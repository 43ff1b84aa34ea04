"""Reads of complaints, always scoped. Staff lists go through :func:`complaints_for_user`; the
reporter reaches their complaint only with its code and secret; the public sees masked fields only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet

from sunlit.accounts.models import User
from sunlit.core.errors import NotFound
from sunlit.core.pii_store import keyed_hash

from . import config
from .errors import RateLimited
from .models import Complaint, ComplaintMessage
from .permissions import visible_q
from .services import secret_matches
from .vocab import PUBLIC_STATUSES, Kind, Status


def complaints_for_user(user: User) -> QuerySet[Complaint]:
    return Complaint.objects.filter(visible_q(user)).select_related(
        "village", "village__parent", "unit", "claimed_by"
    )


def access_complaint(user: User, complaint_id: Any) -> Complaint:
    """The complaint if the user may see it; NotFound for missing and out-of-scope alike."""
    try:
        pk = int(complaint_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    complaint = complaints_for_user(user).filter(pk=pk).first()
    if complaint is None:
        raise NotFound()
    return complaint


FOLLOW_FAILURES_PER_HOUR = 20


def access_by_secret(code: Any, secret: Any, *, ip: str | None = None) -> Complaint:
    """The reporter's own complaint. Unknown code and wrong secret are the same NotFound; wrong
    guesses from one IP are limited (``SUNLIT_COMPLAINT_FOLLOW_FAILURES`` per hour)."""
    key = f"complaints:follow-fail:{keyed_hash(ip or '-', purpose='rate')}"
    limit = config.setting_int("SUNLIT_COMPLAINT_FOLLOW_FAILURES", FOLLOW_FAILURES_PER_HOUR)
    if (cache.get(key) or 0) >= limit:
        raise RateLimited()
    code = str(code or "").strip().upper()[:16]
    complaint = (
        Complaint.objects.select_related("village", "village__parent", "duplicate_of")
        .filter(code=code)
        .first()
    )
    if complaint is None or not secret_matches(complaint, str(secret or "")[:64]):
        cache.add(key, 0, timeout=3600)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=3600)
        raise NotFound()
    return complaint


def staff_text(user: User, complaint: Complaint, text: str) -> str:
    """What staff see of free text on every page and endpoint: personal numbers and the reporter's
    name masked (reporters often name themselves or give their number in the text). The text as
    written is shown only with the identity, on the logged reveal."""
    from .services import public_wording, reporter_name

    return public_wording(text, reporter_name(complaint))


def thread(complaint: Complaint) -> list[ComplaintMessage]:
    return list(
        complaint.messages.select_related("user").prefetch_related("attachments").order_by("created_at", "id")
    )


# --- public (masked) --------------------------------------------------------------------------------------


def public_complaints() -> QuerySet[Complaint]:
    """What anyone may list: suggestions and complaints (never reports of wrongdoing), never
    unverified ones. Callers show only masked fields (``public_text``, ``public_answer``)."""
    return (
        Complaint.objects.filter(status__in=PUBLIC_STATUSES)
        .exclude(kind=Kind.REPORT)
        .select_related("village", "village__parent", "unit")
    )


def public_complaint(code: Any) -> Complaint:
    complaint = public_complaints().filter(code=str(code or "").strip().upper()[:16]).first()
    if complaint is None:
        raise NotFound()
    return complaint


# --- statistics ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    total: int
    by_status: list[tuple[str, str, int]]
    by_category: list[tuple[str, str, int]]
    by_kind: list[tuple[str, str, int]]
    overdue: int
    escalated: int
    satisfied: int
    rated: int


def statistics(user: User, *, now) -> Stats:
    from .vocab import Category, Rating

    qs = complaints_for_user(user)
    base = Complaint.objects.filter(pk__in=qs.values("pk"))

    def grouped(field: str, choices) -> list[tuple[str, str, int]]:
        counts = dict(base.values_list(field).annotate(n=Count("pk")).order_by())
        return [(value, label, counts.get(value, 0)) for value, label in choices]

    agg = base.aggregate(
        total=Count("pk"),
        overdue=Count(
            "pk",
            filter=Q(status=Status.RECEIVED, accept_due__lt=now)
            | Q(status=Status.ACCEPTED, handle_due__lt=now),
        ),
        escalated=Count("pk", filter=Q(escalation_level__gt=0)),
        satisfied=Count("pk", filter=Q(rating__in=[Rating.SATISFIED, Rating.BASICALLY])),
        rated=Count("pk", filter=~Q(rating="")),
    )
    return Stats(
        total=agg["total"],
        by_status=grouped("status", [c for c in Status.choices if c[0] != Status.UNVERIFIED]),
        by_category=grouped("category", Category.choices),
        by_kind=grouped("kind", Kind.choices),
        overdue=agg["overdue"],
        escalated=agg["escalated"],
        satisfied=agg["satisfied"],
        rated=agg["rated"],
    )
