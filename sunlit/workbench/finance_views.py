"""Staff pages of finance (三资): contracts with their history, entries with vouchers, registers with
depreciation, reimbursements (三签一章) and monthly bank reconciliations, import and export.

Thin views: parse a form, call an ``access_*`` selector or a service, render. Every list is scoped to
the user's regions and paginated; every action is a plain form post (redirect on success, the page with
the refusal inline otherwise).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sunlit.accounts.permissions import has_perm
from sunlit.accounts.roles import Perm
from sunlit.core.errors import DomainError
from sunlit.core.tabular import ImportRejected
from sunlit.finance import exchange, selectors, services
from sunlit.finance.depreciation import of_asset
from sunlit.finance.models import Account
from sunlit.finance.vocab import AccountKind

from .finance_forms import (
    ArrearsForm,
    CompleteForm,
    EntryForm,
    ImportForm,
    PayForm,
    PriceForm,
    ReconciliationForm,
    TerminateForm,
    add_domain_error,
)
from .views import staff_required

PAGE_SIZE = 25
ACTIONS = {"terminate": TerminateForm, "complete": CompleteForm, "price": PriceForm, "arrears": ArrearsForm}


def _need(request: HttpRequest, perm: str = Perm.FINANCE_VIEW) -> None:
    if not has_perm(request.user, perm):
        raise Http404


def _filtered(request: HttpRequest, qs: Any, field: str = "village") -> tuple[Any, str]:
    code = (request.GET.get("village") or "").strip()[:12]
    if code:
        qs = qs.filter(**{f"{field}__code": code})
    return qs, (f"village={code}" if code else "")


def _page(request: HttpRequest, qs: Any) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _ctx(request: HttpRequest, current: str, **extra: Any) -> dict[str, Any]:
    return {
        "current": current,
        "villages": selectors.villages_for_user(request.user).order_by("code")[:500],
        "village_code": (request.GET.get("village") or "")[:12],
        "can_record": has_perm(request.user, Perm.FINANCE_RECORD),
        "can_reconcile": has_perm(request.user, Perm.FINANCE_RECONCILE),
        **extra,
    }


@staff_required
@require_GET
def contracts(request: HttpRequest) -> HttpResponse:
    _need(request)
    qs, query = _filtered(request, selectors.contracts_for_user(request.user).order_by("-start_date", "-id"))
    status = request.GET.get("status")
    if status:
        qs = qs.filter(status=status[:12])
    return render(
        request,
        "workbench/finance/contracts.html",
        _ctx(request, "contracts", page=_page(request, qs), query=query),
    )


def _contract_page(
    request: HttpRequest, contract: Any, forms: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    history = selectors.contract_history(contract)
    forms = forms or {}
    for key, cls in ACTIONS.items():
        forms.setdefault(key, cls(prefix=key))
    return render(
        request,
        "workbench/finance/contract.html",
        _ctx(
            request,
            "contracts",
            contract=contract,
            history=history,
            forms=forms,
            can_edit=has_perm(request.user, Perm.FINANCE_RECORD, contract.village),
            today=timezone.localdate(),
        ),
        status=status,
    )


@staff_required
@require_GET
def contract(request: HttpRequest, contract_id: int) -> HttpResponse:
    return _contract_page(request, selectors.access_contract(request.user, contract_id))


@staff_required
@require_POST
def contract_action(request: HttpRequest, contract_id: int, action: str) -> HttpResponse:
    item = selectors.access_contract(request.user, contract_id)
    if action not in ACTIONS:
        raise Http404
    form = ACTIONS[action](request.POST, prefix=action)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "terminate":
                services.contract_terminate(
                    actor=request.user, contract=item, on=data["on"], reason=data["reason"]
                )
            elif action == "complete":
                services.contract_complete(
                    actor=request.user, contract=item, on=data["on"], note=data["note"]
                )
            elif action == "price":
                services.contract_change_price(
                    actor=request.user,
                    contract=item,
                    new_annual_price=data["new_annual_price"],
                    on=data["on"],
                    note=data["note"],
                )
            else:
                services.arrears_record(actor=request.user, contract=item, on=data["on"], note=data["note"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Recorded."))
            return redirect("workbench:finance_contract", contract_id=item.pk)
    item.refresh_from_db()
    return _contract_page(request, item, {action: form}, status=422)


def _entry_form(request: HttpRequest, data: Any = None, files: Any = None) -> EntryForm:
    form = EntryForm(data, files)
    villages = selectors.villages_for_user(request.user).order_by("code")
    allowed = [v for v in villages[:500] if has_perm(request.user, Perm.FINANCE_RECORD, v)]
    form.fields["village"].choices = [(v.code, v.name) for v in allowed]
    accounts = (
        Account.objects.filter(village__in=allowed)
        .select_related("village")
        .order_by("village__code", "kind")
    )
    form.fields["account"].widget.choices = [(a.pk, f"{a.village.name} · {a.name}") for a in accounts[:1000]]
    contracts_qs = (
        selectors.contracts_for_user(request.user)
        .filter(village__in=allowed, status="active")
        .order_by("village__code", "number")
    )
    form.fields["contract"].widget.choices = [("", "—")] + [
        (c.pk, f"{c.village.name} · {c.number} {c.title}") for c in contracts_qs[:1000]
    ]
    return form


@staff_required
@require_http_methods(["GET", "POST"])
def entries(request: HttpRequest) -> HttpResponse:
    _need(request)
    form = None
    status = 200
    if request.method == "POST":
        form = _entry_form(request, request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                village = selectors.villages_for_user(request.user).get(code=data["village"])
                account = selectors.access_account(request.user, data["account"])
                contract_obj = (
                    selectors.access_contract(request.user, data["contract"])
                    if data.get("contract")
                    else None
                )
                voucher = data["voucher"].read() if data.get("voucher") else None
                services.entry_record(
                    actor=request.user,
                    village=village,
                    voucher=voucher,
                    data={
                        **{
                            k: data[k]
                            for k in ("kind", "category", "date", "amount", "summary", "voucher_no")
                        },
                        "account": account,
                        "contract": contract_obj,
                    },
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The entry was booked."))
                return redirect("workbench:finance_entries")
        status = 422
    elif has_perm(request.user, Perm.FINANCE_RECORD):
        form = _entry_form(request)
    qs, query = _filtered(request, selectors.entries_for_user(request.user).order_by("-date", "-id"))
    return render(
        request,
        "workbench/finance/entries.html",
        _ctx(request, "entries", page=_page(request, qs), query=query, form=form),
        status=status,
    )


@staff_required
@require_GET
def assets(request: HttpRequest) -> HttpResponse:
    _need(request)
    qs, query = _filtered(request, selectors.assets_for_user(request.user).order_by("village__code", "code"))
    page = _page(request, qs)
    today = timezone.localdate()
    rows = [{"asset": a, "dep": of_asset(a, today)} for a in page]
    return render(
        request, "workbench/finance/assets.html", _ctx(request, "assets", page=page, rows=rows, query=query)
    )


@staff_required
@require_GET
def resources(request: HttpRequest) -> HttpResponse:
    _need(request)
    qs, query = _filtered(
        request, selectors.resources_for_user(request.user).order_by("village__code", "code")
    )
    return render(
        request,
        "workbench/finance/resources.html",
        _ctx(request, "resources", page=_page(request, qs), query=query),
    )


@staff_required
@require_GET
def reimbursements(request: HttpRequest) -> HttpResponse:
    _need(request)
    qs, query = _filtered(
        request, selectors.reimbursements_for_user(request.user).order_by("-requested_at", "-id")
    )
    return render(
        request,
        "workbench/finance/reimbursements.html",
        _ctx(request, "reimbursements", page=_page(request, qs), query=query),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def reimbursement(request: HttpRequest, reimbursement_id: int) -> HttpResponse:
    item = selectors.access_reimbursement(request.user, reimbursement_id)
    form = PayForm(request.POST or None)
    form.fields["account"].widget.choices = [
        (a.pk, a.name) for a in Account.objects.filter(village=item.village)
    ]
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                account = selectors.access_account(request.user, form.cleaned_data["account"])
                services.reimbursement_pay(
                    actor=request.user, reimbursement=item, data={**form.cleaned_data, "account": account}
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The reimbursement was paid."))
                return redirect("workbench:finance_reimbursement", reimbursement_id=item.pk)
        status = 422
    return render(
        request,
        "workbench/finance/reimbursement.html",
        _ctx(
            request,
            "reimbursements",
            item=item,
            signatures=services.signatures(item),
            form=form,
            can_pay=has_perm(request.user, Perm.FINANCE_RECORD, item.village),
        ),
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def reconciliations(request: HttpRequest) -> HttpResponse:
    _need(request)
    banks = selectors.accounts_for_user(request.user).filter(kind=AccountKind.BANK).order_by("village__code")
    form = ReconciliationForm(request.POST or None, request.FILES or None)
    form.fields["account"].widget.choices = [(a.pk, f"{a.village.name} · {a.name}") for a in banks[:1000]]
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                account = selectors.access_account(request.user, data["account"])
                statement = data["statement"].read() if data.get("statement") else None
                services.reconciliation_record(
                    actor=request.user, account=account, data=data, statement=statement
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The reconciliation was recorded."))
                return redirect("workbench:finance_reconciliations")
        status = 422
    qs, query = _filtered(
        request,
        selectors.reconciliations_for_user(request.user).order_by("-month", "account_id"),
        "account__village",
    )
    return render(
        request,
        "workbench/finance/reconciliations.html",
        _ctx(
            request,
            "reconciliations",
            page=_page(request, qs),
            query=query,
            form=form if has_perm(request.user, Perm.FINANCE_RECONCILE) else None,
        ),
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def exchange_view(request: HttpRequest) -> HttpResponse:
    _need(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    form.fields["kind"].choices = [(k, k) for k in exchange.KINDS]
    errors: list[Any] = []
    status = 200
    if request.method == "POST":
        _need(request, Perm.FINANCE_RECORD)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                n = exchange.finance_import(
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    source=upload.read(),
                    filename=upload.name,
                )
            except ImportRejected as exc:
                errors = exc.errors
                form.add_error(None, str(exc.message))
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("%(n)d rows imported.") % {"n": n})
                return redirect("workbench:finance_exchange")
        status = 422
    return render(
        request,
        "workbench/finance/exchange.html",
        _ctx(request, "exchange", form=form, errors=errors, kinds=list(exchange.KINDS)),
        status=status,
    )


@staff_required
@require_GET
def export(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    _need(request)
    scoped = {
        "assets": selectors.assets_for_user,
        "resources": selectors.resources_for_user,
        "contracts": selectors.contracts_for_user,
        "entries": selectors.entries_for_user,
    }
    if kind not in scoped or fmt not in ("csv", "xlsx"):
        raise Http404
    qs, _query = _filtered(request, scoped[kind](request.user))
    content, _count = exchange.finance_export(kind=kind, fmt=fmt, queryset=qs)
    types = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    response = HttpResponse(content, content_type=types[fmt])
    response["Content-Disposition"] = f'attachment; filename="finance-{kind}.{fmt}"'
    return response
