"""Who sees and handles which complaints.

A complaint is held by a unit: a region and an office (township government, township discipline
commission, a county department…). A role holder sees and handles the complaints whose unit lies in
the region of their assignment and whose office is one their role works in (``ROLE_OFFICES``).
The discipline bodies also see every complaint about a village in their region, to supervise; only
they see reports of wrongdoing (检举控告). Village cadres see none: they may be the subject.
"""

from __future__ import annotations

from django.db.models import Q

from sunlit.accounts.models import User
from sunlit.accounts.permissions import active_assignments, has_perm
from sunlit.accounts.roles import ROLE_PERMS, Perm, Role
from sunlit.regions.models import Region

from .vocab import Kind, Office, Status

ROLE_OFFICES: dict[str, frozenset[str]] = {
    Role.TOWNSHIP_LEADER: frozenset({Office.TOWNSHIP}),
    Role.TOWNSHIP_LIAISON: frozenset({Office.TOWNSHIP}),
    Role.TOWNSHIP_REVIEWER: frozenset({Office.TOWNSHIP}),
    Role.TOWNSHIP_DISCIPLINE: frozenset({Office.TOWNSHIP_DISCIPLINE}),
    Role.COUNTY_DISCIPLINE: frozenset(Office.values),
    Role.COUNTY_DEPARTMENT: frozenset(
        {
            Office.COUNTY_CIVIL_AFFAIRS,
            Office.COUNTY_NATURAL_RESOURCES,
            Office.COUNTY_AGRICULTURE,
            Office.COUNTY_COMPLAINTS,
        }
    ),
}
DISCIPLINE_ROLES = frozenset({Role.TOWNSHIP_DISCIPLINE, Role.COUNTY_DISCIPLINE})


def roles_for_office(office: str) -> set[str]:
    return {role for role, offices in ROLE_OFFICES.items() if office in offices}


def visible_q(user: User) -> Q:
    """The complaints ``user`` may see (never the unverified ones). Matches nothing without a scope."""
    q = Q()
    matched = False
    for a in active_assignments(user):
        if Perm.COMPLAINT_VIEW not in ROLE_PERMS.get(a.role, ()):
            continue
        offices = ROLE_OFFICES.get(a.role, frozenset())
        part = Q(unit__path__startswith=a.region.path, office__in=offices)
        if a.role in DISCIPLINE_ROLES:
            part |= Q(village__path__startswith=a.region.path)
        else:
            part &= ~Q(kind=Kind.REPORT)
        q |= part
        matched = True
    if not matched:
        return Q(pk__in=[])
    return q & ~Q(status=Status.UNVERIFIED)


def _covers(region: Region, path: str) -> bool:
    return path.startswith(region.path)


def can_handle(user: User, complaint) -> bool:
    for a in active_assignments(user):
        if Perm.COMPLAINT_HANDLE not in ROLE_PERMS.get(a.role, ()):
            continue
        if complaint.kind == Kind.REPORT and a.role not in DISCIPLINE_ROLES:
            continue
        if complaint.office in ROLE_OFFICES.get(a.role, ()) and _covers(a.region, complaint.unit.path):
            return True
    return False


def can_reveal(user: User, complaint) -> bool:
    for a in active_assignments(user):
        if Perm.REPORTER_REVEAL not in ROLE_PERMS.get(a.role, ()):
            continue
        if _covers(a.region, complaint.unit.path) or _covers(a.region, complaint.village.path):
            return True
    return False


def can_intake(user: User, village: Region | None = None) -> bool:
    return has_perm(user, Perm.COMPLAINT_INTAKE, village)
