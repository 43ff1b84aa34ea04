"""Reads of disclosures. Public reads return published items with their current version (masked
content only); staff reads are scoped to the user's regions. Every list is a queryset with its
joins fixed (select_related/prefetch), so a page of any size costs a constant number of queries.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from sunlit.accounts.models import User
from sunlit.accounts.permissions import region_q
from sunlit.accounts.roles import Perm
from sunlit.core.errors import NotFound
from sunlit.regions.models import Region

from .models import (
    BenefitListEntry,
    Disclosure,
    DisclosureAttachment,
    DisclosureVersion,
    SupervisionContact,
)
from .search import query_tokens
from .vocab import AttachmentState, DisclosureModule, DisclosureStatus


def _public() -> QuerySet[Disclosure]:
    return Disclosure.objects.filter(status=DisclosureStatus.PUBLISHED, current__isnull=False).select_related(
        "village", "current", "case"
    )


def disclosures_for_village(village: Region, module: str | None = None) -> QuerySet[Disclosure]:
    """Published disclosures of a village (newest first), each with ``current`` loaded: slice it
    or hand it to a Paginator; it does not load entries or attachments (use disclosure_public_get)."""
    qs = _public().filter(village=village)
    if module:
        qs = qs.filter(module=module) if module in DisclosureModule.values else qs.none()
    return qs.order_by("-first_published_at", "-id")


def disclosures_public(*, region: Region | None = None, module: str | None = None) -> QuerySet[Disclosure]:
    """Published disclosures anywhere under ``region`` (for feeds and region pages)."""
    qs = _public()
    if region is not None:
        qs = qs.filter(village__path__startswith=region.path)
    if module:
        qs = qs.filter(module=module) if module in DisclosureModule.values else qs.none()
    return qs.order_by("-first_published_at", "-id")


def open_notices_for_village(village: Region, *, today: datetime.date | None = None) -> QuerySet[Disclosure]:
    """Published disclosures whose notice period is running today (for the countdown)."""
    today = today or timezone.localdate()
    return (
        _public()
        .filter(village=village, current__period_end__gte=today)
        .filter(Q(current__period_start__isnull=True) | Q(current__period_start__lte=today))
        .order_by("current__period_end", "-id")
    )


def module_counts(village: Region) -> dict[str, int]:
    """Published disclosures per module of a village, one query, every module present."""
    counts = dict(
        Disclosure.objects.filter(village=village, status=DisclosureStatus.PUBLISHED)
        .values("module")
        .annotate(n=Count("id"))
        .values_list("module", "n")
    )
    return {module: counts.get(module, 0) for module in DisclosureModule.values}


def _version_detail_qs() -> QuerySet[DisclosureVersion]:
    return DisclosureVersion.objects.select_related("publisher").prefetch_related(
        Prefetch("entries", queryset=BenefitListEntry.objects.order_by("position")),
        Prefetch("attachments", queryset=DisclosureAttachment.objects.order_by("position")),
    )


def disclosure_public_get(code: Any) -> Disclosure:
    """A disclosure by its public code, with its current version's entries and attachments
    prefetched (``disclosure.current``). Withdrawn items are returned too (their page says so)."""
    code = str(code or "")[:24]
    disclosure = (
        Disclosure.objects.filter(code=code, current__isnull=False)
        .select_related("village", "village__parent", "case", "case__item")
        .prefetch_related(Prefetch("current", queryset=_version_detail_qs()))
        .first()
    )
    if disclosure is None:
        raise NotFound()
    return disclosure


def disclosure_history(disclosure: Disclosure) -> list[DisclosureVersion]:
    """Every version, oldest first, with entries and attachments: the public history."""
    return list(_version_detail_qs().filter(disclosure=disclosure).order_by("number"))


def disclosure_version_get(disclosure: Disclosure, number: Any) -> DisclosureVersion:
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise NotFound() from None
    version = _version_detail_qs().filter(disclosure=disclosure, number=number).first()
    if version is None:
        raise NotFound()
    return version


def attachment_public_get(code: Any, number: Any, position: Any) -> DisclosureAttachment:
    """A public attachment of a version; NotFound for withheld ones (they are for authorised roles)."""
    try:
        number, position = int(number), int(position)
    except (TypeError, ValueError):
        raise NotFound() from None
    attachment = (
        DisclosureAttachment.objects.filter(
            version__disclosure__code=str(code or "")[:24],
            version__number=number,
            position=position,
            state=AttachmentState.PUBLIC,
        )
        .select_related("version__disclosure")
        .first()
    )
    if attachment is None:
        raise NotFound()
    return attachment


def supervision_contact(village: Region) -> SupervisionContact | None:
    return SupervisionContact.objects.filter(village=village).first()


def disclosure_search(
    query: str,
    *,
    region: Region | None = None,
    module: str | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[Disclosure]:
    """Published disclosures matching ``query`` (jieba tokens), best first: most query words
    matched, then their weight (title words count 3), then newest. Annotated ``matched`` and
    ``score``. Filters: under ``region``, in ``module``, first published between the dates (local)."""
    tokens = query_tokens(query)
    if not tokens:
        return Disclosure.objects.none()
    qs = _public().filter(tokens__token__in=tokens)
    if region is not None:
        qs = qs.filter(village__path__startswith=region.path)
    if module:
        qs = qs.filter(module=module) if module in DisclosureModule.values else qs.none()
    tz = timezone.get_current_timezone()
    if date_from is not None:
        qs = qs.filter(first_published_at__gte=datetime.datetime.combine(date_from, datetime.time.min, tz))
    if date_to is not None:
        end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min, tz)
        qs = qs.filter(first_published_at__lt=end)
    return qs.annotate(matched=Count("tokens", distinct=True), score=Sum("tokens__weight")).order_by(
        "-matched", "-score", "-first_published_at", "-id"
    )


# --- staff -----------------------------------------------------------------------------------------


def disclosures_for_user(user: User) -> QuerySet[Disclosure]:
    """Disclosures (published and withdrawn) in the villages the user may see as staff."""
    return (
        Disclosure.objects.filter(region_q(user, Perm.STAFF_VIEW, "village"))
        .filter(current__isnull=False)
        .select_related("village", "current", "publisher", "case")
        .order_by("-updated_at", "-id")
    )


def access_disclosure(user: User, code: Any) -> Disclosure:
    """A disclosure the user may see as staff; NotFound for missing and out-of-scope alike."""
    disclosure = (
        disclosures_for_user(user)
        .filter(code=str(code or "")[:24])
        .prefetch_related(Prefetch("current", queryset=_version_detail_qs()))
        .first()
    )
    if disclosure is None:
        raise NotFound()
    return disclosure


def publish_villages_for_user(user: User) -> QuerySet[Region]:
    """Villages where the user may publish (for the publish form)."""
    from sunlit.accounts.permissions import scopes_for
    from sunlit.regions.models import RegionLevel

    scopes = scopes_for(user, Perm.DISCLOSURE_PUBLISH)
    if not scopes:
        return Region.objects.none()
    q = Q()
    for scope in scopes:
        q |= Q(path__startswith=scope.path)
    return Region.objects.filter(q, level=RegionLevel.VILLAGE).order_by("path")
