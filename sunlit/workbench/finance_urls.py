"""Workbench URLs of finance, included by sunlit/workbench/urls.py (namespace "workbench")."""

from django.urls import path

from . import finance_views as v

urlpatterns: list = [
    path("finance/", v.contracts, name="finance"),
    path("finance/contracts/<int:contract_id>/", v.contract, name="finance_contract"),
    path(
        "finance/contracts/<int:contract_id>/<str:action>/", v.contract_action, name="finance_contract_action"
    ),
    path("finance/entries/", v.entries, name="finance_entries"),
    path("finance/assets/", v.assets, name="finance_assets"),
    path("finance/resources/", v.resources, name="finance_resources"),
    path("finance/reimbursements/", v.reimbursements, name="finance_reimbursements"),
    path("finance/reimbursements/<int:reimbursement_id>/", v.reimbursement, name="finance_reimbursement"),
    path("finance/reconciliations/", v.reconciliations, name="finance_reconciliations"),
    path("finance/exchange/", v.exchange_view, name="finance_exchange"),
    path("finance/export/<str:kind>.<str:fmt>", v.export, name="finance_export"),
]
