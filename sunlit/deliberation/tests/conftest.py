"""Fixtures for deliberation: registry persons of the test village, its bodies and staff."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest

from sunlit.accounts.roles import Role

DAY0 = datetime.date(2026, 1, 5)


def id_number(region_code: str, birth: datetime.date, seq: int) -> str:
    from sunlit.core.masking import _id_check_char

    first17 = f"{region_code[:6]}{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + _id_check_char(first17)


@pytest.fixture
def make_person():
    from sunlit.people.services import PersonData, person_create

    counter = {"n": 0}

    def make(village, name=None, *, birth=datetime.date(1970, 1, 1), household=""):
        counter["n"] += 1
        n = counter["n"]
        return person_create(
            actor=None,
            data=PersonData(
                village=village,
                name=name or f"村民{n}",
                id_number=id_number(village.code, birth, n),
                birth_date=birth,
                household_number=household or f"H{n:03d}",
            ),
        )

    return make


@pytest.fixture
def staff(tree, make_user):
    return SimpleNamespace(
        secretary=make_user(Role.VILLAGE_SECRETARY, tree.village, "secretary"),
        chair=make_user(Role.VILLAGE_CHAIR, tree.village, "chair"),
        supervisor=make_user(Role.VILLAGE_SUPERVISOR, tree.village, "supervisor"),
        township=make_user(Role.TOWNSHIP_DISCIPLINE, tree.township, "tdiscipline"),
        reviewer=make_user(Role.TOWNSHIP_REVIEWER, tree.township, "reviewer"),
        county=make_user(Role.COUNTY_DISCIPLINE, tree.county, "cdiscipline"),
        other_chair=make_user(Role.VILLAGE_CHAIR, tree.sibling_village, "otherchair"),
        far=make_user(Role.TOWNSHIP_DISCIPLINE, tree.other_township, "fardiscipline"),
        nobody=make_user(None, None, "nobody"),
    )


@pytest.fixture
def village_bodies(tree, make_person):
    """Every body of the test village; each named body has its own members from DAY0.

    Sizes: branch committee 3, two committees 6, party members 9, representatives 12, supervision 3.
    The secretary and the chair are different people (no dual office).
    """
    from sunlit.deliberation.services import body_create, membership_add
    from sunlit.deliberation.vocab import BodyKind, Position

    v = tree.village
    people = [make_person(v) for _ in range(15)]
    sizes = {
        BodyKind.BRANCH_COMMITTEE: people[:3],
        BodyKind.TWO_COMMITTEES: people[:6],
        BodyKind.PARTY_MEMBERS: people[:9],
        BodyKind.VILLAGER_REPRESENTATIVES: people[3:15],
        BodyKind.SUPERVISION_COMMITTEE: people[12:15],
    }
    bodies = {}
    for kind, members in sizes.items():
        body = body_create(actor=None, village=v, kind=kind)
        for i, person in enumerate(members):
            position = Position.MEMBER
            if kind in (BodyKind.BRANCH_COMMITTEE, BodyKind.TWO_COMMITTEES) and i == 0:
                position = Position.SECRETARY
            if kind == BodyKind.TWO_COMMITTEES and i == 1:
                position = Position.CHAIR
            membership_add(actor=None, body=body, person=person, started_on=DAY0, position=position)
        bodies[kind] = body
    bodies[BodyKind.VILLAGERS_MEETING] = body_create(actor=None, village=v, kind=BodyKind.VILLAGERS_MEETING)
    return SimpleNamespace(people=people, by_kind=bodies, **{k.value: b for k, b in bodies.items()})
