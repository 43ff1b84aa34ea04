"""Who may act on a case's step: a holder of the step's role in a region containing the village.

Some flow roles are satisfied by more than one assignable role: a step for the village committee
may be done by any of its members (the secretary and the chair are members), and a step for the
applicant is recorded by a village cadre on the villager's behalf (代办), which the step instance
marks as ``on_behalf``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sunlit.accounts.models import User
from sunlit.accounts.permissions import active_assignments
from sunlit.accounts.roles import Role
from sunlit.regions.models import Region

_VILLAGE_CADRES = frozenset(
    {
        Role.VILLAGE_SECRETARY,
        Role.VILLAGE_CHAIR,
        Role.VILLAGE_COMMITTEE,
        Role.VILLAGE_ACCOUNTANT,
        Role.VILLAGE_CLERK,
    }
)

# step role -> assignable roles whose holders may complete it
STEP_ROLE_HOLDERS: dict[str, frozenset[str]] = {
    Role.VILLAGE_COMMITTEE: frozenset({Role.VILLAGE_SECRETARY, Role.VILLAGE_CHAIR, Role.VILLAGE_COMMITTEE}),
    Role.APPLICANT: _VILLAGE_CADRES,
}


def holders_of(step_role: str) -> frozenset[str]:
    return STEP_ROLE_HOLDERS.get(step_role, frozenset({step_role}))


@dataclass(frozen=True)
class StepActor:
    role: str  # the assignable role the actor acts in
    on_behalf: bool  # True for applicant steps recorded by a cadre


def step_actor(user: User, step_role: str, village: Region) -> StepActor | None:
    """How ``user`` may act on a step with ``step_role`` in ``village``, or None when they may not.

    Prefers the exact role when the user holds several that qualify.
    """
    if not step_role:
        return None
    allowed = holders_of(step_role)
    held = {
        a.role
        for a in active_assignments(user)
        if a.role in allowed and village.path.startswith(a.region.path)
    }
    if not held:
        return None
    role = step_role if step_role in held else sorted(held)[0]
    return StepActor(role=role, on_behalf=step_role == Role.APPLICANT)
