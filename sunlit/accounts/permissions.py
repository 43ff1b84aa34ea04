"""Permission predicates. Every check is "does the user hold a role granting PERM in a region
that contains the object's region". Results are cached on the user object per request."""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.utils import timezone

from sunlit.regions.models import Region

from .models import RoleAssignment, User
from .roles import ROLE_PERMS


def active_assignments(user: User) -> list[RoleAssignment]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_sunlit_assignments", None)
    if cached is None:
        today: date = timezone.localdate()
        cached = list(
            RoleAssignment.objects.filter(user=user, revoked_at__isnull=True)
            .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
            .select_related("region")
        )
        user._sunlit_assignments = cached  # type: ignore[attr-defined]
    return cached


def scopes_for(user: User, perm: str) -> list[Region]:
    """Regions (subtree roots) in which the user holds ``perm``."""
    return [a.region for a in active_assignments(user) if perm in ROLE_PERMS.get(a.role, ())]


def has_perm(user: User, perm: str, region: Region | None = None) -> bool:
    """True when the user holds ``perm`` in ``region`` (or anywhere, when region is None)."""
    scopes = scopes_for(user, perm)
    if region is None:
        return bool(scopes)
    return any(region.path.startswith(scope.path) for scope in scopes)


def region_q(user: User, perm: str, field: str = "region") -> Q:
    """A filter restricting ``field`` (a FK to Region) to the user's scopes for ``perm``.

    Matches nothing when the user has no scope.
    """
    scopes = scopes_for(user, perm)
    if not scopes:
        return Q(pk__in=[])
    q = Q()
    for scope in _roots(scopes):
        q |= Q(**{f"{field}__path__startswith": scope.path})
    return q


def _roots(scopes: list[Region]) -> list[Region]:
    """Drop scopes contained in another scope so filters stay short."""
    ordered = sorted({s.path: s for s in scopes}.values(), key=lambda r: len(r.path))
    roots: list[Region] = []
    for scope in ordered:
        if not any(scope.path.startswith(root.path) for root in roots):
            roots.append(scope)
    return roots


def reaches(user: User, perm: str, region: Region) -> bool:
    """True when some scope of the user lies inside ``region`` or contains it (used for navigation)."""
    return any(
        region.path.startswith(s.path) or s.path.startswith(region.path) for s in scopes_for(user, perm)
    )
