"""“我的资金”: a villager sees the benefits and payments made to them, and nothing else.

The villager types a name and a resident ID number. The number is turned into its keyed hash
(``sunlit.core.pii_store.id_hash``); a :class:`~sunlit.people.models.Person` matches only if both the
hash and the name agree. Any other outcome (malformed number, unknown number, known number with
another name) shows the same “nothing found” page, so the form cannot be used to learn who is
registered. What is shown for a match:

* **benefits**: cases of the benefit categories (relief, farm subsidies, public services) that ended
  approved (the end step ``done`` of the standard catalog, ``APPROVED_END_KEYS``) where the person is a
  party as applicant or beneficiary;
* **payments**: ``sunlit.finance.selectors.payments_for_person(*, person)`` when the finance app
  provides it (objects with ``date``, ``purpose``, ``amount``, ``source``). The function is looked up
  once, at import time (``PAYMENTS_FOR_PERSON``); while the finance app does not provide it the page
  says that payments are not available yet instead of pretending there are none.

Abuse limits (Django's cache, alias ``SUNLIT_PORTAL_CACHE``): at most ``SUNLIT_MYFUNDS_PER_IP``
lookups per address (default 10) and ``SUNLIT_MYFUNDS_PER_ID`` per ID number (default 5) per
``SUNLIT_MYFUNDS_WINDOW_SECONDS`` (default 3600). Both keys are keyed hashes, so the cache holds
neither addresses nor ID numbers. Lookups are counted per day and outcome (LookupCount) and never
logged with the number.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sunlit.cases.models import CaseParty
from sunlit.cases.vocab import CaseStatus, PartyRole
from sunlit.core.masking import id_number_valid, normalize_id_number
from sunlit.core.pii_store import id_hash, keyed_hash
from sunlit.people.models import Person
from sunlit.powers.vocab import ItemCategory

from .cache import cache, setting
from .models import LookupCount, LookupOutcome

APPROVED_END_KEYS = ("done",)  # end steps at which a benefit was granted (standard catalog)
BENEFIT_CATEGORIES = (ItemCategory.RELIEF, ItemCategory.FARM_SUBSIDIES, ItemCategory.PUBLIC_SERVICE)


def _finance_payments() -> Callable[..., Any] | None:
    """``sunlit.finance.selectors.payments_for_person`` if the finance app provides it, else None.

    Only the absence of the module or of the function is tolerated; any other import error (a bug
    in the finance app) is raised, so it is never silently mistaken for “no payments”.
    """
    try:
        module = importlib.import_module("sunlit.finance.selectors")
    except ModuleNotFoundError as exc:
        if exc.name != "sunlit.finance.selectors":
            raise
        return None
    return getattr(module, "payments_for_person", None)


PAYMENTS_FOR_PERSON = _finance_payments()


class MyFundsForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    id_number = forms.CharField(
        label=_("Your resident ID number"),
        max_length=30,
        help_text=_("18 characters, as on your ID card."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text", "spellcheck": "false"}),
    )


@dataclass
class Benefit:
    item: str
    village: str
    role: str
    amount: Decimal | None
    decided_on: Any
    tracking_no: str


@dataclass
class Result:
    name: str
    id_masked: str
    benefits: list[Benefit]
    payments: list[Any] | None  # None: the finance app does not provide payments yet


def _setting(name: str, default: int) -> int:
    return setting(name, default)


def _window() -> int:
    return max(_setting("SUNLIT_MYFUNDS_WINDOW_SECONDS", 3600), 1)


def _hit(key: str, limit: int) -> bool:
    """Count one attempt under ``key`` in the current window; False once over ``limit``."""
    backend = cache()
    window = _window()
    slot = int(timezone.now().timestamp()) // window
    full = f"portal:myfunds:{key}:{slot}"
    backend.add(full, 0, window)
    try:
        count = backend.incr(full)
    except ValueError:  # evicted between add and incr
        backend.set(full, 1, window)
        count = 1
    return count <= limit


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def allowed_for_address(request) -> bool:
    key = "ip:" + keyed_hash(client_address(request), purpose="myfunds-ip")
    return _hit(key, _setting("SUNLIT_MYFUNDS_PER_IP", 10))


def allowed_for_id(number_hash: str) -> bool:
    key = "id:" + keyed_hash(number_hash, purpose="myfunds-id")
    return _hit(key, _setting("SUNLIT_MYFUNDS_PER_ID", 5))


def count(outcome: str) -> None:
    day = timezone.localdate()
    if not LookupCount.objects.filter(day=day, outcome=outcome).update(count=F("count") + 1):
        _, created = LookupCount.objects.get_or_create(day=day, outcome=outcome, defaults={"count": 1})
        if not created:
            LookupCount.objects.filter(day=day, outcome=outcome).update(count=F("count") + 1)


def _same_name(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split()) and bool(a.strip())


def find_person(name: str, number: str) -> Person | None:
    """The person with this ID number and this name, or None (same for every kind of mismatch)."""
    normal = normalize_id_number(number)
    if not id_number_valid(normal):
        return None
    person = Person.objects.filter(id_hash=id_hash(normal)).first()
    if person is None or not _same_name(person.name, name):
        return None
    return person


def benefits_of(person: Person) -> list[Benefit]:
    parties = (
        CaseParty.objects.filter(
            person=person,
            role__in=[PartyRole.APPLICANT, PartyRole.BENEFICIARY],
            case__status=CaseStatus.COMPLETED,
            case__end_step_key__in=APPROVED_END_KEYS,
            case__item__category__in=BENEFIT_CATEGORIES,
        )
        .select_related("case", "case__item", "case__village")
        .order_by("-case__closed_at", "-id")
    )
    seen: set[int] = set()
    benefits = []
    for party in parties:
        if party.case_id in seen:  # applicant and beneficiary of the same case: one row
            continue
        seen.add(party.case_id)
        benefits.append(
            Benefit(
                item=party.case.item.name,
                village=party.case.village.name,
                role=party.get_role_display(),
                amount=party.case.amount,
                decided_on=party.case.closed_at,
                tracking_no=party.case.tracking_no,
            )
        )
    return benefits


def lookup(person: Person) -> Result:
    payments = list(PAYMENTS_FOR_PERSON(person=person)) if PAYMENTS_FOR_PERSON is not None else None
    return Result(
        name=person.name,
        id_masked=getattr(person, "id_masked", "") or "",
        benefits=benefits_of(person),
        payments=payments,
    )


def run_lookup(request, *, name: str, number: str) -> tuple[str, Result | None]:
    """One counted lookup: (outcome, result). LIMITED when the address or the number is over its
    limit; NOT_FOUND for every kind of mismatch; FOUND with the person's own records."""
    if not allowed_for_address(request):
        count(LookupOutcome.LIMITED)
        return LookupOutcome.LIMITED, None
    normal = normalize_id_number(number)
    if id_number_valid(normal) and not allowed_for_id(id_hash(normal)):
        count(LookupOutcome.LIMITED)
        return LookupOutcome.LIMITED, None
    person = find_person(name, number)
    if person is None:
        count(LookupOutcome.NOT_FOUND)
        return LookupOutcome.NOT_FOUND, None
    count(LookupOutcome.FOUND)
    return LookupOutcome.FOUND, lookup(person)
