"""Helpers for the conflict, eligibility and money rule tests: residents, parties, reference files."""

from __future__ import annotations

import datetime

from sunlit.cases.models import CaseParty
from sunlit.people.models import Person
from sunlit.people.reference import reference_import
from sunlit.people.services import PersonData, person_create
from sunlit.supervision.engine import sweep
from sunlit.supervision.models import Alert

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(n: int, born: str = "19700101") -> str:
    """A valid resident ID number of Guangshan county, distinct per ``n``."""
    first17 = f"411522{born}{n:03d}"
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def resident(village, name: str, n: int) -> Person:
    return person_create(actor=None, data=PersonData(village=village, name=name, id_number=id_number(n)))


def add_party(case, person: Person, role: str = "beneficiary") -> CaseParty:
    return CaseParty.objects.create(case=case, role=role, person=person, name=person.name)


def load(kind: str, header: str, *rows: str):
    return reference_import(actor=None, kind=kind, source=("\n".join([header, *rows]) + "\n").encode())


def alerts(rule: str) -> list[Alert]:
    return list(Alert.objects.filter(rule_code=rule).order_by("id"))


def run(rule: str, now: datetime.datetime | None = None) -> list[Alert]:
    sweep(rule_codes=[rule], now=now)
    return alerts(rule)


def reset() -> None:
    from sunlit.supervision.models import AlertAction

    AlertAction.objects.all().delete()
    Alert.objects.all().delete()
