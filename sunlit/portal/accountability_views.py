"""Public pages of accountability: the public naming notices (通报曝光) of a region (any level: a
county lists those of all its villages) and one notice. Thin views over
sunlit.accountability.selectors; the text was masked when it was published (the county's naming rule
for names, never an ID number or phone)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sunlit.accountability import selectors
from sunlit.core.errors import NotFound
from sunlit.regions import selectors as regions

PAGE_SIZE = 20


def _region_or_404(code: str):
    try:
        return regions.region_get(code)
    except NotFound:
        raise Http404 from None


@require_GET
def naming_list(request: HttpRequest, code: str) -> HttpResponse:
    region = _region_or_404(code)
    page = Paginator(selectors.public_notices(region), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/accountability/list.html",
        {"region": region, "ancestors": regions.region_ancestors(region, include_self=False), "page": page},
    )


@require_GET
def naming_detail(request: HttpRequest, code: str, notice_id: int) -> HttpResponse:
    region = _region_or_404(code)
    try:
        notice = selectors.public_notice(notice_id)
    except NotFound:
        raise Http404 from None
    if not notice.village.path.startswith(region.path):
        raise Http404
    return render(
        request,
        "portal/accountability/detail.html",
        {
            "region": region,
            "ancestors": regions.region_ancestors(region, include_self=False),
            "notice": notice,
        },
    )
