"""Reads of the person registry, scoped to the user's regions; relatives in both directions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from sunlit.accounts.models import User
from sunlit.accounts.permissions import region_q
from sunlit.accounts.roles import Perm
from sunlit.core.errors import NotFound
from sunlit.core.masking import id_number_valid
from sunlit.core.pii_store import id_hash

from .models import INVERSE_RELATION, CadreDeclaration, Kinship, Person, Relation


def persons_for_user(user: User) -> QuerySet[Person]:
    return Person.objects.filter(region_q(user, Perm.PEOPLE_VIEW, "village")).select_related(
        "village", "household"
    )


def access_person(user: User, person_id: Any) -> Person:
    """The person if the user may see them; NotFound for missing and out-of-scope alike."""
    try:
        pk = int(person_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    person = persons_for_user(user).filter(pk=pk).first()
    if person is None:
        raise NotFound()
    return person


def find_by_id_number(number: str) -> Person | None:
    """The registered person with this ID number (matched by keyed hash), if any."""
    if not id_number_valid(number):
        return None
    return Person.objects.filter(id_hash=id_hash(number)).select_related("village").first()


@dataclass(frozen=True)
class RelativeLink:
    person: Person
    relation: str  # what ``person`` is to the subject
    source: str  # "registry" (recorded kinship), "derived" (via the spouse), "declared"


def relatives_of(subject: Person) -> list[RelativeLink]:
    """Recorded kinship read in both directions, in-laws derived through the spouse, and relatives
    the subject declared as a cadre. One entry per relative (the first found wins)."""
    links: dict[int, RelativeLink] = {}

    def add(person: Person, relation: str, source: str) -> None:
        if person.pk != subject.pk and person.pk not in links:
            links[person.pk] = RelativeLink(person, relation, source)

    direct = Kinship.objects.filter(Q(person=subject) | Q(relative=subject)).select_related(
        "person", "relative"
    )
    spouses: list[Person] = []
    for kin in direct:
        if kin.person_id == subject.pk:
            add(kin.relative, kin.relation, "registry")
            if kin.relation == Relation.SPOUSE:
                spouses.append(kin.relative)
        else:
            relation = INVERSE_RELATION[Relation(kin.relation)]
            add(kin.person, relation, "registry")
            if relation == Relation.SPOUSE:
                spouses.append(kin.person)
    for spouse in spouses:
        for kin in Kinship.objects.filter(Q(person=spouse) | Q(relative=spouse)).select_related(
            "person", "relative"
        ):
            other, relation = (
                (kin.relative, kin.relation)
                if kin.person_id == spouse.pk
                else (kin.person, INVERSE_RELATION[Relation(kin.relation)])
            )
            if relation == Relation.PARENT:
                add(other, Relation.PARENT_IN_LAW, "derived")
            elif relation == Relation.SIBLING:
                add(other, Relation.SIBLING_IN_LAW, "derived")
    for declaration in CadreDeclaration.objects.filter(
        cadre_person=subject, relative__isnull=False
    ).select_related("relative"):
        add(declaration.relative, declaration.relation, "declared")
    return list(links.values())


def declared_relative_hashes(user: User) -> set[str]:
    return set(CadreDeclaration.objects.filter(cadre=user).values_list("relative_id_hash", flat=True))
