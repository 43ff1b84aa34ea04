"""Public disclosure pages (三务公开): the village's nine modules, module lists, item pages with their
public version history, attachments, feeds, the printable notice, search and “my funds”.

Thin views over ``sunlit.disclosure.selectors`` (published content only; what a version holds is
already masked by the disclosure services). Anonymous GET pages are cached per language and
invalidated on publish (sunlit/portal/cache.py); “my funds” is never cached.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import feedgenerator, timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from sunlit.cases import selectors as case_selectors
from sunlit.cases.vocab import CaseStatus
from sunlit.core.errors import NotFound
from sunlit.core.models import AuditEvent
from sunlit.disclosure import selectors
from sunlit.disclosure.models import Disclosure, DisclosureVersion
from sunlit.disclosure.vocab import AttachmentState, DisclosureModule, DisclosureStatus
from sunlit.regions import selectors as regions
from sunlit.regions.models import Region, RegionLevel

from . import myfunds, pdf
from .cache import cached_page, csrf_context, disclosure_scope, village_scope

LATEST_PER_MODULE = 3
LATEST_RESULTS = 5
PAGE_SIZE = 20
FEED_SIZE = 50
MODULE_LABELS = dict(DisclosureModule.choices)


def _village(code: str) -> Region:
    try:
        region = regions.region_get(code)
    except NotFound:
        raise Http404 from None
    if region.level != RegionLevel.VILLAGE:
        raise Http404
    return region


def _module(module: str) -> str:
    if module not in DisclosureModule.values:
        raise Http404
    return module


def _by_code(**kwargs: Any) -> str | None:
    return village_scope(kwargs["code"])


def days_left(period_end: datetime.date | None, today: datetime.date | None = None) -> int | None:
    """Whole days left including today (the last day of the period counts as 1), None without an end."""
    if period_end is None:
        return None
    return (period_end - (today or timezone.localdate())).days + 1


def publisher_label(user: Any) -> str:
    """Who published, as the public sees it: the staff member's display name, never a username."""
    if user is None:
        return _("Published automatically by the platform")
    return user.display_name or _("Village staff")


# --- the village page ----------------------------------------------------------------------------------


def _latest_per_module(village: Region) -> dict[str, list[Disclosure]]:
    """The latest LATEST_PER_MODULE items of every module, in one query (a window function)."""
    ranked = (
        selectors.disclosures_for_village(village)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("module")],
                order_by=[F("first_published_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=LATEST_PER_MODULE)
    )
    latest: dict[str, list[Disclosure]] = {m: [] for m in DisclosureModule.values}
    for item in ranked:
        latest[item.module].append(item)
    return latest


def _results(village: Region) -> QuerySet[Disclosure]:
    """Publications of finished procedures: a case's own result (source ``cases.case:…``) or anything
    published about a case after it closed."""
    return selectors.disclosures_for_village(village).filter(
        Q(source__startswith="cases.case:")
        | Q(
            case__status__in=[CaseStatus.COMPLETED, CaseStatus.TERMINATED],
            first_published_at__gte=F("case__closed_at"),
        )
    )[:LATEST_RESULTS]


def village_context(village: Region) -> dict[str, Any]:
    """What the village page adds to the region page: a constant number of queries."""
    today = timezone.localdate()
    now = timezone.now()
    case_notices = list(case_selectors.notices_open(village))
    for notice in case_notices:
        notice.days_left = max((notice.closes_at - now).days, 0)
        notice.hours_left = max(int((notice.closes_at - now).total_seconds() // 3600), 0)
    sources = {f"cases.notice:{n.pk}" for n in case_notices}
    open_items = [
        d for d in selectors.open_notices_for_village(village, today=today) if d.source not in sources
    ]
    for item in open_items:
        item.days_left = days_left(item.current.period_end, today)
    latest = _latest_per_module(village)
    counts = selectors.module_counts(village)
    modules = [
        {"value": value, "label": label, "count": counts.get(value, 0), "latest": latest[value]}
        for value, label in DisclosureModule.choices
    ]
    return {
        "case_notices": case_notices,
        "open_items": open_items,
        "modules": modules,
        "results": list(_results(village)),
        "contact": selectors.supervision_contact(village),
    }


# --- module list ---------------------------------------------------------------------------------------


class DateRangeForm(forms.Form):
    date_from = forms.DateField(
        label=gettext_lazy("Published from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("Published until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            raise forms.ValidationError(_("The end date is before the start date."))
        return data


def _date_filtered(qs: QuerySet[Disclosure], form: DateRangeForm) -> QuerySet[Disclosure]:
    if not form.is_valid():
        return qs
    tz = timezone.get_current_timezone()
    if form.cleaned_data.get("date_from"):
        start = datetime.datetime.combine(form.cleaned_data["date_from"], datetime.time.min, tz)
        qs = qs.filter(first_published_at__gte=start)
    if form.cleaned_data.get("date_to"):
        end = datetime.datetime.combine(
            form.cleaned_data["date_to"] + datetime.timedelta(days=1), datetime.time.min, tz
        )
        qs = qs.filter(first_published_at__lt=end)
    return qs


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
@cached_page(_by_code)
def module_list(request: HttpRequest, code: str, module: str) -> HttpResponse:
    village = _village(code)
    module = _module(module)
    form = DateRangeForm(request.GET or None)
    qs = _date_filtered(selectors.disclosures_for_village(village, module), form)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    response = render(
        request,
        "portal/disclosure/module.html",
        {
            "region": village,
            "ancestors": regions.region_ancestors(village, include_self=False),
            "module": module,
            "module_label": MODULE_LABELS[module],
            "modules": DisclosureModule.choices,
            "form": form,
            "page": page,
            "query": _query_without_page(request),
            **csrf_context(),
        },
        status=200 if form.is_bound is False or form.is_valid() else 400,
    )
    return response


# --- the item page, its versions and attachments -------------------------------------------------------


def _public_or_404(code: str) -> Disclosure:
    try:
        return selectors.disclosure_public_get(code)
    except NotFound:
        raise Http404 from None


def _case_notice(disclosure: Disclosure):
    """The case notice this disclosure publishes (its objection form), if it comes from one."""
    source = disclosure.source or ""
    if not source.startswith("cases.notice:"):
        return None
    from sunlit.cases.models import Notice

    return Notice.objects.filter(pk=source.partition(":")[2]).only("code", "opens_at", "closes_at").first()


def _disclosure(**kwargs: Any) -> str | None:
    return disclosure_scope(str(kwargs["code"])[:24])


def _item_context(disclosure: Disclosure, version: DisclosureVersion) -> dict[str, Any]:
    withdrawn = disclosure.status == DisclosureStatus.WITHDRAWN
    attachments = list(version.attachments.all())
    return {
        "disclosure": disclosure,
        "version": version,
        "region": disclosure.village,
        "ancestors": regions.region_ancestors(disclosure.village, include_self=False),
        "module_label": MODULE_LABELS.get(disclosure.module, disclosure.module),
        "withdrawn": withdrawn,
        "entries": list(version.entries.all()),
        "public_attachments": [a for a in attachments if a.state == AttachmentState.PUBLIC],
        "withheld_attachments": [a for a in attachments if a.state != AttachmentState.PUBLIC],
        "publisher": publisher_label(version.publisher),
        "days_left": days_left(version.period_end),
        "case_notice": _case_notice(disclosure),
        "is_current": version.pk == disclosure.current_id,
        **csrf_context(),
    }


@require_GET
@cached_page(_disclosure)
def disclosure_page(request: HttpRequest, code: str) -> HttpResponse:
    disclosure = _public_or_404(code)
    context = _item_context(disclosure, disclosure.current)
    context["history"] = selectors.disclosure_history(disclosure)
    response = render(request, "portal/disclosure/item.html", context)
    response.sunlit_count = (disclosure.village_id, disclosure.code)
    return response


@require_GET
@cached_page(_disclosure)
def version_page(request: HttpRequest, code: str, number: int) -> HttpResponse:
    disclosure = _public_or_404(code)
    try:
        version = selectors.disclosure_version_get(disclosure, number)
    except NotFound:
        raise Http404 from None
    context = _item_context(disclosure, version)
    context["history"] = selectors.disclosure_history(disclosure)
    return render(request, "portal/disclosure/item.html", context)


@require_GET
def attachment_download(request: HttpRequest, code: str, number: int, position: int) -> FileResponse:
    from sunlit.cases.documents import open_stored

    try:
        attachment = selectors.attachment_public_get(code, number, position)
    except NotFound:
        raise Http404 from None
    if attachment.version.disclosure.status == DisclosureStatus.WITHDRAWN:
        raise Http404
    try:
        handle = open_stored(attachment.sha256)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name or attachment.name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def publication_event(disclosure: Disclosure, version: DisclosureVersion) -> AuditEvent | None:
    """The ledger event that published ``version`` (published, corrected or redacted)."""
    events = AuditEvent.objects.filter(
        subject=f"disclosure.disclosure:{disclosure.pk}",
        kind__in=["disclosure.published", "disclosure.corrected", "disclosure.redacted"],
    ).order_by("seq")
    for event in events:
        try:
            number = int(json.loads(bytes(event.leaf))["payload"].get("version", 0))
        except (ValueError, KeyError, TypeError):
            continue
        if number == version.number:
            return event
    return None


@require_GET
@cached_page(_disclosure)
def disclosure_pdf(request: HttpRequest, code: str) -> HttpResponse:
    disclosure = _public_or_404(code)
    if disclosure.status == DisclosureStatus.WITHDRAWN:
        raise Http404
    version = disclosure.current
    event = publication_event(disclosure, version)
    sheet = pdf.Sheet(
        code=disclosure.code,
        title=version.title,
        body=version.body,
        village=" ".join(
            [a.name for a in regions.region_ancestors(disclosure.village, include_self=False)[-2:]]
            + [disclosure.village.name]
        ),
        module=str(MODULE_LABELS.get(disclosure.module, disclosure.module)),
        period_start=version.period_start,
        period_end=version.period_end,
        published_at=version.published_at,
        publisher=publisher_label(version.publisher),
        version=version.number,
        url=request.build_absolute_uri(reverse("portal:disclosure", args=[disclosure.code])),
        coverage=pdf.coverage_of(event) if event is not None else None,
    )
    response = HttpResponse(pdf.render(sheet), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{disclosure.code}.pdf"'
    return response


# --- feeds ---------------------------------------------------------------------------------------------


def _feed(request: HttpRequest, *, title: str, link: str, feed_url: str, items) -> HttpResponse:
    feed = feedgenerator.Atom1Feed(
        title=title,
        link=request.build_absolute_uri(link),
        description=title,
        feed_url=request.build_absolute_uri(feed_url),
        language=request.LANGUAGE_CODE,
        feed_guid=request.build_absolute_uri(feed_url),
    )
    for item in items:
        url = request.build_absolute_uri(reverse("portal:disclosure", args=[item.code]))
        feed.add_item(
            title=item.current.title,
            link=url,
            description=Truncator(item.current.body).chars(400),
            unique_id=url,
            unique_id_is_permalink=True,
            pubdate=item.first_published_at,
            updateddate=item.current.published_at,
            categories=[str(MODULE_LABELS.get(item.module, item.module))],
        )
    response = HttpResponse(content_type=f"{feed.content_type}")
    feed.write(response, "utf-8")
    return response


@require_GET
@cached_page(_by_code)
def village_feed(request: HttpRequest, code: str) -> HttpResponse:
    village = _village(code)
    items = selectors.disclosures_for_village(village)[:FEED_SIZE]
    return _feed(
        request,
        title=_("Disclosures of %(village)s") % {"village": village.name},
        link=reverse("portal:region", args=[village.code]),
        feed_url=reverse("portal:village_feed", args=[village.code]),
        items=items,
    )


@require_GET
@cached_page(_by_code)
def module_feed(request: HttpRequest, code: str, module: str) -> HttpResponse:
    village = _village(code)
    module = _module(module)
    items = selectors.disclosures_for_village(village, module)[:FEED_SIZE]
    return _feed(
        request,
        title=_("%(module)s of %(village)s") % {"module": MODULE_LABELS[module], "village": village.name},
        link=reverse("portal:disclosure_module", args=[village.code, module]),
        feed_url=reverse("portal:module_feed", args=[village.code, module]),
        items=items,
    )


# --- search --------------------------------------------------------------------------------------------


class SearchForm(DateRangeForm):
    q = forms.CharField(label=gettext_lazy("Words to look for"), max_length=100, required=False)
    module = forms.ChoiceField(label=gettext_lazy("Module"), required=False)
    region = forms.ChoiceField(label=gettext_lazy("Region"), required=False)

    field_order = ["q", "module", "region", "date_from", "date_to"]

    def __init__(self, *args: Any, regions_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["module"].choices = [("", _("All modules")), *DisclosureModule.choices]
        self.fields["region"].choices = [("", _("Everywhere")), *regions_choices]


def _region_choices(selected: str) -> list[tuple[str, str]]:
    """Counties of every city, and the selected region (e.g. a village the search started from)."""
    cities = Region.objects.filter(level=RegionLevel.CITY).order_by("code")
    counties = Region.objects.filter(level=RegionLevel.COUNTY, parent__in=cities).order_by("code")
    choices = [(c.code, c.name) for c in cities] + [(c.code, f"— {c.name}") for c in counties]
    if selected and selected not in {c for c, _label in choices}:
        region = Region.objects.filter(code=selected[:12]).first()
        if region is not None:
            choices.append((region.code, region.name))
    return choices


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None, regions_choices=_region_choices(request.GET.get("region", "")))
    page = None
    status = 200
    if form.is_bound:
        if form.is_valid() and form.cleaned_data["q"].strip():
            region = None
            if form.cleaned_data["region"]:
                region = Region.objects.filter(code=form.cleaned_data["region"]).first()
            qs = selectors.disclosure_search(
                form.cleaned_data["q"],
                region=region,
                module=form.cleaned_data["module"] or None,
                date_from=form.cleaned_data.get("date_from"),
                date_to=form.cleaned_data.get("date_to"),
            ).select_related("village")
            page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        elif not form.is_valid():
            status = 400
    return render(
        request,
        "portal/disclosure/search.html",
        {"form": form, "page": page, "query": _query_without_page(request), "module_labels": MODULE_LABELS},
        status=status,
    )


# --- my funds --------------------------------------------------------------------------------------------


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def my_funds(request: HttpRequest) -> HttpResponse:
    """“我的资金”: POST a name and ID number, see one's own benefits and payments (myfunds.py)."""
    form = myfunds.MyFundsForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            outcome, result = myfunds.run_lookup(
                request, name=form.cleaned_data["name"], number=form.cleaned_data["id_number"]
            )
            context.update(
                limited=outcome == myfunds.LookupOutcome.LIMITED,
                not_found=outcome == myfunds.LookupOutcome.NOT_FOUND,
                result=result,
                form=myfunds.MyFundsForm(),  # never echo the number back
            )
            status = 429 if outcome == myfunds.LookupOutcome.LIMITED else 200
        else:
            status = 422
    response = render(request, "portal/disclosure/myfunds.html", context, status=status)
    response["Cache-Control"] = "no-store, private"
    response["X-Robots-Tag"] = "noindex"
    return response
