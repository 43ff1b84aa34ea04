"""Public complaint pages: file (mobile-first, no JavaScript needed), verify a real-name phone, follow
up with the tracking code and secret (thread, reply, rate, ask for a review), and the masked list.

The secret travels only in POST bodies (never in a URL, so never in access logs). Unknown codes
and wrong secrets get the same answer. Pages carrying a secret are never cached.
"""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sunlit.complaints import selectors, services
from sunlit.complaints.config import is_overdue
from sunlit.complaints.models import Complaint
from sunlit.complaints.vocab import Category, Channel, Kind, Rating, Stage, Status
from sunlit.core.errors import DomainError, NotFound
from sunlit.regions.models import Region, RegionLevel

PAGE_SIZE = 25


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "-"


def village_choices() -> list:
    """Villages grouped by township, for a plain <select> with <optgroup>s."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, name, township in (
        Region.objects.filter(level=RegionLevel.VILLAGE)
        .order_by("code")
        .values_list("code", "name", "parent__name")
    ):
        groups.setdefault(township or "", []).append((code, name))
    return [("", "—"), *list(groups.items())]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return single(data, initial)


class FileForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Type"), choices=Kind.choices, widget=forms.RadioSelect, initial=Kind.COMPLAINT
    )
    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *Category.choices])
    village = forms.ChoiceField(label=_("Village concerned"), choices=())
    text = forms.CharField(
        label=_("What happened?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=services.TEXT_MAX,
        help_text=_(
            "Who, what, when, where. Do not write ID or bank-card numbers; they are hidden if you do."
        ),
    )
    attachments = MultipleFileField(
        label=_("Photos or documents (optional)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
        help_text=_("Up to 5 files. Location and camera data are removed from photos."),
    )
    identity = forms.ChoiceField(
        label=_("Who is filing"),
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
        help_text=_("We send a code to check it. Only designated staff can see your name and number."),
    )
    consent = forms.BooleanField(
        label=_(
            "The answer may be published, with personal details hidden, in the village's complaints section"
        ),
        required=False,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = village_choices()


class FollowForm(forms.Form):
    code = forms.CharField(label=_("Tracking code"), max_length=16)
    secret = forms.CharField(label=_("Secret"), max_length=32, widget=forms.PasswordInput(render_value=True))


def _apply_error(form: forms.Form, exc: DomainError) -> None:
    form.add_error(None, str(exc.message))
    for name, messages in exc.fields.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, str(message))


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "same-origin"  # "no-referrer" would send Origin: null and fail CSRF
    return response


@require_http_methods(["GET", "POST"])
@never_cache
def complaint_new(request: HttpRequest) -> HttpResponse:
    initial = {"village": request.GET.get("village", "")}
    form = FileForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            named = data["identity"] == "named"
            try:
                filed = services.complaint_file(
                    actor=None,
                    channel=Channel.PORTAL,
                    kind=data["kind"],
                    category=data["category"],
                    village=Region.objects.filter(code=data["village"]).first(),
                    text=data["text"],
                    anonymous=not named,
                    name=data["name"] if named else "",
                    phone=data["phone"] if named else "",
                    consent_publish=data["consent"],
                    attachments=[f.read() for f in request.FILES.getlist("attachments")],
                    ip=client_ip(request),
                )
            except DomainError as exc:
                _apply_error(form, exc)
                status = exc.status
            else:
                return _private(
                    render(
                        request,
                        "portal/complaints/receipt.html",
                        {"filed": filed, "complaint": filed.complaint},
                    )
                )
        else:
            status = 400
    return render(request, "portal/complaints/new.html", {"form": form}, status=status)


@require_POST
@never_cache
def complaint_verify(request: HttpRequest) -> HttpResponse:
    """The one-time code of a real-name filing (posted with the code and secret shown on the receipt)."""
    follow = FollowForm(request.POST)
    if not follow.is_valid():
        return _private(render(request, "portal/complaints/follow.html", {"form": follow}, status=400))
    try:
        complaint = selectors.access_by_secret(
            follow.cleaned_data["code"], follow.cleaned_data["secret"], ip=client_ip(request)
        )
    except NotFound:
        return _private(
            render(request, "portal/complaints/follow.html", {"form": follow, "not_found": True}, status=404)
        )
    except DomainError as exc:
        return _private(
            render(
                request,
                "portal/complaints/follow.html",
                {"form": follow, "error": exc.message},
                status=exc.status,
            )
        )
    context = {"complaint": complaint, "secret": follow.cleaned_data["secret"], "verify": True}
    status = 200
    try:
        if request.POST.get("resend"):
            services.phone_code_resend(complaint=complaint, ip=client_ip(request))
            context["resent"] = True
        else:
            complaint = services.phone_verify(complaint=complaint, code=request.POST.get("otp", ""))
            return _follow_page(
                request, complaint, follow.cleaned_data["secret"], notice=_("Your phone number is confirmed.")
            )
    except DomainError as exc:
        context["error"] = exc.message
        status = exc.status
    context["complaint"] = Complaint.objects.select_related("village").get(pk=complaint.pk)
    return _private(render(request, "portal/complaints/receipt.html", context, status=status))


def _follow_page(
    request, complaint: Complaint, secret: str, *, notice=None, error=None, status=200
) -> HttpResponse:
    complaint = Complaint.objects.select_related("village", "village__parent", "duplicate_of").get(
        pk=complaint.pk
    )
    now = timezone.now()
    context = {
        "complaint": complaint,
        "secret": secret,
        "messages_thread": selectors.thread(complaint),
        "notice": notice,
        "error": error,
        "can_reply": complaint.status in (Status.RECEIVED, Status.ACCEPTED),
        "can_rate": complaint.status == Status.ANSWERED and not is_overdue(complaint.rate_until, now),
        "can_review": (
            complaint.kind == Kind.COMPLAINT
            and complaint.status in (Status.ANSWERED, Status.CLOSED)
            and complaint.stage != Stage.RE_REVIEW
            and complaint.answered_at is not None
            and not is_overdue(complaint.request_until, now)
        ),
        "ratings": Rating.choices,
        "review_label": _("Ask for a re-review")
        if complaint.stage == Stage.REVIEW
        else _("Ask for a review"),
    }
    return _private(render(request, "portal/complaints/follow.html", context, status=status))


@require_http_methods(["GET", "POST"])
@never_cache
def complaint_follow(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _private(render(request, "portal/complaints/follow.html", {"form": FollowForm()}))
    form = FollowForm(request.POST)
    if not form.is_valid():
        return _private(render(request, "portal/complaints/follow.html", {"form": form}, status=400))
    try:
        complaint = selectors.access_by_secret(
            form.cleaned_data["code"], form.cleaned_data["secret"], ip=client_ip(request)
        )
    except NotFound:
        return _private(
            render(request, "portal/complaints/follow.html", {"form": form, "not_found": True}, status=404)
        )
    except DomainError as exc:
        return _private(
            render(
                request,
                "portal/complaints/follow.html",
                {"form": form, "error": exc.message},
                status=exc.status,
            )
        )
    secret = form.cleaned_data["secret"]
    action = request.POST.get("action", "")
    try:
        if action == "reply":
            services.reporter_reply(
                complaint=complaint,
                text=request.POST.get("text", ""),
                attachments=[f.read() for f in request.FILES.getlist("attachments")],
            )
            return _follow_page(request, complaint, secret, notice=_("Your message was sent."))
        if action == "rate":
            services.complaint_rate(
                complaint=complaint,
                rating=request.POST.get("rating", ""),
                comment=request.POST.get("comment", "")[:2000],
            )
            return _follow_page(request, complaint, secret, notice=_("Thank you for rating the answer."))
        if action == "review":
            services.review_request(complaint=complaint, reason=request.POST.get("reason", ""))
            return _follow_page(
                request, complaint, secret, notice=_("Your request was sent to the body above.")
            )
    except DomainError as exc:
        return _follow_page(request, complaint, secret, error=exc.message, status=exc.status)
    return _follow_page(request, complaint, secret)


@require_GET
def complaint_list(request: HttpRequest) -> HttpResponse:
    """Public, masked list of suggestions and complaints (reports of wrongdoing are not listed)."""
    qs = selectors.public_complaints()
    village = None
    code = request.GET.get("village", "")
    if code:
        village = Region.objects.filter(code=code[:12]).first()
        qs = qs.filter(village__path__startswith=village.path) if village else qs.none()
    page = Paginator(qs.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "portal/complaints/list.html", {"page": page, "village": village, "query": query.urlencode()}
    )
