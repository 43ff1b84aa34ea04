"""Public pages of deliberation: a village's published decisions (plans, resolutions and results of
四议两公开) and its meeting calendar with an iCalendar export. Counts only, never attendees' names;
personal data typed into a publication's text is masked."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from sunlit.core.errors import NotFound
from sunlit.core.masking import mask_pii
from sunlit.deliberation import ical, selectors
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
def decisions(request: HttpRequest, code: str) -> HttpResponse:
    village = _village(code)
    page = Paginator(selectors.public_publications(village), 20).get_page(request.GET.get("page"))
    return render(request, "portal/deliberation/decisions.html", {**_base(village), "page": page})


@require_GET
def publication(request: HttpRequest, code: str, publication_id: int) -> HttpResponse:
    village = _village(code)
    try:
        pub = selectors.public_publication(village, publication_id)
    except NotFound:
        raise Http404 from None
    return render(
        request,
        "portal/deliberation/publication.html",
        {
            **_base(village),
            "pub": pub,
            "title": mask_pii(pub.title),
            "body": mask_pii(pub.body),
            "resolution": pub.resolution,
            "posted": timezone.now() < pub.period_end,
        },
    )


@require_GET
def meetings(request: HttpRequest, code: str) -> HttpResponse:
    village = _village(code)
    now = timezone.now()
    qs = selectors.public_meetings(village)
    upcoming = list(qs.filter(starts_at__gte=now)[:50])
    past = Paginator(qs.filter(starts_at__lt=now).order_by("-starts_at", "-id"), 20).get_page(
        request.GET.get("page")
    )
    return render(
        request, "portal/deliberation/meetings.html", {**_base(village), "upcoming": upcoming, "page": past}
    )


@require_GET
def meetings_ics(request: HttpRequest, code: str) -> HttpResponse:
    village = _village(code)
    base = request.build_absolute_uri(f"/r/{village.code}/meetings/")
    text = ical.calendar(
        selectors.public_meetings(village, include_cancelled=True)[:1000],
        name=f"{village.name} · 议事日历",
        url_for=lambda m: base,
    )
    response = HttpResponse(text.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meetings-{village.code}.ics"'
    return response
