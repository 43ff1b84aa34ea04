"""Public pages of finance: a village's monthly finance statements (三资 disclosure), its contracts,
and one contract's public history. Counterparties who are private persons are masked; ID numbers,
vouchers and bank numbers never appear."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from sunlit.core.errors import NotFound
from sunlit.finance import selectors
from sunlit.finance.disclosure import public_text
from sunlit.finance.services import parse_month
from sunlit.regions import selectors as regions
from sunlit.regions.models import Region, RegionLevel


def _village(code: str) -> Region:
    try:
        village = regions.region_get(code)
    except NotFound:
        raise Http404 from None
    if village.level != RegionLevel.VILLAGE:
        raise Http404
    return village


def _base(village: Region) -> dict:
    return {"region": village, "ancestors": regions.region_ancestors(village, include_self=False)}


@require_GET
def village_finance(request: HttpRequest, code: str) -> HttpResponse:
    village = _village(code)
    statements = list(selectors.public_statements(village)[:24])
    latest = statements[0] if statements else None
    contracts = Paginator(selectors.public_contracts(village), 20).get_page(request.GET.get("page"))
    rows = [{"contract": c, "counterparty": selectors.public_counterparty(c.counterparty)} for c in contracts]
    return render(
        request,
        "portal/finance/village.html",
        {**_base(village), "statements": statements, "latest": latest, "page": contracts, "rows": rows},
    )


@require_GET
def statement(request: HttpRequest, code: str, month: str) -> HttpResponse:
    village = _village(code)
    first = parse_month(month)
    if first is None:
        raise Http404
    try:
        row = selectors.public_statement(village, first)
    except NotFound:
        raise Http404 from None
    return render(
        request, "portal/finance/statement.html", {**_base(village), "statement": row, "body": row.body}
    )


@require_GET
def contract(request: HttpRequest, code: str, contract_id: int) -> HttpResponse:
    village = _village(code)
    try:
        item = selectors.public_contract(village, contract_id)
    except NotFound:
        raise Http404 from None
    history = selectors.contract_history(item, today=timezone.localdate())
    chain = [{"contract": c, "price": c.annual_price or c.amount} for c in history.chain]
    payments = [
        {"date": e.date, "amount": e.amount, "instalment": e.instalment.sequence if e.instalment else None}
        for e in history.entries
    ]
    return render(
        request,
        "portal/finance/contract.html",
        {
            **_base(village),
            "contract": item,
            "title": public_text(item.title, item.counterparty),
            "counterparty": selectors.public_counterparty(item.counterparty),
            "history": history,
            "chain": chain,
            "payments": payments,
            "events": [
                {"event": ev, "note": public_text(ev.note, item.counterparty)} for ev in history.events
            ],
            "today": timezone.localdate(),
        },
    )
