"""Automatic publication from cases (no edit of sunlit.cases: we listen to its ledger events).

- ``notice.opened`` (subject ``cases.notice:<pk>``): the notice is published as a disclosure with its
  notice period (posted from the day it opens until the day it closes), linked to the case and with
  ``source`` = the notice's subject, so a re-delivered event publishes nothing twice.
- ``case.completed`` (subject ``cases.case:<pk>``): the result is published when it is public: the
  item's category has a module below other than None and the catalog states disclosure
  requirements for it. Villager services (certificates and the like, ``public_service``) concern one
  person and are not published.

Category → module (documented in docs/disclosure.md):
relief, farm_subsidies, land → livelihood (民生公示); decision, village_affairs → decisions (决策公示);
works_procurement → projects (项目公示); collective_assets → assets (三资管理); personnel, elections →
organisation (组织建设); public_service → services for notices, no result publication.

The listener only enqueues a task (run after commit); the task publishes as the system (actor None).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.core import events
from sunlit.powers.vocab import ItemCategory

from .vocab import DisclosureModule

CATEGORY_MODULE: dict[str, str] = {
    ItemCategory.RELIEF: DisclosureModule.LIVELIHOOD,
    ItemCategory.FARM_SUBSIDIES: DisclosureModule.LIVELIHOOD,
    ItemCategory.LAND: DisclosureModule.LIVELIHOOD,
    ItemCategory.DECISION: DisclosureModule.DECISIONS,
    ItemCategory.VILLAGE_AFFAIRS: DisclosureModule.DECISIONS,
    ItemCategory.WORKS_PROCUREMENT: DisclosureModule.PROJECTS,
    ItemCategory.COLLECTIVE_ASSETS: DisclosureModule.ASSETS,
    ItemCategory.PERSONNEL: DisclosureModule.ORGANISATION,
    ItemCategory.ELECTIONS: DisclosureModule.ORGANISATION,
    ItemCategory.PUBLIC_SERVICE: DisclosureModule.SERVICES,
}
# Categories whose results concern one villager only: the notice (if any) is public, the result is not.
PRIVATE_RESULTS = frozenset({ItemCategory.PUBLIC_SERVICE})
# Categories whose notices list beneficiaries: their parties become benefit-list rows.
BENEFIT_CATEGORIES = frozenset({ItemCategory.RELIEF, ItemCategory.FARM_SUBSIDIES, ItemCategory.LAND})


def module_for(category: str) -> str:
    return CATEGORY_MODULE.get(category, DisclosureModule.DECISIONS)


def _entries(case) -> list[dict]:
    from sunlit.cases.vocab import PartyRole

    if case.item.category not in BENEFIT_CATEGORIES:
        return []
    rows = []
    for party in case.parties.filter(role__in=(PartyRole.BENEFICIARY, PartyRole.APPLICANT)).order_by("id"):
        rows.append({"name": party.name[:60], "benefit": case.item.name[:100], "amount": case.amount})
    return rows


def publish_notice(notice_id: int):
    """Publish a case notice as a disclosure (idempotent); returns it, or None if the notice is gone."""
    from sunlit.cases.models import Notice

    from .errors import DisclosureError
    from .services import disclosure_publish

    notice = Notice.objects.select_related("case", "case__item", "village").filter(pk=notice_id).first()
    if notice is None:
        return None
    case = notice.case
    body = notice.body or ""
    lines = [
        body,
        # Not the tracking number: that is the applicant's own handle on the case (portal:track).
        _("Power item: %(item)s. Objections may be lodged until %(until)s.")
        % {
            "item": case.item.name,
            "until": timezone.localtime(notice.closes_at).strftime("%Y-%m-%d %H:%M"),
        },
    ]
    values = {
        "actor": None,
        "village": notice.village,
        "module": module_for(case.item.category),
        "title": notice.title,
        "body": "\n\n".join(line for line in lines if line),
        "period_start": timezone.localtime(notice.opens_at).date(),
        "period_end": timezone.localtime(notice.closes_at).date(),
        "source": f"cases.notice:{notice.pk}",
        "case": case,
        "now": notice.opens_at,
    }
    try:
        return disclosure_publish(**values, entries=_entries(case))
    except DisclosureError:
        # A party row that cannot be published (e.g. a name holding digits): publish the notice
        # without the list rather than not at all; the notice text itself is masked.
        return disclosure_publish(**values)


def publish_result(case_id: int):
    """Publish a completed case's result when it is public (idempotent); returns it or None."""
    from sunlit.cases.models import Case
    from sunlit.cases.vocab import CaseStatus

    from .services import disclosure_publish

    case = Case.objects.select_related("item", "village", "flow").filter(pk=case_id).first()
    if case is None or case.status != CaseStatus.COMPLETED or case.closed_at is None:
        return None
    if case.item.category in PRIVATE_RESULTS or not (case.item.disclosure or "").strip():
        return None
    end = case.flow.steps.filter(key=case.end_step_key).values_list("name", flat=True).first() or ""
    body = [
        _("Concluded on %(date)s under “%(item)s”: %(end)s.")
        % {
            "item": case.item.name,
            "date": timezone.localtime(case.closed_at).strftime("%Y-%m-%d"),
            "end": end,
        }
    ]
    if case.amount is not None:
        body.append(_("Amount: ¥%(amount)s.") % {"amount": case.amount})
    body.append(_("Disclosure requirement: %(text)s") % {"text": case.item.disclosure.strip()})
    return disclosure_publish(
        actor=None,
        village=case.village,
        module=module_for(case.item.category),
        title=_("Result: %(title)s") % {"title": case.title},
        body="\n\n".join(body),
        source=f"cases.case:{case.pk}:result",
        case=case,
        now=case.closed_at,
    )


def _on_event(kind: str, subject: str) -> None:
    from . import tasks

    app_model, _sep, pk = subject.rpartition(":")
    if not pk.isdigit():
        return
    if kind == "notice.opened" and app_model == "cases.notice":
        tasks.publish_case_notice.enqueue(notice_id=int(pk))
    elif kind == "case.completed" and app_model == "cases.case":
        tasks.publish_case_result.enqueue(case_id=int(pk))


def connect() -> None:
    events.listen(_on_event)
