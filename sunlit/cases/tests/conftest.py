"""Fixtures for the case engine: the standard catalog in force in a township, and its cadres."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from sunlit.accounts.roles import Role


@pytest.fixture
def standard(tree):
    """The standard template catalog, published by the county and adopted by the township."""
    from sunlit.powers.services import adoption_set, catalog_load_standard

    catalog = catalog_load_standard(owner=tree.county, publish=True)
    adoption_set(actor=None, region=tree.township, catalog=catalog)
    return catalog


@pytest.fixture
def people(tree, make_user):
    """Staff of the test village, its township and county, plus outsiders."""

    class People:
        secretary = make_user(Role.VILLAGE_SECRETARY, tree.village, "secretary")
        chair = make_user(Role.VILLAGE_CHAIR, tree.village, "chair")
        committee = make_user(Role.VILLAGE_COMMITTEE, tree.village, "committee")
        supervisor = make_user(Role.VILLAGE_SUPERVISOR, tree.village, "supervisor")
        reviewer = make_user(Role.TOWNSHIP_REVIEWER, tree.township, "reviewer")
        township_discipline = make_user(Role.TOWNSHIP_DISCIPLINE, tree.township, "tdiscipline")
        county_department = make_user(Role.COUNTY_DEPARTMENT, tree.county, "mingzheng")
        county_discipline = make_user(Role.COUNTY_DISCIPLINE, tree.county, "cdiscipline")
        other_chair = make_user(Role.VILLAGE_CHAIR, tree.sibling_village, "otherchair")
        far_reviewer = make_user(Role.TOWNSHIP_REVIEWER, tree.other_township, "farreviewer")
        nobody = make_user(None, None, "nobody")

    return People


def pdf_bytes(label: str) -> bytes:
    """A small, distinct PDF-looking file per label."""
    return b"%PDF-1.4\n% " + hashlib.sha256(label.encode()).hexdigest().encode() + b"\n%%EOF\n"


@pytest.fixture
def upload_all():
    """Upload every document the case's active step requires (as ``actor``)."""
    from sunlit.cases.services import document_upload

    def upload(case, actor, *, skip: tuple[str, ...] = ()) -> list[Any]:
        case.refresh_from_db()
        step = case.current.step
        return [
            document_upload(
                actor=actor,
                case=case,
                name=name,
                data=pdf_bytes(f"{case.pk}-{case.current.sequence}-{name}"),
                filename=f"{name}.pdf",
            )
            for name in step.documents
            if name not in skip
        ]

    return upload
