"""Staff disclosure pages: list, publish (with a preview of exactly what goes public), the item page
with its history, correct, redact, withdraw, the audited view of originals, attachments, the
periodic-disclosure overview and schedules, and the supervision committee's contact.

Thin views: parse a form, call a selector or a service of sunlit.disclosure, render. Every action is
a plain form post (redirect on success, the page with the refusal inline otherwise); the preview also
works as an htmx post that returns only the preview partial (``Vary: HX-Request``), so the chosen
files stay in the form.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sunlit.accounts.permissions import has_perm
from sunlit.accounts.roles import Perm
from sunlit.cases import documents as docstore
from sunlit.core.errors import DomainError, NotFound
from sunlit.core.tabular import ImportRejected
from sunlit.disclosure import selectors, services
from sunlit.disclosure.entries_import import read_entries
from sunlit.disclosure.models import DisclosureAttachment, DisclosureSchedule
from sunlit.disclosure.periods import obligations
from sunlit.disclosure.privacy import ENTRY_FIELDS, AttachmentInput
from sunlit.disclosure.vocab import AttachmentState, DisclosureModule, DisclosureStatus
from sunlit.regions.models import Region, RegionLevel
from sunlit.regions.selectors import region_get

from .disclosure_forms import (
    ContactForm,
    CorrectForm,
    DisclosureFilterForm,
    PublishForm,
    ReasonForm,
    RedactForm,
    ScheduleForm,
    add_domain_error,
)
from .views import staff_required

PAGE_SIZE = 25
OVERVIEW_MONTHS = 6


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _query(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- list ----------------------------------------------------------------------------------------


@staff_required
@require_GET
def disclosure_list(request: HttpRequest) -> HttpResponse:
    form = DisclosureFilterForm(request.GET or None)
    qs = selectors.disclosures_for_user(request.user)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            ids = selectors.disclosure_search(data["q"]).values("pk")
            qs = qs.filter(pk__in=ids)
        if data["village"]:
            qs = qs.filter(village__code=data["village"].strip())
        if data["module"]:
            qs = qs.filter(module=data["module"])
        if data["status"]:
            qs = qs.filter(status=data["status"])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "workbench/disclosure/list.html",
        {
            "form": form,
            "page": page,
            "query": _query(request),
            "may_publish": has_perm(request.user, Perm.DISCLOSURE_PUBLISH),
        },
    )


# --- publish ---------------------------------------------------------------------------------------


def _inputs(request: HttpRequest, form) -> tuple[list[Any] | None, list[AttachmentInput]]:
    """Benefit rows (None when no file was given) and attachments from the form's files."""
    entries = None
    upload = form.cleaned_data.get("entries_file")
    if upload:
        entries = read_entries(upload.read(), upload.name)
    attachments = []
    file = form.cleaned_data.get("attachment")
    if file:
        attachments.append(
            AttachmentInput(
                name=form.cleaned_data.get("attachment_name") or file.name,
                data=file.read(),
                filename=file.name,
                reviewed=bool(form.cleaned_data.get("attachment_reviewed")),
            )
        )
    return entries, attachments


def _import_errors(form, exc: ImportRejected) -> None:
    form.add_error("entries_file", str(exc.message))
    for error in exc.errors[:50]:
        form.add_error("entries_file", str(error))


@staff_required
@require_http_methods(["GET", "POST"])
def disclosure_publish(request: HttpRequest) -> HttpResponse:
    villages = list(selectors.publish_villages_for_user(request.user)[:2000])
    if not villages:
        raise Http404
    form = PublishForm(request.POST or None, request.FILES or None, villages=villages)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entries, attachments = _inputs(request, form)
            if request.POST.get("action") == "preview":
                preview = services.disclosure_preview(
                    title=data["title"], body=data["body"], entries=entries or (), attachments=attachments
                )
            else:
                disclosure = services.disclosure_publish(
                    actor=request.user,
                    village=region_get(data["village"]),
                    module=data["module"],
                    title=data["title"],
                    body=data["body"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    entries=entries or (),
                    attachments=attachments,
                )
                messages.success(request, _("Published as “%(code)s”.") % {"code": disclosure.code})
                return redirect("workbench:disclosure", code=disclosure.code)
        except ImportRejected as exc:
            _import_errors(form, exc)
        except DomainError as exc:
            add_domain_error(form, exc)
    context = {"form": form, "preview": preview, "action": "publish"}
    if _is_htmx(request) and request.POST.get("action") == "preview":
        response = render(request, "workbench/disclosure/form.html#preview", context)
    else:
        response = render(request, "workbench/disclosure/form.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


# --- the item page ------------------------------------------------------------------------------


def _redact_targets(disclosure) -> list[tuple[str, str]]:
    version = disclosure.current
    targets = [("title", _("Title")), ("body", _("Text"))]
    for entry in version.entries.all():
        for field in ENTRY_FIELDS:
            targets.append(
                (
                    f"entries.{entry.position + 1}.{field}",
                    _("Row %(row)d: %(column)s") % {"row": entry.position + 1, "column": field},
                )
            )
    for attachment in version.attachments.all():
        if attachment.state == AttachmentState.PUBLIC:
            targets.append(
                (f"attachment:{attachment.position}", _("Attachment “%(name)s”") % {"name": attachment.name})
            )
    return targets


def _detail_context(request: HttpRequest, disclosure, **extra: Any) -> dict[str, Any]:
    village = disclosure.village
    may_redact = has_perm(request.user, Perm.DISCLOSURE_REDACT, village)
    return {
        "disclosure": disclosure,
        "history": selectors.disclosure_history(disclosure),
        "may_publish": has_perm(request.user, Perm.DISCLOSURE_PUBLISH, village),
        "may_redact": may_redact,
        "withdrawn": disclosure.status == DisclosureStatus.WITHDRAWN,
        "redact_form": extra.pop("redact_form", None)
        or (RedactForm(targets=_redact_targets(disclosure)) if may_redact else None),
        "reason_form": extra.pop("reason_form", None) or ReasonForm(),
        **extra,
    }


@staff_required
@require_GET
def disclosure_detail(request: HttpRequest, code: str) -> HttpResponse:
    disclosure = selectors.access_disclosure(request.user, code)
    return render(request, "workbench/disclosure/detail.html", _detail_context(request, disclosure))


@staff_required
@require_http_methods(["GET", "POST"])
def disclosure_correct(request: HttpRequest, code: str) -> HttpResponse:
    disclosure = selectors.access_disclosure(request.user, code)
    if not has_perm(request.user, Perm.DISCLOSURE_PUBLISH, disclosure.village):
        raise Http404
    current = disclosure.current
    initial = {
        "title": current.title,
        "body": current.body,
        "period_start": current.period_start,
        "period_end": current.period_end,
    }
    form = CorrectForm(request.POST or None, request.FILES or None, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entries, attachments = _inputs(request, form)
            if request.POST.get("action") == "preview":
                preview = services.disclosure_preview(
                    title=data["title"], body=data["body"], entries=entries or (), attachments=attachments
                )
            else:
                version = services.disclosure_correct(
                    actor=request.user,
                    disclosure=disclosure,
                    title=data["title"],
                    body=data["body"],
                    reason=data["reason"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    entries=entries,
                    attachments=attachments if (attachments or data["replace_attachments"]) else None,
                )
                messages.success(request, _("Version %(n)d published.") % {"n": version.number})
                return redirect("workbench:disclosure", code=disclosure.code)
        except ImportRejected as exc:
            _import_errors(form, exc)
        except DomainError as exc:
            add_domain_error(form, exc)
    context = {"form": form, "preview": preview, "action": "correct", "disclosure": disclosure}
    if _is_htmx(request) and request.POST.get("action") == "preview":
        response = render(request, "workbench/disclosure/form.html#preview", context)
    else:
        response = render(request, "workbench/disclosure/form.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@staff_required
@require_POST
def disclosure_redact(request: HttpRequest, code: str) -> HttpResponse:
    disclosure = selectors.access_disclosure(request.user, code)
    if not has_perm(request.user, Perm.DISCLOSURE_REDACT, disclosure.village):
        raise Http404
    form = RedactForm(request.POST, targets=_redact_targets(disclosure))
    if form.is_valid():
        data = form.cleaned_data
        target = data["target"]
        attachment = None
        field: str | None = target
        if target.startswith("attachment:"):
            attachment = disclosure.current.attachments.filter(position=int(target.partition(":")[2])).first()
            field = None
        try:
            version = services.disclosure_redact(
                actor=request.user,
                disclosure=disclosure,
                reason=data["reason"],
                field=field,
                text=data["text"] or None,
                attachment=attachment,
            )
            messages.success(
                request, _("Version %(n)d published with the redaction.") % {"n": version.number}
            )
            return redirect("workbench:disclosure", code=disclosure.code)
        except DomainError as exc:
            add_domain_error(form, exc)
    context = _detail_context(request, disclosure, redact_form=form)
    return render(request, "workbench/disclosure/detail.html", context, status=422)


@staff_required
@require_POST
def disclosure_withdraw(request: HttpRequest, code: str) -> HttpResponse:
    disclosure = selectors.access_disclosure(request.user, code)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.disclosure_withdraw(
                actor=request.user, disclosure=disclosure, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("The disclosure was withdrawn."))
            return redirect("workbench:disclosure", code=disclosure.code)
        except DomainError as exc:
            add_domain_error(form, exc)
    context = _detail_context(request, disclosure, reason_form=form)
    return render(request, "workbench/disclosure/detail.html", context, status=422)


@staff_required
@require_POST
def disclosure_original(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """The unmasked original of a version, for disclosure.redact holders; every view is audited."""
    disclosure = selectors.access_disclosure(request.user, code)
    version = selectors.disclosure_version_get(disclosure, number)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            original = services.disclosure_original_reveal(
                actor=request.user, version=version, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            response = render(
                request,
                "workbench/disclosure/original.html",
                {"disclosure": disclosure, "version": version, "original": original},
            )
            response["Cache-Control"] = "private, no-store"
            return response
    context = _detail_context(request, disclosure, reason_form=form)
    return render(request, "workbench/disclosure/detail.html", context, status=422)


@staff_required
@require_http_methods(["GET", "POST"])
def disclosure_attachment(request: HttpRequest, code: str, number: int, position: int) -> HttpResponse:
    """A version's attachment: public ones by GET; withheld ones by POST with a reason (audited)."""
    disclosure = selectors.access_disclosure(request.user, code)
    version = selectors.disclosure_version_get(disclosure, number)
    attachment: DisclosureAttachment | None = version.attachments.filter(position=position).first()
    if attachment is None:
        raise Http404
    if attachment.state == AttachmentState.WITHHELD:
        form = ReasonForm(request.POST or None)
        if request.method != "POST" or not form.is_valid():
            raise Http404
        try:
            stored = services.attachment_original_open(
                actor=request.user, attachment=attachment, reason=form.cleaned_data["reason"]
            )
        except DomainError:
            raise Http404 from None
    else:
        stored = docstore.open_stored(attachment.sha256)
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=attachment.original_name or attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- periodic disclosures ---------------------------------------------------------------------------


@staff_required
@require_GET
def disclosure_schedules(request: HttpRequest) -> HttpResponse:
    """Which villages in scope owe what: owed periods of the last months, missing and late ones."""
    villages_qs = Region.objects.filter(level=RegionLevel.VILLAGE).filter(_scope_q(request))
    only_missing = request.GET.get("missing") == "1"
    today = timezone.localdate()
    since = today - datetime.timedelta(days=31 * OVERVIEW_MONTHS)
    page = Paginator(villages_qs.order_by("path"), PAGE_SIZE).get_page(request.GET.get("page"))
    villages = list(page)
    by_village: dict[int, list] = {v.pk: [] for v in villages}
    for ob in obligations(villages, today=today, since=since):
        by_village[ob.village_id].append(ob)
    rows = []
    for village in villages:
        obs = by_village[village.pk]
        missing = [o for o in obs if o.missing]
        late = [o for o in obs if not o.missing and o.late(today)]
        if only_missing and not missing:
            continue
        rows.append({"village": village, "owed": len(obs), "missing": missing, "late": late})
    schedules = list(
        DisclosureSchedule.objects.filter(_scope_q(request, "region"))
        .select_related("region")
        .order_by("region__path", "module")[:200]
    )
    return render(
        request,
        "workbench/disclosure/schedules.html",
        {
            "page": page,
            "rows": rows,
            "schedules": schedules,
            "only_missing": only_missing,
            "query": _query(request),
            "since": since,
            "modules": dict(DisclosureModule.choices),
            "may_manage": has_perm(request.user, Perm.RULE_MANAGE),
            "may_publish": has_perm(request.user, Perm.DISCLOSURE_PUBLISH),
        },
    )


def _scope_q(request: HttpRequest, prefix: str = ""):
    """Regions (or ``prefix`` FK) within the user's staff scopes."""
    from django.db.models import Q

    from sunlit.accounts.permissions import scopes_for

    field = f"{prefix}__path__startswith" if prefix else "path__startswith"
    q = Q(pk__in=[])
    for scope in scopes_for(request.user, Perm.STAFF_VIEW):
        q |= Q(**{field: scope.path})
    return q


@staff_required
@require_http_methods(["GET", "POST"])
def disclosure_schedule_edit(request: HttpRequest, region_code: str) -> HttpResponse:
    region = region_get(region_code)
    if not has_perm(request.user, Perm.RULE_MANAGE, region):
        raise Http404
    form = ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_set(actor=request.user, region=region, **form.cleaned_data)
            messages.success(request, _("Schedule saved."))
            return redirect("workbench:disclosure_schedules")
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(request, "workbench/disclosure/schedule_form.html", {"form": form, "region": region})


# --- supervision committee contact ---------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def disclosure_contact(request: HttpRequest, village_code: str) -> HttpResponse:
    try:
        village = region_get(village_code)
    except NotFound:
        raise Http404 from None
    if village.level != RegionLevel.VILLAGE or not has_perm(request.user, Perm.DISCLOSURE_PUBLISH, village):
        raise Http404
    contact = selectors.supervision_contact(village)
    initial = (
        {k: getattr(contact, k) for k in ("chair", "members", "office_phone", "address", "hours")}
        if contact
        else {}
    )
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_set(actor=request.user, village=village, **form.cleaned_data)
            messages.success(request, _("The contact was saved; the village page shows it."))
            return redirect("workbench:disclosure_contact", village_code=village.code)
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(
        request, "workbench/disclosure/contact.html", {"form": form, "village": village, "contact": contact}
    )
