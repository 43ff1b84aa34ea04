"""Staff complaint pages: the inbox scoped to the user's units, intake of phone/letter/visit
complaints, the complaint page with its actions (claim, accept, refuse, ask, answer, extend,
escalate), the logged reveal of the reporter's identity, attachment download and basic statistics.

Thin views: parse a form, call ``access_complaint``/a service/a selector, render. Every action is a
plain form post; refusals are shown on the complaint page. The reporter's identity appears only on
the reveal page, after a reason is recorded.
"""

from __future__ import annotations

import csv

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sunlit.accounts.permissions import has_perm, scopes_for
from sunlit.accounts.roles import Perm
from sunlit.cases import documents as docstore
from sunlit.complaints import selectors, services
from sunlit.complaints.models import ComplaintAttachment
from sunlit.complaints.permissions import can_handle, can_reveal
from sunlit.complaints.vocab import OPEN_STATUSES, Status
from sunlit.core.errors import DomainError
from sunlit.regions.models import Region, RegionLevel

from .complaints_forms import ExtendForm, InboxFilterForm, IntakeForm, ReasonForm, TextForm
from .views import staff_required

PAGE_SIZE = 25


def _require_view(request: HttpRequest) -> None:
    if not has_perm(request.user, Perm.COMPLAINT_VIEW):
        raise Http404


@staff_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    form = InboxFilterForm(request.GET or None)
    qs = selectors.complaints_for_user(request.user)
    now = timezone.now()
    status = ""
    if form.is_valid():
        status = form.cleaned_data["status"]
        if form.cleaned_data["kind"]:
            qs = qs.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["category"]:
            qs = qs.filter(category=form.cleaned_data["category"])
        if form.cleaned_data["overdue"]:
            qs = qs.filter(
                Q(status=Status.RECEIVED, accept_due__lt=now) | Q(status=Status.ACCEPTED, handle_due__lt=now)
            )
    if status == "":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status != "all":
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workbench/complaints/inbox.html",
        {
            "page": page,
            "form": form,
            "query": query.urlencode(),
            "now": now,
            "can_intake": has_perm(request.user, Perm.COMPLAINT_INTAKE),
        },
    )


def _intake_villages(user) -> list[tuple[str, str]]:
    q = Q(pk__in=[])
    for scope in scopes_for(user, Perm.COMPLAINT_INTAKE):
        q |= Q(path__startswith=scope.path)
    return list(
        Region.objects.filter(q, level=RegionLevel.VILLAGE).order_by("code").values_list("code", "name")
    )


@staff_required
@require_http_methods(["GET", "POST"])
@never_cache
def intake(request: HttpRequest) -> HttpResponse:
    if not has_perm(request.user, Perm.COMPLAINT_INTAKE):
        raise Http404
    form = IntakeForm(request.POST or None, villages=_intake_villages(request.user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                filed = services.complaint_file(
                    actor=request.user,
                    channel=data["channel"],
                    kind=data["kind"],
                    category=data["category"],
                    village=Region.objects.filter(code=data["village"]).first(),
                    text=data["text"],
                    anonymous=data["anonymous"],
                    name="" if data["anonymous"] else data["name"],
                    phone=data["phone"],
                    id_number="" if data["anonymous"] else data["id_number"],
                    consent_publish=data["consent"],
                )
            except DomainError as exc:
                form.add_error(None, str(exc.message))
                for name, msgs in exc.fields.items():
                    for m in msgs:
                        form.add_error(name if name in form.fields else None, str(m))
                status = exc.status
            else:
                response = render(
                    request,
                    "workbench/complaints/intake_done.html",
                    {"filed": filed, "complaint": filed.complaint},
                )
                response["Cache-Control"] = "no-store"
                return response
        else:
            status = 400
    return render(request, "workbench/complaints/intake.html", {"form": form}, status=status)


def _detail_context(request: HttpRequest, complaint) -> dict:
    now = timezone.now()
    thread = selectors.thread(complaint)
    for message in thread:
        message.shown = selectors.staff_text(request.user, complaint, message.body)
    return {
        "complaint": complaint,
        "shown_text": selectors.staff_text(request.user, complaint, complaint.text),
        "thread": thread,
        "events": list(complaint.events.select_related("actor").order_by("at", "id")),
        "attachments": list(complaint.attachments.order_by("uploaded_at", "id")),
        "can_handle": can_handle(request.user, complaint),
        "can_reveal": can_reveal(request.user, complaint),
        "duplicates": list(complaint.duplicates.order_by("created_at").values_list("code", flat=True)[:50]),
        "accept_overdue": complaint.status == Status.RECEIVED
        and complaint.accept_due
        and now > complaint.accept_due,
        "handle_overdue": complaint.status == Status.ACCEPTED
        and complaint.handle_due
        and now > complaint.handle_due,
        "forms": {
            "ask": TextForm(prefix="ask"),
            "answer": TextForm(prefix="answer"),
            "refuse": ReasonForm(prefix="refuse"),
            "extend": ExtendForm(prefix="extend"),
            "escalate": ReasonForm(prefix="escalate"),
            "reveal": ReasonForm(prefix="reveal"),
        },
    }


@staff_required
@require_GET
def detail(request: HttpRequest, complaint_id: int) -> HttpResponse:
    _require_view(request)
    complaint = selectors.access_complaint(request.user, complaint_id)
    return render(request, "workbench/complaints/detail.html", _detail_context(request, complaint))


ACTIONS = {"claim", "accept", "refuse", "ask", "answer", "extend", "escalate"}


@staff_required
@require_POST
def action(request: HttpRequest, complaint_id: int, name: str) -> HttpResponse:
    _require_view(request)
    if name not in ACTIONS:
        raise Http404
    complaint = selectors.access_complaint(request.user, complaint_id)
    post = request.POST
    user = request.user
    try:
        if name == "claim":
            services.complaint_claim(actor=user, complaint=complaint)
        elif name == "accept":
            services.complaint_accept(actor=user, complaint=complaint)
        elif name == "refuse":
            services.complaint_refuse(actor=user, complaint=complaint, reason=post.get("refuse-reason", ""))
        elif name == "ask":
            services.complaint_ask(actor=user, complaint=complaint, question=post.get("ask-text", ""))
        elif name == "answer":
            services.complaint_answer(actor=user, complaint=complaint, answer=post.get("answer-text", ""))
        elif name == "extend":
            try:
                days = int(post.get("extend-days", ""))
            except ValueError:
                days = 0
            services.complaint_extend(
                actor=user, complaint=complaint, days=days, reason=post.get("extend-reason", "")
            )
        elif name == "escalate":
            services.complaint_escalate(
                actor=user, complaint=complaint, reason=post.get("escalate-reason", "")
            )
    except DomainError as exc:
        complaint.refresh_from_db()
        context = _detail_context(request, complaint)
        context["error"] = exc.message
        context["error_action"] = name
        return render(request, "workbench/complaints/detail.html", context, status=exc.status)
    try:
        selectors.access_complaint(user, complaint.pk)
    except DomainError:
        return redirect("workbench:complaints")  # passed to a body the user cannot see
    return redirect("workbench:complaint", complaint.pk)


@staff_required
@require_POST
@never_cache
def reveal(request: HttpRequest, complaint_id: int) -> HttpResponse:
    """Show the reporter's identity once, after recording the reason (POST only, never cached)."""
    _require_view(request)
    complaint = selectors.access_complaint(request.user, complaint_id)
    try:
        identity = services.reporter_reveal(
            actor=request.user, complaint=complaint, reason=request.POST.get("reveal-reason", "")
        )
    except DomainError as exc:
        context = _detail_context(request, complaint)
        context["error"] = exc.message
        context["error_action"] = "reveal"
        return render(request, "workbench/complaints/detail.html", context, status=exc.status)
    response = render(
        request, "workbench/complaints/reveal.html", {"complaint": complaint, "identity": identity}
    )
    response["Cache-Control"] = "no-store"
    return response


@staff_required
@require_GET
def attachment(request: HttpRequest, complaint_id: int, attachment_id: int) -> FileResponse:
    _require_view(request)
    complaint = selectors.access_complaint(request.user, complaint_id)
    item = ComplaintAttachment.objects.filter(complaint=complaint, pk=attachment_id).first()
    if item is None:
        raise Http404
    ext = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(item.content_type, "bin")
    return FileResponse(
        docstore.open_stored(item.sha256),
        content_type=item.content_type,
        as_attachment=True,
        filename=f"{complaint.code}-{item.pk}.{ext}",
    )


EXPORT_COLUMNS = (
    "code",
    "kind",
    "category",
    "village",
    "unit",
    "office",
    "status",
    "stage",
    "escalation_level",
    "created_at",
    "accept_due",
    "handle_due",
    "answered_at",
    "rating",
    "text",
)


@staff_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """CSV of the complaints the user sees: masked text only, never the reporter."""
    _require_view(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="complaints.csv"'
    response.write("\ufeff")  # so spreadsheet programs read UTF-8
    writer = csv.writer(response)
    writer.writerow(EXPORT_COLUMNS)
    for c in (
        selectors.complaints_for_user(request.user).order_by("-created_at", "-id").iterator(chunk_size=500)
    ):
        writer.writerow(
            [
                c.code,
                c.kind,
                c.category,
                c.village.code,
                c.unit.code,
                c.office,
                c.status,
                c.stage,
                c.escalation_level,
                c.created_at.isoformat(),
                c.accept_due.isoformat() if c.accept_due else "",
                c.handle_due.isoformat() if c.handle_due else "",
                c.answered_at.isoformat() if c.answered_at else "",
                c.rating,
                c.public_text,
            ]
        )
    return response


@staff_required
@require_GET
def stats(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    return render(
        request,
        "workbench/complaints/stats.html",
        {"stats": selectors.statistics(request.user, now=timezone.now())},
    )
