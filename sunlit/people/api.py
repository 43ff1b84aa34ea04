"""Person registry endpoints: scoped, paginated, masked. Clear values only through the logged reveal."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import django_auth

from . import selectors, services
from .models import Person

router = Router(tags=["people"])


class PersonOut(Schema):
    id: int
    name: str
    id_masked: str
    phone_masked: str
    gender: str
    birth_date: datetime.date | None
    status: str
    died_on: datetime.date | None
    village_code: str
    household_number: str | None

    @staticmethod
    def resolve_village_code(obj: Person) -> str:
        return obj.village.code

    @staticmethod
    def resolve_household_number(obj: Person) -> str | None:
        return obj.household.number if obj.household else None


class RelativeOut(Schema):
    person: PersonOut
    relation: str
    source: str


class RevealIn(Schema):
    field: str
    reason: str


class RevealOut(Schema):
    field: str
    value: str


@router.get("/people", response=list[PersonOut], auth=django_auth, summary="Persons in my regions (masked)")
@paginate(LimitOffsetPagination)
def person_list(request: HttpRequest, village: str = "", status: str = "", name: str = ""):
    qs = selectors.persons_for_user(request.user)
    if village:
        qs = qs.filter(village__code=village)
    if status:
        qs = qs.filter(status=status)
    if name:
        qs = qs.filter(name__startswith=name[:50])
    return qs.order_by("village__code", "id")


@router.get("/people/{person_id}", response=PersonOut, auth=django_auth)
def person_detail(request: HttpRequest, person_id: int):
    return selectors.access_person(request.user, person_id)


@router.get("/people/{person_id}/relatives", response=list[RelativeOut], auth=django_auth)
def person_relatives(request: HttpRequest, person_id: int):
    person = selectors.access_person(request.user, person_id)
    return [
        {"person": link.person, "relation": link.relation, "source": link.source}
        for link in selectors.relatives_of(person)
    ]


@router.post(
    "/people/{person_id}/reveal",
    response=RevealOut,
    auth=django_auth,
    summary="Reveal a clear ID number or phone (logged, with the reason)",
)
def person_reveal(request: HttpRequest, person_id: int, payload: RevealIn):
    person = selectors.access_person(request.user, person_id)
    value = services.person_reveal(
        actor=request.user, person=person, field=payload.field, reason=payload.reason
    )
    return {"field": payload.field, "value": value}
