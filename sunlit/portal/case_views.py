"""Public case pages: track an application, follow an objection, read a notice and object to it.

No login. Only what the selectors expose publicly is shown: masked party names, step names and dates.
A tracking number or receipt code that does not exist gets the same friendly answer whatever the
reason (malformed, unknown), so nothing can be learnt by trying numbers.
"""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from sunlit.cases import selectors, services
from sunlit.cases.vocab import StepStatus
from sunlit.core.errors import DomainError, NotFound
from sunlit.regions.selectors import region_ancestors


class TrackForm(forms.Form):
    no = forms.CharField(
        label=_("Tracking number"), max_length=40, help_text=_("For example 20261124-AB12-CD34")
    )


class ReceiptForm(forms.Form):
    receipt = forms.CharField(label=_("Receipt code"), max_length=40, help_text=_("For example Y1A2B3C4D5E6"))


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=_("What do you object to?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        required=False,  # the service refuses an empty objection with its own message
    )
    identity = forms.ChoiceField(
        label=_("Who is objecting"),
        choices=[("anonymous", _("Anonymously")), ("named", _("With my name and mobile number"))],
        widget=forms.RadioSelect,
        initial="anonymous",
    )
    name = forms.CharField(label=_("Your name"), max_length=50, required=False)
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


def _apply_error(form: forms.Form, exc: DomainError) -> None:
    form.add_error(None, str(exc.message))
    for name, messages in exc.fields.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, str(message))


def _remaining(closes_at) -> dict[str, int] | None:
    seconds = int((closes_at - timezone.now()).total_seconds())
    if seconds <= 0:
        return None
    return {"days": seconds // 86400, "hours": (seconds % 86400) // 3600, "minutes": (seconds % 3600) // 60}


@require_GET
@never_cache
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.GET or None)
    context: dict = {"form": form}
    status = 200
    if form.is_valid():
        try:
            case = selectors.public_case(form.cleaned_data["no"])
        except NotFound:
            context["not_found"] = True
            status = 404
        else:
            steps = list(case.steps.select_related("step").order_by("sequence"))
            context.update(
                case=case,
                completed=[s for s in steps if s.status == StepStatus.COMPLETED and s.step.kind != "end"],
                current=case.current,
                parties=selectors.public_parties(case),
                notices=list(case.notices.order_by("opens_at")),
                now=timezone.now(),
            )
    response = render(request, "portal/track.html", context, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
@never_cache
def objection_lookup(request: HttpRequest) -> HttpResponse:
    form = ReceiptForm(request.GET or None)
    context: dict = {"form": form}
    status = 200
    if form.is_valid():
        try:
            context["objection"] = selectors.public_objection(form.cleaned_data["receipt"])
        except NotFound:
            context["not_found"] = True
            status = 404
    response = render(request, "portal/objection.html", context, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response


@require_http_methods(["GET", "POST"])
def notice(request: HttpRequest, code: str) -> HttpResponse:
    try:
        notice = selectors.public_notice(code)
    except NotFound:
        raise Http404 from None
    now = timezone.now()
    is_open = notice.opens_at <= now < notice.closes_at and notice.case.current_id == notice.step_instance_id
    form = ObjectionForm(request.POST or None) if is_open else None
    receipt = None
    status = 200
    if request.method == "POST":
        if form is None:
            status = 409  # the period ended between reading and posting; the page says it is closed
        elif form.is_valid():
            anonymous = form.cleaned_data["identity"] != "named"
            try:
                receipt = services.objection_lodge(
                    notice=notice,
                    text=form.cleaned_data["text"],
                    anonymous=anonymous,
                    name="" if anonymous else form.cleaned_data["name"],
                    phone="" if anonymous else form.cleaned_data["phone"],
                )
            except DomainError as exc:
                _apply_error(form, exc)
                status = exc.status
            else:
                form = ObjectionForm()
        else:
            status = 422
    remaining = _remaining(notice.closes_at) if is_open else None
    response = render(
        request,
        "portal/notice.html",
        {
            "notice": notice,
            "is_open": is_open,
            "remaining": remaining,
            "form": form,
            "receipt": receipt,
            "region": notice.village,
            "ancestors": region_ancestors(notice.village, include_self=False),
        },
        status=status,
    )
    if request.method == "POST":
        response["Cache-Control"] = "no-store"
    return response
